"""Reports page (keyword frequencies: heatmap, bars, concordance of a cell, downloads) and the
Concordance page (keyword in context for a concept or a phrase)."""
from __future__ import annotations

from datetime import date

import streamlit as st

from analysis.reports import (
    GROUP_FIELDS,
    KwicLine,
    Report,
    default_terms,
    keyword_report,
    kwic,
    resolve_terms,
)
from app.render.report_formats import render_kwic, report_bytes
from app.render.safe import md
from app.service import Asker, Filters

from .common import open_reader

GROUP_LABELS = {"doc": "Document", "region": "Region", "country": "Country", "doc_type": "Document type",
                "language": "Language (of the passage)", "year": "Year"}
MEASURES = {"per_10k_words": "Mentions per 10,000 words", "count": "Mentions", "share_of_documents": "Share of documents"}
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "html": "text/html", "json": "application/json"}


def _concepts() -> dict[str, str]:
    from nlp.lexicon import load_lexicon

    return {c.id: c.label for c in load_lexicon()[1]}


def _resolve(asker: Asker, filters: Filters) -> dict | None:
    return asker.index.resolve_filters(**vars(filters))


@st.cache_data(show_spinner=False, max_entries=16)
def _report(_asker: Asker, key: tuple, terms: tuple[str, ...], by: tuple[str, ...], filters: Filters) -> Report:
    """Cached per parameters and index state (``key``)."""
    return keyword_report(_asker.index, resolve_terms(list(terms)), by=by, filters=_resolve(_asker, filters),
                          filter_labels={k: v for k, v in vars(filters).items() if v})


def _index_key(asker: Asker) -> tuple:
    return asker.index.folder.name, asker.index.passage_count(), asker.index.tagging_version()


def _take_chart_selection(report_groups: dict[str, tuple], term_ids: dict[str, str]) -> None:
    """A click on a heatmap cell selects that cell's concordance (before the selectboxes exist)."""
    event = st.session_state.get("report_heatmap")
    points = (event or {}).get("selection", {}).get("cell", []) if event else []
    if not points:
        return
    point = points[0]
    group, label = point.get("group"), point.get("term")
    signature = (group, label)
    if signature == st.session_state.get("report_last_click"):
        return
    st.session_state["report_last_click"] = signature
    if group in report_groups and label in term_ids:
        st.session_state["report_cell_group"] = group
        st.session_state["report_cell_term"] = term_ids[label]


HEATMAP_LABEL_ANGLE = -40  # term labels slanted so that every column keeps its label
HEATMAP_LABEL_LIMIT = 220  # pixels of a term label before it is cut with "…" (the tooltip has it whole)


