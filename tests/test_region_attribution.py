"""Region filters that mean the region: each passage of a document that lists several regions is
attributed, at tagging, to the regions it names most (nlp/regions.py); the index's region filter
and ``Region.keeps`` (profiles, compare) read that one stored attribution."""
from dataclasses import dataclass, field

import pytest
from haystack import Document
from haystack.utils.filters import document_matches_filter

from analysis.regions import Region
from index.filters import resolve_filters
from index.keyword import FilterMasks
from nlp.regions import (
    about_elsewhere,
    attribute_regions,
    canonical_region,
    foreign_mentions,
    load_places,
    passage_regions,
    region_codes,
    region_coverage,
    region_flag,
    region_mentions,
    region_meta,
    regions_version,
)
from nlp.tagging import PassageTagger, tagging_version

SEED_ID = "jrc-dih-in-smart-specialisation-2018"
SEED_REGIONS = ("Baden-Württemberg; Wallonia; Norte; Lombardy; Lithuania; South Moravia; Catalonia; Upper Austria; "
                "East Sweden; North-West Romania")


# -- the rule ---------------------------------------------------------------------------------
def test_a_passage_of_a_one_region_document_is_about_that_region():
    assert attribute_regions("Lubelskie", "Nothing here names a region.") == ["Lubelskie"]
    assert attribute_regions("Lithuania (national)", "Hubs in Vilnius and one visit to Lombardy.") == [
        "Lithuania (national)"]


# Changed with issue #19: this passage used to count for Lithuania ("a one-region document's
# passages are all about it"); quoting another region is no evidence for the document's own.
def test_a_passage_quoting_another_region_is_about_none_of_its_documents_regions():
    assert attribute_regions("Lithuania (national)", "Lombardy, Lombardy, Lombardy.") == []
    assert region_meta("Lubelskie", "Invest in Tuscany, the Tuscany agency; Tuscany's MoU with Florence.") == {
        "regions": ""}


def test_countries_and_the_regions_own_subregions_are_not_elsewhere():
    # Lubelskie RIS 2030, p. 19: foreign capital by country; p. 42 (printed 40): its place among Polish regions
    assert attribute_regions("Lubelskie", "In 2018, foreign capital invested in the Region came mostly from "
                                          "Luxembourg, France and the Netherlands.") == ["Lubelskie"]
    assert attribute_regions("Lubelskie", "In terms of innovation, the Lubelskie Region took 213th place. The "
                             "Voivodeship joined the group of modest innovators in Europe along with three other "
                             "Polish regions: Kujawsko-Pomorskie, Świętokrzyskie and Mazowieckie.") == ["Lubelskie"]
    assert foreign_mentions(("PL31",), "Lublin, Lubelski and Poland; Tuscany and Toscana.") == 2


def test_a_seed_passage_naming_its_regions_stays_theirs_however_many_countries_it_lists():
    text = ("Lombardy Region has built on previous programming periods. The scoreboard covers 22 EU countries, "
            "Norway, Serbia, and Switzerland. In addition, Cyprus, Estonia, Latvia, Luxembourg, and Malta.")
    assert attribute_regions(SEED_REGIONS, text) == ["Lombardy"]


def test_region_names_are_normalised_with_national_as_a_coverage_level():
    assert canonical_region("Lithuania (national)") == canonical_region("Lithuania") == "Lithuania"
    assert canonical_region("Northern Netherlands (Groningen, Fryslân, Drenthe)") == "Northern Netherlands"
    assert canonical_region("Lietuva") == "Lithuania" and canonical_region("EU") == "EU"
    assert region_coverage("Lithuania (national)") == "national" and region_coverage("Lithuania") == ""
    assert region_codes("Lithuania (national)") == ("LT",) and region_codes("EU") == ()


def test_a_shared_passage_is_about_the_region_it_names_most():
    text = ("Lombardy's AFIL runs the hub; in Lombardy the cluster co-operates with Lombardy's universities, "
            "much as LINPRA does in Lithuania.")
    assert attribute_regions(SEED_REGIONS, text) == ["Lombardy"]


def test_demonyms_and_cities_of_the_gazetteer_count_as_naming_the_region():
    assert attribute_regions(SEED_REGIONS, "The Brno hub and the South Moravian RIS3; one visit to Milan.") == [
        "South Moravia"]


