"""Library page: every known file with its metadata and ingestion status."""
from __future__ import annotations

import streamlit as st

from analysis.library import library_rows
from app.render.safe import md
from app.service import Asker
from qa.citations import region_label

from .common import open_reader

COLUMNS = {"title": "Title", "doc_type": "Type", "region": "Region", "country": "Country", "language": "Language",
           "year": "Year", "pages": "Pages", "passages": "Passages", "tags": "Most mentioned", "status": "Status",
           "reason": "Reason"}

# Pixel widths that fit the main column of the wide layout at a 1440 px window with the sidebar
# open (about 1,050 px); long cells (titles, regions, reasons) wrap onto a second line.
COLUMN_WIDTHS = {"title": 220, "doc_type": 80, "region": 130, "country": 58, "language": 64, "year": 48,
                 "pages": 50, "passages": 64, "tags": 120, "status": 68, "reason": 140}
ROW_HEIGHT = 54  # two lines of text a row


def library_table(rows: list[dict]) -> tuple[list[dict], dict]:
    """The table's records (regions shortened: "A; B; C +7 more") and its column configuration."""
    records = [{label: region_label(r[key]) if key == "region" else r[key] for key, label in COLUMNS.items()}
               for r in rows]
    config = {label: st.column_config.Column(width=COLUMN_WIDTHS[key]) for key, label in COLUMNS.items()}
    return records, config


def _org_name(org_id: str) -> str:
    from app.settings import Settings
    from nlp.organisations import load_organisations

    catalogue = Settings.from_env().hub_catalogue
    names = {o.id: o.name for o in load_organisations(str(catalogue) if catalogue.exists() else None)[1]}
    return names.get(org_id, org_id)


def _top_tags(row: dict, most: int = 3) -> str:
    return ", ".join(f"{t.split('.', 1)[-1].replace('_', ' ')} {n}" for t, n in list(row["tag_counts"].items())[:most])


def render(asker: Asker) -> None:
    st.title("Library")
    rows = [{**r, "tags": _top_tags(r)} for r in library_rows(asker.index)]
    ingested = [r for r in rows if r["status"] == "ingested"]
    st.caption(f"{len(ingested)} documents indexed, {asker.index.passage_count()} passages; "
               f"{len(rows) - len(ingested)} files skipped or failed (reason shown).")
    query = st.text_input("Search titles, regions, countries, types", key="library_query").strip().lower()
    shown = [r for r in rows if not query or query in " ".join(str(r[k]) for k in COLUMNS).lower()]
    shown.sort(key=lambda r: (r["status"] != "ingested", r["doc_type"], r["title"]))
    records, config = library_table(shown)
    st.dataframe(records, hide_index=True, width="stretch", row_height=ROW_HEIGHT, column_config=config)
    readable = [r for r in shown if r["status"] == "ingested"]
    if not readable:
        return
    titles = {r["doc_id"]: r["title"] for r in readable}
    doc_id = st.selectbox("Open a document", list(titles), format_func=titles.get, key="library_doc")
    row = next(r for r in readable if r["doc_id"] == doc_id)
    meta = {k: row[k] for k in ("doc_id", "title", "doc_type", "region", "nuts", "country", "language", "year",
                                "publisher", "source", "file", "pages", "passages")}
    meta["terms mentioned"] = ", ".join(f"{t} {n}" for t, n in row["tag_counts"].items()) or "none"
    meta["organisations and hubs mentioned"] = ", ".join(
        f"{_org_name(o)} {n}" for o, n in list(row["org_counts"].items())[:15]) or "none found"
    meta["organisations named (NER, English text)"] = ", ".join(
        f"{name} {n}" for name, n in list(row["org_names"].items())[:15]) or "none found"
    meta["priority domains (share of text)"] = ", ".join(
        f"{d.split('.', 1)[-1]} {share:.0%}" for d, share in row["domain_shares"].items()) or "none found"
    if row["inferred"]:
        st.warning("This file has no manifest row: its metadata was inferred from the file.")
    st.table([{"field": k, "value": md(v)} for k, v in meta.items()])  # st.table cells are Markdown
    st.button("Read it page by page", on_click=open_reader, args=(doc_id, 1), key="library_read")
