"""Incremental ingestion: files -> pages (ingest) -> passages + language (nlp) -> vectors and
keyword index (index).

A SHA-256 of each file decides what to do: unchanged files are skipped, changed files replace
their passages, files gone from an ingested folder are removed. A file that fails is recorded
with its reason and the rest of the batch goes on; nothing already indexed is lost.

A run is a sequence of stages (``_ingest``): repair what an interrupted run left, plan (find
the files, read their manifests, decide what each needs), remove files gone from the corpus,
re-tag stored passages when the lexicon changed, process the new and changed files (extract,
the passage chain of index/pipeline.py, embed, write), backfill the multilingual and word
vectors, rebuild the keyword index. Progress goes to tqdm bars, ``on_progress`` and ``logging``.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from haystack import Document

from ingest.converter import CorpusConverter, file_sha256
from ingest.extract import SUPPORTED_EXT
from ingest.manifest import MANIFEST_NAME, DocMeta, infer_meta, load_manifest
from nlp.tagging import document_profile, tagging_version

from .discovery import discover, ids_by_path, manifest_for, own_id, path_of
from .multilingual import MULTILINGUAL_MODEL, backfill_multilingual
from .operations import sync_operations
from .pipeline import (
    EMBED_CHUNK,
    TAGGING,
    PassageChain,
    PassageEmbedder,
    ProgressCallback,
    build_chain,
)
from .records import DocumentRecord
from .store import PassageIndex
from .translation import backfill_vocabulary

__all__ = ["EMBED_CHUNK", "FileOutcome", "IngestReport", "ProgressCallback", "discover", "ingest_paths", "retag"]

log = logging.getLogger(__name__)

DATA_EXT = {".json", ".csv", ".tsv", ".xlsx", ".geojson"}
INCOMPLETE_MARKER = "ingest.incomplete"  # present while an ingest runs; left behind by a killed one
Compute = Callable[[list[tuple[Path, dict]]], Iterable[Any]]  # files -> per-file work (index/distributed.py)


@dataclass
class FileOutcome:
    doc_id: str
    file: str
    status: str  # ingested | unchanged | failed | skipped | removed
    reason: str = ""
    pages: int = 0
    passages: int = 0


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (extraction, tagging, ...)
    repaired: dict[str, int] = field(default_factory=dict)  # what the start-of-run consistency repair did

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - started

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def changed(self) -> bool:
        return any(o.status in ("ingested", "removed") for o in self.outcomes)


def ingest_paths(
    index: PassageIndex,
    paths: list[Path],
    *,
    workers: int = 2,
    progress: bool = True,
    batch_size: int = 32,
    on_progress: ProgressCallback | None = None,
    hub_catalogue: Path | None = None,
    compute: Compute | None = None,
) -> IngestReport:
    """Ingest files and folders into ``index``. ``on_progress(stage, done, total)`` is called
    with stage 'extracting' (pages), 'embedding' (passages), 'sentences', 're-tagging',
    'multilingual', 'word vectors' and 'operations' (lists of operations read as rows) as work proceeds.
    ``hub_catalogue``: the JRC DIH catalogue JSON, so that passages are linked to its hubs.
    One ingest at a time per index: a second one waits for the first (a lock file in the index
    folder); questions keep being answered meanwhile. ``compute``: the per-file work elsewhere
    (index/distributed.py), its results written here; None: in this process."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(index.folder / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("Another ingest is running on %s; waiting for it to finish ...", index.folder)
        lock.acquire()
    try:
        index.reload()  # what the other ingest wrote
        catalogue = str(hub_catalogue) if hub_catalogue and Path(hub_catalogue).exists() else None
        run = _Run(index, IngestReport(), build_chain(index.settings, catalogue), catalogue, workers=workers,
                   progress=progress, batch_size=batch_size, notify=on_progress or _silent, compute=compute)
        return _ingest(run, paths)
    finally:
        lock.release()


# -- the run -----------------------------------------------------------------------------------
def _silent(stage: str, done: int, total: int) -> None:
    pass


@dataclass
class _Todo:
    path: Path
    meta: DocMeta
    sha: str


