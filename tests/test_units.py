"""Fast unit tests (no model, no ingest, no server) of the pieces every answer is made of:
citations and their labels, a question's terms, the word rules of nlp/text.py, the search
filters and the question check."""
from dataclasses import dataclass, field

import pytest
from haystack import Document

from index.filters import FILTER_FIELDS, resolve_filters
from nlp.text import (
    fold,
    index_words,
    passage_language,
    stemmer,
    vocabulary_words,
    words,
)
from qa.citations import cite, page_label, region_label, renumber
from qa.service import MAX_QUESTION_CHARS, Filters, clean_question
from qa.terms import content_terms, term_overlap, translated_terms, unknown_names


# -- qa/citations.py ---------------------------------------------------------------------------
def _passage(**meta) -> Document:
    base = {"doc_id": "seed", "title": "DIH report", "region": "South Moravia", "country": "CZ", "doc_type": "report",
            "file": "reports/seed.pdf", "page_start": 12, "page_end": 13}
    return Document(id="seed:abc:00001", content="DIGIMAT was proposed by partners.", meta={**base, **meta})


def test_a_citation_carries_the_passages_document_fields_page_and_span():
    c = cite(3, _passage(language="en"), (0, 33), 13, 250, "DIGIMAT was proposed by partners.")
    assert (c.n, c.doc_id, c.title, c.region, c.country, c.doc_type, c.file) == (
        3, "seed", "DIH report", "South Moravia", "CZ", "report", "reports/seed.pdf")
    assert (c.page, c.span, c.page_offset, c.passage_id) == (13, (0, 33), 250, "seed:abc:00001")
    assert c.sentence == "DIGIMAT was proposed by partners."


def test_a_citation_is_in_the_passages_language_else_the_documents():
    assert cite(1, _passage(language="en", passage_language="de"), (0, 1), 1, 0, "x").language == "de"
    assert cite(1, _passage(language="en", passage_language=""), (0, 1), 1, 0, "x").language == "en"
    assert cite(1, _passage(), (0, 1), 1, 0, "x").language == ""


def test_a_citation_with_missing_fields_has_empty_strings_and_integer_positions():
    bare = Document(id="p", content="text", meta={})
    c = cite(1, bare, ("2", "4"), "5", "7", "xt")
    assert (c.doc_id, c.title, c.region, c.file) == ("", "", "", "")
    assert (c.page, c.span, c.page_offset) == (5, (2, 4), 7)


def test_renumbering_a_citation_keeps_everything_else():
    c = cite(1, _passage(), (0, 33), 12, 0, "DIGIMAT was proposed by partners.")
    r = renumber(c, 9)
    assert r.n == 9 and c.n == 1 and (r.doc_id, r.page, r.span) == (c.doc_id, c.page, c.span)


def test_page_labels_name_one_page_a_range_or_no_pages():
    assert page_label({"page_start": 4, "page_end": 4}) == "p. 4"
    assert page_label({"page_start": 12, "page_end": 13}) == "pp. 12-13"
    assert page_label({"page_start": 9}) == "p. 9"  # no page_end: the passage is on its first page
    assert page_label({"page_start": 12, "page_end": 13}, 20) == "p. 20"  # an explicit page wins
    assert page_label({}, 20, 21) == "pp. 20-21"
    assert page_label({"file_kind": "text", "n_pages": 1}, 1) == "text file, no page numbers"
    assert page_label({"file_kind": "text", "n_pages": 3}, 2) == "p. 2"  # form feeds made pages


def test_region_labels_shorten_long_lists():
    assert region_label("A; B; C; D; E") == "A; B; C +2 more"
    assert region_label("A; B; C") == "A; B; C"
    assert region_label(" A ;; B ") == "A; B"
    assert region_label("A; B; C", most=1) == "A +2 more"
    assert region_label("") == "" and region_label(None) == ""


