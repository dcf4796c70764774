"""End to end on a subset of the real corpus: ingestion, incremental re-runs, failures."""
import shutil
import time

import pytest

from app.service import ingest, open_index
from app.settings import Settings

from .conftest import CORPUS, SEED, SUBSET, make_corpus

pytestmark = pytest.mark.slow


def test_subset_is_ingested_with_pages_and_passages(built_index):
    settings, report = built_index
    assert report.count("ingested") == len(SUBSET) and report.count("failed") == 0
    index = open_index(settings)
    docs = {d.doc_id: d for d in index.documents()}
    lub = docs["pl-lubelskie-ris-2030"]
    assert lub.status == "ingested" and lub.n_pages == 90 and lub.n_passages > 50
    assert lub.meta["region"] == "Lubelskie" and lub.meta["doc_type"] == "ris3"
    pages = {p.meta["page_start"] for p in index.passages().values() if p.meta["doc_id"] == "pl-lubelskie-ris-2030"}
    assert min(pages) >= 1 and max(pages) <= 90 and len(pages) > 40


def test_rerun_with_nothing_changed_changes_nothing(built_index):
    settings, _ = built_index
    index = open_index(settings)
    before = (index.passage_count(), index.document_store.count_documents())
    started = time.perf_counter()
    report = ingest(settings, progress=False)
    assert time.perf_counter() - started < 30
    assert report.count("unchanged") == len(SUBSET) and not report.changed
    after = open_index(settings)
    assert (after.passage_count(), after.document_store.count_documents()) == before


def test_changed_file_replaces_its_passages_and_removed_file_is_dropped(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", [SEED, "operations/mt-op1-erdf-beneficiaries-2016.pdf"])
    settings = Settings(home=tmp_path / "home", corpus=corpus, workers=0)
    ingest(settings, progress=False)
    index = open_index(settings)
    old_ids = {i for i, p in index.passages().items() if p.meta["doc_id"] == "mt-op1-erdf-beneficiaries-2016"}

    seed = corpus / SEED
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\nAddendum: the LIVINGLABX pilot joined in 2019.\n", encoding="utf-8")
    (corpus / "operations/mt-op1-erdf-beneficiaries-2016.pdf").unlink()
    report = ingest(settings, progress=False)
    statuses = {o.doc_id: o.status for o in report.outcomes if o.doc_id}
    assert statuses == {"jrc-dih-in-smart-specialisation-2018": "ingested", "mt-op1-erdf-beneficiaries-2016": "removed"}
    # its manifest row is still there: reported, so that the user can fix the manifest
    assert [o.reason for o in report.outcomes if not o.doc_id] == [
        f"listed in {corpus / 'manifest.csv'} (doc_id mt-op1-erdf-beneficiaries-2016) but the file does not exist"]

    index = open_index(settings)
    texts = [p.content for p in index.passages().values()]
    assert any("LIVINGLABX" in t for t in texts)
    assert not old_ids & set(index.passages())
    assert index.document_store.count_documents() == index.passage_count()
    assert index.keyword_index.search("LIVINGLABX", 3)


def test_bad_files_are_reported_by_name_and_the_rest_is_ingested(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["operations/mt-op1-erdf-beneficiaries-2016.pdf"])
    (corpus / "fake.pdf").write_bytes((CORPUS / "guides/onlines3-stakeholder-engagement-guideline.docx").read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "truncated.pdf").write_bytes((CORPUS / "operations/mt-op1-erdf-beneficiaries-2016.pdf").read_bytes()[:3000])
    (corpus / "notes.pptx").write_bytes(b"PK\x03\x04")
    shutil.copy(CORPUS / "operations/mt-op1-erdf-beneficiaries-2016.pdf", corpus / "copy-of-malta.pdf")
    settings = Settings(home=tmp_path / "home", corpus=corpus, workers=0)
    report = ingest(settings, progress=False)
    by_file = {o.file.rsplit("/", 1)[-1]: o for o in report.outcomes}
    assert by_file["mt-op1-erdf-beneficiaries-2016.pdf"].status == "ingested"
    assert by_file["fake.pdf"].status == "failed" and "no %PDF header" in by_file["fake.pdf"].reason
    assert by_file["empty.txt"].status == "failed" and "empty file" in by_file["empty.txt"].reason
    assert by_file["truncated.pdf"].status == "failed" and "PDF" in by_file["truncated.pdf"].reason
    assert by_file["notes.pptx"].status == "skipped" and "unsupported file type" in by_file["notes.pptx"].reason
    assert by_file["copy-of-malta.pdf"].status == "skipped" and "same content as" in by_file["copy-of-malta.pdf"].reason
    statuses = {d.doc_id: d.status for d in open_index(settings).documents()}
    assert statuses["fake"] == "failed" and statuses["mt-op1-erdf-beneficiaries-2016"] == "ingested"


def test_index_records_its_settings_and_refuses_other_ones(tmp_path):
    import json

    from index.store import IndexMismatchError, PassageIndex

    index = PassageIndex(tmp_path)
    settings_file = index.folder / "settings.json"
    data = json.loads(settings_file.read_text())
    assert data["model_name"] == "sentence-transformers/all-MiniLM-L6-v2" and data["max_words"] == 180
    data["max_words"] = 999
    settings_file.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="built with"):
        PassageIndex(tmp_path)


def test_every_passage_has_one_stored_vector_per_sentence(built_index):
    from nlp.passages import sentence_spans

    index = open_index(built_index[0])
    passages = index.passages()
    vectors = index.sentence_vectors(list(passages))
    assert set(vectors) == set(passages)
    for pid, p in passages.items():
        assert vectors[pid].shape == (len(sentence_spans(p)), 384)
