"""Maps: NUTS 2013 codes of the 2014-2020 data joined onto the bundled NUTS 2021 shapes, and the
altair (and SVG) maps of keyword rates, planned funding and hubs drawn from them."""
import altair as alt
import pytest

from analysis.funding import FundingData
from analysis.hubs import HubCatalogue
from analysis.nuts import NutsShapes
from analysis.regions import RegionResolver
from analysis.reports import keyword_report
from analysis.sources import dataset
from app.render import maps
from app.service import open_index
from ingest.datasets import load_nuts
from ingest.manifest import load_manifest

from .conftest import CORPUS


@pytest.fixture(scope="module")
def shapes():
    return NutsShapes.from_corpus(CORPUS)


def _features(chart) -> list[dict]:
    """The features of the data layer (the layer after the grey countries)."""
    spec = chart.to_dict()
    data = spec["layer"][1]["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def test_nuts_2013_codes_that_changed_land_on_their_2021_shapes(shapes):
    assert shapes.to_2021("LT00") == ("LT01", "LT02")  # Lietuva split in two in 2021
    assert shapes.to_2021("PL31") == ("PL81",)  # Lubelskie renumbered
    assert shapes.to_2021("HU10") == ("HU11", "HU12")  # Közép-Magyarország split
    assert shapes.to_2021("NL1") == ("NL1",) and shapes.to_2021("FI194") == ("FI194",)
    assert shapes.to_2021("XX1") == ()


def test_lt00_value_is_drawn_on_both_2021_parts(shapes):
    chart = maps.region_map(shapes, shapes.place({"LT00": 3.5, "PL31": 1.0}, {"LT00": "Lietuva"}), "rate")
    assert isinstance(chart, alt.LayerChart)
    drawn = {f["properties"]["code"]: f["properties"] for f in _features(chart)}
    assert set(drawn) == {"LT01", "LT02", "PL81"}
    assert drawn["LT01"]["source"] == drawn["LT02"]["source"] == "LT00" and drawn["LT02"]["value"] == 3.5
    assert drawn["PL81"]["source"] == "PL31"  # a click gives the code of the data, which the profile resolves
    spec = chart.to_dict()
    assert spec["params"][0]["name"] == maps.SELECTION and spec["params"][0]["select"]["fields"] == ["source"]


def test_every_document_region_of_the_manifest_gets_a_shape(shapes):
    codes = {c.strip() for m in load_manifest(CORPUS).values() for c in m.nuts.split(";") if c.strip()}
    assert codes and shapes.missing(sorted(codes)) == []


def test_every_regional_programme_area_gets_a_shape_but_the_trimmed_overseas_ones(shapes):
    areas, left_out = FundingData.from_corpus(CORPUS).regional_areas()
    # FRA1-FRA5: French overseas departments, trimmed from the bundled shapes (SOURCES.md);
    # GI: Gibraltar, not a NUTS region. Eastern Poland (PL3) contains the voivodeships' own areas.
    assert sorted(shapes.missing(areas)) == ["FRA1", "FRA2", "FRA3", "FRA4", "FRA5", "GI"]
    assert left_out == ["2014PL16RFOP003"]
    chart = maps.funding_map(shapes, {c: v for c, v in areas.items() if c.startswith("PL")}, "PL")
    drawn = {f["properties"]["source"]: f["properties"] for f in _features(chart)}
    assert len(drawn) == 16 and drawn["PL31"]["value"] == 2_230_958_174  # Lubelskie's regional programme


def test_hub_countries_land_on_country_shapes(shapes):
    english = {c: r.en for c, r in load_nuts(str(dataset(CORPUS, "nuts").path)).items() if len(c) == 2}
    hubs = HubCatalogue.from_corpus(CORPUS).hubs
    values, unplaced = maps.hub_counts([h.country for h in hubs if h.country], lambda n: shapes.country_code(n, english))
    assert values["LT"] == 19 and values["RS"] == 14 and values["NO"] == 10 and values["UK"] == 25
    assert set(unplaced) <= {"Kosovo", "Bosnia and Herzegovina", "Ukraine", "Israel", "Armenia", "Georgia",
                             "Moldova", "Tunisia", "Faroe Islands", "Belarus", "Russia"}
    drawn = {f["properties"]["code"] for f in _features(maps.hubs_map(shapes, values))}
    assert {"LT", "RS", "NO", "UK"} <= drawn


def test_svg_map_draws_each_placed_shape_and_escapes_labels(shapes):
    svg = maps.region_svg(shapes, shapes.place({"PL31": 2.0}, {"PL31": "<b>Lubelskie</b>"}), "per 10k words")
    assert svg.startswith("<svg") and svg.count('data-code="PL81"') == 1
    assert "&lt;b&gt;Lubelskie&lt;/b&gt; (PL31): 2.00 per 10k words" in svg and "<b>" not in svg


@pytest.mark.slow
def test_keyword_rates_by_region_are_drawn_on_each_region_with_data(built_index, shapes):
    settings, _ = built_index
    index = open_index(settings)
    resolver = RegionResolver(settings.corpus / "data" / "nuts-regions.json", index.documents())
    report = keyword_report(index, by=["region"])

    def code_of(name):
        try:
            return resolver.resolve(name, suggest=False).nuts
        except ValueError:
            return ""

    term = report.terms[0].id
    values, labels, unplaced = maps.keyword_values(report, term, "per_10k_words", code_of)
    assert {"PL31", "NL1", "LT", "MT"} <= set(values)
    assert set(unplaced) <= {"EU", "(none)"}
    drawn = {f["properties"]["source"] for f in _features(maps.keyword_map(shapes, report, term, code_of))}
    assert drawn == set(values)


@pytest.mark.slow
def test_html_keyword_report_by_region_ends_with_the_svg_map(built_index):
    from app.render.report_formats import render_report

    report = keyword_report(open_index(built_index[0]), by=["region"])
    html = render_report(report, "html")
    section = html[html.index('<section id="map">'):html.rindex("</body>")]
    assert "<svg" in section and 'data-code="PL81"' in section and 'data-code="NL1"' in section
    assert "<script" not in section and "http" not in section.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert '<section id="map">' not in render_report(keyword_report(open_index(built_index[0]), by=["doc"]), "html")