# -- qa/terms.py -------------------------------------------------------------------------------
def test_content_terms_drop_stop_words_and_weigh_names_and_acronyms_double():
    terms = content_terms("How does DIGIMAT relate to the South Moravian hubs?")
    assert terms == {"digimat": 2.0, "south": 2.0, "moravian": 2.0, "hub": 1.0}


def test_content_terms_are_stemmed_and_merged_keeping_the_higher_weight():
    assert content_terms("hubs and the Hub") == {"hub": 2.0}
    assert content_terms("RIS3 priorities in 2030") == {"ris3": 2.0, "prioriti": 1.0, "2030": 2.0}


def test_content_terms_weigh_by_idf_and_unknown_terms_count_as_rare():
    idf = {"hubs": 1.5, "region": 0.5}.get
    assert content_terms("Which hubs serve the region of Zlin?", lambda w: idf(w, 0.0)) == {
        "hub": 1.5, "serv": 3.0, "region": 0.5, "zlin": 3.0}


def test_term_overlap_is_the_weighted_share_of_the_terms_in_the_text():
    terms = {"digimat": 2.0, "hub": 1.0, "moravian": 1.0}
    assert term_overlap(terms, "The DIGIMAT hubs") == pytest.approx(3 / 4)
    assert term_overlap(terms, "nothing relevant") == 0.0
    assert term_overlap({}, "anything") == 0.0


def test_a_shared_prefix_of_six_letters_counts_as_the_same_term():
    assert term_overlap({"moravian": 1.0}, "in South Moravia") == 1.0
    assert term_overlap({"hub": 1.0}, "hubris") == 0.0  # short terms need the exact stem


def test_a_term_counts_through_its_translations():
    translations = [{"source": "flight school", "language": "de", "words": ["Flugschule"]},
                    {"source": "school", "language": "fr", "words": ["école"]}]
    alt = translated_terms(translations, "de")
    assert alt == {"flight": {"flugschul"}, "school": {"flugschul"}}
    terms = {"flight": 1.0, "school": 1.0}
    assert term_overlap(terms, "Errichtung einer Flugschule") == 0.0
    assert term_overlap(terms, "Errichtung einer Flugschule", alt) == 1.0
    assert translated_terms(translations, "it") == {}


def test_unknown_names_are_capitalised_words_the_corpus_never_contains():
    known = {"does", "digimat", "relate", "to", "south", "moravia", "baden"}
    idf = lambda w: 1.0 if w in known else 0.0  # noqa: E731
    assert unknown_names("How does DIGIMAT relate to Bratislava?", idf) == ["Bratislava"]
    assert unknown_names("How does DIGIMAT relate to South Moravia?", idf) == []
    assert unknown_names("Bratislava: how does DIGIMAT relate?", idf) == []  # the first word is not a name
    assert unknown_names("How does the strategy of Baden-Württemberg compare with that of Foo-Bar and Foo-Bar?",
                         idf) == ["Foo-Bar"]  # Baden is known; a name is listed once
    assert unknown_names("Does DIGIMAT relate to Ulm or RIS3X?", idf) == []  # under 4 letters; not all letters
    assert unknown_names("Welche Förderung erhielt die Brauerei in Bratislava?", idf) == []  # not English


# -- nlp/text.py -------------------------------------------------------------------------------
def test_words_keep_inner_hyphens_and_apostrophes_and_split_on_underscores():
    assert words("Cross-border l'innovation, R&D 2030 snake_case -x- it's") == [
        "Cross-border", "l'innovation", "R", "D", "2030", "snake", "case", "x", "it's"]
    assert words("Württemberg's Ελλάδα") == ["Württemberg's", "Ελλάδα"]


def test_index_words_are_bm25s_tokens_lower_cased_of_two_or_more_characters():
    assert index_words("A cross-border R&D Hub, 2030 x") == ["cross", "border", "hub", "2030"]
    assert index_words("snake_case") == ["snake_case"]  # \w includes the underscore


def test_vocabulary_words_have_three_or_more_letters_and_no_digits():
    assert vocabulary_words("EU ICT cross-border hubs 2030 go") == ["ICT", "cross-border", "hubs"]


