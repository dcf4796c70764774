"""QA evaluation: metric functions on hand-made rankings, the gold file (every phrase on its gold
page, in the real extracted text), and the whole eval on a tiny gold subset."""
import json
import math
from pathlib import Path

import pytest

from eval.metrics import hit_at_k, ndcg_at_k, reciprocal_rank
from eval.qa import (
    GOLD,
    Candidate,
    GoldQuestion,
    QuestionResult,
    gold_problems,
    load_gold,
    relevant,
    run,
    score,
)

from .conftest import CORPUS, SUBSET


def test_hit_at_k_counts_a_relevant_result_within_the_cut_off():
    rels = [False, False, True, False]
    assert [hit_at_k(rels, k) for k in (1, 2, 3, 10)] == [0.0, 0.0, 1.0, 1.0]
    assert hit_at_k([], 5) == 0.0


def test_reciprocal_rank_is_one_over_the_first_relevant_position():
    assert reciprocal_rank([False, False, True, True]) == pytest.approx(1 / 3)
    assert reciprocal_rank([True]) == 1.0
    assert reciprocal_rank([False] * 10) == 0.0


def test_ndcg_discounts_by_log2_of_the_position_against_the_ideal_ranking():
    # one relevant item in the collection, found at rank 3: 1/log2(4) / 1
    assert ndcg_at_k([False, False, True], 10, n_relevant=1) == pytest.approx(0.5)
    # two relevant in the collection, found at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3))
    assert ndcg_at_k([True, False, True], 10, n_relevant=2) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([True, True], 10, n_relevant=2) == pytest.approx(1.0)
    assert ndcg_at_k([False, True], 1, n_relevant=3) == 0.0


def test_score_averages_over_questions():
    results = [QuestionResult("a", "ris3", "en", "en->en", [True], 1),
               QuestionResult("b", "ris3", "en", "de->en", [False, True], 1)]
    s = score(results, [1, 2])
    assert s["hit@1"] == 0.5 and s["hit@2"] == 1.0 and s["mrr"] == 0.75 and s["questions"] == 2


def test_a_passage_is_relevant_by_gold_phrase_or_gold_page():
    q = GoldQuestion("x", "?", "doc-a", (12,), ("Agro Living Lab",), "ris3", "en")
    assert relevant(q, Candidate("doc-b", 1, 1, "the agro  living\nlab network"))  # phrase, whitespace and case aside
    assert relevant(q, Candidate("doc-a", 11, 12, "anything"))  # gold document, overlapping pages
    assert not relevant(q, Candidate("doc-a", 13, 14, "anything"))


def test_gold_file_is_well_formed_and_large_enough():
    questions = load_gold(GOLD)
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 80 and len({q.doc_id for q in answerable}) >= 10
    assert sum(1 for q in questions if not q.answerable) >= 5
    assert {"report", "ris3", "edp", "guide", "op-operations"} <= {q.doc_type for q in answerable}
    assert any(q.language == "de" for q in answerable)