def test_a_shared_passage_naming_no_region_is_about_none():
    assert attribute_regions(SEED_REGIONS, "Digital Innovation Hubs support SMEs across Europe.") == []
    assert region_meta(SEED_REGIONS, "Digital Innovation Hubs support SMEs.") == {"regions": ""}


def test_a_tie_gives_every_tied_region_in_manifest_order():
    assert attribute_regions(SEED_REGIONS, "Both Lithuania and Lombardy set up hubs.") == ["Lombardy", "Lithuania"]


def test_names_match_without_accents_or_case():
    assert attribute_regions(SEED_REGIONS, "The BADEN-WURTTEMBERG hub, unlike Wallonia, twice: Baden-Wurttemberg.") == [
        "Baden-Württemberg"]
    assert "Baden-Wuerttemberg" in region_mentions("Baden-Württemberg")


def test_the_stored_meta_is_scalar_a_joined_string_and_one_true_flag_per_region():
    meta = region_meta(SEED_REGIONS, "Brno and Lombardy.")
    assert meta == {"regions": "Lombardy; South Moravia", "region__lombardy": True, "region__south_moravia": True}
    assert region_flag("Baden-Württemberg") == "region__baden_wurttemberg"


# -- tagging stores it; a new rule re-tags -------------------------------------------------------
def test_tagging_stores_the_attribution_and_drops_a_stale_one():
    stale = {"doc_id": "seed", "region": SEED_REGIONS, "regions": "Norte", "region__norte": True}
    tagged = PassageTagger().run([Document(content="In Lombardy AFIL and Milan lead; Lithuania follows.", meta=stale),
                                  Document(content="Hubs in Europe.", meta={"doc_id": "lub", "region": "Lubelskie"})])
    first, second = tagged["documents"]
    assert first.meta["regions"] == "Lombardy" and first.meta["region__lombardy"] is True
    assert "region__norte" not in first.meta
    assert second.meta["regions"] == "Lubelskie" and second.meta["region__lubelskie"] is True
    assert all(isinstance(v, (str, int, float, bool)) for d in tagged["documents"] for k, v in d.meta.items()
               if k == "regions" or k.startswith("region__"))


def test_the_tagging_version_changes_with_the_region_rule_and_the_place_names():
    assert tagging_version().endswith(f"+regions-{regions_version()}")
    assert load_places()[0] in regions_version()


def test_a_passage_tagged_before_the_attribution_gets_the_same_rule_on_the_fly():
    meta = {"doc_id": "seed", "region": SEED_REGIONS}
    assert passage_regions(meta, "Lombardy, Lombardy and Lithuania.") == ["Lombardy"]
    assert passage_regions({**meta, "regions": "Lithuania"}, "Lombardy, Lombardy and Lithuania.") == ["Lithuania"]


# -- the filter --------------------------------------------------------------------------------
@dataclass
class Rec:
    doc_id: str
    meta: dict = field(default_factory=dict)


DOCS = [Rec("seed", {"region": SEED_REGIONS, "country": "EU", "doc_type": "report"}),
        Rec("lt", {"region": "Lithuania (national)", "country": "LT", "doc_type": "ris3"}),
        Rec("lub", {"region": "Lubelskie", "country": "PL", "doc_type": "ris3"})]


def _passage(doc: Rec, text: str) -> Document:
    meta = {"doc_id": doc.doc_id, **doc.meta}
    return Document(id=f"{doc.doc_id}:{abs(hash(text))}", content=text, meta={**meta, **region_meta(doc.meta["region"], text)})


PASSAGES = [_passage(DOCS[0], "Lombardy's AFIL, Lombardy and Milan; Lithuania too."),
            _passage(DOCS[0], "LINPRA in Lithuania and Vilnius; AFIL once."),
            _passage(DOCS[0], "Hubs in Europe."),
            _passage(DOCS[0], "Porto and PRODUTECH in Norte."),
            _passage(DOCS[1], "Hubs in Europe, and Lombardy."),
            _passage(DOCS[2], "Lubelskie hubs.")]


def _kept(f) -> list[str]:
    return [p.content for p in PASSAGES if document_matches_filter(f, p)]


