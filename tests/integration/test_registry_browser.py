"""``registry serve``'s page in a real headless Chromium, against the real server process.

The store holds the hand-picked Airbyte connectors (../shared/fixtures/airbyte/connectors) as
publish leaves them: per-version files, ``latest/`` for releases, ``release_candidate/`` for RCs,
then both registries generated for the server's URL. The test types in the search box and uses
the filters, and checks which rows stay visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from connector_build import versions
from connector_build.metadata_loader import load_metadata
from registry.compile import generate_registries
from registry.entries import registry_coordinates, write_registry_entries
from registry.models import REGISTRIES
from registry.scratch_registry import free_port
from registry.store import Store

pytest_plugins = ("tests.browser",)

PROJECT = Path(__file__).resolve().parents[2]
CONNECTORS = (PROJECT / ".." / "shared" / "fixtures" / "airbyte" / "connectors").resolve()
REAL_REGISTRIES = (PROJECT / ".." / "shared" / "fixtures" / "airbyte" / "registries").resolve()



def publish_fixture_connectors(store: Store, base_url: str) -> None:
    for folder in sorted(p for p in CONNECTORS.iterdir() if (p / "metadata.yaml").is_file()):
        metadata = load_metadata(folder / "metadata.yaml").metadata
        repository, tag = metadata.data.dockerRepository, metadata.data.dockerImageTag
        version_folder = f"metadata/{repository}/{tag}"
        spec = {"connectionSpecification": {"properties": {"api_key": {"type": "string"}}}}
        for registry in REGISTRIES:
            spec_repository, spec_tag = registry_coordinates(metadata.data, registry)
            store.write_bytes_atomic(f"specs/{spec_repository}/{spec_tag}/spec.json", json.dumps(spec).encode())
        store.write_bytes_atomic(f"{version_folder}/metadata.yaml", (folder / "metadata.yaml").read_bytes())
        if (folder / "icon.svg").is_file():
            store.write_bytes_atomic(f"{version_folder}/icon.svg", (folder / "icon.svg").read_bytes())
        write_registry_entries(store, metadata, spec=spec,
                               icon_url=store.public_url(f"metadata/{repository}/latest/icon.svg", base_url))
        channel = "release_candidate" if versions.is_release_candidate(tag) else "latest"
        for name in ("metadata.yaml", "icon.svg", "oss.json", "cloud.json"):
            data = store.read_bytes(f"{version_folder}/{name}")
            if data is not None:
                store.write_bytes_atomic(f"metadata/{repository}/{channel}/{name}", data)
    generate_registries(store, base_url=base_url)


@contextmanager
def running_server(store: Path, port: int, *options: str) -> Iterator[str]:
    """``connector-pipelines registry serve`` on a loopback port; its base URL once it answers."""
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.app", "registry", "serve", "--store", str(store),
         "--port", str(port), *options], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"registry serve did not come up: {server.communicate(timeout=5)[0]}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def served_store(tmp_path: Path) -> Iterator[str]:
    """The server over a freshly published store of the hand-picked connectors."""
    if not CONNECTORS.is_dir():
        pytest.skip(f"{CONNECTORS} is absent (the real Airbyte fixtures live in ../shared)")
    port = free_port()
    publish_fixture_connectors(Store.open(tmp_path / "store"), f"http://127.0.0.1:{port}/files/")
    with running_server(tmp_path / "store", port) as url:
        yield url


def visible_names(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    return [row.find_element(By.CSS_SELECTOR, ".name").text
            for row in browser.find_elements(By.CSS_SELECTOR, "tr.connector") if row.is_displayed()]


def test_search_and_filters_show_the_right_rows(browser, served_store: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{served_store}/")
    everything = visible_names(browser)
    # Released, listed connectors; archived ones and release candidates without a release are absent.
    assert sorted(everything) == sorted(["DuckDB", "Postgres", "Snowflake", "Local SQLite", "Sample Data",
                                         "HubSpot", "MySQL", "PokeAPI", "Rss", "Shopify", "Zendesk Sell"])
    count = browser.find_element(By.ID, "count")
    assert count.text == f"{len(everything)} of {len(everything)} connectors"

    search = browser.find_element(By.ID, "search")
    search.send_keys("faker")
    assert visible_names(browser) == ["Sample Data"]  # matched on the repository, airbyte/source-faker
    assert count.text == f"1 of {len(everything)} connectors"
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "tr.connector") if r.is_displayed())
    assert row.find_element(By.CSS_SELECTOR, "td.availability").text.split() == ["OSS", "Cloud"]
    icon = row.find_element(By.CSS_SELECTOR, "td.icon img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", icon)
    entry = httpx.get(row.find_element(By.CSS_SELECTOR, "a.entry").get_attribute("href")).json()
    assert entry["dockerRepository"] == "airbyte/source-faker" and entry["dockerImageTag"] == "6.2.24"
    assert httpx.get(row.find_element(By.CSS_SELECTOR, "a.spec").get_attribute("href")).status_code == 200

    search.clear()
    search.send_keys("SQL")
    assert sorted(visible_names(browser)) == ["Local SQLite", "MySQL"]

    search.clear()
    search.send_keys("nothing-is-called-this")
    assert visible_names(browser) == []

    search.clear()
    Select(browser.find_element(By.ID, "type-filter")).select_by_value("destination")
    assert sorted(visible_names(browser)) == ["DuckDB", "Local SQLite", "Postgres", "Snowflake"]
    Select(browser.find_element(By.ID, "registry-filter")).select_by_value("cloud")
    assert sorted(visible_names(browser)) == ["DuckDB", "Postgres", "Snowflake"]  # SQLite is OSS only
    Select(browser.find_element(By.ID, "support-filter")).select_by_value("certified")
    assert sorted(visible_names(browser)) == ["Postgres", "Snowflake"]


@pytest.fixture
def served_full_registry(tmp_path: Path) -> Iterator[tuple[str, dict[str, dict]]]:
    """The server over a store holding Airbyte's real, full-size OSS and Cloud registries (2024-08)."""
    if not REAL_REGISTRIES.is_dir():
        pytest.skip(f"{REAL_REGISTRIES} is absent (the real Airbyte fixtures live in ../shared)")
    store = Store.open(tmp_path / "store")
    documents: dict[str, dict] = {}
    for registry in REGISTRIES:
        data = (REAL_REGISTRIES / f"{registry}_registry.fixture-2024-08.json").read_bytes()
        store.write_bytes_atomic(f"registries/v0/{registry}_registry.json", data)
        documents[registry] = json.loads(data)
    with running_server(tmp_path / "store", free_port()) as url:
        yield url, documents