@dataclass
class _Run:
    """What every stage of one ingest shares."""

    index: PassageIndex
    report: IngestReport
    chain: PassageChain
    catalogue: str | None
    workers: int
    progress: bool
    batch_size: int
    notify: ProgressCallback
    known: dict[str, DocumentRecord] = field(default_factory=dict)  # the record before this run
    compute: Compute | None = None

    def outcome(self, meta: DocMeta, path: Path, status: str, reason: str = "", pages: int = 0, passages: int = 0) -> None:
        self.report.outcomes.append(FileOutcome(meta.doc_id, str(path), status, reason, pages, passages))

    def record(self, todo: _Todo, status: str, reason: str) -> None:
        """A file that is not (or no longer) indexed: its status in the record and the report."""
        self.index.record_status(todo.meta.doc_id, todo.meta.file, todo.sha, status, reason,
                                 {**todo.meta.as_meta(), "file_path": str(todo.path)})
        self.outcome(todo.meta, todo.path, status, reason)


def _ingest(run: _Run, paths: list[Path]) -> IngestReport:
    started = time.perf_counter()
    _repair_interrupted(run)
    files, roots, notes = discover(paths)
    run.report.outcomes += [FileOutcome("", str(f), status, reason) for f, status, reason in notes]
    run.known = {d.doc_id: d for d in run.index.documents()}
    todo = _plan(run, _read_manifests(run, files, roots))
    _remove_gone(run, todo, roots)
    _retag_if_stale(run)
    if todo:
        _process(run, todo)
    _backfill(run)
    _sync_operations(run)
    _rebuild_keyword_index(run)
    (run.index.folder / INCOMPLETE_MARKER).unlink(missing_ok=True)
    run.report.seconds = time.perf_counter() - started
    return run.report


def _repair_interrupted(run: _Run) -> None:
    """The last ingest did not finish, or a record disagrees with its passages: remove what was
    left half-written (the documents concerned are redone). Then mark this run as under way."""
    marker = run.index.folder / INCOMPLETE_MARKER
    if marker.exists() or run.index.record_problems(files=False)["inconsistent"]:
        run.report.repaired = run.index.repair()
    marker.touch()


def _read_manifests(run: _Run, files: list[Path], roots: list[Path]) -> list[tuple[Path, DocMeta]]:
    """Each file with its metadata (its manifest row, or inferred from its path). Files not found,
    manifest rows naming files that are not there and malformed rows are reported as failed."""
    manifests: dict[Path, dict[str, DocMeta]] = {}
    entries: list[tuple[Path, DocMeta]] = []
    problems: list[str] = []
    outcomes = run.report.outcomes
    for path in files:
        if not path.exists():
            outcomes.append(FileOutcome("", str(path), "failed", f"{path}: file not found"))
            continue
        meta, _ = manifest_for(path, manifests, problems)
        entries.append((path, meta or infer_meta(path, roots[0] if roots else None)))
    for root in roots:
        listed = manifests.get(root) if root in manifests else load_manifest(root, problems)
        for file_path, meta in (listed or {}).items():
            if not Path(file_path).exists():
                outcomes.append(FileOutcome("", file_path, "failed", f"listed in {root / MANIFEST_NAME} (doc_id "
                                                                     f"{meta.doc_id}) but the file does not exist"))
    for problem in dict.fromkeys(problems):
        outcomes.append(FileOutcome("", problem.split(": ", 1)[0], "failed", problem))
    return entries


def _plan(run: _Run, entries: list[tuple[Path, DocMeta]]) -> list[_Todo]:
    """What each file needs: skipped (data, unsupported type, a duplicate), unchanged, or to be
    processed. Files the manifest describes come first, so that an unlisted copy is the one
    called duplicate. Every file gets an id of its own (``_own_id``): no file, failed, skipped or
    new, can take over another file's record."""
    todo: list[_Todo] = []
    seen_hash: dict[str, str] = {}
    taken: set[str] = set()
    by_path = ids_by_path(run.known)
    for path, meta in sorted(entries, key=lambda e: (e[1].inferred, str(e[0]))):
        try:
            item = _Todo(path, meta, file_sha256(path))
        except OSError as exc:
            run.report.outcomes.append(FileOutcome("", str(path), "failed", f"cannot read file ({exc.strerror or exc})"))
            continue
        meta.doc_id = own_id(run.known, path, meta.doc_id, item.sha, taken, by_path)
        taken.add(meta.doc_id)
        suffix = path.suffix.lower()
        if suffix in DATA_EXT:
            _skip(run, item, "structured data file; not ingested as text")
        elif suffix not in SUPPORTED_EXT:
            _skip(run, item, f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_EXT))}")
        elif item.sha in seen_hash:
            _skip(run, item, f"same content as {seen_hash[item.sha]}")
        else:
            seen_hash[item.sha] = str(path)
            prev = run.known.get(meta.doc_id)
            if prev and prev.sha256 == item.sha and prev.status in ("ingested", "failed") and path_of(prev) == str(path):
                run.outcome(meta, path, "unchanged", prev.reason, prev.n_pages, prev.n_passages)
            else:
                todo.append(item)
    return todo


