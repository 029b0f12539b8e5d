"""A regeneration never silently replaces a registry with one that lists fewer connectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry import layout
from registry.compile import RegistryShrinks, generate_registries
from registry.store import Store
from tests.unit.test_registry_compile import BASE_URL, publish, registry_file, source


def three_connectors(store: Store) -> None:
    for number, name in enumerate(("alpha", "beta", "gamma"), start=1):
        publish(store, "latest", source(name, "1.0.0", f"00000000-0000-0000-0000-00000000000{number}"))
    generate_registries(store, base_url=BASE_URL)


def names(store: Store) -> list[str]:
    return [e["name"] for e in registry_file(store)["sources"]]


def test_dropping_a_connector_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    three_connectors(store)
    store.delete(layout.channel_file("airbyte/beta", layout.LATEST, "oss.json"))
    before = store.read_bytes(layout.registry_file("oss"))
    with pytest.raises(RegistryShrinks, match=r"drop 1 of its 3 connector\(s\) \(airbyte/beta\)"):
        generate_registries(store, base_url=BASE_URL)
    assert store.read_bytes(layout.registry_file("oss")) == before


def test_force_a_share_or_an_expected_drop_lets_it_through(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    three_connectors(store)
    store.delete(layout.channel_file("airbyte/beta", layout.LATEST, "oss.json"))
    with pytest.raises(RegistryShrinks):
        generate_registries(store, base_url=BASE_URL, max_dropped_share=0.3)  # 1 of 3 is more than 30%
    generate_registries(store, base_url=BASE_URL, expected_drops={"airbyte/beta"})
    assert names(store) == ["alpha", "gamma"]
    store.delete(layout.channel_file("airbyte/gamma", layout.LATEST, "oss.json"))
    generate_registries(store, base_url=BASE_URL, max_dropped_share=0.5)
    assert names(store) == ["alpha"]
    store.delete(layout.channel_file("airbyte/alpha", layout.LATEST, "oss.json"))
    generate_registries(store, base_url=BASE_URL, force=True)
    assert names(store) == []


def test_an_empty_or_unreadable_registry_is_no_obstacle(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.write_bytes_atomic(layout.registry_file("oss"), b"not json")
    publish(store, "latest", source("alpha", "1.0.0", "00000000-0000-0000-0000-000000000001"))
    generate_registries(store, base_url=BASE_URL)
    assert json.loads(store.read_bytes(layout.registry_file("oss")) or b"")["sources"][0]["name"] == "alpha"
