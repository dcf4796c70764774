"""The web app, driven headless with Streamlit's AppTest on the ingested subset."""
import pytest
from streamlit.testing.v1 import AppTest

from app.service import open_index

from .conftest import CORPUS, REPO, SUBSET, make_corpus

pytestmark = pytest.mark.slow
APP = str(REPO / "app" / "streamlit_app.py")


@pytest.fixture
def app(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception
    return at


def _go(at, page):
    at.sidebar.radio(key="nav").set_value(page).run()
    assert not at.exception


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_question_renders_an_answer_with_citations(app):
    app.chat_input[0].set_value("How does DIGIMAT relate to the South Moravian RIS3?").run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "DIGIMAT" in text and "[1]" in text
    labels = [e.label for e in app.expander]
    assert any(label.startswith("[1] Digital Innovation Hubs in Smart Specialisation Strategies") for label in labels)


def test_question_without_answer_shows_the_notice_and_nearest_passages(app):
    app.chat_input[0].set_value("What is the average rainfall in Patagonia in July?").run()
    assert not app.exception
    assert any("does not seem to answer" in i.value for i in app.info)
    assert any(e.label.startswith("Sources (") for e in app.expander)


def test_region_filter_restricts_cited_documents_and_shows_a_chip(app):
    app.sidebar.multiselect(key="filter_region").set_value(["Lubelskie"]).run()
    assert any("Region: Lubelskie" in m.value for m in app.sidebar.markdown)
    app.chat_input[0].set_value("What are the priorities of the regional innovation strategy?").run()
    assert not app.exception
    cites = [e.label for e in app.expander if e.label.startswith("[")]
    assert cites and all("Regional Innovation Strategy of the Lubelskie Voivodeship 2030" in c for c in cites)
    _button(app, "Clear filters").click().run()
    assert app.sidebar.multiselect(key="filter_region").value == []


def test_open_page_shows_the_cited_pdf_page_with_the_sentence_marked(app):
    app.sidebar.multiselect(key="filter_doc_type").set_value(["ris3"]).run()
    app.chat_input[0].set_value("Which areas of smart specialisation does Lubelskie have?").run()
    _button(app, "Open page").click().run()
    assert not app.exception
    assert app.sidebar.radio(key="nav").value == "Read"
    assert app.header[0].value == "Regional Innovation Strategy of the Lubelskie Voivodeship 2030"
    assert any(m.value.startswith("**Page ") for m in app.markdown)
    assert app.get("image"), "the page image is shown"
    assert any(":orange-background[" in m.value for m in app.markdown), "the cited sentence is marked in the text"


def test_library_lists_every_ingested_document(app):
    _go(app, "Library")
    table = app.dataframe[0].value
    assert len(table) == len(SUBSET)
    assert set(table["Status"]) == {"ingested"}
    assert "Regional Innovation Strategy of the Lubelskie Voivodeship 2030" in set(table["Title"])


@pytest.fixture
def small_app(tmp_path, monkeypatch):
    """An app over its own one-document index, for tests that add documents."""
    from app.service import ingest
    from app.settings import Settings

    corpus = make_corpus(tmp_path / "corpus", ["operations/mt-op1-erdf-beneficiaries-2016.pdf"])
    settings = Settings(home=tmp_path / "home", corpus=corpus, workers=0)
    ingest(settings, progress=False)
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception
    return at, settings


def test_reports_page_counts_terms_and_opens_a_cells_mentions_on_their_page(app, built_index):
    import json

    stored = sum(1 for p in open_index(built_index[0]).passages().values() if p.meta["region"] == "Lubelskie"
                 for *_, c in json.loads(p.meta["tag_spans"]) if c == "support.cluster")
    _go(app, "Reports")
    assert [s.value for s in app.subheader][:1] == ["Heatmap: mentions per 10,000 words"]
    assert {b.label for b in app.get("download_button")} >= {"CSV", "XLSX", "HTML"}
    app.selectbox(key="report_cell_term").set_value("support.cluster").run()
    app.selectbox(key="report_cell_group").set_value("Lubelskie").run()
    assert not app.exception
    assert any(c.value.startswith(f"{stored} mentions in 1 of 1 documents") for c in app.caption)
    lines = [m.value for m in app.markdown if "orange-background" in m.value]
    assert stored > 5 and len(lines) == stored and all("Lubelskie" in line for line in lines)
    _button(app, "Open page").click().run()
    reader = app.session_state["reader"]
    assert app.session_state["nav"] == "Read" and reader["doc_id"] == "pl-lubelskie-ris-2030"
    assert reader["highlight"].lower().startswith(("cluster", "klast"))


def test_reports_page_with_two_groupings_and_a_free_phrase(app):
    _go(app, "Reports")
    app.selectbox(key="report_by").set_value("country").run()
    app.selectbox(key="report_by2").set_value("doc_type").run()
    app.text_input(key="report_phrases").set_value("smart specialisation strategy").run()
    assert not app.exception
    app.selectbox(key="report_cell_term").set_value("phrase:smart specialisation strategy").run()
    groups = app.selectbox(key="report_cell_group").options
    assert "PL · ris3" in groups and "MT · op-operations" in groups


def test_concordance_page_lists_mentions_with_citations(app):
    _go(app, "Concordance")
    app.selectbox(key="kwic_concept").set_value("support.living_lab").run()
    assert not app.exception
    caption = next(c.value for c in app.caption if "mentions in" in c.value)
    lines = [m.value for m in app.markdown if "orange-background" in m.value]
    assert caption.startswith(f"{len(lines)} mentions") and lines
    assert all(("p. " in line) or ("no page numbers" in line) for line in lines)


def test_uploading_a_corrupt_pdf_shows_an_error_and_changes_no_document(small_app):
    app, settings = small_app
    before = sum(1 for d in open_index(settings).documents() if d.status == "ingested")
    _go(app, "Add documents")
    broken = (CORPUS / "operations/mt-op1-erdf-beneficiaries-2016.pdf").read_bytes()[:4000]
    app.file_uploader[0].set_value(("broken-programme.pdf", broken, "application/pdf"))
    _button(app, "Add and index").click().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("broken-programme.pdf" in e and "PDF" in e for e in errors)
    after = sum(1 for d in open_index(settings).documents() if d.status == "ingested")
    assert after == before == 1


def test_uploaded_document_is_indexed_and_appears_in_the_library(small_app):
    app, settings = small_app
    _go(app, "Add documents")
    data = (CORPUS / "reports/el-emth-edp-tourism-focus-group-summary.pdf").read_bytes()
    app.file_uploader[0].set_value(("emth-tourism.pdf", data, "application/pdf"))
    _button(app, "Add and index").click().run()
    assert not app.exception
    assert any("emth-tourism.pdf: indexed, 19 pages" in s.value for s in app.success)
    _go(app, "Library")
    table = app.dataframe[0].value
    assert len(table) == 2, table[["Title", "Status", "Reason"]].to_dict("records")
    app.sidebar.radio(key="nav").set_value("Ask").run()
    app.chat_input[0].set_value("What did the tourism workshop conclude?").run()
    assert any("emth-tourism" in e.label or "Emth Tourism" in e.label or "emth tourism" in e.label.lower()
               for e in app.expander)
