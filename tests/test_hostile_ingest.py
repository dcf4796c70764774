"""Colliding and hostile files through real ingestion: whatever a user adds, every previously
indexed document keeps its record and its passages (ids and text compared before and after), and
each file gets its own line. Texts are cut from the real seed report; PDFs and DOCX are corpus files."""
from __future__ import annotations

import csv
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.service import add_documents, ingest, open_index
from app.settings import Settings

from .conftest import CORPUS, SEED, make_corpus

pytestmark = pytest.mark.slow

STRATEGY = "strategies/lt-ris3-implementation-programme.pdf"
DOCX = "guides/onlines3-stakeholder-engagement-guideline.docx"


def _seed_part(n: int, words: int = 260) -> str:
    """The n-th slice of the seed report's text (real prose, a few passages)."""
    text = (CORPUS / SEED).read_text(encoding="utf-8").split()
    return " ".join(text[n * words:(n + 1) * words])


def _snapshot(settings: Settings) -> dict[str, dict[str, str]]:
    """doc_id -> {passage id: text}, and the records' status, of everything indexed."""
    index = open_index(settings)
    out: dict[str, dict[str, str]] = {}
    for pid, p in index.passages().items():
        out.setdefault(p.meta["doc_id"], {})[pid] = p.content
    index.close()
    return out


def _records(settings: Settings) -> dict[str, tuple[str, str]]:
    index = open_index(settings)
    out = {d.doc_id: (d.status, d.meta.get("file_path", d.file)) for d in index.documents()}
    index.close()
    return out


def _check(settings: Settings) -> dict:
    index = open_index(settings)
    found = index.check()
    index.close()
    return found


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", corpus=tmp_path / "unused", workers=0)


def test_files_named_alike_in_two_folders_keep_both_documents(tmp_path, settings):
    (tmp_path / "col1").mkdir()
    (tmp_path / "col2").mkdir()
    (tmp_path / "col1" / "文件.txt").write_text(_seed_part(1), encoding="utf-8")
    (tmp_path / "col2" / "ストラテジー.txt").write_text(_seed_part(2), encoding="utf-8")
    first = ingest(settings, [tmp_path / "col1"], progress=False)
    before = _snapshot(settings)
    second = ingest(settings, [tmp_path / "col2"], progress=False)
    after = _snapshot(settings)
    assert first.count("ingested") == 1 and second.count("ingested") == 1 and second.count("removed") == 0
    assert len(after) == 2, after.keys()
    for doc_id, passages in before.items():
        assert after[doc_id] == passages  # the first document untouched, ids and text
    (new_id,) = set(after) - set(before)
    assert new_id != next(iter(before))
    # and again: stable ids, nothing re-done
    again = ingest(settings, [tmp_path / "col1", tmp_path / "col2"], progress=False)
    assert again.count("unchanged") == 2 and _snapshot(settings) == after


def test_a_document_keeps_its_id_when_the_file_that_held_the_name_goes(tmp_path, settings):
    for n, col in ((1, "col1"), (2, "col2")):
        (tmp_path / col).mkdir()
        (tmp_path / col / "plan.txt").write_text(_seed_part(20 + n), encoding="utf-8")
        ingest(settings, [tmp_path / col], progress=False)
    both = _snapshot(settings)
    assert len(both) == 2
    (tmp_path / "col1" / "plan.txt").unlink()
    gone = ingest(settings, [tmp_path / "col1"], progress=False)
    assert gone.count("removed") == 1
    again = ingest(settings, [tmp_path / "col2"], progress=False)
    assert again.count("unchanged") == 1 and again.count("ingested") == 0
    left = _snapshot(settings)
    assert len(left) == 1 and all(both[d] == p for d, p in left.items())  # same id, same passages


def test_a_new_doc_id_in_the_manifest_replaces_the_files_old_document(tmp_path, settings):
    corpus = make_corpus(tmp_path / "corpus", [DOCX])
    ingest(settings, [corpus], progress=False)
    (old_id,) = _snapshot(settings)
    manifest = corpus / "manifest.csv"
    with manifest.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, fields = [{**r, "doc_id": "stakeholder-guide"} for r in reader], reader.fieldnames
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    report = ingest(settings, [corpus], progress=False)
    assert [o.doc_id for o in report.outcomes if o.status == "removed"] == [old_id]
    assert set(_snapshot(settings)) == {"stakeholder-guide"} and _check(settings)["ok"]


