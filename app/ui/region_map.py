"""Maps on the Reports, Hubs and Funding pages (``app.render.maps``), and opening a region's
profile from them.

Click-through: a click on a region (the chart's ``region`` selection, ``on_select``) opens its
Region profile; under each map a selectbox of the regions drawn does the same (for keyboards,
and for tests, which cannot click a chart). Both set the profile page's region box to the
data's own NUTS code and switch the page."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from analysis.nuts import NutsShapes
from app.render import maps
from app.render.safe import md

from .common import get_resolver, get_settings, index_key

PROFILE_PAGE = "Region profile"
PROFILE_BOX = "profile_region_text"  # the Region profile page's free-text region box


@st.cache_resource(show_spinner=False)
def get_shapes(corpus: str) -> NutsShapes | None:
    """The NUTS 2021 shapes of the corpus (None when it has none)."""
    try:
        return NutsShapes.from_corpus(Path(corpus))
    except FileNotFoundError:
        return None


def open_profile(code: str) -> None:
    """Callback: the Region profile page, on ``code``."""
    if code:
        st.session_state[PROFILE_BOX] = code
        st.session_state["nav"] = PROFILE_PAGE


def _on_click(key: str) -> None:
    event = st.session_state.get(key) or {}
    points = (event.get("selection") or {}).get(maps.SELECTION) or []
    codes = [p.get("source") for p in points if isinstance(p, dict) and p.get("source")]
    if codes:
        open_profile(codes[0])


def _on_pick(key: str) -> None:
    open_profile(st.session_state.get(key) or "")


def show_map(chart, regions: dict[str, str], key: str, caption: str = "") -> None:
    """The chart (a click opens the region's profile) and, under it, the same as a selectbox
    (``regions``: the data's code -> label)."""
    st.altair_chart(chart, key=f"{key}_chart", on_select=lambda: _on_click(f"{key}_chart"),
                    selection_mode=maps.SELECTION, width="stretch")
    if caption:
        st.caption(caption)
    if regions:
        st.selectbox("Open a region's profile", list(regions), index=None, key=f"{key}_open",
                     format_func=lambda c: f"{regions[c]} ({c})", placeholder="Click a region, or choose one here",
                     on_change=_on_pick, args=(f"{key}_open",))


def shapes_or_note() -> NutsShapes | None:
    shapes = get_shapes(str(get_settings().corpus))
    if shapes is None:
        st.caption("No map: the corpus has no data/nuts-2021-regions-60m.geojson and data/nuts-2013.csv.")
    return shapes


def keyword_report_map(asker, report, measure: str = "per_10k_words") -> None:
    """Reports page: one term's rate by region, for a report grouped by region."""
    if not report.by or report.by[0] != "region" or not report.terms:
        return
    shapes = shapes_or_note()
    if shapes is None:
        return
    resolver = get_resolver(asker, index_key(asker))

    def code_of(name: str) -> str:
        try:
            return resolver.resolve(name, suggest=False).nuts
        except ValueError:
            return ""

    st.subheader("Map")
    terms = {t.id: t.label for t in report.terms}
    term = st.selectbox("Term on the map", list(terms), key="report_map_term", format_func=terms.get)
    values, labels, unplaced = maps.keyword_values(report, term, measure, code_of)
    note = "NUTS 2021 boundaries (Eurostat GISCO); regions given in NUTS 2013 codes are drawn on their 2021 shapes."
    if unplaced:
        note += f" Not on the map (no NUTS region): {md(', '.join(unplaced))}."
    show_map(maps.keyword_map(shapes, report, term, code_of, measure), labels, "report_map", note)


def hubs_overview_map(catalogue) -> None:
    """Hubs page: catalogue hubs per country."""
    shapes = shapes_or_note()
    if shapes is None:
        return
    from analysis.sources import dataset
    from ingest.datasets import load_nuts

    english = {c: r.en for c, r in load_nuts(str(dataset(get_settings().corpus, "nuts").path)).items() if len(c) == 2}
    values, unplaced = maps.hub_counts([h.country for h in catalogue.hubs if h.country],
                                       lambda n: shapes.country_code(n, english))
    note = "Hubs by country: the catalogue gives each hub's country, not its region."
    if unplaced:
        note += f" Not on the map (no NUTS shape): {md(', '.join(unplaced))}."
    show_map(maps.hubs_map(shapes, values, maps.MapSettings(height=360)), {c: english.get(c, c) for c in sorted(values)},
             "hubs_map", note)