def test_search_on_the_full_registry(browser, served_full_registry: tuple[str, dict[str, dict]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, documents = served_full_registry
    connectors: dict[str, dict] = {}  # by definition id; the OSS entry speaks for a connector in both
    for registry in ("cloud", "oss"):
        for kind in ("source", "destination"):
            for entry in documents[registry][f"{kind}s"]:
                connectors[entry[f"{kind}DefinitionId"]] = {**entry, "kind": kind}
    browser.get(f"{url}/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.connector")) == len(connectors) > 300
    count = browser.find_element(By.ID, "count")
    assert count.text == f"{len(connectors)} of {len(connectors)} connectors"

    def expected(word: str, kind: str = "") -> list[str]:
        return sorted(e["name"] for e in connectors.values()
                      if word in f"{e['name']} {e['dockerRepository']}".lower() and kind in ("", e["kind"]))

    search = browser.find_element(By.ID, "search")
    search.send_keys("postgres")
    assert sorted(visible_names(browser)) == expected("postgres") and len(expected("postgres")) >= 2
    Select(browser.find_element(By.ID, "type-filter")).select_by_value("destination")
    assert sorted(visible_names(browser)) == expected("postgres", "destination")
    search.clear()
    search.send_keys("s3")
    assert sorted(visible_names(browser)) == expected("s3", "destination")
    assert count.text == f"{len(expected('s3', 'destination'))} of {len(connectors)} connectors"
