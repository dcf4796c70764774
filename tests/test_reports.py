"""Keyword-frequency reports and KWIC over the real-corpus subset index: counts per group,
normalisation, matrix shape, every output format read back, KWIC windows and citations, CLI."""
import csv
import io
import json
import re
from collections import Counter
from datetime import date

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from analysis.reports import default_terms, keyword_report, kwic, resolve_terms
from app.cli import cli
from app.render.report_formats import render_kwic, render_report, write_report
from app.service import open_index

from .test_tagging import SEED_COUNTS

SEED_ID = "jrc-dih-in-smart-specialisation-2018"
LUBELSKIE = "pl-lubelskie-ris-2030"


@pytest.fixture(scope="module")
def index(built_index):
    return open_index(built_index[0])


@pytest.fixture(scope="module")
def by_doc(index):
    return keyword_report(index, by=["doc"])


@pytest.mark.slow
def test_counts_on_the_seed_report_equal_the_careful_manual_counts(by_doc):
    seed = {r.term: r.count for r in by_doc.rows if r.group == (SEED_ID,)}
    assert {t: seed[t] for t in SEED_COUNTS} == SEED_COUNTS


@pytest.mark.slow
def test_group_counts_are_the_sum_of_their_documents(index, by_doc):
    per_doc = {(r.group[0], r.term): r.count for r in by_doc.rows}
    doc_type = {d.doc_id: d.meta["doc_type"] for d in index.documents() if d.status == "ingested"}
    by_type = keyword_report(index, by=["doc_type"])
    for r in by_type.rows:
        expected = sum(n for (doc, term), n in per_doc.items() if term == r.term and doc_type[doc] == r.group[0])
        assert r.count == expected, (r.group, r.term)
        assert r.documents_in_group == sum(1 for t in doc_type.values() if t == r.group[0])


@pytest.mark.slow
def test_rates_are_per_10000_words_of_the_groups_passages(index, by_doc):
    words = Counter()
    for p in index.passages().values():
        words[p.meta["doc_id"]] += len(p.content.split())
    row = next(r for r in by_doc.rows if r.group == (LUBELSKIE,) and r.term == "support.cluster")
    assert row.count > 0 and row.words == words[LUBELSKIE]
    assert row.per_10k_words == pytest.approx(row.count / words[LUBELSKIE] * 10_000, abs=0.01)
    assert row.share_of_documents == 1.0 and row.documents == row.documents_in_group == 1


@pytest.mark.slow
def test_a_free_phrase_is_counted_whitespace_and_plural_aware(index):
    # Independent oracle: a regex over the whitespace-joined passage texts.
    pattern = re.compile(r"\bsmart\s+specialisation\s+strateg(?:y|ies)\b", re.IGNORECASE)
    expected = sum(len(pattern.findall(p.content)) for p in index.passages().values())
    report = keyword_report(index, resolve_terms(["smart specialisation strategy"]), by=["doc"], examples=0)
    assert expected > 5
    assert sum(r.count for r in report.rows) == expected


@pytest.mark.slow
def test_matrix_has_one_row_per_term_and_one_column_per_group(index, by_doc):
    terms, groups, values = by_doc.matrix("per_10k_words")
    assert [t.id for t in terms] == [t.id for t in default_terms()]
    assert len(groups) == len([d for d in index.documents() if d.status == "ingested"])
    assert len(values) == len(terms) and all(len(row) == len(groups) for row in values)
    two = keyword_report(index, by=["country", "doc_type"], examples=0)
    rows, cols, table = two.pivot("support.cluster")
    assert len(table) == len(rows) and all(len(r) == len(cols) for r in table)
    known = {g for g in two.groups}
    assert all((v is None) == ((r, c) not in known) for r, vals in zip(rows, table) for c, v in zip(cols, vals))


@pytest.mark.slow
def test_filters_restrict_the_counted_documents(index):
    report = keyword_report(index, by=["doc"], filters=index.resolve_filters(country="PL"), examples=0)
    assert {r.group for r in report.rows} == {(LUBELSKIE,)}
    assert report.about["documents_counted"] == 1


def test_unknown_concept_ids_and_domains_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="unknown concept id 'support.hubz'"):
        resolve_terms(["support.hubz"])
    with pytest.raises(ValueError, match="priority domain"):
        resolve_terms(["domain.health"])


@pytest.mark.slow
def test_report_states_the_lexicon_version_and_corpus_snapshot(by_doc):
    about = by_doc.about
    assert about["lexicon_version"] and re.fullmatch(r"[0-9a-f]{12}", about["snapshot"])
    assert about["documents"] == about["documents_counted"]


