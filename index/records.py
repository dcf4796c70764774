"""The SQLite record of an index (``state.sqlite``): what is indexed and everything that is not a
Chroma vector. Documents (hash, status, reason), passages, cleaned page texts, a key-value table,
and the stored vectors: sentence embeddings, multilingual window vectors and word vectors.

``IndexRecords`` owns the connection; every write is one transaction. It caches nothing: the
index (index/store.py) caches what it reads often.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
from haystack import Document

SCHEMA = """
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

# Columns of each table, in the order ``export_rows`` returns and ``import_rows`` takes them.
TABLES: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id", "file", "sha256", "status", "reason", "meta", "n_pages", "n_passages", "updated_at"),
    "passages": ("id", "doc_id", "idx", "text", "meta"),
    "kv": ("key", "value"),
    "pages": ("doc_id", "page", "text"),
    "sentence_vectors": ("passage_id", "dim", "vectors"),
    "multilingual_windows": ("passage_id", "model", "dim", "vectors"),
    "word_vectors": ("model", "language", "word", "vector"),
}


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


def _table(name: str) -> tuple[str, ...]:
    if name not in TABLES:
        raise ValueError(f"no table {name!r}; tables: {', '.join(TABLES)}")
    return TABLES[name]


class IndexRecords:
    """The SQLite file at ``path``, created with its schema when new."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one transaction: committed on exit, rolled back on an error."""
        with self._db:
            yield self._db

    def close(self) -> None:
        self._db.close()

    # -- documents ------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute(
            "SELECT doc_id, file, sha256, status, reason, meta, n_pages, n_passages, updated_at FROM documents ORDER BY doc_id"
        ).fetchall()
        return [DocumentRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def record_status(self, doc_id: str, file: str, sha256: str, status: str, reason: str = "",
                      meta: dict | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO documents(doc_id, file, sha256, status, reason, meta, updated_at) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(doc_id) DO UPDATE SET file=excluded.file, sha256=excluded.sha256, status=excluded.status, "
                "reason=excluded.reason, meta=excluded.meta, updated_at=excluded.updated_at",
                (doc_id, file, sha256, status, reason, json.dumps(meta or {}), time.time()),
            )

    def write_document(self, doc_id: str, file: str, sha256: str, meta: dict, n_pages: int, passages: list[Document],
                       sentence_vectors: dict[str, np.ndarray] | None = None,
                       pages: list[tuple[int, str]] | None = None) -> None:
        """A document's passages, pages and sentence vectors, and its record marked ``ingested``,
        in one transaction (its old rows are removed first with ``delete_document``)."""
        with self.transaction() as db:
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

    def delete_document(self, doc_id: str, keep_record: bool = False) -> None:
        """A document's passages, pages and passage vectors (and its record unless ``keep_record``)."""
        with self.transaction() as db:
            db.execute("DELETE FROM sentence_vectors WHERE passage_id IN (SELECT id FROM passages WHERE doc_id = ?)", (doc_id,))
            db.execute("DELETE FROM multilingual_windows WHERE passage_id IN (SELECT id FROM passages WHERE doc_id = ?)",
                       (doc_id,))
            db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))
            if not keep_record:
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def update_document_meta(self, doc_id: str, values: dict) -> None:
        rec = self.document(doc_id)
        if rec is None:
            return
        with self.transaction() as db:
            db.execute("UPDATE documents SET meta = ? WHERE doc_id = ?", (json.dumps({**rec.meta, **values}), doc_id))

    # -- key-value --------------------------------------------------------------------------------
    def get_value(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_value(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)", (key, value))

    # -- passages and pages -----------------------------------------------------------------------
    def passages(self) -> dict[str, Document]:
        """All passages by id, in document and passage order."""
        rows = self._db.execute("SELECT id, text, meta FROM passages ORDER BY doc_id, idx").fetchall()
        return {r[0]: Document(id=r[0], content=r[1], meta=json.loads(r[2])) for r in rows}

    def passage_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def update_passage_meta(self, passages: list[Document]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE passages SET meta = ? WHERE id = ?", [(json.dumps(p.meta), p.id) for p in passages])

    def page_text(self, doc_id: str, page: int) -> str | None:
        row = self._db.execute("SELECT text FROM pages WHERE doc_id = ? AND page = ?", (doc_id, page)).fetchone()
        return row[0] if row else None

    def page_texts(self, doc_id: str) -> dict[int, str]:
        rows = self._db.execute("SELECT page, text FROM pages WHERE doc_id = ? ORDER BY page", (doc_id,)).fetchall()
        return {int(p): t for p, t in rows}

    # -- sentence vectors -------------------------------------------------------------------------
    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored sentence embeddings (float32, one row per sentence) of these passages."""
        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self._db.execute(
            f"SELECT passage_id, dim, vectors FROM sentence_vectors WHERE passage_id IN ({marks})", passage_ids
        ).fetchall()
        return {pid: np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32) for pid, dim, blob in rows}

    def sentence_vector_ids(self) -> set[str]:
        """Passages that have stored sentence vectors."""
        return {r[0] for r in self._db.execute("SELECT passage_id FROM sentence_vectors")}

    # -- multilingual window vectors ----------------------------------------------------------------
    def missing_multilingual(self, model: str) -> list[str]:
        rows = self._db.execute(
            "SELECT id FROM passages WHERE id NOT IN (SELECT passage_id FROM multilingual_windows WHERE model = ?) "
            "ORDER BY doc_id, idx", (model,)).fetchall()
        return [r[0] for r in rows]

    def write_multilingual(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO multilingual_windows(passage_id, model, dim, vectors) VALUES (?,?,?,?)",
                           [(pid, model, int(v.shape[1]), np.asarray(v, dtype=np.float16).tobytes())
                            for pid, v in vectors.items()])

    def multilingual_matrix(self, model: str) -> tuple[list[str], Any, np.ndarray]:
        """(passage ids, all their window vectors as one bfloat16 torch matrix, the passage
        position of each row), in passage order. Read one row at a time into the matrix: holding
        every blob first would double the peak memory."""
        import torch

        query = "FROM multilingual_windows m JOIN passages p ON p.id = m.passage_id WHERE m.model = ?"
        size, dim = self._db.execute(f"SELECT COALESCE(SUM(LENGTH(m.vectors)), 0), MAX(m.dim) {query}", (model,)).fetchone()
        dim = dim or 1
        matrix = torch.empty((size // (2 * dim), dim), dtype=torch.bfloat16)
        ids, counts, at = [], [], 0
        for pid, blob in self._db.execute(f"SELECT m.passage_id, m.vectors {query} ORDER BY p.doc_id, p.idx", (model,)):
            block = torch.from_numpy(np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).copy())
            matrix[at:at + len(block)] = block
            at += len(block)
            ids.append(pid)
            counts.append(len(block))
        owner = np.repeat(np.arange(len(ids)), counts) if ids else np.zeros(0, dtype=int)
        return ids, matrix, owner

    # -- word vectors -------------------------------------------------------------------------------
    def stored_words(self, model: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for lang, word in self._db.execute("SELECT language, word FROM word_vectors WHERE model = ?", (model,)):
            out.setdefault(lang, set()).add(word)
        return out

    def write_word_vectors(self, model: str, language: str, words: list[str], vectors: np.ndarray) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO word_vectors(model, language, word, vector) VALUES (?,?,?,?)",
                           [(model, language, w, np.asarray(v, dtype=np.float16).tobytes()) for w, v in zip(words, vectors)])

    def delete_word_vectors(self, model: str, language: str, words: list[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM word_vectors WHERE model = ? AND language = ? AND word = ?",
                           [(model, language, w) for w in words])

    def word_vectors(self, model: str) -> dict[str, tuple[list[str], Any]]:
        """language -> (words in order, float32 torch matrix of their vectors). float32, not the
        bfloat16 of the window vectors: a question's translation multiplies a dozen vectors by
        the matrix, where this CPU (AVX2, no bfloat16 units) takes 20 ms in bfloat16 and 10 ms in
        float32 for the German vocabulary (13,308 words; 27 MB in float32)."""
        import torch

        rows: dict[str, tuple[list[str], list[np.ndarray]]] = {}
        for lang, word, blob in self._db.execute(
                "SELECT language, word, vector FROM word_vectors WHERE model = ? ORDER BY language, word", (model,)):
            words, vecs = rows.setdefault(lang, ([], []))
            words.append(word)
            vecs.append(np.frombuffer(blob, dtype=np.float16))
        return {lang: (w, torch.from_numpy(np.vstack(v).astype(np.float32))) for lang, (w, v) in rows.items()}

    # -- bulk copy (eval/bench.py builds a large index from a small one) ------------------------------
    def export_rows(self, table: str) -> list[tuple]:
        """Every row of a table, as tuples in the column order of ``TABLES[table]``."""
        columns = _table(table)
        return self._db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()

    def import_rows(self, tables: dict[str, Iterable[tuple]]) -> None:
        """Insert rows (as ``export_rows`` returns them) into several tables, in one transaction.
        Plain inserts: a row whose key exists already fails the whole import."""
        with self.transaction() as db:
            for table, rows in tables.items():
                columns = _table(table)
                db.executemany(f"INSERT INTO {table}({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})",
                               rows)
