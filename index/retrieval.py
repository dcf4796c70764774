"""Hybrid retrieval as a Haystack pipeline, three rankings fused by reciprocal rank (Haystack's
DocumentJoiner):

- keyword (1.0): BM25 over per-language stems, on the question's words in every language of the
  index plus their translations (the glossary's and lexicon's other-language forms, and the
  nearest indexed words by multilingual vector: index/translation.py), each word a group of
  alternatives (index/keyword.py);
- dense (0.3): all-MiniLM-L6-v2 -> Chroma (English-only model);
- multilingual (1.0): multilingual dense retrieval over word windows, only passages in another
  language than the question's and only when they match about as well as its own language's
  best (index/multilingual.py).

Chroma's scores are distances, so only ranks are fused, never raw scores. Weights chosen on the
two gold sets (eval/gold/qa.jsonl and qa-crosslingual.jsonl): README, cross-lingual search."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
from haystack import Document, Pipeline, component

from .keyword import FilterMasks, Group, KeywordRetriever
from .onnx_encoder import OnnxTextEncoder
from .settings import local_model_path
from .store import PassageIndex
from .threads import query_threads

KEYWORD_WEIGHT, DENSE_WEIGHT, MULTILINGUAL_WEIGHT = 1.0, 0.3, 1.0
TRANSLATIONS = ("glossary", "vocabulary")  # what joins the keyword query: glossary/lexicon forms, vocabulary translations
OVERFETCH, OVERFETCH_MAX = 2.0, 2000  # a filtered dense search reads k / share * 2 nearest, at most 2,000 (DenseRetriever._nearest)
QUERY_WORKERS = 4  # threads embedding questions beside their translation (HybridRetriever.retrieve_evidence)
MULTILINGUAL_CROSS_ONLY = True  # the multilingual retriever returns only passages in another language than the question's


@dataclass
class QueryTranslations:
    """What joined a question in the keyword query: (question words, language, translations)
    from the glossary/lexicon and from the vocabulary vectors, and the keyword groups they make."""

    language: str
    glossary: list[tuple[str, str, list[str]]] = field(default_factory=list)
    vocabulary: list[tuple[str, str, list[str]]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def as_list(self) -> list[dict[str, Any]]:
        """For answers (JSON, CLI, app): each source with its words, by origin."""
        return [{"source": src, "language": lang, "words": words, "origin": origin}
                for origin, items in (("glossary", self.glossary), ("vocabulary", self.vocabulary))
                for src, lang, words in items]


@dataclass
class Fused:
    """The first stage's answer: fused passages, the query's dense embedding, and per passage id
    what each retriever said of it: name -> (0-based rank, score; BM25 score for the keyword
    retriever, Chroma distance for the dense one, cosine for the multilingual one)."""

    documents: list[Document]
    embedding: list[float]
    evidence: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)
    translations: "QueryTranslations | None" = None  # what joined the question in the keyword ranking


@component
class RankFusion:
    """Reciprocal rank fusion (Haystack's DocumentJoiner) of named rankings in a fixed order:
    keyword, dense, multilingual. A variadic joiner socket receives its lists in
    execution order, which changes with the pipeline's shape, and the weights follow list order;
    named inputs keep each weight on its retriever."""

    def __init__(self, weights: list[float], passages: dict[str, Document] | None = None):
        from haystack.components.joiners import DocumentJoiner

        self.joiner = DocumentJoiner(join_mode="reciprocal_rank_fusion", weights=weights)
        self.passages = passages  # id -> passage: retrievers hand on ids and scores, the fused get their text here

    @component.output_types(documents=list[Document], evidence=dict)
    def run(self, keyword: list[Document], dense: list[Document], multilingual: list[Document] | None = None,
            top_k: int | None = None) -> dict[str, Any]:
        """The fused ``documents`` and the ``evidence``: passage id -> retriever name -> (0-based
        rank, score) in the rankings it was given."""
        named = [("keyword", keyword), ("dense", dense)] + ([("multilingual", multilingual)] if multilingual is not None else [])
        evidence: dict[str, dict[str, tuple[int, float]]] = {}
        for name, docs in named:
            for rank, d in enumerate(docs):
                evidence.setdefault(d.id, {})[name] = (rank, float(d.score or 0.0))
        out = self.joiner.run(documents=[docs for _, docs in named], top_k=top_k)["documents"]
        return {"documents": hydrate(out, self.passages), "evidence": evidence}


def hydrate(documents: list[Document], passages: dict[str, Document] | None) -> list[Document]:
    """``documents`` (ids and scores) with their passages' text and metadata, when ``passages``
    holds them."""
    if passages is None:
        return documents
    out = []
    for d in documents:
        p = passages.get(d.id)
        out.append(d if p is None else Document(id=p.id, content=p.content, meta=p.meta, score=d.score))
    return out


@component
class DenseRetriever:
    """The question embedded by Haystack's SentenceTransformersTextEmbedder, then its nearest
    passages by Haystack's ChromaEmbeddingRetriever, in one component. A pipeline deep-copies
    every input it hands from one component to the next: the 384 floats of the embedding and
    each passage's vector cost a third of a warm question's time. ``light``: ids and scores only
    (the hybrid pipeline's fusion looks the fused passages up; copying 90 passages' metadata cost
    another 40 ms a question), asked of Chroma by ``nearest`` (``ChromaPassages.nearest``: ids and
    distances only) when given."""

    def __init__(self, document_store: Any, model: str, top_k: int, light: bool = False,
                 nearest: Callable[..., list[tuple[str, float]]] | None = None,
                 onnx_cache: Path | None = None, use_onnx: bool = True,
                 masks: Callable[[], FilterMasks] | None = None):
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersTextEmbedder,
        )
        from haystack_integrations.components.retrievers.chroma import ChromaEmbeddingRetriever

        self.embedder = SentenceTransformersTextEmbedder(model=model, local_files_only=True,
                                                         normalize_embeddings=True, progress_bar=False)
        self.retriever = ChromaEmbeddingRetriever(document_store=document_store, top_k=top_k)
        self.light = light
        self.nearest = nearest
        self.top_k = top_k
        self.onnx = OnnxTextEncoder(onnx_cache) if use_onnx else None
        self.masks = masks

    def warm_up(self) -> None:
        self.embedder.warm_up()
        if self.onnx is not None:
            self.onnx.warm_up(self.embedder.embedding_backend.model)

    def embed(self, text: str) -> list[float]:
        """The question's normalised embedding: ONNX Runtime when its vectors match torch's
        (index/onnx_encoder.py), else torch, on the question's threads."""
        if self.onnx is not None and self.onnx.ready:
            return self.onnx.encode([text or ""])[0].tolist()
        with query_threads():
            return self.embedder.run(text=text or "")["embedding"]

    def _nearest(self, embedding: list[float], k: int, filters: dict[str, Any] | None) -> list[tuple[str, float]]:
        """The ``k`` nearest passages that pass ``filters``. Chroma's metadata filter took 50-360
        ms at 50k passages (eval/results/bench-query-*.json); its unfiltered search takes ~8 ms
        for 600 hits, and a search among given ids 6-27 ms. So a filter keeping a share s of the
        passages first reads the nearest ``k / s * OVERFETCH`` unfiltered (at most
        ``OVERFETCH_MAX``) and keeps those the filter's row mask passes: when at least ``k`` pass
        (or every passage was read) they are the nearest ``k`` passing. Otherwise Chroma searches
        among the passing ids. Either way the hits are those of Chroma's filtered search."""
        if not filters or self.masks is None:
            return self.nearest(embedding, k, filters)
        masks = self.masks()
        mask = masks.mask(filters)
        share = float(mask.mean()) if len(mask) else 0.0
        wanted = int(np.ceil(k / share * OVERFETCH)) if share > 0 else OVERFETCH_MAX + 1
        if wanted <= OVERFETCH_MAX:
            hits = self.nearest(embedding, wanted, None)
            kept = [(pid, d) for pid, d in hits if (row := masks.row(pid)) >= 0 and mask[row]]
            if len(kept) >= k or len(hits) < wanted:
                return kept[:k]
        return self.nearest(embedding, k, None, ids=[masks.ids[i] for i in np.flatnonzero(mask)])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Normalised embeddings of several texts (answer sentences), as ``embed``."""
        if self.onnx is not None and self.onnx.ready:
            return self.onnx.encode(texts, batch_size=batch_size)
        with query_threads():
            return self.embedder.embedding_backend.embed(texts, batch_size=batch_size, normalize_embeddings=True,
                                                         show_progress_bar=False)

    @component.output_types(documents=list[Document], embedding=list[float])
    def run(self, text: str | None = None, query_embedding: Any = None,
            filters: dict[str, Any] | None = None, top_k: int | None = None) -> dict[str, Any]:
        """Passages nearest ``text`` (or an embedding given: floats, or a numpy vector, which a
        pipeline hands on without copying; Haystack deep-copies a list of 384 floats element by
        element, 29 ms here), and the embedding."""
        if query_embedding is None:
            query_embedding = self.embed(text or "")
        query_embedding = [float(x) for x in query_embedding]  # a numpy vector passes a pipeline uncopied
        if self.light and self.nearest is not None:
            hits = self._nearest(query_embedding, top_k or self.top_k, filters)
            return {"documents": [Document(id=i, score=d) for i, d in hits], "embedding": query_embedding}
        docs = self.retriever.run(query_embedding=query_embedding, filters=filters, top_k=top_k)["documents"]
        if self.light:
            docs = [Document(id=d.id, score=d.score) for d in docs]
        else:
            docs = [Document(id=d.id, content=d.content, meta=d.meta, score=d.score) for d in docs]
        return {"documents": docs, "embedding": query_embedding}


@lru_cache(maxsize=1)
def _workers() -> ThreadPoolExecutor:
    """Threads for the questions' MiniLM passes (a few: questions answered at once each need one)."""
    return ThreadPoolExecutor(max_workers=QUERY_WORKERS, thread_name_prefix="ris3-query")


class HybridRetriever:
    """:param candidates: how many passages each retriever contributes before fusion.
    :param weights: (keyword, dense, multilingual) weights of the reciprocal rank fusion; a zero
        multilingual weight leaves that retriever out of the pipeline.
    :param translations: what joins the question in the keyword ranking: ``"glossary"`` (the
        glossary's and lexicon's other-language forms), ``"vocabulary"`` (nearest indexed words
        by multilingual vector); empty for the question's own words only.
    :param cross_only: the multilingual retriever returns only passages in another language."""

    def __init__(self, index: PassageIndex, candidates: int = 30,
                 weights: tuple[float, ...] = (KEYWORD_WEIGHT, DENSE_WEIGHT, MULTILINGUAL_WEIGHT),
                 translations: tuple[str, ...] = TRANSLATIONS, cross_only: bool = MULTILINGUAL_CROSS_ONLY):
        unknown = set(translations) - set(TRANSLATIONS)
        if unknown:
            raise ValueError(f"unknown translation source(s) {sorted(unknown)}; use {', '.join(TRANSLATIONS)}")
        self.index = index
        self.translations = tuple(translations)
        self.cross_only = cross_only
        self.candidates = candidates
        self.weights = tuple(weights) + (0.0,) * (3 - len(weights))
        self._languages: frozenset[str] | None = None
        self._translator = None
        self._pipeline: Pipeline | None = None

    def warm_up(self) -> None:
        if self._pipeline is not None:
            return
        from nlp.glossary import expand_query
        from nlp.language import question_language

        p = Pipeline()
        keyword = KeywordRetriever(index=self.index.keyword_index, documents=self.index.passages(),
                                   top_k=self.candidates, light=True)
        p.add_component("dense", DenseRetriever(document_store=self.index.document_store, model=local_model_path(),
                                                top_k=self.candidates, light=True,
                                                nearest=self.index.chroma.nearest,
                                                onnx_cache=self.index.folder / "onnx", masks=keyword.filter_masks))
        p.add_component("keyword", keyword)
        if self.weights[2] > 0:
            from .multilingual import MultilingualRetriever

            p.add_component("multilingual", MultilingualRetriever(index=self.index, top_k=self.candidates, light=True))
        # tests/test_answers.py pins which weight goes to which retriever.
        p.add_component("joiner", RankFusion(weights=list(self.weights[:2]) + ([self.weights[2]] if self.weights[2] > 0 else []),
                                             passages=self.index.passages()))
        p.connect("keyword.documents", "joiner.keyword")
        p.connect("dense.documents", "joiner.dense")
        if self.weights[2] > 0:
            p.connect("multilingual.documents", "joiner.multilingual")
        p.warm_up()
        expand_query("warm up")  # builds the stemmed glossary once
        question_language("warm up")  # loads the word lists
        from nlp.language import detect_language

        detect_language("Strategie für intelligente Spezialisierung")  # loads langdetect's profiles (~1 s), not in a question
        if "vocabulary" in self.translations:
            from .translation import QueryTranslator

            self._translator = QueryTranslator(self.index)
            self._translator.warm_up()
        self._pipeline = p

    def component(self, name: str):
        """One of the pipeline's components: ``dense``, ``keyword``, ``multilingual``, ``joiner``."""
        self.warm_up()
        return self._pipeline.get_component(name)

    @property
    def embedder(self):
        """The dense model's Haystack text embedder."""
        return self.component("dense").embedder

    def encode(self, texts: list[str]):
        """L2-normalised embeddings of ``texts`` with the dense model (the one that embedded the
        passages): answer sentences not stored at ingestion are scored with it."""
        return self.component("dense").encode(texts)

    def retrieve(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8,
                 translations: QueryTranslations | None = None) -> tuple[list[Document], list[float]]:
        """Fused passages (best first, ``score`` = RRF score) and the query embedding;
        ``translations``: the question's, when the caller has them already (``translate``)."""
        fused = self.retrieve_evidence(query, filters, top_k, translations)
        return fused.documents, fused.embedding

    def retrieve_evidence(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8,
                          translations: QueryTranslations | None = None) -> "Fused":
        """``retrieve`` with what each retriever said of each passage (``Fused.evidence``)."""
        self.warm_up()
        # The question's MiniLM pass (a third of the first stage) runs on a worker thread while
        # this one translates the question: torch leaves the interpreter during its products, so
        # on two cores the two overlap (eval/results/bench-query-*.json, "overlap").
        pending = _workers().submit(self.component("dense").embed, query)
        try:
            translations = translations or self.translate(query)
        finally:
            embedding = pending.result()
        language = translations.language
        inputs = {
            "dense": {"query_embedding": np.asarray(embedding, dtype=np.float32), "filters": filters,
                      "top_k": self.candidates},
            "keyword": {"query": query, "language": language, "groups": translations.groups,
                        "filters": filters, "top_k": self.candidates},
            "joiner": {"top_k": top_k},
        }
        if self.weights[2] > 0:
            inputs["multilingual"] = {"query": query, "filters": filters, "top_k": self.candidates,
                                      "other_than": language if self.cross_only else None}
        result = self._pipeline.run(inputs)
        return Fused(result["joiner"]["documents"], embedding, result["joiner"]["evidence"], translations)

    def translate(self, query: str, language: str | None = None) -> QueryTranslations:
        """The question's words in the other languages of the index: the glossary's and lexicon's
        forms of the concepts it names, and the nearest indexed words by multilingual vector
        (index/translation.py), with the keyword groups of alternatives they make."""
        from nlp.language import question_language

        language = language or question_language(query)
        kw = self.index.keyword_index
        out = QueryTranslations(language)
        groups, covered = [], set()
        if "glossary" in self.translations:
            from nlp.glossary import expand_query

            e = expand_query(query, self._index_languages())
            for source, group in zip(e.sources, e.groups):
                for lang in dict.fromkeys(lang for _, lang in group):
                    out.glossary.append((source, lang, [f for f, x in group if x == lang]))
                groups.append(kw.form_group(group))
                covered.update(w.lower() for w in source.split())
        if "vocabulary" in self.translations:
            self.warm_up()
            for t in self._translator.translate(query, language, frozenset(covered)):
                out.vocabulary.append((t.source, t.language, [w for w, _ in t.words]))
                groups.append(kw.form_group((w, t.language) for w, _ in t.words))
        out.groups = [g for g in dict.fromkeys(groups) if g]
        return out

    def _index_languages(self) -> frozenset[str]:
        if self._languages is None:
            self._languages = frozenset(self.index.keyword_index.languages)
        return self._languages

    def retrieve_keyword(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8,
                         translated: bool = False) -> list[Document]:
        """The keyword ranking alone, for comparisons: the question's own words, or with
        ``translated`` the question and its translations as the pipeline runs it."""
        from nlp.language import question_language

        self.warm_up()
        language = question_language(query)
        groups = self.translate(query, language).groups if translated else None
        docs = self._pipeline.get_component("keyword").run(query=query, language=language, groups=groups,
                                                           filters=filters, top_k=top_k)["documents"]
        return hydrate(docs, self.index.passages())

    def retrieve_multilingual(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """The multilingual retriever alone, for comparisons."""
        from .multilingual import MultilingualRetriever

        r = MultilingualRetriever(index=self.index, top_k=top_k)
        return r.run(query=query, filters=filters, top_k=top_k)["documents"]

    def retrieve_dense(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """Dense retrieval alone (query embedding -> Chroma), for comparisons."""
        self.warm_up()
        embedding = self.embedder.run(text=query)["embedding"]
        docs = self._pipeline.get_component("dense").run(query_embedding=embedding, filters=filters,
                                                        top_k=top_k)["documents"]
        return hydrate(docs, self.index.passages())
