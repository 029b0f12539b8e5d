"""The HTML report in a real headless Chromium: the failing step and its log are on the page, shown
in the failure colour, and log text that looks like HTML stays text (nothing in it runs).

Needs Debian's ``chromium`` and ``chromium-driver`` packages; skips, saying so, without them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.reports import write_reports
from pipelines.results import ConnectorReport, RunReport, StepResult, StepStatus

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FAILING_LINE = "AssertionError: stream 'pokemon' returned 0 records"
INJECTION = "<script>document.title='injected'</script><img src=x onerror=\"document.title='injected'\">"


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless Chromium driven by selenium, with a throw-away profile."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)")
    if not CHROMEDRIVER.is_file():
        pytest.skip(f"{CHROMEDRIVER} is absent (apt-get install chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="report-browser-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def failing_run() -> RunReport:
    return RunReport(
        command="test", engine="docker",
        started_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 3, 1, 10, 1, tzinfo=dt.UTC),
        connectors=[ConnectorReport("source-pokeapi", "0.3.50", [
            StepResult("build", StepStatus.SUCCESS, 8.0, "built airbyte/source-pokeapi:dev"),
            StepResult("read", StepStatus.FAILURE, 4.5, "read: 0 records",
                       log_tail=["starting read", INJECTION, FAILING_LINE]),
            StepResult.skipped("acceptance", "no secrets"),
        ])],
    )


def test_failing_step_and_its_log_are_visible(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = write_reports(failing_run(), tmp_path)["html"]
    browser.get(page.as_uri())

    row = browser.find_element(By.CSS_SELECTOR, 'tr.step[data-step="read"]')
    assert row.get_attribute("data-status") == "failure"
    log = row.find_element(By.CSS_SELECTOR, "pre.log")
    assert log.is_displayed()
    assert FAILING_LINE in log.text
    assert "read: 0 records" in row.text
    # The injected markup is shown as text and did not run.
    assert "<script>document.title='injected'</script>" in log.text
    assert browser.title != "injected" and "injected" not in browser.title
    assert browser.find_elements(By.CSS_SELECTOR, "pre.log img, pre.log script") == []

    badge = row.find_element(By.CSS_SELECTOR, ".badge")
    assert badge.text == "failure"
    assert badge.value_of_css_property("background-color") in {"rgba(207, 34, 46, 1)", "rgb(207, 34, 46)"}
    assert browser.find_element(By.ID, "run-status").text == "failure"
    skipped = browser.find_element(By.CSS_SELECTOR, 'tr.step[data-step="acceptance"]')
    assert "no secrets" in skipped.text
