"""Text units with structure (nlp/structure.py, ingest/extract.py, ingest/clean.py): headings,
table-of-contents lines and running titles on real corpus pages, sentences that never span a
heading, section paths, and the seed report's sections and citations."""
from pathlib import Path

import pytest
from haystack import Document

from ingest.clean import clean_pages, normalise, running_lines
from ingest.converter import CorpusConverter
from ingest.extract import extract_pdf_pages, heading_lines
from nlp.passages import PassageSplitter, sentence_sections, sentence_spans, sentence_units
from nlp.structure import HEADING, TOC, sections, type_lines
from qa.citations import cite, page_label

from .conftest import CORPUS, SEED

NN = CORPUS / "strategies" / "nl-northern-netherlands-ris3.pdf"
LT = CORPUS / "strategies" / "lt-ris3-implementation-programme.pdf"


def _pages(path: Path, first: int, last: int) -> list[Document]:
    raw = extract_pdf_pages(path, first, last)
    return [Document(content=t, meta={"doc_id": path.stem, "page_number": r.number, "file_kind": "pdf"})
            for r, t in zip(raw, clean_pages([r.text for r in raw])) if t.strip()]


@pytest.fixture(scope="module")
def nn_pages() -> list[Document]:
    return _pages(NN, 1, 8)


@pytest.fixture(scope="module")
def seed_passages() -> list[Document]:
    pages = CorpusConverter(workers=0, progress_bar=False).run(
        sources=[CORPUS / SEED], meta=[{"doc_id": "seed"}])["documents"]
    return PassageSplitter().run(pages)["documents"]


def _page(pages: list[Document], number: int) -> str:
    return next(p.content for p in pages if p.meta["page_number"] == number)


@pytest.mark.slow
def test_contents_page_of_northern_netherlands_is_one_toc_line_per_entry(nn_pages):
    lines = type_lines(_page(nn_pages, 3))
    texts = [ln.text for ln in lines]
    # the contents page as printed: "Table of Contents", "1 Our Ambition 4", ..., "3.2 Societal Challenges 11"
    assert texts[0] == "Table of Contents"
    assert "1 Our Ambition 4" in texts and "3.2 Societal Challenges 11" in texts
    assert "4.6 National and International Collaboration 22" in texts
    assert {ln.kind for ln in lines} == {TOC}


@pytest.mark.slow
def test_font_headings_of_northern_netherlands_page_4_stand_apart_with_their_levels(nn_pages):
    lines = {ln.text: ln for ln in type_lines(_page(nn_pages, 4))}
    # "1 Our Ambition" is set in 24 pt, "European Challenges" in 9 pt Medium over 8.5 pt Book text
    assert lines["1 Our Ambition"].kind == HEADING and lines["1 Our Ambition"].level == 1
    assert lines["European Challenges"].kind == HEADING
    assert lines["Research and Innovation Strategy: Smart Specialization"].kind == HEADING
    assert not any(t.startswith("European Challenges Europe faces") for t in lines)


@pytest.mark.slow
def test_sentences_on_northern_netherlands_page_4_know_their_section_path(nn_pages):
    passages = PassageSplitter().run(nn_pages)["documents"]
    found = {}
    for p in passages:
        for (s, e, page, _), path, unit in zip(sentence_spans(p), sentence_sections(p), sentence_units(p)):
            found[p.content[s:e]] = (page, path, unit)
    europe = next(k for k in found if k.startswith("Europe faces complex challenges"))
    assert found[europe] == (4, "1 Our Ambition › European Challenges", "b")
    assert found["1 Our Ambition"] == (4, "1 Our Ambition", "h")
    assert found["In Three Steps"][1] == "2 The Northern Netherlands’ philosophy › In Three Steps"
    label = page_label({"file_kind": "pdf"}, 4, section=found[europe][1])
    assert label == "p. 4, § European Challenges"


@pytest.mark.slow
def test_bold_chapter_heading_of_the_lithuanian_programme_is_found_by_its_font():
    import pdfplumber

    with pdfplumber.open(LT) as pdf:
        heads = heading_lines(pdf.pages[2])  # p. 3: "CHAPTER II" / "ANALYSIS OF THE ENVIRONMENT" in bold
    assert {"CHAPTER II", "ANALYSIS OF THE ENVIRONMENT"} <= set(heads)
    lines = {ln.text: ln for ln in type_lines(_page(_pages(LT, 3, 3), 3))}
    assert lines["CHAPTER II"].kind == HEADING and lines["CHAPTER II"].level == 1
    assert lines["ANALYSIS OF THE ENVIRONMENT"].kind == HEADING
    assert [s.path for s in sections(_page(_pages(LT, 3, 3), 3))][-1] == "CHAPTER II › ANALYSIS OF THE ENVIRONMENT"
    assert any(t.startswith("6. R&D is one of the priority areas") and lines[t].kind != HEADING for t in lines)


