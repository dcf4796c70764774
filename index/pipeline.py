"""What ingestion does to each document's pages: the chain of Haystack components that turns
pages into tagged passages, and the embedder that gives passages and their sentences vectors.

The chain is built once per ingest (``build_chain``) and serves both new documents (from the
splitter on) and re-tagging of stored passages (from the tagger on)::

    pages -> PassageSplitter -> LanguageTagger -> PassageTagger -> EntityExtractor -> passages
             '-- splitting_and_language ------'   'tagging'        'ner'

Each step's time is counted under its stage name in ``IngestReport.stages``.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from haystack import Document

from nlp.entities import EntityExtractor
from nlp.language import LanguageTagger
from nlp.passages import PassageSplitter, sentence_spans
from nlp.tagging import PassageTagger

from .settings import IndexSettings, local_model_path

SPLITTING, TAGGING, NER = "splitting_and_language", "tagging", "ner"
EMBED_CHUNK = 256  # passages embedded between two progress reports
SENTENCE_DIM = 384  # all-MiniLM-L6-v2
ProgressCallback = Callable[[str, int, int], None]
Timer = Callable[[str], AbstractContextManager]


def _untimed(stage: str) -> AbstractContextManager:
    return nullcontext()


def _silent(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Step:
    stage: str  # the stage its time counts under
    component: Any  # a Haystack component: run(documents=...) -> {"documents": [...]}


class PassageChain:
    """Haystack components run one after the other over a list of documents."""

    def __init__(self, steps: list[Step]):
        self.steps = steps

    def run(self, documents: list[Document], *, start: str | None = None, timed: Timer = _untimed) -> list[Document]:
        """The documents through every step, or through the steps from the first one of stage
        ``start`` on. ``timed(stage)`` times each step (``IngestReport.timed``)."""
        steps = self.steps
        if start is not None:
            first = next((i for i, s in enumerate(steps) if s.stage == start), None)
            if first is None:
                raise ValueError(f"no stage {start!r} in the chain; stages: {', '.join(s.stage for s in steps)}")
            steps = steps[first:]
        for step in steps:
            with timed(step.stage):
                documents = step.component.run(documents=documents)["documents"]
        return documents


def build_chain(settings: IndexSettings, catalogue: str | None = None) -> PassageChain:
    """Pages to tagged passages: split into passages of the index's size, language, concept,
    domain and organisation tags (``catalogue``: the JRC DIH catalogue JSON), organisation names."""
    return PassageChain([
        Step(SPLITTING, PassageSplitter(target_words=settings.target_words, max_words=settings.max_words,
                                        min_words=settings.min_words)),
        Step(SPLITTING, LanguageTagger()),
        Step(TAGGING, PassageTagger(catalogue_path=catalogue)),
        Step(NER, EntityExtractor()),
    ])


class PassageEmbedder:
    """all-MiniLM-L6-v2 (shipped locally, nothing downloaded), normalised embeddings: one per
    passage (what Chroma holds) and one per sentence of each passage (stored, so that answering
    a question needs no sentence encoding at query time)."""

    def __init__(self, batch_size: int = 32, progress: bool = True, notify: ProgressCallback | None = None):
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersDocumentEmbedder,
        )

        self.batch_size = batch_size
        self.progress = progress
        self.notify = notify or _silent
        self._embedder = SentenceTransformersDocumentEmbedder(
            model=local_model_path(), local_files_only=True, normalize_embeddings=True,
            batch_size=batch_size, progress_bar=False,
        )

    def warm_up(self) -> None:
        self._embedder.warm_up()

    def passages(self, passages: list[Document]) -> list[Document]:
        """The passages with their embeddings, ``EMBED_CHUNK`` at a time between progress reports."""
        from tqdm import tqdm

        embedded: list[Document] = []
        with tqdm(total=len(passages), desc="Embedding passages", unit="passage", disable=not self.progress) as bar:
            for i in range(0, len(passages), EMBED_CHUNK):
                chunk = self._embedder.run(documents=passages[i:i + EMBED_CHUNK])["documents"]
                embedded.extend(chunk)
                bar.update(len(chunk))
                self.notify("embedding", len(embedded), len(passages))
        return embedded

    def sentences(self, passages: list[Document]) -> dict[str, np.ndarray]:
        """Passage id -> one embedding (float32 row) per sentence of the passage, in order."""
        from tqdm import tqdm

        texts: list[str] = []
        owners: list[tuple[str, int]] = []
        for p in passages:
            spans = sentence_spans(p)
            owners.append((p.id, len(spans)))
            texts.extend((p.content or "")[s:e] for s, e, _, _ in spans)
        step = EMBED_CHUNK * 4
        chunks = []
        with tqdm(total=len(texts), desc="Embedding sentences", unit="sentence", disable=not self.progress) as bar:
            for i in range(0, len(texts), step):
                part = texts[i:i + step]
                chunks.append(np.asarray(self._embedder.embedding_backend.embed(
                    part, batch_size=self.batch_size * 2, normalize_embeddings=True, show_progress_bar=False),
                    dtype=np.float32))
                bar.update(len(part))
                self.notify("sentences", min(i + step, len(texts)), len(texts))
        vectors = np.vstack(chunks) if chunks else np.zeros((0, SENTENCE_DIM), dtype=np.float32)
        out, i = {}, 0
        for pid, n in owners:
            out[pid] = vectors[i:i + n]
            i += n
        return out