def test_an_upload_named_like_an_indexed_file_gets_its_own_document(tmp_path, settings):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "vexoria.txt").write_text(_seed_part(3), encoding="utf-8")
    ingest(settings, [folder], progress=False)
    before = _snapshot(settings)
    report = add_documents(settings, [("vexoria.txt", _seed_part(4).encode())], {"doc_type": "report"})
    assert report.count("ingested") == 1, report.outcomes
    after = _snapshot(settings)
    assert len(after) == 2 and all(after[d] == p for d, p in before.items())


def test_a_skipped_file_never_changes_another_documents_record(tmp_path, settings):
    (tmp_path / "col").mkdir()
    (tmp_path / "col3").mkdir()
    shutil.copy(CORPUS / DOCX, tmp_path / "col" / "good.docx")
    ingest(settings, [tmp_path / "col"], progress=False)
    before, records = _snapshot(settings), _records(settings)
    (tmp_path / "col3" / "good.pptx").write_bytes(b"PK\x03\x04 not a presentation we read")
    report = ingest(settings, [tmp_path / "col3"], progress=False)
    skipped = [o for o in report.outcomes if o.status == "skipped"]
    assert len(skipped) == 1 and "unsupported file type .pptx" in skipped[0].reason
    assert skipped[0].doc_id not in records  # its own record
    after = _records(settings)
    assert {k: after[k] for k in records} == records and _snapshot(settings) == before
    assert _check(settings)["ok"]


def test_a_broken_upload_named_like_a_strategy_leaves_the_strategy_alone(tmp_path, settings):
    corpus = make_corpus(tmp_path / "corpus", [STRATEGY])
    ingest(settings, [corpus], progress=False)
    before, records = _snapshot(settings), _records(settings)
    assert list(records.values())[0][0] == "ingested"
    report = add_documents(settings, [("lt-ris3-implementation-programme.pdf", b"%PDF-1.7\n broken")], {})
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert len(failed) == 1 and "lt-ris3-implementation-programme" in failed[0].file
    after = _records(settings)
    assert {k: after[k] for k in records} == records and _snapshot(settings) == before
    assert sum(1 for s, _ in after.values() if s == "ingested") == 1 and len(after) == 2
    assert _check(settings)["ok"]


def test_status_check_finds_a_record_that_disagrees_with_its_passages_and_ingest_repairs_it(tmp_path, settings,
                                                                                          monkeypatch):
    folder = tmp_path / "col"
    folder.mkdir()
    (folder / "plan.txt").write_text(_seed_part(5), encoding="utf-8")
    ingest(settings, [folder], progress=False)
    before = _snapshot(settings)
    (doc_id,) = before
    index = open_index(settings)  # the state the old id scheme left: a record taken over by a skipped file
    rec = index.document(doc_id)
    index.record_status(doc_id, "other/plan.pptx", "0" * 64, "skipped", "unsupported file type .pptx",
                        {**rec.meta, "file_path": str(tmp_path / "other" / "plan.pptx")})
    index.close()
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    result = CliRunner().invoke(cli, ["status", "--check"])
    assert result.exit_code == 1 and "inconsistent" in result.output and doc_id in result.output
    ingest(settings, [folder], progress=False)
    assert _check(settings)["ok"] and _snapshot(settings) == before
    assert _records(settings)[doc_id][0] == "ingested"


