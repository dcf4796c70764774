"""Distributed ingestion on Dask distributed, with one writer to the index.

The per-file work of an ingest (extraction and cleaning, the passage chain of
index/pipeline.py: splitting, language, tagging, organisation names; the MiniLM passage and
sentence vectors; the multilingual window vectors) is pure computation on one file. Here it runs
as one task per file on the workers of a Dask cluster; the results (Haystack Documents with their
embeddings and metadata) come back to the process that called ``ingest_on_cluster``, which alone
writes the record, Chroma, the keyword index, the operations table and the word vectors, exactly
as a local ingest (``ingest_paths`` with ``compute``).

Each worker process loads the models once (``IngestModelsPlugin``, a Dask ``WorkerPlugin``
looked up by the task on ``get_worker()``), on its first task, and runs one file at a time.
Every worker must see the files at the paths the writer gives (a shared or synced folder).

``cluster`` is ``tcp://HOST:PORT`` (a running ``dask scheduler``) or ``local:N`` (a cluster of N
worker processes on 127.0.0.1, started for this ingest and stopped after it).
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np
from haystack import Document

from .ingestion import IngestReport, ingest_paths
from .multilingual import MultilingualEncoder, windows
from .pipeline import PassageChain, PassageEmbedder, build_chain
from .settings import IndexSettings

__all__ = ["ClusterCompute", "FileModels", "FileWork", "IngestModelsPlugin", "file_work", "ingest_on_cluster",
           "parse_cluster"]

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local:"
MAX_LOCAL_WORKERS = 64


@dataclass(frozen=True)
class ClusterOptions:
    """How the writer talks to the cluster."""

    connect_timeout: float = 30.0
    """Seconds to wait for the scheduler (``tcp://...``) before giving up with a one-line error."""
    batch_size: int = 32
    """MiniLM encoding batch on the workers (as ``ingest_paths``' ``batch_size``)."""
    retries: int = 0
    """Times Dask re-runs a file's task whose worker died (0: reported failed at once)."""


@dataclass
class FileWork:
    """One file's per-file work, as the one writer stores it."""

    doc_id: str
    pages: list[Document] = field(default_factory=list)  # cleaned pages (meta page_number)
    passages: list[Document] = field(default_factory=list)  # tagged, with their MiniLM embedding
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # passage id -> one row a sentence
    multilingual: dict[str, np.ndarray] = field(default_factory=dict)  # passage id -> one row a window
    failure: str = ""  # the one-line reason, as a local ingest gives it ('' when it worked)
    worker: str = ""  # the worker that did it
    model_loads: int = 0  # how often that worker had loaded the models by then (1: once per worker)


class FileModels:
    """What one worker loads once and reuses for every file: the passage chain, the MiniLM
    embedder and the multilingual encoder. Cheap to build; ``warm_up`` loads."""

    def __init__(self, settings: IndexSettings, catalogue: str | None = None, batch_size: int = 32):
        self.settings = settings
        self.catalogue = catalogue
        self.batch_size = batch_size
        self.chain: PassageChain | None = None
        self.embedder: PassageEmbedder | None = None
        self.encoder = MultilingualEncoder()

    def warm_up(self) -> None:
        self.chain = build_chain(self.settings, self.catalogue)
        self.embedder = PassageEmbedder(batch_size=self.batch_size, progress=False)
        self.embedder.warm_up()
        self.encoder.warm_up()


def file_work(path: Path, meta: dict[str, Any], models: FileModels) -> FileWork:
    """One file through the same components, in the same order, as a local ingest: the
    converter (in this process), the passage chain, passage and sentence vectors, and the
    multilingual window vectors ``backfill_multilingual`` would compute."""
    from ingest.converter import CorpusConverter

    assert models.chain is not None and models.embedder is not None, "FileModels.warm_up() first"
    converted = CorpusConverter(workers=0, progress_bar=False).run(sources=[path], meta=[meta])
    work = FileWork(doc_id=meta.get("doc_id", ""))
    if converted["failures"]:
        work.failure = converted["failures"][0]["reason"]
        return work
    work.pages = converted["documents"]
    passages = models.chain.run(work.pages)
    if passages:
        work.passages, work.sentence_vectors = models.embedder.embed(passages)
        work.multilingual = window_vectors(work.passages, models.encoder)
    return work


def window_vectors(passages: list[Document], encoder: MultilingualEncoder) -> dict[str, np.ndarray]:
    """Passage id -> the multilingual vectors of its word windows (index/multilingual.py)."""
    texts = [windows(p.content or "") for p in passages]
    flat = encoder.encode([w for ws in texts for w in ws])
    out, row = {}, 0
    for p, ws in zip(passages, texts):
        out[p.id] = flat[row:row + len(ws)]
        row += len(ws)
    return out


# -- Dask: worker state and the task -------------------------------------------------------------
try:
    from distributed.diagnostics.plugin import WorkerPlugin as _PluginBase
except ImportError:  # the engine is not installed: local ingestion still works
    _PluginBase = object


class IngestModelsPlugin(_PluginBase):
    """Worker-level state: ``FileModels`` loaded on a worker's first task and kept for the
    worker's life; one file at a time per worker (the models are not shared across threads)."""

    def __init__(self, settings: IndexSettings, catalogue: str | None, batch_size: int):
        self.settings, self.catalogue, self.batch_size = settings, catalogue, batch_size
        key = hashlib.sha256(repr((catalogue, batch_size)).encode()).hexdigest()[:8]
        self.name = f"ris3-ingest-{settings.fingerprint}-{key}"  # the same for the same settings: loaded once
        self._models: FileModels | None = None
        self._lock = threading.Lock()
        self.loads = 0

    def __getstate__(self) -> dict:
        return {"settings": self.settings, "catalogue": self.catalogue, "batch_size": self.batch_size,
                "name": self.name}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _models=None, _lock=threading.Lock(), loads=0)

    def run(self, path: str, meta: dict[str, Any]) -> FileWork:
        with self._lock:
            if self._models is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the worker's own process: nothing downloaded
                models = FileModels(self.settings, self.catalogue, self.batch_size)
                models.warm_up()
                self._models, self.loads = models, self.loads + 1
            work = file_work(Path(path), meta, self._models)
            work.model_loads = self.loads
            return work


