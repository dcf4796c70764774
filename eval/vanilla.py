"""The baseline a user could assemble from Haystack's documentation in an afternoon: one Document
per file (pages joined with form feeds, so page numbers are tracked), Haystack's DocumentSplitter
with its defaults (200 words, no overlap), the same MiniLM embedder, a Chroma store with its
default distance, InMemoryBM25Retriever with its defaults, both fused by reciprocal rank.

It reads the same cleaned page texts as ris3-miner (the ``pages`` table of the index), so the
comparison is about splitting, indexing and retrieval, not about PDF extraction. The vanilla
index is built once under ``<home>/eval-vanilla/<fingerprint>/`` and reused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from haystack import Document, Pipeline

from index.settings import local_model_path
from index.store import PassageIndex

SPLIT = {"split_by": "word", "split_length": 200, "split_overlap": 0}  # DocumentSplitter's defaults


@dataclass
class Chunk:
    doc_id: str
    page_start: int
    page_end: int
    text: str


def _documents(index: PassageIndex) -> list[Document]:
    docs = []
    for rec in index.documents():
        if rec.status != "ingested":
            continue
        pages = index.page_texts(rec.doc_id)
        if not pages:
            continue
        text = "\f".join(pages.get(p, "") for p in range(1, max(pages) + 1))
        docs.append(Document(content=text, meta={"doc_id": rec.doc_id, "title": rec.meta.get("title", "")}))
    return docs


class VanillaBaseline:
    def __init__(self, index: PassageIndex, home: Path):
        self.index = index
        self.home = Path(home)
        self._pipeline: Pipeline | None = None
        self.chunks: list[Chunk] = []

    def warm_up(self, progress: bool = False) -> None:
        if self._pipeline is not None:
            return
        from haystack.components.joiners import DocumentJoiner
        from haystack.components.preprocessors import DocumentSplitter
        from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
        from haystack.document_stores.in_memory import InMemoryDocumentStore
        from haystack.document_stores.types import DuplicatePolicy
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersDocumentEmbedder as DocEmbedder,
        )
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersTextEmbedder,
        )
        from haystack_integrations.components.retrievers.chroma import (
            ChromaEmbeddingRetriever,
        )
        from haystack_integrations.document_stores.chroma import ChromaDocumentStore

        docs = _documents(self.index)
        fingerprint = hashlib.sha256(json.dumps([SPLIT, [d.content for d in docs]]).encode()).hexdigest()[:10]
        folder = self.home / "eval-vanilla" / fingerprint
        splitter = DocumentSplitter(**SPLIT)
        splitter.warm_up()
        split = splitter.run(documents=docs)["documents"]
        self.chunks = [Chunk(d.meta["doc_id"], int(d.meta.get("page_number", 1)),
                             int(d.meta.get("page_number", 1)) + (d.content or "").count("\f"), d.content or "")
                       for d in split]
        chroma = ChromaDocumentStore(collection_name="vanilla", persist_path=str(folder / "chroma"))
        if chroma.count_documents() != len(split):  # first use, or an interrupted build: (re)write all
            embedder = DocEmbedder(model=local_model_path(), local_files_only=True, progress_bar=progress)
            embedder.warm_up()
            chroma.write_documents(embedder.run(documents=split)["documents"], policy=DuplicatePolicy.OVERWRITE)
        memory = InMemoryDocumentStore()
        memory.write_documents(split)
        p = Pipeline()
        p.add_component("text_embedder", SentenceTransformersTextEmbedder(model=local_model_path(), local_files_only=True,
                                                                          progress_bar=False))
        p.add_component("dense", ChromaEmbeddingRetriever(document_store=chroma))
        p.add_component("bm25", InMemoryBM25Retriever(document_store=memory))
        p.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
        p.connect("text_embedder.embedding", "dense.query_embedding")
        p.connect("dense.documents", "joiner.documents")
        p.connect("bm25.documents", "joiner.documents")
        p.warm_up()
        self._pipeline = p

    def search(self, query: str, top_k: int = 10) -> list[Chunk]:
        self.warm_up()
        out = self._pipeline.run({"text_embedder": {"text": query}, "dense": {"top_k": top_k},
                                  "bm25": {"query": query, "top_k": top_k}, "joiner": {"top_k": top_k}})
        return [Chunk(d.meta["doc_id"], int(d.meta.get("page_number", 1)),
                      int(d.meta.get("page_number", 1)) + (d.content or "").count("\f"), d.content or "")
                for d in out["joiner"]["documents"]]
