"""The passages' vectors in Chroma: the one module that knows chromadb and chroma-haystack.

Haystack's ``ChromaDocumentStore`` is what the dense retriever reads (``document_store``); the
writes that store does badly or not at all go to its raw chromadb collection here: upserts in
batches, metadata updates, deletes by id, listing ids. That needs three private parts of
chroma-haystack 5.0 (``_ensure_initialized``, ``_collection`` and the static
``_convert_document_to_chroma`` and ``_prepare_query_kwargs``, so that records and filters are
converted exactly as Haystack converts them); they are used in this file only (tests/test_adapters.py keeps it so), so that an upgrade
of chroma-haystack is checked here and nowhere else.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from haystack import Document

COLLECTION = "passages"
BATCH = 1000  # records per Chroma call
_KEYS = ("ids", "documents", "metadatas", "embeddings")


def collection_name(fingerprint: str) -> str:
    """The Chroma collection of the index built with settings of this fingerprint."""
    return f"{COLLECTION}-{fingerprint}"


class ChromaUnavailableError(ConnectionError):
    """The Chroma server named by the settings does not answer."""


class ChromaPassages:
    """One Chroma collection of passages (cosine), on disk under ``persist_path`` or on the
    server at ``url`` (http://HOST:PORT). Connects on first use."""

    def __init__(self, name: str, persist_path: Path | None = None, url: str | None = None):
        if persist_path is None and url is None:
            raise ValueError("ChromaPassages needs a persist_path or a url")
        self.name = name
        self.persist_path = Path(persist_path) if persist_path is not None else None
        self.url = url
        self._store = None
        self._lock = threading.Lock()

    # -- connection ---------------------------------------------------------------------------
    @property
    def document_store(self):
        """The Haystack Chroma store, connected on first use. Connecting happens here, once and
        under a lock: Chroma clients created by several threads at once (the first questions of
        concurrent app sessions) can stop each other's shared system."""
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is None:
                self._store = self._connect()
        return self._store

    def _connect(self):
        from haystack_integrations.document_stores.chroma import ChromaDocumentStore

        common = dict(collection_name=self.name, distance_function="cosine",
                      client_settings={"anonymized_telemetry": False})
        if self.url:
            from urllib.parse import urlparse

            u = urlparse(self.url)
            store = ChromaDocumentStore(host=u.hostname, port=u.port or 8000, **common)
        else:
            store = ChromaDocumentStore(persist_path=str(self.persist_path), **common)
        try:
            store._ensure_initialized()
        except ValueError as exc:
            if self.url and "connect" in str(exc).lower():
                raise ChromaUnavailableError(
                    f"cannot reach the Chroma server at {self.url} ({exc}). Start it ('chroma run --path DIR "
                    "--host 127.0.0.1 --port PORT') or unset RIS3_CHROMA_URL to use the index on disk") from exc
            raise
        return store

    @property
    def collection(self):
        """The underlying chromadb collection (for the writes Haystack's store lacks)."""
        store = self.document_store
        store._ensure_initialized()
        return store._collection

    # -- records ------------------------------------------------------------------------------
    @staticmethod
    def to_chroma(passage: Document) -> dict[str, Any] | None:
        """The Chroma record of a passage as Haystack writes it (lists of one id, document,
        metadata and embedding); None for a passage Chroma cannot store (no content)."""
        from haystack_integrations.document_stores.chroma import ChromaDocumentStore

        return ChromaDocumentStore._convert_document_to_chroma(passage)

    # -- writes -------------------------------------------------------------------------------
    def upsert(self, passages: list[Document], batch: int = BATCH) -> None:
        """Write passages in batches. Haystack's ``write_documents`` upserts one document per
        call (2,000 Chroma transactions for the bundled corpus, ~60 s); the same records
        (Haystack's own conversion) go in one upsert per batch here."""
        payloads = [self.to_chroma(p) for p in passages]
        payloads = [p for p in payloads if p is not None]
        if not all(set(p) == set(_KEYS) for p in payloads):  # an unusual record: Haystack's own path
            from haystack.document_stores.types import DuplicatePolicy

            self.document_store.write_documents(passages, policy=DuplicatePolicy.OVERWRITE)
            return
        collection = self.collection
        for i in range(0, len(payloads), batch):
            part = payloads[i:i + batch]
            collection.upsert(**{k: [p[k][0] for p in part] for k in _KEYS})

    def update_meta(self, passages: list[Document], batch: int = BATCH) -> None:
        """New metadata for stored passages; their vectors and texts are untouched."""
        collection = self.collection
        for i in range(0, len(passages), batch):
            chunk = passages[i:i + batch]
            metas = [self.to_chroma(p)["metadatas"][0] for p in chunk]
            # Chroma merges metadata on update: keys the passage no longer has are removed (None).
            old = collection.get(ids=[p.id for p in chunk], include=["metadatas"])
            stale = {pid: m for pid, m in zip(old["ids"], old["metadatas"] or [])}
            for p, m in zip(chunk, metas):
                for key in stale.get(p.id) or {}:
                    if key not in m:
                        m[key] = None
            collection.update(ids=[p.id for p in chunk], metadatas=metas)

    def delete_document(self, doc_id: str) -> None:
        """Remove every passage of a document (``meta.doc_id``)."""
        self.document_store.delete_by_filter({"field": "meta.doc_id", "operator": "==", "value": doc_id})

    def delete_ids(self, ids: list[str], batch: int = BATCH) -> None:
        collection = self.collection
        for i in range(0, len(ids), batch):
            collection.delete(ids=ids[i:i + batch])

    # -- reads --------------------------------------------------------------------------------
    def nearest(self, embedding: list[float], top_k: int, filters: dict[str, Any] | None = None,
                ids: list[str] | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine distance) of the ``top_k`` passages nearest ``embedding`` among
        those passing Haystack-style ``filters`` (or among ``ids``), nearest first. Haystack's
        retriever asks Chroma for every hit's text, metadata and vector as well: 16 ms a question
        here against 2 ms for ids and distances (the hybrid retriever looks its fused passages up
        itself). At 50k passages Chroma's metadata filter took 50-360 ms and the same search
        among the passing ids 6-27 ms, with the same hits."""
        from haystack_integrations.document_stores.chroma import ChromaDocumentStore

        if ids is not None and not ids:
            return []
        kwargs = ChromaDocumentStore._prepare_query_kwargs(None if ids is not None else filters)
        kwargs["include"] = ["distances"]
        if ids is not None:
            kwargs["ids"] = ids
        if not kwargs.get("where_document"):
            kwargs.pop("where_document", None)
        result = self.collection.query(query_embeddings=[embedding], n_results=top_k, **kwargs)
        return list(zip(result["ids"][0], (float(d) for d in result["distances"][0])))

    def ids(self) -> list[str]:
        """Ids of every stored passage."""
        return self.collection.get(include=[])["ids"]
