"""The Asker: retrieval and answer selection over one index, models loaded once. The CLI, the app,
the analysis layer and the evaluation all answer through it. No UI code, no environment here."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from haystack import Document

from index.filters import FILTER_FIELDS
from index.retrieval import Fused, HybridRetriever, QueryTranslations
from index.store import PassageIndex

from .abstain import Absence, AbsenceSettings, FocusCheck, settle
from .answer import AnswerBuilder
from .rerank import EvidenceReranker, RerankSettings, named_regions
from .settings import AnswerSettings
from .types import Answer

MAX_QUESTION_CHARS = 2000
MAX_TOP_K = 100  # passages one question may return


@dataclass
class Filters:
    """What a user narrows a question to (``index.filters.FILTER_FIELDS`` plus ``tag``)."""

    region: str | None = None
    country: str | None = None
    doc_type: str | None = None
    language: str | None = None
    year: str | None = None
    doc_id: str | None = None
    tag: str | None = None  # concept or domain ids, comma = any of

    @classmethod
    def from_mapping(cls, values: dict) -> "Filters":
        """The filter fields of ``values`` (e.g. a batch line); other keys are ignored."""
        return cls(**{k: values.get(k) for k in (*FILTER_FIELDS, "tag")})


def clean_question(question: str) -> str:
    """Printable characters with single spaces; ValueError for an empty or overlong question."""
    question = " ".join("".join(ch if ch.isprintable() else " " for ch in (question or "")).split())
    if not question:
        raise ValueError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise ValueError(f"the question is {len(question):,} characters long; ask in at most "
                         f"{MAX_QUESTION_CHARS:,} (a question, not a document: to search a text, add it as a document)")
    return question


def check_top_k(top_k) -> int | None:
    """``top_k`` when it is None or a whole number 1..MAX_TOP_K; ValueError otherwise."""
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k must be a whole number from 1 to {MAX_TOP_K}, got {top_k!r}")
    return top_k


class Asker:
    """Loads the models and the index once; answers many questions.

    :param index: the passage index to answer from.
    :param settings: how many passages are returned and how answer sentences are chosen.
    :param rerank: the second stage's depth and weights (``qa.rerank``); None for the fused
        ranking alone.
    :param absence: what makes a question's focus terms (``qa.abstain``); None never abstains
        for an unmentioned term."""

    def __init__(self, index: PassageIndex, settings: AnswerSettings | None = None,
                 rerank: RerankSettings | None = RerankSettings(),
                 absence: AbsenceSettings | None = AbsenceSettings()):
        self.settings = settings or AnswerSettings()
        self.rerank_settings = rerank
        self.absence_settings = absence
        self.focus: FocusCheck | None = None
        self.regions: list[str] = []
        self.index = index
        self.retriever = HybridRetriever(self.index)
        self.reranker: EvidenceReranker | None = None
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
        from index.multilingual import MultilingualEncoder, window_scores

        encoder = MultilingualEncoder()
        self.regions = sorted({r.strip() for d in self.index.documents()
                               for r in str(d.meta.get("region", "")).split(";") if r.strip()})
        self.reranker = EvidenceReranker(
            self.rerank_settings or RerankSettings(), idf=self.index.keyword_index.idf,
            stored_vectors=self.index.sentence_vectors,
            multilingual=lambda question, ids: window_scores(self.index, encoder, question, ids),
            regions=self.regions)
        if self.absence_settings is not None:
            self.focus = FocusCheck(self.index, self.absence_settings)
            self.focus.warm_up()
        self._builder = self.answer_builder(self.settings)
        self._builder.warm_up()

    def answer_builder(self, settings: AnswerSettings) -> AnswerBuilder:
        """An answer builder on this index's models and vectors with other ``settings`` (the
        evaluation compares settings on the same searched passages)."""
        from index.multilingual import MultilingualEncoder

        return AnswerBuilder(embed=self.retriever.encode, settings=settings, idf=self.index.keyword_index.idf,
                             stored_vectors=self.index.sentence_vectors, multilingual=MultilingualEncoder().encode)

    def fused(self, question: str, filters: dict | None = None, top_k: int = 8,
              translations: QueryTranslations | None = None) -> tuple[Fused, QueryTranslations]:
        """The first stage: fused passages with each retriever's evidence, and the question's
        translations."""
        if self._builder is None:
            self.warm_up()
        first = self.retriever.retrieve_evidence(question, filters, top_k=top_k, translations=translations)
        return first, first.translations

    def search(self, question: str, filters: dict | None = None, top_k: int = 8,
               translations: QueryTranslations | None = None) -> tuple[list[Document], list[float], QueryTranslations]:
        """Both stages: fused passages re-ranked with sentence evidence (unless re-ranking is
        off); returns (passages, query embedding, translations)."""
        depth = self.reranker.settings.depth if self.rerank_settings else top_k
        first, translations = self.fused(question, filters, max(top_k, depth), translations)
        passages = first.documents
        if self.rerank_settings:
            passages = self.reranker.rerank(question, passages, first.embedding, translations.language,
                                            translations.as_list(), top_k=max(top_k, depth),
                                            evidence=first.evidence, candidates=self.retriever.candidates)
        return passages[:top_k], first.embedding, translations

    def ask(self, question: str, filters: Filters | None = None, top_k: int | None = None,
            keep: Callable[[Document], bool] | None = None) -> Answer:
        """Answer from the passages that pass the filters (and ``keep``, a passage test such as
        ``Region.keeps`` for a region's share of a document that covers several regions)."""
        question = clean_question(question)
        top_k = check_top_k(top_k)
        if self.index.passage_count() == 0:
            raise ValueError("the index is empty: run 'ris3 ingest' first")
        if self._builder is None:
            self.warm_up()
        started = time.perf_counter()
        f = self.index.resolve_filters(**vars(filters or Filters()))
        k = top_k or self.settings.top_k
        if keep is None:
            passages, q_emb, translations = self.search(question, f, top_k=k)
        else:
            passages, q_emb, translations = self.search(question, f, top_k=2 * self.retriever.candidates)
            passages = [p for p in passages if keep(p)][:k]
        answer = self._builder.build(question, passages, q_emb, translations.language, translations.as_list())
        if not answer.missing and self.absence_settings is not None:
            answer = settle(answer, self.absence(question, filters or Filters(), f, translations),
                            self.absence_settings.confident, self.absence_settings.absent_share)
        answer.question_language = translations.language
        answer.translations = translations.as_list()
        answer.elapsed_ms = (time.perf_counter() - started) * 1000
        return answer

    def absence(self, question: str, filters: Filters, resolved: dict | None,
                translations: QueryTranslations) -> Absence | None:
        """The question's focus terms that its scope never mentions (``qa.abstain``): the scope
        is the filters, else the regions the question names, else the corpus."""
        if self.focus is None:
            return None
        named = set(named_regions(question, self.regions))
        if resolved:
            title = None
            if filters.doc_id:
                record = self.index.document(filters.doc_id)
                title = (record.meta.get("title") or record.doc_id) if record else None
            name = title or (f"The {filters.region} documents" if filters.region else "The documents searched")
            return self.focus.check(question, translations, resolved, named, name)
        if named:
            heads = sorted({r.partition("(")[0].strip() for r in named})
            scope = self.index.resolve_filters(region=",".join(heads))
            return self.focus.check(question, translations, scope, named, f"The {' and '.join(heads)} documents")
        return self.focus.check(question, translations, None, named, "The corpus")
