"""The priority areas a strategy names for itself, read from its text: the list block under a
"smart specialisation(s)", "specialisation areas/priorities" or "priority areas" heading.

Two shapes of list are read, both as the converted page text keeps them (one item a line):

- numbered upper-case headings after such a heading, however far the list runs (the Lubelskie
  RIS 2030's Attachment 1: "I. QUALITY FOOD", "II. GREEN ECONOMY", ... "V. MATERIAL
  TECHNOLOGIES, INDUSTRIAL AND LOGISTIC" + "PROCESSES"), within ``AreaSettings.window`` lines;
- else the bullet items (•, ▪, ●, ) right under the heading.

Tables of contents (dot leaders, page numbers) are not lists. Each area keeps the passage and
the character span it was read from, so a profile cites it like any sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from haystack import Document

HEADING = re.compile(r"(?i)\b(smart\s+speciali[sz]ations?|speciali[sz]ation\s+(areas?|priorit(y|ies)|domains?)"
                     r"|areas\s+of\s+(smart\s+)?speciali[sz]ation|priority\s+(areas|domains))\b")
ROMAN = re.compile(r"^\s*([IVX]{1,4})\.\s+([A-ZÀ-Þ][A-ZÀ-Þ0-9 ,&/()\-–]+?)\s*$")
CAPS = re.compile(r"^\s*([A-ZÀ-Þ][A-ZÀ-Þ ,&/()\-–]+?)\s*$")
BULLET = re.compile(r"^\s*[•▪●\uf0b7\uf0a7]\s*([A-ZÀ-Þa-zà-ÿ].{2,80}?)\s*$")
LEADER = re.compile(r"\.{4,}|…{2,}|\s\d{1,3}\s*$")


@dataclass(frozen=True)
class AreaSettings:
    window: int = 400
    """Lines after a heading in which numbered upper-case headings are read as its list."""
    first_within: int = 12
    """The list's first item must come within this many lines of the heading."""
    max_heading_words: int = 14
    """A line longer than this is prose, not a heading."""
    max_item_words: int = 10
    """A bullet longer than this is prose, not an area name."""
    max_areas: int = 12
    """Most areas read for one document."""


@dataclass(frozen=True)
class StrategyArea:
    name: str  # as the strategy writes it, in sentence case when it is set in capitals
    passage: Document
    start: int  # span of the name in the passage
    end: int


def _lines(p: Document) -> list[tuple[int, str]]:
    text, out, pos = p.content or "", [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _is_heading(line: str, settings: AreaSettings) -> bool:
    return bool(HEADING.search(line)) and len(line.split()) <= settings.max_heading_words and not LEADER.search(line)


def _sentence_case(name: str) -> str:
    name = " ".join(name.replace("–", "-").split()).strip(" ,-")
    return name[:1].upper() + name[1:].lower() if name.isupper() else name


def strategy_areas(passages: list[Document], settings: AreaSettings | None = None) -> list[StrategyArea]:
    """The areas one document's passages (in passage order) name under a priority-areas heading:
    its numbered upper-case list if it has one, else the bullets under the first heading that has any."""
    settings = settings or AreaSettings()
    lines = [(p, off, line) for p in passages for off, line in _lines(p)]
    heads = [i for i, (_, _, line) in enumerate(lines) if _is_heading(line, settings)]
    for h in heads:
        numbered = _numbered(lines[h + 1:h + 1 + settings.window], settings.first_within)
        if numbered:
            return numbered[: settings.max_areas]
    for h in heads:
        bullets = _bullets(lines[h + 1:h + 1 + 2 * settings.max_areas], settings)
        if bullets:
            return bullets[: settings.max_areas]
    return []


def _numbered(lines: list[tuple[Document, int, str]], first_within: int) -> list[StrategyArea]:
    """"I. QUALITY FOOD", ... in order from I (I within ``first_within`` lines); a following
    all-capitals line of the same passage continues the name."""
    out: list[StrategyArea] = []
    expected = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
    for i, (p, off, line) in enumerate(lines):
        m = ROMAN.match(line)
        if not out and i >= first_within:
            return []
        if not m or len(out) >= len(expected) or m.group(1) != expected[len(out)] or LEADER.search(line):
            continue
        name, start, end = m.group(2), off + m.start(2), off + m.end(2)
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and nxt[0] is p and CAPS.match(nxt[2]) and not ROMAN.match(nxt[2]):
            name, end = f"{name} {nxt[2].strip()}", nxt[1] + len(nxt[2].rstrip())
        out.append(StrategyArea(_sentence_case(name), p, start, end))
    return out if len(out) >= 2 else []


def _bullets(lines: list[tuple[Document, int, str]], settings: AreaSettings) -> list[StrategyArea]:
    """Bullet items right under the heading (blank lines allowed), up to the first other line."""
    out: list[StrategyArea] = []
    for p, off, line in lines:
        if not line.strip():
            continue
        m = BULLET.match(line)
        if not m or LEADER.search(line) or len(m.group(1).split()) > settings.max_item_words:
            if out:
                break
            continue
        out.append(StrategyArea(_sentence_case(m.group(1)).rstrip(".;,"), p, off + m.start(1), off + m.end(1)))
    return out if len(out) >= 2 else []
