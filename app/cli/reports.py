"""``ris3 report keywords`` and ``ris3 kwic``: counts and contexts of concepts over the index."""
from __future__ import annotations

from pathlib import Path

import click

from .common import filter_options, load_settings, require_passages

GROUP_CHOICES = ("doc", "region", "country", "doc_type", "language", "year")
REPORT_FORMAT_CHOICES = ("csv", "json", "md", "html", "xlsx")


@click.group()
def report() -> None:
    """Reports over the index (counts come from tags stored at ingestion: seconds, no PDF re-read)."""


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
@filter_options
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(REPORT_FORMAT_CHOICES),
              help="Output format; repeat for several files (default: csv, or the --out suffix).")
@click.option("--out", "-o", default=None, metavar="PATH",
              help="File to write; {date} becomes today's date, {ext} the format "
                   "(e.g. reports/keywords-{date}.{ext}). Default: standard output.")
@click.option("--examples", type=click.IntRange(0, 100), default=3, show_default=True,
              help="Example sentences (keyword in context) kept per cell.")
def report_keywords(terms_spec, by, region, country, doc_type, language, year, doc_id, tag, formats, out,
                    examples) -> None:
    """How often documents mention hubs, clusters, living labs, test labs ... per group.

    Each row: group, concept id, label, raw count, count per 10,000 words, documents mentioning it,
    documents in the group and their share. Counting uses the lexicon's variants in every
    language (plurals, hyphens, line breaks do not matter); free phrases are matched ignoring
    case, accents, spaces against hyphens and closed-up forms ("one stop shop" also counts
    "One-stop-shops"), with the plural of their last word. The report states the lexicon version
    and the corpus snapshot it was computed on.

    \b
    Examples:
      ris3 report keywords --by region
      ris3 report keywords --by country --by doc_type -f md
      ris3 report keywords --terms support.living_lab,"test bed" --doc-type op
      ris3 report keywords --by region -f csv -f html -o reports/keywords-{date}.{ext}
    """
    from analysis.reports import describe_filters, keyword_report, resolve_terms
    from app import service
    from app.render.report_formats import BINARY_FORMATS, render_report, write_report

    formats = list(dict.fromkeys(formats))
    if not formats:
        suffix = Path(out).suffix.lstrip(".").lower() if out else ""
        formats = [suffix if suffix in REPORT_FORMAT_CHOICES else "csv"]
    if not out and (len(formats) > 1 or set(formats) & BINARY_FORMATS):
        raise click.UsageError("give --out for xlsx or for several formats")
    criteria = {"region": region, "country": country, "doc_type": doc_type, "language": language, "year": year,
                "doc_id": doc_id, "tag": tag}
    index = require_passages(service.open_index(load_settings()))
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


@click.command()
@click.argument("query")
@click.option("--window", "-w", type=click.IntRange(1, 100), default=8, show_default=True, help="Words of context on each side.")
@filter_options
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many lines.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "csv", "json", "md", "html")), default="text",
              show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
def kwic(query, window, region, country, doc_type, language, year, doc_id, tag, limit, fmt, out) -> None:
    """Keyword in context: every mention of QUERY with its document, page and region.

    QUERY is a concept id (all the lexicon's variants and languages, e.g. support.living_lab) or a
    free phrase ("test bed": case and accents ignored, "test-bed" and "testbed" too, plural of the
    last word included; "wurttemberg" finds "Württemberg"). Lines are
    sorted by document and page.
    """
    from analysis.reports import kwic as find_kwic
    from analysis.reports import resolve_terms
    from app import service
    from app.render.report_formats import render_kwic

    index = require_passages(service.open_index(load_settings()))
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