def heatmap_chart(frame, report: Report, measure: str):
    """The heatmap (groups x terms, each term shaded on its own scale) with every term column
    labelled: the x domain is every term of the report, in order, and labels never drop out for
    overlap (Vega-Lite's default hides every other one when they collide)."""
    import altair as alt

    terms = [t.label for t in report.terms]
    cell = alt.selection_point(name="cell", fields=["group", "term"], on="click")
    base = alt.Chart(frame).encode(
        x=alt.X("term:N", sort=terms, scale=alt.Scale(domain=terms), title=None,
                axis=alt.Axis(labelAngle=HEATMAP_LABEL_ANGLE, labelOverlap=False, labelLimit=HEATMAP_LABEL_LIMIT,
                              labelAlign="right", orient="bottom")),
        y=alt.Y("group:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=320)),
        tooltip=["group", "term", "count", "per_10k_words", "documents", "share_of_documents"],
    )
    heat = base.mark_rect(stroke="white").encode(
        color=alt.Color("shade:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=None),
        opacity=alt.condition(cell, alt.value(1.0), alt.value(0.6)),
    ).add_params(cell)
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{measure}:Q", format=".2~f"),
        color=alt.condition(alt.datum.shade > 0.55, alt.value("white"), alt.value("#1d2733")))
    n_groups = len(report.groups)
    return (heat + labels).properties(height=28 * n_groups + 40)


def render(asker: Asker, filters: Filters) -> None:
    import altair as alt
    import pandas as pd

    st.title("Keyword frequencies")
    st.caption("How often the documents mention hubs, clusters, living labs, test labs ... — counted from the tags "
               "stored at ingestion, in every language of the lexicon. Filters in the sidebar apply.")
    concepts = _concepts()
    c1, c2, c3 = st.columns([3, 1, 1])
    chosen = c1.multiselect("Terms", list(concepts), default=[t.id for t in default_terms()], key="report_terms",
                            format_func=lambda c: concepts.get(c, c))
    phrases = c1.text_input("Also count these phrases (comma-separated)", key="report_phrases",
                            placeholder="e.g. test bed, innovation voucher")
    by1 = c2.selectbox("Group by", GROUP_FIELDS, index=GROUP_FIELDS.index("region"), key="report_by",
                       format_func=GROUP_LABELS.get)
    by2 = c2.selectbox("and by (matrix)", ("",) + GROUP_FIELDS, key="report_by2",
                       format_func=lambda f: GROUP_LABELS.get(f, "—"))
    measure = c3.radio("Show", list(MEASURES), format_func=MEASURES.get, key="report_measure")
    items = chosen + [p.strip() for p in phrases.split(",") if p.strip()]
    if not items:
        st.info("Choose at least one term.")
        return
    by = tuple(dict.fromkeys(f for f in (by1, by2) if f))
    try:
        report = _report(asker, _index_key(asker), tuple(items), by, filters)
    except ValueError as exc:
        st.error(md(exc))
        return
    a = report.about
    st.caption(f"{a['documents_counted']} documents, {a['passages']:,} passages, {a['words']:,} words · "
               f"lexicon {a['lexicon_version']} · corpus snapshot {a['snapshot']} · {a['grouping_note']}")

    frame = pd.DataFrame([{"group": r.group_label, "term": r.label, "term_id": r.term, "count": r.count,
                           "per_10k_words": r.per_10k_words, "documents": r.documents,
                           "share_of_documents": r.share_of_documents} for r in report.rows])
    top = frame.groupby("term")[measure].transform("max").replace(0, 1)
    frame["shade"] = frame[measure] / top  # each term on its own scale, as in the HTML report
    term_ids = {t.label: t.id for t in report.terms}
    groups = {report.group_label(g): g for g in report.groups}
    _take_chart_selection(groups, term_ids)

    st.subheader("Heatmap: " + MEASURES[measure].lower())
    st.caption("Shading compares groups within a term (darkest = the group that mentions it most). "
               "Click a cell to read its mentions in context below.")
    st.altair_chart(heatmap_chart(frame, report, measure), key="report_heatmap",
                    on_select="rerun", selection_mode="cell", width="stretch")

    st.subheader("Mentions per term")
    totals = pd.DataFrame([{"term": t.label, "mentions": n} for t, n in report.totals()])
    st.altair_chart(alt.Chart(totals).mark_bar().encode(
        x=alt.X("mentions:Q"), y=alt.Y("term:N", sort="-x", title=None), tooltip=["term", "mentions"]),
        width="stretch")

    from .region_map import keyword_report_map  # a term's rate by region on the NUTS map (grouped by region)
    keyword_report_map(asker, report, measure)
    _downloads(report)
    _cell_concordance(asker, report, groups, filters)


def _downloads(report: Report) -> None:
    st.subheader("Download")
    stamp = date.today().isoformat()
    for col, fmt in zip(st.columns(4), ("csv", "xlsx", "html", "json")):
        col.download_button(fmt.upper(), report_bytes(report, fmt), file_name=f"keywords-{stamp}.{fmt}",
                            mime=MIME[fmt], key=f"report_dl_{fmt}")


def _cell_concordance(asker: Asker, report: Report, groups: dict[str, tuple], filters: Filters) -> None:
    st.subheader("Mentions in context")
    terms = {t.id: t for t in report.terms}
    g_labels = list(groups)
    if st.session_state.get("report_cell_group") not in groups:
        st.session_state.pop("report_cell_group", None)
    if st.session_state.get("report_cell_term") not in terms:
        st.session_state.pop("report_cell_term", None)
    c1, c2 = st.columns(2)
    term_id = c1.selectbox("Term", list(terms), format_func=lambda t: terms[t].label, key="report_cell_term")
    group = c2.selectbox("Group", g_labels, key="report_cell_group")
    row = report.cell(groups[group], term_id)
    if not row.count:
        st.info(f"No mention of {md(terms[term_id].label)} in {md(group)}.")
        return
    lines = [k for k in kwic(asker.index, [terms[term_id]], _resolve(asker, filters), window=12)
             if _in_group(asker, k, report.by, groups[group])]
    st.caption(f"{row.count} mentions in {row.documents} of {row.documents_in_group} documents")
    show_lines(asker, lines[:200], key="cell")


def _in_group(asker: Asker, k: KwicLine, by: tuple[str, ...], group: tuple[str, ...]) -> bool:
    from analysis.reports import group_values

    meta = asker.index.passages()[k.passage_id].meta
    return all(v in group_values(f, meta) for f, v in zip(by, group))


def show_lines(asker: Asker, lines: list[KwicLine], key: str) -> None:
    """Concordance lines, each with its citation and a button opening the page."""
    for i, k in enumerate(lines):
        left, right = st.columns([6, 1])
        left.markdown(f"… {md(k.left)} **:orange-background[{md(k.match)}]** {md(k.right)} …  \n"
                      f":gray[{md(k.title)} — {md(k.region or k.country)}, {md(k.where)}]")
        if k.page is not None:
            right.button("Open page", key=f"kwic-{key}-{i}", on_click=open_reader,
                         args=(k.doc_id, k.page, _raw_match(asker, k), k.page_offset))


def _raw_match(asker: Asker, k: KwicLine) -> str:
    """The match exactly as in the page text (line breaks kept), for highlighting."""
    passage = asker.index.passages().get(k.passage_id)
    return passage.content[k.start:k.end] if passage is not None else k.match


def render_concordance(asker: Asker, filters: Filters) -> None:
    st.title("Concordance")
    st.caption("Every mention of a term or phrase with its context, document and page (keyword in context).")
    concepts = _concepts()
    c1, c2, c3 = st.columns([2, 2, 1])
    concept = c1.selectbox("Term from the lexicon", [""] + list(concepts), key="kwic_concept",
                           format_func=lambda c: concepts.get(c, "— or type a phrase —"))
    phrase = c2.text_input("Phrase", key="kwic_phrase", placeholder="e.g. smart specialisation strategy")
    window = c3.slider("Words of context", 3, 30, 10, key="kwic_window")
    query = phrase.strip() or concept
    if not query:
        st.info("Choose a term or type a phrase.")
        return
    try:
        lines = kwic(asker.index, resolve_terms([query]), _resolve(asker, filters), window=window)
    except ValueError as exc:
        st.error(md(exc))
        return
    docs = len({k.doc_id for k in lines})
    st.caption(f"{len(lines)} mentions in {docs} documents, sorted by document and page"
               + (" (first 300 shown; the downloads have all)" if len(lines) > 300 else ""))
    d1, d2, _ = st.columns([1, 1, 4])
    stamp = date.today().isoformat()
    d1.download_button("CSV", render_kwic(lines, "csv").encode(), file_name=f"kwic-{stamp}.csv", mime=MIME["csv"],
                       key="kwic_dl_csv")
    d2.download_button("HTML", render_kwic(lines, "html", query).encode(), file_name=f"kwic-{stamp}.html",
                       mime=MIME["html"], key="kwic_dl_html")
    show_lines(asker, lines[:300], key="page")
