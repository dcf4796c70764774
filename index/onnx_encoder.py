"""The dense model run by ONNX Runtime: the same all-MiniLM-L6-v2 weights, exported once from the
sentence-transformers model to an ONNX file beside the index, then run by ``onnxruntime`` (a
chromadb dependency; nothing downloaded). Measured here on one thread, a question's embedding
takes 14 ms against 28 ms through torch, with the same vector (largest difference 2e-7;
eval/results/bench-query-2026-12-01.json, ``stage_split_quiet_2026_12_01_evening``). Passages stay embedded by sentence-transformers at
ingest; what this encodes must match them, so ``warm_up`` compares both on probe texts and
keeps torch when they differ.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ONNX_OPSET = 17
ONNX_THREADS = 1  # a question's pass on one thread (index/threads.py says why)
MATCH_TOLERANCE = 1e-4  # largest element difference from the torch vectors that still counts as the same model
PROBES = ("Which digital innovation hubs support manufacturing in Lombardy?",
          "Regionale Innovationsstrategie für intelligente Spezialisierung 2021-2027")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxTextEncoder:
    """Mean-pooled, L2-normalised embeddings of a sentence-transformers BERT model by ONNX
    Runtime. Cheap to build; ``warm_up(model)`` exports (or loads) and checks.

    :param cache_dir: where the exported file is kept (None: exported in memory each warm-up).
    """

    def __init__(self, cache_dir: Path | None = None, threads: int = ONNX_THREADS):
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.threads = threads
        self.ready = False
        self._session = None
        self._tokenizer = None
        self._max_length = 256
        self._lock = threading.Lock()

    def warm_up(self, model: Any) -> bool:
        """Make the session for ``model`` (a loaded SentenceTransformer). True when it is used;
        False (torch stays in use, the reason logged) when export or the check fails."""
        with self._lock:
            if self.ready:
                return True
            try:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                options.enable_cpu_mem_arena = False  # a question's activations are small
                session = ort.InferenceSession(self._model_source(model), options, providers=["CPUExecutionProvider"])
                self._session, self._tokenizer = session, model.tokenizer
                self._max_length = int(getattr(model, "max_seq_length", 256) or 256)
                expected = model.encode(list(PROBES), normalize_embeddings=True, show_progress_bar=False)
                gap = float(np.abs(self._encode(list(PROBES)) - expected).max())
                if gap > MATCH_TOLERANCE:
                    log.warning("ONNX vectors differ from torch's by %.2g; questions stay embedded by torch", gap)
                    return False
                self.ready = True
            except Exception as exc:  # an export or runtime problem must never stop a question
                log.warning("ONNX Runtime not used for the dense model (%s: %s); torch embeds the questions",
                            type(exc).__name__, exc)
                return False
        return True

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """float32 (len(texts), dim) L2-normalised embeddings; ``warm_up`` must have succeeded."""
        if not self.ready:
            raise RuntimeError("OnnxTextEncoder.encode before a successful warm_up")
        parts = [self._encode(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
        return np.vstack(parts) if parts else np.zeros((0, self._session.get_outputs()[0].shape[-1] or 0), dtype=np.float32)

    def _encode(self, texts: list[str]) -> np.ndarray:
        f = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="np")
        feeds = {k: np.asarray(f[k], dtype=np.int64) for k in _INPUTS if k in f}
        if "token_type_ids" not in feeds:
            feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
        hidden = self._session.run(None, feeds)[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)

    # -- export ----------------------------------------------------------------------------------
    def _model_source(self, model: Any) -> str | bytes:
        """The kept file's path (ONNX Runtime reads it without a copy in Python), else the
        exported bytes, kept for the next process when the folder is writable."""
        path = self._cached_path(model)
        if path is not None and path.exists():
            return str(path)
        data = export(model)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as out:
                    out.write(data)
                os.chmod(out.name, 0o644)
                os.replace(out.name, path)  # whole or absent: another process may be reading
            except OSError as exc:
                log.info("ONNX model not cached in %s (%s); exported again next time", path.parent, exc)
                return data
            return str(path)
        return data

    def _cached_path(self, model: Any) -> Path | None:
        if self.cache_dir is None:
            return None
        import torch

        h = hashlib.sha256(f"{torch.__version__}|{ONNX_OPSET}".encode())
        for p in model[0].auto_model.state_dict().values():
            h.update(p.detach().cpu().numpy().ravel()[:1024].tobytes())  # the weights it was made from (a sample, no copy)
        return self.cache_dir / f"dense-{h.hexdigest()[:16]}.onnx"


def export(model: Any) -> bytes:
    """The BERT part of a sentence-transformers ``model`` as ONNX bytes (its last hidden state;
    pooling and normalisation are done in numpy)."""
    import torch

    bert = model[0].auto_model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    f = model.tokenizer([PROBES[0]], return_tensors="pt")
    args = tuple(f[k] if k in f else torch.zeros_like(f["input_ids"]) for k in _INPUTS)
    axes = {k: {0: "batch", 1: "tokens"} for k in (*_INPUTS, "hidden")}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(bert), args, buffer, input_names=list(_INPUTS), output_names=["hidden"],
                          dynamic_axes=axes, opset_version=ONNX_OPSET, dynamo=False)
    return buffer.getvalue()
