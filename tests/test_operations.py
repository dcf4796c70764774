"""Lists of funded operations as rows: amounts and headers parsed, the real Brandenburg, Scotland
and Malta lists read as tables (expected rows read by hand from the PDF pages), rows stored with
the index and replaced or removed with their document, the CLI filters and exports, the app page.

Expected values: Brandenburg and Scotland from each page's text (pdfplumber extract_text), Malta
from the rendered pages (its text layer interleaves the columns)."""
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from app.cli import cli
from index.operations import OperationStore, sync_operations
from index.store import PassageIndex
from ingest.operations import OperationExtractor, map_header, parse_amount, parse_year

from .conftest import CORPUS, REPO

BRANDENBURG = CORPUS / "operations" / "de-brandenburg-efre-verzeichnis-2014.pdf"
SCOTLAND = CORPUS / "operations" / "uk-scotland-esif-2014-2020-operations.pdf"
MALTA = CORPUS / "operations" / "mt-op1-erdf-beneficiaries-2016.pdf"
MALTA_ID = "mt-op1-erdf-beneficiaries-2016"

# (page, operation name, beneficiary, amount as on the page, amount as a number, year)
BRANDENBURG_ROWS = [
    (2, 'Messeteilnahme "INTERNORGA 2014" in Hamburg', '"Admiral" Objekt Wäsche und Arbeitskleidung GmbH',
     "4.690,00 €", 4690.00, 2014),
    (2, 'Messeteilnahme "Bauen + Energie 2009" in Frankfurt/Oder', '"Brandenburg Komplett" Bau GmbH',
     "1.380,00 €", 1380.00, 2009),
    (2, "Medica 2014", '"Diagnostik Netzwerk Berlin-Brandenburg"(DiagnostikNet-BB) e.V.', "39.403,20 €", 39403.20, 2014),
    (2, "Erweiterung einer Betriebsstätte zur Herstellung von Fleisch- und Wurstwaren",
     '"Fleischerei Lehmann" Trebbiner Fleisch- und Wurstwaren GmbH', "105.556,70 €", 105556.70, 2008),
    (25, "Anpassung an aktuelle Anforderungen im Computerpool der Fakultät 2",
     "Brandenburgische Technische Universität Cottbus-Senftenberg", "155.311,75 €", 155311.75, 2013),
    (130, "Tour Brandenburg - TO 1 Beschilderung und TO 2 - Radweg Klein Marzehns - Garrey",
     "Landkreis Potsdam-Mittelmark", "328.220,59 €", 328220.59, 2010),
    (130, "Oberflächenabdichtung der Deponie Wittenberge, 3. BA", "Landkreis Prignitz", "7.697.760,00 €", 7697760.00, 2012),
    (263, "Rehabilitation Trinkwassernetz Fürstenwalde, Vogelsiedlung",
     "Zweckverband Wasserversorgung und Abwasserentsorg. Fürstenwalde und Umland", "233.284,98 €", 233284.98, 2010),
    (263, "Sanierung Wasserwerk Markgrafpieske",
     "Zweckverband Wasserversorgung und Abwasserentsorg. Fürstenwalde und Umland", "493.696,45 €", 493696.45, 2014),
    (263, "Wasserwerk Eberswalde, Ertüchigung Reinwasserbehälter 2",
     "Zweckverband Wasserversorgung und Abwasserentsorgung Eberswalde", "255.632,41 €", 255632.41, 2013),
]
SCOTLAND_ROWS = [
    (1, "Active and Low Carbon Travel Hubs – LUPS", "Transport Scotland", "£5,417,475.30", 5417475.30, 2016),
    (1, "SI Management Costs – H & I", "Transport Scotland", "£55,218.63", 55218.63, 2016),
    (1, "Challenge Fund Management Costs - LUPS", "Transport Scotland", "£450,000.00", 450000.00, 2016),
    (7, "Specialist Advice & Growth Activities", "Highland Council", "£ 47,574.47", 47574.47, 2015),
    (10, "SME Holding Fund Business Unit", "Scottish Government", "£12,400,000", 12400000.0, 2015),
    (14, "Tackling Poverty and Social Exclusion in Stirling (TPSES) - Challenge Funds", "Stirling Council",
     "£141,500", 141500.0, 2016),
    (14, "TPSES – Enhanced Advice Service", "Stirling Council", "£128,000", 128000.0, 2016),
    (14, "Poverty & Social Inclusion Operation (MC)", "Glasgow City Council", "£41,337", 41337.0, 2017),
    (27, "YEI - Delivery", "South Ayrshire Council", "£647950.50", 647950.50, 2016),
    (27, "NLYEI", "North Lanarkshire Council", "£5,019,999.78", 5019999.78, 2015),
    (28, "Community Led Transformation – Highlands and Islands", "Scottish Government (Regeneration Unit)",
     "£3,774,750", 3774750.0, 2016),
]
MALTA_ROWS = [
    (1, "Promotion of RES in the Domestic Sector (2016-2018)", "Regulator for Energy and Water Services (REWS)",
     "€15,524,474.00", 15524474.00, 2016),
    (1, "Grandmasters' Palace Regeneration Project", "Restoration Directorate", "€4,217,796.62", 4217796.62, 2016),
    (1, "MUZA - The National-Community Art Museum", "Heritage Malta", "€5,000,000.00", 5000000.00, 2016),
    (1, "The Malta Carnival Experience", "Ministry for Justice, Culture and Local Government", "€4,158,171.58",
     4158171.58, 2016),
    (2, "Gozo Museum", "Ministry for Gozo", "€4,260,169.49", 4260169.49, 2016),
    (2, "The Upgrading of the Manoel Theatre", "Ministry for Justice, Culture and Local Government", "€1,198,599.32",
     1198599.32, 2016),
    (2, "Invest in Chadwick Lakes for Tourism Purposes", "Sustainable Energy and Water Conservation Unit",
     "€4,237,053.00", 4237053.00, 2016),
    (3, "Rehabilitation of Xewkija Windmill", "Ministry for Gozo", "€377,011.03", 377011.03, 2016),
    (3, "Internationalization Knowledge Platform", "Trade Malta", "€809,002.00", 809002.00, 2016),
    (3, "Removal of bottleneck on TEN-T (Node EA15-Kappara)", "Transport Malta-Roads and Infrastructure Directorate",
     "€33,347,855.61", 33347855.61, 2016),
]


