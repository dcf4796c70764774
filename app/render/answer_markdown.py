"""An answer as Markdown, for the Ask page's export and its display: prose sentences as prose, a
sentence that introduces a list with its items as a list, the numbered citations (document,
region, page, section) and, for an answer that abstains, the nearest passages."""
from __future__ import annotations

import re

from qa.citations import page_label, region_label
from qa.types import Answer, Citation

_ITEM = re.compile(r"^\s*(?:[•●○▪■◦‣∙·*\-–—]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")


def unit_lines(text: str) -> tuple[str, list[str]]:
    """(lead-in, items) of a cited unit: a sentence ending with a colon whose following lines are
    its list items; ("", []) items for plain prose."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head = next((i for i, ln in enumerate(lines) if ln.endswith(":")), None)
    if head is None or head == len(lines) - 1:
        return " ".join(" ".join(lines).split()), []
    lead = " ".join(" ".join(lines[: head + 1]).split())
    items = [_ITEM.sub("", ln) for ln in lines[head + 1:]]
    return lead, [i for i in items if i]


def cited_text(answer: Answer, c: Citation) -> str:
    """The cited unit as written in its passage (line breaks kept), or the sentence."""
    for p in answer.passages:
        if p.id == c.passage_id and p.content:
            return p.content[c.span[0]:c.span[1]]
    return c.sentence


def citation_line(answer: Answer, c: Citation) -> str:
    meta = next((p.meta for p in answer.passages if p.id == c.passage_id), {})
    where = page_label(meta, c.page, section=c.section)
    return f"[{c.n}] {c.title} — {region_label(c.region) or c.country}, {where} ({c.doc_id})"


def answer_markdown(answer: Answer) -> str:
    """The whole answer as a Markdown document with its citations."""
    out = [f"## {answer.question}", ""]
    if answer.data:
        out += [data_answer_text(answer.data), ""]
    if answer.answered:
        if answer.absent:
            out += [f"*{answer.absent['message']} The closest sentences it has:*", ""]
        prose: list[str] = []
        for c in answer.citations:
            lead, items = unit_lines(cited_text(answer, c))
            if items:
                if prose:
                    out += [" ".join(prose), ""]
                    prose = []
                out += [f"{lead} [{c.n}]", ""] + [f"- {i}" for i in items] + [""]
            else:
                prose.append(f"{' '.join(c.sentence.split())} [{c.n}]")
        if prose:
            out += [" ".join(prose), ""]
        out += ["### Citations", ""] + [f"- {citation_line(answer, c)}" for c in answer.citations]
    else:
        out += [answer.text, ""]
        if answer.nearest:
            out += ["### Nearest sentences", ""] + [f"- {' '.join(c.sentence.split())} — {citation_line(answer, c)}"
                                                     for c in answer.nearest]
        if answer.passages:
            out += ["", "### Nearest passages", ""]
            for rank, p in enumerate(answer.passages, start=1):
                m = p.meta
                snippet = " ".join((p.content or "").split())[:300]
                out.append(f"{rank}. **{m.get('title', '')}** ({region_label(m.get('region', ''))}, {page_label(m)}): {snippet}...")
    return "\n".join(out).rstrip() + "\n"


def data_citation_line(c: dict) -> str:
    lines = c.get("lines") or []
    where = f", CSV lines {', '.join(str(x) for x in lines[:12])}{' ...' if len(lines) > 12 else ''}" if lines else ""
    return f"[{c['n']}] {c['dataset']} — {c['file']}, {c['record']}{where}"


def data_answer_text(data: dict) -> str:
    """The data's answer (``Answer.data``) with its data citations, as plain text / Markdown lines."""
    if not data:
        return ""
    return "\n".join(["From the bundled data: " + data["text"], ""] + ["  " + data_citation_line(c) for c in data["citations"]])
