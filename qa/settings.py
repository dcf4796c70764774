"""How answers are chosen: every knob of the answer builder, documented, with the defaults chosen
on the dev half of the held-out gold questions by ``ris3 eval answers`` (eval/answers.py;
eval/results/answers-2026-12-02.json, chosen again when sentence vectors came to be pooled from the
passage pass; docs/evaluation.md). Built at the edge (app/settings.py) and passed down."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class AnswerSettings:
    top_k: int = 8
    """Passages returned per question (and listed under the answer)."""
    threshold: float = 0.4
    """Minimum score of the best sentence for an answer; below it the answer abstains and cites
    the nearest sentence."""
    max_sentences: int = 4
    """Most sentences in one answer."""
    passages_read: int = 8
    """How many of the top passages answer sentences are taken from."""
    min_words: int = 5
    """Shorter sentences are not candidates (headings, labels)."""
    max_words: int = 90
    """Longer "sentences" are not candidates (tables and lists read as one run of text)."""
    similarity_weight: float = 0.6
    """Weight of the sentence's cosine similarity with the question."""
    overlap_weight: float = 0.2
    """Weight of the share of the question's (idf-weighted) terms in the sentence."""
    context_weight: float = 0.2
    """Weight of the share of the question's terms in the sentence with its neighbours."""
    rank_bonus: float = 0.15
    """Bonus of a sentence from the first passage; the n-th gets rank_bonus / (1 + n)."""
    list_bonus: float = 0.1
    """Bonus of a list block (a sentence ending in ":" with the items under it) over a sentence."""
    passage_weight: float = 0.0
    """Weight of its passage's retrieval score (the re-ranker's), relative to the best passage's."""
    keep_within: float = 0.6
    """Further sentences join the answer only while within this much of the best one's score."""
    duplicate_similarity: float = 0.85
    """A sentence this similar (cosine) to a chosen one is a near-duplicate and left out."""

    def __post_init__(self):
        if not 1 <= self.max_sentences <= 10:
            raise ValueError(f"max_sentences must be 1..10, got {self.max_sentences}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {self.top_k}")

    def as_dict(self) -> dict:
        return asdict(self)
