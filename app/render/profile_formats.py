"""Writing region profiles (Markdown, self-contained HTML, DOCX) and comparisons (Markdown, HTML).

All formats carry the same statements with their citation numbers and end with the list of
sources: text citations with document, page and the cited sentence; data citations with dataset,
file, record and CSV lines.
"""
from __future__ import annotations

import io
import json

from analysis.profiles import RegionProfile
from qa.citations import page_label

from .report_formats import TEMPLATES, md_cell, md_table
from .safe import code

PROFILE_FORMATS = ("md", "html", "docx", "json")


def _where(p: RegionProfile) -> dict[int, str]:
    return {c.n: page_label({"file_kind": "text" if c.file.endswith((".txt", ".md")) else "pdf"}, c.page)
            for c in p.citations}


def _refs(cites: list[str]) -> str:
    return "".join(f" [{c}]" for c in cites)


def profile_markdown(p: RegionProfile) -> str:
    r, a = p.region, p.about
    lines = [f"# {md_cell(r.name)}{f' ({md_cell(r.nuts)})' if r.nuts else ''}: region brief", "",
             f"_Generated {a['generated']} by ris3-miner from {a['passages']} passages ({a['words']:,} words); "
             f"corpus snapshot {a['snapshot']}. Numbers in brackets cite text passages (document, page), "
             "D-numbers dataset records (see Sources)._", "", "## Documents", ""]
    if p.documents:
        lines += md_table(["document", "type", "year", "language", "pages", "passages used", "note"],
                           [[d["title"], d["doc_type"], d["year"], d["language"], d["pages"],
                             f"{d['passages_used']} / {d['passages']}", d["scope"]] for d in p.documents])
    else:
        lines.append("No indexed document covers this region.")
    for s in p.sections:
        lines += ["", f"## {s.title}", ""]
        if s.note:
            lines += [f"_{s.note}_", ""]
        lines += [f"- {md_cell(st.text)}{_refs(st.cites)}" for st in s.statements]
        if s.table:
            lines.append("")
            lines += md_table(list(s.table[0]), [[f"{v:,}" if isinstance(v, (int, float)) else v for v in row.values()]
                                                  for row in s.table])
    where = _where(p)
    lines += ["", "## Sources", ""]
    for c in p.citations:
        lang = f" [{c.language}]" if c.language else ""
        lines.append(f"{c.n}. **{md_cell(c.title)}**, {where[c.n]}{lang}: “{md_cell(' '.join(c.sentence.split()))}”")
    for c in p.data_citations:
        lines.append(f"- **[{c.n}]** {md_cell(c.dataset)}, {code(c.file)}: {md_cell(c.record)}"
                     f"{f' ({c.lines_label})' if c.lines else ''}")
    return "\n".join(lines) + "\n"


def profile_html(p: RegionProfile) -> str:
    return TEMPLATES.get_template("profile.html.j2").render(p=p, where=_where(p))


