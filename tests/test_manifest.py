"""The corpus manifest: rows, metadata inferred for files without one, and malformed rows."""

import pytest

from ingest.manifest import DOC_TYPES, infer_meta, load_manifest

from .conftest import CORPUS


def test_bundled_manifest_describes_every_corpus_file():
    rows = load_manifest(CORPUS)
    files = {str(p.resolve()) for p in CORPUS.rglob("*") if p.is_file() and p.name not in {"manifest.csv", "SOURCES.md"}}
    assert files == set(rows)
    for meta in rows.values():
        assert meta.doc_id and meta.title and meta.doc_type in DOC_TYPES and meta.country


def test_seed_report_is_in_the_manifest_with_its_regions():
    seed = next(m for m in load_manifest(CORPUS).values() if m.doc_id == "jrc-dih-in-smart-specialisation-2018")
    assert seed.doc_type == "report" and seed.year == "2018"
    assert "South Moravia" in seed.regions() and "Catalonia" in seed.regions()


def test_malformed_manifest_row_names_the_line(tmp_path):
    (tmp_path / "manifest.csv").write_text("doc_id,file,doc_type\nx,a.pdf,strategy\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"manifest.csv:2: unknown doc_type 'strategy'"):
        load_manifest(tmp_path)


def test_malformed_rows_can_be_collected_instead_so_that_the_other_rows_count(tmp_path):
    rows_text = "doc_id,file,doc_type\nx,a.pdf,strategy\ny,,ris3\nz,c.pdf,ris3\n"
    (tmp_path / "manifest.csv").write_text(rows_text, encoding="utf-8")
    problems: list[str] = []
    rows = load_manifest(tmp_path, problems)
    assert [m.doc_id for m in rows.values()] == ["z"]
    assert problems == [f"{tmp_path / 'manifest.csv'}:2: unknown doc_type 'strategy' (one of {', '.join(DOC_TYPES)})",
                        f"{tmp_path / 'manifest.csv'}:3: row has no 'file'"]


def test_file_without_manifest_row_gets_inferred_metadata(tmp_path):
    meta = infer_meta(tmp_path / "My Regional_Strategy 2021.pdf", tmp_path)
    assert meta.inferred and meta.doc_id == "my-regional-strategy-2021" and meta.title == "My Regional Strategy 2021"
