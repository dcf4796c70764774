"""The web page, driven headless with Streamlit's AppTest on the ingested subset."""
import pytest
from streamlit.testing.v1 import AppTest

from .conftest import REPO

pytestmark = pytest.mark.slow
APP = str(REPO / "app" / "streamlit_app.py")


@pytest.fixture
def app(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_question_renders_an_answer_with_citations(app):
    app.chat_input[0].set_value("How does DIGIMAT relate to the South Moravian RIS3?").run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "DIGIMAT" in text and "[1]" in text
    labels = [e.label for e in app.expander]
    assert any(label.startswith("[1] Digital Innovation Hubs in Smart Specialisation Strategies") for label in labels)


def test_question_without_answer_shows_the_notice_and_nearest_passages(app):
    app.chat_input[0].set_value("What is the average rainfall in Patagonia in July?").run()
    assert not app.exception
    assert any("does not seem to answer" in i.value for i in app.info)
    assert any(e.label.startswith("1. ") for e in app.expander)


def test_region_filter_in_the_sidebar_restricts_sources(app):
    app.sidebar.selectbox[0].set_value("Lubelskie").run()
    app.chat_input[0].set_value("What are the priorities of the regional innovation strategy?").run()
    assert not app.exception
    sources = [e.label for e in app.expander if e.label[0].isdigit()]
    assert sources and all("Lubelskie" in label for label in sources)
