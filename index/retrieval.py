"""Hybrid retrieval as a Haystack pipeline, four rankings fused by reciprocal rank (Haystack's
DocumentJoiner): BM25 keyword retrieval (0.7), dense retrieval with all-MiniLM-L6-v2 -> Chroma
(0.3), multilingual dense retrieval over word windows (1.0; only passages in another language
than the question's, and only when they match about as well as its own language's best:
index/multilingual.py), and BM25 on the question expanded with the glossary's and lexicon's
other-language terms (0.2; nlp/glossary.py). Chroma's scores are distances, so only ranks are
fused, never raw scores. Weights chosen on the two gold sets (eval/gold/qa.jsonl and
qa-crosslingual.jsonl): README, cross-lingual search."""
from __future__ import annotations

from typing import Any

from haystack import Document, Pipeline, component

from .keyword import KeywordRetriever
from .settings import local_model_path
from .store import PassageIndex


KEYWORD_WEIGHT, DENSE_WEIGHT, MULTILINGUAL_WEIGHT = 0.7, 0.3, 1.0
EXPAND_QUERIES = False  # expand the main keyword query itself (measured worse than a separate list)
EXPANSION_WEIGHT = 0.2  # weight of a second keyword ranking, on the glossary/lexicon-expanded query (nlp/glossary.py)
MULTILINGUAL_CROSS_ONLY = True  # the multilingual retriever returns only passages in another language than the question's


@component
class RankFusion:
    """Reciprocal rank fusion (Haystack's DocumentJoiner) of named rankings in a fixed order:
    keyword, dense, multilingual, expanded keyword. A variadic joiner socket receives its lists in
    execution order, which changes with the pipeline's shape, and the weights follow list order;
    named inputs keep each weight on its retriever."""

    def __init__(self, weights: list[float]):
        from haystack.components.joiners import DocumentJoiner

        self.joiner = DocumentJoiner(join_mode="reciprocal_rank_fusion", weights=weights)

    @component.output_types(documents=list[Document])
    def run(self, keyword: list[Document], dense: list[Document], multilingual: list[Document] | None = None,
            expanded: list[Document] | None = None, top_k: int | None = None) -> dict[str, Any]:
        lists = [keyword, dense] + [x for x in (multilingual, expanded) if x is not None]
        return self.joiner.run(documents=lists, top_k=top_k)


