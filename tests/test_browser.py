"""A real browser on the running app: Debian's headless Chromium, driven by Selenium through
Debian's chromedriver (nothing downloaded), asks a question and saves a screenshot under
artifacts/screenshots/ (gitignored).

Needs chromium and chromium-driver (``make browser`` installs them). Without them the test is
skipped, unless RIS3_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.

Each Streamlit interaction reruns the app's script and replaces elements, so the tests find
elements afresh inside every wait, retry on stale elements, interact only when the script is idle
and wait explicitly for the state they check: no fixed sleeps."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_app(built_index, tmp_path):
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("RIS3_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium/chromedriver missing: run 'make browser'")
        pytest.skip("chromium/chromedriver not installed ('make browser' installs them)")
    settings, _ = built_index
    port = _free_port()
    env = {**os.environ, "RIS3_HOME": str(settings.home)}
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app" / "streamlit_app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not answer /_stcore/health within 180 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log.close()


@pytest.fixture
def browser(tmp_path):
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,800", f"--user-data-dir={tmp_path / 'chrome'}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


# -- waiting for the state a test checks ---------------------------------------------------------
# Every Streamlit interaction reruns the script, which replaces elements: a found element may be
# stale a moment later. So elements are found again inside each wait's condition, waits ignore
# StaleElementReferenceException (and retry), and interactions happen when the script is idle.
TIMEOUT = 180  # generous: a busy 2-core machine, the server loading its models
CHART = "[data-testid='stVegaLiteChart']"
SIDEBAR_LABEL = "[data-testid='stSidebar'] label"


def _wait(driver, condition, timeout: float = TIMEOUT, message: str = ""):
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (StaleElementReferenceException, NoSuchElementException, ElementClickInterceptedException,
               ElementNotInteractableException)
    return WebDriverWait(driver, timeout, poll_frequency=0.25, ignored_exceptions=ignored).until(condition, message)


def _body(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _idle(driver) -> bool:
    """The script's run has finished (Streamlit marks its root with data-test-script-state)."""
    from selenium.webdriver.common.by import By

    return bool(driver.find_elements(By.CSS_SELECTOR, "[data-testid='stApp'][data-test-script-state='notRunning']"))


def _wait_idle(driver, timeout: float = TIMEOUT) -> None:
    _wait(driver, _idle, timeout, "the app's script did not finish its run")


