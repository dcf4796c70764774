"""``ris3 operations search|lists|extract``: the rows of the lists of funded operations (project,
beneficiary, amount, year, page), filtered and exported."""
from __future__ import annotations

from pathlib import Path

import click

from .common import load_settings, write_or_echo

FORMATS = ("text", "csv", "xlsx", "json")


def _amount(ctx, param, value: str | None) -> float | None:
    """An amount as the lists write it: 100000, 155.311,75, "€1,000,000"."""
    if value is None:
        return None
    from ingest.operations import parse_amount

    number, _ = parse_amount(value)
    if number is None:
        raise click.BadParameter(f"{value!r} is not an amount (e.g. 100000 or 155.311,75)")
    return number


@click.group()
def operations() -> None:
    """Funded operations: the rows of the lists of operations (doc type op-operations), read as
    tables at ingestion, each citing its document and page."""


@operations.command("search")
@click.argument("term", required=False)
@click.option("--beneficiary", "-b", default=None, help="Beneficiary contains this (case-insensitive).")
@click.option("--region", default=None, help="The list's region contains this (comma = any of).")
@click.option("--year", type=click.IntRange(1900, 2100), default=None,
              help="Year of approval / allocation (the start date's year where the list has no year column).")
@click.option("--min-amount", callback=_amount, default=None, help="Amount at least this (the list's currency).")
@click.option("--max-amount", callback=_amount, default=None, help="Amount at most this.")
@click.option("--doc-id", default=None, help="Only this list (comma = any of; 'ris3 operations lists').")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="xlsx needs --out.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True,
              help="Rows printed in text format (exports hold every row).")
def search(term, beneficiary, region, year, min_amount, max_amount, doc_id, fmt, out, limit) -> None:
    """Operations whose name, beneficiary, description, location or any cell contains TERM
    (case-insensitive), with the other filters; text, or CSV/XLSX/JSON to export."""
    from analysis.operations import OperationFilter, export_operations, search_operations
    from app import service

    try:
        f = OperationFilter(region=region, beneficiary=beneficiary, term=term, year=year,
                            min_amount=min_amount, max_amount=max_amount, doc_id=doc_id)
        frame = search_operations(service.open_index(load_settings()), f)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "text":
        click.echo(_text(frame, limit), nl=False)
        return
    if fmt == "xlsx" and not out:
        raise click.UsageError("XLSX is binary: give --out FILE")
    write_or_echo(export_operations(frame, fmt), out, f"{len(frame)} operations")


def _text(frame, limit: int) -> str:
    lines = []
    for r in frame.head(limit).itertuples(index=False):
        year = f" ({r.year})" if r.year is not None and str(r.year) != "<NA>" else ""
        lines.append(f"{r.beneficiary or '-'} | {r.name or '-'} | {r.amount_text or '-'}{year}  [{r.citation}]")
    more = f", first {limit} shown" if len(frame) > limit else ""
    lines.append(f"{len(frame)} operations{more}")
    return "\n".join(lines) + "\n"


@operations.command("lists")
def lists() -> None:
    """The lists of operations read: rows, pages, seconds per page and pages that failed."""
    from app import service
    from index.operations import OperationStore

    index = service.open_index(load_settings())
    store = OperationStore.for_index(index)
    titles = {d.doc_id: d.meta.get("title", d.doc_id) for d in index.documents()}
    docs = store.documents()
    if not docs:
        raise click.ClickException("no list of operations is indexed: run 'ris3 ingest' (doc type op-operations)")
    for d in docs.values():
        per_page = d.seconds / d.pages if d.pages else 0.0
        errors = f", {len(d.errors)} pages failed: {'; '.join(d.errors)}" if d.errors else ""
        click.echo(f"{d.doc_id}: {d.rows} rows from {d.pages} pages, {per_page:.2f} s a page{errors} "
                   f"({titles.get(d.doc_id, '')})")


@operations.command("extract")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--pages", default=None, help="Pages to read, e.g. 1,2,10 (default: all).")
@click.option("--format", "-f", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
def extract(pdf, pages, fmt, out) -> None:
    """Read the operation rows of PDF without indexing it (to check a list before adding it)."""
    import pandas as pd

    from ingest.operations import OperationExtractor

    try:
        numbers = [int(p) for p in pages.split(",")] if pages else None
    except ValueError as exc:
        raise click.BadParameter(f"{pages!r}: give page numbers like 1,2,10", param_hint="--pages") from exc
    try:
        result = OperationExtractor().extract(pdf, numbers)
    except Exception as exc:  # noqa: BLE001 -- pdfplumber's errors, as one line
        raise click.ClickException(f"{pdf}: cannot be read as a PDF ({' '.join(str(exc).split())})") from exc
    frame = pd.DataFrame([{"page": r.page, "row": r.row, **r.fields} for r in result.rows])
    data = frame.to_csv(index=False) if fmt == "csv" else frame.to_json(orient="records", force_ascii=False, indent=1)
    write_or_echo(data.encode("utf-8"), out, f"{len(result.rows)} rows")
    click.echo(f"{len(result.rows)} rows from {result.pages} pages in {result.seconds:.1f} s "
               f"({result.seconds_per_page:.2f} s a page){', failed: ' + '; '.join(result.errors) if result.errors else ''}",
               err=True)
