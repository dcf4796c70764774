"""ris3-miner web app. Thin: each page is a module in app/ui that calls app.service, shared with
the CLI. Run with `make app`."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.settings import Settings, quiet_third_parties  # noqa: E402

quiet_third_parties()

import streamlit as st  # noqa: E402

from app.ui import (  # noqa: E402
    ask,
    compare,
    funding,
    hubs,
    library,
    operations,
    profile,
    reader,
    reports,
    upload,
)
from app.ui.common import PAGES, ensure_index, filter_sidebar, get_asker  # noqa: E402

st.set_page_config(page_title="ris3-miner", page_icon="🔎", layout="wide")

with st.spinner("Loading the index and the embedding model ..."):
    asker = get_asker(Settings.from_env())
    ensure_index(asker)
    asker.warm_up()

st.sidebar.title("ris3-miner")
page = st.sidebar.radio("Page", PAGES, key="nav", label_visibility="collapsed")
if page == "Ask":
    ask.render(asker, filter_sidebar(asker))
elif page == "Read":
    reader.render(asker)
elif page == "Library":
    library.render(asker)
elif page == "Reports":
    reports.render(asker, filter_sidebar(asker))
elif page == "Concordance":
    reports.render_concordance(asker, filter_sidebar(asker))
elif page == "Region profile":
    profile.render(asker)
elif page == "Compare":
    compare.render(asker)
elif page == "Hubs":
    hubs.render(asker)
elif page == "Funding":
    funding.render(asker)
elif page == "Operations":
    operations.render(asker)
else:
    upload.render(asker)
