"""The ris3 CLI: JSON shape, batch mode, one-line errors, the empty-index guard, plugin commands
(eval, bench) through the ``ris3.commands`` entry points, the funding selection and formats."""
import json
import subprocess
import sys
from importlib.metadata import EntryPoint, entry_points

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.funding import FundingData, Programme
from app.cli import cli, load_plugins
from app.cli.common import EMPTY_INDEX
from app.render.funding_formats import render_funding

from .conftest import CORPUS, REPO, SUBSET

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


@pytest.mark.slow
def test_ingest_exits_nonzero_when_nothing_could_be_ingested(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"this is not a pdf")
    result = CliRunner().invoke(cli, ["ingest", "-q", str(bad)])
    assert result.exit_code == 1
    assert "bad.pdf" in result.output and "no %PDF header" in result.output


# -- fast: no ingest, no model ------------------------------------------------------------------
def test_eval_and_bench_come_from_the_entry_point():
    assert "eval.cli:register" in [ep.value for ep in entry_points(group="ris3.commands")]
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:", 1)[1]
    assert "eval" in commands and "bench" in commands
    result = CliRunner().invoke(cli, ["eval", "--help"])
    assert result.exit_code == 0 and "qa" in result.output and "tags" in result.output


def test_python_dash_m_runs_the_cli_with_its_plugins():
    result = subprocess.run([sys.executable, "-m", "app.cli", "eval", "qa", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "hit@k" in result.stdout and not result.stderr


def test_a_broken_plugin_is_a_one_line_warning(monkeypatch, capsys):
    broken = EntryPoint(name="broken", value="no_such_module_ris3:register", group="ris3.commands")
    fine = EntryPoint(name="eval", value="eval.cli:register", group="ris3.commands")
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [broken, fine])
    group = click.Group("ris3")
    assert load_plugins(group) == ["eval"]
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "broken" in err and "Traceback" not in err
    assert set(group.commands) == {"eval", "bench"}


@pytest.mark.parametrize("args", [["ask", "What is S3?"], ["report", "keywords"], ["kwic", "support.living_lab"],
                                  ["profile", "Lubelskie", "--no-answers"], ["compare", "q", "-r", "Lubelskie"]])
def test_an_empty_index_is_one_line_and_exit_1_without_loading_a_model(args, monkeypatch):
    def no_model(*_):
        raise AssertionError("a model was loaded for an empty index")

    monkeypatch.setattr("qa.service.Asker.warm_up", no_model)
    monkeypatch.setattr("index.retrieval.HybridRetriever.warm_up", no_model)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: {EMPTY_INDEX}"


def test_an_empty_question_is_said_before_the_empty_index():
    result = CliRunner().invoke(cli, ["ask", "   "])
    assert result.exit_code == 1 and result.output.strip() == "Error: the question is empty"


def _programme(cci, title, scope="regional", area="Lubelskie"):
    return Programme(cci, title, scope, area, ("ERDF",), (), 1.0, 0.0, 1.0, 0.0, (3,))


def test_funding_formats_carry_the_same_rows():
    table = pd.DataFrame([{"cci": "2014XX", "programme": "Test OP", "fund": "ERDF", "eu_amount": 1234567.0,
                           "national_amount": 1000.0, "total_amount": 1235567.0, "rows": 2, "lines": "3 4"}])
    about = {"source": "planned finances (cohesiondata, 2019-04-11)", "from": "https://cohesiondata.ec.europa.eu"}
    programmes = [_programme("2014XX", "Test OP")]
    text = render_funding(table, programmes, about, "text")
    assert text.startswith("Programmes:\n  2014XX  Test OP (regional; Lubelskie)\n")
    assert "1,234,567" in text and "Total EU amount: EUR 1,234,567" in text and "3 4" not in text
    md = render_funding(table, programmes, about, "md")
    assert "| 2014XX | Test OP | ERDF | 1,234,567 |" in md and md.endswith("amounts planned, EUR.\n")
    assert render_funding(table, [], about, "csv").splitlines()[1].endswith(",3 4")
    data = json.loads(render_funding(table, programmes, about, "json"))
    assert set(data) == {"about", "programmes", "rows", "sums", "total_eu_amount"} and data["total_eu_amount"] == 1234567.0
    assert data["programmes"][0]["lines"] == [3] and data["rows"][0]["lines"] == "3 4"


def test_select_programmes_by_cci_then_country():
    data = FundingData.from_corpus(CORPUS)
    sel = data.select_programmes(cci="2014PL16M2OP003, 2014NL16RFOP001", country="LT")  # CCI codes win
    assert sel.ccis == ["2014PL16M2OP003", "2014NL16RFOP001"] and sel.country is None
    assert [p.title for p in sel.programmes][0] == "Lubelskie Voivodeship - ERDF/ESF"
    sel = data.select_programmes(country="LT")
    assert sel.ccis is None and sel.country == "LT" and sel.programmes
    with pytest.raises(ValueError, match="no programme 2014XX"):
        data.select_programmes(cci="2014XX")
    with pytest.raises(ValueError):
        data.select_programmes()
    result = CliRunner().invoke(cli, ["funding"])
    assert result.exit_code == 2 and "give a REGION, --country or --cci" in result.output


@pytest.mark.slow
def test_funding_for_a_region_lists_its_programmes(env):
    result = CliRunner().invoke(cli, ["funding", "Lubelskie", "-f", "md", "--by", "programme"])
    assert result.exit_code == 0, result.output
    head = result.output.split("\n\n", 1)[0].splitlines()
    assert head[0] == "Programmes:" and head[1].startswith("  2014PL16M2OP003  Lubelskie Voivodeship")
    assert "| scope | cci | programme | eu_amount |" in result.output
    # the region's own programmes and the national/multi-regional ones are summed apart, never together
    assert "Regional programmes (their area is the region, or lies inside it): EU amount EUR 2,230,958,174" in result.output
    assert "Total EU amount" not in result.output
