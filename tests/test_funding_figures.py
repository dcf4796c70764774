"""Funding you can quote: regional and national/multi-regional sums apart, amounts by thematic
objective always by fund, and the Funding page's chart and downloads. Expected figures are summed
here with the csv module from rows picked by hand-written criteria (not by analysis/funding.py),
and a few were read off the CSV by eye (lines 3106, 3111, 3118)."""
import csv
import io
import json
from collections import defaultdict

import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.funding import FundingData
from app.cli import cli
from app.render.funding_formats import export_csv, export_xlsx
from app.render.safe import md

from .conftest import CORPUS, DATA_FILES, REPO, make_corpus

FINANCES = CORPUS / "data" / "esif-2014-2020-finances-planned-details.csv"
AREAS = CORPUS / "data" / "erdf-2014-2020-programme-regions.csv"
LUBELSKIE_ROP = "2014PL16M2OP003"


def _polish_programmes() -> tuple[set[str], set[str]]:
    """By hand from the ERDF table: Lubelskie's own programme (NUTS 2 = PL31), and the Polish
    programmes that cover it among others (no NUTS area: national; NUTS 1 PL3 without a NUTS 2:
    Eastern Poland)."""
    with open(AREAS, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter=";") if r["MS"] == "PL"]
    own = {r["CCI"] for r in rows if r["NUTS 2"] == "PL31"}
    wider = {r["CCI"] for r in rows if not r["NUTS 2"] and r["NUTS 1"] in ("", "PL3")}
    return own, wider


def _finance_rows(ccis: set[str]) -> list[dict]:
    with open(FINANCES, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["CCI"] in ccis]


def _eu(rows: list[dict]) -> int:
    return round(sum(float(r["EU Amount"]) for r in rows))


def test_hand_picked_programmes_are_the_ones_expected():
    own, wider = _polish_programmes()
    assert own == {LUBELSKIE_ROP}
    assert wider == {"2014PL16RFOP001", "2014PL16RFOP002", "2014PL16RFOP003", "2014PL16M1OP001"}


@pytest.mark.slow
def test_lubelskie_funding_gives_regional_and_national_sums_apart_equal_to_hand_sums():
    own, wider = _polish_programmes()
    result = CliRunner().invoke(cli, ["funding", "Lubelskie"])
    assert result.exit_code == 0, result.output
    out = result.output
    regional = f"Regional programmes (their area is the region, or lies inside it): EU amount EUR {_eu(_finance_rows(own)):,}"
    national = ("National and multi-regional programmes (they cover the region among others: not the region's "
                f"share): EU amount EUR {_eu(_finance_rows(wider)):,}")
    assert regional in out and national in out
    assert "EUR 2,230,958,174" in regional  # the regional programme's own total (16 rows, lines 3095-3125)
    assert "42,431,128,743" not in out and "Total EU amount" not in out  # the old mixed grand total is gone
    assert "not added up" in out


@pytest.mark.slow
def test_lubelskie_amounts_by_thematic_objective_are_by_fund_in_csv_and_json():
    own, _ = _polish_programmes()
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for r in _finance_rows(own):
        expected[(r["Fund"], r["TO_code"])] += float(r["EU Amount"])
    result = CliRunner().invoke(cli, ["funding", "Lubelskie", "--by", "to", "-f", "csv"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output), dtype={"to": str})
    assert list(table.columns[:3]) == ["scope", "fund", "to"]  # --by to gets its fund column
    mine = table[table["scope"] == "regional"]
    assert {(f, t): v for f, t, v in mine[["fund", "to", "eu_amount"]].itertuples(index=False)} == dict(expected)
    got = {(f, t): v for f, t, v in mine[["fund", "to", "eu_amount"]].itertuples(index=False)}
    assert got[("ERDF", "01")] == 100_416_755  # line 3111
    assert got[("ERDF", "09")] == 206_472_482 and got[("ESF", "09")] == 150_510_722  # lines 3106, 3118: not 356,983,204
    data = json.loads(CliRunner().invoke(cli, ["funding", "Lubelskie", "--by", "to", "-f", "json"]).output)
    assert data["total_eu_amount"] is None  # two sums: no single total
    assert data["sums"]["regional"]["eu_amount"] == _eu(_finance_rows(own))
    assert {"fund", "to", "scope"} <= set(data["rows"][0])


