"""Region profiles, comparison, hub catalogue search and funding data, on the real-corpus subset
index and the real datasets of corpus/data. Every profile statement is checked against its source:
a text citation opened at its page must hold the cited sentence and the statement's fact; a data
citation must point at records that say what the statement says."""
import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from docx import Document as Docx

from analysis.compare import compare, parse_regions
from analysis.funding import FundingData
from analysis.hubs import HubCatalogue
from analysis.profiles import ProfileBuilder
from analysis.regions import RegionResolver, region_passages
from app.cli import cli
from app.render.profile_formats import profile_bytes
from app.service import open_index
from ingest.datasets import fold

from .conftest import CORPUS

pytestmark = pytest.mark.slow

REGIONS = ["South Moravia", "Lubelskie", "Northern Netherlands", "Lithuania"]
FINANCES = CORPUS / "data" / "esif-2014-2020-finances-planned-details.csv"


@pytest.fixture(scope="module")
def settings(built_index):
    return built_index[0]


@pytest.fixture(scope="module")
def index(settings):
    return open_index(settings)


@pytest.fixture(scope="module")
def resolver(settings, index):
    return RegionResolver(settings.corpus / "data" / "nuts-regions.json", index.documents())


@pytest.fixture(scope="module")
def profiles(asker, settings):
    builder = ProfileBuilder(asker.index, settings.corpus, asker=asker)
    return {r: builder.build(r) for r in REGIONS}


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def _csv_rows(lines: set[int]) -> list[dict]:
    """The finance CSV's rows at these line numbers, read with the csv module (not pandas)."""
    with FINANCES.open(encoding="utf-8", newline="") as fh:
        return [row for n, row in enumerate(csv.DictReader(fh), start=2) if n in lines]


# -- regions ------------------------------------------------------------------------------------
@pytest.mark.parametrize("query,nuts", [("South Moravia", "CZ064"), ("CZ064", "CZ064"), ("Jihomoravský kraj", "CZ064"),
                                        ("jihomoravsky kraj", "CZ064"), ("lubelskie", "PL31"), ("PL31", "PL31"),
                                        ("Northern Netherlands", "NL1"), ("Groningen", "NL11"), ("Lithuania", "LT")])
def test_regions_resolve_by_english_or_local_name_or_nuts_code(resolver, query, nuts):
    assert resolver.resolve(query).nuts == nuts


def test_unknown_region_is_an_error_that_suggests_known_names(resolver):
    with pytest.raises(ValueError, match="unknown region 'Lubelske'.*Lubelskie"):
        resolver.resolve("Lubelske")


def test_a_shared_report_counts_for_a_region_only_where_it_is_about_that_region(resolver, index):
    moravia = resolver.resolve("South Moravia")
    assert moravia.shared_doc_ids == ("jrc-dih-in-smart-specialisation-2018",) and not moravia.doc_ids
    kept = region_passages(index, moravia)
    assert kept and all("moravia" in fold(p.content) or "brno" in fold(p.content) for p in kept)
    seed = [p for p in index.passages().values() if p.meta["doc_id"] == moravia.shared_doc_ids[0]]
    assert len(kept) < len(seed) / 4  # the report covers ten regions
    lombardy = resolver.resolve("Lombardy")
    both = [p for p in kept if p in region_passages(index, lombardy)]
    assert len(both) < len(kept) / 2
    for p in both:  # a passage counts for both only when it names both equally often
        assert moravia.mentions_in(p.content) == lombardy.mentions_in(p.content)


# -- profiles: every statement checked against its source --------------------------------------
def _check_text_citation(index, c, fact: str) -> None:
    page = index.page_texts(c.doc_id)[c.page]
    at = page[c.page_offset:c.page_offset + len(c.sentence) + 50]
    assert _squash(c.sentence)[:80] in _squash(at), f"[{c.n}] sentence not at {c.doc_id} p.{c.page}:{c.page_offset}"
    if fact:
        assert _squash(fact) in _squash(c.sentence), f"[{c.n}] does not contain {fact!r}"


@pytest.mark.parametrize("region", REGIONS)
def test_profile_generates_with_documents_domains_support_hubs_and_funding(profiles, region):
    p = profiles[region]
    assert {s.id for s in p.sections} == {"domains", "support", "hubs", "edp", "digital", "funding"}
    assert p.documents and p.citations and p.data_citations
    for sid in ("domains", "support", "hubs", "funding"):
        assert any(st.cites for st in p.section(sid).statements), f"{region}: {sid} has no cited statement"


