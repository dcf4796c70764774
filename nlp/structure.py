"""Text units with structure: each line of a cleaned page is a heading, a table-of-contents line,
a list item, a table or diagram cell, or body text, and every line knows its section path (the
headings above it).

Cleaning (ingest/clean.py) keeps each paragraph on its own line, and keeps headings and
table-of-contents lines apart from the text around them: PDF headings are found by font size and
weight at extraction (ingest/extract.py puts them on lines of their own), numbered headings
("3.2 Title"), Markdown "#" headings and TOC lines by their shape. Here every line gets its unit
type from its shape and its neighbours, and a ``SectionTracker`` carries the heading path across
the pages of a document. Running titles never reach this stage: cleaning drops them.

Unit codes (one character a sentence in passage meta ``units``): ``h`` heading, ``t`` table of
contents, ``l`` list item, ``c`` table row or diagram cell, ``b`` body text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING, TOC, LIST, CELL, BODY = "h", "t", "l", "c", "b"
SECTION_SEP = " › "

_MARKDOWN = re.compile(r"^(#{1,6})\s+(\S.*)$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+\S")
_CHAPTER = re.compile(r"^(chapter|section|part|annex|appendix|kapitel|teil|anhang|skyrius|dalis|chapitre|rozdział"
                      r"|część|capitolo|capítulo|hoofdstuk|luku|kapitola|[IVX]{1,5}\.)\s", re.I)
_TOC_TITLE = re.compile(r"^(table of contents|contents|index|inhalt|inhaltsverzeichnis|turinys|sommaire|table des "
                        r"matières|indice|índice|spis treści|obsah|sisukord|sisällys|sisällysluettelo|innehåll|inhoud"
                        r"|inhoudsopgave)$", re.I)
_LEADERS = re.compile(r"(\.\s?){4,}|…{2,}|_{4,}")
_ENDS_WITH_PAGE = re.compile(r"\D\s\d{1,3}$")
_BULLET = re.compile(r"^([•●○▪■□◦‣∙·\-–—*✓➢►]|\(?[a-z][.)]|[ivx]{1,4}[.)])\s", re.I)
_FINAL_PUNCT = re.compile(r"[.!?:;,]['\"”’)]?$")
_CAPTION = re.compile(r"^(figure|fig\.|table|chart|graph|diagram|source|map|box|abbildung|tabelle|quelle|pav\.|lentelė"
                      r"|šaltinis|rysunek|tabela|źródło|tableau|figura|tabella|fonte|fuente|tabel|figuur|bron)\s*\d*[.:]?\s", re.I)
_URL = re.compile(r"https?://|www\.")
_INNER_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z]")
_NUMBER = re.compile(r"^[(\-–+]?[\d.,%€$£]+[)%]?$")


@dataclass(frozen=True)
class StructureSettings:
    """Knobs of the line typing.

    :param heading_words: a heading has at most this many words (all-caps headings twice as many).
    :param body_words: a line of at least this many words after a heading candidate is body text,
        which makes the candidate a heading rather than a diagram cell.
    :param cell_words: a short line without final punctuation and no body text after it is a cell.
    :param table_numbers: a line whose tokens are at least this share numbers is a table row.
    """
    heading_words: int = 14
    body_words: int = 8
    cell_words: int = 6
    table_numbers: float = 0.4


DEFAULT_SETTINGS = StructureSettings()


@dataclass(frozen=True)
class Line:
    start: int  # offset in the page text
    end: int
    text: str
    kind: str  # one of the unit codes
    level: int = 0  # headings: 1 = top level


@dataclass(frozen=True)
class Section:
    """A heading and the text under it, in one page's text (a page-less document has one page)."""
    title: str
    path: str
    level: int
    start: int  # offset of the heading in the page text
    end: int  # where the next heading begins (or the end of the text)


def heading_level(text: str) -> int:
    """1 for "3 Title", 2 for "3.2 Title", the number of "#"s for Markdown, 1 for "CHAPTER II";
    0 when the heading carries no level of its own."""
    if m := _MARKDOWN.match(text):
        return len(m.group(1))
    if m := _NUMBERED.match(text):
        return m.group(1).count(".") + 1
    if _CHAPTER.match(text):
        return 1
    return 0


def is_toc_line(text: str, neighbours_end_with_page: bool = False) -> bool:
    """A table-of-contents line: its title, a line with dot leaders, or one of a run of short lines
    ending in a page number."""
    text = text.strip()
    if _TOC_TITLE.match(text) or _LEADERS.search(text):
        return True
    return neighbours_end_with_page and _ends_with_page(text)