def test_fold_lowers_case_and_drops_accents():
    assert fold("Württemberg ÉCOLE") == "wurttemberg ecole"


def test_each_language_has_its_own_stemmer_and_unknown_languages_none():
    assert stemmer("en").stemWord("strategies") == "strategi"
    assert stemmer("de").stemWord("radwege") == stemmer("de").stemWord("radweg")
    assert stemmer("fr").stemWord("innovations") == "innov"
    assert stemmer("xx") is None and stemmer("pl") is None and stemmer("") is None
    assert stemmer("en") is stemmer("en")  # cached


def test_passage_language_falls_back_to_the_documents_then_the_default():
    assert passage_language({"passage_language": "de", "language": "en"}) == "de"
    assert passage_language({"passage_language": "", "language": "en"}) == "en"
    assert passage_language({"passage_language": None, "language": "en"}, "xx") == "en"
    assert passage_language({"language": ""}, "en") == "en"
    assert passage_language({}) == ""



def test_reports_group_a_passage_by_its_language_else_its_documents():
    from analysis.reports import NONE, group_values

    assert group_values("language", {"passage_language": "de", "language": "en"}) == ["de"]
    assert group_values("language", {"passage_language": "", "language": "en"}) == ["en"]
    assert group_values("language", {}) == [NONE]
    assert group_values("region", {"region": "South Moravia; Catalonia"}) == ["South Moravia", "Catalonia"]
    with pytest.raises(ValueError, match="unknown grouping 'city'"):
        group_values("city", {})


# -- index/filters.py --------------------------------------------------------------------------
@dataclass
class Rec:
    doc_id: str
    meta: dict = field(default_factory=dict)


DOCS = [
    Rec("seed", {"region": "South Moravia; Catalonia; Lubelskie", "country": "EU", "doc_type": "report",
                 "language": "en", "year": "2018"}),
    Rec("lub", {"region": "Lubelskie", "country": "PL", "doc_type": "ris3", "language": "pl", "year": "2021"}),
    Rec("nnl", {"region": "Northern Netherlands", "country": "NL", "doc_type": "ris3", "language": "en",
                "year": "2014"}),
]


def _ids(f):
    """The documents a filter lets through, in DOCS order (a shared document's only through its
    passages' region flags: tests/test_region_attribution.py)."""
    if "conditions" in f:
        found = {i for c in f["conditions"] if c.get("field", "meta.doc_id") == "meta.doc_id" for i in _ids(c)}
        return [d.doc_id for d in DOCS if d.doc_id in found]
    assert f["field"] == "meta.doc_id" and f["operator"] == "in"
    return f["value"]


def test_no_filter_is_none():
    assert resolve_filters(DOCS) is None
    assert resolve_filters(DOCS, region=None, country="", tag=None) is None


def test_region_matches_any_of_a_documents_regions_by_substring_case_insensitively():
    assert _ids(resolve_filters(DOCS, region="moravia")) == ["seed"]
    assert _ids(resolve_filters(DOCS, region="LUBELSKIE")) == ["seed", "lub"]
    assert _ids(resolve_filters(DOCS, region="netherlands, catalonia")) == ["seed", "nnl"]  # comma = any of


def test_other_fields_match_exactly_and_filters_combine():
    assert _ids(resolve_filters(DOCS, doc_type="ris3")) == ["lub", "nnl"]
    assert _ids(resolve_filters(DOCS, doc_type="ris3", language="EN")) == ["nnl"]
    assert _ids(resolve_filters(DOCS, year="2018,2021")) == ["seed", "lub"]
    assert _ids(resolve_filters(DOCS, doc_id="lub")) == ["lub"]


