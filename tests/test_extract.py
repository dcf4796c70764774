"""Extraction on real corpus files: page numbers, and the fixes each broken page needs."""
import re

import pytest

from ingest.errors import IngestError
from ingest.extract import (
    extract_docx_pages,
    extract_pdf_pages,
    extract_text_pages,
    pdf_page_count,
    sniff_kind,
)

from .conftest import CORPUS


@pytest.mark.slow
def test_pdf_pages_are_numbered_from_one_and_all_present():
    path = CORPUS / "reports/el-emth-edp-tourism-focus-group-summary.pdf"
    n, _ = pdf_page_count(path)
    pages = extract_pdf_pages(path)
    assert n == 19
    assert [p.number for p in pages] == list(range(1, 20))


def test_page_range_extraction_keeps_real_page_numbers():
    path = CORPUS / "strategies/pl-lubelskie-ris-2030.pdf"
    pages = extract_pdf_pages(path, 44, 46)
    assert [p.number for p in pages] == [44, 45, 46]


def test_words_running_together_are_separated():
    # p.3 of the EDP guideline has no space characters between words at default tolerance
    text = extract_pdf_pages(CORPUS / "guides/onlines3-edp-focus-groups-guideline.pdf", 3, 3)[0].text
    assert "which aims to analyze their value chain" in text
    assert not re.search(r"[a-z]{30,}", text)


def test_two_column_page_is_read_column_by_column():
    text = extract_pdf_pages(CORPUS / "strategies/ee-estonia-s3-qualitative-analysis.pdf", 5, 5)[0].text
    flat = " ".join(text.split())
    # the left column's sentence continues without the right column interleaved
    assert "It is important to note that the development of this sector around the world has reached a stage" in flat


def test_interleaved_small_print_rows_are_untangled():
    text = extract_pdf_pages(CORPUS / "operations/mt-op1-erdf-beneficiaries-2016.pdf", 3, 3)[0].text
    assert "Xewkija Windmill" in text
    assert "R e e w h k a i b" not in text


def test_docx_is_read_with_its_page_breaks():
    pages = extract_docx_pages(CORPUS / "guides/onlines3-stakeholder-engagement-guideline.docx")
    assert len(pages) > 1
    assert pages[0].number == 1
    assert any("stakeholder" in p.text.lower() for p in pages)


def test_text_file_splits_pages_on_form_feeds(tmp_path):
    f = tmp_path / "two.txt"
    f.write_text("first page\fsecond page", encoding="utf-8")
    assert [(p.number, p.text) for p in extract_text_pages(f)] == [(1, "first page"), (2, "second page")]


def test_word_file_renamed_pdf_is_reported_by_name(tmp_path):
    fake = tmp_path / "programme.pdf"
    fake.write_bytes((CORPUS / "guides/onlines3-stakeholder-engagement-guideline.docx").read_bytes())
    with pytest.raises(IngestError) as err:
        sniff_kind(fake)
    assert "programme.pdf" in str(err.value) and "no %PDF header" in str(err.value)


def test_empty_and_unsupported_files_are_reported(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty file"):
        sniff_kind(empty)
    odd = tmp_path / "slides.pptx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(IngestError, match="unsupported file type .pptx"):
        sniff_kind(odd)


def test_truncated_pdf_is_reported_not_raised_as_traceback(tmp_path):
    broken = tmp_path / "truncated.pdf"
    broken.write_bytes((CORPUS / "operations/mt-op1-erdf-beneficiaries-2016.pdf").read_bytes()[:3000])
    with pytest.raises(IngestError) as err:
        pdf_page_count(broken)
        extract_pdf_pages(broken)
    assert err.value.path == str(broken)
