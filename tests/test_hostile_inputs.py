"""Hostile and colliding inputs: every one gets a clear message naming the file or the line, no
traceback, and nothing already indexed changes. Files are made at test time, from real corpus
files where a real document is needed."""
from __future__ import annotations

import codecs
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.service import save_uploads
from app.settings import Settings
from ingest.clean import clean_pages
from ingest.errors import IngestError
from ingest.extract import extract_docx_pages, extract_text_pages

from .conftest import CORPUS

FRENCH = ("La région soutient les pôles d'innovation, les clusters régionaux et les laboratoires vivants "
          "dans sa stratégie de spécialisation intelligente.")
GERMAN = "Die Region fördert Innovationszentren, Cluster und Reallabore.\fZweite Seite über Forschung."


# -- text encodings --------------------------------------------------------------------------
def test_a_latin1_text_file_is_decoded_without_replacement_characters(tmp_path):
    path = tmp_path / "fr.txt"
    path.write_bytes(FRENCH.encode("latin-1"))
    pages = extract_text_pages(path)
    assert pages[0].text == FRENCH and "\ufffd" not in pages[0].text
    assert pages[0].encoding  # recorded (charset-normalizer's name for it)


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF16_LE])
def test_a_utf16_text_file_is_read_with_or_without_bom(tmp_path, bom):
    path = tmp_path / "de.txt"
    path.write_bytes(bom + GERMAN.encode("utf-16-le"))
    pages = extract_text_pages(path)
    assert [p.text for p in pages] == GERMAN.split("\f")
    assert pages[0].encoding.startswith("utf-16-le")


def test_a_utf8_text_file_keeps_its_exact_text(tmp_path):
    path = tmp_path / "de.txt"
    path.write_text(GERMAN, encoding="utf-8")
    assert [p.text for p in extract_text_pages(path)] == GERMAN.split("\f")
    assert extract_text_pages(path)[0].encoding == "utf-8"


def test_only_truly_binary_content_is_refused_and_the_message_names_the_file(tmp_path):
    path = tmp_path / "random.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError) as err:
        extract_text_pages(path)
    assert str(path) in str(err.value) and "binary" in str(err.value)


# -- DOCX with XML entities ------------------------------------------------------------------
def _docx_with_entity(dest: Path) -> Path:
    """The corpus DOCX with an external entity declared and used in its first paragraph."""
    src = CORPUS / "guides" / "onlines3-stakeholder-engagement-guideline.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                head, sep, rest = data.partition(b"?>")
                data = head + sep + b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>' + rest
                data = data.replace(b"<w:t>", b"<w:t>&xxe;", 1)
            zout.writestr(item, data)
    return dest


def test_a_docx_with_an_xml_entity_is_refused_with_a_reason(tmp_path):
    path = _docx_with_entity(tmp_path / "entity.docx")
    with pytest.raises(IngestError) as err:
        extract_docx_pages(path)
    assert str(path) in str(err.value) and "entit" in str(err.value)
    # the real document it was made from still reads
    assert extract_docx_pages(CORPUS / "guides" / "onlines3-stakeholder-engagement-guideline.docx")


# -- cleaning --------------------------------------------------------------------------------
def test_the_only_line_of_each_page_is_never_removed_as_a_running_header():
    pages = [f"Operation {i:04d}: support for innovation hubs in the region" for i in range(3000)]
    cleaned = clean_pages(pages)
    assert cleaned == pages


def test_pages_of_repeated_lines_keep_their_text():
    pages = [f"Operation {i:04d} Cottbus\nAmount {i * 7:,} EUR\n{i}" for i in range(1, 400)]
    cleaned = clean_pages(pages)
    assert all(c.startswith(f"Operation {i:04d}") for i, c in zip(range(1, 400), cleaned))


def test_running_headers_of_longer_pages_are_still_removed():
    body = ["Clusters bring firms together.", "Hubs offer test beds.", "Living labs involve citizens.",
            "Universities transfer knowledge.", "Agencies fund pilots."]
    pages = [f"Regional Strategy 2030\n{b}\n{i}" for i, b in enumerate(body, start=1)]
    assert clean_pages(pages) == body


# -- page images -----------------------------------------------------------------------------
@pytest.mark.parametrize("side", [14_400, 1_000_000])
def test_a_huge_page_box_is_drawn_within_the_pixel_cap(tmp_path, side):
    from pypdf import PdfWriter

    from ingest.page_image import MAX_PIXELS, MAX_SIDE_PX, render_pdf_page

    writer = PdfWriter()
    writer.add_blank_page(width=side, height=side)
    path = tmp_path / "huge.pdf"
    writer.write(path)
    image, found = render_pdf_page(path, 1, "nothing to find")
    assert max(image.size) <= MAX_SIDE_PX and image.size[0] * image.size[1] <= MAX_PIXELS
    assert found is False