def test_a_region_filter_keeps_only_a_shared_documents_passages_about_the_region():
    f = resolve_filters(DOCS, region="lombardy")
    assert f == {"operator": "AND", "conditions": [{"field": "meta.doc_id", "operator": "in", "value": ["seed"]},
                                                   {"field": "meta.region__lombardy", "operator": "==", "value": True}]}
    assert _kept(f) == ["Lombardy's AFIL, Lombardy and Milan; Lithuania too."]


def test_a_region_filter_keeps_a_one_region_document_whole_and_matches_by_substring():
    f = resolve_filters(DOCS, region="lithuan")
    assert _kept(f) == ["LINPRA in Lithuania and Vilnius; AFIL once.", "Hubs in Europe, and Lombardy."]
    assert _kept(resolve_filters(DOCS, region="lubelskie")) == ["Lubelskie hubs."]
    assert _kept(resolve_filters(DOCS, region="norte, lombardy")) == [
        "Lombardy's AFIL, Lombardy and Milan; Lithuania too.", "Porto and PRODUTECH in Norte."]


def test_a_region_filter_combines_with_the_other_fields_and_tags():
    assert _kept(resolve_filters(DOCS, region="lithuania", doc_type="report")) == [
        "LINPRA in Lithuania and Vilnius; AFIL once."]
    f = resolve_filters(DOCS, region="lombardy", tag="support.dih")
    assert f["operator"] == "AND" and f["conditions"][1] == {"field": "meta.tag__support_dih", "operator": "==",
                                                             "value": True}


def test_a_region_no_document_names_is_still_a_clear_error():
    with pytest.raises(ValueError, match=r"no indexed document matches region='Atlantis'; known values: .*Lubelskie"):
        resolve_filters(DOCS, region="Atlantis")


def test_the_keyword_retrievers_row_masks_agree_with_haystack_on_the_region_filter():
    ids = [p.id for p in PASSAGES]
    masks = FilterMasks(ids, {p.id: p for p in PASSAGES})
    for region in ("lombardy", "lithuania", "lubelskie", "norte, moravia"):
        f = resolve_filters(DOCS, region=region)
        fast = masks.fast(f)
        assert fast is not None and list(fast) == [document_matches_filter(f, p) for p in PASSAGES], region


# -- Region.keeps reads the same attribution -------------------------------------------------------
def test_region_keeps_follows_the_stored_attribution():
    lombardy = Region(name="Lombardy", nuts="ITC4", country="IT", names=("Lombardy", "Lombardia"),
                      mentions=("Lombardy", "Lombardia", "AFIL"), shared_doc_ids=("seed",), shared_parts=("lombardy",))
    assert [lombardy.keeps(p) for p in PASSAGES] == [True, False, False, False, False, False]
    relabelled = Document(content=PASSAGES[0].content, meta={**PASSAGES[0].meta, "regions": "Lithuania"})
    assert not lombardy.keeps(relabelled)  # the stored field decides, not a second count


# -- the real seed report ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def index(built_index):
    from app.service import open_index

    return open_index(built_index[0])


@pytest.fixture(scope="module")
def seed(index):
    return [p for p in index.passages().values() if p.meta["doc_id"] == SEED_ID]


def _about(name: str, text: str) -> bool:
    from nlp.regions import mention_count

    return mention_count(name, text) > 0


# -- the OECD report on Lubelskie, split as ingestion splits it (no index needed) ---------------
OECD = "reports/oecd-lubelskie-regional-attractiveness-2025.pdf"


@pytest.fixture(scope="module")
def oecd_passages():
    from index.pipeline import SPLITTING, TAGGING, build_chain
    from index.settings import IndexSettings
    from ingest.converter import CorpusConverter

    from .conftest import CORPUS

    meta = {"doc_id": "oecd-lubelskie", "region": "Lubelskie", "nuts": "PL31", "country": "PL", "doc_type": "report"}
    docs = CorpusConverter(workers=0, progress_bar=False).run(sources=[CORPUS / OECD], meta=[meta])["documents"]
    for step in [s for s in build_chain(IndexSettings()).steps if s.stage in (SPLITTING, TAGGING)]:
        docs = step.component.run(documents=docs)["documents"]
    return docs