def _check(rows, expected, currency):
    for page, name, beneficiary, amount_text, amount, year in expected:
        row = next((r for r in rows if (r.page, r.fields.get("name"), r.fields.get("amount_text"))
                    == (page, name, amount_text)), None)
        assert row is not None, f"p. {page}: no row {name!r} with {amount_text}"
        assert row.fields["beneficiary"] == beneficiary
        assert row.fields["amount_text"] == amount_text
        assert row.fields["amount"] == pytest.approx(amount)
        assert row.fields["currency"] == currency
        assert row.fields["year"] == year
        assert amount_text in row.cells


# -- parsing --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, number, currency", [
    ("155.311,75 €", 155311.75, "EUR"), ("7.697.760,00 €", 7697760.0, "EUR"), ("0,00 €", 0.0, "EUR"),
    ("€15,524,474.00", 15524474.0, "EUR"), ("€ 107,687,820", 107687820.0, "EUR"), ("£141,500", 141500.0, "GBP"),
    ("£ 47,574.47", 47574.47, "GBP"), ("£647950.50", 647950.5, "GBP"), ("£27,954,825 requested", 27954825.0, "GBP"),
])
def test_amounts_in_german_and_english_notation_parse_to_numbers(text, number, currency):
    assert parse_amount(text) == (pytest.approx(number), currency)


def test_text_that_is_no_amount_parses_to_none():
    assert parse_amount("n/a") == (None, "")
    assert parse_amount("Messeteilnahme 2013 in Salzburg") == (None, "")


def test_years_come_from_year_columns_and_dates():
    assert parse_year("2014 / 2015") == 2014
    assert parse_year("02/5/16") == 2016
    assert parse_year("01/08/2015") == 2015


@pytest.mark.parametrize("header, field", [
    ("Name des Begünstigten", "beneficiary"), ("Bezeichnung des Vorhabens", "name"),
    ("Jahr der Bewilligung / Jahr der Restzahlung", "year"), ("Gewährte Beträge", "amount"),
    ("Bei Abschluss des Vorhabens gezahlte Gesamtbeträge", "paid_amount"), ("Recipient organisation", "beneficiary"),
    ("Operation Name", "name"), ("ESF/ ERDF Grant requested", "amount"), ("Total eligible expenditure", "total_amount"),
    ("Start and end dates", "dates"), ("Name of Beneficiaries", "beneficiary"), ("Name of Operation", "name"),
    ("Operation Start Date", "start_date"), ("Amounts Committed*** €", "amount"), ("Postcode", "location"),
])
def test_headers_in_german_and_english_map_to_common_fields(header, field):
    assert map_header(header) == field


