"""Writing keyword reports and KWIC lines: CSV, JSON, Markdown, self-contained HTML, XLSX.

Every format carries the same rows; JSON, Markdown, HTML and XLSX (sheet "about") also say what
the report was computed on (lexicon version, corpus snapshot, filters). CSV rows carry the lexicon
version and snapshot in two columns so that dated files stay comparable.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

from jinja2 import Environment, PackageLoader

from analysis.reports import GROUP_FIELDS, KwicLine, Report

from .safe import md_text

REPORT_FORMATS = ("csv", "json", "md", "html", "xlsx")
KWIC_FORMATS = ("text", "csv", "json", "md", "html")
BINARY_FORMATS = {"xlsx"}

ROW_COLUMNS = ("group_label", "term", "label", "count", "per_10k_words", "documents", "documents_in_group",
               "share_of_documents", "words")
KWIC_COLUMNS = ("doc_id", "title", "region", "country", "doc_type", "page", "where", "left", "match", "right", "term",
                "passage_id")


def report_table(report: Report) -> list[dict]:
    """The rows as flat records: one column per grouping field, then ROW_COLUMNS."""
    return [{**dict(zip(report.by, r.group)), **{c: getattr(r, c) for c in ROW_COLUMNS}} for r in report.rows]


def report_csv(report: Report) -> str:
    out = io.StringIO()
    fields = [*report.by, *ROW_COLUMNS, "lexicon_version", "corpus_snapshot"]
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for rec in report_table(report):
        w.writerow(rec | {"lexicon_version": report.about["lexicon_version"],
                          "corpus_snapshot": report.about["snapshot"]})
    return out.getvalue()


def report_json(report: Report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"


def md_cell(value) -> str:
    """A value as Markdown text (a table cell, a quoted title or sentence): no link, image or
    HTML from document text, pipes escaped, on one line."""
    return md_text(value)


def md_table(header: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return lines


def _about_lines(report: Report) -> list[str]:
    a = report.about
    filters = ", ".join(f"{k}={v}" for k, v in a["filters"].items()) or "none"
    return [
        f"Generated {a['generated']} · lexicon {a['lexicon_version']} · corpus snapshot {a['snapshot']} "
        f"({a['documents']} documents indexed; {a['documents_counted']} counted, {a['passages']} passages, "
        f"{a['words']:,} words) · filters: {filters}",
        f"Grouped by {' × '.join(report.by)}; {a['grouping_note']}.",
    ]


def report_markdown(report: Report) -> str:
    lines = ["# Keyword frequencies", "", *map(md_cell, _about_lines(report)), ""]
    lines += ["## Counts (per 10,000 words)", ""]
    terms, groups, counts = report.matrix("count")
    _, _, rates = report.matrix("per_10k_words")
    header = ["group", *[t.label for t in terms]]
    body = [[report.group_label(g), *[f"{c} ({r:g})" for c, r in zip((row[j] for row in counts), (row[j] for row in rates))]]
            for j, g in enumerate(groups)]
    lines += md_table(header, body)
    if len(report.by) == 2:
        for t in terms:
            rows, cols, values = report.pivot(t.id)
            lines += ["", f"### {md_cell(t.label)}: {report.by[0]} × {report.by[1]} (count)", ""]
            lines += md_table([report.by[0], *cols], [[r, *["–" if v is None else v for v in vals]]
                                                        for r, vals in zip(rows, values)])
    lines += ["", "## All rows", ""]
    lines += md_table([*report.by, *ROW_COLUMNS], [list(rec.values()) for rec in report_table(report)])
    return "\n".join(lines) + "\n"


def report_xlsx(report: Report, path: Path | io.BytesIO) -> None:
    import pandas as pd

    terms, groups, counts = report.matrix("count")
    _, _, rates = report.matrix("per_10k_words")
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame(report_table(report)).to_excel(xl, sheet_name="counts", index=False)
        labels = [report.group_label(g) for g in groups]
        pd.DataFrame(counts, index=[t.label for t in terms], columns=labels).T.to_excel(xl, sheet_name="matrix (count)")
        pd.DataFrame(rates, index=[t.label for t in terms], columns=labels).T.to_excel(xl, sheet_name="matrix (per 10k)")
        examples = [{**dict(zip(report.by, g)), **{c: getattr(k, c) for c in KWIC_COLUMNS}}
                    for (g, _), lines in report.examples.items() for k in lines]
        pd.DataFrame(examples or [{c: "" for c in KWIC_COLUMNS}]).to_excel(xl, sheet_name="examples", index=False)
        about = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v) for k, v in report.about.items()}
        pd.DataFrame(list(about.items()), columns=["key", "value"]).to_excel(xl, sheet_name="about", index=False)


# Every template writes HTML: autoescape everything (document text is never markup; no |safe in them).
TEMPLATES = Environment(loader=PackageLoader("app.render", "templates"), autoescape=True)


def _heat(value: float, top: float) -> str:
    """Cell background: white to deep blue by value / top."""
    if not top or not value:
        return "#ffffff"
    a = 0.12 + 0.88 * min(value / top, 1.0)
    r, g, b = (int(255 - (255 - c) * a) for c in (31, 78, 140))
    return f"#{r:02x}{g:02x}{b:02x}"


def report_html(report: Report) -> str:
    terms, groups, counts = report.matrix("count")
    _, _, rates = report.matrix("per_10k_words")
    _, _, shares = report.matrix("share_of_documents")
    tops = [max(row, default=0.0) for row in rates]  # each term on its own scale
    cells = [[{"count": counts[i][j], "rate": rates[i][j], "share": shares[i][j], "bg": _heat(rates[i][j], tops[i]),
               "dark": bool(tops[i] and rates[i][j] / tops[i] > 0.55), "anchor": f"ex-{i}-{j}"}
              for j in range(len(groups))] for i in range(len(terms))]
    totals = report.totals()
    bar_max = max((n for _, n in totals), default=0) or 1
    group_rates = [sum(rates[i][j] for i in range(len(terms))) for j in range(len(groups))]
    group_max = max(group_rates, default=0) or 1
    pivots = []
    if len(report.by) == 2:
        for t in terms:
            rows, cols, values = report.pivot(t.id)
            pivots.append({"term": t, "rows": rows, "cols": cols, "values": values})
    examples = []
    for i, t in enumerate(terms):
        for j, g in enumerate(groups):
            lines = report.examples.get((g, t.id), [])
            if lines:
                examples.append({"anchor": f"ex-{i}-{j}", "term": t, "group": report.group_label(g),
                                 "count": counts[i][j], "lines": lines})
    html = TEMPLATES.get_template("keyword_report.html.j2").render(
        report=report, about=_about_lines(report), terms=terms, groups=[report.group_label(g) for g in groups],
        cells=cells, totals=totals, bar_max=bar_max, group_rates=list(zip([report.group_label(g) for g in groups],
                                                                          group_rates)),
        group_max=group_max, pivots=pivots, examples=examples, by=report.by,
    )
    from .maps import add_region_map  # rates by region on the NUTS map (inline SVG), when grouped by region
    return add_region_map(report, html)


def render_report(report: Report, fmt: str) -> str:
    """Text formats only (xlsx is written by ``write_report``)."""
    return {"csv": report_csv, "json": report_json, "md": report_markdown, "html": report_html}[fmt](report)


def report_bytes(report: Report, fmt: str) -> bytes:
    """A report file's content (for downloads)."""
    if fmt == "xlsx":
        buf = io.BytesIO()
        report_xlsx(report, buf)
        return buf.getvalue()
    return render_report(report, fmt).encode("utf-8")