def test_malformed_gold_lines_are_refused_with_their_line_number(tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text(json.dumps({"id": "q1", "question": "?", "kind": "answer"}) + "\n")
    with pytest.raises(ValueError, match="gold.jsonl:1: an answer question needs"):
        load_gold(bad)


@pytest.mark.slow
def test_every_gold_phrase_occurs_on_its_gold_page_of_the_extracted_text():
    """Extract the gold documents as ingestion does (pdfplumber, cleaning) and look each phrase up."""
    from ingest.converter import CorpusConverter
    from ingest.manifest import load_manifest

    questions = [q for q in load_gold(GOLD) if q.answerable]
    manifest = load_manifest(CORPUS)
    wanted = {q.doc_id for q in questions}
    metas = [m for m in manifest.values() if m.doc_id in wanted]
    assert len(metas) == len(wanted)
    converted = CorpusConverter(workers=2, progress_bar=False).run(
        sources=[CORPUS / m.file for m in metas], meta=[m.as_meta() for m in metas])
    assert not converted["failures"]
    pages = {(d.meta["doc_id"], d.meta["page_number"]): d.content for d in converted["documents"]}
    assert gold_problems(questions, lambda doc_id, page: pages.get((doc_id, page))) == []


@pytest.mark.slow
def test_eval_runs_end_to_end_on_a_tiny_gold_subset(built_index, tmp_path):
    subset_ids = {f.rsplit("/", 1)[-1].rsplit(".", 1)[0] for f in SUBSET}
    questions = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    tiny = [q for q in questions if q["doc_id"] in subset_ids][:6] + [q for q in questions if q["kind"] == "no_answer"][:2]
    gold = tmp_path / "tiny.jsonl"
    gold.write_text("".join(json.dumps(q) + "\n" for q in tiny))
    settings = built_index[0]
    result = run(settings, ["bm25", "hybrid", "hybrid+answer", "vanilla"], [1, 5], gold, progress=False)
    assert result["answerable"] == 6 and result["no_answer"] == 2
    for mode in ("bm25", "hybrid", "hybrid+answer", "vanilla"):
        m = result["modes"][mode]
        assert m["questions"] == 6 and 0.0 <= m["hit@1"] <= m["hit@5"] <= 1.0 and 0.0 <= m["mrr"] <= 1.0
    answer_mode = result["modes"]["hybrid+answer"]
    assert "no_answer_accuracy" in answer_mode and "answer_contains_gold_phrase" in answer_mode
    assert set(answer_mode["by"]["doc_type"]) <= {"report", "ris3", "edp", "op-operations", "guide"}
    # the hybrid's own passages answer most of these: a broken pipeline would score near 0
    assert result["modes"]["hybrid"]["hit@5"] >= 0.5


def test_crosslingual_gold_asks_in_one_language_about_text_in_another():
    from eval.qa import breakdown, load_gold

    gold = load_gold(Path(__file__).resolve().parent.parent / "eval" / "gold" / "qa-crosslingual.jsonl")
    assert len(gold) >= 30 and all(q.question_language != q.language for q in gold)
    pairs = {q.pair for q in gold}
    assert {"en->de", "de->en", "fr->en"} <= pairs
    results = [QuestionResult(q.id, q.doc_type, q.language, q.pair, [True], 1) for q in gold]
    assert set(breakdown(results, [5])["pair"]) == pairs


def test_a_passage_of_a_one_page_document_counts_only_when_it_holds_the_answer():
    q = GoldQuestion("s1", "Which hub is in South Moravia?", doc_id="seed", pages=(1,), phrases=("DIGIMAT",))
    assert not relevant(q, Candidate("seed", 1, 1, "another passage of the same one-page report"), frozenset({"seed"}))
    assert relevant(q, Candidate("seed", 1, 1, "the hub DIGIMAT supports firms"), frozenset({"seed"}))


def test_a_gold_span_counts_by_its_text_even_when_a_passage_boundary_cuts_it():
    span = "Six RDI Priority Areas have been identified: energy and sustainable environment, health technologies"
    q = GoldQuestion("s2", "What priorities?", doc_id="lt", pages=(7,), phrases=("nothing matches this",), span=span)
    cut = "... have been identified: energy and sustainable environment, health technologies and biotechnologies"
    assert relevant(q, Candidate("lt", 7, 7, cut))  # eight words of the span in a row
    assert not relevant(q, Candidate("lt", 7, 7, "Priority Areas are listed on this page"))  # the page alone is not enough


def test_the_heldout_gold_set_is_split_by_document_and_checks_out():
    from collections import defaultdict

    from eval.qa import load_gold

    questions = load_gold(Path(__file__).resolve().parent.parent / "eval" / "gold" / "qa-heldout.jsonl")
    splits = defaultdict(set)
    for q in questions:
        assert q.split in ("dev", "test"), q.id
        if q.answerable:
            splits[q.doc_id].add(q.split)
            assert q.span and q.phrases
    assert all(len(s) == 1 for s in splits.values())  # a document's questions share one split
    assert sum(q.answerable for q in questions) >= 150 and sum(not q.answerable for q in questions) >= 30


def test_an_answer_sentence_holds_the_gold_span_by_token_f1():
    from eval.qa import SPAN_F1, token_f1

    span = "Six RDI Priority Areas have been identified: energy, health, agro-innovation and food."
    assert token_f1(span, span) == 1.0
    assert token_f1("Six RDI priority areas have been identified", span) >= SPAN_F1
    assert token_f1("Tourism grew along the coast", span) == 0.0


def test_answer_settings_past_the_false_abstention_bound_lose_to_any_within_it():
    from eval.answers import objective

    within = {"answer_holds_gold": 0.60, "no_answer_accuracy": 0.60, "false_abstention": 0.05}
    beyond = {"answer_holds_gold": 0.80, "no_answer_accuracy": 0.95, "false_abstention": 0.07}
    assert objective(within) == pytest.approx(0.60)
    assert objective(beyond) < objective(within)


def test_an_answer_holds_the_gold_by_a_phrase_or_by_a_sentence_close_to_the_span():
    from eval.qa import holds_gold
    from eval.qa import GoldQuestion
    from qa.types import Answer

    q = GoldQuestion("g", "When was AFIL founded?", phrases=("in 2013",),
                     span="It was founded in 2013 as a non-profit association by the university Politecnico Di Milano.")
    assert holds_gold(q, Answer(q.question, True, [("AFIL was set up in 2013 in Milan.", 1)], [], []))
    assert not holds_gold(q, Answer(q.question, True, [("AFIL is a one-stop-shop for digital technologies.", 1)], [], []))
    close = Answer(q.question, True, [("It was founded in 2013 as a non-profit association by Politecnico Di Milano.", 1)], [], [])
    assert holds_gold(q, close)
    unanswered = Answer(q.question, False, [("It was founded in 2013 as a non-profit association.", 1)], [], [])
    assert not holds_gold(q, unanswered)
