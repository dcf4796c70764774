"""Answers from the bundled data (analysis/data_answers.py): each intent recognised, answered from
the dataset and cited with its file, record and CSV lines; other questions are left to the text."""
import csv
import json
from pathlib import Path

import pytest

from analysis.data_answers import DataAnswerer

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def answerer(tmp_path_factory):
    from app.service import open_index
    from app.settings import Settings

    index = open_index(Settings(home=tmp_path_factory.mktemp("empty-home"), corpus=CORPUS))  # names from the gazetteer
    a = DataAnswerer(CORPUS, index)
    a.warm_up()
    return a


@pytest.mark.slow
@pytest.mark.parametrize("question, intent", [
    ("How much ERDF did Lubelskie plan for research and innovation?", "funding"),
    ("What budget does the Lubelskie programme plan for SME competitiveness?", "funding"),
    ("Which DIHs support manufacturing in Lombardy?", "hubs"),
    ("Which digital innovation hubs are there in Lithuania?", "hubs"),
    ("What are the domains of specialisation of South Moravia?", "cz_domains"),
    ("How should an EDP focus group be organised?", None),
    ("What does the Northern Netherlands strategy say about hydrogen?", None),
    ("Why do living labs matter for smart specialisation?", None),
])
def test_each_intent_is_recognised_and_other_questions_are_not(answerer, question, intent):
    assert answerer.intent(question) == intent


@pytest.mark.slow
def test_planned_funding_is_the_regional_programmes_sum_with_its_csv_lines(answerer):
    rows = list(csv.DictReader(open(CORPUS / "data" / "esif-2014-2020-finances-planned-details.csv", encoding="utf-8")))
    wanted = [(n, r) for n, r in enumerate(rows, start=2)  # line 1 is the header
              if r["CCI"] == "2014PL16M2OP003" and r["Fund"] == "ERDF" and r["TO_code"] == "01"]
    expected = sum(float(r["EU Amount"]) for _, r in wanted)
    assert expected == 100_416_755  # as read in the CSV
    a = answerer.answer("How much ERDF did Lubelskie plan for research and innovation?")
    assert a is not None and a.intent == "funding"
    assert "EUR 100,416,755" in a.text and "2014PL16M2OP003" in a.text
    assert list(a.citations[0].lines) == [n for n, _ in wanted]
    assert a.citations[0].file == "data/esif-2014-2020-finances-planned-details.csv"
    assert "not the region's share" in a.text  # national programmes are never added in


@pytest.mark.slow
def test_hubs_of_a_region_are_the_catalogues_hubs_in_it(answerer):
    a = answerer.answer("Which DIHs support manufacturing in Lombardy?")
    assert a is not None and a.intent == "hubs"
    names = [r["name"] for r in a.rows]
    for hub in ("Digital Innovation Hub Lombardia", "MADE - Competence Center", "AFIL - Lombardy Intelligent Factory Association"):
        assert hub in names
    assert {r["country"] for r in a.rows} == {"Italy"}
    assert all(c.record.startswith("hub dih:") for c in a.citations)


@pytest.mark.slow
def test_czech_domains_come_from_the_national_annex_as_published(answerer):
    data = json.loads((CORPUS / "data" / "cz-ris3-regional-domains.json").read_text(encoding="utf-8"))
    expected = [d["nazev"].strip() for d in data["kraje"]["Jihomoravský kraj"]["domeny"]]
    a = answerer.answer("What are the domains of specialisation of South Moravia?")
    assert a is not None and [r["domain"] for r in a.rows] == expected
    assert len(a.citations) == len(expected)


@pytest.mark.slow
def test_ris3_ask_gives_the_data_answer_beside_the_text(env):
    from click.testing import CliRunner

    from app.cli import cli

    out = CliRunner().invoke(cli, ["ask", "How much ERDF did Lubelskie plan for research and innovation?", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert "EUR 100,416,755" in result["data_answer"]["text"]
    assert result["data_answer"]["citations"][0]["lines"] == [3111]
    text = CliRunner().invoke(cli, ["ask", "Which DIHs support manufacturing in Lombardy?"])
    assert text.exit_code == 0 and "From the bundled data: Hubs of the DIH catalogue in Lombardy" in text.output
