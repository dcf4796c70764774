"""The web app, driven headless with Streamlit's AppTest on the ingested subset."""
import re

import pytest
from streamlit.testing.v1 import AppTest

from app.render.safe import label, md
from app.service import open_index

from .conftest import CORPUS, DATA_FILES, REPO, SUBSET, make_corpus

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
    assert any(e.label.startswith("Nearest passages (") for e in app.expander)  # open: the answer abstained


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
    ingested = table[table["Status"] == "ingested"]
    assert len(ingested) == len(SUBSET)
    skipped = table[table["Status"] != "ingested"]  # the datasets of corpus/data are read, not indexed
    assert len(skipped) == len(DATA_FILES) and set(skipped["Status"]) == {"skipped"}
    assert "Regional Innovation Strategy of the Lubelskie Voivodeship 2030" in set(ingested["Title"])


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
    assert any(md("broken-programme.pdf") in e and "PDF" in e for e in errors)  # the name as escaped text
    after = sum(1 for d in open_index(settings).documents() if d.status == "ingested")
    assert after == before == 1


def test_uploaded_document_is_indexed_and_appears_in_the_library(small_app):
    app, settings = small_app
    _go(app, "Add documents")
    data = (CORPUS / "reports/el-emth-edp-tourism-focus-group-summary.pdf").read_bytes()
    app.file_uploader[0].set_value(("emth-tourism.pdf", data, "application/pdf"))
    _button(app, "Add and index").click().run()
    assert not app.exception
    assert any(f"{md('emth-tourism.pdf')}: indexed, 19 pages" in s.value for s in app.success)
    _go(app, "Library")
    table = app.dataframe[0].value
    assert len(table) == 2, table[["Title", "Status", "Reason"]].to_dict("records")
    app.sidebar.radio(key="nav").set_value("Ask").run()
    app.chat_input[0].set_value("What did the tourism focus group conclude?").run()
    assert any(label("emth-tourism") in e.label or "Emth Tourism" in e.label or "emth tourism" in e.label.lower()
               for e in app.expander)


# -- region pages: profile, compare, hubs, funding ----------------------------------------------
NN_STRATEGY = "Research and Innovation Strategy for Smart Specialization (RIS3) Northern Netherlands"


def test_region_profile_renders_cited_statements_sources_and_a_docx_brief(app):
    _go(app, "Region profile")
    app.selectbox(key="profile_region").set_value("Northern Netherlands").run()
    assert not app.exception and not app.error
    assert app.header[0].value == "Northern Netherlands (NL1): region brief"
    sections = [s.value for s in app.subheader]
    assert sections[:4] == ["Documents", "Priority domains", "Support structures named", "Hubs and organisations"]
    documents = app.table[0].value
    assert list(documents["Document"]) == [md(NN_STRATEGY)] and list(documents["Passages used"]) == ["49 / 49"]
    assert {"Entrepreneurial discovery process", "Digitalisation", "Sources"} <= set(sections)
    text = "\n".join(m.value for m in app.markdown)
    assert "- Cluster\\: " in text and "mentions in 1 document" in text
    assert ":blue[**\\[1\\]**]" in text, "statements carry their citation markers"
    assert "2014NL16RFOP001" in text
    # sources: the document's title, then each text citation with its page and sentence and a button
    # opening the page; the datasets, then each record cited
    markdown = [m.value for m in app.markdown]
    assert f"**{md(NN_STRATEGY)}** :gray[· {md('strategies/nl-northern-netherlands-ris3.pdf')}]" in markdown
    cited = [m for m in markdown if re.match(r"\*\*\\\[\d+\\\]\*\* :gray\[p\. \d+\] “.+”$", m)]
    assert len(cited) >= 10 and cited[0].startswith("**\\[1\\]**")
    assert sum(b.label == "Open page" for b in app.button) == len(cited)
    finance = "data/esif-2014-2020-finances-planned-details.csv"
    assert any(m.startswith(f"**{md('ESIF 2014-2020 planned finances')}") and f"`{finance}`" in m for m in markdown)
    assert any(re.match(r"\*\*\\\[D\d+\\\]\*\* CCI 2014NL16RFOP001 :gray\[\(lines ", m) for m in markdown)
    downloads = {d.label: d.proto.url for d in app.get("download_button")}
    assert set(downloads) == {"Markdown", "HTML", "DOCX", "JSON"}
    assert downloads["DOCX"].endswith(".docx"), "served with the Word mime type"
    _button(app, "Open page").click().run()
    assert app.session_state["nav"] == "Read"
    assert app.session_state["reader"]["doc_id"] == "nl-northern-netherlands-ris3"


