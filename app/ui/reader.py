"""Read page: a document page by page (for PDFs the page image with the cited sentence marked), or
section by section for a text file without page breaks; a page number to jump to, and a search
inside the document whose hits (with their pages) open where they are.

Open page from a citation shows the cited page (a page-less document: the cited section, from its
headings, nlp/structure.py, so the section starts at the top) with the cited sentence highlighted
in the page text, and a small script scrolls the browser to it (``scroll_to_cited``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from analysis.library import library_rows
from app.render.safe import label, marked, md
from app.service import Asker
from ingest.page_image import render_pdf_page
from nlp.structure import Section, section_at, sections
from qa.citations import region_label

TEXT_KEY = "reader_text"  # the container of the page text (its CSS class is st-key-reader_text)
MAX_HITS = 50  # search hits listed at most
SNIPPET_CHARS = 60  # characters of context either side of a hit


@dataclass(frozen=True)
class Hit:
    page: int
    offset: int  # in the page's cleaned text
    match: str  # the matched text as it stands in the page
    snippet: str


def search_document(pages: dict[int, str], query: str, most: int = MAX_HITS) -> list[Hit]:
    """Where ``query`` occurs in a document's pages (case-insensitive, any run of spaces), in page
    order, with a snippet of context."""
    words = query.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.I)
    hits: list[Hit] = []
    for page in sorted(pages):
        text = pages[page] or ""
        for m in pattern.finditer(text):
            lo, hi = max(0, m.start() - SNIPPET_CHARS), min(len(text), m.end() + SNIPPET_CHARS)
            snippet = ("…" if lo else "") + " ".join(text[lo:hi].split()) + ("…" if hi < len(text) else "")
            hits.append(Hit(page, m.start(), m.group(), snippet))
            if len(hits) >= most:
                return hits
    return hits


def is_pageless(row: dict) -> bool:
    """A text file without page breaks: read by sections instead of pages."""
    return row.get("file_kind") == "text" and int(row.get("pages") or 1) <= 1


def scroll_to_cited() -> None:
    """Scroll the browser to the marked sentence in the page text: a one-pixel ``st.iframe`` whose
    script runs in a same-origin iframe and scrolls its parent to the highlight inside the
    ``TEXT_KEY`` container, retrying while Streamlit is still drawing."""
    st.iframe(
        "<script>let n = 0; const go = () => { const el = window.parent.document.querySelector("
        f"'.st-key-{TEXT_KEY} span.stMarkdownColoredBackground'); if (el) {{ el.scrollIntoView({{block: 'center'}}); }}"
        " else if (n++ < 50) { setTimeout(go, 100); } }; go();</script>", height=1)


def render(asker: Asker) -> None:
    rows = {r["doc_id"]: r for r in library_rows(asker.index) if r["status"] == "ingested"}
    if not rows:
        st.warning("No documents are indexed yet.")
        return
    state = st.session_state.setdefault("reader", {"doc_id": next(iter(rows)), "page": 1, "highlight": ""})
    ids = list(rows)
    if state["doc_id"] not in rows:
        state.update(doc_id=ids[0], page=1, highlight="", offset=None, section=None)
    st.session_state["reader_doc"] = state["doc_id"]  # the reader state (Open page, a hit) decides
    doc_id = st.selectbox("Document", ids, format_func=lambda d: rows[d]["title"], key="reader_doc",
                          on_change=_pick_document)
    row = rows[doc_id]
    st.header(md(row["title"]))
    st.caption(f"{md(row['doc_type'])} · {md(region_label(row['region']) or row['country'])} · {md(row['country'])} · "
               f"{md(row['year']) or 'year unknown'} · language {md(row['language'])} · {md(row['file'])}")
    path = Path(row["file_path"])
    if is_pageless(row):
        _sectioned(asker, doc_id, state, path)
    else:
        _paged(asker, doc_id, row, state, path)
    _search(asker, doc_id, row)


def _pick_document() -> None:
    st.session_state["reader"].update(doc_id=st.session_state["reader_doc"], page=1, highlight="", offset=None,
                                      section=None)


def _go(page: int, highlight: str = "", offset: int | None = None) -> None:
    st.session_state["reader"].update(page=int(page), highlight=highlight, offset=offset, section=None)


def _paged(asker: Asker, doc_id: str, row: dict, state: dict, path: Path) -> None:
    n_pages = max(int(row["pages"] or 1), 1)
    page = min(max(int(state["page"]), 1), n_pages)
    prev_col, jump_col, next_col, dl_col = st.columns([1, 2, 1, 2], vertical_alignment="bottom")
    prev_col.button("◀ Previous", disabled=page <= 1, on_click=_go, args=(page - 1,), key="reader_prev")
    jumped = jump_col.number_input(f"Page (of {n_pages})", min_value=1, max_value=n_pages, value=page, step=1,
                                   key=f"reader_page_{doc_id}_{page}")
    if int(jumped) != page:
        _go(int(jumped))
        st.rerun()
    next_col.button("Next ▶", disabled=page >= n_pages, on_click=_go, args=(page + 1,), key="reader_next")
    if path.exists():
        dl_col.download_button("Download original", path.read_bytes(), file_name=path.name)
    st.markdown(f"**Page {page} of {n_pages}**")
    highlight = state.get("highlight") or ""
    if highlight:
        st.info(f"Cited: “{md(highlight)}”")
    image_col, text_col = st.columns([3, 2]) if row["file_kind"] == "pdf" else (None, st.container())
    if image_col is not None and path.exists():
        with image_col:
            try:
                image, found = render_pdf_page(path, page, highlight or None)
            except Exception as exc:  # a page the renderer cannot draw: say so, show the text
                st.warning(f"Cannot draw page {page} of {md(path.name)}: {md(exc)}")
            else:
                if highlight and not found:
                    st.caption("The cited sentence could not be located on the page image; it is marked in the text.")
                st.image(image, width="stretch")
    with text_col:
        text = asker.index.page_text(doc_id, page) or ""
        with st.expander("Page text (as indexed)", expanded=True):
            _text(text, 0, highlight, state.get("offset"))


def _sectioned(asker: Asker, doc_id: str, state: dict, path: Path) -> None:
    text = asker.index.page_text(doc_id, 1) or ""
    secs = sections(text)
    offset, highlight = state.get("offset"), state.get("highlight") or ""
    chosen = state.get("section")
    if chosen is None:
        chosen = section_at(secs, int(offset)) if offset is not None else 0
    chosen = min(max(int(chosen), 0), len(secs) - 1)
    sec_col, dl_col = st.columns([4, 2], vertical_alignment="bottom")
    picked = sec_col.selectbox(f"Section ({len(secs)} sections from the document's headings; no page numbers)",
                               range(len(secs)), index=chosen, format_func=lambda i: _section_label(secs[i]),
                               key=f"reader_section_{doc_id}_{chosen}")
    if picked != chosen:
        state.update(section=picked, highlight="", offset=None)
        st.rerun()
    if path.exists():
        dl_col.download_button("Download original", path.read_bytes(), file_name=path.name)
    sec = secs[chosen]
    st.markdown(f"**§ {md(sec.path or sec.title)}** · section {chosen + 1} of {len(secs)}")
    if highlight:
        st.info(f"Cited: “{md(highlight)}”")
    _text(text[sec.start:sec.end], sec.start, highlight, offset)


def _section_label(sec: Section) -> str:
    return label(("  " * max(sec.level - 1, 0)) + sec.title)


def _text(text: str, base: int, highlight: str, offset: int | None) -> None:
    """Text (starting at ``base`` in its page), the cited sentence marked and scrolled to."""
    if not text.strip():
        st.caption("No text on this page.")
        return
    at = None if offset is None else int(offset) - base
    with st.container(key=TEXT_KEY):
        if highlight and at is not None and text[at:at + len(highlight)] == highlight:
            st.markdown(marked(text, at, at + len(highlight)))
            scroll_to_cited()
        else:
            st.markdown(md(text))


def _search(asker: Asker, doc_id: str, row: dict) -> None:
    st.divider()
    query = st.text_input("Search in this document", key=f"reader_search_{doc_id}").strip()
    if not query:
        return
    hits = search_document(asker.index.page_texts(doc_id), query)
    if not hits:
        st.caption(f"No match for “{md(query)}” in this document.")
        return
    pageless = is_pageless(row)
    secs = sections(asker.index.page_text(doc_id, 1) or "") if pageless else []
    more = " (first ones shown)" if len(hits) >= MAX_HITS else ""
    st.caption(f"{len(hits)} matches{more}; click one to open it.")
    for i, hit in enumerate(hits):
        where = f"§ {secs[section_at(secs, hit.offset)].title}" if pageless else f"p. {hit.page}"
        st.button(label(f"{where}: {hit.snippet}"), key=f"reader_hit_{i}", on_click=_open_hit,
                  args=(hit,), width="stretch")


def _open_hit(hit: Hit) -> None:
    _go(hit.page, hit.match, hit.offset)
