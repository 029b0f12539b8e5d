"""A registry of our own for one test or benchmark: Debian's docker-registry on a free loopback
port, with the local registry's htpasswd, so it can be stopped, killed or filled freely.

    registry = ScratchRegistry.create(tmp_path, htpasswd, ("ci", password))
    registry.start(); ...; registry.stop()
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

INDEX_TYPES = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ScratchRegistry:
    address: str
    config: Path
    auth: tuple[str, str]
    log: Path
    process: subprocess.Popen | None = None

    @classmethod
    def create(cls, folder: Path, htpasswd: Path | None, auth: tuple[str, str]) -> ScratchRegistry:
        """``htpasswd=None``: no authentication (a mirror the daemon pulls from without a login)."""
        port = free_port()
        config = folder / "registry.yml"
        auth_section = f"auth:\n  htpasswd:\n    realm: scratch\n    path: {htpasswd}\n" if htpasswd else ""
        config.write_text(f"""\
version: 0.1
storage:
  filesystem:
    rootdirectory: {folder / 'registry-data'}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
""" + auth_section)
        return cls(f"127.0.0.1:{port}", config, auth, folder / "registry.log")

    def start(self) -> None:
        self.process = subprocess.Popen(["docker-registry", "serve", str(self.config)],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{self.address}/v2/", timeout=1).status_code in (200, 401):
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"scratch registry on {self.address} did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def digest(self, repository: str, tag: str) -> str | None:
        response = httpx.head(f"http://{self.address}/v2/{repository}/manifests/{tag}", auth=self.auth,
                              headers={"Accept": INDEX_TYPES})
        return response.headers.get("Docker-Content-Digest") if response.status_code == 200 else None

    def index(self, repository: str, tag: str) -> dict:
        response = httpx.get(f"http://{self.address}/v2/{repository}/manifests/{tag}", auth=self.auth,
                             headers={"Accept": INDEX_TYPES})
        response.raise_for_status()
        return response.json()


