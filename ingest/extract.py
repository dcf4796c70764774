"""Raw text out of files, page by page.

PDF pages come from pdfplumber (1-based page numbers), with three fixes the real corpus needs:
rotated characters (table headers set sideways) are dropped, pages whose words run together are
re-read with a tighter character tolerance, and two-column blocks are read column by column.
Headings are told from body text by their font (larger than the page's body text, or bold where
the body is not) and put on lines of their own, with a blank line before and after, so that
cleaning keeps them apart from the paragraph that follows (see ``heading_lines``).
DOCX pages come from Haystack's DOCXToDocument (rendered page breaks as "\\f"); TXT/MD split on
form feeds; HTML is one page of visible text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .encoding import decode_text
from .errors import IngestError

PDF_EXT = {".pdf"}
DOCX_EXT = {".docx"}
TEXT_EXT = {".txt", ".md"}
HTML_EXT = {".html", ".htm"}
SUPPORTED_EXT = PDF_EXT | DOCX_EXT | TEXT_EXT | HTML_EXT

_RUN_TOGETHER = re.compile(r"[^\W\d_]{26,}")  # 26+ letters with no space: words glued together
_DEFAULT_X_TOL = 3.0
_TIGHT_X_TOL = 1.0
_DEFAULT_Y_TOL = 3.0
_TIGHT_Y_TOL = 1.5


@dataclass(frozen=True)
class HeadingFont:
    """What makes a PDF line a heading.

    :param size_ratio: its characters are at least this much larger than the page's body text,
    :param max_words: and it has at most this many words (a bold or large paragraph is not one);
    :param bold_share: or at least this share of its characters is bold where the body is not.
    """
    size_ratio: float = 1.05
    max_words: int = 20
    bold_share: float = 0.9


HEADING_FONT = HeadingFont()
_BOLD = re.compile(r"bold|black|heavy|demi|medium", re.I)
_LINE_END_PUNCT = re.compile(r"[.,;]$")


@dataclass
class RawPage:
    number: int  # 1-based
    text: str
    encoding: str = ""  # text files: the encoding the bytes were decoded from


def pdf_page_count(path: Path) -> tuple[int, str]:
    """Number of pages and the PDF's own title (may be empty). Raises IngestError."""
    pdfplumber = _pdfplumber()
    try:
        with pdfplumber.open(path) as pdf:
            title = str((pdf.metadata or {}).get("Title") or "").strip()
            return len(pdf.pages), title
    except Exception as exc:  # pdfminer raises many types for broken files
        raise IngestError(path, _pdf_open_reason(path, exc)) from exc


def extract_pdf_pages(path: Path, first: int = 1, last: int | None = None) -> list[RawPage]:
    """Pages ``first..last`` (1-based, inclusive). A page that makes the extractor raise is
    returned empty (and so reported as having no text) rather than failing the file."""
    pdfplumber = _pdfplumber()
    out: list[RawPage] = []
    try:
        with pdfplumber.open(path) as pdf:
            last = min(last or len(pdf.pages), len(pdf.pages))
            for number in range(first, last + 1):
                page = pdf.pages[number - 1]
                try:
                    text = pdf_page_text(page)
                except Exception:  # one broken page must not cost the document
                    text = ""
                out.append(RawPage(number, text))
                page.close()
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(path, _pdf_open_reason(path, exc)) from exc
    return out


def pdf_page_text(page) -> str:
    """Text of one pdfplumber page, in reading order.

    The default tolerances are tried first; a page whose words run together is re-read with a
    tighter horizontal tolerance, and a page whose small-print lines interleave letter by letter
    (many one-letter tokens) with a tighter vertical one. The least broken reading wins.
    """
    page = page.filter(_is_upright_or_not_char)
    best = _columns_text(page, _DEFAULT_X_TOL, _DEFAULT_Y_TOL)
    score = _badness(best)
    if score == 0:
        return mark_headings(best, heading_lines(page))
    for x_tol, y_tol in ((_TIGHT_X_TOL, _DEFAULT_Y_TOL), (_DEFAULT_X_TOL, _TIGHT_Y_TOL), (_TIGHT_X_TOL, _TIGHT_Y_TOL)):
        text = _columns_text(page, x_tol, y_tol)
        s = _badness(text)
        if s < score:
            best, score = text, s
    return mark_headings(best, heading_lines(page))


