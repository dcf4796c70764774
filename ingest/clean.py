"""Cleaning rules the corpus needs, applied to a whole document's pages at once.

1. Unicode and whitespace normalised (NFKC: ligatures such as "ﬁ" become "fi"; no-break spaces,
   tabs and runs of spaces become one space; symbol-font bullets in the private use area and
   control characters standing where a bullet was, which print as blanks, become "•"; other
   control characters are removed).
2. Running headers and footers dropped: lines at the top or bottom of most pages (digits ignored,
   so "Page 3 of 31" repeats) and bare page numbers.
3. Words hyphenated across lines re-joined ("addi-\\ntional" -> "additional") while real compounds
   keep their hyphen ("cross-\\nborder", "Baden-\\nWürttemberg").
4. Lines inside a paragraph joined, so terms split across line breaks are one phrase
   ("Digital Innovation\\nHubs" -> "Digital Innovation Hubs"); paragraph breaks, list items and
   lines that end a sentence stay on their own line. Headings and table-of-contents lines are
   never joined to the text around them: a line with dot leaders, a run of lines ending in page
   numbers, a TOC title, a numbered heading ("3.2 Title") or a Markdown heading ("# Title") stays
   a line of its own (PDF headings found by font arrive with blank lines around them, see
   ingest/extract.py), so a sentence never runs across a heading (nlp/structure.py types them).
"""
from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page|seite|strana|pagina|página|strona|psl\.?)?\s*\d{1,4}(\s*(/|of|z|von|из)\s*\d{1,4})?$", re.I)
_BULLET = re.compile(r"^([•●○▪■□◦‣∙·\-–—*]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|[ivx]{1,4}[.)])\s", re.I)
_SENTENCE_END = re.compile(r"[.!?:;]['\"”’)]?$")
_HYPHEN_END = re.compile(r"([^\W\d_]+)-$")
_WORD_START = re.compile(r"^([^\W\d_]+)")
_EDGE_NUMBERS = re.compile(r"^[#\s|·–-]+|[#\s|·–-]+$")
_SUSPENDED = {"and", "or", "und", "oder", "to", "et", "ou", "e", "y", "i", "o", "a", "bzw", "und/oder", "as"}

_LEADERS = re.compile(r"(\.\s?){4,}|…{2,}|_{4,}")
_ENDS_WITH_PAGE = re.compile(r"\D\s\d{1,3}$")
_TOC_TITLE = re.compile(r"^(table of contents|contents|inhalt|inhaltsverzeichnis|turinys|sommaire|table des matières"
                        r"|indice|índice|spis treści|obsah|sisukord|sisällys|innehåll|inhoud|inhoudsopgave)$", re.I)
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(\.\d{1,2}){0,4}\.?|#{1,6})\s+[^\W\d_]")
HEADING_MAX_WORDS = 12  # a numbered line longer than this is a numbered paragraph, not a heading

EDGE_LINES = 3  # how many lines at each end of a page may be a running header/footer


_SYMBOL_FONT = re.compile(r"[\uf000-\uf0ff]")  # Wingdings/Symbol glyphs in the private use area: bullets
_LINE_START_CONTROL = re.compile(r"(?m)^[ \t]*[\u0080-\u009f]")  # a C1 control where a bullet stood
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SYMBOL_FONT.sub("•", text)
    text = _CONTROL.sub("", _LINE_START_CONTROL.sub("•", text))
    text = text.replace("\u00ad", "")  # soft hyphen
    lines = [_SPACES.sub(" ", ln).strip() for ln in text.split("\n")]
    return "\n".join(lines)


