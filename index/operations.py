"""Rows of the lists of funded operations, stored beside the index record.

``operations.sqlite`` in the index folder holds two tables of its own: ``operation_docs`` (per
document: the file hash the rows come from, pages read, rows, seconds, page errors) and
``operations`` (per row: document id, page, row number on the page, the raw cells with their
column headers, the mapped fields as JSON, and the fields filtered on as columns).

``sync_operations`` keeps them in step with the record: an ingested ``op-operations`` document
whose hash has no rows yet is extracted (``ingest.operations``) and its rows replace the old
ones; rows of documents gone from the record, or no longer of that type, are deleted. Ingestion
calls it after writing documents, so re-ingesting or deleting a document replaces or removes
its rows, and an index built before this table existed gets its rows on the next ingest.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ingest.operations import DOC_TYPE, ExtractionResult, OperationExtractor, OperationRow

from .store import PassageIndex

log = logging.getLogger(__name__)

FILE_NAME = "operations.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS operation_docs (
    doc_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, pages INTEGER NOT NULL, rows INTEGER NOT NULL,
    seconds REAL NOT NULL, errors TEXT NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    doc_id TEXT NOT NULL, page INTEGER NOT NULL, row INTEGER NOT NULL,
    columns TEXT NOT NULL, cells TEXT NOT NULL, fields TEXT NOT NULL,
    beneficiary TEXT, name TEXT, amount REAL, year INTEGER,
    PRIMARY KEY (doc_id, page, row)
);
CREATE INDEX IF NOT EXISTS operations_doc ON operations(doc_id);
"""


@dataclass
class StoredOperation(OperationRow):
    """An extracted row as stored: the row and the document it is from."""

    doc_id: str


@dataclass
class OperationDoc:
    """What extraction did for one document."""

    doc_id: str
    sha256: str
    pages: int
    rows: int
    seconds: float
    errors: list[str]


class OperationStore:
    """The SQLite file at ``path`` (created with its tables when new)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.executescript(SCHEMA)

    @classmethod
    def for_index(cls, index: PassageIndex) -> "OperationStore":
        return cls(index.folder / FILE_NAME)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    def replace(self, doc_id: str, sha256: str, result: ExtractionResult) -> None:
        """The document's rows become ``result``'s, in one transaction."""
        with self._transaction() as db:
            db.execute("DELETE FROM operations WHERE doc_id=?", (doc_id,))
            db.executemany(
                "INSERT INTO operations(doc_id, page, row, columns, cells, fields, beneficiary, name, amount, year) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(doc_id, r.page, r.row, json.dumps(r.columns, ensure_ascii=False), json.dumps(r.cells, ensure_ascii=False),
                  json.dumps(r.fields, ensure_ascii=False), r.fields.get("beneficiary"), r.fields.get("name"),
                  r.fields.get("amount"), r.fields.get("year")) for r in result.rows])
            db.execute(
                "INSERT OR REPLACE INTO operation_docs(doc_id, sha256, pages, rows, seconds, errors, updated_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (doc_id, sha256, result.pages, len(result.rows), result.seconds, json.dumps(result.errors), time.time()))

    def delete(self, doc_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM operations WHERE doc_id=?", (doc_id,))
            db.execute("DELETE FROM operation_docs WHERE doc_id=?", (doc_id,))

    def documents(self) -> dict[str, OperationDoc]:
        rows = self._db.execute("SELECT doc_id, sha256, pages, rows, seconds, errors FROM operation_docs").fetchall()
        return {r[0]: OperationDoc(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows}

    def rows(self, doc_ids: list[str] | None = None) -> list[StoredOperation]:
        """Every stored row (of ``doc_ids`` when given), in document, page and row order."""
        sql = "SELECT doc_id, page, row, columns, cells, fields FROM operations"
        args: tuple = ()
        if doc_ids is not None:
            sql += f" WHERE doc_id IN ({','.join('?' * len(doc_ids))})"
            args = tuple(doc_ids)
        found = self._db.execute(sql + " ORDER BY doc_id, page, row", args).fetchall()
        return [StoredOperation(page=r[1], row=r[2], columns=json.loads(r[3]), cells=json.loads(r[4]),
                                fields=json.loads(r[5]), doc_id=r[0]) for r in found]

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM operations").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def sync_operations(index: PassageIndex, store: OperationStore | None = None, *,
                    extractor: OperationExtractor | None = None,
                    notify: Callable[[str, int, int], None] | None = None, workers: int = 0) -> dict[str, OperationDoc]:
    """Bring the stored rows in step with the index record (see the module docstring). Returns
    what was extracted in this call, by document id. A document that cannot be read is logged
    and left without rows; the others go on. ``workers``: processes finding a long list's tables
    (``OperationExtractor``)."""
    if store is None:
        own = OperationStore.for_index(index)
        try:
            return sync_operations(index, own, extractor=extractor, notify=notify, workers=workers)
        finally:
            own.close()
    extractor = extractor or OperationExtractor(workers=workers)
    records = {d.doc_id: d for d in index.documents()}
    done = store.documents()
    for doc_id in done:
        rec = records.get(doc_id)
        if rec is None or rec.meta.get("doc_type") != DOC_TYPE or rec.status in ("skipped", "removed"):
            store.delete(doc_id)
    todo = [r for r in records.values() if r.status == "ingested" and r.meta.get("doc_type") == DOC_TYPE
            and (r.doc_id not in done or done[r.doc_id].sha256 != r.sha256)]
    extracted: dict[str, OperationDoc] = {}
    for i, rec in enumerate(todo):
        if notify:
            notify("operations", i, len(todo))
        path = Path(rec.meta.get("file_path") or rec.file)
        if path.suffix.lower() != ".pdf":
            log.info("%s: not a PDF, no operation rows read", path)
            continue
        try:
            result = extractor.extract(path)
        except Exception as exc:  # noqa: BLE001 -- one unreadable list must not stop ingestion
            log.warning("%s: operation rows not read (%s)", path, " ".join(str(exc).split()) or type(exc).__name__)
            continue
        store.replace(rec.doc_id, rec.sha256, result)
        extracted[rec.doc_id] = OperationDoc(rec.doc_id, rec.sha256, result.pages, len(result.rows),
                                             result.seconds, result.errors)
        log.info("%s: %d operation rows from %d pages in %.1f s", rec.doc_id, len(result.rows), result.pages,
                 result.seconds)
    if notify and todo:
        notify("operations", len(todo), len(todo))
    return extracted
