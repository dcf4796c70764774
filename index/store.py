"""The index on disk: passage state in SQLite, vectors in Chroma, a BM25 keyword index.

Layout under ``home`` (``$RIS3_HOME``, by default ``data/``)::

    index-<fingerprint>/settings.json   the settings that built it
    index-<fingerprint>/state.sqlite    documents (hash, status, reason) and passages
    index-<fingerprint>/chroma/         Chroma PersistentClient (cosine)
    index-<fingerprint>/keyword/        bm25s index

SQLite is the record of what is indexed; a document is marked ``ingested`` only after its
vectors are written, so an interrupted run is finished by the next one.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from haystack import Document

from .filters import resolve_filters
from .keyword import KeywordIndex
from .settings import IndexSettings

COLLECTION = "passages"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,          -- ingested | failed | skipped
    reason TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}',
    n_pages INTEGER NOT NULL DEFAULT 0,
    n_passages INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL,
    page INTEGER NOT NULL,         -- 1-based
    text TEXT NOT NULL,            -- cleaned text; citation offsets point into it
    PRIMARY KEY (doc_id, page)
);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    passage_id TEXT PRIMARY KEY,   -- one float16 row per sentence of the passage, in order
    dim INTEGER NOT NULL,
    vectors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS multilingual_windows (
    passage_id TEXT PRIMARY KEY,   -- multilingual embeddings of the passage's word windows (index/multilingual.py)
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vectors BLOB NOT NULL          -- float16, one row per window
);
CREATE TABLE IF NOT EXISTS word_vectors (
    model TEXT NOT NULL,           -- multilingual embeddings of the passages' words (index/translation.py)
    language TEXT NOT NULL,        -- the language of the passages the word was read in
    word TEXT NOT NULL,
    vector BLOB NOT NULL,          -- float16
    PRIMARY KEY (model, language, word)
);
"""


class IndexMismatchError(RuntimeError):
    """The index on disk was built with other settings."""


@dataclass
class DocumentRecord:
    doc_id: str
    file: str
    sha256: str
    status: str
    reason: str
    meta: dict
    n_pages: int
    n_passages: int
    updated_at: float


