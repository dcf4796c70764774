"""The ris3 CLI: JSON shape, batch mode, one-line errors."""
import json

import pytest
from click.testing import CliRunner

from app.cli import cli

from .conftest import SUBSET

PASSAGE_KEYS = {"rank", "doc_id", "title", "file", "doc_type", "region", "country", "language", "page_start",
                "page_end", "text", "score"}
CITATION_KEYS = {"n", "doc_id", "title", "region", "country", "doc_type", "page", "sentence"}


def test_help_explains_the_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for word in ("ingest", "status", "ask", "RIS3_HOME"):
        assert word in result.output


@pytest.mark.slow
def test_ask_json_has_the_stable_shape(env):
    result = CliRunner().invoke(cli, ["ask", "How does DIGIMAT relate to the South Moravian RIS3?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"id", "question", "answer", "citations", "passages", "elapsed_ms"} <= set(data)
    assert data["citations"] and CITATION_KEYS <= set(data["citations"][0])
    assert data["passages"] and PASSAGE_KEYS <= set(data["passages"][0])
    assert [p["rank"] for p in data["passages"]] == list(range(1, len(data["passages"]) + 1))
    assert "[1]" in data["answer"]


@pytest.mark.slow
def test_ask_batch_answers_each_line_in_order(env, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join(json.dumps(q) for q in [
        {"id": "a", "question": "What are the RIS3CAT priority domains?"},
        {"id": "b", "question": "Who funds tourism projects?", "region": "Eastern Macedonia"},
        {"id": "c", "question": "anything", "region": "Atlantis"},
    ]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["ask", "--batch", str(batch), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert "Agri-food" in rows[0]["answer"]
    assert {p["doc_id"] for p in rows[1]["passages"]} == {"el-emth-edp-tourism-focus-group-summary"}
    assert "Atlantis" in rows[2]["error"]


@pytest.mark.slow
def test_human_output_lists_citations_and_sources(env):
    result = CliRunner().invoke(cli, ["ask", "What are the RIS3CAT priority domains?"])
    assert result.exit_code == 0
    assert "Citations:" in result.output and "Sources:" in result.output
    assert "[1] Digital Innovation Hubs in Smart Specialisation Strategies" in result.output
    assert "text file, no page numbers" in result.output  # the seed report has no pages


@pytest.mark.slow
def test_status_json_lists_documents(env):
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["documents"] == len(SUBSET) and data["passages"] > 100
    assert {f["status"] for f in data["files"]} == {"ingested", "skipped"}  # data files are read, not indexed


def test_errors_are_one_line_without_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["ask", "What is S3?"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: the index is empty: run 'ris3 ingest' first"
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "missing.pdf")])
    assert result.exit_code == 1 and "no such file or folder" in result.output and "Traceback" not in result.output


def test_ingest_exits_nonzero_when_nothing_could_be_ingested(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"this is not a pdf")
    result = CliRunner().invoke(cli, ["ingest", "-q", str(bad)])
    assert result.exit_code == 1
    assert "bad.pdf" in result.output and "no %PDF header" in result.output
