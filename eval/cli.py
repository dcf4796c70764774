"""``ris3 eval tags``, ``ris3 eval qa`` and ``ris3 bench``: the measurement commands, added to the
``ris3`` group as a plugin (entry point group ``ris3.commands`` in pyproject.toml) so that the app
never imports eval. Heavy imports happen inside the commands."""
from __future__ import annotations

import json
from pathlib import Path

import click


def register(cli: click.Group) -> None:
    """Add the ``eval`` group and the ``bench`` command to ``cli``."""
    cli.add_command(eval_group)
    cli.add_command(bench)


@click.group("eval")
def eval_group() -> None:
    """Measure quality against the gold sets in eval/."""


@eval_group.command("tags")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold JSONL (default: eval/gold/tags.jsonl).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def eval_tags(gold: Path | None, as_json: bool) -> None:
    """Precision, recall and F1 of the tagger per concept and per domain; written to eval/results/.

    Passage domains depend on their document's dominant domains, which are re-counted on the
    indexed corpus: run 'ris3 ingest' first (gold documents not indexed are scored without it)."""
    from app import service
    from app.cli.common import load_settings

    from .tags import GOLD, document_hits, evaluate, write

    index = service.open_index(load_settings())
    result = evaluate(gold or GOLD, context=document_hits(list(index.passages().values())))
    out = write(result)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['passages']} passages from {result['documents']} documents, tagging {result['tagging_version']}")
    if result["documents_without_context"]:
        click.echo(f"not indexed, scored without document context: {', '.join(result['documents_without_context'])}")
    click.echo(f"{'':34}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>5}{'FN':>5}")
    rows = list(result["concepts"].items()) + [("support structures (micro)", result["support_structures_micro"])]
    rows += list(result["domains"].items()) + [("domains (micro)", result["domains_micro"])]
    for name, m in rows:
        click.echo(f"{name:34}{m['precision']:7.3f}{m['recall']:7.3f}{m['f1']:7.3f}{m['tp']:6}{m['fp']:5}{m['fn']:5}")
    click.echo(f"written to {out}")


@eval_group.command("qa")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold questions JSONL (default: eval/gold/qa.jsonl).")
@click.option("--mode", "modes", multiple=True,
              help="What to evaluate; repeat for several (default: bm25, dense, multilingual, rrf, hybrid, hybrid+answer, "
                   "vanilla; hybrid is the shipped retrieval, rrf its first stage without the re-ranker): "
                   "also multilingual, bm25+glossary, bm25+translation (the keyword ranking with the question's "
                   "translations), and fused:K,D,M[,all][,glossary|,plain] (fusion weights of keyword, dense and "
                   "multilingual retrieval; what joins the keyword query).")
@click.option("--k", "ks", default="1,3,5,10", show_default=True, help="Cut-offs for hit@k, comma-separated.")
@click.option("--split", type=click.Choice(("dev", "test")), default=None,
              help="Only the questions of this split (gold sets with a 'split' field, e.g. "
                   "eval/gold/qa-heldout.jsonl): tune on dev, report test.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def eval_qa(gold: Path | None, modes: tuple[str, ...], ks: str, split: str | None, as_json: bool) -> None:
    """Retrieval and answer quality on the gold questions: hit@k, MRR, nDCG@10, answers that
    contain a gold phrase, no-answer accuracy; by document type, language and language pair
    (question -> text). Compares ris3-miner with each of its retrievers alone and a default
    Haystack pipeline ('vanilla', built on first use). The cross-lingual set:
    --gold eval/gold/qa-crosslingual.jsonl; the held-out set, written without seeing the system and
    split by document: --gold eval/gold/qa-heldout.jsonl --split dev|test. A passage is relevant
    when it holds a gold phrase or a run of the gold sentence (never by page alone for a document
    of one page). Needs the indexed corpus ('ris3 ingest'); written to
    eval/results/qa-<date>.json (qa-crosslingual-<date>.json, qa-heldout-<split>-<date>.json)."""
    from app.cli.common import load_settings

    from .qa import DEFAULT_MODES, GOLD, run, table, write

    try:
        cutoffs = sorted({int(k) for k in ks.split(",") if k.strip()})
    except ValueError as exc:
        raise click.BadParameter(f"--k takes numbers such as 1,3,5,10 ({exc})") from exc
    try:
        result = run(load_settings(), modes or DEFAULT_MODES, cutoffs, gold or GOLD, progress=not as_json, split=split)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    out = write(result)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['answerable']} questions with an answer, {result['no_answer']} without; index {result['index']}")
    click.echo(table(result))
    click.echo(f"written to {out}")


