"""Ask page: a conversation whose answers cite document, page and region."""
from __future__ import annotations

import streamlit as st
from haystack import Document

from analysis.hubs import HubCatalogue
from app.render.answer_markdown import answer_markdown, cited_text, data_citation_line, unit_lines
from app.render.safe import label, marked, md
from app.service import Asker, Filters, add_data_answer
from nlp.text import passage_language
from qa.citations import page_label, region_label
from qa.types import Answer

from .common import get_catalogue, get_data_answerer, get_settings, open_hub, open_reader

EXAMPLES = (
    "How does DIGIMAT relate to the South Moravian RIS3?",
    "What are the RIS3CAT priority domains?",
    "How should an EDP focus group be organised?",
)


def render(asker: Asker, filters: Filters) -> None:
    st.title("Ask the corpus")
    st.caption("Answers are sentences taken from the documents; each one is cited. Nothing leaves this machine.")
    history: list[tuple[str, Answer | str]] = st.session_state.setdefault("history", [])
    question = st.chat_input("Ask about strategies, programmes, hubs, EDP ...")  # pinned to the bottom
    if not history and not question:
        st.markdown("Try: " + " · ".join(f"*{q}*" for q in EXAMPLES))
    catalogue = get_catalogue(str(get_settings().corpus))
    for i, (past, answer) in enumerate(history):
        _show_turn(i, past, answer, catalogue)
    if question:
        with st.spinner("Searching the documents ..."):
            try:
                result: Answer | str = asker.ask(question, filters)
                add_data_answer(get_data_answerer(asker, str(get_settings().corpus)), result)
            except ValueError as exc:
                result = str(exc)
        history.append((question, result))
        _show_turn(len(history) - 1, question, result, catalogue)


def _hub_links(catalogue: HubCatalogue | None, passage: Document | None, key: str) -> None:
    """The catalogue hubs a passage names, each a link to the Hubs page."""
    hubs = catalogue.hubs_in_passage(passage) if catalogue is not None and passage is not None else []
    if not hubs:
        return
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(":gray[Hubs in the DIH catalogue:]", width="content")
        for h in hubs:
            st.button(label(h.name), key=f"{key}-{h.id}", on_click=open_hub, args=(h.name,), type="tertiary",
                      icon=":material/hub:", help="Show this hub's catalogue record and every passage naming it")


def _show_data(data: dict) -> None:
    """The bundled data's answer: its text, its rows, its data citations (file, record, lines)."""
    with st.container(border=True):
        st.markdown(":material/table_chart: **From the bundled data:** " + md(data["text"]))
        if data.get("rows"):
            st.dataframe(data["rows"], hide_index=True, width="stretch")
        st.caption("  \n".join(md(data_citation_line(c)) for c in data["citations"]))


def _show_units(answer: Answer) -> None:
    """The answer's units in order: consecutive prose sentences as one paragraph, a list's
    lead-in with its items as a bulleted list."""
    prose: list[str] = []
    for c in answer.citations:
        lead, items = unit_lines(cited_text(answer, c))
        if not items:
            prose.append(f"{md(' '.join(c.sentence.split()))} [{c.n}]")
            continue
        if prose:
            st.markdown(" ".join(prose))
            prose = []
        st.markdown(f"{md(lead)} [{c.n}]\n\n" + "\n".join(f"- {md(x)}" for x in items))
    if prose:
        st.markdown(" ".join(prose))


def _show_turn(i: int, question: str, answer: Answer | str, catalogue: HubCatalogue | None = None) -> None:
    with st.chat_message("user"):
        st.markdown(md(question))
    with st.chat_message("assistant"):
        if isinstance(answer, str):
            st.error(md(answer))
            return
        if answer.data:
            _show_data(answer.data)
        if answer.answered:  # prose as prose, a list as a list; the app's citation markers after each unit
            if answer.absent:
                st.warning(md(answer.absent["message"]) + " The closest sentences it has:")
            _show_units(answer)
        else:
            st.info(md(answer.text))
            metas = {p.id: p.meta for p in answer.passages}
            for c in answer.nearest:
                where = page_label(metas.get(c.passage_id, {}), c.page, section=c.section)
                st.markdown(f":gray[Nearest sentence:] {md(' '.join(c.sentence.split()))} :gray[— {md(c.title)}, {md(where)}]")
        if answer.language_note:
            st.caption(":material/translate: " + md(" ".join(x for x in (answer.language_note, answer.translation_note)
                                                             if x)))
        metas = {p.id: p for p in answer.passages}
        for c in answer.citations:
            passage = metas.get(c.passage_id)
            meta = passage.meta if passage else {}
            title = (f"[{c.n}] {label(c.title)} — {label(region_label(c.region) or c.country)}, "
                     f"{label(page_label(meta, c.page, section=c.section))}" + (f" [{label(c.language)}]" if c.language else ""))
            with st.expander(title):
                if passage is not None:
                    st.markdown(marked(passage.content or "", *c.span))
                st.caption(" · ".join(md(x) for x in (c.doc_type, c.region or c.country, c.doc_id))
                           + f" · language {md(c.language)}")
                st.button("Open page", key=f"open-{i}-{c.n}", on_click=open_reader,
                          args=(c.doc_id, c.page, c.sentence, c.page_offset))
                _hub_links(catalogue, passage, key=f"hub-{i}-{c.n}")
        st.download_button("Export (Markdown)", answer_markdown(answer), file_name=f"answer-{i + 1}.md",
                           mime="text/markdown", key=f"export-{i}", icon=":material/download:",
                           help="The answer with its citations as a Markdown file")
        label_sources = ("Nearest passages" if not answer.answered else "Sources")
        with st.expander(f"{label_sources} ({len(answer.passages)} passages, {answer.elapsed_ms:.0f} ms)",
                         expanded=not answer.answered):
            for rank, p in enumerate(answer.passages, start=1):
                m = p.meta
                st.markdown(f"**{rank}. {md(m.get('title', ''))}** — {md(region_label(m.get('region', '')))}, "
                            f"{md(page_label(m))} · {md(m.get('doc_type', ''))} · {md(passage_language(m))}")
                st.text((p.content or "")[:600])
                st.button("Open page", key=f"src-{i}-{rank}", on_click=open_reader,
                          args=(m.get("doc_id", ""), m.get("page_start", 1)))
                _hub_links(catalogue, p, key=f"src-hub-{i}-{rank}")

