"""Publish speed: a no-op publish over Airbyte's 678 connectors, and one real publish split by step.

    .venv/bin/python bench/bench_publish.py

Needs `bash scripts/setup.sh`. Starts a scratch registry (its own port and storage) and fills
it with one small image manifest per connector, under that connector's repository and current
tag, and records each in a temporary store as published. The no-op publish must then ask the
registry about all 678 tags (HEAD requests, concurrently over one connection pool), find every
one recorded, and touch nothing: goal under 2 s. Then it publishes the example source for both
platforms into the same scratch registry and prints each step's time.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector_build.monorepo import Monorepo  # noqa: E402
from pipelines.local_registry import HTPASSWD_PATH, read_local_registry  # noqa: E402
from registry import layout  # noqa: E402
from registry.scratch_registry import ScratchRegistry  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures" / "airbyte" / "metadata-2026-02-28"
EXAMPLES = ROOT / "examples" / "monorepo"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def credentials() -> tuple[str, str]:
    values = read_local_registry()
    return values["LOCAL_REGISTRY_USERNAME"], values["LOCAL_REGISTRY_PASSWORD"]


async def fill_registry(registry: ScratchRegistry, tags: dict[str, str]) -> dict[str, str]:
    """One tiny manifest per repository:tag (config blob only); returns repository -> digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "config": {}}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    digests: dict[str, str] = {}
    limiter = anyio.CapacityLimiter(16)
    async with httpx.AsyncClient(base_url=f"http://{registry.address}", auth=registry.auth, timeout=60) as client:
        async def one(repository: str, tag: str) -> None:
            async with limiter:
                start = await client.post(f"/v2/{repository}/blobs/uploads/")
                location = start.headers["Location"]
                separator = "&" if "?" in location else "?"
                put = await client.put(f"{location}{separator}digest={config_digest}", content=config,
                                       headers={"Content-Type": "application/octet-stream"})
                put.raise_for_status()
                manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST, "layers": [], "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                    "size": len(config)}}).encode()
                response = await client.put(f"/v2/{repository}/manifests/{tag}", content=manifest,
                                            headers={"Content-Type": MANIFEST})
                response.raise_for_status()
                digests[repository] = response.headers["Docker-Content-Digest"]

        async with anyio.create_task_group() as group:
            for repository, tag in tags.items():
                group.start_soon(one, repository, tag)
    return digests


async def heads_alone(registry: ScratchRegistry, tags: dict[str, str]) -> float:
    """Just the HEAD requests, through our registry client: what the registry itself costs."""
    from registry.auth import RegistryAuth
    from registry.oci import RegistryClient

    auth = RegistryAuth(registry.address, *registry.auth)
    async with RegistryClient.for_registry(registry.address, auth) as client:
        await client.check_access()
        limiter = anyio.CapacityLimiter(8)
        started = time.perf_counter()

        async def one(repository: str, tag: str) -> None:
            async with limiter:
                await client.manifest_digest(repository, tag)

        async with anyio.create_task_group() as group:
            for repository, tag in tags.items():
                group.start_soon(one, repository, tag)
        return time.perf_counter() - started


def run_publish(repo: Path, registry: ScratchRegistry, store: Path, *args: str) -> tuple[float, int]:
    env = {**os.environ, "DOCKER_HUB_USERNAME": registry.auth[0], "DOCKER_HUB_PASSWORD": registry.auth[1],
           "TERM": "dumb"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), "publish",
                             "--registry", registry.address, "--store", str(store), *args],
                            capture_output=True, text=True, env=env)
    return time.perf_counter() - started, result.returncode


def main() -> None:
    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: the benchmark needs ../shared")
    console = Console()
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        registry = ScratchRegistry.create(tmp, HTPASSWD_PATH, credentials())
        registry.start()
        try:
            fixture_repo = tmp / "fixture-repo"
            (fixture_repo / "airbyte-integrations").mkdir(parents=True)
            (fixture_repo / "airbyte-integrations" / "connectors").symlink_to(FIXTURES)
            connectors = Monorepo.open(fixture_repo).discover().connectors
            tags = {c.docker_repository: c.version for c in connectors.values() if c.support_level != "archived"}
            digests = anyio.run(fill_registry, registry, tags)
            store = tmp / "store"
            for repository, tag in tags.items():
                marker = store / layout.marker(repository, tag)
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(json.dumps({"digest": digests[repository], "version": tag}))
            runs = [run_publish(fixture_repo, registry, store, "--report-dir", str(tmp / f"noop-{i}"))
                    for i in range(3)]
            noop = sorted(seconds for seconds, _ in runs)[1]
            floor = sorted(anyio.run(heads_alone, registry, tags) for _ in range(3))[1]
            table = Table(title=f"no-op publish over {len(connectors)} connectors ({len(tags)} not archived), "
                                "median of 3", title_justify="left")
            table.add_column("what")
            table.add_column("seconds", justify="right")
            table.add_column("goal < 2 s", justify="center")
            table.add_column("exit code", justify="right")
            table.add_row("connector-pipelines publish (everything recorded)", f"{noop:.2f}",
                          "yes" if noop < 2 else "NO", str(runs[0][1]))
            table.add_row(f"the same {len(tags)} HEAD requests alone (the registry's floor here)", f"{floor:.2f}",
                          "", "")
            table.add_row("publish minus that floor (our own overhead)", f"{noop - floor:.2f}", "", "")
            console.print(table)

            examples = tmp / "examples"
            subprocess.run(["cp", "-r", str(EXAMPLES), str(examples)], check=True)
            seconds, code = run_publish(examples, registry, tmp / "store-one", "source-tiny-weather",
                                        "--report-dir", str(tmp / "one"))
            report = json.loads((tmp / "one" / "report.json").read_text())
            table = Table(title="one connector's full publish (source-tiny-weather, amd64 + arm64, fresh registry)",
                          title_justify="left")
            table.add_column("step")
            table.add_column("seconds", justify="right")
            table.add_column("status")
            for step in report["connectors"][0]["steps"]:
                table.add_row(step["name"], f"{step['duration_s']:.2f}", step["status"])
            table.add_row("whole command (start-up, lock, registries)", f"{seconds:.2f}", f"exit {code}")
            console.print(table)
        finally:
            registry.stop()


if __name__ == "__main__":
    main()