def heading_lines(page, font: HeadingFont = HEADING_FONT) -> dict[str, tuple[float, bool]]:
    """Text of the page's heading lines -> their style (size, bold): lines set larger than the
    body text (the most common character size), or bold where most body text is not."""
    chars = [c for c in page.chars if c.get("text", "").strip()]
    if not chars:
        return {}
    sizes: dict[float, int] = {}
    for c in chars:
        sizes[round(c["size"], 1)] = sizes.get(round(c["size"], 1), 0) + 1
    body = max(sizes, key=sizes.get)
    body_bold = sum(1 for c in chars if _BOLD.search(c.get("fontname", ""))) > 0.5 * len(chars)
    out: dict[str, tuple[float, bool]] = {}
    for line in page.extract_text_lines(x_tolerance=_DEFAULT_X_TOL, y_tolerance=_DEFAULT_Y_TOL, return_chars=True):
        text, cs = line["text"].strip(), [c for c in line["chars"] if c.get("text", "").strip()]
        if not cs or len(text.split()) > font.max_words or sum(ch.isalpha() for ch in text) < 2:
            continue
        size = sorted(c["size"] for c in cs)[len(cs) // 2]
        bold = sum(1 for c in cs if _BOLD.search(c.get("fontname", ""))) >= font.bold_share * len(cs)
        larger = size >= body * font.size_ratio
        if (larger or (bold and not body_bold)) and not _LINE_END_PUNCT.search(text):
            out[text] = (round(size, 1), bold)
    return out


def mark_headings(text: str, headings: dict[str, tuple[float, bool]]) -> str:
    """``text`` with a blank line before and after each run of heading lines of one style."""
    if not headings:
        return text
    out: list[str] = []
    prev_style = None
    for line in text.split("\n"):
        style = headings.get(line.strip())
        if style != prev_style and out and out[-1] != "":
            out.append("")
        out.append(line)
        prev_style = style
    return "\n".join(out)


def _badness(text: str) -> float:
    tokens = text.split()
    if not tokens:
        return 0.0
    glued = len(_RUN_TOGETHER.findall(text.replace("-", "")))
    singles = sum(1 for t in tokens if len(t) == 1 and t.isalpha())
    return glued * 5 + (singles if singles > 0.2 * len(tokens) else 0)


def _is_upright_or_not_char(obj) -> bool:
    return obj.get("object_type") != "char" or obj.get("upright", True)


def _columns_text(page, x_tol: float, y_tol: float) -> str:
    split_x = column_split(page)
    if split_x is None:
        return page.extract_text(x_tolerance=x_tol, y_tolerance=y_tol) or ""
    # Group lines into full-width blocks and two-column blocks, read each block in order.
    words = page.extract_words(x_tolerance=x_tol)
    lines = _group_lines(words)
    blocks: list[tuple[bool, float, float]] = []  # (is_two_column, top, bottom)
    for line in lines:
        crosses = any(w["x0"] < split_x < w["x1"] for w in line)
        top = min(w["top"] for w in line)
        bottom = max(w["bottom"] for w in line)
        two = not crosses
        if blocks and blocks[-1][0] == two:
            blocks[-1] = (two, blocks[-1][1], bottom)
        else:
            blocks.append((two, top, bottom))
    parts: list[str] = []
    for two, top, bottom in blocks:
        top, bottom = max(0, top - 1), min(page.height, bottom + 1)
        if two:
            boxes = [(0, top, split_x, bottom), (split_x, top, page.width, bottom)]
        else:
            boxes = [(0, top, page.width, bottom)]
        for box in boxes:
            t = page.crop(box, strict=False).extract_text(x_tolerance=x_tol, y_tolerance=y_tol) or ""
            if t.strip():
                parts.append(t)
    return "\n".join(parts)


def _group_lines(words: list[dict], tol: float = 3.0) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= tol:
            lines[-1].append(w)
        else:
            lines.append([w])
    return lines


def column_split(page) -> float | None:
    """An x position in the middle of the page that most text lines do not cross, with enough
    text on both sides: the gutter of a two-column layout. None for one-column pages."""
    words = page.extract_words()
    if len(words) < 80:
        return None
    lines = _group_lines(words)
    if len(lines) < 12:
        return None
    width = page.width
    best: tuple[float, float] | None = None
    for frac in [i / 100 for i in range(35, 66)]:
        x = width * frac
        crossing = sum(1 for ln in lines if any(w["x0"] < x < w["x1"] for w in ln))
        share = crossing / len(lines)
        if best is None or share < best[0]:
            best = (share, x)
    if best is None or best[0] > 0.2:
        return None
    x = best[1]
    left = sum(1 for ln in lines if all(w["x1"] <= x for w in ln))
    right = sum(1 for ln in lines if all(w["x0"] >= x for w in ln))
    both = sum(1 for ln in lines if any(w["x1"] <= x for w in ln) and any(w["x0"] >= x for w in ln))
    # Real columns: each side holds a good share of the lines, and the lines are prose (several
    # words a side), not table cells, whose rows must stay together.
    if left + both < 0.3 * len(lines) or right + both < 0.3 * len(lines):
        return None
    left_len = [sum(1 for w in ln if w["x1"] <= x) for ln in lines]
    right_len = [sum(1 for w in ln if w["x0"] >= x) for ln in lines]
    if _median([n for n in left_len if n]) < 5 or _median([n for n in right_len if n]) < 5:
        return None
    return x


def _median(values: list[int]) -> float:
    values = sorted(values)
    return float(values[len(values) // 2]) if values else 0.0


def extract_docx_pages(path: Path) -> list[RawPage]:
    from haystack.components.converters import DOCXToDocument

    _refuse_docx_entities(path)
    try:
        result = DOCXToDocument().run(sources=[path])
    except Exception as exc:
        raise IngestError(path, f"cannot read DOCX ({type(exc).__name__}: {exc})") from exc
    docs = result["documents"]
    if not docs:
        raise IngestError(path, "cannot read DOCX (not a valid Word document?)")
    return [RawPage(i, t) for i, t in enumerate((docs[0].content or "").split("\f"), start=1)]


_XML_ENTITY = re.compile(rb"<!DOCTYPE|<!ENTITY|&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)[A-Za-z_][\w.-]*;")


def _refuse_docx_entities(path: Path) -> None:
    """Word never writes a DOCTYPE or a named entity: a part that declares or uses one is refused
    (an external entity could pull another file in; an undefined one cuts the paragraph short)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".xml") and (m := _XML_ENTITY.search(z.read(name))):
                    raise IngestError(path, f"the DOCX uses XML entities ({m.group().decode(errors='replace')} in "
                                            f"{name}), which Word never writes; not read")
    except zipfile.BadZipFile as exc:
        raise IngestError(path, f"cannot read DOCX (broken ZIP: {exc})") from exc


def extract_text_pages(path: Path) -> list[RawPage]:
    """Pages of a TXT/MD file (split on form feeds), decoded from its detected encoding."""
    text, encoding = decode_text(path.read_bytes(), path)
    return [RawPage(i, t, encoding) for i, t in enumerate(text.split("\f"), start=1)]


def extract_html_pages(path: Path) -> list[RawPage]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer"]):
        tag.decompose()
    for heading in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):  # a heading is a line of its own
        heading.insert_before("\n\n")
        heading.insert_after("\n\n")
    return [RawPage(1, soup.get_text("\n"))]


def sniff_kind(path: Path) -> str:
    """'pdf', 'docx', 'text' or 'html', from the extension, checked against the content."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXT:
        raise IngestError(path, f"unsupported file type {ext or '(none)'}; supported: {', '.join(sorted(SUPPORTED_EXT))}")
    if path.stat().st_size == 0:
        raise IngestError(path, "empty file")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if ext in PDF_EXT:
        if b"%PDF" not in head:
            kind = "a Word/ZIP file" if head.startswith(b"PK") else "not a PDF"
            raise IngestError(path, f"has a .pdf name but its content is {kind} (no %PDF header)")
        return "pdf"
    if ext in DOCX_EXT:
        if not head.startswith(b"PK"):
            raise IngestError(path, "has a .docx name but is not a Word (ZIP) file")
        return "docx"
    return "html" if ext in HTML_EXT else "text"


def _pdfplumber():
    import pdfplumber

    return pdfplumber


def _pdf_open_reason(path: Path, exc: Exception) -> str:
    # pdfplumber wraps pdfminer's errors (PdfminerException(PDFPasswordIncorrect())): look inside.
    inner = [exc, exc.__cause__, exc.__context__, *[a for a in exc.args if isinstance(a, BaseException)]]
    for e in inner:
        if e is not None and ("Password" in type(e).__name__ or "encrypt" in str(e).lower()
                              or "password" in str(e).lower()):
            return "encrypted PDF (a password is needed to read it)"
    wrapped = next((a for a in exc.args if isinstance(a, BaseException)), None)
    if wrapped is not None:
        exc = wrapped
    name = type(exc).__name__
    msg = str(exc)
    return f"corrupt or unreadable PDF ({name}: {msg[:120]})" if msg else f"corrupt or unreadable PDF ({name})"
