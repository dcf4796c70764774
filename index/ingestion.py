"""Incremental ingestion: files -> pages (ingest) -> passages + language (nlp) -> vectors and
keyword index (index).

A SHA-256 of each file decides what to do: unchanged files are skipped, changed files replace
their passages, files gone from an ingested folder are removed. A file that fails is recorded
with its reason and the rest of the batch goes on; nothing already indexed is lost.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from haystack import Document

from ingest.converter import CorpusConverter, file_sha256
from ingest.extract import SUPPORTED_EXT
from ingest.manifest import MANIFEST_NAME, DocMeta, infer_meta, load_manifest
from nlp.entities import EntityExtractor
from nlp.language import LanguageTagger
from nlp.passages import PassageSplitter, sentence_spans
from nlp.tagging import PassageTagger, document_profile, tagging_version

from .multilingual import backfill_multilingual
from .settings import local_model_path
from .store import PassageIndex
from .translation import backfill_vocabulary

log = logging.getLogger(__name__)

IGNORED_NAMES = {MANIFEST_NAME, "README.md", "SOURCES.md"}
EMBED_CHUNK = 256  # passages embedded between two progress reports
ProgressCallback = Callable[[str, int, int], None]
DATA_EXT = {".json", ".csv", ".tsv", ".xlsx"}


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


INCOMPLETE_MARKER = "ingest.incomplete"  # present while an ingest runs; left behind by a killed one


def discover(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Files to consider, and the folders among ``paths`` (whose missing files get removed)."""
    files: list[Path] = []
    roots: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            roots.append(p.resolve())
            files.extend(
                f for f in sorted(p.rglob("*"))
                if f.is_file() and f.name not in IGNORED_NAMES and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            files.append(p)
    return [f.resolve() for f in files], roots


def _manifest_for(path: Path, cache: dict[Path, dict[str, DocMeta]],
                  problems: list[str]) -> tuple[DocMeta | None, Path | None]:
    for parent in list(path.parents)[:4]:
        if parent not in cache:
            cache[parent] = load_manifest(parent, problems)
        if str(path) in cache[parent]:
            return cache[parent][str(path)], parent
    return None, None


def ingest_paths(
    index: PassageIndex,
    paths: list[Path],
    *,
    workers: int = 2,
    progress: bool = True,
    batch_size: int = 32,
    on_progress: ProgressCallback | None = None,
    hub_catalogue: Path | None = None,
) -> IngestReport:
    """Ingest files and folders into ``index``. ``on_progress(stage, done, total)`` is called
    with stage 'extracting' (pages), 'embedding' (passages) and 'sentences' as work proceeds.
    ``hub_catalogue``: the JRC DIH catalogue JSON, so that passages are linked to its hubs.
    One ingest at a time per index: a second one waits for the first (a lock file in the index
    folder); questions keep being answered meanwhile."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(index.folder / "ingest.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if progress:
            print(f"Another ingest is running on {index.folder}; waiting for it to finish ...", flush=True)
        lock.acquire()
    try:
        index.reload()  # what the other ingest wrote
        return _ingest(index, paths, workers=workers, progress=progress, batch_size=batch_size,
                       on_progress=on_progress, hub_catalogue=hub_catalogue)
    finally:
        lock.release()


def _ingest(index: PassageIndex, paths: list[Path], *, workers: int, progress: bool, batch_size: int,
            on_progress: ProgressCallback | None, hub_catalogue: Path | None) -> IngestReport:
    catalogue = str(hub_catalogue) if hub_catalogue and Path(hub_catalogue).exists() else None
    started = time.perf_counter()
    report = IngestReport()
    marker = index.folder / INCOMPLETE_MARKER
    if marker.exists():  # the last ingest did not finish: remove what it left half-written
        report.repaired = index.repair()
    marker.touch()
    files, roots = discover(paths)
    known = {d.doc_id: d for d in index.documents()}
    manifests: dict[Path, dict[str, DocMeta]] = {}
    todo: list[tuple[Path, DocMeta, str]] = []
    seen_hash: dict[str, str] = {}
    seen_ids: set[str] = set()

    entries: list[tuple[Path, DocMeta]] = []
    problems: list[str] = []
    for path in files:
        if not path.exists():
            report.outcomes.append(FileOutcome("", str(path), "failed", f"{path}: file not found"))
            continue
        meta, _ = _manifest_for(path, manifests, problems)
        entries.append((path, meta or infer_meta(path, roots[0] if roots else None)))
    for root in roots:  # rows naming files that are not there, and malformed rows
        listed = manifests.get(root) if root in manifests else load_manifest(root, problems)
        for file_path, meta in (listed or {}).items():
            if not Path(file_path).exists():
                report.outcomes.append(FileOutcome("", file_path, "failed",
                                                   f"listed in {root / MANIFEST_NAME} (doc_id {meta.doc_id}) "
                                                   "but the file does not exist"))
    for problem in dict.fromkeys(problems):
        report.outcomes.append(FileOutcome("", problem.split(": ", 1)[0], "failed", problem))
    # Files the manifest describes come first, so that an unlisted copy is the one called duplicate.
    entries.sort(key=lambda e: (e[1].inferred, str(e[0])))
    for path, meta in entries:
        sha = file_sha256(path)
        if meta.doc_id in seen_ids:  # two files, one id: keep both, make the second unique
            meta.doc_id = f"{meta.doc_id}-{sha[:8]}"
        seen_ids.add(meta.doc_id)
        if path.suffix.lower() in DATA_EXT:
            _record(index, report, known, meta, path, sha, "skipped", "structured data file; not ingested as text")
            continue
        if path.suffix.lower() not in SUPPORTED_EXT:
            _record(index, report, known, meta, path, sha, "skipped",
                    f"unsupported file type {path.suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_EXT))}")
            continue
        if sha in seen_hash:
            _record(index, report, known, meta, path, sha, "skipped", f"same content as {seen_hash[sha]}")
            continue
        seen_hash[sha] = str(path)
        prev = known.get(meta.doc_id)
        if prev and prev.sha256 == sha and prev.status in ("ingested", "failed"):
            report.outcomes.append(FileOutcome(meta.doc_id, str(path), "unchanged", prev.reason, prev.n_pages, prev.n_passages))
            continue
        todo.append((path, meta, sha))

    present = {o.doc_id for o in report.outcomes} | {m.doc_id for _, m, _ in todo}
    for doc_id, rec in known.items():
        in_root = any(Path(rec.meta.get("file_path", rec.file)).is_relative_to(r) for r in roots)
        if doc_id not in present and in_root and not Path(rec.meta.get("file_path", "")).exists():
            index.delete_document(doc_id)
            report.outcomes.append(FileOutcome(doc_id, rec.file, "removed", "file no longer in the corpus"))

    if index.passage_count() and index.tagging_version() != tagging_version(catalogue):
        retag(index, progress=progress, catalogue=catalogue)  # lexicon/taxonomy/orgs changed: new tags, same vectors
    if todo:
        _process(index, todo, report, known, workers=workers, progress=progress, batch_size=batch_size,
                 on_progress=on_progress, catalogue=catalogue)
    index.set_tagging_version(tagging_version(catalogue))
    with report.timed("multilingual"):  # new passages, or an index built before these vectors existed
        backfill_multilingual(index, progress=progress, notify=on_progress)
    with report.timed("word_vectors"):  # the vocabulary questions are translated into (index/translation.py)
        backfill_vocabulary(index, progress=progress, notify=on_progress)
    if report.changed or not (index.folder / "keyword").exists():
        with report.timed("keyword_index"):
            index.rebuild_keyword_index()
    marker.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _record(index, report, known, meta: DocMeta, path: Path, sha: str, status: str, reason: str) -> None:
    prev = known.get(meta.doc_id)
    if not (prev and prev.sha256 == sha and prev.status == status and prev.reason == reason):
        index.record_status(meta.doc_id, meta.file, sha, status, reason, {**meta.as_meta(), "file_path": str(path)})
    report.outcomes.append(FileOutcome(meta.doc_id, str(path), status, reason))


def _process(index, todo, report, known, *, workers: int, progress: bool, batch_size: int,
             on_progress: ProgressCallback | None, catalogue: str | None) -> None:
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    notify = on_progress or (lambda stage, done, total: None)
    converter = CorpusConverter(workers=workers, progress_bar=progress,
                                progress_callback=lambda done, total: notify("extracting", done, total))
    metas = [{**m.as_meta(), "sha256": sha} for _, m, sha in todo]
    with report.timed("extraction"):
        converted = converter.run(sources=[p for p, _, _ in todo], meta=metas)
    failed = {f["doc_id"]: f["reason"] for f in converted["failures"]}
    for path, meta, sha in todo:
        if meta.doc_id in failed:
            # keep whatever was indexed from an earlier version; record why this one failed
            index.record_status(meta.doc_id, meta.file, sha, "failed", failed[meta.doc_id], {**meta.as_meta(), "file_path": str(path)})
            report.outcomes.append(FileOutcome(meta.doc_id, str(path), "failed", failed[meta.doc_id]))

    pages_by_doc: dict[str, list[tuple[int, str]]] = {}
    for page in converted["documents"]:
        pages_by_doc.setdefault(page.meta["doc_id"], []).append((page.meta["page_number"], page.content or ""))
    s = index.settings
    splitter = PassageSplitter(target_words=s.target_words, max_words=s.max_words, min_words=s.min_words)
    with report.timed("splitting_and_language"):
        passages = LanguageTagger().run(splitter.run(converted["documents"])["documents"])["documents"]
    with report.timed("tagging"):
        passages = PassageTagger(catalogue_path=catalogue).run(passages)["documents"]
    with report.timed("ner"):
        passages = EntityExtractor().run(passages)["documents"]
    if not passages:
        return
    from tqdm import tqdm

    embedder = SentenceTransformersDocumentEmbedder(
        model=local_model_path(), local_files_only=True, normalize_embeddings=True,
        batch_size=batch_size, progress_bar=False,
    )
    with report.timed("model_load"):
        embedder.warm_up()
    embedded: list[Document] = []
    with report.timed("embedding_passages"), \
            tqdm(total=len(passages), desc="Embedding passages", unit="passage", disable=not progress) as bar:
        for i in range(0, len(passages), EMBED_CHUNK):
            chunk = embedder.run(documents=passages[i:i + EMBED_CHUNK])["documents"]
            embedded.extend(chunk)
            bar.update(len(chunk))
            notify("embedding", len(embedded), len(passages))
    passages = embedded
    with report.timed("embedding_sentences"):
        sentence_vectors = _embed_sentences(embedder, passages, batch_size=batch_size * 2, progress=progress,
                                            notify=notify)

    by_doc: dict[str, list[Document]] = {}
    for p in passages:
        by_doc.setdefault(p.meta["doc_id"], []).append(p)
    for path, meta, sha in todo:
        docs = by_doc.get(meta.doc_id)
        if meta.doc_id in failed:
            continue
        if not docs:
            reason = "no text found after cleaning"
            index.record_status(meta.doc_id, meta.file, sha, "failed", reason, {**meta.as_meta(), "file_path": str(path)})
            report.outcomes.append(FileOutcome(meta.doc_id, str(path), "failed", reason))
            continue
        first = docs[0].meta
        doc_meta = {**meta.as_meta(), "file_path": str(path), "title": first.get("title", meta.title),
                    "language": first.get("language", ""), "language_detected": first.get("language_detected", ""),
                    "file_kind": first.get("file_kind", ""), **document_profile(docs)}
        n_pages = int(first.get("n_pages", 0))
        with report.timed("writing"):
            index.write_document(meta.doc_id, meta.file, sha, doc_meta, n_pages, docs,
                                 {d.id: sentence_vectors[d.id] for d in docs if d.id in sentence_vectors},
                                 pages_by_doc.get(meta.doc_id, []))
        report.outcomes.append(FileOutcome(meta.doc_id, str(path), "ingested", "", n_pages, len(docs)))


def _embed_sentences(embedder, passages: list[Document], *, batch_size: int, progress: bool, notify) -> dict:
    """One embedding per sentence of every passage, so that answering a question needs no
    sentence encoding at query time."""
    import numpy as np

    texts: list[str] = []
    owners: list[tuple[str, int]] = []
    for p in passages:
        spans = sentence_spans(p)
        owners.append((p.id, len(spans)))
        texts.extend((p.content or "")[s:e] for s, e, _, _ in spans)
    from tqdm import tqdm

    chunks = []
    with tqdm(total=len(texts), desc="Embedding sentences", unit="sentence", disable=not progress) as bar:
        for i in range(0, len(texts), EMBED_CHUNK * 4):
            part = texts[i:i + EMBED_CHUNK * 4]
            chunks.append(np.asarray(embedder.embedding_backend.embed(
                part, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False), dtype=np.float32))
            bar.update(len(part))
            notify("sentences", min(i + EMBED_CHUNK * 4, len(texts)), len(texts))
    vectors = np.vstack(chunks) if chunks else np.zeros((0, 384), dtype=np.float32)
    out, i = {}, 0
    for pid, n in owners:
        out[pid] = vectors[i:i + n]
        i += n
    return out


def retag(index: PassageIndex, progress: bool = True, catalogue: str | None = None) -> int:
    """Re-tag every stored passage with the current lexicon and taxonomy, without re-embedding.
    Returns the number of passages re-tagged."""
    passages = list(index.passages().values())
    if progress:
        print(f"Re-tagging {len(passages)} passages (lexicon or taxonomy changed) ...", flush=True)
    tagged = PassageTagger(catalogue_path=catalogue).run(passages)["documents"]
    tagged = EntityExtractor().run(tagged)["documents"]
    index.update_passage_meta(tagged)
    by_doc: dict[str, list[Document]] = {}
    for p in tagged:
        by_doc.setdefault(p.meta["doc_id"], []).append(p)
    for doc_id, docs in by_doc.items():
        index.update_document_meta(doc_id, document_profile(docs))
    return len(tagged)
