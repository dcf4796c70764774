"""Add documents: upload files with their metadata; they are ingested and join the library."""
from __future__ import annotations

import streamlit as st

from app.render.safe import md
from app.service import UPLOAD_TYPES, Asker, add_documents

from .common import get_settings

DOC_TYPES = ("ris3", "op", "op-operations", "report", "guide", "edp")


def render(asker: Asker) -> None:
    st.title("Add documents")
    st.caption("PDF, DOCX, TXT/MD or HTML. Files are stored under the index folder and indexed at once; "
               "a file that cannot be read is reported and nothing already indexed changes.")
    with st.form("upload", clear_on_submit=False):
        files = st.file_uploader("Files", type=list(UPLOAD_TYPES), accept_multiple_files=True)
        c1, c2, c3, c4 = st.columns(4)
        doc_type = c1.selectbox("Type", DOC_TYPES)
        region = c2.text_input("Region", placeholder="e.g. South Moravia")
        country = c3.text_input("Country code", placeholder="e.g. CZ", max_chars=2)
        year = c4.text_input("Year", placeholder="e.g. 2021", max_chars=4)
        submitted = st.form_submit_button("Add and index")
    if not submitted:
        return
    if not files:
        st.warning("Choose at least one file.")
        return
    if year and not year.isdigit():
        st.error(f"Year must be a number, got {md(repr(year))}.")
        return
    bar = st.progress(0.0, text="Reading files ...")

    def on_progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{stage}: {done} / {total}")

    meta = {"doc_type": doc_type, "region": region.strip(), "country": country.strip().upper(), "year": year.strip()}
    max_mb = float(st.get_option("server.maxUploadSize"))  # .streamlit/config.toml; enforced again in add_documents
    report = add_documents(get_settings(), [(f.name, f.getvalue()) for f in files], meta, on_progress,
                           max_file_mb=max_mb)
    bar.empty()
    asker.refresh()
    for o in report.outcomes:
        name = md(o.file.rsplit("/", 1)[-1])
        if o.status == "ingested":
            st.success(f"{name}: indexed, {o.pages} pages, {o.passages} passages.")
        elif o.status == "unchanged":
            st.info(f"{name}: already indexed with the same content.")
        else:
            st.error(f"{name}: {md(o.status)} — {md(o.reason)}")