class PassageIndex:
    """Open (or create) the index for ``settings`` under ``home``. Cheap: Chroma, the keyword
    index and the passage cache load on first use."""

    def __init__(self, home: Path, settings: IndexSettings | None = None, chroma_url: str | None = None):
        self.settings = settings or IndexSettings()
        self.home = Path(home)
        self.folder = self.home / f"index-{self.settings.fingerprint}"
        self.chroma_url = chroma_url
        self._store = None
        self._store_lock = threading.Lock()
        self._keyword: KeywordIndex | None = None
        self._docs: dict[str, Document] | None = None
        self.folder.mkdir(parents=True, exist_ok=True)
        self._check_settings()
        self._db = sqlite3.connect(self.folder / "state.sqlite", timeout=30, check_same_thread=False)
        self._db.executescript(_SCHEMA)

    # -- settings -------------------------------------------------------------------------
    def _check_settings(self) -> None:
        path = self.folder / "settings.json"
        wanted = self.settings.as_dict()
        if path.exists():
            found = json.loads(path.read_text())
            if found != wanted:
                raise IndexMismatchError(
                    f"index at {self.folder} was built with {found}, not {wanted}; remove it or run 'ris3 ingest --rebuild'"
                )
        else:
            path.write_text(json.dumps(wanted, indent=2, sort_keys=True))

    # -- Chroma ---------------------------------------------------------------------------
    @property
    def document_store(self):
        """The Haystack Chroma store, connected on first use. Connecting happens here, once and
        under a lock: Chroma clients created by several threads at once (the first questions of
        concurrent app sessions) can stop each other's shared system."""
        if self._store is not None:
            return self._store
        with self._store_lock:
            if self._store is None:
                self._store = self._connect()
        return self._store

    def _connect(self):
        from haystack_integrations.document_stores.chroma import ChromaDocumentStore

        common = dict(
            collection_name=f"{COLLECTION}-{self.settings.fingerprint}",
            distance_function="cosine",
            client_settings={"anonymized_telemetry": False},
        )
        if self.chroma_url:
            from urllib.parse import urlparse

            u = urlparse(self.chroma_url)
            store = ChromaDocumentStore(host=u.hostname, port=u.port or 8000, **common)
        else:
            store = ChromaDocumentStore(persist_path=str(self.folder / "chroma"), **common)
        store._ensure_initialized()
        return store

    # -- documents ------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute(
            "SELECT doc_id, file, sha256, status, reason, meta, n_pages, n_passages, updated_at FROM documents ORDER BY doc_id"
        ).fetchall()
        return [DocumentRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def record_status(self, doc_id: str, file: str, sha256: str, status: str, reason: str = "", meta: dict | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO documents(doc_id, file, sha256, status, reason, meta, updated_at) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(doc_id) DO UPDATE SET file=excluded.file, sha256=excluded.sha256, status=excluded.status, "
                "reason=excluded.reason, meta=excluded.meta, updated_at=excluded.updated_at",
                (doc_id, file, sha256, status, reason, json.dumps(meta or {}), time.time()),
            )

    def write_document(self, doc_id: str, file: str, sha256: str, meta: dict, n_pages: int, passages: list[Document],
                       sentence_vectors: dict[str, np.ndarray] | None = None,
                       pages: list[tuple[int, str]] | None = None) -> None:
        """Replace a document's passages (vectors first, then the record). ``sentence_vectors``
        maps passage id to one embedding per sentence, used to score answer sentences; ``pages``
        are the cleaned page texts that citation offsets point into."""
        self.delete_document(doc_id, keep_record=True)
        self._upsert(passages)
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO passages(id, doc_id, idx, text, meta) VALUES (?,?,?,?,?)",
                [(p.id, doc_id, p.meta.get("passage_index", 0), p.content, json.dumps(p.meta)) for p in passages],
            )
            db.executemany("INSERT OR REPLACE INTO pages(doc_id, page, text) VALUES (?,?,?)",
                           [(doc_id, n, t) for n, t in (pages or [])])
            db.executemany(
                "INSERT OR REPLACE INTO sentence_vectors(passage_id, dim, vectors) VALUES (?,?,?)",
                [(pid, int(v.shape[1]), v.astype(np.float16).tobytes()) for pid, v in (sentence_vectors or {}).items()],
            )
            db.execute(
                "INSERT INTO documents(doc_id, file, sha256, status, reason, meta, n_pages, n_passages, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(doc_id) DO UPDATE SET file=excluded.file, sha256=excluded.sha256, "
                "status=excluded.status, reason=excluded.reason, meta=excluded.meta, n_pages=excluded.n_pages, "
                "n_passages=excluded.n_passages, updated_at=excluded.updated_at",
                (doc_id, file, sha256, "ingested", "", json.dumps(meta), n_pages, len(passages), time.time()),
            )
        self._docs = None

    def _upsert(self, passages: list[Document], batch: int = 1000) -> None:
        """Write passages to Chroma in batches. Haystack's ``write_documents`` upserts one document
        per call (2,000 Chroma transactions for the bundled corpus, ~60 s); the same records
        (Haystack's own conversion) go in one upsert per batch here."""
        from haystack.document_stores.types import DuplicatePolicy
        from haystack_integrations.document_stores.chroma import ChromaDocumentStore

        payloads = [ChromaDocumentStore._convert_document_to_chroma(p) for p in passages]
        payloads = [p for p in payloads if p is not None]
        keys = ("ids", "documents", "metadatas", "embeddings")
        if not all(set(p) == set(keys) for p in payloads):  # an unusual record: Haystack's own path
            self.document_store.write_documents(passages, policy=DuplicatePolicy.OVERWRITE)
            return
        collection = self.chroma_collection()
        for i in range(0, len(payloads), batch):
            part = payloads[i:i + batch]
            collection.upsert(**{k: [p[k][0] for p in part] for k in keys})

    def delete_document(self, doc_id: str, keep_record: bool = False) -> None:
        self.document_store.delete_by_filter({"field": "meta.doc_id", "operator": "==", "value": doc_id})
        with self._tx() as db:
            db.execute("DELETE FROM sentence_vectors WHERE passage_id IN (SELECT id FROM passages WHERE doc_id = ?)", (doc_id,))
            db.execute("DELETE FROM multilingual_windows WHERE passage_id IN (SELECT id FROM passages WHERE doc_id = ?)",
                       (doc_id,))
            db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))
            if not keep_record:
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        self._docs = None

    def tagging_version(self) -> str:
        """Version of the lexicon and taxonomy the stored tags come from ('' when none yet)."""
        row = self._db.execute("SELECT value FROM kv WHERE key = 'tagging_version'").fetchone()
        return row[0] if row else ""

    def set_tagging_version(self, version: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO kv(key, value) VALUES ('tagging_version', ?)", (version,))

    def update_passage_meta(self, passages: list[Document]) -> None:
        """New metadata for stored passages (e.g. re-tagging): SQLite and Chroma, vectors untouched."""
        collection = self.chroma_collection()
        batch = 1000
        for i in range(0, len(passages), batch):
            chunk = passages[i:i + batch]
            metas = [self.document_store._convert_document_to_chroma(p)["metadatas"][0] for p in chunk]
            # Chroma merges metadata on update: keys the passage no longer has are removed (None).
            old = collection.get(ids=[p.id for p in chunk], include=["metadatas"])
            stale = {pid: m for pid, m in zip(old["ids"], old["metadatas"] or [])}
            for p, m in zip(chunk, metas):
                for key in stale.get(p.id) or {}:
                    if key not in m:
                        m[key] = None
            collection.update(ids=[p.id for p in chunk], metadatas=metas)
        with self._tx() as db:
            db.executemany("UPDATE passages SET meta = ? WHERE id = ?", [(json.dumps(p.meta), p.id) for p in passages])
        self._docs = None

    def update_document_meta(self, doc_id: str, values: dict) -> None:
        rec = self.document(doc_id)
        if rec is None:
            return
        with self._tx() as db:
            db.execute("UPDATE documents SET meta = ? WHERE doc_id = ?", (json.dumps({**rec.meta, **values}), doc_id))

    def chroma_collection(self):
        """The underlying chromadb collection (for metadata updates Haystack's store lacks)."""
        store = self.document_store
        store._ensure_initialized()
        return store._collection

    def check(self) -> dict[str, Any]:
        """Do the SQLite record, the Chroma collection and the keyword index hold the same passages?
        Returns the counts and the ids that disagree (empty lists when consistent)."""
        recorded = set(self.passages())
        in_chroma = set(self.chroma_collection().get(include=[])["ids"])
        keyword = KeywordIndex(self.folder / "keyword")
        in_keyword = set(keyword.ids) if keyword.load() else set()
        with_vectors = {r[0] for r in self._db.execute("SELECT passage_id FROM sentence_vectors")}
        return {
            "passages": len(recorded), "chroma": len(in_chroma), "keyword": len(in_keyword),
            "chroma_orphans": sorted(in_chroma - recorded), "chroma_missing": sorted(recorded - in_chroma),
            "keyword_stale": sorted(in_keyword ^ recorded),
            "sentence_vectors_missing": sorted(recorded - with_vectors),
            "ok": in_chroma == recorded == in_keyword and recorded <= with_vectors,
        }

    def repair(self) -> dict[str, int]:
        """Remove vectors whose passage was never recorded (an ingest killed between the Chroma
        write and the SQLite commit), forget documents whose recorded passages lack vectors (so the
        next ingest redoes them), and rebuild a keyword index that disagrees with the record."""
        found = self.check()
        broken_docs = {self.passages()[pid].meta.get("doc_id") for pid in found["chroma_missing"]}
        for doc_id in broken_docs:
            self.delete_document(doc_id)
        if broken_docs:
            found = self.check()
        if found["chroma_orphans"]:
            collection = self.chroma_collection()
            for i in range(0, len(found["chroma_orphans"]), 1000):
                collection.delete(ids=found["chroma_orphans"][i:i + 1000])
        if found["keyword_stale"]:
            self._keyword = None
            self.rebuild_keyword_index()
        return {"chroma_orphans_removed": len(found["chroma_orphans"]), "documents_to_redo": len(broken_docs),
                "keyword_rebuilt": int(bool(found["keyword_stale"]))}

    def reload(self) -> None:
        """Forget cached passages and keyword index (another process or instance changed them)."""
        self._docs = None
        self._keyword = None
        self._ml = None
        self._wv = None

    # -- passages and keyword index ---------------------------------------------------------
    def passages(self) -> dict[str, Document]:
        """All passages by id (cached; the keyword retriever returns these)."""
        if self._docs is None:
            rows = self._db.execute("SELECT id, text, meta FROM passages ORDER BY doc_id, idx").fetchall()
            self._docs = {r[0]: Document(id=r[0], content=r[1], meta=json.loads(r[2])) for r in rows}
        return self._docs

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored sentence embeddings (float32, one row per sentence) of these passages."""
        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self._db.execute(
            f"SELECT passage_id, dim, vectors FROM sentence_vectors WHERE passage_id IN ({marks})", passage_ids
        ).fetchall()
        return {pid: np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32) for pid, dim, blob in rows}

    # -- multilingual vectors (a second, cross-language dense retriever) -----------------------
    def missing_multilingual(self, model: str) -> list[str]:
        """Passages without multilingual vectors of ``model`` (new ones, or an index built before)."""
        rows = self._db.execute(
            "SELECT id FROM passages WHERE id NOT IN (SELECT passage_id FROM multilingual_windows WHERE model = ?) "
            "ORDER BY doc_id, idx", (model,)).fetchall()
        return [r[0] for r in rows]

    def write_multilingual(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Store each passage's window vectors (rows x dim)."""
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO multilingual_windows(passage_id, model, dim, vectors) VALUES (?,?,?,?)",
                           [(pid, model, int(v.shape[1]), np.asarray(v, dtype=np.float16).tobytes())
                            for pid, v in vectors.items()])
        self._ml = None

    def multilingual_matrix(self, model: str):
        """(passage ids, all window vectors as one bfloat16 torch matrix, the passage position of
        each row). bfloat16 halves the memory of float32 (0.46 GB at 50k passages instead of 0.92)
        and torch's bfloat16 matrix-vector product is faster than numpy's float32 one here
        (eval/bench.py, scale stage); the rounding (3 significant digits) is far below the
        cosine gaps the retriever acts on."""
        if getattr(self, "_ml", None) is None or self._ml[0] != model:
            import torch

            query = ("FROM multilingual_windows m JOIN passages p ON p.id = m.passage_id WHERE m.model = ?")
            size, dim = self._db.execute(f"SELECT COALESCE(SUM(LENGTH(m.vectors)), 0), MAX(m.dim) {query}", (model,)).fetchone()
            dim = dim or 1
            matrix = torch.empty((size // (2 * dim), dim), dtype=torch.bfloat16)
            ids, counts, at = [], [], 0
            # one row at a time into the matrix: holding every blob first would double the peak memory
            for pid, blob in self._db.execute(f"SELECT m.passage_id, m.vectors {query} ORDER BY p.doc_id, p.idx", (model,)):
                block = torch.from_numpy(np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).copy())
                matrix[at:at + len(block)] = block
                at += len(block)
                ids.append(pid)
                counts.append(len(block))
            owner = np.repeat(np.arange(len(ids)), counts) if ids else np.zeros(0, dtype=int)
            self._ml = (model, ids, matrix, owner)
        return self._ml[1], self._ml[2], self._ml[3]

    # -- word vectors (query translation through the indexed vocabulary) ----------------------
    def stored_words(self, model: str) -> dict[str, set[str]]:
        """Words with a stored vector of ``model``, by language."""
        out: dict[str, set[str]] = {}
        for lang, word in self._db.execute("SELECT language, word FROM word_vectors WHERE model = ?", (model,)):
            out.setdefault(lang, set()).add(word)
        return out

    def write_word_vectors(self, model: str, language: str, words: list[str], vectors: np.ndarray) -> None:
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO word_vectors(model, language, word, vector) VALUES (?,?,?,?)",
                           [(model, language, w, np.asarray(v, dtype=np.float16).tobytes()) for w, v in zip(words, vectors)])
        self._wv = None

    def delete_word_vectors(self, model: str, language: str, words: list[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM word_vectors WHERE model = ? AND language = ? AND word = ?",
                           [(model, language, w) for w in words])
        self._wv = None

    def word_vectors(self, model: str) -> dict[str, tuple[list[str], Any]]:
        """language -> (words, bfloat16 torch matrix of their vectors, as ``multilingual_matrix``), cached."""
        if getattr(self, "_wv", None) is None or self._wv[0] != model:
            import torch

            rows: dict[str, tuple[list[str], list[np.ndarray]]] = {}
            for lang, word, blob in self._db.execute(
                    "SELECT language, word, vector FROM word_vectors WHERE model = ? ORDER BY language, word", (model,)):
                words, vecs = rows.setdefault(lang, ([], []))
                words.append(word)
                vecs.append(np.frombuffer(blob, dtype=np.float16))
            self._wv = (model, {lang: (w, torch.from_numpy(np.vstack(v)).to(torch.bfloat16)) for lang, (w, v) in rows.items()})
        return self._wv[1]

    def page_text(self, doc_id: str, page: int) -> str | None:
        """Cleaned text of one page (None when the page has no text or does not exist)."""
        row = self._db.execute("SELECT text FROM pages WHERE doc_id = ? AND page = ?", (doc_id, page)).fetchone()
        return row[0] if row else None

    def page_texts(self, doc_id: str) -> dict[int, str]:
        """Cleaned text of every page of a document that has text, by page number."""
        rows = self._db.execute("SELECT page, text FROM pages WHERE doc_id = ? ORDER BY page", (doc_id,)).fetchall()
        return {int(p): t for p, t in rows}

    def passage_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    @property
    def keyword_index(self) -> KeywordIndex:
        if self._keyword is None:
            self._keyword = KeywordIndex(self.folder / "keyword")
            if not self._keyword.load() or set(self._keyword.ids) != set(self.passages()):
                self.rebuild_keyword_index()
        return self._keyword

    def rebuild_keyword_index(self) -> None:
        kw = self._keyword or KeywordIndex(self.folder / "keyword")
        kw.build(list(self.passages().values()))
        self._keyword = kw

    # -- filters ----------------------------------------------------------------------------
    def resolve_filters(self, **criteria: str | None) -> dict[str, Any] | None:
        """User filters as a Haystack filter over the ingested documents (``index.filters``)."""
        return resolve_filters([d for d in self.documents() if d.status == "ingested"], **criteria)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    def close(self) -> None:
        self._db.close()