@pytest.mark.parametrize("region", REGIONS)
def test_every_text_citation_opens_on_its_page_and_contains_the_stated_fact(profiles, index, region):
    p = profiles[region]
    checked = 0
    for s in p.sections:
        for st in s.statements:
            for ref in st.cites:
                c = p.citation(ref)
                if ref.startswith("D"):
                    continue
                # the fact is in the first citation; later ones are further examples of the same concept
                _check_text_citation(index, c, st.fact if ref == st.cites[0] and s.id in ("support", "hubs", "domains") else "")
                checked += 1
    assert checked >= 5


@pytest.mark.parametrize("region", REGIONS)
def test_funding_statements_equal_the_sums_of_their_cited_csv_lines(profiles, region):
    p = profiles[region]
    statements = [st for st in p.section("funding").statements if st.cites]
    assert statements
    for st in statements:
        cite = p.citation(st.cites[0])
        rows = _csv_rows(set(cite.lines))
        assert len(rows) == len(cite.lines) and {r["CCI"] for r in rows} == {st.fact}
        eu = sum(float(r["EU Amount"]) for r in rows)
        shown = re.search(r"EUR ([\d.,]+) (bn|m) EU funding", st.text)
        scale = 1e9 if shown.group(2) == "bn" else 1e6
        decimals = len(shown.group(1).split(".")[1]) if "." in shown.group(1) else 0
        assert abs(float(shown.group(1).replace(",", "")) * scale - eu) <= 0.5 * 10 ** -decimals * scale  # rounding


def test_south_moravia_profile_links_digimat_to_its_catalogue_entry_and_lists_official_czech_domains(profiles):
    p = profiles["South Moravia"]
    digimat = next(st for st in p.section("hubs").statements if st.fact.upper() == "DIGIMAT")
    catalogue = p.citation(next(c for c in digimat.cites if c.startswith("D")))
    assert catalogue.file == "data/jrc-dih-catalogue.json" and "dih:12995" in catalogue.record
    raw = json.loads((CORPUS / "data" / "jrc-dih-catalogue.json").read_text(encoding="utf-8"))
    record = next(h for h in raw if h["id"].endswith(":12995"))
    assert "DIGIMAT" in record["title"]["value"] and record["address"]["value"]["addressCountry"] == "Czech Republic"
    official = [st for st in p.section("domains").statements if st.text.startswith("Official domain:")]
    assert "Czech national RIS3 annex" in p.section("domains").note
    domains = json.loads((CORPUS / "data" / "cz-ris3-regional-domains.json").read_text(encoding="utf-8"))
    expected = [d["nazev"] for d in domains["kraje"]["Jihomoravský kraj"]["domeny"]]
    assert [st.fact for st in official] == expected and expected


def test_lithuania_profile_lists_the_catalogues_lithuanian_hubs(profiles):
    st = next(s for s in profiles["Lithuania"].section("hubs").statements if "catalogue lists" in s.text)
    raw = json.loads((CORPUS / "data" / "jrc-dih-catalogue.json").read_text(encoding="utf-8"))
    n = sum(1 for h in raw if h["address"]["value"]["addressCountry"] == "Lithuania")
    assert f"lists {n} hubs" in st.text and n >= 10


def test_edp_and_digitalisation_sections_quote_the_regions_own_passages(profiles, resolver, index):
    for region in REGIONS:
        p = profiles[region]
        allowed = {x.id for x in region_passages(index, resolver.resolve(region))}
        for sid in ("edp", "digital"):
            for st in p.section(sid).statements:
                for ref in st.cites:
                    assert p.citation(ref).passage_id in allowed


@pytest.mark.parametrize("fmt", ["md", "html", "docx", "json"])
def test_profile_exports_carry_every_statement_and_the_source_list(profiles, fmt):
    p = profiles["Northern Netherlands"]
    data = profile_bytes(p, fmt)
    if fmt == "docx":
        text = "\n".join(par.text for par in Docx(io.BytesIO(data)).paragraphs)
    elif fmt == "json":
        back = json.loads(data)
        assert len(back["citations"]) == len(p.citations) and len(back["data_citations"]) == len(p.data_citations)
        return
    else:
        text = data.decode("utf-8")
    if fmt == "html":
        assert "<script" not in text and "http" not in text.split("<body>")[1].split("Sources")[0]
        import html as _html

        text = _html.unescape(re.sub(r"<[^>]+>", " ", text))
    squashed = _squash(text)
    for s in p.sections:
        for st in s.statements:
            assert _squash(st.text)[:60] in squashed
    for c in p.citations:
        assert _squash(c.sentence)[:40] in squashed
    assert "2014nl16rfop001" in squashed and "sources" in squashed