def _has_worker_plugin(dask_scheduler, name: str) -> bool:
    return name in dask_scheduler.worker_plugins


def _file_task(plugin_name: str, path: str, meta: dict[str, Any]) -> FileWork:
    """Runs on a worker: its plugin's models, one file."""
    from distributed import get_worker

    worker = get_worker()
    work = worker.plugins[plugin_name].run(path, meta)
    work.worker = worker.address
    return work


# -- the writer's side ---------------------------------------------------------------------------
def parse_cluster(cluster: str) -> tuple[str, int]:
    """('local', N) for 'local:N', ('address', 0) for 'tcp://HOST:PORT' (or another Dask
    scheme); ValueError naming the value otherwise."""
    value = cluster.strip()
    if value.startswith(LOCAL_PREFIX):
        n = value[len(LOCAL_PREFIX):]
        if not n.isdigit() or not 1 <= int(n) <= MAX_LOCAL_WORKERS:
            raise ValueError(f"cluster {cluster!r}: 'local:N' needs N worker processes from 1 to {MAX_LOCAL_WORKERS}")
        return "local", int(n)
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in ("tcp", "tls", "ws", "wss", "inproc") or ":" not in rest:
        raise ValueError(f"cluster {cluster!r}: give a Dask scheduler address 'tcp://HOST:PORT' or 'local:N'")
    return "address", 0


class ClusterCompute:
    """The per-file work of an ingest on a Dask cluster. Use as a context manager (connects, or
    starts a local cluster; closes what it started); call with ``[(path, converter meta), ...]``
    to get one ``FileWork`` per file, in that order, while the cluster works ahead."""

    def __init__(self, cluster: str, settings: IndexSettings, catalogue: str | None = None, *,
                 progress: bool = True, options: ClusterOptions | None = None):
        self.kind, self.n_workers = parse_cluster(cluster)
        self.cluster = cluster.strip()
        self.options = options or ClusterOptions()
        self.plugin = IngestModelsPlugin(settings, catalogue, self.options.batch_size)
        self.progress = progress
        self._dask = None
        self._local = None

    def __enter__(self) -> Self:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise RuntimeError(f"--cluster needs Dask distributed ({exc}); install the project's dependencies") from exc
        try:
            if self.kind == "local":
                self._local = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
            address = self._local.scheduler_address if self._local else self.cluster
            try:
                self._dask = Client(address, timeout=self.options.connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ConnectionError(f"cannot reach the Dask scheduler at {self.cluster} ({' '.join(str(exc).split())}); "
                                      "start one ('dask scheduler') and its workers, or use --cluster local:N") from exc
            name = self.plugin.name  # registered once per scheduler: its workers keep their loaded models
            if not self._dask.run_on_scheduler(_has_worker_plugin, name=name):
                self._dask.register_plugin(self.plugin, name=name)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._dask is not None:
            self._dask.close()
            self._dask = None
        if self._local is not None:
            self._local.close()
            self._local = None

    def __call__(self, jobs: list[tuple[Path, dict[str, Any]]]) -> Iterator[FileWork]:
        from tqdm import tqdm

        if self._dask is None:
            raise RuntimeError("ClusterCompute is used outside its 'with' block")
        futures = [self._dask.submit(_file_task, self.plugin.name, str(path), meta, pure=False,
                                       retries=self.options.retries, key=f"ris3-file-{i}-{os.urandom(4).hex()}")
                   for i, (path, meta) in enumerate(jobs)]
        with tqdm(total=len(jobs), desc="Files on the cluster", unit="file", disable=not self.progress) as bar:
            for (path, meta), future in zip(jobs, futures):
                yield self._result(path, meta, future)
                future.release()
                bar.update(1)

    @staticmethod
    def _result(path: Path, meta: dict[str, Any], future) -> FileWork:
        """The file's work; a task that raised or whose worker died is that file's failure."""
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - one file's problem: reported, the batch goes on
            reason = f"ingestion failed on a cluster worker ({type(exc).__name__}: {' '.join(str(exc).split())})"
            log.warning("%s: %s", path, reason)
            return FileWork(doc_id=meta.get("doc_id", ""), failure=reason)


def ingest_on_cluster(index, paths: list[Path], *, cluster: str, progress: bool = True,
                      hub_catalogue: Path | None = None, batch_size: int = 32, **kwargs: Any) -> IngestReport:
    """``ingest_paths`` with the per-file work on ``cluster``; this process is the one writer."""
    catalogue = str(hub_catalogue) if hub_catalogue and Path(hub_catalogue).exists() else None
    options = ClusterOptions(batch_size=batch_size)
    with ClusterCompute(cluster, index.settings, catalogue, progress=progress, options=options) as compute:
        return ingest_paths(index, paths, progress=progress, hub_catalogue=hub_catalogue, batch_size=batch_size,
                            compute=compute, **kwargs)
