"""Adapters to third-party internals stay in their one module, and the index's parts work alone:
the SQLite record (index/records.py) on a temporary file, the Chroma adapter (index/chroma.py) on
an embedded Chroma in a temporary folder. Fast: no model is loaded."""
import re
import sqlite3

import numpy as np
import pytest
from haystack import Document

from .conftest import REPO

PACKAGES = ("ingest", "nlp", "index", "qa", "analysis", "app", "eval")
CHROMA_PRIVATE = re.compile(r"(?<!\w)(_collection|_ensure_initialized|_convert_document_to_chroma|_client)\b")
CHROMA_ADAPTER = REPO / "index" / "chroma.py"


def test_chroma_internals_are_used_in_index_chroma_only():
    offenders = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if path == CHROMA_ADAPTER:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CHROMA_PRIVATE.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not offenders, "private chromadb / chroma-haystack attributes outside index/chroma.py:\n" + "\n".join(offenders)


def test_the_rule_sees_private_uses_and_not_public_names():
    assert CHROMA_PRIVATE.search("store._collection.get()") and CHROMA_PRIVATE.search("x._client = None")
    assert CHROMA_PRIVATE.search('getattr(store, "_ensure_initialized")')
    assert not CHROMA_PRIVATE.search("index.chroma_collection()") and not CHROMA_PRIVATE.search("http_client")


def _passages(doc_id: str, n: int = 3) -> list[Document]:
    return [Document(id=f"{doc_id}:{i:05d}", content=f"Passage {i} of {doc_id} about living labs.",
                     meta={"doc_id": doc_id, "passage_index": i, "page_start": i + 1, "tags": ["support.living_lab"],
                           "region": "Lubelskie"})
            for i in range(n)]


# -- index/records.py ---------------------------------------------------------------------------
@pytest.fixture
def records(tmp_path):
    from index.records import IndexRecords

    rec = IndexRecords(tmp_path / "state.sqlite")
    yield rec
    rec.close()


def _write(records, doc_id: str) -> list[Document]:
    passages = _passages(doc_id)
    vectors = {p.id: np.full((2, 4), 0.5, dtype=np.float32) for p in passages}
    records.write_document(doc_id, f"{doc_id}.pdf", "abc123", {"title": doc_id.title(), "region": "Lubelskie"}, 2,
                           passages, vectors, [(1, "first page"), (2, "second page")])
    return passages


def test_records_write_a_document_and_read_it_back(records):
    passages = _write(records, "pl-a")
    (doc,) = records.documents()
    assert (doc.doc_id, doc.file, doc.sha256, doc.status, doc.n_pages, doc.n_passages) == ("pl-a", "pl-a.pdf", "abc123",
                                                                                          "ingested", 2, 3)
    assert doc.meta == {"title": "Pl-A", "region": "Lubelskie"} and records.document("pl-a") == doc
    stored = records.passages()
    assert list(stored) == [p.id for p in passages] and records.passage_count() == 3
    assert [(d.content, d.meta) for d in stored.values()] == [(p.content, p.meta) for p in passages]
    assert records.page_texts("pl-a") == {1: "first page", 2: "second page"}
    assert records.page_text("pl-a", 2) == "second page" and records.page_text("pl-a", 3) is None
    vectors = records.sentence_vectors([passages[0].id, "unknown"])
    assert list(vectors) == [passages[0].id] and vectors[passages[0].id].dtype == np.float32
    assert np.allclose(vectors[passages[0].id], 0.5) and records.sentence_vector_ids() == {p.id for p in passages}


