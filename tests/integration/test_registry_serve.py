"""``registry serve`` as a real process with two workers while the store replaces its registry file.

Clients download the registry (gzip and plain, some slowly) while another thread writes new
versions the way ``registry generate`` does (temp file, rename). Every response must be one whole
version with that version's ETag, and the first request after each write must see the new one.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.store import Store
from tests.integration.test_registry_browser import free_port, running_server

REGISTRY = "registries/v0/oss_registry.json"


def registry_version(number: int) -> bytes:
    """About a megabyte of registry, different in content and in length for every version."""
    entries = [{"dockerRepository": f"airbyte/source-{i}", "dockerImageTag": f"{number}.0.{i}",
                "spec": {"connectionSpecification": {"description": "x" * (1500 + number)}}} for i in range(600)]
    return json.dumps({"sources": entries, "destinations": [], "version": number}, indent=2).encode()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = Store.open(tmp_path / "store")
    store.write_bytes_atomic(REGISTRY, registry_version(0))
    with running_server(tmp_path / "store", free_port(), "--workers", "2") as url:
        yield url, store


def test_a_replaced_file_is_never_served_half_old_half_new(served: tuple[str, Store]) -> None:
    url, store = served
    versions = {registry_version(n): n for n in range(8)}
    seen: list[tuple[str, bytes]] = []  # (etag, decoded body) of every response
    problems: list[str] = []
    writing = threading.Event()
    writing.set()

    def download(accept: str, slow: bool) -> None:
        with httpx.Client(timeout=30, headers={"Accept-Encoding": accept}) as client:
            while writing.is_set():
                try:
                    with client.stream("GET", f"{url}/files/{REGISTRY}") as response:
                        raw = b""
                        for chunk in response.iter_raw(65536):
                            raw += chunk
                            if slow:
                                time.sleep(0.01)  # still reading while the file is replaced
                except httpx.HTTPError as exc:
                    problems.append(f"{accept}: {type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200 or len(raw) != int(response.headers["content-length"]):
                    problems.append(f"{accept}: {response.status_code}, {len(raw)} bytes of "
                                    f"{response.headers.get('content-length')}")
                    continue
                body = gzip.decompress(raw) if response.headers.get("content-encoding") == "gzip" else raw
                seen.append((response.headers["etag"], body))

    clients = [threading.Thread(target=download, args=(accept, slow))
               for accept in ("gzip", "identity") for slow in (False, False, True)]
    for thread in clients:
        thread.start()
    try:
        previous = {"gzip": httpx.get(f"{url}/files/{REGISTRY}", headers={"Accept-Encoding": "gzip"}),
                    "identity": httpx.get(f"{url}/files/{REGISTRY}", headers={"Accept-Encoding": "identity"})}
        for number in range(1, 8):
            time.sleep(0.3)
            assert store.write_bytes_atomic(REGISTRY, registry_version(number))
            for accept in ("gzip", "identity"):
                after = httpx.get(f"{url}/files/{REGISTRY}", headers={"Accept-Encoding": accept}, timeout=30)
                assert after.status_code == 200 and after.content == registry_version(number)
                assert after.headers["etag"] != previous[accept].headers["etag"]
                previous[accept] = after
    finally:
        writing.clear()
        for thread in clients:
            thread.join(timeout=60)

    assert not problems, problems[:5]
    assert len(seen) > 20
    bodies_by_etag: dict[str, set[bytes]] = {}
    for etag, body in seen:
        assert body in versions, f"a response mixed versions or was cut ({len(body)} bytes, ETag {etag})"
        bodies_by_etag.setdefault(etag, set()).add(body)
    assert all(len(bodies) == 1 for bodies in bodies_by_etag.values()), "one ETag was sent with two bodies"
    assert len({versions[body] for _, body in seen}) > 1  # the downloads really spanned replacements