def profile_docx(p: RegionProfile) -> bytes:
    """A Word brief a facilitator can edit and hand out."""
    from docx import Document as Docx
    from docx.shared import Pt

    doc = Docx()
    doc.styles["Normal"].font.size = Pt(10)
    r, a = p.region, p.about
    doc.add_heading(f"{r.name}{f' ({r.nuts})' if r.nuts else ''}: region brief", level=0)
    doc.add_paragraph(f"Generated {a['generated']} by ris3-miner from {a['passages']} passages ({a['words']:,} words); "
                      f"corpus snapshot {a['snapshot']}. Numbers in brackets cite text passages, D-numbers dataset "
                      "records (see Sources).").italic = True
    doc.add_heading("Documents", level=1)
    if p.documents:
        t = doc.add_table(rows=1, cols=5)
        t.style = "Light Grid Accent 1"
        for cell, h in zip(t.rows[0].cells, ("document", "type", "year", "pages", "passages used")):
            cell.text = h
        for d in p.documents:
            row = t.add_row().cells
            for cell, v in zip(row, (d["title"] + (f" ({d['scope']})" if d["scope"] else ""), d["doc_type"], d["year"],
                                     str(d["pages"]), f"{d['passages_used']} / {d['passages']}")):
                cell.text = str(v)
    else:
        doc.add_paragraph("No indexed document covers this region.")
    for s in p.sections:
        doc.add_heading(s.title, level=1)
        if s.note:
            doc.add_paragraph(s.note).runs[0].italic = True
        for st in s.statements:
            para = doc.add_paragraph(style="List Bullet")
            para.add_run(st.text)
            if st.cites:
                para.add_run(_refs(st.cites)).font.superscript = True
        if s.table:
            t = doc.add_table(rows=1, cols=len(s.table[0]))
            t.style = "Light Grid Accent 1"
            for cell, h in zip(t.rows[0].cells, s.table[0]):
                cell.text = h
            for row in s.table:
                for cell, v in zip(t.add_row().cells, row.values()):
                    cell.text = f"{v:,}" if isinstance(v, (int, float)) else str(v)
    doc.add_heading("Sources", level=1)
    where = _where(p)
    for c in p.citations:
        para = doc.add_paragraph()
        para.add_run(f"[{c.n}] {c.title}").bold = True
        para.add_run(f", {where[c.n]}{f' [{c.language}]' if c.language else ''}: “{' '.join(c.sentence.split())}”")
    for c in p.data_citations:
        para = doc.add_paragraph()
        para.add_run(f"[{c.n}] ").bold = True
        para.add_run(f"{c.dataset}, {c.file}: {c.record}{f' ({c.lines_label})' if c.lines else ''}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def profile_bytes(p: RegionProfile, fmt: str) -> bytes:
    if fmt == "md":
        return profile_markdown(p).encode("utf-8")
    if fmt == "html":
        return profile_html(p).encode("utf-8")
    if fmt == "docx":
        return profile_docx(p)
    if fmt == "json":
        return (json.dumps(p.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(PROFILE_FORMATS)}")


# -- comparisons ------------------------------------------------------------------------------
COMPARE_FORMATS = ("text", "md", "html", "json")


def _cite_label(c) -> str:
    where = page_label({"file_kind": "text" if c.file.endswith((".txt", ".md")) else "pdf"}, c.page)
    return f"{c.title}, {where}"


def _profile_rows(cmp) -> tuple[list[list], list[list]]:
    concepts = [[label] + [f"{col.concepts[cid][0]} ({col.concepts[cid][1]:g})" for col in cmp.columns]
                for cid, label in cmp.concept_labels.items() if any(col.concepts[cid][0] for col in cmp.columns)]
    doms = sorted({d for col in cmp.columns for d in col.domains},
                  key=lambda d: -max(col.domains.get(d, 0) for col in cmp.columns))
    domains = [[cmp.domain_labels.get(d, d)] + [f"{col.domains.get(d, 0):.0%}" for col in cmp.columns]
               for d in doms if max(col.domains.get(d, 0) for col in cmp.columns) >= 0.03]
    return concepts, domains


def compare_text(cmp) -> str:
    """For the terminal: one block per region, then the profiles side by side."""
    out = [f"Q: {cmp.question}", ""]
    for col in cmp.columns:
        r = col.region
        out.append(f"== {r.name}{f' ({r.nuts})' if r.nuts else ''}: {col.passages} passages from "
                   f"{len(r.all_doc_ids)} document(s)")
        if col.note:
            out.append(col.note)
        if col.citations:
            out.append(col.text)
        for c in col.citations:
            out.append(f"  [{c.n}] {_cite_label(c)}")
        out.append("")
    concepts, domains = _profile_rows(cmp)
    names = [c.region.name for c in cmp.columns]
    if concepts:
        out += ["Support structures: mentions (per 10,000 words)"] + _aligned(["concept"] + names, concepts) + [""]
    if domains:
        out += ["Priority domains: share of the region's text"] + _aligned(["domain"] + names, domains)
    return "\n".join(out).rstrip() + "\n"


def _aligned(header: list[str], rows: list[list]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda row: "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths)))
    return [fmt(header), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows]


def compare_markdown(cmp) -> str:
    names = [f"{c.region.name}" for c in cmp.columns]
    lines = [f"# Compare: {md_cell(cmp.question)}", "", f"_Generated {cmp.about['generated']} by ris3-miner; corpus snapshot "
             f"{cmp.about['snapshot']}. Each answer comes only from that region's passages._", ""]
    cells = [col.text for col in cmp.columns]
    lines += md_table(["", *names], [["Answer", *cells],
                                      ["Passages", *[f"{c.passages} from {len(c.region.all_doc_ids)} doc(s)" for c in cmp.columns]]])
    concepts, domains = _profile_rows(cmp)
    if concepts:
        lines += ["", "## Support structures: mentions (per 10,000 words)", ""] + md_table(["concept", *names], concepts)
    if domains:
        lines += ["", "## Priority domains: share of the region's text", ""] + md_table(["domain", *names], domains)
    lines += ["", "## Sources", ""]
    for col in cmp.columns:
        if not col.citations:
            continue
        lines += [f"**{md_cell(col.region.name)}**", ""]
        lines += [f"{c.n}. {md_cell(_cite_label(c))}: “{md_cell(' '.join(c.sentence.split()))}”" for c in col.citations]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def compare_html(cmp) -> str:
    concepts, domains = _profile_rows(cmp)
    return TEMPLATES.get_template("compare.html.j2").render(cmp=cmp, concepts=concepts, domains=domains,
                                                       cite_label=_cite_label)


def compare_bytes(cmp, fmt: str) -> bytes:
    if fmt == "text":
        return compare_text(cmp).encode("utf-8")
    if fmt == "md":
        return compare_markdown(cmp).encode("utf-8")
    if fmt == "html":
        return compare_html(cmp).encode("utf-8")
    if fmt == "json":
        return (json.dumps(cmp.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(COMPARE_FORMATS)}")