def test_records_delete_keeps_nothing_behind(records, tmp_path):
    passages = _write(records, "pl-a")
    _write(records, "de-b")
    records.write_multilingual("m1", {p.id: np.ones((3, 4)) for p in passages})
    assert records.missing_multilingual("m1") == [p.id for p in _passages("de-b")]
    records.delete_document("pl-a", keep_record=True)
    assert [d.doc_id for d in records.documents()] == ["de-b", "pl-a"]
    records.delete_document("pl-a")
    assert [d.doc_id for d in records.documents()] == ["de-b"]
    records.delete_document("de-b")
    db = sqlite3.connect(tmp_path / "state.sqlite")
    for table in ("documents", "passages", "pages", "sentence_vectors", "multilingual_windows"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
    db.close()


def test_records_status_meta_and_key_values(records):
    records.record_status("x", "x.pptx", "sha", "skipped", "unsupported file type", {"file_path": "/c/x.pptx"})
    (doc,) = records.documents()
    assert (doc.status, doc.reason, doc.meta, doc.n_passages) == ("skipped", "unsupported file type",
                                                                   {"file_path": "/c/x.pptx"}, 0)
    records.update_document_meta("x", {"tag_counts": {"a": 1}})
    assert records.document("x").meta == {"file_path": "/c/x.pptx", "tag_counts": {"a": 1}}
    records.update_document_meta("nobody", {"a": 1})  # no record: nothing happens
    assert records.get_value("tagging_version") is None
    records.set_value("tagging_version", "v2")
    assert records.get_value("tagging_version") == "v2"


def test_records_vector_matrices_and_bulk_copy(records, tmp_path):
    from index.records import IndexRecords

    passages = _write(records, "pl-a")
    records.write_multilingual("m1", {passages[1].id: np.ones((2, 4)), passages[0].id: np.zeros((1, 4))})
    ids, matrix, owner = records.multilingual_matrix("m1")
    assert ids == [passages[0].id, passages[1].id] and tuple(matrix.shape) == (3, 4) and list(owner) == [0, 1, 1]
    records.write_word_vectors("w1", "en", ["lab", "hub"], np.eye(2, 4))
    assert records.stored_words("w1") == {"en": {"lab", "hub"}}
    words, vectors = records.word_vectors("w1")["en"]
    assert words == ["hub", "lab"] and tuple(vectors.shape) == (2, 4)
    records.delete_word_vectors("w1", "en", ["hub"])
    assert records.stored_words("w1") == {"en": {"lab"}}

    copy = IndexRecords(tmp_path / "copy.sqlite")
    tables = ("documents", "passages", "pages", "sentence_vectors", "multilingual_windows", "word_vectors")
    copy.import_rows({t: records.export_rows(t) for t in tables})
    assert {t: copy.export_rows(t) for t in tables} == {t: records.export_rows(t) for t in tables}
    with pytest.raises(sqlite3.IntegrityError):  # plain inserts, one transaction: nothing of it stays
        copy.import_rows({"kv": [("k", "v")], "passages": copy.export_rows("passages")})
    assert copy.get_value("k") is None
    with pytest.raises(ValueError, match="no table"):
        copy.export_rows("sqlite_master")
    copy.close()


def test_passage_index_mismatch_says_what_to_do(tmp_path):
    import json

    from index.store import IndexMismatchError, PassageIndex

    index = PassageIndex(tmp_path)
    assert index._ml is None and index._wv is None  # caches exist from the start
    index.close()
    path = index.folder / "settings.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "max_words": 999}))
    with pytest.raises(IndexMismatchError) as err:
        PassageIndex(tmp_path)
    message = str(err.value)
    assert "built with" in message and "RIS3_HOME" in message and str(index.folder) in message
    assert "--rebuild" not in message


# -- index/chroma.py ----------------------------------------------------------------------------
def test_chroma_upserts_updates_meta_and_deletes_by_document(tmp_path):
    import chromadb

    from index.chroma import ChromaPassages

    chroma = ChromaPassages("passages-test", persist_path=tmp_path / "chroma")
    passages = [Document(id=p.id, content=p.content, meta=p.meta, embedding=[float(i + 1), 0.5, 0.25, 0.0])
                for i, p in enumerate(_passages("pl-a", 2) + _passages("de-b", 1))]
    chroma.upsert(passages, batch=2)
    assert sorted(chroma.ids()) == sorted(p.id for p in passages)
    assert chroma.document_store.count_documents() == 3

    first = passages[0]
    retagged = Document(id=first.id, content=first.content, meta={"doc_id": "pl-a", "passage_index": 0, "region": "Lublin"})
    chroma.update_meta([retagged])
    got = chroma.collection.get(ids=[first.id], include=["metadatas", "embeddings", "documents"])
    assert got["metadatas"][0] == {"doc_id": "pl-a", "passage_index": 0, "region": "Lublin"}  # old keys gone
    assert np.allclose(got["embeddings"][0], first.embedding) and got["documents"][0] == first.content

    chroma.delete_document("pl-a")
    assert chroma.ids() == ["de-b:00000"]
    chroma.delete_ids(["de-b:00000"])
    assert chroma.ids() == []

    # what was written is on disk, in the named collection, for any Chroma client
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    assert client.get_collection("passages-test").count() == 0


def test_chroma_nearest_gives_haystacks_ids_and_distances_without_the_records(tmp_path):
    from haystack_integrations.components.retrievers.chroma import ChromaEmbeddingRetriever

    from index.chroma import ChromaPassages

    chroma = ChromaPassages("passages-near", persist_path=tmp_path / "chroma")
    passages = [Document(id=p.id, content=p.content, meta=p.meta, embedding=[1.0, 0.1 * i, 0.05 * i * i, 0.2])
                for i, p in enumerate(_passages("pl-a", 4) + _passages("de-b", 2))]
    chroma.upsert(passages)
    query = [1.0, 0.25, 0.1, 0.2]
    haystack = ChromaEmbeddingRetriever(document_store=chroma.document_store, top_k=3)
    for filters in (None, {"field": "meta.doc_id", "operator": "==", "value": "de-b"}):
        want = [(d.id, d.score) for d in haystack.run(query_embedding=query, filters=filters)["documents"]]
        got = chroma.nearest(query, 3, filters)
        assert [i for i, _ in got] == [i for i, _ in want] and len(got) == (3 if filters is None else 2)
        assert np.allclose([d for _, d in got], [d for _, d in want])
