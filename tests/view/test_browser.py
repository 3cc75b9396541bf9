"""The pages in a real browser: headless Chromium through Selenium (Debian's chromium and
chromium-driver; .ci/run installs them). Screenshots land in the test's temporary folder,
and in docs/images/ when AGENTOTEL_UPDATE_SCREENSHOTS=1 (how docs/view.md's were made)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentotel import query
from agentotel.view import data, page
from tests.view.conftest import BIG_SPANS, BIG_TRACE, INJECTION, INJECTION_TRACE

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="headless Chromium is not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(DRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, html: str, path: Path) -> None:
    path.write_text(html, encoding="utf-8")
    browser.get(path.as_uri())
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
    )


def _click_row(browser: Any, text: str) -> None:
    """Rows are redrawn on every selection, so look them up afresh each time."""
    rows = browser.find_elements(By.CSS_SELECTOR, ".wf-row")
    next(r for r in rows if text in r.find_element(By.CSS_SELECTOR, ".wf-label").text).click()


def _shot(browser: Any, tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    assert browser.save_screenshot(str(target))
    assert target.stat().st_size > 10_000
    if os.environ.get("AGENTOTEL_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, DOCS_IMAGES / name)


def test_trace_page_waterfall_and_click(
    browser: Any, view_store: dict[str, Any], tmp_path: Path
) -> None:
    with query.open(view_store["store"]) as q:
        html = page.render(data.trace_payload(q.trace(view_store["trace"])))
    _open(browser, html, tmp_path / "trace.html")
    bars = browser.find_elements(By.CSS_SELECTOR, ".wf-bar")
    assert len(bars) == view_store["spans"] == 4  # one bar per span
    _click_row(browser, "execute_tool get_weather")
    detail = browser.find_element(By.ID, "detail")
    assert detail.find_element(By.CSS_SELECTOR, ".detail-title").text == "execute_tool get_weather"
    assert "gen_ai.tool.name" in detail.text
    _click_row(browser, "chat")
    assert "MESSAGES" in detail.text.upper() and "ASSISTANT" in detail.text.upper()
    _shot(browser, tmp_path, "view-trace.png")
    # Collapse the root: only the root row stays.
    browser.find_element(By.CSS_SELECTOR, ".wf-row .toggle").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, ".wf-bar")) == 1


def test_injection_shows_as_text(browser: Any, view_store: dict[str, Any], tmp_path: Path) -> None:
    with query.open(view_store["store"]) as q:
        html = page.render(data.trace_payload(q.trace(INJECTION_TRACE)))
    _open(browser, html, tmp_path / "injection.html")
    body = browser.find_element(By.TAG_NAME, "body")
    assert body.get_attribute("data-pwned") is None
    assert browser.find_element(By.TAG_NAME, "h1").text == "invoke_agent " + INJECTION
    assert not browser.find_elements(By.CSS_SELECTOR, "#app img, #app script")
    next(
        r for r in browser.find_elements(By.CSS_SELECTOR, ".wf-row") if "chat evil" in r.text
    ).click()
    parts = browser.find_elements(By.CSS_SELECTOR, "#detail .part-text")
    assert INJECTION in [p.text for p in parts]
    assert body.get_attribute("data-pwned") is None


def test_big_trace_is_virtualised(browser: Any, view_store: dict[str, Any], tmp_path: Path) -> None:
    with query.open(view_store["store"]) as q:
        html = page.render(data.trace_payload(q.trace(BIG_TRACE)))
    _open(browser, html, tmp_path / "big.html")
    spacer = browser.find_element(By.ID, "wf-spacer")
    assert spacer.get_attribute("data-rows") == str(BIG_SPANS)
    drawn = len(browser.find_elements(By.CSS_SELECTOR, ".wf-row"))
    assert 0 < drawn < 200  # only the rows near the viewport exist
    labels = "return Array.from(document.querySelectorAll('.wf-label'), e => e.textContent);"
    browser.execute_script(
        "var v = document.getElementById('wf-viewport'); v.scrollTop = v.scrollHeight;"
    )
    WebDriverWait(browser, 10).until(
        lambda d: any(t.endswith(f" s{BIG_SPANS - 1}") for t in d.execute_script(labels))
    )
    browser.execute_script("document.getElementById('wf-viewport').scrollTop = 0;")
    WebDriverWait(browser, 10).until(lambda d: "invoke_agent big" in d.execute_script(labels))
    # Collapsing the first sub-agent hides its 49 children.
    browser.execute_script("document.querySelectorAll('.wf-row .toggle')[1].click();")
    assert spacer.get_attribute("data-rows") == str(BIG_SPANS - 49)


def test_run_and_compare_pages(browser: Any, view_store: dict[str, Any], tmp_path: Path) -> None:
    with query.open(view_store["store"]) as q:
        html = page.render(data.run_payload(q, view_store["run"]))
    _open(browser, html, tmp_path / "run.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#run-traces tbody tr")
    assert len(rows) == 1 and view_store["trace"][:16] in rows[0].text
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 4
    _shot(browser, tmp_path, "view-run.png")
    import argparse

    from agentotel.cli.evals_cmd import build_comparison

    args = argparse.Namespace(
        baseline=f"run:{view_store['run']}",
        candidate=f"run:{view_store['run']}",
        store=str(view_store["store"]),
        config=None,
        metric=[],
        limit=None,
    )
    html = page.render(data.compare_payload(build_comparison(args).to_dict()))
    _open(browser, html, tmp_path / "compare.html")
    assert browser.find_element(By.CSS_SELECTOR, ".verdict").text == "UNCHANGED"
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart-box")
    _shot(browser, tmp_path, "view-compare.png")
