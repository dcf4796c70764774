"""Second-stage re-ranking of the fused passages with sentence-level evidence.

Reciprocal rank fusion only sees ranks: a passage that two retrievers place 8th beats one that
the keyword ranking places 1st and the dense ranking misses. The re-ranker looks at the text of
the fused top ``RerankSettings.depth`` passages and scores each by a weighted sum of features,
all in [0, 1]:

- ``fused``: the passage's fusion score relative to the best one (what the first stage thinks);
- ``keyword``, ``dense``, ``multilingual``: what each retriever said of it: 1 for its first
  passage down to 0 past its last (``1 - rank / candidates``), 0 when it did not return it;
- ``sentence``: the best cosine similarity between the question and one of the passage's
  sentences (stored sentence vectors of the dense model); for a passage in another language than
  the question's, its best stored multilingual window instead (the English model cannot compare
  them);
- ``coverage``: the idf-weighted share of the question's terms in the passage;
- ``proximity``: the same share within the best window of a sentence and its neighbours (terms
  near each other answer together);
- ``heading``: the share of the question's terms in the passage's first line or section heading;
- ``region``: the passage is about a region the question names (1), or the question names a
  region and the passage is about none of them (0); 0.5 when the question names none.

The weights are ``RerankSettings`` fields, chosen on the dev half of the held-out gold questions
(``ris3 eval rerank``; docs/evaluation.md) and reported on its test half. On dev the dense,
multilingual and region features earned weight 0 (they stay, measured, at 0: the
dense and multilingual rankings still choose the candidates; a region the user means is a
filter, ``--region``).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
from haystack import Document

from nlp.passages import sentence_spans
from nlp.regions import passage_regions
from nlp.text import fold, passage_language

from .terms import TermMatcher, content_terms, stems_of, translated_terms, weight_of

FEATURES = ("fused", "keyword", "dense", "multilingual", "sentence", "coverage", "proximity", "heading", "region")
_RETRIEVERS = ("keyword", "dense", "multilingual")


@dataclass(frozen=True)
class RerankSettings:
    depth: int = 40
    """How many fused passages the second stage re-ranks (the rest keep their fused order below)."""
    fused: float = 1.0
    """Weight of the first stage's fusion score (relative to the best candidate's)."""
    keyword: float = 1.5
    """Weight of the passage's rank in the keyword (BM25) ranking."""
    dense: float = 0.0
    """Weight of its rank in the dense ranking."""
    multilingual: float = 0.0
    """Weight of its rank in the multilingual ranking."""
    sentence: float = 1.0
    """Weight of the best sentence similarity with the question."""
    coverage: float = 0.2
    """Weight of the idf-weighted share of the question's terms in the passage."""
    proximity: float = 0.35
    """Weight of that share within the best sentence window."""
    heading: float = 0.1
    """Weight of the question's terms in the passage's first line (its heading, if any)."""
    region: float = 0.0
    """Weight of the passage being about a region the question names."""

    def __post_init__(self):
        if not 1 <= self.depth <= 200:
            raise ValueError(f"depth must be 1..200, got {self.depth}")

    def weights(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float32)

    def as_dict(self) -> dict:
        return asdict(self)


def _sentences(spans, text: str) -> list[str]:
    """The passage's sentences (the whole text when it has no sentence map)."""
    return [text[a:b] for a, b, _, _ in spans] or [text]


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", fold(text)).split())


def named_regions(question: str, regions: Iterable[str]) -> set[str]:
    """The region names (as the index spells them) that the question names, accent- and
    case-insensitively, as whole words ("Wurttemberg" names "Baden-Württemberg" only in full).
    A name with a part in brackets is also named by the part before the brackets and by each
    name inside them: "Northern Netherlands (Groningen, Fryslân, Drenthe)" by "Northern
    Netherlands" or "Groningen", "Estonia (national)" by "Estonia"."""
    q = f" {_plain(question)} "
    out = set()
    for r in regions:
        head, _, inside = r.partition("(")
        variants = [r, head] + [v for v in inside.rstrip(")").split(",") if not any(ch.isdigit() for ch in v)]
        for v in variants:
            key = _plain(v)
            if len(key) >= 4 and key not in _NOT_NAMES and f" {key} " in q:
                out.add(r)
                break
    return out


_NOT_NAMES = {"national", "regions"}  # bracketed coverage notes, not names: "Lithuania (national)", "Czechia (14 regions)"


