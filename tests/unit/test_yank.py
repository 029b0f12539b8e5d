"""Yank and unyank: the registry entry goes back to the highest released version not yanked, from the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry import layout, releases
from registry.compile import generate_registries
from registry.store import Store
from registry.yank import YankError, unyank, yank
from tests.unit.test_cli import cli
from tests.unit.test_registry_compile import BASE_URL, registry_file, source

IDS = {"alpha": "00000000-0000-0000-0000-000000000001", "beta": "00000000-0000-0000-0000-000000000002"}


def record(store: Store, name: str, version: str) -> None:
    """What publish leaves for one version: entry, metadata, marker; latest/ follows the default."""
    repository = f"airbyte/{name}"
    store.write_bytes_atomic(layout.version_file(repository, version, "oss.json"),
                             json.dumps(source(name, version, IDS[name])).encode())
    store.write_bytes_atomic(layout.version_file(repository, version, layout.METADATA_FILE),
                             f"data:\n  dockerImageTag: {version}\n".encode())
    store.write_bytes_atomic(layout.marker(repository, version), b'{"digest": "sha256:x"}')
    releases.point_latest(store, repository, releases.default_version(store, repository))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "store")
    for version in ("1.0.0", "1.1.0", "1.2.0-rc.1"):
        record(opened, "alpha", version)
    record(opened, "beta", "2.0.0")
    generate_registries(opened, base_url=BASE_URL)
    return opened


def tags(store: Store) -> dict[str, str]:
    return {e["dockerRepository"]: e["dockerImageTag"] for e in registry_file(store)["sources"]}


def test_yank_moves_the_entry_back_and_unyank_restores_it(store: Store) -> None:
    assert tags(store) == {"airbyte/alpha": "1.1.0", "airbyte/beta": "2.0.0"}
    result = yank(store, [("alpha", "1.1.0")], reason="breaks sync", by="alice@host", base_url=BASE_URL)

    assert result.changes == [("airbyte/alpha", "1.1.0", "1.0.0")]
    assert tags(store) == {"airbyte/alpha": "1.0.0", "airbyte/beta": "2.0.0"}
    marker = json.loads(store.read_bytes(layout.yank_marker("airbyte/alpha", "1.1.0")) or b"")
    assert marker["reason"] == "breaks sync" and marker["by"] == "alice@host" and marker["version"] == "1.1.0"
    assert marker["at"]
    assert store.exists(layout.marker("airbyte/alpha", "1.1.0"))  # still recorded: only not the default
    assert releases.latest_version(store, "airbyte/alpha") == "1.0.0"

    again = yank(store, [("airbyte/alpha", "1.1.0")], reason="twice", by="bob", base_url=BASE_URL)
    assert again.unchanged == ["airbyte/alpha 1.1.0"]
    assert json.loads(store.read_bytes(layout.yank_marker("airbyte/alpha", "1.1.0")) or b"")["by"] == "alice@host"

    unyank(store, [("alpha", "1.1.0")], base_url=BASE_URL)
    assert tags(store) == {"airbyte/alpha": "1.1.0", "airbyte/beta": "2.0.0"}
    assert not store.exists(layout.yank_marker("airbyte/alpha", "1.1.0"))


def test_yanking_the_only_release_takes_the_connector_out_several_at_once(store: Store) -> None:
    result = yank(store, [("beta", "2.0.0"), ("alpha", "1.1.0"), ("alpha", "1.0.0")], reason="bad",
                  by="ci", base_url=BASE_URL)
    assert result.changes == [("airbyte/beta", "2.0.0", None), ("airbyte/alpha", "1.1.0", None)]
    assert tags(store) == {}  # a release candidate never becomes the default
    assert not store.glob(f"{layout.channel_folder('airbyte/beta', layout.LATEST)}/*")


def test_a_version_not_recorded_is_refused_and_nothing_is_written(store: Store) -> None:
    before = store.find("metadata")
    with pytest.raises(YankError, match=r"airbyte/alpha 9.9.9 is not a recorded version \(recorded: .*1.1.0"):
        yank(store, [("alpha", "1.1.0"), ("alpha", "9.9.9")], reason="x", by="ci", base_url=BASE_URL)
    with pytest.raises(YankError, match="no connector 'gamma' in the store"):
        yank(store, [("gamma", "1.0.0")], reason="x", by="ci", base_url=BASE_URL)
    assert store.find("metadata") == before


def test_cli_yank_then_show_and_diff_mark_it(store: Store, tmp_path: Path) -> None:
    before = tmp_path / "before.json"
    before.write_bytes(store.read_bytes(layout.registry_file("oss")) or b"")
    yanked = cli("yank", "alpha", "1.1.0", "beta", "2.0.0", "--reason", "breaks sync", "--store", store.url,
                 "--store-only")
    assert yanked.returncode == 0, yanked.stderr
    assert "airbyte/alpha: registry entry 1.1.0 -> 1.0.0" in yanked.stdout
    assert "airbyte/beta: registry entry 2.0.0 -> none (left the registries)" in yanked.stdout

    shown = json.loads(cli("registry", "show", "--store", store.url, "--format", "json").stdout)
    assert [(s["dockerRepository"], s["dockerImageTag"], s["yanked"]) for s in shown] == \
        [("airbyte/alpha", "1.0.0", ["1.1.0"])]
    table = cli("registry", "show", "alpha", "--store", store.url)
    assert "yanked 1.1.0" in table.stdout and "breaks sync" in table.stdout
    diffed = cli("registry", "diff", str(before), store.url)
    assert "1.1.0 -> 1.0.0 (yanked 1.1.0: breaks sync)" in diffed.stdout
    assert "- beta (source airbyte/beta 2.0.0) (yanked 2.0.0: breaks sync)" in diffed.stdout

    odd = cli("yank", "alpha", "--reason", "x", "--store", store.url)
    assert odd.returncode != 0 and "'alpha' has no version" in odd.stderr and "Traceback" not in odd.stderr
    restored = cli("unyank", "alpha", "1.1.0", "--store", store.url, "--store-only")
    assert restored.returncode == 0 and "1.0.0 -> 1.1.0" in restored.stdout


def test_the_registry_page_shows_yanked_versions(store: Store) -> None:
    from registry.server import render_page

    yank(store, [("alpha", "1.1.0")], reason="breaks sync", by="ci", base_url=BASE_URL)
    root = store.local_root
    assert root is not None
    assert "(yanked 1.1.0)" in render_page(root)
