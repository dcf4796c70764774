"""What every page shares: the cached Asker, navigation state, the filter sidebar, and the cached
region resolver, hub catalogue and funding data of the region pages."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from analysis.library import library_rows
from app.render.safe import md
from app.service import Asker, Filters, ingest, open_asker
from app.settings import Settings
from index.filters import FILTER_FIELDS

if TYPE_CHECKING:
    from analysis.funding import FundingData
    from analysis.hubs import HubCatalogue
    from analysis.regions import RegionResolver

PAGES = ("Ask", "Read", "Library", "Reports", "Concordance", "Region profile", "Compare", "Hubs", "Funding",
         "Operations", "Add documents")
_LABELS = {"region": "Region", "country": "Country", "doc_type": "Document type", "language": "Language",
           "year": "Year", "doc_id": "Document", "tag": "Mentions (tag)"}
FILTER_LABELS = {key: _LABELS.get(key, key) for key in (*FILTER_FIELDS, "tag")}  # the sidebar's filters, in order


def get_settings() -> Settings:
    """The app's settings (defaults and the environment, as at start)."""
    return Settings.from_env()


@st.cache_resource(show_spinner=False)
def get_asker(settings: Settings) -> Asker:
    """One Asker (models and index loaded once) per settings, shared by all sessions."""
    return open_asker(settings)


@st.cache_resource(show_spinner=False)
def get_data_answerer(_asker: Asker, corpus: str):
    """Answers from the bundled datasets (funding, hubs, Czech domains), loaded once."""
    from app.service import open_data_answerer

    return open_data_answerer(replace(get_settings(), corpus=Path(corpus)), _asker.index)


def ensure_index(asker: Asker) -> None:
    """First run: ingest the bundled corpus with a progress bar before anything else."""
    if asker.index.passage_count() > 0:
        return
    st.info("First run: indexing the bundled corpus. This takes a few minutes, once.")
    bar = st.progress(0.0, text="Starting ...")
    labels = {"extracting": "Reading pages", "embedding": "Embedding passages", "sentences": "Embedding sentences",
              "multilingual": "Multilingual vectors (cross-language search)",
              "word vectors": "Word vectors (question translation)"}

    def on_progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"{labels.get(stage, stage)}: {done} / {total}")

    report = ingest(get_settings(), progress=False, on_progress=on_progress)
    bar.empty()
    asker.refresh()
    st.success(f"Indexed {report.count('ingested')} documents in {report.seconds:.0f} s.")


def open_reader(doc_id: str, page: int, highlight: str = "", offset: int | None = None) -> None:
    """Button callback: show a page in the Read view."""
    st.session_state["reader"] = {"doc_id": doc_id, "page": int(page), "highlight": highlight, "offset": offset}
    st.session_state["nav"] = "Read"


def open_hub(name: str) -> None:
    """Button callback: search the Hubs page for a hub (its name or acronym)."""
    st.session_state["hub_query"] = name
    st.session_state["nav"] = "Hubs"


def clear_filters() -> None:
    for key in FILTER_LABELS:
        st.session_state[f"filter_{key}"] = []


def filter_sidebar(asker: Asker) -> Filters:
    rows = [r for r in library_rows(asker.index) if r["status"] == "ingested"]
    options = {
        "region": sorted({p.strip() for r in rows for p in r["region"].split(";") if p.strip()}),
        "country": sorted({r["country"] for r in rows if r["country"]}),
        "doc_type": sorted({r["doc_type"] for r in rows if r["doc_type"]}),
        "language": sorted({r["language"] for r in rows if r["language"]}),
        "year": sorted({r["year"] for r in rows if r["year"]}),
        "doc_id": sorted(r["doc_id"] for r in rows),
        "tag": _tag_options(),
    }
    titles = {r["doc_id"]: r["title"] for r in rows} | _tag_labels()
    st.sidebar.header("Filters")
    chosen: dict[str, list[str]] = {}
    for key, label in FILTER_LABELS.items():
        fmt = (lambda d: titles.get(d, d)) if key in ("doc_id", "tag") else str
        chosen[key] = st.sidebar.multiselect(label, options[key], key=f"filter_{key}", format_func=fmt)
    active = [(label, v) for key, label in FILTER_LABELS.items() for v in chosen[key]]
    if active:
        st.sidebar.markdown(" ".join(f":blue-badge[{label}: {md(titles.get(v, v))}]" for label, v in active))
        st.sidebar.button("Clear filters", on_click=clear_filters)
    return Filters(**{k: ",".join(v) or None for k, v in chosen.items()})


def _tag_options() -> list[str]:
    return list(_tag_labels())


def _tag_labels() -> dict[str, str]:
    from nlp.lexicon import load_lexicon, load_taxonomy

    return {c.id: c.label for c in load_lexicon()[1]} | {d.id: f"Domain: {d.label}" for d in load_taxonomy()[1]}


# -- shared by the region pages (profile, compare, hubs, funding) ------------------------------------
def index_key(asker: Asker) -> tuple:
    """Identifies the index state: cached results are recomputed after an ingest or an upload."""
    return (str(asker.index.folder), str(get_settings().corpus), asker.index.passage_count(),
            asker.index.tagging_version())


@st.cache_resource(show_spinner=False)
def get_catalogue(corpus: str) -> "HubCatalogue | None":
    """The JRC DIH catalogue of the corpus, BM25 ready; None when the corpus has none."""
    from analysis.hubs import HubCatalogue

    try:
        catalogue = HubCatalogue.from_corpus(Path(corpus))
    except FileNotFoundError:
        return None
    catalogue.warm_up()
    return catalogue


@st.cache_resource(show_spinner=False)
def get_funding(corpus: str) -> "FundingData":
    """The cohesion finance data of the corpus (raises FileNotFoundError when it has none)."""
    from analysis.funding import FundingData

    return FundingData.from_corpus(Path(corpus))


@st.cache_resource(show_spinner=False, max_entries=4)
def get_resolver(_asker: Asker, key: tuple) -> "RegionResolver":
    """Region names and NUTS codes -> regions, over the index's documents (cached per index state)."""
    from analysis.regions import RegionResolver
    from analysis.sources import dataset

    return RegionResolver(dataset(get_settings().corpus, "nuts").path, _asker.index.documents())


@st.cache_data(show_spinner=False, max_entries=4)
def region_choices(_asker: Asker, key: tuple) -> list[str]:
    """The known region names, one per region."""
    return get_resolver(_asker, key).known_names()


def region_picker(asker: Asker, prefix: str, pick_col, type_col) -> str:
    """A selectbox of the known regions and a free text box (any name or NUTS code), which wins
    when filled. Returns the region query ("" when neither is set)."""
    try:
        names = region_choices(asker, index_key(asker))
    except FileNotFoundError:
        names = []
    picked = pick_col.selectbox("Region", names, index=None, key=f"{prefix}_region",
                                placeholder="Choose a region")
    typed = type_col.text_input("or type any region name or NUTS code", key=f"{prefix}_region_text",
                                placeholder="e.g. Jihomoravský kraj, PL31, NL1")
    return typed.strip() or (picked or "")


def where_cited(c) -> str:
    """ "p. 12", or "text file, no page numbers", for a text citation."""
    from qa.citations import page_label

    return page_label({"file_kind": "text" if c.file.endswith((".txt", ".md")) else "pdf"}, c.page)

