"""The Read and Library pages, driven with Streamlit's AppTest on the ingested subset: a page
number to jump to, search inside a document with its hits' pages, the seed report read by its
sections, Open page on a citation deep in the seed report, and the Library's columns."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from app.render.safe import label, md
from app.service import open_index
from app.ui.library import COLUMN_WIDTHS, COLUMNS
from app.ui.reader import search_document

from .conftest import REPO
from .test_browser import browser, served_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
APP = str(REPO / "app" / "streamlit_app.py")
NN = "nl-northern-netherlands-ris3"
SEED_ID = "jrc-dih-in-smart-specialisation-2018"


@pytest.fixture
def app(built_index, monkeypatch):
    settings, _ = built_index
    monkeypatch.setenv("RIS3_HOME", str(settings.home))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception
    at.sidebar.radio(key="nav").set_value("Read").run()
    assert not at.exception
    return at


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_page_number_entry_jumps_to_that_page(app):
    app.selectbox(key="reader_doc").set_value(NN).run()
    app.number_input(key=f"reader_page_{NN}_1").set_value(4).run()
    assert not app.exception
    text = _markdown(app)
    assert "**Page 4 of 24**" in text
    assert md("1 Our Ambition") in text and md("European Challenges") in text  # p. 4's headings
    assert app.session_state["reader"]["page"] == 4


def test_search_inside_a_document_lists_hits_with_pages_and_opens_one(app):
    app.selectbox(key="reader_doc").set_value(NN).run()
    app.text_input(key=f"reader_search_{NN}").set_value("Living Laboratories").run()
    assert not app.exception
    hits = [b for b in app.button if b.key and b.key.startswith("reader_hit_")]
    # "Living Laboratories" heads a part of section 3.3 on p. 14 of the strategy
    assert any(b.label.startswith(label("p. 14:")) for b in hits)
    next(b for b in hits if b.label.startswith(label("p. 14:"))).click().run()
    assert not app.exception
    assert app.session_state["reader"]["page"] == 14
    assert "**Page 14 of 24**" in _markdown(app)
    assert app.session_state["reader"]["highlight"].lower() == "living laboratories"
    assert ":orange-background[" + md(app.session_state["reader"]["highlight"]) + "]" in _markdown(app)


def test_search_document_finds_a_phrase_across_a_line_break():
    pages = {2: "Smart\nSpecialisation is here.", 1: "nothing", 3: "smart specialisation again"}
    hits = search_document(pages, "smart specialisation")
    assert [(h.page, h.offset, h.match) for h in hits] == [(2, 0, "Smart\nSpecialisation"), (3, 0, "smart specialisation")]
    assert search_document(pages, "   ") == []


def test_seed_report_is_read_by_sections_from_its_headings(app):
    app.selectbox(key="reader_doc").set_value(SEED_ID).run()
    assert not app.exception
    box = app.selectbox(key=f"reader_section_{SEED_ID}_0")
    titles = [o.strip() for o in box.options]
    assert "Abstract" in titles and "1 Introduction" in titles and "10 Cases" in titles
    assert "Page 1 of 1" not in _markdown(app)
    box.set_value(titles.index("1 Introduction")).run()
    assert not app.exception
    text = _markdown(app)
    assert "**§ 1 Introduction**" in text
    assert md("The concept of Digital Innovation Hub (DIH) as a policy initiative is recent") in text
    assert md("2 Methodology for identifying the DIHs in RIS3") not in text  # the next section is not shown


def test_open_page_on_a_citation_deep_in_the_seed_report_shows_its_section_marked(app, built_index):
    index = open_index(built_index[0])
    page = index.page_text(SEED_ID, 1)
    sentence = "The DIHS work according to different business models"  # the first sentence of "6 DIH funding"
    offset = page.index(sentence, page.index("\n6 DIH funding\n"))  # (the executive summary says it first)
    assert offset > len(page) // 4  # deep in the report
    app.session_state["reader"] = {"doc_id": SEED_ID, "page": 1, "highlight": sentence, "offset": offset}
    app.run()
    assert not app.exception
    text = _markdown(app)
    assert "**§ 6 DIH funding**" in text
    assert ":orange-background[" + md(sentence) + "]" in text
    assert md("One clear role of DIHs in many regions") not in text  # section 4 is not shown above it


def test_library_columns_have_widths_that_fit_a_1440_px_window(app):
    app.sidebar.radio(key="nav").set_value("Library").run()
    assert not app.exception
    frame = app.dataframe[0]
    config = json.loads(frame.proto.columns)
    assert set(config) - {"_index"} == set(COLUMNS.values())
    assert all(config[COLUMNS[k]]["width"] == w for k, w in COLUMN_WIDTHS.items())
    assert sum(COLUMN_WIDTHS.values()) <= 1050  # the main column at 1440 px with the sidebar open
    table = frame.value
    seed = table[table["Title"].str.startswith("Digital Innovation Hubs in Smart Specialisation")].iloc[0]
    assert seed["Region"] == "Baden-Württemberg; Wallonia; Norte +7 more"


def test_browser_open_page_on_a_seed_citation_scrolls_to_the_marked_sentence(served_app, browser):
    """Headless Chromium at 1440x900: ask, open the seed report's citation, and the highlighted
    sentence is in view (the scroll script ran); the screenshot is saved for a person to look at."""
    from selenium.webdriver.common.by import By

    from .test_browser import SHOTS, _body, _idle, _open, _type_and_submit, _wait, _wait_idle

    browser.set_window_size(1440, 900)
    _open(browser, served_app)
    _type_and_submit(browser, lambda d: next(iter(d.find_elements(
        By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']")), None),
        "How does DIGIMAT relate to the South Moravian RIS3?")
    cited = "[1] Digital Innovation Hubs in Smart Specialisation Strategies"
    _wait(browser, lambda d: _idle(d) and cited in _body(d), message="no citation of the seed report")
    answer = " ".join(_body(browser).split())

    def open_citation(d) -> bool:
        if not _idle(d):
            return False
        summary = next(e for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stExpander'] summary")
                       if cited in e.text)
        expander = summary.find_element(By.XPATH, "./ancestor::*[@data-testid='stExpander']")
        buttons = [b for b in expander.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Open page"]
        if not buttons:
            if not summary.find_element(By.XPATH, "./ancestor::details").get_attribute("open"):
                summary.click()
            return False
        # below the fold under the chat input: bring it into view, then click it
        d.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", buttons[0])
        return True

    _wait(browser, open_citation, message="could not click Open page")
    mark = ".st-key-reader_text span.stMarkdownColoredBackground"

    def in_view(d) -> bool:
        if not (_idle(d) and "§ " in _body(d)):
            return False
        return bool(d.execute_script(
            "const el = document.querySelector(arguments[0]); if (!el) return false;"
            "const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;", mark))

    _wait(browser, in_view, message="the cited sentence was not scrolled into view")
    _wait_idle(browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "read-seed.png"))
    body = _body(browser)
    marked = " ".join(browser.find_element(By.CSS_SELECTOR, mark).text.split())
    assert len(marked) > 40 and marked in answer, (marked, answer)  # the sentence the answer cites, marked on its page
    assert "Traceback" not in body and "Page 1 of 1" not in body
