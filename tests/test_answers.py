"""Questions users ask first, answered from the ingested subset with citations."""
import pytest

from app.service import Filters
from qa.terms import content_terms, term_overlap

pytestmark = pytest.mark.slow


def test_digimat_question_is_answered_from_the_seed_report(asker):
    answer = asker.ask("How does DIGIMAT relate to the South Moravian RIS3?")
    assert answer.answered
    assert "DIGIMAT" in answer.text
    assert {c.doc_id for c in answer.citations} == {"jrc-dih-in-smart-specialisation-2018"}
    text = answer.text.lower()
    assert "working group" in text or "tool to implement the strategy" in text or "delivery mechanism" in text


def test_ris3cat_priority_domains_are_listed(asker):
    answer = asker.ask("What are the RIS3CAT priority domains?")
    assert answer.answered
    for domain in ("Agri-food", "Energy and Natural Resources", "Industrial systems", "Design-based industries"):
        assert domain in answer.text


def test_lubelskie_question_cites_the_lubelskie_strategy_with_pages(asker):
    answer = asker.ask("What are the smart specialisation areas of the Lubelskie Voivodeship?")
    assert answer.answered
    cited = [c for c in answer.citations if c.doc_id == "pl-lubelskie-ris-2030"]
    assert cited and all(1 <= c.page <= 90 for c in cited)


def test_every_citation_points_at_its_sentence(asker):
    answer = asker.ask("Which services does the DIGIMAT hub provide to companies?")
    passages = {p.id: p for p in answer.passages}
    for c in answer.citations:
        passage = passages[c.passage_id]
        assert c.sentence.split()[0] in passage.content[c.span[0]:c.span[1]]
        assert passage.meta["page_start"] <= c.page <= passage.meta["page_end"]


def test_question_the_corpus_cannot_answer_says_so_and_shows_nearest_passages(asker):
    answer = asker.ask("What is the average rainfall in Patagonia in July?")
    assert not answer.answered
    assert answer.citations == []
    assert "does not seem to answer" in answer.text
    assert answer.passages


def test_region_filter_restricts_cited_documents(asker):
    answer = asker.ask("What are the priorities of the regional innovation strategy?", Filters(region="Lubelskie"))
    assert answer.passages
    assert {p.meta["doc_id"] for p in answer.passages} == {"pl-lubelskie-ris-2030"}


def test_doc_type_filter_and_unknown_filter_value(asker):
    answer = asker.ask("Which projects were funded?", Filters(doc_type="op-operations"))
    assert {p.meta["doc_type"] for p in answer.passages} == {"op-operations"}
    with pytest.raises(ValueError, match="no indexed document matches region='Atlantis'"):
        asker.ask("anything", Filters(region="Atlantis"))


def test_term_overlap_matches_related_word_forms():
    terms = content_terms("How does DIGIMAT relate to the South Moravian RIS3?")
    assert set(terms) == {"digimat", "south", "moravian", "ris3"}
    assert term_overlap(terms, "In South Moravia the DIGIMAT Hub is a delivery mechanism") == pytest.approx(0.75)


@pytest.mark.parametrize("weights, alone", [((1.0, 1e-6), "keyword"), ((1e-6, 1.0), "dense"),
                                            ((1.0, 1e-6, 1e-6), "keyword"), ((1e-6, 1.0, 1e-6), "dense"),
                                            ((1e-6, 1e-6, 1.0), "multilingual")])
def test_fusion_weights_are_keyword_then_dense_then_multilingual(asker, weights, alone):
    from index.retrieval import HybridRetriever

    retriever = HybridRetriever(asker.index, weights=weights, cross_only=False)
    question = "Which organisation coordinates the Digital Innovation Hub in Lithuania?"
    fused = [d.id for d in retriever.retrieve(question, top_k=5)[0]]
    single = {"keyword": lambda q, top_k: retriever.retrieve_keyword(q, top_k=top_k, translated=True), "dense": retriever.retrieve_dense,
              "multilingual": retriever.retrieve_multilingual}[alone]
    assert fused == [d.id for d in single(question, top_k=5)]


