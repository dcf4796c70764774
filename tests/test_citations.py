"""Citations are data: one pure function numbers them; each keeps document, page and span."""
import json

from haystack import Document

from nlp.passages import sentence_spans
from qa.answer import _Candidate, _list_after, number_citations
from qa.citations import page_label, region_label
from qa.types import NO_ANSWER, Answer


def _passage():
    text = "DIGIMAT was proposed by partners. It is a tool to implement the strategy."
    sent_map = [[0, 33, 12, 100], [34, 39, 13, 0]]
    return Document(id="seed:abc:00001", content=text, meta={
        "doc_id": "seed", "title": "DIH report", "region": "South Moravia", "country": "EU", "doc_type": "report",
        "page_start": 12, "page_end": 13, "sent_map": json.dumps(sent_map)})


def test_citations_are_numbered_in_answer_order_with_page_and_span():
    p = _passage()
    spans = sentence_spans(p)
    chosen = [_Candidate(0, p, s, e, page, off, p.content[s:e]) for s, e, page, off in reversed(spans)]
    cites = number_citations(chosen)
    assert [c.n for c in cites] == [1, 2]
    assert [c.page for c in cites] == [13, 12]
    assert cites[0].sentence == "It is a tool to implement the strategy."
    assert p.content[cites[0].span[0]:cites[0].span[1]] == cites[0].sentence
    assert (cites[1].doc_id, cites[1].region, cites[1].page_offset) == ("seed", "South Moravia", 100)


def test_answer_text_renders_citation_markers_and_no_answer_message():
    p = _passage()
    s, e, page, off = sentence_spans(p)[0]
    cites = number_citations([_Candidate(0, p, s, e, page, off, p.content[s:e])])
    answered = Answer("q", True, [(c.sentence, c.n) for c in cites], cites, [p])
    assert answered.text == "DIGIMAT was proposed by partners. [1]"
    assert Answer("q", False, [], [], [p]).text == NO_ANSWER
    assert answered.to_json()["citations"][0]["page"] == 12


def test_passage_without_sentence_map_cites_its_first_page():
    d = Document(content="Short text.", meta={"page_start": 4, "char_start": 7})
    assert sentence_spans(d) == [(0, 11, 4, 7)]


def test_list_introduced_by_a_colon_is_kept_with_its_items():
    text = "It focuses on three domains:\n— Agri-food\n— Energy\nFootnote 46 text here.\n— Health\nNext paragraph is long and it goes on and on about other things entirely."
    starts = [0, 29, 41, 50, 73, 82]
    ends = [28, 40, 49, 72, 81, len(text)]
    spans = [(s, e, 1, s) for s, e in zip(starts, ends)]
    assert _list_after(spans, 0, text) == 4


def test_long_region_lists_and_pageless_text_files_are_labelled_readably():
    seed = "Baden-Württemberg; Wallonia; Norte; Lombardy; Lithuania"
    assert region_label(seed) == "Baden-Württemberg; Wallonia; Norte +2 more"
    assert region_label("Lubelskie") == "Lubelskie"
    assert page_label({"file_kind": "text", "n_pages": 1}) == "text file, no page numbers"
    assert page_label({"file_kind": "pdf", "page_start": 12, "page_end": 13}) == "pp. 12-13"
    assert page_label({"file_kind": "pdf"}, 7) == "p. 7"