# -- the real lists ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_brandenburg_rows_keep_project_beneficiary_and_amount_together():
    result = OperationExtractor().extract(BRANDENBURG, [1, 2, 25, 130, 263])
    assert not result.errors
    _check(result.rows, BRANDENBURG_ROWS, "EUR")
    assert {r.page for r in result.rows} == {2, 25, 130, 263}  # p. 1 is the cover: no rows


@pytest.mark.slow
@pytest.mark.slow
def test_lines_of_one_operation_drawn_as_separate_rows_are_joined():
    rows = OperationExtractor().extract(SCOTLAND, [10]).rows
    fund = next(r for r in rows if r.fields["amount_text"] == "£12,400,000")
    assert fund.fields["name"] == "SME Holding Fund Business Unit"
    assert (fund.fields["start_date"], fund.fields["end_date"]) == ("01/07/2015", "31/12/2018")
    assert fund.fields["description"].startswith("This Operation is for the £12.4m ERDF fund capital value of the SME")
    assert all(r.fields.get("amount") is not None for r in rows)


@pytest.mark.slow
def test_header_repeated_on_every_page_is_not_read_as_a_row():
    rows = OperationExtractor().extract(BRANDENBURG, [2, 3, 4]).rows
    assert {r.page for r in rows} == {2, 3, 4}
    assert all(r.fields["beneficiary"] != "Name des Begünstigten" for r in rows)
    assert all(r.columns[0] == "Name des Begünstigten" for r in rows)
    assert all(r.fields.get("amount") is not None for r in rows)


@pytest.mark.slow
def test_scotland_rows_match_the_pages():
    result = OperationExtractor().extract(SCOTLAND, [1, 7, 10, 14, 27, 28])
    _check(result.rows, SCOTLAND_ROWS, "GBP")
    tpses = next(r for r in result.rows if r.fields.get("name") == "TPSES – Enhanced Advice Service")
    assert tpses.fields["location"] == "FK8 2ET" and tpses.fields["total_amount"] == 320000.0


@pytest.mark.slow
def test_tables_found_in_worker_processes_give_the_same_rows_and_page_errors_as_one_process():
    pages = list(range(1, 29)) + [99]  # all of Scotland's 28 pages (rows continue across them) and one it lacks
    alone = OperationExtractor().extract(SCOTLAND, pages)
    parallel = OperationExtractor(workers=2).extract(SCOTLAND, pages)
    assert len(alone.rows) > 100
    assert [(r.page, r.row, r.cells, r.fields) for r in parallel.rows] == [(r.page, r.row, r.cells, r.fields) for r in alone.rows]
    assert parallel.errors == alone.errors == ["p. 99: no page 99 (the PDF has 28)"]
    assert parallel.pages == alone.pages == 29


@pytest.mark.slow
def test_malta_rows_match_the_pages_and_add_up_to_the_total():
    result = OperationExtractor().extract(MALTA)
    _check(result.rows, MALTA_ROWS, "EUR")
    assert len(result.rows) == 16  # 5 + 6 + 5 operations; the Total line and the footnotes are no rows
    assert round(sum(r.fields["amount"] for r in result.rows)) == 107687820  # "Total € 107,687,820", p. 3


@pytest.mark.slow
def test_page_without_header_reads_with_the_header_of_the_page_before():
    rows = OperationExtractor().extract(MALTA, [3]).rows
    assert [r.fields["reference"] for r in rows] == ["ERDF.05.029", "ERDF.03.007", "ERDF.03.011", "ERDF.03.014",
                                                     "CF.011.013"]


@pytest.mark.slow
def test_a_page_that_cannot_be_read_is_reported_and_the_others_go_on():
    result = OperationExtractor().extract(MALTA, [1, 9])
    assert result.errors == ["p. 9: no page 9 (the PDF has 3)"]
    assert len(result.rows) == 5


# -- storage with the index ---------------------------------------------------------------------------
@pytest.mark.slow
def test_ingestion_stores_rows_with_document_page_row_cells_and_fields(built_index):
    settings, _ = built_index
    index = PassageIndex(settings.home, settings.index)
    rows = OperationStore.for_index(index).rows([MALTA_ID])
    assert len(rows) == 16
    first = rows[0]
    assert (first.doc_id, first.page, first.row) == (MALTA_ID, 1, 1)
    assert first.cells[0] == "ERDF.04.008" and first.columns[0] == "Project Ref. no."
    assert first.fields["beneficiary"] == "Regulator for Energy and Water Services (REWS)"