@pytest.mark.slow
def test_every_format_reads_back(by_doc, tmp_path):
    n = len(by_doc.rows)
    rows = list(csv.DictReader(io.StringIO(render_report(by_doc, "csv"))))
    assert len(rows) == n and rows[0]["lexicon_version"] == by_doc.about["lexicon_version"]
    seed = {r["term"]: int(r["count"]) for r in rows if r["doc"] == SEED_ID}
    assert seed["support.living_lab"] == SEED_COUNTS["support.living_lab"]

    data = json.loads(render_report(by_doc, "json"))
    assert len(data["rows"]) == n and data["about"]["snapshot"] == by_doc.about["snapshot"]

    md = render_report(by_doc, "md")
    assert md.count("\n| ") >= n + len(by_doc.groups)

    from openpyxl import load_workbook

    book = load_workbook(write_report(by_doc, "xlsx", tmp_path / "r.xlsx"), read_only=True)
    assert {"counts", "matrix (count)", "examples", "about"} <= set(book.sheetnames)
    assert sum(1 for _ in book["counts"].iter_rows()) == n + 1

    soup = BeautifulSoup(render_report(by_doc, "html"), "html.parser")
    heat = soup.select_one("table.heat")
    assert len(heat.select("tbody tr")) == len(by_doc.groups)
    assert len(heat.select("td.cell")) == len(by_doc.groups) * len(by_doc.terms)
    for link in heat.select("td.cell a"):  # every non-empty cell opens its examples
        target = soup.find(id=link["href"][1:])
        assert target is not None and target.select("li mark")
    assert not soup.select("script[src], link[href], img[src^='http']")  # self-contained


@pytest.mark.slow
def test_kwic_lines_have_the_window_and_cite_document_and_page(index):
    lines = kwic(index, resolve_terms(["support.cluster"]), window=5)
    passages = index.passages()
    assert lines and all(len(k.left.split()) <= 5 and len(k.right.split()) <= 5 for k in lines)
    for k in lines:
        p = passages[k.passage_id]
        assert " ".join(p.content[k.start:].split()).startswith(k.match)
        assert re.search(r"clust|klast", k.match, re.IGNORECASE)  # "cross-clustering" counts (lexicon policy)
        if p.meta.get("file_kind") != "text":
            assert p.meta["page_start"] <= k.page <= p.meta["page_end"]
        squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731 (a match may be glued to a neighbour: '"Cluster-support')
        assert squeeze(k.left + k.match + k.right) in squeeze(p.content)
    keys = [(k.doc_id, k.page or 0) for k in lines]
    assert keys == sorted(keys)


@pytest.mark.slow
def test_kwic_page_is_the_page_of_the_mention_not_the_passage_start(index):
    lines = kwic(index, resolve_terms(["support.cluster"]), window=3)
    multi = [k for k in lines if index.passages()[k.passage_id].meta["page_start"]
             != index.passages()[k.passage_id].meta["page_end"] and k.page]
    for k in multi:
        page_text = " ".join((index.page_text(k.doc_id, k.page) or "").split())
        assert k.match in page_text


@pytest.mark.slow
def test_kwic_formats_read_back(index):
    lines = kwic(index, resolve_terms(["support.living_lab"]), window=4)
    assert len(json.loads(render_kwic(lines, "json"))) == len(lines)
    assert len(list(csv.DictReader(io.StringIO(render_kwic(lines, "csv"))))) == len(lines)
    soup = BeautifulSoup(render_kwic(lines, "html", "support.living_lab"), "html.parser")
    assert len(soup.select("table.kwic tbody tr")) == len(lines)
    assert len(render_kwic(lines, "text").splitlines()) == len(lines)