def _ends_with_page(text: str) -> bool:
    return bool(_ENDS_WITH_PAGE.search(text)) and len(text.split()) <= 16


def _is_table_row(words: list[str], settings: StructureSettings) -> bool:
    numbers = sum(1 for w in words if _NUMBER.match(w))
    return numbers >= 2 and numbers >= settings.table_numbers * len(words)


def _heading_shaped(text: str, words: list[str], settings: StructureSettings) -> bool:
    if (_FINAL_PUNCT.search(text) or _INNER_SENTENCE_END.search(text) or _URL.search(text) or _CAPTION.match(text)
            or not any(ch.isalpha() for ch in text)):
        return False
    limit = settings.heading_words * (2 if text.upper() == text else 1)
    return len(words) <= limit and (text[0].isupper() or text[0].isdigit() or text[0] == "(")


def type_lines(text: str, settings: StructureSettings = DEFAULT_SETTINGS) -> list[Line]:
    """The non-empty lines of one cleaned page, in order, each with its unit type (heading levels
    still 0 for unnumbered headings: ``SectionTracker`` places those)."""
    spans: list[tuple[int, str]] = []
    offset = 0
    for raw in text.split("\n"):
        if raw.strip():
            lead = len(raw) - len(raw.lstrip())
            spans.append((offset + lead, raw.strip()))
        offset += len(raw) + 1
    pages_at_end = [_ends_with_page(t) for _, t in spans]
    out: list[Line] = []
    for i, (start, line) in enumerate(spans):
        words = line.split()
        near_toc = (i > 0 and pages_at_end[i - 1]) or (i + 1 < len(spans) and pages_at_end[i + 1])
        nxt = spans[i + 1][1] if i + 1 < len(spans) else ""
        kind, level = BODY, 0
        if is_toc_line(line, near_toc):
            kind = TOC
        elif _MARKDOWN.match(line):
            kind, level = HEADING, heading_level(line)
        elif _BULLET.match(line):
            kind = LIST
        elif _is_table_row(words, settings):
            kind = CELL
        elif _heading_shaped(line, words, settings):
            followed_by_body = len(nxt.split()) >= settings.body_words or bool(_FINAL_PUNCT.search(nxt))
            numbered = bool(_NUMBERED.match(line) or _CHAPTER.match(line))
            # a numbered heading may be followed by another heading; the last line of a page that
            # is not followed by text is a footnote ("1 Agrifood, Healthy Ageing, ...") or a cell
            if nxt and (followed_by_body or numbered):
                kind, level = HEADING, heading_level(line)
            elif len(words) <= settings.cell_words:
                kind = CELL
        out.append(Line(start, start + len(line), line, kind, level))
    return out


@dataclass
class SectionTracker:
    """The heading path of a document, read page by page. An unnumbered heading sits one level
    under the last numbered one (top level when none came before)."""
    stack: list[tuple[int, str]] = field(default_factory=list)
    numbered_level: int = 0

    def see(self, line: Line) -> None:
        if line.kind != HEADING:
            return
        level = line.level
        if level:
            self.numbered_level = level
        else:
            level = self.numbered_level + 1
        title = _MARKDOWN.sub(r"\2", line.text)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))

    @property
    def path(self) -> str:
        return SECTION_SEP.join(title for _, title in self.stack)

    @property
    def level(self) -> int:
        return self.stack[-1][0] if self.stack else 0


def sections(text: str, settings: StructureSettings = DEFAULT_SETTINGS) -> list[Section]:
    """The sections of one page's text, from its headings. Text before the first heading is a
    section titled "(start)"; a text without headings is one such section."""
    tracker = SectionTracker()
    heads: list[tuple[int, str, str, int]] = []
    for line in type_lines(text, settings):
        if line.kind == HEADING:
            tracker.see(line)
            heads.append((line.start, tracker.stack[-1][1], tracker.path, tracker.level))
    out: list[Section] = []
    if not heads or heads[0][0] > 0 and text[:heads[0][0]].strip():
        out.append(Section("(start)", "", 0, 0, heads[0][0] if heads else len(text)))
    for i, (start, title, path, level) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        out.append(Section(title, path, level, start, end))
    return out


def section_at(secs: list[Section], offset: int) -> int:
    """Index of the section holding character ``offset`` (0 when none does)."""
    return next((i for i, s in enumerate(secs) if s.start <= offset < s.end), 0)


def last_heading(path: str) -> str:
    """The innermost heading of a section path ("4 Priorities › 4.1 Energy" -> "4.1 Energy")."""
    return path.rsplit(SECTION_SEP, 1)[-1] if path else ""
