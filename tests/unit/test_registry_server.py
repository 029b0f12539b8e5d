"""``registry serve``'s app: the bucket's paths under /files/, caching headers, gzip, and the page."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from registry.server import connector_rows, registry_app

with warnings.catch_warnings():  # starlette 1.x would rather drive its test client with httpx2
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient

SOURCE = {"sourceDefinitionId": "00000000-0000-0000-0000-000000000001", "name": "Faker <script>alert(1)</script>",
          "dockerRepository": "airbyte/source-faker", "dockerImageTag": "6.2.24", "documentationUrl": "https://d",
          "spec": {}, "supportLevel": "community",
          "generated": {"source_file_info": {
              "metadata_file_path": "metadata/airbyte/source-faker/6.2.38/metadata.yaml"}}}
CLOUD_ONLY = {"destinationDefinitionId": "00000000-0000-0000-0000-000000000002", "name": "Warehouse",
              "dockerRepository": "airbyte/destination-warehouse-strict-encrypt", "dockerImageTag": "1.0.0",
              "documentationUrl": "https://d", "spec": {}, "supportLevel": "certified",
              "generated": {"source_file_info": {
                  "metadata_file_path": "metadata/airbyte/destination-warehouse/1.0.0/metadata.yaml"}}}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    registries = tmp_path / "registries" / "v0"
    registries.mkdir(parents=True)
    oss = {"sources": [SOURCE] * 1, "destinations": [], "padding": "x" * 2000}
    (registries / "oss_registry.json").write_text(json.dumps(oss))
    (registries / "cloud_registry.json").write_text(json.dumps({"sources": [{**SOURCE, "dockerImageTag": "6.2.20"}],
                                                                "destinations": [CLOUD_ONLY]}))
    latest = tmp_path / "metadata" / "airbyte" / "source-faker" / "latest"
    latest.mkdir(parents=True)
    (latest / "icon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (latest / "metadata.yaml").write_text("data: {}\n")
    return tmp_path


def test_files_are_served_with_types_etag_and_304(store: Path) -> None:
    client = TestClient(registry_app(store))
    response = client.get("/files/registries/v0/oss_registry.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    etag = response.headers["etag"]
    assert client.get("/files/registries/v0/oss_registry.json", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/files/metadata/airbyte/source-faker/latest/icon.svg").headers["content-type"] == \
        "image/svg+xml"
    assert client.get("/files/metadata/airbyte/source-faker/latest/metadata.yaml").headers["content-type"] \
        .startswith("application/yaml")
    assert client.get("/files/metadata/airbyte/nothing/latest/oss.json").status_code == 404
    assert client.get("/files/../../etc/passwd").status_code == 404


def test_responses_are_gzipped_when_asked(store: Path) -> None:
    response = TestClient(registry_app(store)).get("/files/registries/v0/oss_registry.json",
                                                   headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["sources"][0]["dockerImageTag"] == "6.2.24"


def test_rows_join_both_registries(store: Path) -> None:
    rows = {row.name: row for row in connector_rows(store)}
    faker, warehouse = rows["Faker <script>alert(1)</script>"], rows["Warehouse"]
    assert (faker.oss, faker.cloud, faker.tag, faker.cloud_tag) == (True, True, "6.2.24", "6.2.20")
    assert faker.icon_url == "/files/metadata/airbyte/source-faker/latest/icon.svg"
    assert faker.entry_url == "/files/metadata/airbyte/source-faker/latest/oss.json"
    assert faker.spec_url == "/files/specs/airbyte/source-faker/6.2.24/spec.json"
    assert (warehouse.oss, warehouse.cloud, warehouse.icon_url) == (False, True, None)
    # a registry that renames the repository still finds the files under the connector's own folder
    assert warehouse.entry_url == "/files/metadata/airbyte/destination-warehouse/latest/cloud.json"


def test_page_lists_connectors_and_escapes_names(store: Path) -> None:
    response = TestClient(registry_app(store)).get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.count('<tr class="connector"') == 2
    assert "Faker &lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert 'id="search"' in page and 'id="type-filter"' in page and 'id="registry-filter"' in page


def test_page_of_an_empty_store(tmp_path: Path) -> None:
    response = TestClient(registry_app(tmp_path)).get("/")
    assert response.status_code == 200 and "0 of 0 connectors" in response.text
