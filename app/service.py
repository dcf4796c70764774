"""What the CLI and the Streamlit app share: open the index, ingest, ask. No UI code here."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from index.ingestion import IngestReport, ingest_paths
from index.retrieval import HybridRetriever
from index.store import PassageIndex

from .answer import Answer, AnswerBuilder
from .settings import Settings, quiet_third_parties


def open_index(settings: Settings) -> PassageIndex:
    quiet_third_parties()
    return PassageIndex(settings.home, settings.index, chroma_url=settings.chroma_url)


def ingest(settings: Settings, paths: list[Path] | None = None, progress: bool = True) -> IngestReport:
    index = open_index(settings)
    return ingest_paths(index, paths or [settings.corpus], workers=settings.workers, progress=progress)


def index_is_current(settings: Settings) -> bool:
    """True when every file of the bundled corpus is in the index with its current content."""
    from index.ingestion import discover
    from ingest.converter import file_sha256

    index = open_index(settings)
    known = {Path(d.meta.get("file_path", "")).resolve(): d.sha256 for d in index.documents()}
    files, _ = discover([settings.corpus])
    return bool(files) and all(known.get(f) == file_sha256(f) for f in files)


@dataclass
class Filters:
    region: str | None = None
    country: str | None = None
    doc_type: str | None = None
    language: str | None = None
    year: str | None = None
    doc_id: str | None = None


class Asker:
    """Loads the models and the index once; answers many questions."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = open_index(settings)
        self.retriever = HybridRetriever(self.index)
        self._builder: AnswerBuilder | None = None

    def warm_up(self) -> None:
        self.retriever.warm_up()
        backend = self.retriever.embedder.embedding_backend
        self._builder = AnswerBuilder(
            embed=lambda texts: backend.embed(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False),
            threshold=self.settings.answer_threshold,
            idf=self.index.keyword_index.idf,
            stored_vectors=self.index.sentence_vectors,
        )

    def ask(self, question: str, filters: Filters | None = None, top_k: int | None = None) -> Answer:
        question = (question or "").strip()
        if not question:
            raise ValueError("the question is empty")
        if self.index.passage_count() == 0:
            raise ValueError("the index is empty: run 'ris3 ingest' first")
        if self._builder is None:
            self.warm_up()
        started = time.perf_counter()
        f = self.index.resolve_filters(**vars(filters or Filters()))
        passages, q_emb = self.retriever.retrieve(question, f, top_k=top_k or self.settings.top_k)
        answer = self._builder.build(question, passages, q_emb)
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        return answer
