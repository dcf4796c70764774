"""Region profile page: the cited brief on one region (as ``ris3 profile`` writes it), with every
source one click from its page, and the brief as Markdown, HTML, Word or JSON."""
from __future__ import annotations

import streamlit as st

from analysis.profiles import ProfileBuilder, RegionProfile, profile_filename
from app.render.profile_formats import profile_bytes
from app.render.safe import code, label, md
from app.service import Asker

from .common import (
    get_catalogue,
    get_settings,
    index_key,
    open_hub,
    open_reader,
    region_picker,
    where_cited,
)

FORMATS = {"md": ("Markdown", "text/markdown"), "html": ("HTML", "text/html"),
           "docx": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
           "json": ("JSON", "application/json")}


@st.cache_data(show_spinner=False, max_entries=16)
def _profile(_asker: Asker, key: tuple, region: str, answers: bool) -> tuple[RegionProfile, dict[str, bytes]]:
    """The profile and its files, cached per region, options and index state (``key``)."""
    builder = ProfileBuilder(_asker.index, get_settings().corpus, asker=_asker if answers else None)
    profile = builder.build(region)
    return profile, {fmt: profile_bytes(profile, fmt) for fmt in FORMATS}


def render(asker: Asker) -> None:
    st.title("Region profile")
    st.caption("A brief on one region for an EDP workshop: its documents, priority domains, support structures, "
               "hubs, what the documents say about the EDP and digitalisation, and its 2014-2020 programmes. "
               "Every statement cites a passage (document, page) or a dataset record.")
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    query = region_picker(asker, "profile", c1, c2)
    answers = c3.checkbox("Include EDP and digitalisation answers", value=True, key="profile_answers")
    if not query:
        st.info("Choose a region, or type any region name or NUTS code.")
        return
    try:
        with st.spinner(f"Building the brief on {md(query)} ..."):
            profile, files = _profile(asker, index_key(asker), query, answers)
    except (ValueError, FileNotFoundError) as exc:
        st.error(md(exc))
        return
    _header(profile, files)
    _documents(profile)
    for section in profile.sections:
        st.subheader(section.title)  # the section titles and notes are the app's own text
        if section.note:
            st.caption(section.note)
        st.markdown("\n".join(f"- {md(' '.join(s.text.split()))}{_markers(s.cites)}" for s in section.statements))
        if section.table:
            st.dataframe(section.table, hide_index=True, width="stretch")
    _sources(asker, profile)


def _markers(cites: list[str]) -> str:
    return "".join(f" :blue[**\\[{c}\\]**]" for c in cites)


def _header(profile: RegionProfile, files: dict[str, bytes]) -> None:
    r, a = profile.region, profile.about
    st.header(f"{md(r.name)}{f' ({md(r.nuts)})' if r.nuts else ''}: region brief")
    st.caption(f"Generated {a['generated']} from {a['passages']} passages ({a['words']:,} words) · corpus snapshot "
               f"{a['snapshot']} · lexicon {a['lexicon_version']} · {len(profile.citations)} text and "
               f"{len(profile.data_citations)} data citations. Numbers in brackets cite passages, D-numbers "
               "dataset records (Sources, below).")
    with st.container(horizontal=True, gap="small"):
        for fmt, (name, mime) in FORMATS.items():
            st.download_button(name, files[fmt], file_name=profile_filename(r, fmt), mime=mime,
                               key=f"profile_dl_{fmt}", on_click="ignore", icon=":material/download:")


def _documents(profile: RegionProfile) -> None:
    st.subheader("Documents")
    if not profile.documents:
        st.warning("No indexed document covers this region: the brief rests on the datasets only.")
        return
    st.table([{"Document": md(d["title"]), "Type": md(d["doc_type"]), "Year": md(d["year"]),  # cells are Markdown
               "Language": md(d["language"]), "Pages": d["pages"],
               "Passages used": f"{d['passages_used']} / {d['passages']}", "Note": md(d["scope"])}
              for d in profile.documents], hide_index=True, border="horizontal")


def _sources(asker: Asker, profile: RegionProfile) -> None:
    """Text citations grouped by document (number, page, sentence, Open page), then data citations
    grouped by dataset (number, record, CSV lines; a hub record opens the Hubs page)."""
    st.subheader("Sources")
    by_doc: dict[str, list] = {}
    for c in profile.citations:
        by_doc.setdefault(c.doc_id, []).append(c)
    for doc_id, cites in by_doc.items():
        st.markdown(f"**{md(cites[0].title)}** :gray[· {md(cites[0].file or doc_id)}]")
        for c in cites:
            left, right = st.columns([7, 1], vertical_alignment="center")
            left.markdown(f"**\\[{c.n}\\]** :gray[{md(where_cited(c))}] “{md(' '.join(c.sentence.split()))}”")
            right.button("Open page", key=f"profile-open-{c.n}", on_click=open_reader,
                         args=(c.doc_id, c.page, c.sentence, c.page_offset))
    by_file: dict[str, list] = {}
    for c in profile.data_citations:
        by_file.setdefault(c.file, []).append(c)
    catalogue = get_catalogue(str(get_settings().corpus)) if by_file else None
    for file, cites in by_file.items():
        st.markdown(f"**{md(cites[0].dataset)}** :gray[· {code(file)}]")
        for c in cites:
            left, right = st.columns([7, 1], vertical_alignment="center")
            lines = f" :gray[({c.lines_label})]" if c.lines else ""
            left.markdown(f"**\\[{c.n}\\]** {md(c.record)}{lines}")
            hub = _hub_of(catalogue, c)
            if hub is not None:
                right.button("Show hub", key=f"profile-hub-{c.n}", on_click=open_hub, args=(hub.name,),
                             help=f"{label(hub.name)} on the Hubs page, with the passages naming it")


def _hub_of(catalogue, c):
    """The catalogue hub a data citation points at, if any."""
    if catalogue is None or c.file != catalogue.dataset.file:
        return None
    return catalogue.by_id.get(c.key)
