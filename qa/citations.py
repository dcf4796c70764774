"""Citations built in one place: a sentence of a passage becomes a ``Citation`` record here, for
answers, profiles, KWIC lines and hub mentions alike; labels for pages and regions too."""
from __future__ import annotations

from haystack import Document

from nlp.passages import section_of_span
from nlp.structure import last_heading
from nlp.text import passage_language

from .types import Citation


def cite(n: int, passage: Document, span: tuple[int, int], page: int, page_offset: int, sentence: str) -> Citation:
    """The citation numbered ``n`` of the sentence at character ``span`` of ``passage`` (on
    ``page``, at ``page_offset`` in that page's cleaned text)."""
    m = passage.meta
    return Citation(
        n=n, doc_id=m.get("doc_id", ""), title=m.get("title", ""), region=m.get("region", ""),
        country=m.get("country", ""), doc_type=m.get("doc_type", ""), page=int(page), sentence=sentence,
        passage_id=passage.id, span=(int(span[0]), int(span[1])), page_offset=int(page_offset),
        language=passage_language(m), file=m.get("file", ""), section=section_of_span(passage, int(span[0])),
    )


def renumber(c: Citation, n: int) -> Citation:
    """The same citation under another number (a profile's reference list)."""
    from dataclasses import replace

    return replace(c, n=n, span=tuple(c.span))


def region_label(region: str, most: int = 3) -> str:
    """"A; B; C; D; E" -> "A; B; C +2 more": documents such as the seed report cover ten regions."""
    parts = [r.strip() for r in (region or "").split(";") if r.strip()]
    if len(parts) <= most:
        return "; ".join(parts)
    return "; ".join(parts[:most]) + f" +{len(parts) - most} more"


def pageless(meta: dict) -> bool:
    """A text file without page breaks: its citations name sections, not pages."""
    return meta.get("file_kind") == "text" and int(meta.get("n_pages") or 1) == 1


def page_label(meta: dict, page: int | None = None, page_end: int | None = None, section: str = "") -> str:
    """"p. 12", "pp. 12-13", with ", § 4 Priority sectors" when the section is known; a text file
    without page breaks: "§ 4 Priority sectors (text file, no page numbers)". Without
    ``page``, the label of the passage ``meta`` belongs to: its pages and its first section."""
    if page is None and not section:
        section = str(meta.get("section") or "")
    heading = last_heading(section)
    if pageless(meta):
        return f"§ {heading} (text file, no page numbers)" if heading else "text file, no page numbers"
    if page is None:
        page, page_end = meta.get("page_start"), meta.get("page_end", meta.get("page_start"))
    page_end = page_end if page_end is not None else page
    where = f"p. {page}" if page_end == page else f"pp. {page}-{page_end}"
    return f"{where}, § {heading}" if heading else where


def citation_label(c: Citation, meta: dict) -> str:
    """Where a citation points: "p. 23, § 4 Priority sectors" (``meta``: its passage's)."""
    return page_label(meta, c.page, section=c.section)