@pytest.mark.slow
def test_lubelskie_text_table_shows_the_fund_of_each_objective():
    result = CliRunner().invoke(cli, ["funding", "Lubelskie", "--by", "to"])
    rows = [ln.split() for ln in result.output.splitlines()]
    regional = [r[:6] for r in rows if r[:1] == ["regional"]]
    assert ["regional", "ERDF", "09", "Social", "Inclusion", "206,472,482"] in regional
    assert ["regional", "ESF", "09", "Social", "Inclusion", "150,510,722"] in regional
    assert not any("356,983,204" in r for r in rows)


def test_exports_read_back_to_the_same_rows():
    data = FundingData.from_corpus(CORPUS)
    table = data.table(data.rows([LUBELSKIE_ROP], scopes={LUBELSKIE_ROP: "regional"}), by=("fund", "to"))
    assert len(table) == 13  # 9 ERDF + 4 ESF objectives, by eye from lines 3095-3125
    back_csv = pd.read_csv(io.BytesIO(export_csv(table)), dtype={"to": str, "lines": str}, encoding="utf-8-sig")
    back_xlsx = pd.read_excel(io.BytesIO(export_xlsx(table, data.about)), sheet_name="amounts", dtype={"to": str, "lines": str})
    for back in (back_csv, back_xlsx):
        pd.testing.assert_frame_equal(back, table, check_dtype=False)


def test_scope_of_a_cci_query_comes_from_the_erdf_table():
    data = FundingData.from_corpus(CORPUS)
    sel = data.select_programmes(cci="2014PL16M2OP003,2014PL16RFOP001")
    assert sel.scopes == {"2014PL16M2OP003": "regional", "2014PL16RFOP001": "national"}


# -- the Funding page ----------------------------------------------------------------------------
@pytest.fixture
def funding_app(built_index, tmp_path, monkeypatch):
    """The app on the session's index, with a corpus that also has the NUTS 2021 shapes."""
    from streamlit.testing.v1 import AppTest

    settings, _ = built_index
    corpus = make_corpus(tmp_path / "corpus", DATA_FILES + ["data/nuts-2021-regions-60m.geojson", "data/nuts-2013.csv"])
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    monkeypatch.setenv("RIS3_CORPUS", str(corpus))
    at = AppTest.from_file(str(REPO / "app" / "streamlit_app.py"), default_timeout=240)
    at.run()
    at.sidebar.radio(key="nav").set_value("Funding").run()
    assert not at.exception
    return at


@pytest.mark.slow
def test_funding_page_shows_fund_column_sums_chart_downloads_and_map(funding_app):
    at = funding_app
    at.selectbox(key="funding_region").set_value("Lubelskie").run()
    assert not at.exception and not at.error
    programmes, by_to = (d.value for d in at.dataframe)
    assert list(programmes["Scope"])[:2] == ["regional", "multi-regional"]
    assert "Fund" in by_to.columns
    pairs = {(f, t): v for f, t, v in by_to[["Fund", "TO", "EU amount"]].itertuples(index=False)}
    assert pairs[("ERDF", "09")] == 206_472_482 and pairs[("ESF", "09")] == 150_510_722
    text = " ".join(m.value for m in at.markdown)
    assert md("Regional programmes (their area is the region, or lies inside it)") in text
    assert md("National and multi-regional programmes") in text and "EUR 2,230,958,174 EU" in text
    bars, geo = (json.loads(c.proto.spec) for c in at.get("vega_lite_chart"))  # altair charts
    assert bars["mark"]["type"] == "bar" and bars["encoding"]["color"]["field"] == "fund"
    assert [layer["mark"]["type"] for layer in geo["layer"]] == ["geoshape", "geoshape"]
    assert any(f["properties"]["source"] == "PL31" for f in geo["layer"][1]["data"]["values"])
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download CSV", "Download XLSX"]
    at.selectbox(key="funding_map_open").set_value("PL31").run()  # the selectbox under the map
    assert not at.exception
    assert at.sidebar.radio(key="nav").value == "Region profile"
    assert at.text_input(key="profile_region_text").value == "PL31"
