"""Compare page: one question answered from each region's own passages, side by side, with the
regions' support-structure rates and priority-domain shares (as ``ris3 compare`` gives them)."""
from __future__ import annotations

import re
from datetime import date

import streamlit as st

from analysis.compare import MAX_REGIONS, Comparison, compare
from app.render.profile_formats import compare_bytes
from app.render.safe import label, md
from app.service import Asker

from .common import (
    get_settings,
    index_key,
    open_reader,
    region_choices,
    where_cited,
)

FORMATS = {"md": ("Markdown", "text/markdown"), "html": ("HTML", "text/html"), "json": ("JSON", "application/json")}
EXAMPLE = "What role do clusters play?"


def render(asker: Asker) -> None:
    st.title("Compare regions")
    st.caption("The same question answered from each region's passages only (in a report covering several regions, "
               "only its passages about the region), with each region's profile below.")
    try:
        names = region_choices(asker, index_key(asker))
    except FileNotFoundError as exc:
        st.error(md(exc))
        return
    with st.form("compare_form", border=False):
        question = st.text_input("Question", key="compare_question", placeholder=f"e.g. {EXAMPLE}")
        c2, c3 = st.columns([6, 1], vertical_alignment="bottom")
        regions = c2.multiselect(f"Regions (up to {MAX_REGIONS})", names, key="compare_regions",
                                 max_selections=MAX_REGIONS, placeholder="Choose two or more regions")
        run = c3.form_submit_button("Compare", type="primary", width="stretch")
    if run:
        if not question.strip():
            st.error("Type a question to compare the regions on.")
            return
        if not regions:
            st.error("Choose at least one region (two or more to compare).")
            return
        try:
            with st.spinner(f"Answering from the passages of {len(regions)} regions ..."):
                result = compare(asker, get_settings().corpus, question, list(regions))
        except (ValueError, FileNotFoundError) as exc:
            st.error(md(exc))
            return
        st.session_state["compare_result"] = result
    result: Comparison | None = st.session_state.get("compare_result")
    if result is None:
        st.info(f"Type a question, choose regions and press Compare. Try: *{EXAMPLE}*")
        return
    _show(result)


def _show(cmp: Comparison) -> None:
    st.subheader(f"“{md(cmp.question)}”")
    st.caption(f"Generated {cmp.about['generated']} · corpus snapshot {cmp.about['snapshot']}. Each column cites "
               "only its own region's text.")
    for i, (col, rc) in enumerate(zip(st.columns(len(cmp.columns), border=True), cmp.columns)):
        with col:
            r = rc.region
            st.markdown(f"#### {md(r.name)}{f' ({md(r.nuts)})' if r.nuts else ''}")
            st.caption(f"{rc.passages} passages, {rc.words:,} words, from {len(r.all_doc_ids)} document(s)")
            if rc.note:
                (st.warning if rc.citations else st.info)(md(rc.note))
            if rc.citations:
                st.markdown(_answer_markdown(rc.text))
            for c in rc.citations:
                with st.expander(f"[{c.n}] {label(c.title)} — {label(where_cited(c))}"):
                    st.markdown(f"“{md(' '.join(c.sentence.split()))}”")
                    st.button("Open page", key=f"compare-open-{i}-{c.n}", on_click=open_reader,
                              args=(c.doc_id, c.page, c.sentence, c.page_offset))
    _tables(cmp)
    _downloads(cmp)


def _answer_markdown(text: str) -> str:
    """The answer as plain text, its citation markers in bold."""
    return re.sub(r"\\\[(\d+)\\\]", r"**\\[\1\\]**", md(" ".join(text.split())))


def _tables(cmp: Comparison) -> None:
    import pandas as pd

    names = [c.region.name for c in cmp.columns]
    rates = pd.DataFrame([[cmp.concept_labels[cid]] + [col.concepts[cid][1] for col in cmp.columns]
                          for cid in cmp.concept_labels if any(col.concepts[cid][0] for col in cmp.columns)],
                         columns=["Support structure", *names])
    _table("Support structures: mentions per 10,000 words",
           "Mentions of each concept (all languages and variants) in the region's passages, per 10,000 words, "
           "so that regions with long and short documents compare fairly.",
           rates, "None of these regions' passages name a support structure of the lexicon.", names, "%.2f")
    doms = sorted({d for col in cmp.columns for d in col.domains},
                  key=lambda d: -max(col.domains.get(d, 0) for col in cmp.columns))
    shares = pd.DataFrame([[cmp.domain_labels.get(d, d)] + [100 * col.domains.get(d, 0) for col in cmp.columns]
                           for d in doms if max(col.domains.get(d, 0) for col in cmp.columns) >= 0.03],
                          columns=["Priority domain", *names])
    _table("Priority domains: share of the region's text",
           "Words of the passages tagged with each domain at ingestion, as a share of the region's words "
           "(a passage may carry several domains; domains under 3 % everywhere are left out).",
           shares, "No priority domain reaches 3 % of any of these regions' text.", names, "%.0f %%")


def _table(title: str, caption: str, frame, empty: str, names: list[str], fmt: str) -> None:
    st.subheader(title)
    st.caption(caption)
    if frame.empty:
        st.info(empty)
    else:
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={n: st.column_config.NumberColumn(format=fmt) for n in names})


def _downloads(cmp: Comparison) -> None:
    st.subheader("Download")
    stamp = date.today().isoformat()
    for col, (fmt, (name, mime)) in zip(st.columns(6), FORMATS.items()):
        col.download_button(name, compare_bytes(cmp, fmt), file_name=f"compare-{stamp}.{fmt}", mime=mime,
                            key=f"compare_dl_{fmt}", on_click="ignore", icon=":material/download:")