def test_a_filter_no_document_matches_names_itself_and_the_known_values():
    with pytest.raises(ValueError, match=r"no indexed document matches region='Atlantis'; known values: .*Lubelskie"):
        resolve_filters(DOCS, region="Atlantis")
    with pytest.raises(ValueError, match=r"doc_type='ris'"):
        resolve_filters(DOCS, doc_type="ris")  # exact, not a substring
    with pytest.raises(ValueError, match="country='PL'"):
        resolve_filters(DOCS, region="Northern Netherlands", country="PL")  # each alone matches, together none


def test_an_unknown_filter_field_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown filter 'city'; use one of region, country"):
        resolve_filters(DOCS, city="Brno")


def test_a_tag_filter_keeps_passages_flagged_with_any_of_the_tags():
    assert resolve_filters(DOCS, tag="support.living_lab") == {
        "field": "meta.tag__support_living_lab", "operator": "==", "value": True}
    f = resolve_filters(DOCS, tag="support.dih, support.cluster")
    assert f["operator"] == "OR" and [c["field"] for c in f["conditions"]] == [
        "meta.tag__support_dih", "meta.tag__support_cluster"]


def test_a_tag_filter_and_a_document_filter_both_apply():
    f = resolve_filters(DOCS, region="Lubelskie", tag="support.cluster")
    assert f["operator"] == "AND"
    doc, tag = f["conditions"]
    assert _ids(doc) == ["seed", "lub"] and tag["field"] == "meta.tag__support_cluster"


def test_an_unknown_tag_is_refused():
    with pytest.raises(ValueError, match="unknown tag 'support.hubz'"):
        resolve_filters(DOCS, tag="support.hubz")


def test_the_question_filters_are_the_filter_fields_and_tag():
    assert set(vars(Filters())) == {*FILTER_FIELDS, "tag"}
    assert Filters.from_mapping({"region": "Lubelskie", "question": "q", "tag": "support.dih"}) == Filters(
        region="Lubelskie", tag="support.dih")


# -- qa/service.py clean_question --------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x07\x1b", None])
def test_an_empty_question_is_refused(question):
    with pytest.raises(ValueError, match="the question is empty"):
        clean_question(question)


def test_an_overlong_question_is_refused_with_its_length():
    with pytest.raises(ValueError, match="the question is 10,000 characters long; ask in at most 2,000"):
        clean_question("x" * 10_000)
    assert clean_question("x" * MAX_QUESTION_CHARS) == "x" * MAX_QUESTION_CHARS


def test_control_characters_and_runs_of_space_become_single_spaces():
    assert clean_question("  What is\x00 the\x1b RIS3CAT\u200b strategy?\n") == "What is the RIS3CAT strategy?"
    assert clean_question("Welche   Rolle\tspielen Reallabore?") == "Welche Rolle spielen Reallabore?"


def test_a_question_runs_torch_on_one_thread_and_gives_the_threads_back_when_the_last_one_ends():
    import threading

    import torch

    from index.threads import query_threads

    before = torch.get_num_threads()
    seen = []
    with query_threads():
        seen.append(torch.get_num_threads())
        worker = threading.Thread(target=lambda: seen.append(_inside_query_threads()))
        worker.start()
        worker.join()
        seen.append(torch.get_num_threads())  # the other question ending did not restore it
    assert seen == [1, 1, 1]
    assert torch.get_num_threads() == before


def _inside_query_threads() -> int:
    import torch

    from index.threads import query_threads

    with query_threads():
        return torch.get_num_threads()


def test_terms_match_by_stem_by_a_shared_six_letter_prefix_or_by_a_translation():
    from qa.terms import TermMatcher, stems_of

    m = TermMatcher({"moravian": 1.0, "hub": 1.0, "flight": 2.0}, {"flight": {"flugschul"}})
    assert m.matched(stems_of("The hubs of South Moravia")) == {"moravian", "hub"}
    assert m.matched(stems_of("hubris in Moravská")) == set()  # short terms need the exact stem
    assert m.matched(stems_of("Errichtung einer Flugschule")) == {"flight"}
    assert m.weight(stems_of("Errichtung einer Flugschule")) == pytest.approx(0.5)
