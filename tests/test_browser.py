"""A real browser on the running app: Debian's headless Chromium, driven by Selenium through
Debian's chromedriver (nothing downloaded), asks a question and saves a screenshot under
artifacts/screenshots/ (gitignored).

Needs chromium and chromium-driver (``make browser`` installs them). Without them the test is
skipped, unless RIS3_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure."""
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
def served_app(built_index):
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("RIS3_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium/chromedriver missing: run 'make browser'")
        pytest.skip("chromium/chromedriver not installed ('make browser' installs them)")
    settings, _ = built_index
    port = _free_port()
    env = {**os.environ, "RIS3_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app" / "streamlit_app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not answer /_stcore/health within 90 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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


def test_browser_asks_a_question_and_sees_the_cited_answer(served_app, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served_app)
    box = WebDriverWait(browser, 120).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']")))
    box.send_keys("How does DIGIMAT relate to the South Moravian RIS3?")
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 120).until(
        lambda d: "[1] Digital Innovation Hubs in Smart Specialisation Strategies" in d.find_element(By.TAG_NAME, "body").text)
    time.sleep(1)  # let the last elements paint before the screenshot
    body = browser.find_element(By.TAG_NAME, "body").text
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "ask.png"))
    assert "DIGIMAT" in body and "[1]" in body
    assert "Traceback" not in body and '{"' not in body
    assert (SHOTS / "ask.png").stat().st_size > 10_000


def test_browser_click_on_a_heatmap_cell_shows_that_cells_mentions(served_app, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1400, 1000)
    browser.get(served_app)
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebar'] label"))
    next(e for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebar'] label")
         if e.text.strip() == "Reports").click()
    WebDriverWait(browser, 120).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"))
    time.sleep(2)

    def cell_choice():
        return [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSelectbox'] input")][-2:]

    before = cell_choice()
    heatmap = browser.find_elements(By.CSS_SELECTOR, "[data-testid='stVegaLiteChart']")[0]
    width, height = heatmap.size["width"], heatmap.size["height"]
    # right and below the centre: a cell other than the first term of the first group
    ActionChains(browser).move_to_element_with_offset(heatmap, int(width * 0.2), int(height * 0.2)).click().perform()
    WebDriverWait(browser, 60).until(lambda d: cell_choice() != before)
    term, group = cell_choice()
    WebDriverWait(browser, 60).until(lambda d: "mentions in" in d.find_element(By.TAG_NAME, "body").text
                                     or f"No mention of {term} in {group}" in d.find_element(By.TAG_NAME, "body").text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "reports.png"))
    assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text


def test_browser_region_profile_renders_the_cited_brief(served_app, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1400, 1000)
    browser.get(served_app)
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebar'] label"))
    next(e for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebar'] label")
         if e.text.strip() == "Region profile").click()
    box = WebDriverWait(browser, 60).until(lambda d: next(
        (e.find_element(By.TAG_NAME, "input") for e in d.find_elements(By.CSS_SELECTOR, "[data-testid='stTextInput']")
         if "NUTS code" in e.text), None))
    box.send_keys("NL1")
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 120).until(
        lambda d: "Northern Netherlands (NL1): region brief" in d.find_element(By.TAG_NAME, "body").text
        and d.find_elements(By.CSS_SELECTOR, "[data-testid='stDownloadButton']"))
    time.sleep(1)
    body = browser.find_element(By.TAG_NAME, "body").text
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "profile.png"))
    assert "Support structures named" in body and "Sources" in body and "2014NL16RFOP001" in body
    assert "[1]" in body and "[D1]" in body, "statements show their citation markers"
    labels = {b.text.strip() for b in browser.find_elements(By.CSS_SELECTOR, "[data-testid='stDownloadButton'] button")}
    assert {"Markdown", "HTML", "DOCX", "JSON"} <= {label.split("\n")[-1] for label in labels}
    assert "Traceback" not in body
