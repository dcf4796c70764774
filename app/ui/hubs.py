"""Hubs page: the JRC Digital Innovation Hubs catalogue snapshot, searched by name or acronym and
then by text (as ``ris3 hubs search``), each hub with its record and the passages naming it.

Other pages open it on a hub by setting ``st.session_state["hub_query"]`` (see ``common.open_hub``)."""
from __future__ import annotations

import streamlit as st

from analysis.hubs import HubCatalogue, HubSearch
from app.render.safe import code, label, link, marked, md
from app.service import Asker
from ingest.datasets import Hub

from .common import get_catalogue, get_settings, open_reader

LIMIT = 20
FILTER_KEYS = ("hubs_country", "hubs_sector", "hubs_city")


def _take_preset() -> None:
    """A hub sent from another page: search for it, with no filter hiding it (before the widgets exist)."""
    preset = st.session_state.pop("hub_query", None)
    if preset:
        st.session_state["hubs_search"] = preset
        for key in FILTER_KEYS:
            st.session_state[key] = ""


def render(asker: Asker) -> None:
    st.title("Digital Innovation Hubs")
    catalogue = get_catalogue(str(get_settings().corpus))
    if catalogue is None:
        st.error(f"The corpus has no DIH catalogue (expected {md(get_settings().hub_catalogue)}).")
        return
    st.caption(f"{md(catalogue.dataset.title)}. Hubs named like the query (also by acronym) come first, then hubs "
               "related by text (name, description, sectors, city). Each hub lists where the indexed documents "
               "mention it.")
    from .region_map import hubs_overview_map  # hubs per country on the NUTS map
    hubs_overview_map(catalogue)
    _take_preset()
    c1, c2, c3, c4 = st.columns([3, 2, 2, 1.4])
    query = c1.text_input("Search", key="hubs_search",
                          placeholder="Name, acronym or topic: DIGIMAT, agri-food robotics")
    country = c2.selectbox("Country", [""] + catalogue.countries(), key="hubs_country",
                           format_func=lambda c: c or "All countries")
    sector = c3.selectbox("Sector", [""] + catalogue.sectors(), key="hubs_sector",
                          format_func=lambda s: s or "All sectors")
    city = c4.text_input("City", key="hubs_city", placeholder="e.g. Brno")
    if not (query.strip() or country or sector or city.strip()):
        st.info(f"{len(catalogue.hubs)} hubs in the catalogue snapshot. Type a name, an acronym or a topic, "
                "or choose a country or a sector.")
        return
    try:
        result = catalogue.search(query, country=country or None, sector=sector or None, city=city.strip() or None,
                                  limit=LIMIT)
    except ValueError as exc:
        st.error(md(exc))
        return
    _message(result)
    if result.named:
        if result.query:
            st.subheader("Named")
        for i, hub in enumerate(result.named):
            _hub(asker, catalogue, hub, key=f"named-{i}", expanded=len(result.named) == 1)
        if not result.query and result.in_filters > len(result.named):
            st.caption(f"First {len(result.named)} of {result.in_filters} shown: narrow the filters to see others.")
    if result.related:
        st.subheader("Related by text")
        for i, (hub, score) in enumerate(result.related):
            _hub(asker, catalogue, hub, key=f"related-{i}", score=score)


def _message(result: HubSearch) -> None:
    message = md(result.message)  # it quotes the query and the filters
    if result.query and not result.found_by_name:
        st.warning(message)
    elif result.query:
        st.success(message)
    else:
        st.info(message)


def _hub(asker: Asker, catalogue: HubCatalogue, hub: Hub, key: str, expanded: bool = False,
         score: float | None = None) -> None:
    place = ", ".join(x for x in (hub.locality, hub.country) if x)
    mentions = catalogue.mentions(asker.index, hub.id)
    title = f"{label(hub.name)} — {label(place)}" if place else label(hub.name)
    if mentions:
        title += f" · named {len(mentions)}× in the documents"
    if score is not None:
        title += f" · relevance {score:.1f}"
    with st.expander(title, expanded=expanded):
        fields = (("Catalogue id", code(hub.id)), ("Country", md(hub.country)),
                  ("City", md(hub.locality)), ("Address", md(hub.street)), ("Website", link(hub.website)),
                  ("Sectors", md("; ".join(hub.sectors))),
                  ("Technologies", md("; ".join(hub.technologies))),
                  ("Services", md("; ".join(hub.services))))
        missing = ":gray[not given in the catalogue]"
        st.markdown("  \n".join(f"**{name}:** {value or missing}" for name, value in fields))
        if hub.description:
            st.markdown(md(hub.description))
        st.markdown(f"**Mentioned in the indexed documents:** {len(mentions) or 'nowhere'}")
        for j, m in enumerate(mentions):
            left, right = st.columns([6, 1])
            left.markdown(f"“{_marked_mention(m.sentence, m.text)}”  \n"
                          f":gray[{md(m.title)} — {md(m.where)}]")
            right.button("Open page", key=f"hub-{key}-{j}", on_click=open_reader,
                         args=(m.doc_id, m.page or 1, m.text, m.page_offset))


def _marked_mention(sentence: str, mention: str) -> str:
    """The sentence with the hub's mention highlighted (the sentence's spaces are normalised)."""
    words = " ".join(mention.split())
    at = sentence.find(words) if words else -1
    return marked(sentence, at, at + len(words)) if at >= 0 else md(sentence)