def _open(driver, url: str) -> None:
    """Load the app and wait for its first run (models and index loaded) to finish."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda d: _idle(d) and d.find_elements(By.CSS_SELECTOR, SIDEBAR_LABEL),
          message="the app did not show its sidebar")


def _navigate(driver, page: str, marker: str) -> None:
    """Choose ``page`` in the sidebar until the page shows ``marker`` (clicking again, when idle,
    if a rerun swallowed the click), then wait for the run to finish."""
    from selenium.webdriver.common.by import By

    def arrived(d) -> bool:
        if marker in _body(d):
            return True
        if _idle(d):
            label = next((e for e in d.find_elements(By.CSS_SELECTOR, SIDEBAR_LABEL) if e.text.strip() == page), None)
            if label is not None:
                label.click()
        return False

    _wait(driver, arrived, message=f"the {page} page did not show {marker!r}")
    _wait_idle(driver)


def _type_and_submit(driver, find, text: str) -> None:
    """Type ``text`` into the element ``find(driver)`` returns (found afresh each try) and press
    Enter, once the script is idle and the box holds exactly the text."""
    from selenium.webdriver.common.keys import Keys

    def submitted(d) -> bool:
        if not _idle(d):
            return False
        box = find(d)
        if box is None or not box.is_enabled():
            return False
        if box.get_attribute("value") != text:
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(Keys.DELETE)
            box.send_keys(text)
            if box.get_attribute("value") != text:
                return False
        box.send_keys(Keys.ENTER)
        return True

    _wait(driver, submitted, message=f"could not type {text!r}")


def _screenshot(driver, name: str) -> None:
    _wait_idle(driver)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / name))


# -- the tests ----------------------------------------------------------------------------------
def test_browser_asks_a_question_and_sees_the_cited_answer(served_app, browser):
    from selenium.webdriver.common.by import By

    _open(browser, served_app)
    _type_and_submit(browser, lambda d: next(iter(d.find_elements(
        By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']")), None),
        "How does DIGIMAT relate to the South Moravian RIS3?")
    _wait(browser, lambda d: "[1] Digital Innovation Hubs in Smart Specialisation Strategies" in _body(d),
          message="no cited answer")
    _screenshot(browser, "ask.png")
    body = _wait(browser, lambda d: _idle(d) and _body(d))
    assert "DIGIMAT" in body and "[1]" in body
    assert "Traceback" not in body and '{"' not in body
    assert (SHOTS / "ask.png").stat().st_size > 10_000


def test_browser_click_on_a_heatmap_cell_shows_that_cells_mentions(served_app, browser):
    import re

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.set_window_size(1400, 1000)
    _open(browser, served_app)
    _navigate(browser, "Reports", "Keyword frequencies")

    def cell_choice(d) -> list[str]:
        """The Term and Group selectboxes of "Mentions in context" (the last two on the page)."""
        return [e.get_attribute("value") for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stSelectbox'] input")][-2:]

    # the heatmap drawn, the concordance below it shown, and the chart's size settled (width="stretch")
    drawn = {}

    def ready(d) -> bool:
        if not (_idle(d) and "Mentions in context" in _body(d) and len(cell_choice(d)) == 2):
            return False
        charts = d.find_elements(By.CSS_SELECTOR, CHART)
        if not charts or not charts[0].find_elements(By.CSS_SELECTOR, "canvas, svg"):
            return False
        rect = charts[0].rect
        settled = drawn.get("rect") == rect and rect["width"] > 100 and rect["height"] > 50
        drawn["rect"] = rect
        return settled

    _wait(browser, ready, message="the heatmap was not drawn")
    before = cell_choice(browser)

    def click_cell(d) -> bool:
        if not _idle(d):
            return False
        heatmap = d.find_elements(By.CSS_SELECTOR, CHART)[0]
        width, height = heatmap.size["width"], heatmap.size["height"]
        # right and below the centre: a cell other than the first term of the first group
        ActionChains(d).move_to_element_with_offset(heatmap, int(width * 0.2), int(height * 0.2)).click().perform()
        return True

    _wait(browser, click_cell, message="could not click the heatmap")
    _wait(browser, lambda d: cell_choice(d) != before and len(cell_choice(d)) == 2,
          message=f"the click did not choose another cell than {before}")
    _wait_idle(browser)
    term, group = cell_choice(browser)
    _wait(browser, lambda d: _idle(d) and (re.search(r"\d+ mentions in \d+ of \d+ documents", _body(d))
                                           or f"No mention of {term} in {group}" in _body(d)),
          message=f"the mentions of {term} in {group} were not shown")
    assert cell_choice(browser) == [term, group]
    _screenshot(browser, "reports.png")
    assert "Traceback" not in _body(browser)


def test_browser_region_profile_renders_the_cited_brief(served_app, browser):
    from selenium.webdriver.common.by import By

    browser.set_window_size(1400, 1000)
    _open(browser, served_app)
    _navigate(browser, "Region profile", "A brief on one region for an EDP workshop")

    def nuts_box(d):
        return next((e.find_element(By.TAG_NAME, "input") for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stTextInput']")
                     if "NUTS code" in e.text), None)

    _type_and_submit(browser, nuts_box, "NL1")
    _wait(browser, lambda d: _idle(d) and "Northern Netherlands (NL1): region brief" in _body(d)
          and d.find_elements(By.CSS_SELECTOR, "[data-testid='stDownloadButton']"),
          message="the NL1 brief was not rendered")
    _screenshot(browser, "profile.png")

    def page(d):
        return _body(d), {b.text.strip() for b in d.find_elements(By.CSS_SELECTOR, "[data-testid='stDownloadButton'] button")}

    body, labels = _wait(browser, lambda d: _idle(d) and page(d))
    assert "Support structures named" in body and "Sources" in body and "2014NL16RFOP001" in body
    assert "[1]" in body and "[D1]" in body, "statements show their citation markers"
    assert {"Markdown", "HTML", "DOCX", "JSON"} <= {label.split("\n")[-1] for label in labels}
    assert "Traceback" not in body
