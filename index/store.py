"""The index on disk: passage state in SQLite, vectors in Chroma, a BM25 keyword index.

Layout under ``home`` (``$RIS3_HOME``, by default ``data/``)::

    index-<fingerprint>/settings.json   the settings that built it
    index-<fingerprint>/state.sqlite    documents (hash, status, reason) and passages
    index-<fingerprint>/chroma/         Chroma PersistentClient (cosine)
    index-<fingerprint>/keyword/        bm25s index

SQLite is the record of what is indexed; a document is marked ``ingested`` only after its
vectors are written, so an interrupted run is finished by the next one.

``PassageIndex`` puts the three together: the SQLite record is ``index/records.py``, Chroma is
``index/chroma.py`` (the only module that touches chromadb), the keyword index
``index/keyword.py``. It orders the writes across them, checks and repairs their agreement, and
caches what questions read often (passages, keyword index, vector matrices).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from haystack import Document

from .chroma import COLLECTION, ChromaPassages, collection_name
from .filters import resolve_filters
from .keyword import KeywordIndex
from .records import TABLES, DocumentRecord, IndexRecords
from .settings import IndexSettings

__all__ = ["COLLECTION", "DocumentRecord", "IndexMismatchError", "PassageIndex", "TABLES"]

TAGGING_VERSION_KEY = "tagging_version"


class IndexMismatchError(RuntimeError):
    """The index on disk was built with other settings."""


class PassageIndex:
    """Open (or create) the index for ``settings`` under ``home``. Cheap: Chroma, the keyword
    index and the passage cache load on first use."""

    def __init__(self, home: Path, settings: IndexSettings | None = None, chroma_url: str | None = None):
        self.settings = settings or IndexSettings()
        self.home = Path(home)
        self.folder = self.home / f"index-{self.settings.fingerprint}"
        self.chroma_url = chroma_url
        self._keyword: KeywordIndex | None = None
        self._docs: dict[str, Document] | None = None
        self._ml: tuple[str, list[str], Any, np.ndarray] | None = None  # (model, ids, matrix, owner)
        self._wv: tuple[str, dict[str, tuple[list[str], Any]]] | None = None  # (model, by language)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._check_settings()
        self.records = IndexRecords(self.folder / "state.sqlite")
        self.chroma = ChromaPassages(collection_name(self.settings.fingerprint),
                                      persist_path=self.folder / "chroma", url=chroma_url)

    # -- settings -------------------------------------------------------------------------
    def _check_settings(self) -> None:
        path = self.folder / "settings.json"
        wanted = self.settings.as_dict()
        if path.exists():
            found = json.loads(path.read_text())
            if found != wanted:
                raise IndexMismatchError(
                    f"index at {self.folder} was built with {found}, not {wanted} (its settings.json no longer "
                    f"matches the settings its folder is named after); remove the folder {self.folder} so that the "
                    "next 'ris3 ingest' builds it again, or set RIS3_HOME to another folder"
                )
        else:
            path.write_text(json.dumps(wanted, indent=2, sort_keys=True))

    # -- Chroma ---------------------------------------------------------------------------
    @property
    def document_store(self):
        """The Haystack Chroma store (the dense retriever reads it), connected on first use."""
        return self.chroma.document_store

    def chroma_collection(self):
        """The underlying chromadb collection (for metadata updates Haystack's store lacks)."""
        return self.chroma.collection

    # -- documents ------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.records.documents()

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.records.document(doc_id)

    def record_status(self, doc_id: str, file: str, sha256: str, status: str, reason: str = "", meta: dict | None = None) -> None:
        self.records.record_status(doc_id, file, sha256, status, reason, meta)

    def write_document(self, doc_id: str, file: str, sha256: str, meta: dict, n_pages: int, passages: list[Document],
                       sentence_vectors: dict[str, np.ndarray] | None = None,
                       pages: list[tuple[int, str]] | None = None) -> None:
        """Replace a document's passages (vectors first, then the record). ``sentence_vectors``
        maps passage id to one embedding per sentence, used to score answer sentences; ``pages``
        are the cleaned page texts that citation offsets point into."""
        self.delete_document(doc_id, keep_record=True)
        self.chroma.upsert(passages)
        self.records.write_document(doc_id, file, sha256, meta, n_pages, passages, sentence_vectors, pages)
        self._docs = None

    def delete_document(self, doc_id: str, keep_record: bool = False) -> None:
        self.chroma.delete_document(doc_id)
        self.records.delete_document(doc_id, keep_record=keep_record)
        self._docs = None

    def tagging_version(self) -> str:
        """Version of the lexicon and taxonomy the stored tags come from ('' when none yet)."""
        return self.records.get_value(TAGGING_VERSION_KEY) or ""

    def set_tagging_version(self, version: str) -> None:
        self.records.set_value(TAGGING_VERSION_KEY, version)

    def update_passage_meta(self, passages: list[Document]) -> None:
        """New metadata for stored passages (e.g. re-tagging): SQLite and Chroma, vectors untouched."""
        self.chroma.update_meta(passages)
        self.records.update_passage_meta(passages)
        self._docs = None

    def update_document_meta(self, doc_id: str, values: dict) -> None:
        self.records.update_document_meta(doc_id, values)

    # -- consistency ----------------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """Do the SQLite record, the Chroma collection and the keyword index hold the same passages?
        Returns the counts and the ids that disagree (empty lists when consistent)."""
        recorded = set(self.passages())
        in_chroma = set(self.chroma.ids())
        keyword = KeywordIndex(self.folder / "keyword")
        in_keyword = set(keyword.ids) if keyword.load() else set()
        with_vectors = self.records.sentence_vector_ids()
        records = self.record_problems()
        return {
            "passages": len(recorded), "chroma": len(in_chroma), "keyword": len(in_keyword),
            "chroma_orphans": sorted(in_chroma - recorded), "chroma_missing": sorted(recorded - in_chroma),
            "keyword_stale": sorted(in_keyword ^ recorded),
            "sentence_vectors_missing": sorted(recorded - with_vectors),
            "records_inconsistent": records["inconsistent"], "files_changed": records["changed"],
            "ok": in_chroma == recorded == in_keyword and recorded <= with_vectors and not records["inconsistent"],
        }

    def record_problems(self, files: bool = True) -> dict[str, list[dict[str, str]]]:
        """Document records that disagree with their passages (``inconsistent``: passages under a
        record that is not ingested, a passage count or a file path other than the record's), and
        ingested files that changed or went away since (``changed``, looked at when ``files``:
        'ris3 ingest' updates them)."""
        from ingest.converter import file_sha256

        by_doc: dict[str, list[Document]] = {}
        for p in self.passages().values():
            by_doc.setdefault(p.meta.get("doc_id", ""), []).append(p)
        inconsistent, changed = [], []
        records = {d.doc_id: d for d in self.documents()}
        for doc_id, rec in records.items():
            passages = by_doc.get(doc_id, [])
            path = rec.meta.get("file_path") or rec.file
            problem = ""
            if rec.status != "ingested" and passages:
                problem = f"recorded {rec.status} but {len(passages)} passages are indexed"
            elif rec.status == "ingested" and len(passages) != rec.n_passages:
                problem = f"recorded with {rec.n_passages} passages, {len(passages)} indexed"
            elif any((p.meta.get("file_path") or path) != path for p in passages):
                problem = f"passages come from another file than the record's {path}"
            if problem:
                inconsistent.append({"doc_id": doc_id, "file": path, "problem": problem})
            elif rec.status == "ingested" and files:
                if not Path(path).exists():
                    changed.append({"doc_id": doc_id, "file": path, "problem": "file no longer exists"})
                elif file_sha256(Path(path)) != rec.sha256:
                    changed.append({"doc_id": doc_id, "file": path, "problem": "file changed since it was indexed"})
        for doc_id in sorted(set(by_doc) - set(records)):
            inconsistent.append({"doc_id": doc_id, "file": "", "problem": f"{len(by_doc[doc_id])} passages without a record"})
        return {"inconsistent": inconsistent, "changed": changed}

    def repair(self) -> dict[str, int]:
        """Remove vectors whose passage was never recorded (an ingest killed between the Chroma
        write and the SQLite commit), forget documents whose recorded passages lack vectors (so the
        next ingest redoes them; so too documents whose record disagrees with their passages), and rebuild a keyword index that disagrees with the record."""
        found = self.check()
        broken_docs = {self.passages()[pid].meta.get("doc_id") for pid in found["chroma_missing"]}
        broken_docs |= {r["doc_id"] for r in found["records_inconsistent"]}  # redone from their files
        for doc_id in broken_docs:
            self.delete_document(doc_id)
        if broken_docs:
            found = self.check()
        if found["chroma_orphans"]:
            self.chroma.delete_ids(found["chroma_orphans"])
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
            self._docs = self.records.passages()
        return self._docs

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored sentence embeddings (float32, one row per sentence) of these passages."""
        return self.records.sentence_vectors(passage_ids)

    def page_text(self, doc_id: str, page: int) -> str | None:
        """Cleaned text of one page (None when the page has no text or does not exist)."""
        return self.records.page_text(doc_id, page)

    def page_texts(self, doc_id: str) -> dict[int, str]:
        """Cleaned text of every page of a document that has text, by page number."""
        return self.records.page_texts(doc_id)

    def passage_count(self) -> int:
        return self.records.passage_count()

    @property
    def keyword_index(self) -> KeywordIndex:
        if self._keyword is None:
            self._keyword = KeywordIndex(self.folder / "keyword")
            if not self._keyword.load() or set(self._keyword.ids) != set(self.passages()):
                self.rebuild_keyword_index()
        return self._keyword

    def keyword_index_current(self) -> bool:
        """Is the saved keyword index built under the current scheme (else ingestion rebuilds it)?"""
        return KeywordIndex(self.folder / "keyword").saved_current()

    def rebuild_keyword_index(self) -> None:
        kw = self._keyword or KeywordIndex(self.folder / "keyword")
        kw.build(list(self.passages().values()))
        self._keyword = kw

    # -- multilingual vectors (a second, cross-language dense retriever) -----------------------
    def missing_multilingual(self, model: str) -> list[str]:
        """Passages without multilingual vectors of ``model`` (new ones, or an index built before)."""
        return self.records.missing_multilingual(model)

    def write_multilingual(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Store each passage's window vectors (rows x dim)."""
        self.records.write_multilingual(model, vectors)
        self._ml = None

    def multilingual_matrix(self, model: str):
        """(passage ids, all window vectors as one bfloat16 torch matrix, the passage position of
        each row), cached. bfloat16 halves the memory of float32 (0.46 GB at 50k passages instead
        of 0.92) and torch's bfloat16 matrix-vector product is faster than numpy's float32 one here
        (eval/bench.py, scale stage); the rounding (3 significant digits) is far below the
        cosine gaps the retriever acts on."""
        if self._ml is None or self._ml[0] != model:
            self._ml = (model, *self.records.multilingual_matrix(model))
        return self._ml[1], self._ml[2], self._ml[3]

    # -- word vectors (query translation through the indexed vocabulary) ----------------------
    def stored_words(self, model: str) -> dict[str, set[str]]:
        """Words with a stored vector of ``model``, by language."""
        return self.records.stored_words(model)

    def write_word_vectors(self, model: str, language: str, words: list[str], vectors: np.ndarray) -> None:
        self.records.write_word_vectors(model, language, words, vectors)
        self._wv = None

    def delete_word_vectors(self, model: str, language: str, words: list[str]) -> None:
        self.records.delete_word_vectors(model, language, words)
        self._wv = None

    def word_vectors(self, model: str) -> dict[str, tuple[list[str], Any]]:
        """language -> (words, float32 torch matrix of their vectors: ``IndexRecords.word_vectors``), cached."""
        if self._wv is None or self._wv[0] != model:
            self._wv = (model, self.records.word_vectors(model))
        return self._wv[1]

    # -- filters ----------------------------------------------------------------------------
    def resolve_filters(self, **criteria: str | None) -> dict[str, Any] | None:
        """User filters as a Haystack filter over the ingested documents (``index.filters``)."""
        return resolve_filters([d for d in self.documents() if d.status == "ingested"], **criteria)

    # -- bulk copy ----------------------------------------------------------------------------
    def export_rows(self, table: str) -> list[tuple]:
        """Every row of one SQLite table (``TABLES`` names them and their columns)."""
        return self.records.export_rows(table)

    def import_rows(self, tables: dict[str, Iterable[tuple]]) -> None:
        """Insert rows into SQLite tables in one transaction, then forget the caches. The caller
        keeps Chroma and the keyword index in step (eval/bench.py copies an index this way)."""
        self.records.import_rows(tables)
        self.reload()

    def close(self) -> None:
        self.records.close()