def _skip(run: _Run, item: _Todo, reason: str) -> None:
    prev = run.known.get(item.meta.doc_id)
    if prev and prev.sha256 == item.sha and prev.status == "skipped" and prev.reason == reason:
        run.outcome(item.meta, item.path, "skipped", reason)  # recorded so already
    else:
        run.record(item, "skipped", reason)


def _remove_gone(run: _Run, todo: list[_Todo], roots: list[Path]) -> None:
    """Documents whose file is gone from an ingested folder leave the index; so does a document
    whose file now has another id (its manifest row gave it a new doc_id): one file, one document."""
    present = {o.doc_id for o in run.report.outcomes} | {t.meta.doc_id for t in todo}
    id_of_path = {o.file: o.doc_id for o in run.report.outcomes if o.doc_id} | {str(t.path): t.meta.doc_id for t in todo}
    for doc_id, rec in run.known.items():
        path = path_of(rec)
        in_root = any(Path(rec.meta.get("file_path", rec.file)).is_relative_to(r) for r in roots)
        renamed = id_of_path.get(path, doc_id) != doc_id
        if renamed or (doc_id not in present and in_root and not Path(rec.meta.get("file_path", "")).exists()):
            run.index.delete_document(doc_id)
            reason = f"its file now has the id {id_of_path[path]}" if renamed else "file no longer in the corpus"
            run.report.outcomes.append(FileOutcome(doc_id, rec.file, "removed", reason))


def _retag_if_stale(run: _Run) -> None:
    """The lexicon, taxonomy or organisations changed: new tags for the stored passages, same vectors."""
    if run.index.passage_count() and run.index.tagging_version() != tagging_version(run.catalogue):
        retag(run.index, progress=run.progress, catalogue=run.catalogue, chain=run.chain, notify=run.notify)


def _process(run: _Run, todo: list[_Todo]) -> None:
    """New and changed files: extract their pages, run the passage chain, embed, write each document."""
    if run.compute is not None:
        return _process_remote(run, todo)
    pages, failed = _extract(run, todo)
    passages = run.chain.run(pages, timed=run.report.timed)
    if not passages:
        return
    passages, sentence_vectors = _embed(run, passages)
    _write(run, todo, pages, passages, sentence_vectors, failed)


def _process_remote(run: _Run, todo: list[_Todo]) -> None:
    """The per-file work done by ``run.compute`` (a ``FileWork`` a file, in file order); this
    process writes each document as ``_process`` does, then its multilingual window vectors."""
    jobs = [(t.path, {**t.meta.as_meta(), "sha256": t.sha}) for t in todo]
    for item, work in zip(todo, run.compute(jobs)):
        if work.failure:
            run.record(item, "failed", work.failure)
            continue
        _write(run, [item], work.pages, work.passages, work.sentence_vectors, set())
        if work.passages:
            run.index.write_multilingual(MULTILINGUAL_MODEL, work.multilingual)


def _extract(run: _Run, todo: list[_Todo]) -> tuple[list[Document], set[str]]:
    """Pages of the files (one Document each), and the ids of the files that failed (recorded
    failed; whatever was indexed from an earlier version of them stays)."""
    converter = CorpusConverter(workers=run.workers, progress_bar=run.progress,
                                progress_callback=lambda done, total: run.notify("extracting", done, total))
    with run.report.timed("extraction"):
        converted = converter.run(sources=[t.path for t in todo], meta=[{**t.meta.as_meta(), "sha256": t.sha} for t in todo])
    failed = {f["doc_id"]: f["reason"] for f in converted["failures"]}
    for item in todo:
        if item.meta.doc_id in failed:
            run.record(item, "failed", failed[item.meta.doc_id])
    return converted["documents"], set(failed)


