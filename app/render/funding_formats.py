"""Writing a funding table (planned ESIF amounts summed by ``FundingData.table``): aligned text,
Markdown, CSV and JSON. Text and Markdown list the programmes first and end with the total and the
source; amounts are shown as the CSV gives them, rounded to the euro."""
from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from analysis.funding import Programme

from .report_formats import md_table

FUNDING_FORMATS = ("text", "csv", "json", "md")
AMOUNT_COLUMNS = ("eu_amount", "national_amount", "total_amount")


def funding_json(table: pd.DataFrame, programmes: Sequence[Programme], about: dict) -> str:
    return json.dumps({"about": about, "programmes": [p.to_json() for p in programmes],
                       "rows": table.to_dict(orient="records"),
                       "total_eu_amount": float(table["eu_amount"].sum())}, ensure_ascii=False, indent=2) + "\n"


def programme_lines(programmes: Sequence[Programme]) -> list[str]:
    """"Programmes:", one line each (CCI, title, scope and area), and a blank line; none: nothing."""
    if not programmes:
        return []
    return ["Programmes:"] + [f"  {p.cci}  {p.title}" + (f" ({'; '.join(x for x in (p.scope, p.area) if x)})"
                                                         if p.scope or p.area else "")
                              for p in programmes] + [""]


def funding_text(table: pd.DataFrame, programmes: Sequence[Programme], about: dict, markdown: bool = False) -> str:
    """The programmes, the table (amounts with thousands separators, without the CSV lines), the
    total EU amount and the source."""
    shown = table.drop(columns=["lines"]).copy()
    for c in AMOUNT_COLUMNS:
        shown[c] = shown[c].map(lambda v: f"{v:,.0f}")
    if markdown:
        body = "\n".join(md_table(list(shown.columns), shown.values.tolist()))
    else:
        body = shown.to_string(index=False)
    return "\n".join(programme_lines(programmes) + [
        body, "", f"Total EU amount: EUR {table['eu_amount'].sum():,.0f}",
        f"Source: {about['source']} ({about['from']}); amounts planned, EUR."]) + "\n"


def render_funding(table: pd.DataFrame, programmes: Sequence[Programme], about: dict, fmt: str) -> str:
    """``fmt``: text, md, csv (the table with its CSV lines) or json (about, programmes, rows, total)."""
    if fmt == "json":
        return funding_json(table, programmes, about)
    if fmt == "csv":
        return table.to_csv(index=False)
    if fmt in ("text", "md"):
        return funding_text(table, programmes, about, markdown=fmt == "md")
    raise ValueError(f"unknown funding format {fmt!r}; use {', '.join(FUNDING_FORMATS)}")
