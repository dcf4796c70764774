"""Reliability: bad input in a batch, interrupted ingestion, a second ingest, queries during an
ingest, questions as input, the index's consistency check, and properties of cleaning and
passage splitting. Bad files are made from real corpus files (truncated, encrypted with pypdf,
a page rasterised into an image-only PDF)."""
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.cli import cli
from app.service import Filters, ingest, open_asker, open_index
from app.settings import Settings

from .conftest import CORPUS, REPO, make_corpus

MALTA = "operations/mt-op1-erdf-beneficiaries-2016.pdf"
DOCX = "guides/onlines3-stakeholder-engagement-guideline.docx"
EMTH = "reports/el-emth-edp-tourism-focus-group-summary.pdf"


def _encrypted(src: Path, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _scanned(src: Path) -> bytes:
    """Page 1 drawn as an image, saved as a one-page PDF without a text layer."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(src))
    image = pdf[0].render(scale=1.0).to_pil().convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PDF")
    return out.getvalue()


def _broken_page(src: Path) -> bytes:
    """The file with page 2's content stream replaced by garbage (a damaged download)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(src))
    stream = DecodedStreamObject()
    stream.set_data(b"BI /W 10 /H 10 /BPC 8 /CS /RGB /F /DCT ID \x00\x01garbage EI q q Q Q Q ( BT")
    writer.pages[1][NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zero_pages() -> bytes:
    from pypdf import PdfWriter

    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def bad_batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-batch")
    corpus = make_corpus(root / "corpus", [MALTA, DOCX])
    malta = CORPUS / MALTA
    (corpus / "locked.pdf").write_bytes(_encrypted(malta, "secret"))
    (corpus / "open-lock.pdf").write_bytes(_encrypted(CORPUS / EMTH, ""))
    (corpus / "scanned.pdf").write_bytes(_scanned(malta))
    (corpus / "zero-pages.pdf").write_bytes(_zero_pages())
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "word-named.pdf").write_bytes((CORPUS / DOCX).read_bytes() + b"\0")  # not a copy: another hash
    (corpus / "truncated.pdf").write_bytes(malta.read_bytes()[:2500])
    (corpus / "slides.pptx").write_bytes(b"PK\x03\x04 not really slides")
    (corpus / "malta-again.pdf").write_bytes(malta.read_bytes())
    (corpus / "broken-page.pdf").write_bytes(_broken_page(malta))
    with (corpus / "manifest.csv").open("a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ghost", "strategies/ghost.pdf", "A strategy that is not there", "ris3"] + [""] * 9)
        w.writerow(["oddity", "empty.pdf", "Wrong type", "brochure"] + [""] * 9)
    settings = Settings(home=root / "home", corpus=corpus, workers=2)
    report = ingest(settings, progress=False)
    return settings, report


def _outcome(report, name: str):
    hits = [o for o in report.outcomes if o.file.endswith(name)]
    assert hits, f"no outcome for {name}: {[o.file for o in report.outcomes]}"
    return hits[0]


@pytest.mark.slow
@pytest.mark.parametrize("name, status, reason", [
    ("locked.pdf", "failed", "encrypted PDF (a password is needed to read it)"),
    ("scanned.pdf", "failed", "no text layer (scanned or image-only PDF?); OCR is not supported"),
    ("zero-pages.pdf", "failed", "no pages"),
    ("empty.pdf", "failed", "empty file"),
    ("word-named.pdf", "failed", "has a .pdf name but its content is"),
    ("truncated.pdf", "failed", "PDF"),
    ("slides.pptx", "skipped", "unsupported file type .pptx"),
    ("malta-again.pdf", "skipped", "same content as"),
    ("strategies/ghost.pdf", "failed", "but the file does not exist"),
])
def test_each_bad_input_is_reported_with_a_reason(bad_batch, name, status, reason):
    o = _outcome(bad_batch[1], name)
    assert (o.status, reason in o.reason) == (status, True), o