def test_hidden_files_and_symbolic_links_each_get_a_line(tmp_path, settings):
    folder, outside = tmp_path / "col", tmp_path / "elsewhere"
    (folder / ".git").mkdir(parents=True)
    outside.mkdir()
    (folder / "strategy.txt").write_text(_seed_part(6), encoding="utf-8")
    (folder / ".draft.txt").write_text(_seed_part(7), encoding="utf-8")
    (folder / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (outside / "secret.txt").write_text(_seed_part(8), encoding="utf-8")
    (folder / "to-outside.txt").symlink_to(outside / "secret.txt")
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    (folder / "inside.txt").symlink_to(folder / "strategy.txt")
    report = ingest(settings, [folder], progress=False)
    lines = {Path(o.file).name: (o.status, o.reason) for o in report.outcomes}
    assert lines[".draft.txt"][0] == "skipped" and "hidden" in lines[".draft.txt"][1]
    assert lines[".git"][0] == "skipped" and "hidden folder" in lines[".git"][1]
    assert "outside the ingested folder" in lines["to-outside.txt"][1]
    assert "broken symbolic link" in lines["dangling.txt"][1]
    assert lines["strategy.txt"][0] == "ingested"
    texts = " ".join(t for ps in _snapshot(settings).values() for t in ps.values())
    assert _seed_part(6)[:120] in texts and _seed_part(8)[:120] not in texts  # the outside file not followed
    assert len(_snapshot(settings)) == 1  # the link to a file inside is that file, indexed once


def test_text_files_in_legacy_encodings_are_indexed_as_written(tmp_path, settings):
    folder = tmp_path / "col"
    folder.mkdir()
    french = ("La région de Bruxelles-Capitale soutient les pôles d'innovation, les clusters et les laboratoires "
              "vivants. ") * 12
    (folder / "fr-latin1.txt").write_bytes(french.encode("latin-1"))
    (folder / "de-utf16.txt").write_bytes(("Die Region fördert Innovationszentren und Reallabore. " * 12)
                                          .encode("utf-16"))
    report = ingest(settings, [folder], progress=False)
    assert report.count("ingested") == 2, report.outcomes
    texts = " ".join(t for ps in _snapshot(settings).values() for t in ps.values())
    assert "région" in texts and "fördert" in texts and "\ufffd" not in texts
    encodings = {d.file: d.meta.get("encoding") for d in open_index(settings).documents()}
    assert all(encodings.values()), encodings


def test_a_pdf_of_one_line_pages_keeps_its_lines(tmp_path, settings):
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    font_ref = writer._add_object(font)
    for i in range(1, 61):
        page = writer.add_blank_page(width=595, height=842)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 760 Td (Operation {i:03d}: support for the innovation hub network) Tj ET"
                        .encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})})
    (tmp_path / "col").mkdir()
    writer.write(tmp_path / "col" / "one-line-pages.pdf")
    report = ingest(settings, [tmp_path / "col"], progress=False)
    assert report.count("ingested") == 1, report.outcomes
    texts = " ".join(t for ps in _snapshot(settings).values() for t in ps.values())
    assert all(f"Operation {i:03d}" in texts for i in range(1, 61))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_chroma_server_is_one_line(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    monkeypatch.setenv("RIS3_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")
    result = CliRunner().invoke(cli, ["ask", "Which regions run living labs?"])
    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "Chroma server" in lines[0] and "RIS3_CHROMA_URL" in lines[0]


def test_a_full_disk_during_ingest_is_one_line_and_the_next_ingest_repairs_it(tmp_path):
    folder = tmp_path / "col"
    folder.mkdir()
    for n in range(4):
        (folder / f"part-{n}.txt").write_text(_seed_part(10 + n, 900), encoding="utf-8")
    home, clean_home = tmp_path / "home", tmp_path / "clean-home"
    ris3 = str(Path(sys.executable).parent / "ris3")

    def limited():  # files may grow to 400 kB: the index's databases hit it mid-way
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))

    env = {**os.environ, "RIS3_HOME": str(home)}
    done = subprocess.run([ris3, "ingest", "-q", str(folder)], env=env, preexec_fn=limited, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [x for x in done.stderr.splitlines() if x.startswith("Error")]
    assert len(errors) == 1 and "disk" in errors[0] and "ris3 ingest" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    again = subprocess.run([ris3, "ingest", "-q", str(folder)], env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    clean = Settings(home=clean_home, workers=0)
    ingest(clean, [folder], progress=False)
    repaired = Settings(home=home, workers=0)
    assert _check(repaired)["ok"]
    assert _snapshot(repaired) == _snapshot(clean)