def write_report(report: Report, fmt: str, path: Path) -> Path:
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        report_xlsx(report, path)
    else:
        path.write_text(render_report(report, fmt), encoding="utf-8")
    return path


# -- KWIC -----------------------------------------------------------------------------------------
def kwic_text(lines: Sequence[KwicLine], width: int = 60) -> str:
    """Aligned concordance: the matches line up in one column."""
    out = []
    for k in lines:
        left = k.left[-width:].rjust(width)
        out.append(f"{left}  [{k.match}]  {k.right[:width]}    — {k.doc_id}, {k.where}")
    return "\n".join(out) + ("\n" if out else "")


def kwic_csv(lines: Sequence[KwicLine]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(KWIC_COLUMNS), lineterminator="\n")
    w.writeheader()
    for k in lines:
        w.writerow({c: getattr(k, c) for c in KWIC_COLUMNS})
    return out.getvalue()


def kwic_json(lines: Sequence[KwicLine]) -> str:
    return json.dumps([k.to_json() for k in lines], ensure_ascii=False, indent=2) + "\n"


def kwic_markdown(lines: Sequence[KwicLine]) -> str:
    rows = [[k.left, f"**{k.match}**", k.right, k.doc_id, k.where] for k in lines]  # md_table escapes the cells
    return "\n".join(md_table(["left", "match", "right", "document", "page"], rows)) + "\n"


def kwic_html(lines: Sequence[KwicLine], query: str = "") -> str:
    return TEMPLATES.get_template("kwic.html.j2").render(lines=lines, query=query)


def render_kwic(lines: Sequence[KwicLine], fmt: str, query: str = "") -> str:
    if fmt not in KWIC_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(KWIC_FORMATS)}")
    if fmt == "html":
        return kwic_html(lines, query)
    return {"text": kwic_text, "csv": kwic_csv, "json": kwic_json, "md": kwic_markdown}[fmt](lines)


__all__ = ["BINARY_FORMATS", "GROUP_FIELDS", "KWIC_FORMATS", "REPORT_FORMATS", "render_kwic", "render_report",
           "report_bytes", "report_table", "write_report"]
