"""A PDF page as a picture, with a cited sentence's boxes drawn on it (pdfplumber renders
through pypdfium2; nothing is fetched)."""
from __future__ import annotations

import re
from pathlib import Path

_FILL = (255, 200, 0, 80)
_STROKE = (225, 110, 0)
_GAP = r"[\s\-\u00ad]*"  # the PDF may break a line, hyphenate or space differently
_LIGATURES = {"fi": "(?:fi|ﬁ)", "fl": "(?:fl|ﬂ)", "ff": "(?:ff|ﬀ)"}


def _pattern(words: list[str]) -> str:
    chars = "".join(words)
    out, i = [], 0
    while i < len(chars):
        pair = chars[i:i + 2]
        if pair in _LIGATURES:
            out.append(_LIGATURES[pair])
            i += 2
        else:
            out.append(re.escape(chars[i]))
            i += 1
    return _GAP.join(out)


def sentence_boxes(page, sentence: str) -> list[tuple[float, float, float, float]]:
    """Line boxes (x0, top, x1, bottom) covering ``sentence`` on a pdfplumber page. The whole
    sentence is looked for first; where the PDF's text order differs (columns, tables), its first
    and last eight words are looked for separately. Empty when it cannot be found."""
    from ingest.extract import column_split

    words = sentence.split()
    if not words:
        return []
    regions = [page]
    split_x = column_split(page)
    if split_x is not None:  # search each column on its own: the page's text order interleaves them
        regions += [page.crop((0, 0, split_x, page.height)), page.crop((split_x, 0, page.width, page.height))]
    for region in regions:
        if found := _find(region, words):
            return _line_boxes(found[0]["chars"])
    boxes: list[tuple[float, float, float, float]] = []
    if len(words) > 16:
        for chunk in (words[:8], words[-8:]):
            for region in regions:
                if found := _find(region, chunk):
                    boxes.extend(_line_boxes(found[0]["chars"]))
                    break
    return boxes


def _find(region, words: list[str]) -> list[dict]:
    try:
        return region.search(_pattern(words), regex=True, case=False, return_chars=True)
    except Exception:  # a pattern pdfplumber cannot run must not break the page view
        return []


def _line_boxes(chars: list[dict]) -> list[tuple[float, float, float, float]]:
    lines: dict[int, list[dict]] = {}
    for c in chars:
        lines.setdefault(round(c["top"]), []).append(c)
    return [(min(c["x0"] for c in cs) - 1, min(c["top"] for c in cs) - 1,
             max(c["x1"] for c in cs) + 1, max(c["bottom"] for c in cs) + 1) for cs in lines.values()]


MAX_SIDE_PX = 2400  # longest side of a drawn page: an A4 page at 100 dpi is 1,169 px
MAX_PIXELS = 4_000_000  # and at most this many pixels (~16 MB as RGBA), whatever the page box says


def render_resolution(width_pt: float, height_pt: float, resolution: int = 100) -> float:
    """The resolution (dpi) to draw a page of this size at: ``resolution``, lowered so that the
    image keeps within MAX_SIDE_PX and MAX_PIXELS (a crafted 14,400 pt page would otherwise be a
    20,000 px square of several GB)."""
    w_in, h_in = max(width_pt, 1.0) / 72, max(height_pt, 1.0) / 72
    dpi = min(float(resolution), MAX_SIDE_PX / max(w_in, h_in), (MAX_PIXELS / (w_in * h_in)) ** 0.5)
    return max(dpi, 1e-3)


def render_pdf_page(path: str | Path, page_number: int, highlight: str | None = None, resolution: int = 100):
    """(PIL image of the page, whether the highlight was found). Raises ValueError for a page
    that does not exist. The image is bounded in size (``render_resolution``)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        if not 1 <= page_number <= len(pdf.pages):
            raise ValueError(f"{path}: no page {page_number} (the document has {len(pdf.pages)})")
        page = pdf.pages[page_number - 1]
        image = page.to_image(resolution=render_resolution(float(page.width), float(page.height), resolution))
        boxes = sentence_boxes(page, highlight) if highlight else []
        if boxes:
            image.draw_rects(boxes, fill=_FILL, stroke=_STROKE, stroke_width=2)
        return image.annotated.convert("RGB"), bool(boxes)