def running_lines(pages: list[list[str]], min_share: float = 0.4) -> set[str]:
    """Keys of lines that sit at the top or bottom of at least ``min_share`` of the pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        body = [ln for ln in lines if ln]
        edge = body[:EDGE_LINES] + body[-EDGE_LINES:]
        counts.update({_line_key(ln) for ln in edge})
    threshold = max(3, min_share * len(pages))
    # A long line at the edge of 3+ pages is a section's running header even when the section
    # is a small part of the document ("Update of the Regional Innovation Strategy ... 2030 39").
    return {key for key, n in counts.items() if key and (n >= threshold or (n >= 3 and len(key) >= 25))}


def drop_running_lines(lines: list[str], keys: set[str]) -> list[str]:
    """The page without its running headers/footers and page numbers. The only line of a page is
    kept (unless it is a bare page number): a document of one-line pages repeats its layout on
    every page, and its lines are its text, not running headers."""
    body_idx = [i for i, ln in enumerate(lines) if ln]
    if len(body_idx) == 1:
        return [] if _PAGE_NUMBER.match(lines[body_idx[0]]) else lines
    edge = set(body_idx[:EDGE_LINES] + body_idx[-EDGE_LINES:])
    out = []
    for i, ln in enumerate(lines):
        if i in edge and (_line_key(ln) in keys or _PAGE_NUMBER.match(ln)):
            continue
        out.append(ln)
    return out


def join_lines(lines: list[str], vocabulary: set[str]) -> str:
    """Join the lines of one page into paragraphs (see module doc, rules 3 and 4)."""
    out: list[str] = []
    for i, ln in enumerate(lines):
        if not ln:
            if out and out[-1] != "\n":
                out.append("\n")
            continue
        if not out or out[-1] == "\n":
            out.append(ln)
            continue
        prev = out[-1]
        m = _HYPHEN_END.search(prev)
        nxt = _WORD_START.match(ln)
        if m and nxt and len(m.group(1)) >= 2:
            head, tail = m.group(1), nxt.group(1)
            if tail.lower() in _SUSPENDED:
                out[-1] = prev + " " + ln  # suspended hyphen: "small- and medium-sized"
            elif tail[0].islower() and not _keeps_hyphen(head, tail, vocabulary):
                out[-1] = prev[:-1] + ln  # re-join a word hyphenated across lines
            else:
                out[-1] = prev + ln  # compound: "cross-" + "border", "Baden-" + "Württemberg"
            continue
        if _BULLET.match(ln) or (_SENTENCE_END.search(prev) and not ln[0].islower()) or _apart(prev, ln) \
                or _heading_before_blank(ln, lines[i + 1] if i + 1 < len(lines) else ""):
            out.append("\n")
            out.append(ln)
        else:
            out[-1] = prev + " " + ln
    return "".join(out).strip()


def _toc_entry(line: str) -> bool:
    return bool(_ENDS_WITH_PAGE.search(line)) and len(line.split()) <= 16


def _heading_before_blank(line: str, nxt: str) -> bool:
    """A short line without final punctuation followed by a blank line (or a short numbered
    heading line): a heading of a plain text file, which starts a line of its own."""
    short = len(line.split()) <= HEADING_MAX_WORDS and not _SENTENCE_END.search(line) and not line.endswith(",")
    numbered = bool(_NUMBERED_HEADING.match(line)) and len(line.split()) <= 8 and "http" not in line
    return short and (line[0].isupper() or line[0].isdigit()) and (not nxt or numbered)


def _apart(prev: str, line: str) -> bool:
    """Two lines that must not be joined: a heading or table-of-contents line and its neighbour."""
    if _LEADERS.search(prev) or _LEADERS.search(line) or _TOC_TITLE.match(prev) or _TOC_TITLE.match(line):
        return True
    if _toc_entry(prev) and _toc_entry(line):
        return True
    if line.startswith("#") and _NUMBERED_HEADING.match(line):
        return True
    return (bool(_NUMBERED_HEADING.match(prev)) and len(prev.split()) <= HEADING_MAX_WORDS
            and not _SENTENCE_END.search(prev) and line[0].isupper())


def clean_pages(raw_pages: list[str]) -> list[str]:
    """Apply all rules to the pages of one document; returns one cleaned text per page."""
    pages = [normalise(t).split("\n") for t in raw_pages]
    keys = running_lines(pages)
    dropped = [drop_running_lines(lines, keys) for lines in pages]
    emptied = sum(1 for before, after in zip(pages, dropped) if any(before) and not any(after))
    if emptied > 0.5 * sum(1 for lines in pages if any(lines)):
        # Most pages would lose all their text: the repeated lines are the content (a list of
        # one-row pages), not running headers. Only page numbers go.
        dropped = [drop_running_lines(lines, set()) for lines in pages]
    pages = dropped
    vocabulary = _document_vocabulary(pages)
    return [join_ligature_gaps(join_lines(lines, vocabulary), vocabulary) for lines in pages]


_LIGATURE_GAP = re.compile(r"\b([^\W\d_]*(?:fi|fl|ff|ffi|ffl)) ([a-z]+)\b")


def join_ligature_gaps(text: str, vocabulary: set[str]) -> str:
    """Re-join words a PDF split after a ligature ("fi nancing" -> "financing", "confi rmed")
    when the joined word is known (in this document or the English word list)."""
    known = known_words()

    def fix(m: re.Match) -> str:
        joined = m.group(1) + m.group(2)
        low = joined.lower()
        if (low in vocabulary or low in known) and m.group(2).lower() not in _SUSPENDED:
            return joined
        return m.group(0)

    return _LIGATURE_GAP.sub(fix, text)


def _keeps_hyphen(head: str, tail: str, doc_vocab: set[str]) -> bool:
    if tail.lower() in _SUSPENDED:
        return True  # "small- and medium-sized": a suspended hyphen, keep "small-" as is
    joined = (head + tail).lower()
    hyphenated = f"{head}-{tail}".lower()
    if hyphenated in doc_vocab and joined not in doc_vocab:
        return True
    if joined in doc_vocab:
        return False
    known = known_words()
    # Both halves are words of their own: a compound ("cross-border", "start-ups").
    return head.lower() in known and tail.lower() in known and len(head) > 1


def _document_vocabulary(pages: list[list[str]]) -> set[str]:
    vocab: set[str] = set()
    for lines in pages:
        for ln in lines:
            vocab.update(w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", ln))
    return vocab


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """English word forms from spacy-lookups-data (lemma lookup keys and values)."""
    try:
        import spacy_lookups_data

        path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            table = json.load(fh)
    except Exception:  # the table is an optimisation; the document vocabulary still works
        return frozenset()
    return frozenset(w.lower() for w in set(table) | set(table.values()))


def _line_key(line: str) -> str:
    """Digits become '#', and page numbers at either end are dropped, so that "Strategy 2030 39"
    on odd pages and "40 Strategy 2030" on even pages are one running header."""
    return _EDGE_NUMBERS.sub("", _DIGITS.sub("#", line.lower())).strip()
