"""Read page: a document page by page; for PDFs the page image with the cited sentence marked."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis.library import library_rows
from app.render.safe import marked, md
from app.service import Asker
from ingest.page_image import render_pdf_page
from qa.citations import region_label


def render(asker: Asker) -> None:
    rows = {r["doc_id"]: r for r in library_rows(asker.index) if r["status"] == "ingested"}
    if not rows:
        st.warning("No documents are indexed yet.")
        return
    state = st.session_state.setdefault("reader", {"doc_id": next(iter(rows)), "page": 1, "highlight": ""})
    ids = list(rows)
    doc_id = st.selectbox("Document", ids, index=ids.index(state["doc_id"]) if state["doc_id"] in rows else 0,
                          format_func=lambda d: rows[d]["title"], key="reader_doc")
    if doc_id != state["doc_id"]:
        state.update(doc_id=doc_id, page=1, highlight="", offset=None)
    row = rows[doc_id]
    n_pages = max(int(row["pages"] or 1), 1)
    page = min(max(int(state["page"]), 1), n_pages)
    st.header(md(row["title"]))
    st.caption(f"{md(row['doc_type'])} · {md(region_label(row['region']) or row['country'])} · {md(row['country'])} · "
               f"{md(row['year']) or 'year unknown'} · language {md(row['language'])} · {md(row['file'])}")

    prev_col, info_col, next_col, dl_col = st.columns([1, 2, 1, 2])
    if prev_col.button("◀ Previous", disabled=page <= 1):
        state.update(page=page - 1, highlight="", offset=None)
        st.rerun()
    info_col.markdown(f"**Page {page} of {n_pages}**")
    if next_col.button("Next ▶", disabled=page >= n_pages):
        state.update(page=page + 1, highlight="", offset=None)
        st.rerun()
    path = Path(row["file_path"])
    if path.exists():
        dl_col.download_button("Download original", path.read_bytes(), file_name=path.name)

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
        _page_text(asker, doc_id, page, highlight, state.get("offset"))


def _page_text(asker: Asker, doc_id: str, page: int, highlight: str, offset: int | None) -> None:
    text = asker.index.page_text(doc_id, page)
    with st.expander("Page text (as indexed)", expanded=True):
        if not text:
            st.caption("No text on this page.")
            return
        if highlight and offset is not None and text[offset:offset + len(highlight)] == highlight:
            st.markdown(marked(text, offset, offset + len(highlight)))
        else:
            st.text(text)

