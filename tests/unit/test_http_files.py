"""The store's files as ``registry serve`` sends them: one cached gzip per version, validators, ranges."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import warnings
from pathlib import Path

import pytest

from registry import http_files
from registry.http_files import FilesApp, accepts_gzip, parse_range
from registry.server import registry_app
from registry.store import Store

with warnings.catch_warnings():  # starlette 1.x would rather drive its test client with httpx2
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient

REGISTRY = "registries/v0/oss_registry.json"
URL = f"/files/{REGISTRY}"
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def registry_bytes(tag: str) -> bytes:
    entries = [{"dockerRepository": f"airbyte/source-{i}", "dockerImageTag": tag} for i in range(200)]
    return json.dumps({"sources": entries, "destinations": []}, indent=2).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "store")
    store.write_bytes_atomic(REGISTRY, registry_bytes("1.0.0"))
    store.write_bytes_atomic("metadata/airbyte/source-x/latest/icon.svg", b"<svg/>")
    return store


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(registry_app(Path(store.root), max_age=120))


def test_gzip_and_identity_are_two_variants_with_their_own_etag(client: TestClient, store: Store) -> None:
    plain = client.get(URL, headers=PLAIN)
    packed = client.get(URL, headers=GZIP)
    original = store.read_bytes(REGISTRY)
    assert original is not None
    assert plain.content == original and "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(original)
    assert packed.headers["content-encoding"] == "gzip" and packed.content == original  # httpx un-gzips
    assert int(packed.headers["content-length"]) == packed.num_bytes_downloaded < len(original) // 5
    assert plain.headers["etag"] != packed.headers["etag"]
    for response in (plain, packed):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["cache-control"].startswith("public, max-age=120")
        assert response.headers["content-type"] == "application/json"
    # each variant revalidates against its own tag only
    assert client.get(URL, headers={**GZIP, "If-None-Match": packed.headers["etag"]}).status_code == 304
    assert client.get(URL, headers={**PLAIN, "If-None-Match": plain.headers["etag"]}).status_code == 304
    assert client.get(URL, headers={**GZIP, "If-None-Match": plain.headers["etag"]}).status_code == 200
    not_modified = client.get(URL, headers={**GZIP, "If-None-Match": f'W/{packed.headers["etag"]}, "other"'})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == packed.headers["etag"] and not_modified.headers["vary"]
    since = client.get(URL, headers={**PLAIN, "If-Modified-Since": plain.headers["last-modified"]})
    assert since.status_code == 304


def test_each_version_is_compressed_once(client: TestClient, store: Store, monkeypatch) -> None:
    calls: list[int] = []
    real = gzip.compress

    def counting(data: bytes, *args, **kwargs) -> bytes:
        calls.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(http_files.gzip, "compress", counting)
    first = [client.get(URL, headers=GZIP) for _ in range(5)]
    assert len(calls) == 1 and len({r.headers["etag"] for r in first}) == 1
    store.write_bytes_atomic(REGISTRY, registry_bytes("2.0.0"))
    second = client.get(URL, headers=GZIP)
    assert len(calls) == 2
    assert second.headers["etag"] != first[0].headers["etag"] and b'"2.0.0"' in second.content
    assert client.get(URL, headers=GZIP).headers["etag"] == second.headers["etag"] and len(calls) == 2


def test_an_edit_in_place_with_the_same_size_is_a_new_version(client: TestClient, store: Store) -> None:
    before = client.get(URL, headers=PLAIN)
    path = Path(store.root) / REGISTRY
    path.write_bytes(registry_bytes("1.0.1"))  # same length, same inode: only mtime tells
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = client.get(URL, headers=PLAIN)
    assert after.content == registry_bytes("1.0.1") and after.headers["etag"] != before.headers["etag"]


def test_ranges(client: TestClient, store: Store) -> None:
    original = store.read_bytes(REGISTRY)
    assert original is not None
    first = client.get(URL, headers={**PLAIN, "Range": "bytes=0-9"})
    assert first.status_code == 206 and first.content == original[:10]
    assert first.headers["content-range"] == f"bytes 0-9/{len(original)}" and first.headers["content-length"] == "10"
    tail = client.get(URL, headers={**PLAIN, "Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == original[-5:]
    rest = client.get(URL, headers={**PLAIN, "Range": f"bytes={len(original) - 3}-"})
    assert rest.content == original[-3:]
    beyond = client.get(URL, headers={**PLAIN, "Range": f"bytes={len(original)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(original)}"
    assert client.get(URL, headers={**PLAIN, "Range": "bytes=0-1,5-6"}).status_code == 200
    stale = client.get(URL, headers={**PLAIN, "Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == original
    etag = first.headers["etag"]
    assert client.get(URL, headers={**PLAIN, "Range": "bytes=0-9", "If-Range": etag}).status_code == 206


def test_head_hidden_files_and_methods(client: TestClient, store: Store) -> None:
    head = client.head(URL, headers=PLAIN)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(store.read_bytes(REGISTRY) or b"")
    Path(store.root, "registries/v0/.oss_registry.json.abc.tmp").write_bytes(b"half")
    assert client.get("/files/registries/v0/.oss_registry.json.abc.tmp").status_code == 404
    assert client.get("/files/registries/v0").status_code == 404
    assert client.get("/files/registries/v0/nothing.json").status_code == 404
    assert client.post(URL).status_code == 405
    assert client.get("/elsewhere").status_code == 404
    small = client.get("/files/metadata/airbyte/source-x/latest/icon.svg", headers=GZIP)
    assert small.headers["content-type"] == "image/svg+xml" and "content-encoding" not in small.headers


def test_a_symlink_out_of_the_store_is_not_followed(client: TestClient, store: Store, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("no")
    Path(store.root, "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert client.get("/files/leak.txt").status_code == 404


def test_files_past_the_memory_limit_are_streamed(store: Store) -> None:
    client = TestClient(FilesApp(Path(store.root), cache_control="no-cache", max_file_bytes=100))
    original = store.read_bytes(REGISTRY)
    response = client.get(f"/{REGISTRY}", headers=GZIP)
    assert response.status_code == 200 and response.content == original
    assert "content-encoding" not in response.headers
    assert client.get(f"/{REGISTRY}", headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_page_is_gzipped_and_revalidates(client: TestClient) -> None:
    page = client.get("/", headers=GZIP)
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"] == "no-cache"
    assert client.get("/", headers={**GZIP, "If-None-Match": page.headers["etag"]}).status_code == 304


@pytest.mark.parametrize(("header", "expected"), [
    (None, False), ("gzip", True), ("br, gzip;q=0.5", True), ("gzip;q=0", False), ("*", True),
    ("identity", False), ("deflate, x-gzip", True), ("gzip;q=nonsense", False),
])
def test_accept_encoding(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header.encode() if header else None) is expected


@pytest.mark.parametrize(("header", "expected"), [
    ("bytes=0-0", (0, 0)), ("bytes=5-", (5, 99)), ("bytes=-10", (90, 99)), ("bytes=90-500", (90, 99)),
    ("bytes=100-", "unsatisfiable"), ("bytes=-0", "unsatisfiable"), ("bytes=9-3", None),
    ("items=0-1", None), ("bytes=a-b", None), ("bytes=0-1,3-4", None),
])
def test_parse_range(header: str, expected: object) -> None:
    assert parse_range(header.encode(), 100) == expected


def test_big_bodies_go_by_pathsend_from_snapshots_that_nothing_rewrites(store: Store, tmp_path: Path) -> None:
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    app = FilesApp(Path(store.root), cache_control="no-cache", snapshots=snapshots, snapshot_grace_s=0)
    big = os.urandom(300 * 1024).hex().encode()  # hex: gzip halves it, still past the pathsend threshold
    store.write_bytes_atomic("big.txt", big)

    async def request(method: str = "GET", pathsend: bool = True, **headers: str) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "method": method, "path": "/big.txt",
                 "headers": [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()],
                 "extensions": {"http.response.pathsend": {}} if pathsend else {}}
        await app(scope, None, send)
        return sent

    async def scenario() -> None:
        plain = await request(accept_encoding="identity")
        assert plain[1]["type"] == "http.response.pathsend"
        first_snapshot = plain[1]["path"]
        assert Path(first_snapshot).read_bytes() == big and Path(first_snapshot).parent == snapshots
        packed = await request(accept_encoding="gzip")
        assert gzip.decompress(Path(packed[1]["path"]).read_bytes()) == big
        assert (await request(pathsend=False, accept_encoding="identity"))[1]["body"] == big
        assert (await request("HEAD"))[1] == {"type": "http.response.body", "body": b""}
        ranged = await request(accept_encoding="identity", range="bytes=0-3")
        assert ranged[0]["status"] == 206 and ranged[1]["body"] == big[:4]

        store.write_bytes_atomic("big.txt", big[::-1])
        newer = await request(accept_encoding="identity")
        assert newer[1]["path"] != first_snapshot and Path(newer[1]["path"]).read_bytes() == big[::-1]
        await asyncio.sleep(0.05)  # the replaced version's grace period (0 s here) runs out
        assert not Path(first_snapshot).exists() and Path(newer[1]["path"]).exists()

    asyncio.run(scenario())