def test_region_profile_without_answers_leaves_out_the_edp_and_digitalisation_sections(app):
    _go(app, "Region profile")
    app.checkbox(key="profile_answers").uncheck()
    app.text_input(key="profile_region_text").set_value("PL31").run()
    assert not app.exception
    assert app.header[0].value == "Lubelskie (PL31): region brief"
    sections = {s.value for s in app.subheader}
    assert "Priority domains" in sections and "Entrepreneurial discovery process" not in sections


def test_unknown_region_shows_the_error_on_the_profile_and_funding_pages(app):
    _go(app, "Region profile")
    app.text_input(key="profile_region_text").set_value("Atlantis").run()
    assert not app.exception
    assert [e.value for e in app.error][0].startswith("unknown region 'Atlantis'")
    assert not app.header and not app.get("download_button")
    _go(app, "Funding")
    app.text_input(key="funding_region_text").set_value("Atlantis").run()
    assert not app.exception
    assert [e.value for e in app.error][0].startswith("unknown region 'Atlantis'")
    assert not app.dataframe


def test_compare_answers_each_region_in_its_own_column_with_profile_tables(app):
    regions = ["Lubelskie", "Northern Netherlands", "Lithuania"]
    _go(app, "Compare")
    app.text_input(key="compare_question").set_value("What role do clusters play?")
    app.multiselect(key="compare_regions").set_value(regions)
    _button(app, "Compare").click().run()
    assert not app.exception and not app.error
    columns = [c for c in app.columns if any(m.value.startswith("#### ") for m in c.markdown)]
    assert [c.markdown[0].value for c in columns] == ["#### Lubelskie (PL31)", "#### Northern Netherlands (NL1)",
                                                      "#### Lithuania (LT)"]
    for column in columns:  # an answer (or the nearest sentence) with its citations, in the column
        answer = column.markdown[1].value
        assert "**\\[1\\]**" in answer
        assert column.expander and column.expander[0].label.startswith("[1] ")
        assert any(b.label == "Open page" for b in column.button)
    nn = columns[1]
    assert all(re.match(r"\[\d\] " + re.escape(label(NN_STRATEGY)), e.label) for e in nn.expander), \
        [e.label for e in nn.expander]  # every unit of the answer (up to four) from the region's strategy
    rates, shares = (d.value for d in app.dataframe)
    assert list(rates.columns) == ["Support structure", *regions] and "Cluster" in set(rates["Support structure"])
    assert list(shares.columns) == ["Priority domain", *regions]
    assert {d.label for d in app.get("download_button")} == {"Markdown", "HTML", "JSON"}