def test_fast_filter_masks_agree_with_haystack_filter_evaluation(asker):
    import numpy as np
    from haystack.utils.filters import document_matches_filter

    from index.retrieval import HybridRetriever

    keyword = HybridRetriever(asker.index)
    keyword.warm_up()
    component = keyword._pipeline.get_component("keyword")
    from index.keyword import FilterMasks

    for criteria in ({"region": "Lubelskie"}, {"doc_type": "report,edp"}, {"tag": "support.cluster,domain.tourism"},
                     {"country": "PL", "tag": "process.edp"}):
        f = asker.index.resolve_filters(**criteria)
        expected = np.array([document_matches_filter(f, component.documents[i]) for i in component.index.ids])
        fast = FilterMasks(component.index.ids, component.documents).fast(f)
        assert fast is not None and expected.any() and (fast == expected).all(), criteria


@pytest.mark.parametrize("criteria", [{"region": "Lubelskie"}, {"doc_type": "report,edp"}, {"country": "CZ"},
                                      {"tag": "support.cluster"}, {"region": "Atlantis-free", "doc_id": "none"}])
def test_a_filtered_dense_search_finds_what_chromas_filtered_search_finds(asker, criteria, monkeypatch):
    """The dense retriever reads unfiltered hits through the filter's row mask, or searches
    among the passing ids; either way the hits are Chroma's own filtered search's."""
    from index import retrieval

    asker.warm_up()
    dense = asker.retriever.component("dense")
    try:
        f = asker.index.resolve_filters(**criteria)
    except ValueError:
        f = {"field": "meta.doc_id", "operator": "==", "value": "no-such-document"}
    question = "Which organisations support clusters and what did they learn from pilots?"
    embedding = dense.embed(question)
    want = asker.index.chroma.nearest(embedding, 30, f)
    assert dense._nearest(embedding, 30, f) == want
    monkeypatch.setattr(retrieval, "OVERFETCH_MAX", 0)  # the search among the passing ids
    assert dense._nearest(embedding, 30, f) == want


def test_a_question_naming_a_region_the_corpus_does_not_cover_says_so(asker):
    answer = asker.ask("Which smart specialisation domains did the Bratislava Region select?")
    assert not answer.answered and answer.missing == ["Bratislava"]
    assert "does not mention Bratislava" in answer.text and answer.passages  # nearest passages still listed
    assert answer.to_json()["missing_terms"] == ["Bratislava"]


def test_names_the_corpus_knows_and_german_nouns_are_not_missing(asker):
    from qa.terms import unknown_names

    idf = asker.index.keyword_index.idf
    assert unknown_names("How does DIGIMAT relate to the South Moravian RIS3?", idf) == []
    assert unknown_names("Welche Förderschwerpunkte nennt die Innovationsstrategie für Lubelskie?", idf) == []


def test_text_read_across_diagram_cells_is_not_taken_for_an_answer_sentence():
    from qa.answer import _looks_like_prose

    # pl-lubelskie-ris-2030.pdf p. 85 and p. 53: table cells read line by line
    garbled = ("Attachments 83 12 Increasing the role innovation CLUSTERS3 Policy Learning Inclusion of clu- 7 of "
               "clusters in the policy Document PEER sters that bring process of updating and planning REVIEWS "
               "together econoimplementing the RIS3 Summary mic entities from the Lubelskie Region")
    cells = ("social 10 – stakehol- and economic results ders’ involvement of projects presented in the RIS moni- on "
             "websites or regional toring) SMART_ meetings")
    prose = ("The strong clusters of the Northern Netherlands play an important role in developing, testing and "
             "applying innovation.")
    german = "Die Zuwendungsempfänger der Förderperiode werden im Verzeichnis der Begünstigten veröffentlicht."
    assert not _looks_like_prose(garbled, english=True) and not _looks_like_prose(cells, english=True)
    assert _looks_like_prose(prose, english=True) and _looks_like_prose(german, english=False)


def test_an_unanswered_question_still_cites_its_nearest_sentence(asker):
    answer = asker.ask("What is the average annual rainfall in the region?")
    assert not answer.answered and len(answer.nearest) == 1
    c = answer.nearest[0]
    passage = next(p for p in answer.passages if p.id == c.passage_id)
    assert passage.content[c.span[0]:c.span[1]].strip() == c.sentence
    assert answer.to_json()["nearest"][0]["sentence"] == c.sentence