@pytest.mark.slow
def test_changed_document_replaces_its_rows_and_removed_one_loses_them(tmp_path):
    pdf = tmp_path / "mt.pdf"
    shutil.copy(MALTA, pdf)
    index = PassageIndex(tmp_path / "home")
    store = OperationStore.for_index(index)
    meta = {"doc_type": "op-operations", "file_path": str(pdf), "title": "Malta list"}
    index.record_status("mt", "mt.pdf", "sha-1", "ingested", "", meta)
    extractor = OperationExtractor()
    assert set(sync_operations(index, store, extractor=extractor)) == {"mt"}
    assert len(store.rows(["mt"])) == 16
    assert sync_operations(index, store, extractor=extractor) == {}  # unchanged: not read again
    with pdf.open("ab") as fh:
        fh.write(b"\n%changed\n")
    index.record_status("mt", "mt.pdf", "sha-2", "ingested", "", meta)  # re-ingested with a new hash
    assert set(sync_operations(index, store, extractor=extractor)) == {"mt"}
    assert len(store.rows(["mt"])) == 16 and store.documents()["mt"].sha256 == "sha-2"
    index.delete_document("mt")
    sync_operations(index, store, extractor=extractor)
    assert store.rows(["mt"]) == [] and store.documents() == {}


def test_search_on_an_index_without_lists_finds_nothing(tmp_path):
    from analysis.operations import OperationFilter, search_operations

    found = search_operations(PassageIndex(tmp_path / "home"), OperationFilter(term="Gozo", min_amount=1))
    assert found.empty and "citation" in found.columns


# -- CLI --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_filters_by_beneficiary_amount_year_term_and_region(env):
    run = CliRunner().invoke
    out = run(cli, ["operations", "search", "--beneficiary", "malta industrial parks"]).output
    assert "The Extension of Xewkija Industrial Park" in out and out.strip().endswith("2 operations")
    out = run(cli, ["operations", "search", "--min-amount", "5.000.000,00", "--max-amount", "20000000"]).output
    assert out.strip().endswith("4 operations") and "€15,524,474.00" in out and "€5,000,000.00" in out
    assert run(cli, ["operations", "search", "--year", "2016", "--region", "Malta"]).output.strip().endswith("16 operations")
    assert run(cli, ["operations", "search", "--year", "2015"]).output.strip().endswith("0 operations")
    out = run(cli, ["operations", "search", "Xewkija"]).output
    assert "Rehabilitation of Xewkija Windmill" in out and out.strip().endswith("2 operations")
    assert "[Online list of beneficiaries, OP I ERDF Malta (November 2016), p. 3]" in out


@pytest.mark.slow
def test_cli_unknown_region_or_bad_amount_is_one_line(env):
    result = CliRunner().invoke(cli, ["operations", "search", "--region", "Atlantis"])
    assert result.exit_code == 1 and "no list of operations matches region='Atlantis'; known values: Malta" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["operations", "search", "--min-amount", "lots"])
    assert result.exit_code == 2 and "'lots' is not an amount" in result.output


@pytest.mark.slow
def test_cli_exports_csv_and_xlsx_that_pandas_reads_back(env, tmp_path):
    run = CliRunner().invoke
    assert run(cli, ["operations", "search", "Gozo", "-f", "csv", "-o", str(tmp_path / "ops.csv")]).exit_code == 0
    assert run(cli, ["operations", "search", "Gozo", "-f", "xlsx", "-o", str(tmp_path / "ops.xlsx")]).exit_code == 0
    for frame in (pd.read_csv(tmp_path / "ops.csv"), pd.read_excel(tmp_path / "ops.xlsx")):
        museum = frame[frame["name"] == "Gozo Museum"].iloc[0]
        assert museum["amount"] == pytest.approx(4260169.49) and museum["amount_text"] == "€4,260,169.49"
        assert museum["page"] == 2 and museum["citation"].endswith(", p. 2")
        assert museum["beneficiary"] == "Ministry for Gozo" and museum["region"] == "Malta"


# -- the app page -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_operations_page_shows_cited_rows_filters_and_downloads(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    monkeypatch.setenv("RIS3_CORPUS", str(settings.corpus))
    at = AppTest.from_file(str(REPO / "app" / "streamlit_app.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="nav").set_value("Operations").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 16
    assert "Online list of beneficiaries, OP I ERDF Malta (November 2016), p. 1" in set(table["Source (document, page)"])
    at.text_input(key="ops_beneficiary").set_value("Ministry for Gozo").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["Operation"]) == ["Gozo Museum", "Rehabilitation of Xewkija Windmill"]
    assert any("**2** of 16 operations" in m.value for m in at.markdown)
    assert {b.label for b in at.get("download_button")} >= {"CSV", "XLSX"}
