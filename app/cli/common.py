"""What the command modules share: the settings from the environment (a bad value is a one-line
error), the filter options, the empty-index guard and writing a result to a file or the terminal.
Light imports only: ``ris3 --help`` imports this module."""
from __future__ import annotations

from pathlib import Path

import click

from app.settings import Settings
from index.filters import FILTER_FIELDS

EMPTY_INDEX = "the index is empty: run 'ris3 ingest' first"

_FILTER_TEXT = {
    "region": "Only text about this region (substring, case-insensitive; comma = any of): its documents, and "
              "the passages about it of documents that cover several regions.",
    "country": "Only documents of this country code, e.g. CZ, PL, DE.",
    "doc_type": "Only this document type: ris3, op, op-operations, report, guide, edp.",
    "language": "Only documents in this language (ISO code, e.g. en, de).",
    "year": "Only documents of this year.",
    "doc_id": "Only this document (see 'ris3 status').",
    "tag": "Only passages tagged with this concept or domain id, e.g. support.living_lab, domain.health "
           "(comma = any of; 'ris3 tags' lists them).",
}
FILTER_HELP = {name: _FILTER_TEXT[name] for name in (*FILTER_FIELDS, "tag")}
"""The filter options, in order: the document fields of ``index.filters`` plus ``tag``."""


def load_settings() -> Settings:
    """The settings from the environment; a bad value is a one-line error."""
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def filter_options(fn):
    """Add --region, --country, --doc-type, --language, --year, --doc-id and --tag to a command."""
    for name in reversed(list(FILTER_HELP)):
        fn = click.option(f"--{name.replace('_', '-')}", name, default=None, help=FILTER_HELP[name])(fn)
    return fn


def require_passages(index):
    """``index`` when it holds passages; else the one-line error telling to run 'ris3 ingest'.
    Counts rows in SQLite only: no model is loaded."""
    if index.passage_count() == 0:
        raise click.ClickException(EMPTY_INDEX)
    return index


def write_or_echo(data: bytes, out: Path | None, what: str) -> None:
    """Write ``data`` to ``out`` (saying so on stderr with ``what``) or print it; DOCX needs a file."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        click.echo(f"wrote {out} ({what})", err=True)
    elif data[:2] == b"PK":
        raise click.UsageError("DOCX is binary: give --out FILE")
    else:
        click.echo(data.decode("utf-8"), nl=False)