# -- uploads ---------------------------------------------------------------------------------
def test_uploads_whose_names_normalise_alike_are_stored_apart(tmp_path):
    settings = Settings(home=tmp_path / "home")
    saved = save_uploads(settings, [("a b.txt", b"first text about hubs"), ("a_b.txt", b"second text about labs")], {})
    names = sorted(p.name for p in saved.paths)
    assert names == ["a_b-2.txt", "a_b.txt"]
    assert {p.read_bytes() for p in saved.paths} == {b"first text about hubs", b"second text about labs"}
    rows = (settings.home / "uploads" / "manifest.csv").read_text(encoding="utf-8")
    assert "a_b.txt" in rows and "a_b-2.txt" in rows


def test_an_upload_with_the_content_of_a_stored_one_is_a_duplicate_said_plainly(tmp_path):
    settings = Settings(home=tmp_path / "home")
    save_uploads(settings, [("plan.txt", b"same words")], {})
    again = save_uploads(settings, [("copy of plan.txt", b"same words")], {})
    assert again.paths == [] and again.duplicates[0][0] == "copy of plan.txt"
    assert "same content" in again.duplicates[0][1] and "plan.txt" in again.duplicates[0][1]


def test_uploads_over_the_size_limits_are_refused_with_a_reason(tmp_path):
    settings = Settings(home=tmp_path / "home")
    big = save_uploads(settings, [("big.pdf", b"x" * 2_000_001), ("ok.txt", b"small")], {}, max_file_mb=2)
    assert [n for n, _ in big.refused] == ["big.pdf"] and "2 MB" in big.refused[0][1]
    assert [p.name for p in big.paths] == ["ok.txt"]
    batch = save_uploads(settings, [("a.txt", b"x" * 600_000), ("b.txt", b"y" * 600_000)], {}, max_batch_mb=1)
    assert batch.paths == [] and len(batch.refused) == 2 and "at most 1 MB" in batch.refused[0][1]


# -- command-line input ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["-1", "0", "abc", "101"])
def test_a_top_k_out_of_range_is_a_usage_error_not_a_traceback(value):
    result = CliRunner().invoke(cli, ["ask", "What are living labs?", "--top-k", value])
    assert result.exit_code == 2 and "--top-k" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (TypeError, ValueError))


def test_a_batch_file_that_is_not_utf8_is_one_line(tmp_path):
    batch = tmp_path / "questions.jsonl"
    batch.write_bytes('{"id": 1, "question": "Quelles régions ?"}\n'.encode("latin-1"))
    result = CliRunner().invoke(cli, ["ask", "--batch", str(batch)])
    assert result.exit_code == 1 and "not UTF-8" in result.output and str(batch) in result.output


def test_each_bad_batch_line_is_reported_with_its_own_id_and_line(tmp_path):
    lines = ['{"id": "a", "question": "What are living labs?", "top_k": -3}',
             'not json at all',
             '["a", "list"]',
             '{"id": "d", "question": 42}',
             '{"id": "e"}',
             '{"id": "f", "question": "Which hubs?", "top_k": "abc"}',
             '{"id": "g", "question": "Which hubs?", "region": 7}']
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ask", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in result.output.splitlines()]
    assert [r.get("id") for r in rows] == ["a", None, None, "d", "e", "f", "g"]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert all(r["error"].startswith(f"{batch}:{r['line']}: ") for r in rows)
    assert "top_k" in rows[0]["error"] and "not JSON" in rows[1]["error"] and "object" in rows[2]["error"]
    assert "question" in rows[3]["error"] and "missing" in rows[4]["error"] and "top_k" in rows[5]["error"]
    assert "region" in rows[6]["error"]


def _mount_read_only(folder: Path, command: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run ``command`` with ``folder`` bind-mounted read-only in a private mount namespace."""
    if not shutil.which("unshare"):
        pytest.fail("util-linux 'unshare' is needed to mount a read-only RIS3_HOME")
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *command], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("args", [["status", "--check"], ["ask", "Which regions run living labs?"],
                                  ["ingest", "corpus/reports"]])
def test_a_read_only_home_gives_one_line_telling_what_to_do(built_index, tmp_path, args):
    import os
    import sys

    settings, _ = built_index
    home = tmp_path / "ro-home"
    shutil.copytree(settings.home, home)
    env = {**os.environ, "RIS3_HOME": str(home), "RIS3_CORPUS": str(settings.corpus)}
    ris3 = str(Path(sys.executable).parent / "ris3")
    done = _mount_read_only(home, [ris3, *args], env)
    if "mount" in done.stderr and "ermission" in done.stderr:
        pytest.fail(f"cannot make a read-only mount here: {done.stderr.strip()}")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "RIS3_HOME" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