def test_profile_cli_writes_docx_and_names_an_unknown_region(env, tmp_path):
    out = tmp_path / "brief.{ext}"
    result = CliRunner().invoke(cli, ["profile", "Lubelskie", "--no-answers", "-f", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = Docx(str(tmp_path / "brief.docx"))
    assert doc.paragraphs[0].text.startswith("Lubelskie (PL31)")
    result = CliRunner().invoke(cli, ["profile", "Atlantis", "--no-answers"])
    assert result.exit_code == 1 and "unknown region 'Atlantis'" in result.output and "Traceback" not in result.output


# -- compare ------------------------------------------------------------------------------------
def test_compare_answers_the_question_once_per_region_from_that_regions_passages(asker, settings, resolver, index):
    regions = parse_regions("Lubelskie,Northern Netherlands,Lithuania")
    cmp = compare(asker, settings.corpus, "What role do clusters play?", regions)
    assert [c.region.name for c in cmp.columns] == regions
    for col in cmp.columns:
        assert col.citations, f"{col.region.name}: no cited answer"
        allowed = {p.id for p in region_passages(index, resolver.resolve(col.region.name))}
        assert {c.passage_id for c in col.citations} <= allowed
        assert col.concepts["support.cluster"][0] > 0
    nn = next(c for c in cmp.columns if c.region.nuts == "NL1")
    assert nn.answer.answered and "cluster" in nn.answer.text.lower()


def test_compare_cli_prints_one_block_per_region(env):
    result = CliRunner().invoke(cli, ["compare", "What role do clusters play?", "--regions",
                                      "Lubelskie,Northern Netherlands,Lithuania"])
    assert result.exit_code == 0, result.output
    for name in ("== Lubelskie (PL31)", "== Northern Netherlands (NL1)", "== Lithuania (LT)", "Support structures"):
        assert name in result.output


def test_compare_rejects_too_many_regions():
    with pytest.raises(ValueError, match="at most 8"):
        parse_regions(",".join(f"R{i}" for i in range(9)))


# -- hubs ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def catalogue():
    return HubCatalogue.from_corpus(CORPUS)


def test_hub_search_finds_digimat_by_name(catalogue):
    result = catalogue.search("DIGIMAT")
    assert [h.name for h in result.named] == ["DIGIMAT: South Moravian Digital Manufacturing Hub"]
    assert result.named[0].country == "Czech Republic" and result.found_by_name


def test_hub_search_lists_lithuanian_hubs_by_country(catalogue):
    raw = json.loads((CORPUS / "data" / "jrc-dih-catalogue.json").read_text(encoding="utf-8"))
    expected = sorted(h["title"]["value"] for h in raw if h["address"]["value"]["addressCountry"] == "Lithuania")
    result = catalogue.search("", country="Lithuania", limit=100)
    assert sorted(h.name for h in result.named) == expected


def test_hub_search_says_when_no_hub_is_named_like_the_query(catalogue):
    result = catalogue.search("LINPRA")  # the seed report's Lithuanian hub host is not in this snapshot
    assert not result.found_by_name and "No hub named like 'LINPRA'" in result.message


def test_hub_search_ranks_related_hubs_by_text_within_the_filters(catalogue):
    result = catalogue.search("agriculture food", country="Lithuania")
    assert result.related and all(h.country == "Lithuania" for h, _ in result.related)
    assert "AgriFood Lithuania DIH" in [h.name for h, _ in result.related[:3]]


def test_passages_that_mention_a_hub_link_to_its_catalogue_entry(catalogue, index):
    digimat = catalogue.get("DIGIMAT")
    mentions = catalogue.mentions(index, digimat.id)
    assert mentions and all(m.doc_id == "jrc-dih-in-smart-specialisation-2018" for m in mentions)
    passage = index.passages()[mentions[0].passage_id]
    assert digimat in catalogue.hubs_in_passage(passage)
    assert fold(mentions[0].text) in fold(mentions[0].sentence)


def test_hubs_cli_search_and_show(env):
    result = CliRunner().invoke(cli, ["hubs", "search", "LINPRA"])
    assert result.exit_code == 0 and "No hub named like 'LINPRA'" in result.output
    result = CliRunner().invoke(cli, ["hubs", "show", "DIGIMAT"])
    assert result.exit_code == 0 and "dih:12995" in result.output and "Mentioned in the indexed documents" in result.output


# -- funding: totals verified by hand from the CSV (grep + bc), pinned here ----------------------
@pytest.fixture(scope="module")
def funding():
    return FundingData.from_corpus(CORPUS)


def test_lubelskie_regional_programme_totals_match_the_hand_count(funding):
    p = funding.programme("2014PL16M2OP003")
    assert p.title == "Lubelskie Voivodeship - ERDF/ESF" and len(p.lines) == 16
    assert p.eu_amount == 2_230_958_174  # 16 rows, CSV lines 3095-3125
    assert p.research_eu_amount == 459_685_927  # ERDF TO01 100,416,755 + TO02 81,970,176 + TO03 277,298,996


def test_north_netherlands_programme_totals_match_the_hand_count(funding):
    p = funding.programme("2014NL16RFOP001")
    assert sorted(p.lines) == [100, 6823, 6842]
    assert p.eu_amount == 104_282_942  # 79,404,474 + 20,708,000 + 4,170,468
    assert p.total_amount == 279_012_452  # 209,764,516 + 60,907,000 + 8,340,936
    assert p.research_eu_amount == 79_404_474


def test_region_programmes_are_regional_first_then_national(funding, resolver):
    lub = funding.programmes_for(resolver.resolve("Lubelskie"))
    assert [p.cci for p in lub if p.scope == "regional"] == ["2014PL16M2OP003"]
    # Development of Eastern Poland covers Lubelskie among other voivodeships: multi-regional, not the region's own
    assert [p.cci for p in lub if p.scope == "multi-regional"] == ["2014PL16RFOP003"]
    assert {p.scope for p in lub[2:]} == {"national"}
    assert [p.cci for p in funding.programmes_for(resolver.resolve("Northern Netherlands"))] == ["2014NL16RFOP001"]
    scotland = [p.title for p in funding.programmes_for(country="UK")]
    assert "England - ERDF" not in [p.title for p in funding.programmes_for(resolver.resolve("Scotland"))]
    assert "Scotland - ERDF" in scotland


def test_funding_cli_sums_by_thematic_objective_and_states_the_source(env):
    result = CliRunner().invoke(cli, ["funding", "--cci", "2014PL16M2OP003", "--by", "fund", "--to", "01,02,03"])
    assert result.exit_code == 0, result.output
    assert "459,685,927" in result.output and "cohesiondata, 2019-04-11" in result.output
    result = CliRunner().invoke(cli, ["funding", "Northern Netherlands", "-f", "json"])
    data = json.loads(result.output)
    assert data["total_eu_amount"] == 104_282_942 and data["about"]["file"].endswith("planned-details.csv")


# -- profiles say what the strategy says (issue #19, item 2) ------------------------------------
# Lubelskie RIS 2030, Attachment No. 1 "Smart specialisations of the Lubelskie Voivodeship - list
# of detailed issues" (PDF pp. 75-79): I. QUALITY FOOD, II. GREEN ECONOMY, III. HEALTHY SOCIETY,
# IV. DIGITAL SOCIETY, V. MATERIAL TECHNOLOGIES, INDUSTRIAL AND LOGISTIC PROCESSES.
LUBELSKIE_AREAS = ["Quality food", "Green economy", "Healthy society", "Digital society",
                   "Material technologies, industrial and logistic processes"]


def test_lubelskie_profile_lists_its_strategys_smart_specialisation_areas_first(profiles, index):
    sec = profiles["Lubelskie"].section("domains")
    areas = [st for st in sec.statements if st.text.startswith("Strategy area: ")]
    assert [st.text.removeprefix("Strategy area: ").rstrip(".") for st in areas] == LUBELSKIE_AREAS
    assert sec.statements[:len(areas)] == areas
    for st in areas:
        c = profiles["Lubelskie"].citation(st.cites[0])
        assert c.doc_id == "pl-lubelskie-ris-2030" and 75 <= c.page <= 79
        _check_text_citation(index, c, st.fact)


def test_every_example_in_lubelskies_profile_is_from_a_passage_about_lubelskie(profiles, resolver, index):
    from nlp.regions import about_elsewhere, passage_regions

    p = profiles["Lubelskie"]
    kept = {x.id for x in region_passages(index, resolver.resolve("Lubelskie"))}
    cited = [p.citation(ref) for s in p.sections for st in s.statements for ref in st.cites if not ref.startswith("D")]
    assert len(cited) >= 10
    for c in cited:
        passage = index.passages()[c.passage_id]
        assert c.passage_id in kept and "Lubelskie" in passage_regions(passage.meta, passage.content)
        assert not about_elsewhere("Lubelskie", c.sentence), c.sentence
        assert not re.search(r"South Karelia|Tuscany|Business Mill", c.sentence)


def test_domain_shares_and_their_examples_come_from_body_text_not_chart_fragments(profiles):
    from analysis.profiles import is_body_text

    assert not is_body_text("Visitors.", 6) and not is_body_text("24 LDB, Ecological farms 25 Data on", 6)
    assert is_body_text("The practice of excluding agricultural land from agricultural use is common.", 6)
    for region in ("Lubelskie", "Northern Netherlands"):
        p = profiles[region]
        shares = [st for st in p.section("domains").statements if "% of the region's text" in st.text]
        assert shares, region
        for st in shares:
            for ref in st.cites:
                assert is_body_text(p.citation(ref).sentence, 6), (region, p.citation(ref).sentence)
