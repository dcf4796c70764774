"""Lists of funded operations (doc type ``op-operations``) as table rows.

pdfplumber finds each page's tables (``page.find_tables``) with the first strategy of
``OperationTableSettings.strategies`` that yields a table: ruled cells ("lines", which also uses
the edges of filled rectangles, as the bundled lists draw their grids), then text alignment
("text"). Each table's header is mapped to common fields (``FIELD_PATTERNS``: English and German
names, e.g. "Name des Begünstigten" -> beneficiary, "Bezeichnung des Vorhabens" -> name); amounts
such as "155.311,75 €", "€15,524,474.00" or "£141,500" are parsed to numbers.

Pages and their headers:
- The rows above the first row holding an amount are the header (a title row spanning the table is
  left out). A header repeated on every page is recognised on every page; a page without one
  (Malta p. 3, Scotland p. 14) uses the last header seen, when its table has as many columns.
- A row without an amount continues the row before it: the lines of one operation drawn as
  separate table rows (Scotland p. 10), or, first on a page, the last row of the page before.
  Its cells are appended to that row's. A row split so that both halves hold an amount cannot
  be told from two rows and stays two rows; an operation listed without any amount is joined to
  the one before (none of the bundled lists has one).
- A page that fails is logged and counted in ``ExtractionResult.errors``; the others go on.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

log = logging.getLogger(__name__)

DOC_TYPE = "op-operations"

# Field -> header patterns (lower case, searched in the header text). Order matters: the first field
# whose pattern matches a column wins, so the specific names come before the general ones.
FIELD_PATTERNS: dict[str, tuple[str, ...]] = {
    "dates": (r"start and end", r"beginn und ende", r"laufzeit"),
    "start_date": (r"start date", r"operation start", r"beginn", r"projektbeginn"),
    "end_date": (r"end date", r"operation end", r"ende", r"projektende"),
    "year": (r"\byear\b", r"\bjahr\b"),
    "rate": (r"co-?\s?financing", r"\brate\b", r"kofinanzierung", r"satz"),
    "paid_amount": (r"\bp\s?a\s?i\s?d\b", r"gezahlt", r"ausgezahlt"),
    "total_amount": (r"total eligible", r"eligible expenditure", r"förderfähige", r"gesamtkosten"),
    "amount": (r"grant", r"amount", r"committed", r"betr[äa]g", r"zuwendung", r"bewilligt", r"€|eur\b"),
    "reference": (r"ref\b|ref\.", r"reference", r"aktenzeichen", r"kennung"),
    "priority": (r"priority", r"prioritätsachse", r"achse"),
    "category": (r"category", r"interventionskategorie", r"kategorie"),
    "location": (r"postcode", r"post code", r"location", r"postleitzahl", r"\bplz\b", r"\bort\b", r"standort"),
    "description": (r"description", r"beschreibung", r"zusammenfassung"),
    "beneficiary": (r"beneficiar", r"recipient", r"begünstigt", r"empfänger", r"zuwendungsempfänger"),
    "name": (r"name of operation", r"operation\s+name", r"bezeichnung", r"vorhaben", r"project name",
             r"\boperation\b", r"projekt"),
}
"""Header names of the common fields. Columns matching none keep their own header in ``cells``."""

MONEY_FIELDS = ("amount", "paid_amount", "total_amount")
_MONEY = re.compile(r"[€£$]?\s*\d[\d.,' ]*\s*(?:€|EUR|£|GBP)?", re.I)
_MONEY_IN_TEXT = re.compile(r"[€£$]\s*\d[\d.,]*\d|\d[\d.,]*\s*(?:€|EUR\b|£|GBP\b)", re.I)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./](\d{2}|\d{4})\b")
_CURRENCY = {"€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "$": "USD"}


@dataclass(frozen=True)
class OperationTableSettings:
    """How tables are found. ``strategies``: pdfplumber ``table_settings`` tried in order on each
    page until one finds a table with a header or data rows. ``min_columns``: tables with fewer
    columns are not operation lists (a title page's frame)."""

    strategies: tuple[dict, ...] = (
        {"vertical_strategy": "lines", "horizontal_strategy": "lines"},
        {"vertical_strategy": "text", "horizontal_strategy": "text"},
    )
    min_columns: int = 3
    header_rows: int = 6  # at most this many rows above the first data row are read as the header
    x_tolerance: float = 1.0  # gap (pt) between letters that still counts as one word; pdfplumber's 3
    # glues the tightly set words of the Malta list ("TheRESsupportscheme...")


@dataclass
class OperationRow:
    """One operation: its page and row number (1-based, among the page's data rows), the cells as
    on the page with their column headers, and the fields mapped from them."""

    page: int
    row: int
    columns: list[str]
    cells: list[str]
    fields: dict[str, Any]


@dataclass
class ExtractionResult:
    rows: list[OperationRow] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # "p. N: reason", one per failed page

    @property
    def seconds_per_page(self) -> float:
        return self.seconds / self.pages if self.pages else 0.0


# -- parsing cell values -------------------------------------------------------------------------
def clean_cell(text: str | None) -> str:
    """A cell's lines joined: "DiagnostikNet-\\nBB" -> "DiagnostikNet-BB", other breaks -> one space."""
    if not text:
        return ""
    text = re.sub(r"(?<=\w)-\n(?=\w)", "-", text)
    return " ".join(text.split())


def parse_amount(text: str) -> tuple[float | None, str]:
    """(number, currency code) of an amount as lists write it: "155.311,75 €" -> (155311.75, "EUR"),
    "€15,524,474.00" -> (15524474.0, "EUR"), "£141,500" -> (141500.0, "GBP"); (None, "") otherwise."""
    digits_text = (text or "").strip()
    if not _MONEY.fullmatch(digits_text):
        match = _MONEY_IN_TEXT.search(digits_text)  # "£27,954,825 requested"
        if not match:
            return None, ""
        digits_text = match.group(0)
    symbol = next((c for c in ("€", "£", "$") if c in digits_text), "")
    if not symbol:
        symbol = next((k for k in ("eur", "gbp") if k in digits_text.lower()), "")
    number = re.sub(r"[^\d.,]", "", digits_text)
    seps = [c for c in number if c in ".,"]
    if seps:
        last = max(number.rfind("."), number.rfind(","))
        decimal = number[last]
        if len(set(seps)) == 1 and (seps.count(decimal) > 1 or len(number) - last - 1 == 3):
            decimal = ""  # "141,500", "1.234.567": thousands only
        if decimal:
            number = number[:last].replace(".", "").replace(",", "") + "." + number[last + 1:]
        else:
            number = number.replace(".", "").replace(",", "")
    try:
        return float(number), _CURRENCY.get(symbol, "")
    except ValueError:
        return None, ""


def parse_year(text: str) -> int | None:
    """The first year in a cell ("2014 / 2015" -> 2014; "02/5/16 – 31/12/18" -> 2016)."""
    if match := _YEAR.search(text or ""):
        return int(match.group(0))
    if match := _DATE.search(text or ""):
        y = match.group(1)
        return int(y) if len(y) == 4 else 2000 + int(y)
    return None


def map_header(label: str) -> str | None:
    """The common field a column header names, or None."""
    low = " ".join(label.lower().split())
    for name, patterns in FIELD_PATTERNS.items():
        if any(re.search(p, low) for p in patterns):
            return name
    return None


def map_fields(columns: list[str], cells: list[str], mapping: list[str | None]) -> dict[str, Any]:
    """The fields of one row: text fields as on the page, amounts parsed (``amount_text`` keeps
    the page's spelling), ``year`` from the year column or the start date."""
    out: dict[str, Any] = {}
    for name, text in zip(mapping, cells):
        if not name or not text:
            continue
        if name == "dates":
            parts = re.split(r"\s*[–—-]\s*", text, maxsplit=1)
            out.setdefault("start_date", parts[0])
            if len(parts) > 1:
                out.setdefault("end_date", parts[1])
        elif name in MONEY_FIELDS:
            value, currency = parse_amount(text)
            out.setdefault(f"{name}_text", text)
            if value is not None:
                out.setdefault(name, value)
                if currency:
                    out.setdefault("currency", currency)
        else:
            out.setdefault(name, text)
    year = parse_year(str(out.get("year") or out.get("start_date") or ""))
    out["year"] = year
    return out


# -- tables -----------------------------------------------------------------------------------------
def _groups(rows: list[list[str | None]]) -> list[int]:
    """Start index of each column: the most common pattern of filled (non-None) cells among the
    rows, so that header cells spread over merged sub-columns join their data column."""
    patterns: dict[tuple[int, ...], int] = {}
    for r in rows:
        starts = tuple(i for i, c in enumerate(r) if c is not None)
        if sum(1 for c in r if c) >= 2:
            patterns[starts] = patterns.get(starts, 0) + 1
    return list(max(patterns, key=patterns.get)) if patterns else []


def _regroup(row: list[str | None], starts: list[int]) -> list[str]:
    bounds = [*starts[1:], len(row)]
    return [" ".join(t for t in (clean_cell(c) for c in row[a:b]) if t) for a, b in zip(starts, bounds)]


def _has_money(cells: list[str]) -> bool:
    return any(parse_amount(c)[0] is not None and re.search(r"[€£$]|eur|gbp", c, re.I) for c in cells)


@dataclass
class _Header:
    columns: list[str]
    mapping: list[str | None]


def _header(rows: list[list[str]]) -> _Header | None:
    """The column labels of the header rows (a row with a single filled cell is a title, left
    out), mapped bottom-up: the lowest header cell that names a field decides, else all joined."""
    rows = [r for r in rows if sum(1 for c in r if c) > 1]
    if not rows:
        return None
    width = len(rows[0])
    columns, mapping = [], []
    for i in range(width):
        parts = [r[i] for r in rows if i < len(r) and r[i]]
        label = " ".join(parts)
        columns.append(label)
        mapping.append(map_header(label) or next((m for m in (map_header(p) for p in reversed(parts)) if m), None))
    if sum(1 for m in mapping if m) < 2:
        return None
    return _Header(columns, mapping)


class OperationExtractor:
    """Rows of a list of operations, page by page. Cheap to create; pdfplumber loads on use.

    ``workers`` > 1: pdfplumber's table finding, the costly part (about 0.6 s a page of the
    263-page Brandenburg list), runs in that many processes for a list of at least
    ``PARALLEL_PAGES`` pages; headers and rows continued across pages are then read in page order
    in this process, so the rows are the same as with one process."""

    def __init__(self, settings: OperationTableSettings | None = None, workers: int = 0):
        self.settings = settings or OperationTableSettings()
        self.workers = workers

    def extract(self, path: Path, pages: list[int] | None = None) -> ExtractionResult:
        """Rows of the PDF at ``path`` (``pages``: 1-based page numbers, default all)."""
        import pdfplumber

        result = ExtractionResult()
        header: _Header | None = None
        with pdfplumber.open(path) as pdf:
            numbers = pages or list(range(1, len(pdf.pages) + 1))
            if numbers and numbers[0] > 1:
                header = self._header_before(pdf, numbers[0])
            started = time.perf_counter()
            for number, tables in self._page_tables(path, pdf, numbers):
                result.pages += 1
                try:
                    if isinstance(tables, Exception):
                        raise tables
                    header = self._rows(tables, number, header, result.rows)
                except Exception as exc:  # noqa: BLE001 -- one bad page must not stop the list
                    reason = " ".join(str(exc).split()) or type(exc).__name__
                    log.warning("%s p. %d: operations table not read (%s)", path, number, reason)
                    result.errors.append(f"p. {number}: {reason}")
        result.seconds = time.perf_counter() - started
        return result

    def _page_tables(self, path: Path, pdf, numbers: list[int]) -> Iterator[tuple[int, list | Exception]]:
        """(page number, its tables or the error reading them), in page order."""
        if self.workers > 1 and len(numbers) >= PARALLEL_PAGES:
            from concurrent.futures import ProcessPoolExecutor

            chunks = [numbers[i:i + PAGES_PER_TASK] for i in range(0, len(numbers), PAGES_PER_TASK)]
            # forked as the converter's extraction workers are: a worker runs pdfplumber only
            with ProcessPoolExecutor(max_workers=self.workers) as pool:
                for found in pool.map(_tables_of_pages, [str(path)] * len(chunks), chunks,
                                      [self.settings] * len(chunks)):
                    yield from found
            return
        for number in numbers:
            yield number, _page_tables_or_error(pdf, number, self.settings)

    def _header_before(self, pdf, number: int) -> _Header | None:
        """The header in force on page ``number`` when reading starts there: the last one of the
        pages before (at most ``header_rows`` pages back)."""
        number = min(number, len(pdf.pages) + 1)
        for before in range(number - 1, max(0, number - 1 - self.settings.header_rows), -1):
            found = self._page(pdf.pages[before - 1], before, None, [])
            if found:
                return found
        return None

    def _page(self, page, number: int, header: _Header | None, out: list[OperationRow]) -> _Header | None:
        return self._rows(_tables(page, self.settings), number, header, out)

    def _rows(self, tables: list, number: int, header: _Header | None, out: list[OperationRow]) -> _Header | None:
        """The rows of one page's tables into ``out``; the header in force after the page."""
        row_number = 0
        last = out[-1] if out else None  # the row a row without an amount continues
        for table in tables:
            starts = _groups(table)
            if len(starts) < self.settings.min_columns:
                continue
            rows = [_regroup(r, starts) for r in table]
            first = next((i for i, r in enumerate(rows) if _has_money(r)), None)
            if first is None:
                continue
            cut = _header_end(rows[:first], header)
            found = _header(rows[:cut][-self.settings.header_rows:]) if cut else None
            if found:
                header = found
                body = rows[cut:]
            else:
                body = rows  # no header on this page: the one before goes on
            if header is None or len(header.columns) != len(starts):
                log.info("p. %d: a table without a known header (%d columns) left out", number, len(starts))
                continue
            for cells in body:
                if not any(cells):
                    continue
                fields = map_fields(header.columns, cells, header.mapping)
                if last is not None and not any(fields.get(k) is not None for k in MONEY_FIELDS):
                    _continue_row(last, cells, header)  # more lines of the row before (or of the page before's last)
                    continue
                if not (fields.get("beneficiary") or fields.get("name")):
                    last = None  # a total: the footnotes after it continue nothing
                    continue
                row_number += 1
                last = OperationRow(number, row_number, list(header.columns), cells, fields)
                out.append(last)
        return header


PARALLEL_PAGES = 16  # a shorter list is read in one process
PAGES_PER_TASK = 8  # pages one worker reads per task (the PDF is opened once a task)


def _tables(page, settings: OperationTableSettings) -> list[list[list[str | None]]]:
    """A page's tables (rows of cells) by the first strategy that finds any."""
    for strategy in settings.strategies:
        tables = [t.extract(x_tolerance=settings.x_tolerance) for t in page.find_tables(strategy)]
        tables = [t for t in tables if t and max(len(r) for r in t) >= settings.min_columns]
        if tables:
            return tables
    return []


def _page_tables_or_error(pdf, number: int, settings: OperationTableSettings) -> list | Exception:
    page = None
    try:
        if not 1 <= number <= len(pdf.pages):
            raise ValueError(f"no page {number} (the PDF has {len(pdf.pages)})")
        page = pdf.pages[number - 1]
        return _tables(page, settings)
    except Exception as exc:  # noqa: BLE001 -- reported with the page by the caller
        return exc
    finally:
        if page is not None:
            page.close()  # frees the page's parsed objects: a 263-page list stays small


def _tables_of_pages(path: str, numbers: list[int], settings: OperationTableSettings) -> list[tuple[int, list | Exception]]:
    """In a worker process: the tables of these pages of one PDF."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        found = [(n, _page_tables_or_error(pdf, n, settings)) for n in numbers]
    return [(n, PageError(" ".join(str(t).split()) or type(t).__name__) if isinstance(t, Exception) else t)
            for n, t in found]


class PageError(Exception):
    """A page a worker could not read, by its message (any exception pickled back as text)."""


def _header_end(rows: list[list[str]], previous: _Header | None) -> int:
    """How many of the rows above the first data row are header: as many as give the header of
    the page before again (the rows after it continue that page's last row), else all."""
    if previous:
        for end in range(1, len(rows) + 1):
            found = _header(rows[:end])
            if found and found.columns == previous.columns:
                return end
    return len(rows)


def _continue_row(row: OperationRow, cells: list[str], header: _Header) -> None:
    row.cells = [" ".join(t for t in (a, b) if t) for a, b in zip(row.cells, cells)]
    row.fields = map_fields(header.columns, row.cells, header.mapping)
