"""The ``ris3`` command line: a thin layer over app.service. Heavy imports happen inside commands
so that ``ris3 --help`` answers at once. Domain errors are one line, never a traceback."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .settings import Settings, quiet_third_parties

FILTER_HELP = {
    "region": "Only documents of this region (substring, case-insensitive; comma = any of).",
    "country": "Only documents of this country code, e.g. CZ, PL, DE.",
    "doc_type": "Only this document type: ris3, op, op-operations, report, guide, edp.",
    "language": "Only documents in this language (ISO code, e.g. en, de).",
    "year": "Only documents of this year.",
    "doc_id": "Only this document (see 'ris3 status').",
    "tag": "Only passages tagged with this concept or domain id, e.g. support.living_lab, domain.health "
           "(comma = any of; 'ris3 tags' lists them).",
}


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ris3-miner")
def cli() -> None:
    """ris3-miner: search EU smart-specialisation strategies, programmes and reports, and get
    answers with cited passages (document, page, region). Offline; nothing is downloaded.

    \b
    Start with:   ris3 ingest            (index the bundled corpus; incremental)
    Then ask:     ris3 ask "How does DIGIMAT relate to the South Moravian RIS3?"
    Count terms:  ris3 report keywords --by region -f html -o keywords.html
    In context:   ris3 kwic support.living_lab
    A region:     ris3 profile "South Moravia" -f docx -o brief.docx
    Compare:      ris3 compare "What role do clusters play?" --regions "Lubelskie,Lithuania"
    Data:         ris3 hubs search DIGIMAT;  ris3 funding Lubelskie
    Index lives in $RIS3_HOME (default: data/ in the repository).
    """
    quiet_third_parties()


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None, help="Extraction processes (default: $RIS3_WORKERS or 2).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-file outcome as JSON.")
def ingest(paths: tuple[Path, ...], workers: int | None, quiet: bool, as_json: bool) -> None:
    """Index PATHS (files or folders; default: the bundled corpus).

    Unchanged files are skipped, changed files re-indexed, files removed from a folder dropped.
    A file that cannot be read is reported with the reason and the rest goes on. Exits non-zero
    only when files were given and none could be indexed.
    """
    from dataclasses import asdict, replace

    from . import service

    settings = _settings()
    if workers is not None:
        settings = replace(settings, workers=workers)
    for p in paths:
        if not p.exists():
            raise click.ClickException(f"{p}: no such file or folder")
    report = service.ingest(settings, list(paths) or None, progress=not quiet and not as_json)
    if as_json:
        click.echo(json.dumps({"seconds": round(report.seconds, 2), "repaired": report.repaired,
                               "files": [asdict(o) for o in report.outcomes]}, ensure_ascii=False, indent=2))
    else:
        if any(report.repaired.values()):
            r = report.repaired
            click.echo(f"repaired an interrupted ingest: {r['chroma_orphans_removed']} orphan vectors removed, "
                       f"{r['documents_to_redo']} documents redone, keyword index "
                       f"{'rebuilt' if r['keyword_rebuilt'] else 'kept'}", err=True)
        for o in report.outcomes:
            if o.status in ("failed", "skipped", "removed"):
                click.echo(f"{o.status:8} {o.file}: {o.reason}", err=o.status == "failed")
            elif o.status == "unchanged" and o.reason:  # failed before, same file: still failing
                click.echo(f"failed   {o.file}: {o.reason} (unchanged since the last run)", err=True)
        counts = {s: report.count(s) for s in ("ingested", "unchanged", "skipped", "failed", "removed")}
        click.echo(f"{counts['ingested']} ingested, {counts['unchanged']} unchanged, {counts['skipped']} skipped, "
                   f"{counts['failed']} failed, {counts['removed']} removed in {report.seconds:.1f} s")
    considered = [o for o in report.outcomes if o.status in ("ingested", "unchanged", "failed")]
    if considered and all(o.status == "failed" for o in considered):
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--check", is_flag=True,
              help="Check that the record, the Chroma collection and the keyword index hold the same passages; "
                   "exit 1 when they do not ('ris3 ingest' repairs it).")
def status(as_json: bool, check: bool) -> None:
    """Documents, passages and failures in the index."""
    from . import service

    settings = _settings()
    index = service.open_index(settings)
    if check:
        found = index.check()
        if as_json:
            click.echo(json.dumps(found, indent=2))
        else:
            click.echo(f"{found['passages']} passages recorded, {found['chroma']} in Chroma, {found['keyword']} in the "
                       f"keyword index: " + ("consistent" if found["ok"] else
                       f"{len(found['chroma_orphans'])} orphan vectors, {len(found['chroma_missing'])} passages without "
                       f"vectors, {len(found['keyword_stale'])} keyword entries out of date "
                       f"(run 'ris3 ingest' to repair)"))
        sys.exit(0 if found["ok"] else 1)
    rows = service.library_rows(index)
    data = {
        "index": str(index.folder),
        "settings": settings.index.as_dict(),
        "documents": sum(1 for r in rows if r["status"] == "ingested"),
        "passages": index.passage_count(),
        "files": rows,
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"index: {data['index']}")
    click.echo(f"{data['documents']} documents, {data['passages']} passages")
    for f in data["files"]:
        extra = f" ({f['reason']})" if f["reason"] else ""
        top = ", ".join(f"{t.split('.', 1)[-1]} {n}" for t, n in list(f["tag_counts"].items())[:4])
        tags = f"  [{top}]" if top else ""
        click.echo(f"  {f['status']:8} {f['doc_id']:45} {f['pages']:>4} p {f['passages']:>5} passages{extra}{tags}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def tags(as_json: bool) -> None:
    """List the concept and domain ids the tagger uses (for --tag), with their labels."""
    from nlp.lexicon import load_lexicon, load_taxonomy
    from nlp.tagging import tagging_version

    concepts = [{"id": c.id, "label": c.label, "group": c.group, "languages": sorted(c.variants),
                 "acronyms": c.acronyms, "policy": c.policy} for c in load_lexicon()[1]]
    domains = [{"id": d.id, "label": d.label, "nace": d.nace} for d in load_taxonomy()[1]]
    if as_json:
        click.echo(json.dumps({"version": tagging_version(), "concepts": concepts, "domains": domains},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"tagging version {tagging_version()}")
    for c in concepts:
        click.echo(f"  {c['id']:32} {c['label']} ({len(c['languages'])} languages)")
    for d in domains:
        click.echo(f"  {d['id']:32} {d['label']}" + (f" (NACE {d['nace']})" if d["nace"] else ""))


@cli.group("eval")
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
    from eval.tags import GOLD, document_hits, evaluate, write

    from . import service

    index = service.open_index(_settings())
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
              help="What to evaluate; repeat for several (default: bm25, dense, hybrid, hybrid+answer, vanilla): "
                   "also multilingual, bm25+glossary, bm25+translation (the keyword ranking with the question's "
                   "translations), and fused:K,D,M[,all][,glossary|,plain] (fusion weights of keyword, dense and "
                   "multilingual retrieval; what joins the keyword query).")
@click.option("--k", "ks", default="1,3,5,10", show_default=True, help="Cut-offs for hit@k, comma-separated.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def eval_qa(gold: Path | None, modes: tuple[str, ...], ks: str, as_json: bool) -> None:
    """Retrieval and answer quality on the gold questions: hit@k, MRR, nDCG@10, answers that
    contain a gold phrase, no-answer accuracy; by document type, language and language pair
    (question -> text). Compares ris3-miner with each of its retrievers alone and a default
    Haystack pipeline ('vanilla', built on first use). The cross-lingual set:
    --gold eval/gold/qa-crosslingual.jsonl. Needs the indexed corpus ('ris3 ingest'); written to
    eval/results/qa-<date>.json (qa-crosslingual-<date>.json for that set)."""
    from eval.qa import DEFAULT_MODES, GOLD, run, table, write

    try:
        cutoffs = sorted({int(k) for k in ks.split(",") if k.strip()})
    except ValueError as exc:
        raise click.BadParameter(f"--k takes numbers such as 1,3,5,10 ({exc})") from exc
    try:
        result = run(_settings(), modes or DEFAULT_MODES, cutoffs, gold or GOLD, progress=not as_json)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    out = write(result)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['answerable']} questions with an answer, {result['no_answer']} without; index {result['index']}")
    click.echo(table(result))
    click.echo(f"written to {out}")


@cli.command()
@click.option("--skip-scale", is_flag=True, help="Leave out the synthetic 50k-passage index.")
def bench(skip_scale: bool) -> None:
    """Speed and memory benchmark: a fresh ingest of the bundled corpus (time per stage, pages/s,
    peak memory, the MiniLM encode floor), warm question latency with and without filters at the
    corpus size and at 50k passages, the query process's memory, app start-up. Takes 10-15
    minutes; writes eval/results/bench-<date>.json. Measurements only: nothing passes or fails."""
    from eval.bench import main as run_bench

    run_bench(["--skip-scale"] if skip_scale else [])


def _filter_options(fn):
    for name in reversed(list(FILTER_HELP)):
        fn = click.option(f"--{name.replace('_', '-')}", name, default=None, help=FILTER_HELP[name])(fn)
    return fn


@cli.command()
@click.argument("question", required=False)
@click.option("--top-k", type=int, default=None, help="Passages to return (default 8).")
@_filter_options
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file: one {\"id\", \"question\", optional filters} a line; prints one JSON result a line.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (stable shape, see README).")
def ask(question, top_k, region, country, doc_type, language, year, doc_id, tag, batch, as_json) -> None:
    """Answer QUESTION from the index with numbered citations (document, page, region).

    The answer is extractive: 1-4 sentences taken from the best passages. When nothing answers
    the question well, it says so and still lists the nearest passages.

    Ask in any language: the question is also searched in the other languages of the index
    (glossary and vocabulary translations, multilingual vectors), answers are quoted as written,
    and the answer says when it quotes another language and which words it searched there.
    """
    from . import service

    if not question and not batch:
        raise click.UsageError("give a QUESTION or --batch FILE")
    settings = _settings()
    asker = service.open_asker(settings)
    if batch:
        _ask_batch(asker, batch, top_k)
        return
    filters = service.Filters(region, country, doc_type, language, year, doc_id, tag)
    try:
        answer = asker.ask(question, filters, top_k)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    catalogue = _catalogue_or_none(settings)
    if as_json:
        out = answer.to_json()
        if catalogue is not None:  # cross-links: the catalogue hubs each passage names
            for p, row in zip(answer.passages, out["passages"]):
                row["hubs"] = [{"id": h.id, "name": h.name} for h in catalogue.hubs_in_passage(p)]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(render_answer(answer, catalogue))


def _catalogue_or_none(settings):
    from analysis.hubs import HubCatalogue

    try:
        return HubCatalogue.from_corpus(settings.corpus)
    except FileNotFoundError:
        return None


def _ask_batch(asker, batch: Path, top_k: int | None) -> None:
    from . import service

    for lineno, line in enumerate(batch.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            filters = service.Filters(**{k: item.get(k) for k in FILTER_HELP})
            answer = asker.ask(item["question"], filters, item.get("top_k") or top_k)
            answer.id = item.get("id")
            out = answer.to_json()
        except (ValueError, KeyError, TypeError) as exc:
            out = {"id": item.get("id") if isinstance(item, dict) else None, "error": f"{batch}:{lineno}: {exc}"}
        click.echo(json.dumps(out, ensure_ascii=False))


@cli.group()
def report() -> None:
    """Reports over the index (counts come from tags stored at ingestion: seconds, no PDF re-read)."""


GROUP_CHOICES = ("doc", "region", "country", "doc_type", "language", "year")
REPORT_FORMAT_CHOICES = ("csv", "json", "md", "html", "xlsx")


def _terms_option(value: str | None) -> list[str] | None:
    """--terms: a file of concept ids / phrases (one a line), or a comma-separated list."""
    from analysis.reports import read_terms_file

    if not value:
        return None
    path = Path(value)
    if path.is_file():
        return read_terms_file(path.read_text(encoding="utf-8"))
    return [v for v in value.split(",") if v.strip()]


def _out_paths(out: str, formats: list[str]) -> dict[str, Path]:
    """--out with {date} and {ext} placeholders; several formats without {ext} vary the suffix."""
    from datetime import date

    template = out.replace("{date}", date.today().isoformat())
    if "{ext}" in template:
        return {f: Path(template.replace("{ext}", f)) for f in formats}
    base = Path(template)
    if len(formats) == 1:
        return {formats[0]: base}
    return {f: base.with_suffix("." + f) for f in formats}


@report.command("keywords")
@click.option("--terms", "terms_spec", default=None, metavar="IDS|FILE",
              help="Concept ids or free phrases, comma-separated, or a file with one a line "
                   "(default: the lexicon's support-structure concepts; 'ris3 tags' lists ids).")
@click.option("--by", "by", multiple=True, type=click.Choice(GROUP_CHOICES), default=("doc",), show_default=True,
              help="Group rows by this field; give it twice (--by region --by doc_type) for a matrix.")
@_filter_options
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(REPORT_FORMAT_CHOICES),
              help="Output format; repeat for several files (default: csv, or the --out suffix).")
@click.option("--out", "-o", default=None, metavar="PATH",
              help="File to write; {date} becomes today's date, {ext} the format "
                   "(e.g. reports/keywords-{date}.{ext}). Default: standard output.")
@click.option("--examples", type=int, default=3, show_default=True,
              help="Example sentences (keyword in context) kept per cell.")
def report_keywords(terms_spec, by, region, country, doc_type, language, year, doc_id, tag, formats, out,
                    examples) -> None:
    """How often documents mention hubs, clusters, living labs, test labs ... per group.

    Each row: group, concept id, label, raw count, count per 10,000 words, documents mentioning it,
    documents in the group and their share. Counting uses the lexicon's variants in every
    language (plurals, hyphens, line breaks do not matter); free phrases are matched
    case-insensitively with the plural of their last word. The report states the lexicon version
    and the corpus snapshot it was computed on.

    \b
    Examples:
      ris3 report keywords --by region
      ris3 report keywords --by country --by doc_type -f md
      ris3 report keywords --terms support.living_lab,"test bed" --doc-type op
      ris3 report keywords --by region -f csv -f html -o reports/keywords-{date}.{ext}
    """
    from analysis.reports import describe_filters, keyword_report, resolve_terms
    from app.render.report_formats import BINARY_FORMATS, render_report, write_report

    from . import service

    formats = list(dict.fromkeys(formats))
    if not formats:
        suffix = Path(out).suffix.lstrip(".").lower() if out else ""
        formats = [suffix if suffix in REPORT_FORMAT_CHOICES else "csv"]
    if not out and (len(formats) > 1 or set(formats) & BINARY_FORMATS):
        raise click.UsageError("give --out for xlsx or for several formats")
    criteria = dict(region=region, country=country, doc_type=doc_type, language=language, year=year,
                    doc_id=doc_id, tag=tag)
    index = service.open_index(_settings())
    if index.passage_count() == 0:
        raise click.ClickException("the index is empty: run 'ris3 ingest' first")
    try:
        terms = resolve_terms(_terms_option(terms_spec))
        filters = index.resolve_filters(**criteria)
        result = keyword_report(index, terms, by=by, filters=filters, examples=examples,
                                filter_labels=describe_filters(**criteria))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not out:
        click.echo(render_report(result, formats[0]), nl=False)
        return
    for fmt, path in _out_paths(out, formats).items():
        write_report(result, fmt, path)
        click.echo(f"wrote {path}", err=True)


@cli.command()
@click.argument("query")
@click.option("--window", "-w", type=int, default=8, show_default=True, help="Words of context on each side.")
@_filter_options
@click.option("--limit", type=int, default=None, help="At most this many lines.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "csv", "json", "md", "html")), default="text",
              show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
def kwic(query, window, region, country, doc_type, language, year, doc_id, tag, limit, fmt, out) -> None:
    """Keyword in context: every mention of QUERY with its document, page and region.

    QUERY is a concept id (all the lexicon's variants and languages, e.g. support.living_lab) or a
    free phrase ("test bed": case-insensitive, plural of the last word included). Lines are
    sorted by document and page.
    """
    from analysis.reports import kwic as find_kwic
    from analysis.reports import resolve_terms
    from app.render.report_formats import render_kwic

    from . import service

    index = service.open_index(_settings())
    if index.passage_count() == 0:
        raise click.ClickException("the index is empty: run 'ris3 ingest' first")
    try:
        terms = resolve_terms([query])
        filters = index.resolve_filters(region=region, country=country, doc_type=doc_type, language=language,
                                        year=year, doc_id=doc_id, tag=tag)
        lines = find_kwic(index, terms, filters, window=window, limit=limit)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    text = render_kwic(lines, fmt, query)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out} ({len(lines)} lines)", err=True)
    else:
        click.echo(text, nl=False)
        if fmt == "text":
            click.echo(f"({len(lines)} lines)", err=True)


# -- regions, comparison, hubs, funding ----------------------------------------------------------
def _write_or_echo(data: bytes, out: Path | None, what: str) -> None:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        click.echo(f"wrote {out} ({what})", err=True)
    elif data[:2] == b"PK":
        raise click.UsageError("DOCX is binary: give --out FILE")
    else:
        click.echo(data.decode("utf-8"), nl=False)


@cli.command()
@click.argument("region")
@click.option("--format", "-f", "fmt", type=click.Choice(("md", "html", "docx", "json")), default="md", show_default=True,
              help="md and html print or write; docx needs --out.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write; {ext} is replaced by the format, e.g. brief.{ext}.")
@click.option("--no-answers", is_flag=True, help="Leave out the EDP and digitalisation answers (no model load: ~2 s faster).")
def profile(region, fmt, out, no_answers) -> None:
    """A cited brief on REGION for an EDP workshop or a comparison.

    REGION is a name (English or local: "South Moravia", "Jihomoravský kraj", "Lubelskie",
    "Northern Netherlands"), a NUTS code (CZ064, PL31, NL1, LT) or part of a manifest region
    name. The brief lists the region's documents, priority domains (share of its text, and the
    official Czech domains for Czech regions), support structures named with example sentences,
    hubs and organisations linked to the JRC DIH catalogue, what the documents say about the
    entrepreneurial discovery process and digitalisation, and the 2014-2020 programmes covering
    the region with their planned amounts. Every statement cites a passage (document, page) or a
    dataset record (file, CSV lines).
    """
    from analysis.profiles import ProfileBuilder
    from app.render.profile_formats import profile_bytes

    from . import service

    settings = _settings()
    asker = None if no_answers else service.open_asker(settings)
    index = asker.index if asker else service.open_index(settings)
    if index.passage_count() == 0:
        raise click.ClickException("the index is empty: run 'ris3 ingest' first")
    try:
        result = ProfileBuilder(index, settings.corpus, asker=asker).build(region)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "docx" and not out:
        raise click.UsageError("DOCX is binary: give --out FILE")
    path = Path(str(out).replace("{ext}", fmt)) if out else None
    _write_or_echo(profile_bytes(result, fmt), path,
                   f"{len(result.citations)} text and {len(result.data_citations)} data citations")


@cli.command()
@click.argument("question")
@click.option("--regions", "-r", required=True,
              help='Regions to compare, comma-separated (";" when a name has a comma): "Lubelskie,Lithuania".')
@click.option("--top-k", type=int, default=None, help="Passages read per region (default 8).")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "md", "html", "json")), default="text", show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
def compare(question, regions, top_k, fmt, out) -> None:
    """Answer QUESTION once per region, side by side, with each region's profile.

    Each answer comes only from that region's documents (in a report covering several regions,
    only its passages about the region), with its own numbered citations. When no sentence
    reaches the answer threshold, the nearest one is cited and marked low confidence. Below the
    answers: support-structure mentions per 10,000 words and priority-domain shares per region.
    """
    from analysis.compare import compare as run_compare
    from analysis.compare import parse_regions
    from app.render.profile_formats import compare_bytes

    from . import service

    settings = _settings()
    asker = service.open_asker(settings)
    if asker.index.passage_count() == 0:
        raise click.ClickException("the index is empty: run 'ris3 ingest' first")
    try:
        result = run_compare(asker, settings.corpus, question, parse_regions(regions), top_k=top_k)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    _write_or_echo(compare_bytes(result, fmt), out, f"{len(result.columns)} regions")


@cli.group()
def hubs() -> None:
    """The JRC Digital Innovation Hubs catalogue snapshot bundled in corpus/data."""


def _catalogue():
    from analysis.hubs import HubCatalogue

    try:
        return HubCatalogue.from_corpus(_settings().corpus)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


@hubs.command("search")
@click.argument("query", required=False, default="")
@click.option("--country", help="Country as the catalogue writes it, e.g. Lithuania, 'Czech Republic'.")
@click.option("--sector", help="Part of a sector name, e.g. 'manufacture of machinery', healthcare.")
@click.option("--city", help="Part of the city name.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def hubs_search(query, country, sector, city, limit, as_json) -> None:
    """Find hubs by name or acronym (DIGIMAT), then by text (BM25 over name, description, sectors,
    city); filters narrow both. Without QUERY, lists the hubs that pass the filters. Says so when
    no hub is named like QUERY, and then shows the nearest hubs by text."""
    cat = _catalogue()
    try:
        result = cat.search(query, country=country, sector=sector, city=city, limit=limit)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(result.message)
    for label, items in (("Named", [(h, None) for h in result.named]), ("Related by text", result.related)):
        if not items:
            continue
        if query:
            click.echo(f"\n{label}:")
        for h, score in items:
            place = ", ".join(x for x in (h.locality, h.country) if x)
            click.echo(f"  {h.id:<10} {h.name} ({place})" + (f"  score {score:.1f}" if score is not None else ""))
    click.echo(f"\nSource: {result.source}. 'ris3 hubs show ID' gives a hub's record and the passages naming it.",
               err=True)


@hubs.command("show")
@click.argument("hub")
@click.option("--json", "as_json", is_flag=True)
def hubs_show(hub, as_json) -> None:
    """HUB (an id such as dih:12995, or a name/acronym naming one hub): its catalogue record and
    where the indexed documents mention it (document, page)."""
    from . import service

    cat = _catalogue()
    try:
        h = cat.get(hub)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    mentions = cat.mentions(service.open_index(_settings()), h.id)
    if as_json:
        click.echo(json.dumps({"hub": h.to_json(), "mentions": [m.__dict__ for m in mentions],
                               "source": cat.dataset.title}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{h.name}  ({h.id})")
    for label, value in (("country", h.country), ("city", h.locality), ("address", h.street), ("website", h.website),
                         ("sectors", "; ".join(h.sectors)), ("technologies", "; ".join(h.technologies)),
                         ("services", "; ".join(h.services))):
        click.echo(f"  {label + ':':<13} {value or '(not given in the catalogue)'}")
    if h.description:
        click.echo("\n" + h.description)
    click.echo(f"\nMentioned in the indexed documents: {len(mentions)} time(s)")
    for m in mentions[:20]:
        click.echo(f"  {m.doc_id}, {m.where}: “{m.sentence[:220]}{'…' if len(m.sentence) > 220 else ''}”")
    click.echo(f"\nSource: {cat.dataset.title}", err=True)


@cli.command()
@click.argument("region", required=False)
@click.option("--country", help="All programmes of a country (code as in the data: PL, CZ, LT, GR/EL, UK).")
@click.option("--cci", help="Programme CCI code(s), comma-separated, e.g. 2014PL16M2OP003.")
@click.option("--fund", help="Only these funds: ERDF, ESF, CF, YEI, EAFRD, EMFF (comma = any of).")
@click.option("--to", "to", help="Only these thematic objectives: 01-11, TA (comma = any of).")
@click.option("--by", "by", default="programme,fund,to", show_default=True,
              help="Sum by these fields: programme, fund, to, category, priority, country.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "csv", "json", "md")), default="text", show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
def funding(region, country, cci, fund, to, by, fmt, out) -> None:
    """Planned ESIF 2014-2020 amounts (EUR) from the bundled cohesiondata CSV.

    With REGION (as for 'ris3 profile'): the programmes covering it, regional ones first, then
    national ones (which cover the whole country, not the region's share). Or --country / --cci.
    Amounts are summed exactly as the CSV gives them; every sum lists the CSV lines it adds up.
    """
    from analysis.funding import FundingData
    from analysis.regions import RegionResolver
    from analysis.sources import dataset

    settings = _settings()
    try:
        data = FundingData.from_corpus(settings.corpus)
        programmes = []
        if region:
            from . import service

            resolver = RegionResolver(dataset(settings.corpus, "nuts").path, service.open_index(settings).documents())
            programmes = data.programmes_for(resolver.resolve(region))
            ccis = [p.cci for p in programmes]
        elif cci:
            ccis = [c.strip() for c in cci.split(",") if c.strip()]
            unknown = [c for c in ccis if data.programme(c) is None]
            if unknown:
                raise ValueError(f"no programme {', '.join(unknown)} in {data.finances.title}")
            programmes = [data.programme(c) for c in ccis]
        elif country:
            programmes = data.programmes_for(country=country)
            ccis = None
        else:
            raise click.UsageError("give a REGION, --country or --cci")
        rows = data.rows(ccis, country=country if not region and not cci else None, fund=fund, to=to)
        table = data.table(rows, by=[b.strip() for b in by.split(",") if b.strip()])
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    about = data.about
    if fmt == "json":
        text = json.dumps({"about": about, "programmes": [p.to_json() for p in programmes],
                           "rows": table.to_dict(orient="records"),
                           "total_eu_amount": float(table["eu_amount"].sum())}, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = table.to_csv(index=False)
    else:
        shown = table.drop(columns=["lines"]).copy()
        for c in ("eu_amount", "national_amount", "total_amount"):
            shown[c] = shown[c].map(lambda v: f"{v:,.0f}")
        if fmt == "md":
            from app.render.report_formats import md_table

            body = "\n".join(md_table(list(shown.columns), shown.values.tolist()))
        else:
            body = shown.to_string(index=False)
        head = []
        if programmes:
            head = ["Programmes:"] + [f"  {p.cci}  {p.title}" + (f" ({'; '.join(x for x in (p.scope, p.area) if x)})"
                                                                  if p.scope or p.area else "")
                                      for p in programmes] + [""]
        text = "\n".join(head + [body, "", f"Total EU amount: EUR {table['eu_amount'].sum():,.0f}",
                                  f"Source: {about['source']} ({about['from']}); amounts planned, EUR."]) + "\n"
    _write_or_echo(text.encode("utf-8"), out, f"{len(table)} rows")


def render_answer(answer, catalogue=None) -> str:
    from qa.citations import page_label, region_label

    metas = {p.id: p.meta for p in answer.passages}
    lines = [answer.text, ""]
    if answer.language_note:
        lines += [f"({' '.join(x for x in (answer.language_note, answer.translation_note) if x)})", ""]
    if answer.citations:
        lines.append("Citations:")
        for c in answer.citations:
            where = page_label(metas.get(c.passage_id, {}), c.page)
            lines.append(f"  [{c.n}] {c.title} — {region_label(c.region) or c.country}, {where} ({c.doc_id})")
        lines.append("")
    lines.append("Sources:")
    for rank, p in enumerate(answer.passages, start=1):
        m = p.meta
        snippet = " ".join((p.content or "").split())[:160]
        lang = m.get("passage_language") or m.get("language", "")
        lines.append(f"  {rank}. {m.get('title', '')} ({m.get('doc_type', '')}, {region_label(m.get('region', ''))}), "
                     f"{page_label(m)}{f' [{lang}]' if lang else ''}: {snippet}...")
        hubs = catalogue.hubs_in_passage(p) if catalogue is not None else []
        if hubs:
            lines.append("     hubs in the DIH catalogue: " + "; ".join(f"{h.name} ({h.id})" for h in hubs)
                         + "  -> ris3 hubs show ID")
    lines.append(f"\n({answer.elapsed_ms:.0f} ms)")
    return "\n".join(lines)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
