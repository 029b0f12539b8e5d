"""Real object stores on loopback ports: gofakes3 (S3) and fake-gcs-server (GCS), each built from the
Go module proxy by ``scripts/build-object-stores.sh``, started on a free port with a temp data dir.

    with S3Server.start(tmp_path / "s3") as server:
        server.url("store")        # s3://cp-i12/store
        server.env                 # what s3fs needs: endpoint and credentials (the secret is random)
        server.open_store()        # the same store, opened in the test process

Without the binaries the tests skip (in CI they fail) with the command that builds them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from pipelines.local_registry import STATE_DIR
from registry.scratch_registry import free_port
from registry.store import Store

BUILT = STATE_DIR / "object-stores" / "current.env"
BUCKET = "cp-i12"


def server_binary(variable: str) -> Path:
    values = dict(line.split("=", 1) for line in BUILT.read_text().splitlines() if "=" in line) \
        if BUILT.is_file() else {}
    path = Path(values.get(variable, ""))
    if not values.get(variable) or not path.is_file():
        name = variable.removesuffix("_BIN").lower().replace("_", "-")
        message = f"no {name} built (run `bash scripts/build-object-stores.sh`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path



@dataclass
class ObjectStoreServer:
    scheme: str
    endpoint: str
    env: dict[str, str]
    """Variables a client process needs (merged into ``os.environ`` for the CLI in subprocesses)."""
    secrets: list[str] = field(default_factory=list)
    """Values that must never appear in any output."""
    log: Path = Path("/dev/null")
    process: subprocess.Popen | None = None

    def url(self, prefix: str = "store") -> str:
        return f"{self.scheme}://{BUCKET}/{prefix}"

    def client_env(self) -> dict[str, str]:
        return {**os.environ, **self.env, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}

    def open_store(self, prefix: str = "store") -> Store:
        """The store as the test process sees it: a filesystem of its own, for this server's port."""
        if self.scheme == "s3":
            import s3fs

            fs = s3fs.S3FileSystem(endpoint_url=self.endpoint, key=self.env["AWS_ACCESS_KEY_ID"],
                                   secret=self.env["AWS_SECRET_ACCESS_KEY"], skip_instance_cache=True)
        else:
            from gcsfs.core import GCSFileSystem

            fs = GCSFileSystem(endpoint_url=self.endpoint, token="anon", project="cp-i12", skip_instance_cache=True)
        return Store(fs, f"{BUCKET}/{prefix}", self.url(prefix))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def wait_until_up(self, probe: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.endpoint}{probe}", timeout=2)
                return
            except httpx.TransportError:
                pass
            if self.process is not None and self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{self.scheme} server did not come up: {self.log.read_text()}")
            time.sleep(0.1)


def start_s3(folder: Path) -> ObjectStoreServer:
    """gofakes3 with its filesystem backend (which checks ``If-None-Match`` under its lock)."""
    binary = server_binary("GOFAKES3_BIN")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    key, secret = f"cp-i12-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    server = ObjectStoreServer(
        scheme="s3", endpoint=f"http://127.0.0.1:{port}",
        env={"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}"},
        secrets=[secret], log=folder / "server.log")
    with open(server.log, "wb") as log:
        server.process = subprocess.Popen(
            [str(binary), "-backend", "fs", "-fs.path", str(folder / "data"), "-fs.create",
             "-host", f"127.0.0.1:{port}", "-initialbucket", BUCKET],
            stdout=log, stderr=subprocess.STDOUT)
    server.wait_until_up("/")
    return server


def start_gcs(folder: Path) -> ObjectStoreServer:
    """fake-gcs-server with its filesystem backend (which checks ``ifGenerationMatch`` under its lock)."""
    binary = server_binary("FAKE_GCS_SERVER_BIN")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ObjectStoreServer(
        scheme="gs", endpoint=endpoint,
        # gcsfs's default (experimental zonal-bucket) filesystem asks a gRPC control plane over TLS
        # for each bucket's type, which an emulator has not: the plain JSON-API filesystem.
        env={"STORAGE_EMULATOR_HOST": endpoint, "FSSPEC_GCS_TOKEN": "anon", "FSSPEC_GCS_PROJECT": "cp-i12",
             "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"},
        log=folder / "server.log")
    with open(server.log, "wb") as log:
        server.process = subprocess.Popen(
            [str(binary), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-backend", "filesystem",
             "-filesystem-root", str(folder / "data"), "-public-host", f"127.0.0.1:{port}",
             "-external-url", endpoint, "-log-level", "warn"],
            stdout=log, stderr=subprocess.STDOUT)
    server.wait_until_up("/storage/v1/b")
    created = httpx.post(f"{endpoint}/storage/v1/b", params={"project": "cp-i12"}, json={"name": BUCKET}, timeout=10)
    if created.status_code not in (200, 409):
        server.stop()
        pytest.fail(f"fake-gcs-server did not create bucket {BUCKET}: {created.status_code} {created.text}")
    return server


STARTERS = {"s3": start_s3, "gcs": start_gcs}


@pytest.fixture(params=sorted(STARTERS))
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStoreServer]:
    """Each test runs once on S3 (gofakes3) and once on GCS (fake-gcs-server)."""
    server = STARTERS[request.param](tmp_path / f"{request.param}-server")
    try:
        yield server
    finally:
        server.stop()