@pytest.mark.slow
def test_running_title_of_northern_netherlands_pages_is_detected_and_dropped():
    raw = extract_pdf_pages(NN, 4, 12)
    # "Draft RIS3 Nothern Netherlands <page>" is printed at the foot of the pages (sic)
    assert "draft ris# nothern netherlands" in running_lines([normalise(r.text).split("\n") for r in raw])
    cleaned = clean_pages([r.text for r in raw])
    assert not any("Draft RIS3 Nothern Netherlands 4" in t for t in cleaned[:1])


def _overlaps_a_heading(passages: list[Document], pages: dict[int, str]) -> list[str]:
    heads = {page: [(ln.start, ln.end) for ln in type_lines(text) if ln.kind == HEADING] for page, text in pages.items()}
    bad = []
    for p in passages:
        for s, e, page, off in sentence_spans(p):
            start, end = off, off + (e - s)
            for hs, he in heads.get(page, []):
                inside = hs <= start and end <= he
                apart = end <= hs or start >= he
                if not (inside or apart):
                    bad.append(p.content[s:e])
    return bad


def test_no_sentence_of_the_seed_report_spans_a_heading(seed_passages):
    text = (CORPUS / SEED).read_text(encoding="utf-8")
    assert " 1 Introduction " in text.splitlines()  # a heading line of the file
    page = CorpusConverter(workers=0, progress_bar=False).run(sources=[CORPUS / SEED])["documents"][0].content
    assert _overlaps_a_heading(seed_passages, {1: page}) == []
    spans = [(p, s, e) for p in seed_passages for s, e, _, _ in sentence_spans(p)]
    intro = next((p, s, e) for p, s, e in spans if p.content[s:e] == "1 Introduction")
    assert sentence_units(intro[0])[[s for s, _, _, _ in sentence_spans(intro[0])].index(intro[1])] == HEADING


@pytest.mark.slow
def test_no_sentence_of_northern_netherlands_pages_spans_a_heading(nn_pages):
    passages = PassageSplitter().run(nn_pages)["documents"]
    assert _overlaps_a_heading(passages, {p.meta["page_number"]: p.content for p in nn_pages}) == []


def test_seed_report_sections_come_from_its_headings(seed_passages):
    page = CorpusConverter(workers=0, progress_bar=False).run(sources=[CORPUS / SEED])["documents"][0].content
    secs = sections(page)
    titles = [s.title for s in secs]
    # the report's own headings, in order (corpus/reports/jrc-dih-in-smart-specialisation-2018.txt)
    order = ["Abstract", "Foreword", "Executive summary", "1 Introduction", "2 Methodology for identifying the DIHs in RIS3",
             "3 Leadership and governance", "9 Conclusions and policy recommendations", "10 Cases"]
    assert [t for t in titles if t in order] == order
    baden = next(s for s in secs if s.title == "Baden-Wurttemberg (DE)")
    assert baden.path == "10 Cases › Baden-Wurttemberg (DE)"
    intro = secs[titles.index("1 Introduction")]
    assert page[intro.start:intro.end].startswith("1 Introduction\nThe concept of Digital Innovation Hub (DIH)")


def test_citation_of_a_seed_sentence_names_its_section_not_a_page(seed_passages):
    sentence = "The concept of Digital Innovation Hub (DIH) as a policy initiative is recent"
    p = next(p for p in seed_passages if sentence in p.content)
    start = p.content.index(sentence)
    s, e, page, off = next(x for x in sentence_spans(p) if x[0] == start)
    c = cite(1, p, (s, e), page, off, p.content[s:e])
    assert c.section == "1 Introduction"
    assert page_label(p.meta, c.page, section=c.section) == "§ 1 Introduction (text file, no page numbers)"
    assert p.meta["section"] and len(p.meta["units"]) == len(sentence_spans(p))


def test_markdown_and_numbered_headings_of_a_text_file_start_sections(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("# Regional strategy\nThe region has chosen four priority domains for the period.\n"
                  "3.2 Energy transition\nHydrogen valleys are supported with regional funds and loans.\n",
                  encoding="utf-8")
    page = CorpusConverter(workers=0, progress_bar=False).run(sources=[md])["documents"][0].content
    assert page.split("\n")[2] == "3.2 Energy transition"  # not glued to the sentence after it
    assert [(s.title, s.path) for s in sections(page)] == [
        ("Regional strategy", "Regional strategy"), ("3.2 Energy transition", "Regional strategy › 3.2 Energy transition")]
