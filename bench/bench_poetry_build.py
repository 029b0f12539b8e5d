"""Build speed of a Poetry connector: from its poetry.lock (now) against the lock ignored (before).

    .venv/bin/python bench/bench_poetry_build.py [--repeat 3]

Needs `bash scripts/setup.sh` (daemon, local registry, base images) and PyPI. The connector is
tests/data/source-tiny-poetry (one locked dependency, a Poetry build backend), copied twice into
a temporary monorepo: as it is, and without its poetry.lock, which is how the recipe built every
Poetry connector before (the whole folder into the dependency stage, `pip install /build`).
Per side: a cold build (a fresh CA bundle, so no layer of the dependency stage is cached), a rebuild with no
change, and a rebuild after a one-line change in a source file; the ratio we track is code
change / no change (goal: 2 or less). Each build is timed in process (plan + engine.build, as
`connector-pipelines build` does before `spec`). All numbers come from one run, side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio
import docker
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector_build.monorepo import Monorepo  # noqa: E402
from connector_build.recipes import plan_for  # noqa: E402
from pipelines.build_options import resolve_build_options  # noqa: E402
from pipelines.engines.base import BuildOptions  # noqa: E402
from pipelines.engines.docker import DockerEngine  # noqa: E402
from pipelines.logs import StepLog  # noqa: E402

SIDES = {"before": "source-bench-i13-unlocked", "after": "source-bench-i13-locked"}
TINY_POETRY = ROOT / "tests" / "data" / "source-tiny-poetry"  # read as data: bench imports nothing from tests/
MIRRORS = '[tool.connector-pipelines.image-mirrors]\n"docker.io/airbyte" = "localhost:5000/airbyte"\n'


def copy_poetry_connector(root: Path, name: str) -> Path:
    """The tests' Poetry connector (its lock made by a real `poetry lock`) renamed ``name`` in ``root``."""
    folder = root / "airbyte-integrations" / "connectors" / name
    shutil.copytree(TINY_POETRY, folder, ignore=shutil.ignore_patterns("__pycache__"))
    metadata = folder / "metadata.yaml"
    text = metadata.read_text().replace("source-tiny-poetry", name)
    metadata.write_text(text.replace("3c5b0f1b7a13", uuid.uuid4().hex[-12:]))
    (root / "pyproject.toml").write_text(MIRRORS)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    client = docker.from_env(timeout=600)
    engine = DockerEngine(client)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cp-i13-bench-") as tmp:
        repo_path = Path(tmp)
        folders = {side: copy_poetry_connector(repo_path, name) for side, name in SIDES.items()}
        (folders["before"] / "poetry.lock").unlink()
        repo = Monorepo.open(repo_path)
        options = resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host")

        if options.ca_bundle is None:
            raise SystemExit("no CA bundle (set SSL_CERT_FILE): the cold builds are made cold through it")
        ca_bytes = options.ca_bundle.read_bytes()

        def build(side: str, with_options: BuildOptions | None = None) -> float:
            started = time.perf_counter()
            connector = Monorepo.open(repo_path).discover().connectors[SIDES[side]]
            plan = plan_for(connector, "linux/amd64")
            anyio.run(lambda: engine.build(plan, tags=[f"cp-i13-bench/{side}:dev"], log=StepLog(None),
                                           options=with_options or options))
            return time.perf_counter() - started

        def cold(side: str) -> float:
            # The CA bundle is the first file the dependency stage copies (on both sides): a bundle
            # with a new comment line in it makes every layer of that stage and after a miss.
            bundle = repo_path / f"ca-{uuid.uuid4().hex}.pem"
            bundle.write_bytes(ca_bytes + f"# {bundle.name}\n".encode())
            return build(side, dataclasses.replace(options, ca_bundle=bundle))

        def code_change(side: str) -> float:
            source = folders[side] / "source_tiny_poetry" / "run.py"
            source.write_text(source.read_text() + f"# {uuid.uuid4().hex}\n")
            return build(side)

        for side in SIDES:
            results[side] = {"cold": statistics.median(cold(side) for _ in range(args.repeat))}
            build(side)  # warm the cache with the current files
            results[side]["no change"] = statistics.median(build(side) for _ in range(args.repeat))
            results[side]["code change"] = statistics.median(code_change(side) for _ in range(args.repeat))
    for side in SIDES:
        for image in client.images.list(name=f"cp-i13-bench/{side}"):
            client.images.remove(image.id, force=True)

    table = Table(title=f"a Poetry connector (tests/data/source-tiny-poetry, linux/amd64), median of {args.repeat}",
                  title_justify="left")
    table.add_column("build")
    table.add_column("before: lock ignored (s)", justify="right")
    table.add_column("after: from poetry.lock (s)", justify="right")
    for row in ("cold", "no change", "code change"):
        label = {"cold": "cold build", "no change": "rebuild, no change",
                 "code change": "rebuild, one-line code change"}[row]
        table.add_row(label, f"{results['before'][row]:.2f}", f"{results['after'][row]:.2f}")
    ratios = {side: results[side]["code change"] / results[side]["no change"] for side in SIDES}
    table.add_row("code change / no change", f"{ratios['before']:.1f}x",
                  f"[bold]{ratios['after']:.1f}x[/] (goal <= 2)")
    Console().print(table)


if __name__ == "__main__":
    main()
