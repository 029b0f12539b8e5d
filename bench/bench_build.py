"""Build speed on the real daemon: after a code change, warm with no change, and plain `docker build` side by side.

    .venv/bin/python bench/bench_build.py [--connectors 10] [--repeat 3]

Needs `bash scripts/setup.sh` (daemon, local registry, base images). Prints two tables:
1. one connector (examples' source-tiny-weather): a rebuild after a code change, a warm
   rebuild with no change, each next to the very same Dockerfile and context built by
   `docker build`; the ratio we track is warm ours / warm plain docker (goal: 1.1 or less).
   Ours is timed in process (engine.build); plain docker includes the CLI's own start-up,
   which is part of what a user of plain docker pays.
2. N copies of that connector built by the CLI with --concurrency 1 and --concurrency 4.
All numbers come from one run, side by side: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import anyio
import docker
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector_build.monorepo import Monorepo  # noqa: E402
from connector_build.recipes import plan_for  # noqa: E402
from pipelines.engines.base import BuildOptions  # noqa: E402
from pipelines.engines.docker import DockerEngine  # noqa: E402
from pipelines.engines.dockerfile_render import DOCKERFILE_NAME, build_context, render_dockerfile  # noqa: E402
from pipelines.logs import StepLog  # noqa: E402

EXAMPLES = ROOT / "examples" / "monorepo"
CONNECTOR = "source-tiny-weather"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def remove_images(client: docker.DockerClient, repository: str) -> None:
    for image in client.images.list(name=repository):
        for tag in image.tags:
            client.images.remove(tag, force=True)


def clone_connectors(repo: Path, count: int) -> list[str]:
    """N copies of the example connector with their own names, repositories and ids."""
    connectors = repo / "airbyte-integrations" / "connectors"
    names = []
    for index in range(count):
        name = f"source-bench-{index:02d}"
        target = connectors / name
        shutil.copytree(connectors / CONNECTOR, target)
        text = (target / "metadata.yaml").read_text().replace(CONNECTOR, name)
        text = text.replace("definitionId: ", f"definitionId: 0000{index:04d}-", 1)
        lines = [line if "definitionId" not in line else
                 f"  definitionId: 00000000-0000-4000-8000-{index:012d}" for line in text.splitlines()]
        (target / "metadata.yaml").write_text("\n".join(lines) + "\n")
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    client = docker.from_env(timeout=600)
    engine = DockerEngine(client)
    with tempfile.TemporaryDirectory() as tmp:
        repo_path = Path(tmp) / "monorepo"
        shutil.copytree(EXAMPLES, repo_path)
        repo = Monorepo.open(repo_path)
        connector = repo.discover().connectors[CONNECTOR]
        plan = plan_for(connector, "linux/amd64")
        options = BuildOptions(image_mirrors=repo.settings.image_mirrors)
        tag = "cp-bench/ours:dev"

        def ours() -> None:
            anyio.run(lambda: engine.build(plan, tags=[tag], log=StepLog(None), options=options))

        # The same Dockerfile and context, handed to the docker CLI.
        context_dir = Path(tmp) / "plain-context"
        context_dir.mkdir()
        # Both start from the same local base tag, which resolving (and pulling) the base gives.
        local_bases = {b.reference: engine.local_base(b.reference, plan.platform, options, StepLog(None))
                       for b in plan.base_images()}
        archive = build_context(plan, {DOCKERFILE_NAME: render_dockerfile(plan, local_bases, False).encode()})
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(context_dir)

        def plain() -> None:
            subprocess.run(["docker", "build", "-q", "-f", DOCKERFILE_NAME, "-t", "cp-bench/plain:dev", "."],
                           cwd=context_dir, check=True, capture_output=True)

        def changed(build, context: Path) -> float:
            """A code change: new bytes in the copied folder, so the COPY layer and those after it rebuild."""
            (context / "bench_nonce.txt").write_text(os.urandom(16).hex())
            return timed(build)

        connector_dir = connector.path
        changed_ours = statistics.median(changed(ours, connector_dir) for _ in range(args.repeat))
        (connector_dir / "bench_nonce.txt").unlink()
        changed_plain = statistics.median(changed(plain, context_dir) for _ in range(args.repeat))
        (context_dir / "bench_nonce.txt").unlink()
        ours()
        plain()
        warm_ours = statistics.median(timed(ours) for _ in range(args.repeat))
        warm_plain = statistics.median(timed(plain) for _ in range(args.repeat))

        table = Table(title=f"one connector ({CONNECTOR}, linux/amd64), median of {args.repeat} warm runs",
                      title_justify="left")
        for column in ("build", "connector-pipelines (s)", "docker build (s)", "ratio ours/plain"):
            table.add_column(column, justify="right" if column != "build" else "left")
        table.add_row("code changed (COPY and later layers rebuilt)", f"{changed_ours:.2f}",
                      f"{changed_plain:.2f}", f"{changed_ours / changed_plain:.2f}")
        table.add_row("warm rebuild, no change", f"{warm_ours:.2f}", f"{warm_plain:.2f}",
                      f"[bold]{warm_ours / warm_plain:.2f}[/] (goal <= 1.1)")
        Console().print(table)

        names = clone_connectors(repo_path, args.connectors)
        rows = []
        for concurrency in (1, 4):
            for name in names:
                remove_images(client, f"airbyte/{name}")
            elapsed = timed(lambda c=concurrency: subprocess.run(
                [sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo_path), "build", *names,
                 "--concurrency", str(c), "--report-dir", str(Path(tmp) / f"reports-{c}")],
                check=True, capture_output=True, env={**os.environ, "TERM": "dumb"}))
            rows.append((concurrency, elapsed))
        for name in names:
            remove_images(client, f"airbyte/{name}")
        table = Table(title=f"{args.connectors} connectors, build + spec through the CLI, cold image cache",
                      title_justify="left")
        table.add_column("--concurrency")
        table.add_column("seconds", justify="right")
        table.add_column("per connector", justify="right")
        table.add_column("speed-up", justify="right")
        for concurrency, elapsed in rows:
            table.add_row(str(concurrency), f"{elapsed:.1f}", f"{elapsed / args.connectors:.2f}",
                          f"{rows[0][1] / elapsed:.2f}x")
        Console().print(table)
    remove_images(client, "cp-bench/ours")
    remove_images(client, "cp-bench/plain")


if __name__ == "__main__":
    main()