@pytest.mark.slow
def test_a_malformed_manifest_row_is_reported_and_the_rest_goes_on(bad_batch):
    problems = [o for o in bad_batch[1].outcomes if "unknown doc_type 'brochure'" in o.reason]
    assert len(problems) == 1 and problems[0].status == "failed" and "manifest.csv:" in problems[0].reason


@pytest.mark.slow
def test_good_files_of_a_bad_batch_are_ingested_and_searchable(bad_batch):
    settings, report = bad_batch
    ingested = {o.file.rsplit("/", 1)[-1] for o in report.outcomes if o.status == "ingested"}
    assert ingested == {"mt-op1-erdf-beneficiaries-2016.pdf", "onlines3-stakeholder-engagement-guideline.docx",
                        "open-lock.pdf", "broken-page.pdf"}  # an empty user password opens like no password
    index = open_index(settings)
    ids = index.keyword_index.ids
    hits = [ids[row] for row, _ in index.keyword_index.search("Xewkija windmill restoration", 3)]
    assert hits and all(h.startswith(("mt-op1-erdf-beneficiaries-2016", "broken-page")) for h in hits)
    assert index.check()["ok"]
    status = {d.doc_id: (d.status, d.reason) for d in index.documents()}
    assert status["locked"][0] == "failed" and "encrypted" in status["locked"][1]


@pytest.mark.slow
def test_a_page_with_a_broken_content_stream_loses_only_that_page(bad_batch):
    index = open_index(bad_batch[0])
    pages = index.page_texts("broken-page")
    assert sorted(pages) == [1, 3] and "Xewkija" in " ".join(pages.values())
    assert index.document("broken-page").n_pages == 3


@pytest.mark.slow
def test_cli_lists_the_problems_and_exits_zero_when_something_was_ingested(bad_batch, monkeypatch):
    settings, _ = bad_batch
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    result = CliRunner().invoke(cli, ["ingest", "-q", str(settings.corpus)])
    assert result.exit_code == 0, result.output
    assert "locked.pdf: encrypted PDF" in result.output and "0 ingested" in result.output
    assert "Traceback" not in result.output


# -- interrupted ingestion ------------------------------------------------------------------------
def _ingest_cmd(home: Path, corpus: Path) -> tuple[list[str], dict]:
    env = {**os.environ, "RIS3_HOME": str(home), "RIS3_WORKERS": "1"}
    return [sys.executable, "-m", "app.cli", "ingest", "-q", str(corpus)], env


def _snapshot(home: Path) -> tuple[dict, dict]:
    index = open_index(Settings(home=home))
    check = index.check()
    docs = {d.doc_id: d.status for d in index.documents()}
    index.close()
    return check, docs


def _documents_written(home: Path) -> int:
    dbs = list(home.glob("index-*/state.sqlite"))
    if not dbs:
        return 0
    try:
        with sqlite3.connect(dbs[0], timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM documents WHERE status = 'ingested'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.fixture(scope="module")
def kill_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    corpus = make_corpus(root / "corpus", [MALTA, DOCX, EMTH, "reports/jrc-dih-in-smart-specialisation-2018.txt"])
    clean_home = root / "clean"
    cmd, env = _ingest_cmd(clean_home, corpus)
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True, timeout=900)
    clean = open_index(Settings(home=clean_home))
    return corpus, sorted(clean.passages()), root


@pytest.mark.slow
@pytest.mark.parametrize("kill_when", ["after 3 s", "after the first document is written",
                                       "after the second document is written"])
