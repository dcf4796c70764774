"""Untrusted text (anything from a document or a user: passage text, sentences, titles, file names,
regions, manifest and upload metadata, hub catalogue fields, questions) made inert for where it is
shown. Streamlit parses Markdown in st.markdown, st.caption, alerts, headers, expander titles,
widget labels, tooltips and st.table cells, including its own directives (``:red[...]``,
``:blue-badge[...]``, ``:material/icon:``, emoji shortcodes) and LaTeX (``$...$``); a title
``[portal](http://evil.example)`` would become a link and ``![x](http://host/beacon.png)`` an image
the viewer's browser fetches.

- ``md(text)``: for Markdown bodies (the text reads as written; line breaks are kept);
- ``label(text)``: for widget labels, expander titles, button labels (one line);
- ``marked(text, start, end)``: ``md`` with ``text[start:end]`` highlighted;
- ``code(text)``: an inline code span that the text cannot close;
- ``link(url, text)``: a link only when ``url`` is a plain http(s) URL, else the escaped text;
- ``md_text(text)``: document text inside a Markdown *file* (a download): links, images, raw HTML,
  table pipes and line breaks made inert, the rest left readable as plain text;
- ``html(text)``: for HTML that the app writes itself (Jinja2 templates autoescape on their own).

Only the untrusted parts are escaped; the app's own markup around them (``**...**``, ``:gray[...]``)
stays markup."""
from __future__ import annotations

import html as _html
import re

# Every character Streamlit's Markdown (CommonMark + GFM + directives + math) gives a meaning to,
# escaped with a backslash (CommonMark escapes any ASCII punctuation this way).
_SPECIAL = "\\`*_[](){}<>#+-!|~$:&"
_ESCAPES = str.maketrans({ch: "\\" + ch for ch in _SPECIAL})
_ORDERED = re.compile(r"^(\d+)\.")  # "1." at the start of a line: an ordered list ("1)": ")" is escaped)
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+\Z")


def _line(line: str, at_start: bool) -> str:
    if not at_start:
        return line.translate(_ESCAPES)
    line = line.lstrip(" \t").translate(_ESCAPES)  # leading indentation would start a code block
    if line.startswith("="):  # a setext heading underline
        line = "\\" + line
    return _ORDERED.sub(r"\1\\.", line)


def _escape(text: str, at_line_start: bool = True) -> str:
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join(_line(line, at_line_start or i > 0) for i, line in enumerate(lines))


def md(text) -> str:
    """``text`` as literal text inside Streamlit Markdown: every Markdown, HTML, directive, icon and
    math character escaped, leading list/heading/code markers neutralised, newlines kept as hard
    line breaks."""
    return _escape("" if text is None else text)


def label(text) -> str:
    """``text`` for a widget label, an expander title, a button label or a tooltip: ``md`` on one
    line (labels parse Markdown too: links, images, emphasis, directives, icons)."""
    return md(" ".join(("" if text is None else str(text)).split()))


def marked(text: str, start: int, end: int) -> str:
    """Markdown of ``text`` with ``text[start:end]`` highlighted (all of it escaped)."""
    text = text or ""

    def begins_line(at: int) -> bool:
        return at <= 0 or text[at - 1] in "\r\n"

    return (_escape(text[:start]) + ":orange-background[" + _escape(text[start:end], begins_line(start))
            + "]" + _escape(text[end:], begins_line(end)))


def code(text) -> str:
    """An inline code span of ``text`` (literal inside), fenced with more backticks than it holds."""
    text = " ".join(("" if text is None else str(text)).split())
    if not text:
        return ""
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def link(url, text=None) -> str:
    """A Markdown link to ``url`` showing ``text`` (default: the URL itself), both escaped; when
    ``url`` is not a plain http(s) URL (spaces, brackets, quotes, another scheme) only the text."""
    url = ("" if url is None else str(url)).strip()
    shown = label(url if text is None else text)
    if not _URL.match(url):
        return shown
    return f"[{shown}]({url})"


def md_text(text) -> str:
    """Document text inside a Markdown file: backslash, backticks, brackets and angle brackets
    escaped (no link, image, autolink, raw HTML or code span can form), table pipes escaped, line
    breaks made spaces; everything else left as written, so that the raw file stays readable."""
    text = "" if text is None else str(text)
    for ch in "\\`[]<>|":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.splitlines())


def html(text) -> str:
    """``text`` as HTML text or attribute value (``&``, ``<``, ``>`` and quotes escaped)."""
    return _html.escape("" if text is None else str(text), quote=True)
