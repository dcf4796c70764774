"""ris3-miner web page (minimal: ask a question, read the cited answer). Thin: logic is in
app.service and app.answer, shared with the CLI."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402

from app.answer import page_label, region_label  # noqa: E402
from app.service import Asker, Filters  # noqa: E402
from app.settings import Settings  # noqa: E402

st.set_page_config(page_title="ris3-miner", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner="Loading the index and the embedding model ...")
def get_asker() -> Asker:
    asker = Asker(Settings.from_env())
    asker.warm_up()
    return asker


st.title("ris3-miner")
st.caption("Ask the smart-specialisation corpus. Answers are sentences taken from the documents, each with its source.")

asker = get_asker()
docs = [d for d in asker.index.documents() if d.status == "ingested"]
with st.sidebar:
    st.header("Filters")
    regions = sorted({r.strip() for d in docs for r in d.meta.get("region", "").split(";") if r.strip()})
    region = st.selectbox("Region", [""] + regions, format_func=lambda r: r or "All regions")
    doc_type = st.selectbox("Document type", [""] + sorted({d.meta.get("doc_type", "") for d in docs} - {""}),
                            format_func=lambda t: t or "All types")
    st.caption(f"{len(docs)} documents, {asker.index.passage_count()} passages indexed")

question = st.chat_input("e.g. How does DIGIMAT relate to the South Moravian RIS3?")
if question:
    with st.chat_message("user"):
        st.write(question)
    with st.chat_message("assistant"):
        with st.spinner("Searching ..."):
            try:
                answer = asker.ask(question, Filters(region=region or None, doc_type=doc_type or None))
            except ValueError as exc:
                st.error(str(exc))
                st.stop()
        if answer.answered:
            st.markdown(answer.text)
        else:
            st.info(answer.text)
        metas = {p.id: p.meta for p in answer.passages}
        for c in answer.citations:
            where = page_label(metas.get(c.passage_id, {}), c.page)
            with st.expander(f"[{c.n}] {c.title} — {region_label(c.region) or c.country}, {where}"):
                st.markdown(f"> {c.sentence}")
                st.caption(f"{c.doc_type} · {c.doc_id} · {c.language}")
        st.subheader("Sources")
        for rank, p in enumerate(answer.passages, start=1):
            m = p.meta
            with st.expander(f"{rank}. {m.get('title', '')} — {region_label(m.get('region', ''))}, {page_label(m)}"):
                st.text(p.content)
                st.caption(f"{m.get('doc_type', '')} · {m.get('region', '')} · language {m.get('passage_language', '')}")