@pytest.mark.slow
def test_the_oecd_reports_boxes_on_south_karelia_and_tuscany_are_not_about_lubelskie(oecd_passages):
    # p. 24-25: "Promoting investment through targeted incentives in Tuscany, Italy" (Invest in
    # Tuscany's One-Stop-Shop) and "... in South Karelia, Finland" (Business Mill, an incubator)
    boxes = [p for p in oecd_passages if "Business Mill" in p.content or "Invest in Tuscany, the Tuscany" in p.content
             or "Castelnuovo Garfagnana" in p.content]
    assert len(boxes) >= 2
    for p in boxes:
        if "Source:" in p.content and "Lubelskie" in p.content:
            continue  # the box's source line, run into the next paragraph about Lubelskie
        assert p.meta["regions"] == "" and "region__lubelskie" not in p.meta, p.content[:120]
    lubelskie = Region(name="Lubelskie", nuts="PL31", country="PL", names=("Lubelskie",), mentions=("Lubelskie", "Lublin"),
                       doc_ids=("oecd-lubelskie",))
    assert not any(lubelskie.keeps(p) for p in boxes if p.meta["regions"] == "")
    about = [p for p in oecd_passages if p.meta["regions"] == "Lubelskie"]
    assert len(about) > len(oecd_passages) * 0.8  # the report is about Lubelskie: most passages stay its own
    sentence = "Invest in Tuscany, the Tuscany Regional Authority’s regional investment promotion agency, offers services."
    assert about_elsewhere("Lubelskie", sentence) is False  # two mentions: under the rule's minimum of three
    assert about_elsewhere("Lubelskie", sentence + " Tuscany 4th in the ranking.") is True


@pytest.mark.slow
def test_every_seed_passage_carries_its_attribution_in_the_record_and_in_chroma(index, seed):
    assert seed
    chroma = index.chroma_collection().get(ids=[p.id for p in seed], include=["metadatas"])
    stored = dict(zip(chroma["ids"], chroma["metadatas"]))
    for p in seed:
        regions = attribute_regions(p.meta["region"], p.content)
        assert p.meta["regions"] == "; ".join(regions)
        assert stored[p.id].get("regions", "") == p.meta["regions"]
        assert {k for k in stored[p.id] if k.startswith("region__")} == {region_flag(r) for r in regions}
    about_lombardy = [p for p in seed if "Lombardy" in passage_regions(p.meta, p.content)]
    assert 0 < len(about_lombardy) < len(seed) / 4  # the report covers ten regions


@pytest.mark.slow
def test_asking_about_lombardy_returns_only_passages_about_lombardy(asker):
    from app.service import Filters

    question = "Which organisation coordinates the digital innovation hub and what does it offer?"
    answer = asker.ask(question, Filters(region="Lombardy"))
    f = asker.index.resolve_filters(region="Lombardy")
    retriever = asker.retriever
    found = {"ask": answer.passages, "keyword": retriever.retrieve_keyword(question, filters=f, top_k=20),
             "dense": retriever.retrieve_dense(question, filters=f, top_k=20),
             "multilingual": retriever.retrieve_multilingual(question, filters=f, top_k=20)}
    assert answer.passages
    for how, passages in found.items():
        for p in passages:
            assert p.meta["doc_id"] == SEED_ID, how
            assert _about("Lombardy", p.content), f"{how}: {p.id} does not name Lombardy"
            assert "Lombardy" in p.meta["regions"].split("; "), f"{how}: {p.id} is about {p.meta['regions']}"


@pytest.mark.slow
def test_region_keeps_agrees_with_the_stored_field_for_every_seed_passage(built_index, index, seed):
    from analysis.regions import RegionResolver

    resolver = RegionResolver(built_index[0].corpus / "data" / "nuts-regions.json", index.documents())
    for name in SEED_REGIONS.split("; "):
        region = resolver.resolve(name)
        assert SEED_ID in region.shared_doc_ids, name
        for p in seed:
            assert region.keeps(p) == (name in p.meta["regions"].split("; ")), (name, p.id)


def test_a_one_region_documents_passage_about_places_elsewhere_is_left_out_by_the_region_filter():
    from nlp.regions import about_elsewhere

    text = ("In Tuscany the regional incubators of Florence, Pisa and Siena, and in South Karelia those of "
            "Lappeenranta, show how one-stop shops work.")
    assert about_elsewhere("Lubelskie", text)
    boxed = _passage(DOCS[2], text)
    f = resolve_filters(DOCS, region="lubelskie")
    assert document_matches_filter(f, PASSAGES[5]) and not document_matches_filter(f, boxed)
