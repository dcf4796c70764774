"""Writing a funding table (planned ESIF amounts summed by ``FundingData.table``): aligned text,
Markdown, CSV and JSON; the spreadsheet exports (CSV, XLSX) and the chart of the Funding page.

Text and Markdown list the programmes first and end with the sums and the source. Regional
programmes and national/multi-regional programmes are summed apart and never added together
(``scope_sums``); every table row carries its programme's scope, and amounts by thematic
objective carry their fund. Amounts are shown as the CSV gives them, rounded to the euro."""
from __future__ import annotations

import io
import json
from collections.abc import Sequence

import pandas as pd

from analysis.funding import Programme, ScopeSum, scope_sums

from .report_formats import md_table

FUNDING_FORMATS = ("text", "csv", "json", "md")
AMOUNT_COLUMNS = ("eu_amount", "national_amount", "total_amount")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def funding_json(table: pd.DataFrame, programmes: Sequence[Programme], about: dict, country: bool = False) -> str:
    """``sums``: the regional and the national/multi-regional sums; ``total_eu_amount`` only when
    the selection has one of the two (else null: the two are not added up)."""
    sums = scope_sums(_with_scope(table, programmes), country=country)
    return json.dumps({"about": about, "programmes": [p.to_json() for p in programmes],
                       "rows": table.to_dict(orient="records"),
                       "sums": {s.key: s.to_json() for s in sums},
                       "total_eu_amount": sums[0].eu_amount if len(sums) == 1 else None},
                      ensure_ascii=False, indent=2) + "\n"


def programme_lines(programmes: Sequence[Programme]) -> list[str]:
    """"Programmes:", one line each (CCI, title, scope and area), and a blank line; none: nothing."""
    if not programmes:
        return []
    return ["Programmes:"] + [f"  {p.cci}  {p.title}" + (f" ({'; '.join(x for x in (p.scope, p.area) if x)})"
                                                         if p.scope or p.area else "")
                              for p in programmes] + [""]


def sum_lines(sums: Sequence[ScopeSum]) -> list[str]:
    """One line per sum: what it sums, the EU, national and total amounts; then, when there are
    two, that they are not added up. A selection of one kind only has its "Total EU amount"."""
    def amounts(s: ScopeSum) -> str:
        n = len(s.programmes)
        return (f"national EUR {s.national_amount:,.0f}; total EUR {s.total_amount:,.0f}"
                + (f" ({n} programme{'s' * (n > 1)})" if n else ""))
    if len(sums) == 1:
        s = sums[0]
        return [f"Total EU amount: EUR {s.eu_amount:,.0f} ({s.label[0].lower() + s.label[1:]}); {amounts(s)}"]
    lines = [f"{s.label}: EU amount EUR {s.eu_amount:,.0f}; {amounts(s)}" for s in sums]
    if len(sums) > 1:
        lines.append("The two sums are not added up: national and multi-regional amounts are not the region's share.")
    return lines


def _with_scope(table: pd.DataFrame, programmes: Sequence[Programme]) -> pd.DataFrame:
    """A table without a ``scope`` column gets its programmes' (by CCI), for the sums."""
    if "scope" in table.columns or "cci" not in table.columns:
        return table
    return table.assign(scope=table["cci"].map({p.cci: p.scope for p in programmes}).fillna(""))


def funding_text(table: pd.DataFrame, programmes: Sequence[Programme], about: dict, markdown: bool = False,
                 country: bool = False) -> str:
    """The programmes, the table (amounts with thousands separators, without the CSV lines), the
    regional and the national/multi-regional sums, and the source."""
    shown = table.drop(columns=["lines"]).copy()
    for c in AMOUNT_COLUMNS:
        shown[c] = shown[c].map(lambda v: f"{v:,.0f}")
    if markdown:
        body = "\n".join(md_table(list(shown.columns), shown.values.tolist()))
    else:
        body = shown.to_string(index=False)
    sums = sum_lines(scope_sums(_with_scope(table, programmes), country=country))
    return "\n".join(programme_lines(programmes) + [body, ""] + [("- " if markdown else "") + s for s in sums] + [
        f"Source: {about['source']} ({about['from']}); amounts planned, EUR."]) + "\n"


def render_funding(table: pd.DataFrame, programmes: Sequence[Programme], about: dict, fmt: str,
                   country: bool = False) -> str:
    """``fmt``: text, md, csv (the table with its CSV lines) or json (about, programmes, rows, sums).
    ``country``: the selection is a whole country (the sums' labels say so)."""
    if fmt == "json":
        return funding_json(table, programmes, about, country)
    if fmt == "csv":
        return table.to_csv(index=False)
    if fmt in ("text", "md"):
        return funding_text(table, programmes, about, markdown=fmt == "md", country=country)
    raise ValueError(f"unknown funding format {fmt!r}; use {', '.join(FUNDING_FORMATS)}")


def export_csv(table: pd.DataFrame) -> bytes:
    """The table as the Funding page downloads it (UTF-8 with BOM, so spreadsheets read accents)."""
    return table.to_csv(index=False).encode("utf-8-sig")


def export_xlsx(table: pd.DataFrame, about: dict) -> bytes:
    """The table on a sheet "amounts" (every code a text cell: "01" stays "01"), the source on "about"."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        table.to_excel(xl, sheet_name="amounts", index=False)
        pd.DataFrame(list(about.items()), columns=["key", "value"]).to_excel(xl, sheet_name="about", index=False)
    return buf.getvalue()


def funding_chart(table: pd.DataFrame, amount: str = "eu_amount"):
    """An altair bar chart of a table by thematic objective and fund: one horizontal bar per
    objective, its funds stacked and coloured."""
    import altair as alt

    frame = table.assign(objective=table["to"].replace("", "(none)") + " " + table["to_label"])
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("objective:N", title=None, sort=sorted(set(frame["objective"])),
                axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        x=alt.X(f"sum({amount}):Q", title="EUR, planned (EU amount)" if amount == "eu_amount" else "EUR, planned"),
        color=alt.Color("fund:N", title="Fund"),
        tooltip=["to", "to_label", "fund", alt.Tooltip(f"{amount}:Q", format=",.0f")],
    ).properties(height=alt.Step(24))
