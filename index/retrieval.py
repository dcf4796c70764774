"""Hybrid retrieval as a Haystack pipeline: a dense retriever (all-MiniLM-L6-v2 query embedding
-> Chroma) and the BM25 keyword retriever, fused by reciprocal rank (Haystack's DocumentJoiner).
Chroma's scores are distances, so only ranks are fused, never raw scores.

The keyword ranking weighs 0.7 and the dense one 0.3 in the fusion: on the gold questions
(eval/gold/qa.jsonl) BM25 alone finds the answer passage more often than dense retrieval, whose
share is kept for paraphrased and cross-language questions (README, retrieval quality)."""
from __future__ import annotations

from typing import Any

from haystack import Document, Pipeline

from .keyword import KeywordRetriever
from .settings import local_model_path
from .store import PassageIndex


KEYWORD_WEIGHT, DENSE_WEIGHT = 0.7, 0.3


class HybridRetriever:
    """:param candidates: how many passages each retriever contributes before fusion.
    :param weights: (keyword, dense) weights of the reciprocal rank fusion."""

    def __init__(self, index: PassageIndex, candidates: int = 30,
                 weights: tuple[float, float] = (KEYWORD_WEIGHT, DENSE_WEIGHT)):
        self.index = index
        self.candidates = candidates
        self.weights = weights
        self._pipeline: Pipeline | None = None

    def warm_up(self) -> None:
        if self._pipeline is not None:
            return
        from haystack.components.joiners import DocumentJoiner
        from haystack_integrations.components.embedders.sentence_transformers import SentenceTransformersTextEmbedder
        from haystack_integrations.components.retrievers.chroma import ChromaEmbeddingRetriever

        p = Pipeline()
        p.add_component("text_embedder", SentenceTransformersTextEmbedder(
            model=local_model_path(), local_files_only=True, normalize_embeddings=True, progress_bar=False))
        p.add_component("dense", ChromaEmbeddingRetriever(document_store=self.index.document_store, top_k=self.candidates))
        p.add_component("keyword", KeywordRetriever(
            index=self.index.keyword_index, documents=self.index.passages(), top_k=self.candidates))
        # weights = (keyword, dense): tests/test_answers.py pins which weight goes to which retriever.
        p.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion", weights=list(self.weights)))
        p.connect("text_embedder.embedding", "dense.query_embedding")
        p.connect("keyword.documents", "joiner.documents")
        p.connect("dense.documents", "joiner.documents")
        p.warm_up()
        self._pipeline = p

    @property
    def embedder(self):
        self.warm_up()
        return self._pipeline.get_component("text_embedder")

    def retrieve(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> tuple[list[Document], list[float]]:
        """Fused passages (best first, ``score`` = RRF score) and the query embedding."""
        self.warm_up()
        result = self._pipeline.run(
            {
                "text_embedder": {"text": query},
                "dense": {"filters": filters, "top_k": self.candidates},
                "keyword": {"query": query, "filters": filters, "top_k": self.candidates},
                "joiner": {"top_k": top_k},
            },
            include_outputs_from={"text_embedder"},
        )
        return result["joiner"]["documents"], result["text_embedder"]["embedding"]

    def retrieve_keyword(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """BM25 alone (the keyword half of the pipeline), for comparisons."""
        self.warm_up()
        return self._pipeline.get_component("keyword").run(query=query, filters=filters, top_k=top_k)["documents"]

    def retrieve_dense(self, query: str, filters: dict[str, Any] | None = None, top_k: int = 8) -> list[Document]:
        """Dense retrieval alone (query embedding -> Chroma), for comparisons."""
        self.warm_up()
        embedding = self.embedder.run(text=query)["embedding"]
        return self._pipeline.get_component("dense").run(query_embedding=embedding, filters=filters,
                                                        top_k=top_k)["documents"]
