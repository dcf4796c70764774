"""Cleaning rules, on real corpus text where the corpus shows the problem."""
import pytest

from ingest.clean import (
    clean_pages,
    join_ligature_gaps,
    join_lines,
    normalise,
    running_lines,
)
from ingest.extract import extract_pdf_pages, extract_text_pages

from .conftest import CORPUS, SEED


def test_word_hyphenated_across_lines_is_rejoined():
    assert join_lines(["support for addi-", "tional services"], set()) == "support for additional services"


def test_compounds_keep_their_hyphen_across_lines():
    assert join_lines(["promote new cross-", "border projects"], set()) == "promote new cross-border projects"
    assert join_lines(["regions: Baden-", "Württemberg and Wallonia"], set()) == "regions: Baden-Württemberg and Wallonia"


def test_document_vocabulary_decides_hyphenation():
    assert join_lines(["a euro-", "zone country"], {"eurozone"}) == "a eurozone country"
    assert join_lines(["the small-", "and medium-sized"], set()) == "the small- and medium-sized"


def test_term_split_across_line_break_becomes_one_phrase_in_the_seed_report():
    raw = [p.text for p in extract_text_pages(CORPUS / SEED)]
    text = clean_pages(raw)[0]
    assert "relationships of Digital Innovation Hubs (DIH) and Smart Specialisation Strategies (S3)" in text
    assert "Digital Innovation\nHubs" not in text


def test_sentences_and_list_items_keep_their_own_lines():
    text = join_lines(["The RIS3CAT focuses on seven priority domains:", "— Agri-food industry and other",
                       "— Energy and Natural Resources"], set())
    assert text.split("\n") == ["The RIS3CAT focuses on seven priority domains:",
                                "— Agri-food industry and other", "— Energy and Natural Resources"]


@pytest.mark.slow
def test_running_header_is_dropped_from_every_page():
    path = CORPUS / "guides/onlines3-edp-focus-groups-guideline.pdf"
    raw = [p.text for p in extract_pdf_pages(path)]
    header = "ONLINE S3 – 710659 – Guidelines for the pilot experimentation phase"
    assert sum(header in t for t in raw) >= 10
    cleaned = clean_pages(raw)
    assert not any(header in t for t in cleaned)
    assert "EDP Focus Groups provide a roadmap" in " ".join(cleaned)


def test_running_lines_ignore_changing_page_numbers():
    pages = [[f"Strategy 2030 – page {i}", "body text number", str(i)] for i in range(1, 8)]
    assert "strategy # – page" in running_lines(pages)


@pytest.mark.slow
def test_headers_alternating_on_odd_and_even_pages_are_dropped():
    path = CORPUS / "strategies/pl-lubelskie-ris-2030.pdf"
    raw = [p.text for p in extract_pdf_pages(path, 38, 46)]
    cleaned = clean_pages(raw)
    assert sum("Update of the Regional Innovation Strategy of the Lubelskie Voivodeship 2030" in t.split("\n")[0] for t in raw) == 4
    assert not any(t.startswith("Update of the Regional Innovation Strategy") for t in cleaned)
    assert not any(t.split("\n")[0].endswith("Update of the Regional Innovation Strategy of the Lubelskie Voivodeship 2030") for t in cleaned)


def test_ligature_gap_is_joined_only_for_known_words():
    assert join_ligature_gaps("priorities in fi nancing for the region", set()) == "priorities in financing for the region"
    assert join_ligature_gaps("the fi rst staff", {"first"}) == "the first staff"
    assert join_ligature_gaps("a chief officer", set()) == "a chief officer"


def test_whitespace_and_ligatures_are_normalised():
    assert normalise("ﬁnancing\u00a0\u00a0and\tmore  ") == "financing and more"


def test_symbol_font_bullets_become_visible_bullets_on_a_real_page():
    raw = extract_pdf_pages(CORPUS / "strategies/pl-lubelskie-ris-2030.pdf", 40, 40)[0].text
    assert "\uf090" in raw
    cleaned = clean_pages([raw])[0]
    assert "\uf090" not in cleaned and "• conceptual and advisory expert work." in cleaned


def test_control_character_used_as_a_bullet_becomes_a_bullet():
    assert normalise("areas:\n\x84 road maps for markets\nnext\x07 word") == "areas:\n• road maps for markets\nnext word"