@pytest.mark.slow
def test_scheduled_command_writes_dated_csv_and_html(env, tmp_path):
    out = tmp_path / "reports" / "keywords-{date}.{ext}"
    result = CliRunner().invoke(cli, ["report", "keywords", "--by", "country", "-f", "csv", "-f", "html",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    today = date.today().isoformat()
    csv_file = tmp_path / "reports" / f"keywords-{today}.csv"
    html_file = tmp_path / "reports" / f"keywords-{today}.html"
    rows = list(csv.DictReader(csv_file.open(encoding="utf-8")))
    assert {r["country"] for r in rows} >= {"PL", "MT"}
    assert BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser").select_one("table.heat")


@pytest.mark.slow
def test_cli_refuses_binary_output_to_the_terminal_and_unknown_terms(env):
    result = CliRunner().invoke(cli, ["report", "keywords", "-f", "xlsx"])
    assert result.exit_code == 2 and "--out" in result.output
    result = CliRunner().invoke(cli, ["report", "keywords", "--terms", "support.nope"])
    assert result.exit_code == 1 and "unknown concept id" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_cli_kwic_prints_aligned_lines_with_citations(env):
    result = CliRunner().invoke(cli, ["kwic", "support.living_lab", "--window", "4", "--region", "lubelskie"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines and all(LUBELSKIE in line and "p. " in line for line in lines)
    assert len({line.index("[") for line in lines}) == 1  # the matches line up


# -- grouped by region: the regions each passage is about (issue #19) ---------------------------
SEED_REGION_NAMES = ["Baden-Württemberg", "Catalonia", "East Sweden", "Lithuania", "Lombardy", "Norte",
                     "North-West Romania", "South Moravia", "Upper Austria", "Wallonia"]


@pytest.fixture(scope="module")
def by_region(index):
    return keyword_report(index, by=["region"], examples=0)


def _region_passages(index, name):
    from nlp.regions import passage_region_names

    return {p.id for p in index.passages().values() if name in passage_region_names(p.meta, p.content)}


@pytest.mark.slow
def test_no_two_regions_have_identical_rows_unless_their_passages_are_the_same(index, by_region):
    rows = {g[0]: tuple(by_region.cell(g, t.id).count for t in by_region.terms) + (by_region.cell(g, by_region.terms[0].id).words,)
            for g in by_region.groups}
    assert set(SEED_REGION_NAMES) <= set(rows)
    names = sorted(rows)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if rows[a] == rows[b]:
                assert _region_passages(index, a) == _region_passages(index, b), (a, b)
    seed_rows = {rows[n] for n in SEED_REGION_NAMES}
    assert len(seed_rows) >= 8  # was 1: the seed report's whole text copied into ten regions


@pytest.mark.slow
def test_a_regions_words_are_those_of_the_passages_about_it(index, by_region):
    for name in SEED_REGION_NAMES + ["Lubelskie"]:
        words = sum(len(index.passages()[pid].content.split()) for pid in _region_passages(index, name))
        assert by_region.cell((name,), "support.cluster").words == words, name


@pytest.mark.slow
def test_one_lithuania_in_the_region_list_with_the_national_strategy_and_the_seed_passages(index, by_region):
    groups = [g[0] for g in by_region.groups]
    assert groups.count("Lithuania") == 1 and not [g for g in groups if g.startswith("Lithuania (")]
    lt = {p.meta["doc_id"] for p in index.passages().values() if p.id in _region_passages(index, "Lithuania")}
    assert lt == {"lt-ris3-implementation-programme", SEED_ID}
    assert not [g for g in groups if "(" in g and g != "(none)"]  # "Northern Netherlands (Groningen, ...)" too


@pytest.mark.slow
def test_each_seed_regions_report_count_equals_its_profile_and_compare_counts(asker, built_index, by_region):
    from analysis.compare import compare
    from analysis.profiles import ProfileBuilder

    builder = ProfileBuilder(asker.index, built_index[0].corpus)
    labels = {t.id: t.label for t in default_terms()}
    for name in SEED_REGION_NAMES:
        support = {st.text.split(":")[0]: int(re.search(r": (\d+) mention", st.text).group(1))
                   for st in builder.build(name).section("support").statements if " mention" in st.text}
        for t in default_terms():
            assert support.get(labels[t.id], 0) == by_region.cell((name,), t.id).count, (name, t.id)
    cmp = compare(asker, built_index[0].corpus, "Who coordinates the hub?", ["Lombardy", "Wallonia"])
    for col in cmp.columns:
        for t in default_terms():
            assert col.concepts[t.id][0] == by_region.cell((col.region.name,), t.id).count, (col.region.name, t.id)


@pytest.mark.slow
def test_kwic_lines_name_the_region_their_passage_is_about(index):
    lines = kwic(index, resolve_terms(["support.dih"]), filters=index.resolve_filters(region="Lombardy"), window=3)
    assert lines and all("Lombardy" in k.region.split("; ") for k in lines)
    assert all(len(k.region.split("; ")) < len(SEED_REGION_NAMES) for k in lines)  # not the ten-region field


# -- the heatmap labels every term column (issue #19, item 6) -----------------------------------
def _report_with_terms(terms):
    from analysis.reports import Report, Row

    groups = [("Lombardy",), ("Wallonia",)]
    rows = [Row(g, g[0], t.id, t.label, 1, 1.0, 1, 1, 1.0, 100) for g in groups for t in terms]
    return Report(("region",), list(terms), rows, {}, {"term_totals": {}})


def test_the_heatmap_labels_every_term_column():
    import pandas as pd

    from app.ui.reports import heatmap_chart

    terms = default_terms()
    assert len(terms) >= 10
    report = _report_with_terms(terms)
    frame = pd.DataFrame([{"group": r.group_label, "term": r.label, "term_id": r.term, "count": r.count,
                           "per_10k_words": r.per_10k_words, "documents": r.documents,
                           "share_of_documents": r.share_of_documents, "shade": 1.0} for r in report.rows])
    spec = heatmap_chart(frame, report, "count").to_dict()
    for layer in spec["layer"]:
        x = layer["encoding"]["x"]
        assert x["scale"]["domain"] == [t.label for t in terms]  # every term is on the axis, in order
        assert x["axis"]["labelOverlap"] is False  # no label is dropped when labels collide
        assert x["axis"]["labelAngle"] not in (None, 0)
