"""What provenance + SBOM add to one publish (#17): seconds and share of the whole publish.

    .venv/bin/python bench/bench_attest.py

Needs `bash scripts/setup.sh`. Starts a scratch registry (its own port and storage), publishes the
example source for both platforms into it (a git checkout, so the provenance names a commit), and
reads the ``attest`` step's time from the run's report, beside the whole command's; its layer cache
starts empty (a fresh machine). Then, side by side in the same run: the SBOM's parts measured
alone against the same registry (reading the packages out of each platform's layers with no cache
and with the layer cache warm, as for the next connector on the same base image; making the SPDX
documents), the provenance's inputs (hashing the connector folder, rendering the recipe, asking
git), and a second publish into a new store, where the image is already out and the attachments
are found and reused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector_build.monorepo import Monorepo  # noqa: E402
from pipelines.local_registry import HTPASSWD_PATH, read_local_registry  # noqa: E402
from registry.auth import RegistryAuth  # noqa: E402
from registry.image_files import LayerCache  # noqa: E402
from registry.oci import RegistryClient  # noqa: E402
from registry.sbom import LAYER_SELECTION, ImageSubject, document_bytes, image_packages, spdx_document  # noqa: E402
from registry.scratch_registry import ScratchRegistry  # noqa: E402

EXAMPLES = ROOT / "examples" / "monorepo"
CONNECTOR = "source-tiny-weather"
REPO = "airbyte/source-tiny-weather"


def credentials() -> tuple[str, str]:
    values = read_local_registry()
    return values["LOCAL_REGISTRY_USERNAME"], values["LOCAL_REGISTRY_PASSWORD"]


def run_publish(repo: Path, registry: ScratchRegistry, store: Path, reports: Path,
                cache: Path) -> tuple[float, dict[str, float]]:
    env = {**os.environ, "DOCKER_HUB_USERNAME": registry.auth[0], "DOCKER_HUB_PASSWORD": registry.auth[1],
           "TERM": "dumb", "XDG_CACHE_HOME": str(cache)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), "publish", CONNECTOR,
                             "--registry", registry.address, "--store", str(store), "--report-dir", str(reports),
                             "--platform", "linux/amd64,linux/arm64"], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"publish failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    steps = json.loads((reports / "report.json").read_text())["connectors"][0]["steps"]
    return seconds, {step["name"]: step["duration_s"] or 0.0 for step in steps}


async def sbom_parts(registry: ScratchRegistry, cache: Path) -> tuple[float, float, float, int]:
    """Reading every platform's packages from its layers (no cache; cache warm), then making the
    documents: seconds each."""
    async with RegistryClient.for_registry(registry.address, RegistryAuth(registry.address, *registry.auth)) as client:
        index = await client.get_manifest(REPO, "0.2.0")
        assert index is not None
        platforms = [(f"linux/{m['platform']['architecture']}", m["digest"]) for m in index.json()["manifests"]]
        started = time.perf_counter()
        found = [await image_packages(client, REPO, digest, LayerCache(None)) for _, digest in platforms]
        read = time.perf_counter() - started
        started = time.perf_counter()
        for _, digest in platforms:
            await image_packages(client, REPO, digest, LayerCache(cache / "connector-pipelines" / "layer-files"
                                                                  / LAYER_SELECTION))
        warm = time.perf_counter() - started
        started = time.perf_counter()
        for (platform, digest), packages in zip(platforms, found, strict=True):
            document_bytes(spdx_document(packages, subject=ImageSubject(REPO, "0.2.0", platform, digest),
                                         namespace="http://bench/", created=None, tool_version="bench"))
        return read, warm, time.perf_counter() - started, sum(len(p.packages) for p in found)


def provenance_inputs(repo: Path) -> float:
    from pipelines.attest_step import build_inputs
    from pipelines.publish_steps import PublishTarget

    connector = Monorepo.open(repo).discover().connectors[CONNECTOR]
    target = PublishTarget(registry="bench", registry_client=None, auth=None, store=None,  # type: ignore[arg-type]
                           base_url="http://bench/", repo_root=repo)
    started = time.perf_counter()
    build_inputs(connector, "0.2.0", target, ["linux/amd64", "linux/arm64"], "docker")
    return time.perf_counter() - started


def main() -> None:
    console = Console()
    with tempfile.TemporaryDirectory(prefix="cp-i17-bench-") as tmp_text:
        tmp = Path(tmp_text)
        registry = ScratchRegistry.create(tmp, HTPASSWD_PATH, credentials())
        registry.start()
        try:
            examples = tmp / "examples"
            subprocess.run(["cp", "-r", str(EXAMPLES), str(examples)], check=True)
            git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
            for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "bench"]):
                subprocess.run([*git, *args], cwd=examples, check=True)
            cache = tmp / "cache"  # empty: the first publish reads every layer
            whole, steps = run_publish(examples, registry, tmp / "store", tmp / "first", cache)
            read, warm, make, packages = anyio.run(sbom_parts, registry, cache)
            inputs = provenance_inputs(examples)
            again_whole, again = run_publish(examples, registry, tmp / "store-2", tmp / "second", cache)
        finally:
            registry.stop()

    def row(what: str, seconds: float, of: float) -> None:
        table.add_row(what, f"{seconds:.2f}", f"{100 * seconds / of:.1f} %")

    table = Table(title=f"provenance + SBOM in one publish ({CONNECTOR}, amd64 + arm64, fresh scratch registry, "
                        f"{packages} packages in the two SBOMs)", title_justify="left")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("share of that publish", justify="right")
    row("whole publish command (build, push, verify, attest, store, registries)", whole, whole)
    row("attest step: SBOMs + provenance, attached and stored (layer cache empty)", steps["attest"], whole)
    row("  alone: read packages from both platforms' layers, no cache", read, whole)
    row("  alone: the same, every layer in the cache (another connector on this base reads only its own)",
        warm, whole)
    row("  alone: make both SPDX documents", make, whole)
    row("  alone: provenance inputs (folder digest, recipe, git)", inputs, whole)
    row("second publish into a new store (image out; attachments reused)", again_whole, again_whole)
    row("  its attest step (finds and loads the attachments)", again["attest"], again_whole)
    console.print(table)


if __name__ == "__main__":
    main()
