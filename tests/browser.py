"""A headless Chromium for tests, driven by selenium: the ``browser`` fixture and what it needs.

    pytest_plugins = ("tests.browser",)      # in a test module: makes the fixture available

    def test_page(browser) -> None:
        browser.get("http://127.0.0.1:8080/")

Needs Debian's ``chromium`` and ``chromium-driver`` packages and the ``selenium`` package (dev
extra). Without them the test is skipped, saying which is missing. Every background fetch is
switched off, so nothing but loopback is needed; the profile is a fresh temp folder each time.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")


def missing_browser_parts() -> str | None:
    """Why a browser cannot be started here, or None when it can."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    if not CHROMEDRIVER.is_file():
        return f"{CHROMEDRIVER} is absent (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def headless_chromium(page_load_timeout_s: float = 30) -> Iterator[Any]:
    """A selenium ``WebDriver`` for a headless Chromium, quit and its profile removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="test-browser-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(page_load_timeout_s)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver); skips the test when one cannot be started here."""
    reason = missing_browser_parts()
    if reason:
        pytest.skip(reason)
    with headless_chromium() as driver:
        yield driver