@eval_group.command("rerank")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold questions with dev/test splits (default: eval/gold/qa-heldout.jsonl).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def eval_rerank(gold: Path | None, as_json: bool) -> None:
    """Choose the re-ranker's weights on the dev half and report them on the test half.

    The fused top passages of every answerable question are retrieved and their features
    computed once; a coordinate search over a grid of weights maximises (MRR + hit@5) / 2 on dev.
    Prints the fused and re-ranked figures on both halves, with the current and the chosen
    weights (put the chosen ones into qa/rerank.py RerankSettings by hand: a person decides).
    Written to eval/results/rerank-<date>.json."""
    from . import rerank

    _choose_on_dev(rerank, gold, as_json, lambda half, name, m: (
        f"{half:5} {name:18} hit@1 {m['hit@1']:.3f}  hit@5 {m['hit@5']:.3f}  MRR {m['mrr']:.3f}  "
        f"nDCG@10 {m['ndcg@10']:.3f}  ({m['questions']} q)"))


def _choose_on_dev(search, gold: Path | None, as_json: bool, line) -> None:
    """Run a dev-half search module (``eval.rerank``, ``eval.answers``: ``run``, ``write``,
    ``HELDOUT``), write its result and print it: the chosen values, then ``line(half, name,
    figures)`` for each setting on each half."""
    from app.cli.common import load_settings

    try:
        result = search.run(load_settings(), gold or search.HELDOUT, progress=not as_json)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    out = search.write(result)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"chosen on dev: {json.dumps(result['chosen'])}")
    for half in ("dev", "test"):
        for name, m in result[half].items():
            click.echo(line(half, name, m))
    click.echo(f"written to {out}")


@eval_group.command("answers")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold questions with dev/test splits (default: eval/gold/qa-heldout.jsonl).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def eval_answers(gold: Path | None, as_json: bool) -> None:
    """Choose the answer settings and the abstention's confidence on the dev half; report them on
    the test half.

    Every question (with and without an answer) is searched once as 'ris3 ask' does; a
    coordinate search over a grid per setting maximises the mean of 'answer holds gold' and
    no-answer accuracy on dev. Prints both halves with the current and the chosen settings (put
    the chosen ones into qa/settings.py AnswerSettings and qa/abstain.py AbsenceSettings by hand).
    Written to eval/results/answers-<date>.json."""
    from . import answers

    _choose_on_dev(answers, gold, as_json, lambda half, name, m: (
        f"{half:5} {name:8} holds gold {m['answer_holds_gold']:.3f}  answered {m['answered']:.3f}  "
        f"no-answer accuracy {m['no_answer_accuracy'] or 0:.3f}  ({m['answerable']} + {m['no_answer']} q)"))


@click.command()
@click.option("--skip-scale", is_flag=True, help="Leave out the synthetic larger index.")
@click.option("--scale", "scales", type=click.IntRange(min=1), multiple=True, metavar="N",
              help="Passages of a synthetic index built from the real ones with their vectors (repeatable; default 50000).")
def bench(skip_scale: bool, scales: tuple[int, ...]) -> None:
    """Speed and memory benchmark: a fresh ingest of the bundled corpus (time per stage, pages/s,
    peak memory, the MiniLM encode floor), warm question latency with and without filters at the
    corpus size and at 50k passages (--scale N for other sizes), the query process's memory, app
    start-up. Takes 10-15 minutes; writes eval/results/bench-<date>.json. Measurements only:
    nothing passes or fails."""
    from .bench import main as run_bench

    run_bench((["--skip-scale"] if skip_scale else []) + [a for n in scales for a in ("--scale", str(n))])