class HybridRetriever:
    """:param candidates: how many passages each retriever contributes before fusion.
    :param weights: (keyword, dense, multilingual) weights of the reciprocal rank fusion; a zero
    weight leaves that retriever out of the pipeline."""

    def __init__(self, index: PassageIndex, candidates: int = 30,
                 weights: tuple[float, ...] = (KEYWORD_WEIGHT, DENSE_WEIGHT, MULTILINGUAL_WEIGHT),
                 expand: bool = EXPAND_QUERIES, cross_only: bool = MULTILINGUAL_CROSS_ONLY,
                 expansion_weight: float = EXPANSION_WEIGHT):
        self.index = index
        self.expansion_weight = expansion_weight
        self.cross_only = cross_only
        self.expand = expand
        self._languages: frozenset[str] | None = None
        self.candidates = candidates
        self.weights = tuple(weights) + (0.0,) * (3 - len(weights))
        self._pipeline: Pipeline | None = None

    def warm_up(self) -> None:
        if self._pipeline is not None:
            return
        from haystack_integrations.components.embedders.sentence_transformers import SentenceTransformersTextEmbedder
        from haystack_integrations.components.retrievers.chroma import ChromaEmbeddingRetriever

        p = Pipeline()
        p.add_component("text_embedder", SentenceTransformersTextEmbedder(
            model=local_model_path(), local_files_only=True, normalize_embeddings=True, progress_bar=False))
        p.add_component("dense", ChromaEmbeddingRetriever(document_store=self.index.document_store, top_k=self.candidates))
        p.add_component("keyword", KeywordRetriever(
            index=self.index.keyword_index, documents=self.index.passages(), top_k=self.candidates))
        p.connect("text_embedder.embedding", "dense.query_embedding")
        if self.weights[2] > 0:
            from .multilingual import MultilingualRetriever

            p.add_component("multilingual", MultilingualRetriever(index=self.index, top_k=self.candidates))
        if self.expansion_weight > 0:
            p.add_component("expanded", KeywordRetriever(
                index=self.index.keyword_index, documents=self.index.passages(), top_k=self.candidates))
        # tests/test_answers.py pins which weight goes to which retriever.
        p.add_component("joiner", RankFusion(weights=list(self._active_weights())))
        p.connect("keyword.documents", "joiner.keyword")
        p.connect("dense.documents", "joiner.dense")
        if self.weights[2] > 0:
            p.connect("multilingual.documents", "joiner.multilingual")
        if self.expansion_weight > 0:
            p.connect("expanded.documents", "joiner.expanded")
        p.warm_up()
        if self.expand or self.expansion_weight > 0:
            from nlp.glossary import expand_query
            from nlp.language import question_language

            expand_query("warm up")  # builds the stemmed glossary once
            question_language("warm up")  # loads the word lists
        self._pipeline = p

    def _active_weights(self) -> tuple[float, ...]:
        """Weights of the fused lists, in order: keyword, dense, [multilingual], [expanded keyword]."""
        out = list(self.weights[:2]) + ([self.weights[2]] if self.weights[2] > 0 else [])
        return tuple(out + ([self.expansion_weight] if self.expansion_weight > 0 else []))

    @property
    def embedder(self):
        self.warm_up()
        return self._pipeline.get_component("text_embedder")

    def retrieve(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> tuple[list[Document], list[float]]:
        """Fused passages (best first, ``score`` = RRF score) and the query embedding."""
        self.warm_up()
        inputs = {
            "text_embedder": {"text": query},
            "dense": {"filters": filters, "top_k": self.candidates},
            "keyword": {"query": self.keyword_query(query), "filters": filters, "top_k": self.candidates},
        }
        if self.expansion_weight > 0:
            inputs["expanded"] = {"query": self._expanded(query), "filters": filters, "top_k": self.candidates}
        if self.weights[2] > 0:
            from nlp.language import question_language

            inputs["multilingual"] = {"query": query, "filters": filters, "top_k": self.candidates,
                                      "other_than": question_language(query) if self.cross_only else None}
        inputs["joiner"] = {"top_k": top_k}
        result = self._pipeline.run(inputs, include_outputs_from={"text_embedder"})
        return result["joiner"]["documents"], result["text_embedder"]["embedding"]

    def keyword_query(self, query: str) -> str:
        """The question as the main keyword retriever reads it (expanded only with ``expand``)."""
        return self._expanded(query) if self.expand else query

    def _expanded(self, query: str) -> str:
        """The question with the other-language forms of the glossary and lexicon terms it names,
        in the languages of the indexed passages."""
        from nlp.glossary import expand_query

        if self._languages is None:
            self._languages = frozenset(p.meta.get("passage_language") or p.meta.get("language") or "en"
                                        for p in self.index.passages().values())
        return expand_query(query, self._languages).text

    def retrieve_keyword(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """BM25 alone (the keyword retriever of the pipeline), for comparisons."""
        self.warm_up()
        return self._pipeline.get_component("keyword").run(query=self.keyword_query(query), filters=filters,
                                                           top_k=top_k)["documents"]

    def retrieve_multilingual(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """The multilingual retriever alone, for comparisons."""
        from .multilingual import MultilingualRetriever

        r = MultilingualRetriever(index=self.index, top_k=top_k)
        return r.run(query=query, filters=filters, top_k=top_k)["documents"]

    def retrieve_dense(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """Dense retrieval alone (query embedding -> Chroma), for comparisons."""
        self.warm_up()
        embedding = self.embedder.run(text=query)["embedding"]
        return self._pipeline.get_component("dense").run(query_embedding=embedding, filters=filters,
                                                        top_k=top_k)["documents"]
