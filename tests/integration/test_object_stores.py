"""The store on real object stores: S3 (gofakes3) and GCS (fake-gcs-server), through s3fs and gcsfs.

Real daemon, real scratch registry, a real object-store server per test on a loopback port; the CLI
in subprocesses, configured the way a user configures s3fs and gcsfs (environment variables).
Publish, promote, yank, registry regeneration, `registry sync` to a folder and `registry serve` from it;
leases by the backend's own create-only write, and a server that ignores it is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from registry import layout
from registry.scratch_registry import ScratchRegistry
from registry.store import Store
from registry.store_lease import LeaseSettings, StoreLease, create_exclusive
from tests.integration.object_stores import (  # noqa: F401 (object_store is a fixture)
    ObjectStoreServer,
    object_store,
)
from tests.integration.test_publish import scratch_registry  # noqa: F401 (a fixture)
from tests.integration.test_registry_browser import free_port, running_server
from tests.integration.test_rollout import make_candidate

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

CATALOG = "source-tiny-catalog"  # manifest-only (a fast publish), in the OSS registry only
REPOSITORY = f"airbyte/{CATALOG}"
BASE_URL = "http://registry.example/files/"


def cli(server: ObjectStoreServer, *args: str, registry: ScratchRegistry | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = server.client_env()
    if registry is not None:
        environment.update({"DOCKER_HUB_USERNAME": registry.auth[0], "DOCKER_HUB_PASSWORD": registry.auth[1]})
    environment.update(env or {})
    run = subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], capture_output=True, text=True,
                         timeout=1200, env=environment)
    for secret in [*server.secrets, *(registry.auth[1:] if registry else ())]:
        assert secret not in run.stdout + run.stderr, "a credential in the output"
    return run


def publish(server: ObjectStoreServer, repo: Path, registry: ScratchRegistry, reports: Path,
            *args: str) -> subprocess.CompletedProcess[str]:
    return cli(server, "--repo", str(repo), "publish", CATALOG, "--registry", registry.address,
               "--store", server.url(), "--base-url", BASE_URL, "--platform", "linux/amd64",
               "--report-dir", str(reports), *args, registry=registry)


def images(registry: ScratchRegistry) -> tuple[str, str]:
    """The image registry whose `latest` tags promote, yank and unyank move."""
    return "--registry", registry.address


def oss_entry(store: Store) -> dict:
    document = json.loads(store.read_bytes(layout.registry_file("oss")) or b"{}")
    return next(e for e in document["sources"] if e["dockerRepository"] == REPOSITORY)


def entry_tags(store: Store, registry: str = "oss") -> dict[str, str]:
    raw = store.read_bytes(layout.registry_file(registry))
    assert raw is not None, f"no {registry} registry in {store.url}"
    document = json.loads(raw)
    return {e["dockerRepository"]: e["dockerImageTag"] for e in [*document["sources"], *document["destinations"]]}


def assert_no_secret_in(folder: Path, server: ObjectStoreServer) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode(errors="replace")
            for secret in server.secrets:
                assert secret not in text, f"a credential in {path}"


def test_publish_promote_yank_regenerate_then_serve_a_synced_copy(
        object_store: ObjectStoreServer, examples_repo: Path, scratch_registry: ScratchRegistry,  # noqa: F811
        tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = publish(object_store, examples_repo, scratch_registry, reports / "1")
    assert first.returncode == 0, first.stdout + first.stderr
    make_candidate(examples_repo, "1.1.0-rc.1")
    second = publish(object_store, examples_repo, scratch_registry, reports / "2")
    assert second.returncode == 0, second.stdout + second.stderr

    store = object_store.open_store()
    assert store.exists(layout.marker(REPOSITORY, "1.0.0")) and store.exists(layout.marker(REPOSITORY, "1.1.0-rc.1"))
    assert entry_tags(store)[REPOSITORY] == "1.0.0" and REPOSITORY not in entry_tags(store, "cloud")
    assert list(oss_entry(store)["releases"]["releaseCandidates"]) == ["1.1.0-rc.1"]
    released, candidate = (scratch_registry.digest(REPOSITORY, tag) for tag in ("1.0.0", "1.1.0-rc.1"))
    assert candidate is not None and scratch_registry.digest(REPOSITORY, "latest") == released

    promoted = cli(object_store, "rollout", "promote", CATALOG, *images(scratch_registry), "--store",
                   object_store.url(), "--base-url", BASE_URL, registry=scratch_registry)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert scratch_registry.digest(REPOSITORY, "1.1.0") == candidate == scratch_registry.digest(REPOSITORY, "latest")
    assert store.exists(layout.marker(REPOSITORY, "1.1.0"))
    assert json.loads(store.read_bytes(layout.channel_file(REPOSITORY, "latest", "oss.json")) or b"{}")[
        "dockerImageTag"] == "1.1.0"
    assert entry_tags(store)[REPOSITORY] == "1.1.0" and "releaseCandidates" not in oss_entry(store)["releases"]

    yanked = cli(object_store, "yank", CATALOG, "1.1.0", "--reason", "breaks incremental sync",
                 *images(scratch_registry), "--store", object_store.url(), "--base-url", BASE_URL,
                 registry=scratch_registry)
    assert yanked.returncode == 0, yanked.stdout + yanked.stderr
    marker = json.loads(store.read_bytes(layout.yank_marker(REPOSITORY, "1.1.0")) or b"{}")
    assert marker["reason"] == "breaks incremental sync"
    assert entry_tags(store)[REPOSITORY] == "1.0.0" and REPOSITORY not in entry_tags(store, "cloud")
    assert scratch_registry.digest(REPOSITORY, "1.1.0") == candidate, "the image stays for anyone pinned to it"
    assert scratch_registry.digest(REPOSITORY, "latest") == released

    for name in ("oss", "cloud"):  # regeneration rebuilds the registries from the bucket's entries
        assert store.delete(layout.registry_file(name))
    regenerated = cli(object_store, "registry", "generate", "--store", object_store.url(), "--base-url", BASE_URL)
    assert regenerated.returncode == 0, regenerated.stdout + regenerated.stderr
    assert entry_tags(store)[REPOSITORY] == "1.0.0" and REPOSITORY not in entry_tags(store, "cloud")
    served_registry = store.read_bytes(layout.registry_file("oss"))
    leases = [p for p in store.fs.find(store.root) if p.startswith(f"{store.root}/{layout.LOCKS_DIR}/")]
    assert leases == [], "every lease was released"

    refused = cli(object_store, "registry", "serve", "--store", object_store.url())
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    hint = f"connector-pipelines registry sync --store {object_store.url()} ./store"
    assert hint in " ".join((refused.stdout + refused.stderr).split())

    copy = tmp_path / "copy"
    synced = cli(object_store, "registry", "sync", "--store", object_store.url(), str(copy))
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert (copy / layout.registry_file("oss")).read_bytes() == served_registry
    assert not (copy / ".connector-pipelines").exists(), "leases are the store's bookkeeping, not served"
    with running_server(copy, free_port()) as url:
        got = httpx.get(f"{url}/files/{layout.registry_file('oss')}", timeout=30)
        assert got.status_code == 200 and got.content == served_registry
        got = httpx.get(f"{url}/files/{layout.yank_marker(REPOSITORY, '1.1.0')}", timeout=30)
        assert got.status_code == 200 and got.json()["reason"] == "breaks incremental sync"
        assert "source-tiny-catalog" in httpx.get(f"{url}/", timeout=30).text

        unyanked = cli(object_store, "unyank", CATALOG, "1.1.0", *images(scratch_registry), "--store",
                       object_store.url(), "--base-url", BASE_URL, registry=scratch_registry)
        assert unyanked.returncode == 0, unyanked.stdout + unyanked.stderr
        again = cli(object_store, "registry", "sync", "--store", object_store.url(), str(copy))
        assert again.returncode == 0, again.stdout + again.stderr
        assert "1 removed" in again.stdout, again.stdout  # the yank marker
        assert not (copy / layout.yank_marker(REPOSITORY, "1.1.0")).exists()
        document = httpx.get(f"{url}/files/{layout.registry_file('oss')}", timeout=30).json()
        assert {e["dockerRepository"]: e["dockerImageTag"] for e in document["sources"]}[REPOSITORY] == "1.1.0"
        assert scratch_registry.digest(REPOSITORY, "latest") == candidate

    unchanged = cli(object_store, "registry", "sync", "--store", object_store.url(), str(copy))
    assert " 0 copied" in unchanged.stdout and " 0 removed" in unchanged.stdout, unchanged.stdout
    assert_no_secret_in(reports, object_store)
    assert_no_secret_in(copy, object_store)


def test_leases_use_the_servers_create_only_write(object_store: ObjectStoreServer) -> None:  # noqa: F811
    store = object_store.open_store("leases")
    path = layout.connector_lock(REPOSITORY)

    # Sixteen takers at once through the backend's create-only write: the server lets one win.
    with ThreadPoolExecutor(16) as pool:
        won = list(pool.map(lambda i: create_exclusive(store, f"{path}.race", f"taker {i}".encode()), range(16)))
    assert won.count(True) == 1
    assert store.read_bytes(f"{path}.race") == f"taker {won.index(True)}".encode()

    first = StoreLease(store, path, "the publish lease", LeaseSettings(lease_s=60))
    second = StoreLease(store, path, "the publish lease", LeaseSettings(lease_s=60))
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        assert "held by pid" in second.describe_holder()
    finally:
        first.release()
    assert not store.exists(path)
    assert second.try_acquire()
    second.release()


@contextmanager
def dropping_conditions(upstream: str) -> Iterator[str]:
    """A loopback proxy to ``upstream`` that drops S3's ``If-None-Match`` and GCS's ``ifGenerationMatch``:
    a server that predates conditional writes, as older S3-compatible servers are."""
    client = httpx.Client(base_url=upstream, timeout=30)

    class Forward(BaseHTTPRequestHandler):
        def forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "if-none-match")}
            target = httpx.URL(self.path)
            params = httpx.QueryParams([(k, v) for k, v in target.params.multi_items() if k != "ifGenerationMatch"])
            answer = client.request(self.command, target.path, params=params, headers=headers, content=body)
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in ("content-length", "content-encoding", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.content)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

        def log_message(self, *args: object) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()
        client.close()


def test_a_server_that_ignores_conditional_writes_is_refused_in_one_line(
        object_store: ObjectStoreServer, examples_repo: Path, scratch_registry: ScratchRegistry,  # noqa: F811
        tmp_path: Path) -> None:
    seeded = layout.registry_file("oss")  # a store with something in it, for `registry generate`
    object_store.open_store().write_bytes_atomic(seeded, b'{"sources": [], "destinations": []}')
    with dropping_conditions(object_store.endpoint) as endpoint:
        variable = "AWS_ENDPOINT_URL_S3" if object_store.scheme == "s3" else "STORAGE_EMULATOR_HOST"
        through = {variable: endpoint}
        run = cli(object_store, "--repo", str(examples_repo), "publish", CATALOG, "--registry",
                  scratch_registry.address, "--store", object_store.url(), "--base-url", BASE_URL,
                  "--platform", "linux/amd64", "--report-dir", str(tmp_path / "reports"),
                  registry=scratch_registry, env=through)
        assert run.returncode == 2, run.stdout + run.stderr
        assert "Traceback" not in run.stderr
        message = " ".join(run.stderr.split())
        assert "server ignores create-only writes" in message and object_store.url() in message
        generate = cli(object_store, "registry", "generate", "--store", object_store.url(), env=through)
        assert generate.returncode != 0 and "server ignores create-only writes" in " ".join(generate.stderr.split())

    store = object_store.open_store()
    assert store.fs.find(store.root) == [f"{store.root}/{seeded}"], "nothing written, the probe removed"
    assert scratch_registry.digest(REPOSITORY, "1.0.0") is None