class EvidenceReranker:
    """:param settings: depth and feature weights.
    :param idf: lower-case word -> BM25 idf (the keyword index's).
    :param stored_vectors: passage ids -> one stored embedding per sentence.
    :param multilingual: (question, passage ids) -> each passage's best cosine with the
        question over its stored multilingual windows (``index.multilingual.window_scores``), for
        passages in another language than the question's (optional).
    :param regions: the region names of the indexed documents."""

    def __init__(self, settings: RerankSettings | None = None, idf: Callable[[str], float] | None = None,
                 stored_vectors: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
                 multilingual: Callable[[str, list[str]], np.ndarray] | None = None,
                 regions: Sequence[str] = ()):
        self.settings = settings or RerankSettings()
        self.idf = idf
        self.stored_vectors = stored_vectors
        self.multilingual = multilingual
        self.regions = tuple(regions)

    def features(self, question: str, passages: list[Document], query_embedding: Sequence[float] | None,
                 language: str = "", translations: Sequence[dict] = (),
                 evidence: Mapping[str, Mapping[str, tuple[int, float]]] | None = None,
                 candidates: int = 30) -> np.ndarray:
        """One row of ``FEATURES`` per passage; ``evidence``: passage id -> retriever -> (rank,
        score), as ``index.retrieval.Fused`` gives it, out of ``candidates`` per retriever."""
        n = len(passages)
        out = np.zeros((n, len(FEATURES)), dtype=np.float32)
        if not n:
            return out
        scores = np.array([float(p.score or 0.0) for p in passages], dtype=np.float32)
        out[:, 0] = scores / scores.max() if scores.max() > 0 else 1.0 / (1 + np.arange(n))
        col = {f: i for i, f in enumerate(FEATURES)}
        for i, p in enumerate(passages):
            for name, (rank, _score) in (evidence or {}).get(p.id, {}).items():
                if name in _RETRIEVERS:
                    out[i, col[name]] = max(0.0, 1.0 - rank / max(candidates, 1))
        q_terms = content_terms(question, self.idf)
        stored = self.stored_vectors([p.id for p in passages]) if self.stored_vectors is not None else {}
        q = np.asarray(query_embedding, dtype=np.float32) if query_embedding is not None else None
        cross = [i for i, p in enumerate(passages) if language and passage_language(p.meta) not in ("", language)]
        cross_set = set(cross)
        matchers: dict[str, TermMatcher] = {}  # by passage language ("" for the question's own)
        for i, p in enumerate(passages):
            text = p.content or ""
            spans = sentence_spans(p)
            lang = passage_language(p.meta) if i in cross_set else ""
            if lang not in matchers:
                matchers[lang] = TermMatcher(q_terms, translated_terms(translations, lang) if lang else None)
            matcher = matchers[lang]
            if q_terms:
                found = [matcher.matched(stems_of(x)) for x in _sentences(spans, text)]
                out[i, col["coverage"]] = weight_of(q_terms, set().union(*found))
                out[i, col["proximity"]] = max((weight_of(q_terms, set().union(*found[max(0, k - 1): k + 2]))
                                                for k in range(len(found))), default=0.0)
                out[i, col["heading"]] = matcher.weight(stems_of(text.strip().split("\n", 1)[0][:200]))
            vecs = stored.get(p.id)
            if q is not None and vecs is not None and len(vecs) and i not in cross_set:
                out[i, col["sentence"]] = float(np.max(vecs @ q))
        if cross and self.multilingual is not None:
            out[cross, col["sentence"]] = self.multilingual(question, [passages[i].id for i in cross])
        named = named_regions(question, self.regions)
        if named:
            folded = {fold(r) for r in named}
            out[:, col["region"]] = [1.0 if {fold(r) for r in passage_regions(p.meta, p.content or "")} & folded else 0.0 for p in passages]
        else:
            out[:, col["region"]] = 0.5
        return out

    def rerank(self, question: str, passages: list[Document], query_embedding: Sequence[float] | None,
               language: str = "", translations: Sequence[dict] = (), top_k: int | None = None,
               evidence: Mapping[str, Mapping[str, tuple[int, float]]] | None = None,
               candidates: int = 30) -> list[Document]:
        """The first ``depth`` passages re-ordered by their weighted features (``score`` set to
        it), followed by the rest in their fused order."""
        depth = self.settings.depth
        head, tail = passages[:depth], passages[depth:]
        if not head:
            return passages[:top_k] if top_k else passages
        f = self.features(question, head, query_embedding, language, translations, evidence, candidates)
        s = f @ self.settings.weights()
        order = np.argsort(-s, kind="stable")
        ranked = []
        for i in order:
            d = head[int(i)]
            ranked.append(Document(id=d.id, content=d.content, meta=d.meta, score=float(s[int(i)]),
                                   embedding=d.embedding))
        out = ranked + tail
        return out[:top_k] if top_k else out
