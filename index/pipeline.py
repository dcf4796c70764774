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
    a question needs no sentence encoding at query time).

    One model pass gives both: a passage's vector is sentence-transformers' mean over its tokens,
    and each sentence's vector the mean over that sentence's tokens in the same pass (found from
    the tokenizer's character offsets), so no sentence is encoded a second time. Sentences past
    the model's window (``max_seq_length`` tokens, 256) have no tokens in the pass and are encoded
    alone. On the dev half of the held-out gold these pooled vectors answered as well as sentences
    encoded alone (eval/results/pooled-sentences-2026-12-02.json)."""

    def __init__(self, batch_size: int = 32, progress: bool = True, notify: ProgressCallback | None = None):
        self.batch_size = batch_size
        self.progress = progress
        self.notify = notify or _silent
        self._model = None

    def warm_up(self) -> None:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(local_model_path(), device="cpu", local_files_only=True)

    def embed(self, passages: list[Document], timed: Timer = _untimed) -> tuple[list[Document], dict[str, np.ndarray]]:
        """The passages with their embeddings, and passage id -> one embedding (float32 row) per
        sentence of the passage, in order. ``timed(stage)`` times the pass ('embedding_passages')
        and the sentences encoded alone ('embedding_sentences')."""
        assert self._model is not None, "PassageEmbedder.warm_up() first"
        with timed("embedding_passages"):
            embedded, vectors, alone = self._pass(passages)
        with timed("embedding_sentences"):
            self._encode_alone(vectors, alone)
        return embedded, vectors

    def _pass(self, passages: list[Document]) -> tuple[list[Document], dict[str, np.ndarray], list[tuple[str, int, str]]]:
        """One pass over the passages, ``EMBED_CHUNK`` at a time between progress reports: the
        embedded passages, their pooled sentence vectors, and (passage id, sentence, text) of the
        sentences the pass did not reach."""
        from dataclasses import replace

        from tqdm import tqdm

        model = self._model
        embedded: list[Document] = []
        vectors: dict[str, np.ndarray] = {}
        alone: list[tuple[str, int, str]] = []
        with tqdm(total=len(passages), desc="Embedding passages", unit="passage", disable=not self.progress) as bar:
            for i in range(0, len(passages), EMBED_CHUNK):
                chunk = passages[i:i + EMBED_CHUNK]
                texts = [p.content or "" for p in chunk]
                outputs = model.encode(texts, output_value=None, normalize_embeddings=True,
                                       batch_size=self.batch_size, show_progress_bar=False)
                offsets = model.tokenizer(texts, return_offsets_mapping=True, truncation=True,
                                          max_length=model.max_seq_length)["offset_mapping"]
                for passage, text, out, offs in zip(chunk, texts, outputs, offsets):
                    embedded.append(replace(passage, embedding=out["sentence_embedding"].float().numpy().tolist()))
                    n = int(out["attention_mask"].sum())
                    rows, missed = pool_sentences(sentence_spans(passage), np.asarray(offs[:n]),
                                                  out["token_embeddings"][:n].float().numpy())
                    vectors[passage.id] = rows
                    alone.extend((passage.id, k, text[s:e]) for k, (s, e) in missed)
                bar.update(len(chunk))
                self.notify("embedding", len(embedded), len(passages))
        return embedded, vectors, alone

    def _encode_alone(self, vectors: dict[str, np.ndarray], alone: list[tuple[str, int, str]]) -> None:
        """The sentences the pass did not reach, encoded one by one into their rows."""
        from tqdm import tqdm

        step = EMBED_CHUNK * 4
        with tqdm(total=len(alone), desc="Embedding sentences past the window", unit="sentence",
                  disable=not self.progress or not alone) as bar:
            for i in range(0, len(alone), step):
                part = alone[i:i + step]
                encoded = self._model.encode([t for _, _, t in part], batch_size=self.batch_size * 2,
                                             normalize_embeddings=True, show_progress_bar=False)
                for (pid, k, _), v in zip(part, encoded):
                    vectors[pid][k] = v
                bar.update(len(part))
                self.notify("sentences", min(i + step, len(alone)), len(alone))


def pool_sentences(spans: list[tuple[int, int, int, int]], offsets: np.ndarray,
                   tokens: np.ndarray) -> tuple[np.ndarray, list[tuple[int, tuple[int, int]]]]:
    """Each sentence's vector as the normalised mean of the token embeddings whose characters
    (``offsets``: one (start, end) per token, (0, 0) for special tokens) fall in the sentence, and
    (sentence index, (start, end)) of the sentences that reach past the last token (truncated
    away): their rows stay zero."""
    rows = np.zeros((len(spans), tokens.shape[1] if tokens.ndim == 2 else SENTENCE_DIM), dtype=np.float32)
    missed: list[tuple[int, tuple[int, int]]] = []
    real = offsets[:, 1] > offsets[:, 0] if len(offsets) else np.zeros(0, dtype=bool)
    reach = int(offsets[real, 1].max()) if real.any() else 0
    for k, (start, end, _, _) in enumerate(spans):
        inside = real & (offsets[:, 0] < end) & (offsets[:, 1] > start)
        if end > reach or not inside.any():
            missed.append((k, (start, end)))
            continue
        mean = tokens[inside].mean(axis=0)
        rows[k] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return rows, missed
