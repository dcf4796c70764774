"""What the CLI and the Streamlit app share: open the index, ingest, ask. No UI code here."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from haystack import Document

from index.ingestion import IngestReport, ingest_paths
from index.retrieval import HybridRetriever
from index.store import PassageIndex

from .answer import Answer, AnswerBuilder
from .settings import Settings, quiet_third_parties


def open_index(settings: Settings) -> PassageIndex:
    quiet_third_parties()
    return PassageIndex(settings.home, settings.index, chroma_url=settings.chroma_url)


def ingest(settings: Settings, paths: list[Path] | None = None, progress: bool = True,
           on_progress=None) -> IngestReport:
    index = open_index(settings)
    return ingest_paths(index, paths or [settings.corpus], workers=settings.workers, progress=progress,
                        on_progress=on_progress, hub_catalogue=settings.hub_catalogue)


MAX_QUESTION_CHARS = 2000
UPLOAD_TYPES = ("pdf", "docx", "txt", "md", "html", "htm")


def library_rows(index: PassageIndex) -> list[dict]:
    """One row per known file: what the Library page and ``ris3 status`` show."""
    rows = []
    for d in index.documents():
        m = d.meta
        rows.append({
            "doc_id": d.doc_id, "title": m.get("title", ""), "doc_type": m.get("doc_type", ""),
            "region": m.get("region", ""), "country": m.get("country", ""), "language": m.get("language", ""),
            "year": m.get("year", ""), "pages": d.n_pages, "passages": d.n_passages, "status": d.status,
            "reason": d.reason, "file": d.file, "file_path": m.get("file_path", ""),
            "file_kind": m.get("file_kind", ""), "inferred": bool(m.get("inferred")),
            "publisher": m.get("publisher", ""), "source": m.get("source", ""), "nuts": m.get("nuts", ""),
            "tag_counts": m.get("tag_counts", {}), "domain_shares": m.get("domain_shares", {}),
            "org_counts": m.get("org_counts", {}), "org_names": m.get("org_names", {}),
        })
    return rows


def save_uploads(settings: Settings, files: list[tuple[str, bytes]], meta: dict[str, str]) -> list[Path]:
    """Store uploaded files under ``$RIS3_HOME/uploads/`` with a manifest row each (the metadata
    the user gave), so that they ingest like bundled documents and survive re-ingestion."""
    import csv
    import re

    from ingest.manifest import COLUMNS, doc_id_for

    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    rows: dict[str, dict] = {}
    if manifest.exists():
        with manifest.open(encoding="utf-8", newline="") as fh:
            rows = {r["file"]: r for r in csv.DictReader(fh)}
    paths = []
    for name, data in files:
        safe = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "upload"
        path = folder / safe
        path.write_bytes(data)
        paths.append(path)
        rows[safe] = {c: "" for c in COLUMNS} | {
            "doc_id": doc_id_for(path), "file": safe, "title": meta.get("title") or Path(name).stem,
            "doc_type": meta.get("doc_type", ""), "region": meta.get("region", ""), "country": meta.get("country", ""),
            "year": meta.get("year", ""), "language": meta.get("language", ""), "publisher": meta.get("publisher", ""),
            "source_repo": "uploaded",
        }
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows.values())
    return paths


def add_documents(settings: Settings, files: list[tuple[str, bytes]], meta: dict[str, str],
                  on_progress=None) -> IngestReport:
    """Save uploads and ingest them; a bad file is reported in the report, never raised."""
    paths = save_uploads(settings, files, meta)
    return ingest(settings, paths, progress=False, on_progress=on_progress)


@dataclass
class Filters:
    region: str | None = None
    country: str | None = None
    doc_type: str | None = None
    language: str | None = None
    year: str | None = None
    doc_id: str | None = None
    tag: str | None = None  # concept or domain ids, comma = any of


class Asker:
    """Loads the models and the index once; answers many questions."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = open_index(settings)
        self.retriever = HybridRetriever(self.index)
        self._builder: AnswerBuilder | None = None

    def refresh(self) -> None:
        """Pick up documents ingested since the index was opened (e.g. an upload)."""
        self.index.reload()
        self.retriever = HybridRetriever(self.index)
        self._builder = None

    def warm_up(self) -> None:
        """Load the models and the index (once; later calls return at once)."""
        if self._builder is not None:
            return
        self.retriever.warm_up()
        from index.multilingual import MultilingualEncoder

        backend = self.retriever.embedder.embedding_backend
        self._builder = AnswerBuilder(
            embed=lambda texts: backend.embed(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False),
            threshold=self.settings.answer_threshold,
            idf=self.index.keyword_index.idf,
            stored_vectors=self.index.sentence_vectors,
            multilingual=MultilingualEncoder().encode,
        )

    def ask(self, question: str, filters: Filters | None = None, top_k: int | None = None,
            keep: Callable[[Document], bool] | None = None) -> Answer:
        """Answer from the passages that pass the filters (and ``keep``, a passage test such as
        ``Region.keeps`` for a region's share of a document that covers several regions)."""
        question = " ".join("".join(ch if ch.isprintable() else " " for ch in (question or "")).split())
        if not question:
            raise ValueError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is {len(question):,} characters long; ask in at most "
                             f"{MAX_QUESTION_CHARS:,} (a question, not a document: to search a text, add it as a document)")
        if self.index.passage_count() == 0:
            raise ValueError("the index is empty: run 'ris3 ingest' first")
        if self._builder is None:
            self.warm_up()
        started = time.perf_counter()
        f = self.index.resolve_filters(**vars(filters or Filters()))
        k = top_k or self.settings.top_k
        translations = self.retriever.translate(question)
        if keep is None:
            passages, q_emb = self.retriever.retrieve(question, f, top_k=k, translations=translations)
        else:
            passages, q_emb = self.retriever.retrieve(question, f, top_k=2 * self.retriever.candidates,
                                                      translations=translations)
            passages = [p for p in passages if keep(p)][:k]
        answer = self._builder.build(question, passages, q_emb, translations.language, translations.as_list())
        answer.question_language = translations.language
        answer.translations = translations.as_list()
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        return answer
