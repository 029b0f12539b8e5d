"""``connector-pipelines registry ...`` as a user runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from registry.store import Store
from tests.conftest import write_connector

PROJECT = Path(__file__).resolve().parents[2]
ENABLED = "  registryOverrides:\n    oss:\n      enabled: true\n    cloud:\n      enabled: false\n"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], cwd=cwd or PROJECT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    write_connector(repo, "source-alpha", version="1.0.0", extra=ENABLED)
    write_connector(repo, "source-beta", version="0.2.0", extra=ENABLED)
    return repo


@pytest.fixture
def spec_cache(tmp_path: Path) -> Path:
    cache = Store.open(tmp_path / "cache")
    cache.write_bytes_atomic("specs/airbyte/source-alpha/1.0.0/spec.json", b'{"connectionSpecification": {}}')
    return tmp_path / "cache"


def test_missing_store_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    for command in (["generate"], ["show"], ["serve"]):
        assert_one_line_error(run("registry", *command, "--store", str(missing)), str(missing), "no such folder")


def test_show_before_generate_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run("registry", "show", "--store", str(tmp_path)), "registry generate")


def test_bad_store_url_is_one_line() -> None:
    assert_one_line_error(run("registry", "generate", "--store", "nosuchproto://bucket"), "nosuchproto://bucket")


def test_preview_then_generate_show_and_diff(monorepo: Path, spec_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    preview = run("--repo", str(monorepo), "registry", "preview", "--spec-cache", str(spec_cache),
                  "--output", str(out), "--base-url", "http://host:8080/files/")
    assert preview.returncode == 0, preview.stderr
    assert "source-beta: no spec at specs/airbyte/source-beta/0.2.0/spec.json; left out of oss" in preview.stderr
    assert "Traceback" not in preview.stderr
    oss = json.loads((out / "registries/v0/oss_registry.json").read_text())
    assert [e["dockerRepository"] for e in oss["sources"]] == ["airbyte/source-alpha"]
    assert json.loads((out / "registries/v0/cloud_registry.json").read_text()) == {"destinations": [], "sources": []}

    # Publish's layout by hand: the preview's entry as the latest oss.json, then regenerate.
    store = Store.open(tmp_path / "store")
    store.write_bytes_atomic("metadata/airbyte/source-alpha/latest/oss.json", json.dumps(oss["sources"][0]).encode())
    generated = run("registry", "generate", "--store", str(tmp_path / "store"))
    assert generated.returncode == 0, generated.stderr
    assert "1 sources, 0 destinations" in generated.stdout

    shown = run("registry", "show", "source-alpha", "--format", "json", "--store", str(tmp_path / "store"))
    assert shown.returncode == 0 and json.loads(shown.stdout)["dockerImageTag"] == "1.0.0"
    listed = run("registry", "show", "--store", str(tmp_path / "store"))
    assert "airbyte/source-alpha" in listed.stdout
    assert_one_line_error(run("registry", "show", "source-alhpa", "--store", str(tmp_path / "store")),
                          "did you mean source-alpha")

    changed = {**oss, "sources": [{**oss["sources"][0], "dockerImageTag": "1.1.0", "name": "Alpha 2"}]}
    (tmp_path / "new.json").write_text(json.dumps(changed))
    diff = run("registry", "diff", str(tmp_path / "store"), str(tmp_path / "new.json"))
    assert diff.returncode == 0, diff.stderr
    assert "1.0.0 -> 1.1.0" in diff.stdout and "name changed" in diff.stdout
    as_json = json.loads(run("registry", "diff", str(tmp_path / "store"), str(tmp_path / "new.json"),
                             "--format", "json").stdout)
    assert as_json["versionChanges"][0]["to"] == "1.1.0"


def test_diff_of_a_file_that_is_not_a_registry(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[1, 2]")
    assert_one_line_error(run("registry", "diff", str(tmp_path / "a.json"), str(tmp_path / "a.json")),
                          "not a registry")
    assert_one_line_error(run("registry", "diff", str(tmp_path / "none.json"), str(tmp_path / "a.json")),
                          "none.json")


def test_preview_with_a_missing_spec_cache(monorepo: Path, tmp_path: Path) -> None:
    assert_one_line_error(run("--repo", str(monorepo), "registry", "preview", "--spec-cache",
                              str(tmp_path / "nope"), "--output", str(tmp_path / "out")), "spec cache")


def test_serve_on_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_line_error(run("registry", "serve", "--store", str(tmp_path), "--port", str(port)),
                              f"127.0.0.1:{port}")


def test_serve_on_a_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    result = run("registry", "serve", "--store", str(tmp_path), "--port", "99999")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Invalid value for '--port'" in result.stderr


def test_serve_from_a_bucket_says_how_to_sync_one() -> None:
    assert_one_line_error(run("registry", "serve", "--store", "s3://bucket/registry"),
                          "serve needs a store folder on this machine",
                          "connector-pipelines registry sync --store s3://bucket/registry ./store")
    assert "`registry sync --store URL FOLDER`" in " ".join(run("registry", "serve", "--help").stdout.split())


def test_a_preview_without_a_base_url_says_how_to_give_a_platform_its_icons(monorepo: Path, spec_cache: Path,
                                                                           tmp_path: Path) -> None:
    preview = run("--repo", str(monorepo), "registry", "preview", "--spec-cache", str(spec_cache),
                  "--output", str(tmp_path / "preview"))
    assert preview.returncode == 0, preview.stderr
    assert "its iconUrls are file URLs" in preview.stderr and "--base-url http://HOST:8080/files/" in preview.stderr


def test_a_preview_is_a_store_that_registry_serve_serves_as_it_is(monorepo: Path, spec_cache: Path,
                                                                    tmp_path: Path) -> None:
    import warnings

    from registry.server import connector_rows, registry_app

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2")
        from starlette.testclient import TestClient

    (monorepo / "airbyte-integrations/connectors/source-alpha/icon.svg").write_text("<svg/>")
    out = tmp_path / "preview"
    preview = run("--repo", str(monorepo), "registry", "preview", "--spec-cache", str(spec_cache),
                  "--output", str(out), "--base-url", "http://127.0.0.1:8080/files/")
    assert preview.returncode == 0, preview.stderr
    assert f"registry serve --store {out}" in preview.stderr
    [row] = connector_rows(out)
    assert row.icon_url == "/files/metadata/airbyte/source-alpha/latest/icon.svg"
    client = TestClient(registry_app(out))
    for url in (row.icon_url, row.entry_url, row.spec_url, "/files/registries/v0/oss_registry.json",
                "/files/metadata/airbyte/source-alpha/latest/metadata.yaml"):
        assert client.get(url).status_code == 200, url
    assert client.get(row.spec_url).json() == {"connectionSpecification": {}}
    [entry] = client.get("/files/registries/v0/oss_registry.json").json()["sources"]
    assert entry["iconUrl"] == "http://127.0.0.1:8080/files/metadata/airbyte/source-alpha/latest/icon.svg"
    assert "source-alpha" in client.get("/").text