def test_hub_search_finds_digimat_with_the_passages_naming_it(app):
    _go(app, "Hubs")
    app.text_input(key="hubs_search").set_value("DIGIMAT").run()
    assert not app.exception
    assert [s.value for s in app.success] == [md("1 hub(s) named like 'DIGIMAT' in the catalogue snapshot.")]
    hub = app.expander[0]
    assert hub.label.startswith(label("DIGIMAT: South Moravian Digital Manufacturing Hub") + " — ")
    record = hub.markdown[0].value
    assert "**Catalogue id:** `dih:12995`" in record
    assert "**Website:** [http\\://www.dih\\-digimat.cz](http://www.dih-digimat.cz)" in record
    mentions = [m.value for m in hub.markdown if m.value.startswith("“")]
    assert len(mentions) > 3 and all(("DIGIMAT" in m.upper() or "Digital Manufacturing Hub" in m) for m in mentions)
    assert all(m.endswith("text file, no page numbers]") for m in mentions), "document and place cited"
    assert all(":orange-background[" in m for m in mentions), "the mention is marked in its sentence"
    assert f"**Mentioned in the indexed documents:** {len(mentions)}" in [m.value for m in hub.markdown]
    hub.button[0].click().run()
    reader = app.session_state["reader"]
    assert app.session_state["nav"] == "Read" and reader["doc_id"] == "jrc-dih-in-smart-specialisation-2018"
    assert "DIGIMAT" in reader["highlight"].upper()


def test_hub_search_for_a_hub_missing_from_the_catalogue_says_so(app):
    _go(app, "Hubs")
    app.text_input(key="hubs_search").set_value("LINPRA").run()
    assert not app.exception
    assert [w.value for w in app.warning] == [md("No hub named like 'LINPRA' in the catalogue snapshot (701 hubs).")]
    assert not app.success and not any(s.value == "Named" for s in app.subheader)


def test_hub_filters_narrow_the_catalogue_by_country(app):
    _go(app, "Hubs")
    app.selectbox(key="hubs_country").set_value("Lithuania").run()
    assert not app.exception
    assert md("of 701 catalogue hubs (country = Lithuania: ") in app.info[0].value
    assert app.expander and all(e.label.split(" · ")[0].endswith("Lithuania") for e in app.expander)


def test_funding_for_northern_netherlands_lists_its_erdf_programme_by_thematic_objective(app):
    _go(app, "Funding")
    app.selectbox(key="funding_region").set_value("Northern Netherlands").run()
    assert not app.exception and not app.error
    programmes, by_to = (d.value for d in app.dataframe)
    assert list(programmes["CCI"]) == ["2014NL16RFOP001"]
    row = programmes.iloc[0]
    assert row["Programme"] == "North Netherlands - ERDF" and row["Funds"] == "ERDF"
    assert row["TO 1-3 (EU)"] == 79_404_474 and row["EU amount"] == by_to["EU amount"].sum()
    assert list(by_to["TO"]) == ["01", "04", "TA"]
    assert any(md("cohesiondata, 2019-04-11") in c.value for c in app.caption), "source and date shown"


def test_funding_for_a_country_lists_all_its_programmes(app):
    _go(app, "Funding")
    app.radio(key="funding_by").set_value("Country").run()
    app.selectbox(key="funding_country").set_value("LT").run()
    assert not app.exception and not app.error
    programmes = app.dataframe[0].value
    by_cci = dict(zip(programmes["CCI"], programmes["Scope"]))
    assert by_cci["2014LT16MAOP001"] == "national"
    assert by_cci["2014LT06RDNP001"] == "other"  # rural development: not in the ERDF table, still the country's


def test_a_hub_named_in_an_answer_opens_the_hubs_page_on_it(app):
    app.chat_input[0].set_value("How does DIGIMAT relate to the South Moravian RIS3?").run()
    assert any(m.value == ":gray[Hubs in the DIH catalogue:]" for m in app.markdown)
    link = next(b for b in app.button if b.label == label("DIGIMAT: South Moravian Digital Manufacturing Hub"))
    link.click().run()
    assert not app.exception
    assert app.session_state["nav"] == "Hubs"
    assert app.text_input(key="hubs_search").value == "DIGIMAT: South Moravian Digital Manufacturing Hub"
    assert app.success[0].value.startswith(md("1 hub(s) named like 'DIGIMAT: South Moravian"))
    assert app.expander[0].label.startswith(label("DIGIMAT: South Moravian Digital Manufacturing Hub") + " — ")