def test_an_ingest_killed_mid_way_and_rerun_equals_a_clean_run(kill_corpus, kill_when, tmp_path):
    corpus, clean_ids, _ = kill_corpus
    home = tmp_path / "home"
    cmd, env = _ingest_cmd(home, corpus)
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    wanted = {"after the first document is written": 1, "after the second document is written": 2}.get(kill_when)
    started = time.time()
    while time.time() < deadline and proc.poll() is None:
        if (wanted and _documents_written(home) >= wanted) or (not wanted and time.time() - started > 3):
            break
        time.sleep(0.02)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert killed, "the ingest finished before it could be killed"
    rerun = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    check, docs = _snapshot(home)
    assert check["ok"], {k: v for k, v in check.items() if v}
    index = open_index(Settings(home=home))
    assert sorted(index.passages()) == clean_ids
    assert sorted(set(index.chroma_collection().get(include=[])["ids"])) == clean_ids


@pytest.mark.slow
def test_repair_removes_orphan_vectors_and_rebuilds_a_stale_keyword_index(built_index, tmp_path):
    import shutil

    src = built_index[0].home
    home = tmp_path / "copy"
    shutil.copytree(src, home)
    index = open_index(Settings(home=home))
    some = next(iter(index.passages().values()))
    collection = index.chroma_collection()
    got = collection.get(ids=[some.id], include=["embeddings", "metadatas", "documents"])
    collection.add(ids=["orphan:00001"], embeddings=got["embeddings"], metadatas=got["metadatas"],
                   documents=got["documents"])  # as left by a kill between the Chroma write and the commit
    from index.keyword import IDS_FILE

    (index.folder / "keyword" / IDS_FILE).write_text(json.dumps(index.keyword_index.ids[:-5]))
    found = index.check()
    assert not found["ok"] and found["chroma_orphans"] == ["orphan:00001"] and len(found["keyword_stale"]) == 5
    result = CliRunner().invoke(cli, ["status", "--check"], env={"RIS3_HOME": str(home)})
    assert result.exit_code == 1 and "1 orphan vectors" in result.output
    assert index.repair()["chroma_orphans_removed"] == 1
    assert index.check()["ok"]