def _embed(run: _Run, passages: list[Document]) -> tuple[list[Document], dict]:
    """The passages with their embeddings, and their sentences' embeddings."""
    embedder = PassageEmbedder(batch_size=run.batch_size, progress=run.progress, notify=run.notify)
    with run.report.timed("model_load"):
        embedder.warm_up()
    return embedder.embed(passages, timed=run.report.timed)


def _write(run: _Run, todo: list[_Todo], pages: list[Document], passages: list[Document],
           sentence_vectors: dict, failed: set[str]) -> None:
    """Each processed document into the index (a document without passages is recorded failed)."""
    pages_by_doc: dict[str, list[tuple[int, str]]] = {}
    for page in pages:
        pages_by_doc.setdefault(page.meta["doc_id"], []).append((page.meta["page_number"], page.content or ""))
    by_doc: dict[str, list[Document]] = {}
    for p in passages:
        by_doc.setdefault(p.meta["doc_id"], []).append(p)
    for item in todo:
        meta, docs = item.meta, by_doc.get(item.meta.doc_id)
        if meta.doc_id in failed:
            continue
        if not docs:
            run.record(item, "failed", "no text found after cleaning")
            continue
        first = docs[0].meta
        doc_meta = {**meta.as_meta(), "file_path": str(item.path), "title": first.get("title", meta.title),
                    "language": first.get("language", ""), "language_detected": first.get("language_detected", ""),
                    "file_kind": first.get("file_kind", ""), **document_profile(docs)}
        if first.get("encoding"):
            doc_meta["encoding"] = first["encoding"]  # text files: the encoding they were decoded from
        n_pages = int(first.get("n_pages", 0))
        with run.report.timed("writing"):
            run.index.write_document(meta.doc_id, meta.file, item.sha, doc_meta, n_pages, docs,
                                     {d.id: sentence_vectors[d.id] for d in docs if d.id in sentence_vectors},
                                     pages_by_doc.get(meta.doc_id, []))
        run.outcome(meta, item.path, "ingested", "", n_pages, len(docs))


def _backfill(run: _Run) -> None:
    """Record the tagging version; vectors for new passages (or an index built before they existed)."""
    run.index.set_tagging_version(tagging_version(run.catalogue))
    with run.report.timed("multilingual"):
        backfill_multilingual(run.index, progress=run.progress, notify=run.notify)
    with run.report.timed("word_vectors"):  # the vocabulary questions are translated into (index/translation.py)
        backfill_vocabulary(run.index, progress=run.progress, notify=run.notify)


def _sync_operations(run: _Run) -> None:
    """Table rows of new and changed lists of funded operations; rows of removed ones go (index/operations.py)."""
    with run.report.timed("operations"):
        sync_operations(run.index, notify=run.notify, workers=run.workers)


def _rebuild_keyword_index(run: _Run) -> None:
    if run.report.changed or not (run.index.folder / "keyword").exists() or not run.index.keyword_index_current():
        with run.report.timed("keyword_index"):
            run.index.rebuild_keyword_index()


def retag(index: PassageIndex, progress: bool = True, catalogue: str | None = None, *,
          chain: PassageChain | None = None, notify: ProgressCallback | None = None) -> int:
    """Re-tag every stored passage with the current lexicon and taxonomy, without re-embedding:
    the tagging steps of the passage chain (``chain``, or one built for ``index``). Returns the
    number of passages re-tagged."""
    from tqdm import tqdm

    chain = chain or build_chain(index.settings, catalogue)
    notify = notify or _silent
    passages = list(index.passages().values())
    log.info("Re-tagging %d passages (lexicon or taxonomy changed)", len(passages))
    with tqdm(total=len(passages), desc="Re-tagging passages", unit="passage", disable=not progress) as bar:
        notify("re-tagging", 0, len(passages))
        tagged = chain.run(passages, start=TAGGING)
        bar.update(len(tagged))
        notify("re-tagging", len(tagged), len(passages))
    index.update_passage_meta(tagged)
    by_doc: dict[str, list[Document]] = {}
    for p in tagged:
        by_doc.setdefault(p.meta["doc_id"], []).append(p)
    for doc_id, docs in by_doc.items():
        index.update_document_meta(doc_id, document_profile(docs))
    return len(tagged)