# -- concurrency ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_questions_keep_being_answered_while_an_ingest_runs(built_index, tmp_path):
    """A bounded load test: 4 threads keep asking questions (at most 400 each, at most 300 s) until
    another process has ingested a new document into the same index, so the questions overlap
    extraction, embedding and the writes. No errors; latencies recorded in artifacts/."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(built_index[0].home, home)
    settings = Settings(home=home)
    asker = open_asker(settings)
    asker.warm_up()
    extra = make_corpus(tmp_path / "extra", ["strategies/fi-south-ostrobothnia-s3.pdf"])
    cmd, env = _ingest_cmd(home, extra)
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    questions = ["How does DIGIMAT relate to the South Moravian RIS3?", "What are the RIS3CAT priority domains?",
                 "Which ERDF operations in Malta support SMEs?", "How should an EDP focus group be organised?"]
    latencies, errors = [], []
    lock = threading.Lock()

    def worker(k: int) -> None:
        for i in range(400):
            if proc.poll() is not None or time.perf_counter() - started > 300:
                break
            q = questions[(k + i) % len(questions)]
            t = time.perf_counter()
            try:
                answer = asker.ask(q, Filters(doc_type="report") if i % 3 == 0 else None)
                assert answer.passages
            except Exception as exc:  # noqa: BLE001 (recorded, then asserted empty)
                with lock:
                    errors.append(f"{q}: {type(exc).__name__}: {exc}")
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - started
    _, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-2000:]
    assert not errors, errors[:3]
    assert len(latencies) >= 20
    out = REPO / "artifacts" / "load-test.json"
    out.parent.mkdir(exist_ok=True)
    lat = sorted(latencies)
    out.write_text(json.dumps({"requests": len(lat), "threads": 4, "seconds": round(elapsed, 1),
                               "p50_ms": round(lat[len(lat) // 2], 1), "p95_ms": round(lat[int(len(lat) * 0.95)], 1),
                               "max_ms": round(lat[-1], 1)}, indent=2))
    asker.refresh()  # the new document is there for the next question
    assert any(d.doc_id == "fi-south-ostrobothnia-s3" for d in asker.index.documents())


@pytest.mark.slow
def test_a_second_ingest_waits_for_the_first(built_index, tmp_path):
    from filelock import FileLock

    home = tmp_path / "home"
    index = open_index(Settings(home=home))
    lock = FileLock(str(index.folder / "ingest.lock"))
    lock.acquire()
    corpus = make_corpus(tmp_path / "c", [MALTA])
    cmd, env = _ingest_cmd(home, corpus)
    cmd.remove("-q")
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(8)
    assert proc.poll() is None  # still waiting
    assert _documents_written(home) == 0
    lock.release()
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0 and "Another ingest is running" in out
    assert _documents_written(home) == 1


# -- questions as input -----------------------------------------------------------------------------
@pytest.mark.parametrize("question, expected", [
    ("", "the question is empty"),
    ("   \n\t ", "the question is empty"),
    ("\x00\x07\x1b", "the question is empty"),
    ("x" * 10_000, "10,000 characters long"),
])
@pytest.mark.slow
def test_unusable_questions_get_a_message(asker, question, expected):
    with pytest.raises(ValueError, match=expected):
        asker.ask(question)


@pytest.mark.parametrize("question", [
    "Какие приоритеты умной специализации выбрал регион?",  # Cyrillic
    "Ποιοι είναι οι τομείς έξυπνης εξειδίκευσης;",  # Greek
    "スマート専門化戦略とは何ですか",  # Japanese
    "What is\x00 the\x1b RIS3CAT\u200b strategy?",  # control characters
    "RIS3 " * 300,  # long but allowed
])
@pytest.mark.slow
def test_odd_questions_get_an_answer_or_the_no_answer_notice(asker, question):
    answer = asker.ask(question)
    assert answer.passages and isinstance(answer.text, str) and answer.text


@pytest.mark.slow
def test_a_filter_naming_an_unknown_region_says_which_regions_exist(asker):
    with pytest.raises(ValueError, match="no indexed document matches region='Atlantis'; known values: .*Lubelskie"):
        asker.ask("What are the priorities?", Filters(region="Atlantis"))


# -- properties of cleaning and splitting -----------------------------------------------------------
_words = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12)
_sentence = st.builds(lambda ws, end: " ".join(ws) + end, st.lists(_words, min_size=1, max_size=25),
                      st.sampled_from([".", "!", "?", ";", ""]))
_page = st.builds(lambda paras: "\n".join(" ".join(p) for p in paras),
                  st.lists(st.lists(_sentence, min_size=1, max_size=6), min_size=1, max_size=5))


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_page, min_size=1, max_size=4))
def test_passages_lose_and_duplicate_no_text_and_offsets_point_at_it(pages):
    from haystack import Document

    from nlp.passages import PassageSplitter, sentence_spans

    docs = [Document(content=t, meta={"doc_id": "d", "page_number": n, "sha256": "x"}) for n, t in enumerate(pages, 1)]
    passages = PassageSplitter(target_words=40, max_words=60, min_words=10).run(docs)["documents"]
    words_in = [w for t in pages for w in t.split()]
    words_out = [w for p in passages for w in p.content.split()]
    assert words_out == words_in  # nothing lost, nothing repeated (passages do not overlap)
    for p in passages:
        for start, end, page, offset in sentence_spans(p):
            assert p.content[start:end] == pages[page - 1][offset:offset + end - start]


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_sentence, min_size=1, max_size=8), min_size=1, max_size=6))
def test_joining_lines_keeps_every_letter_and_digit(lines_by_para):
    from ingest.clean import join_lines

    lines = [s for para in lines_by_para for s in para + [""]]
    joined = join_lines(lines, set())
    keep = lambda t: "".join(ch for ch in t if ch.isalnum())  # noqa: E731
    assert keep(joined) == keep("".join(lines))
