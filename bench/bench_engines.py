"""Docker engine and Dagger engine side by side: engine start, builds, test and publish of the examples.

    .venv/bin/python bench/bench_engines.py [--repeat 1]

Needs `bash scripts/setup.sh` (daemon, local registry, base images, the Dagger engine). Every
pipeline runs through the CLI (`connector-pipelines --engine docker|dagger ...`) on a private
copy of examples/monorepo, one engine after the other, in one run (this machine is shared and
noisy: compare within a table, not across runs). Rows:

- engine start, cold: the Dagger engine's container replaced by scripts/start-dagger-engine.sh
  (its cache volume kept), until a session answers `version`; the Docker daemon is never
  restarted here (n/a).
- engine start, warm: connect to the running engine and answer `version` (Dagger: a session).
- build <connector>, code changed: new bytes in the connector folder, so its files and every
  later layer are rebuilt (bases and caches stay).
- build <connector>, no change: the same build again (everything cached).
- test: the three example connectors; publish: source-tiny-weather into a scratch registry,
  both platforms (amd64 and emulated arm64, each pulled back and run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import anyio
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.local_registry import HTPASSWD_PATH, read_local_registry  # noqa: E402
from registry.scratch_registry import ScratchRegistry  # noqa: E402

EXAMPLES = ROOT / "examples" / "monorepo"
BUILT = ("source-tiny-weather", "source-tiny-catalog", "destination-tiny-jsonl")
ENGINES = ("docker", "dagger")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cli(repo: Path, engine: str, *args: str, env: dict[str, str] | None = None) -> None:
    command = [sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), "--engine", engine, *args]
    run = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TERM": "dumb", **(env or {})})
    if run.returncode != 0:
        output = run.stdout[-3000:] + run.stderr[-3000:]
        raise RuntimeError(f"{' '.join(command[3:])} failed ({run.returncode}):\n{output}")


def docker_start_warm() -> None:
    import docker

    client = docker.from_env(timeout=60)
    client.version()
    client.close()


def dagger_start_warm() -> None:
    from pipelines.engines.dagger import engine_version

    anyio.run(engine_version)


def dagger_start_cold() -> float:
    """The engine's container replaced (scripts/start-dagger-engine.sh), until a session answers.

    Its cache volume is kept: a second engine next to it on the host network would fight it for
    the CNI bridge, so this is a restart, not an empty-cache start."""
    from pipelines.engines.dagger import RUNNER_HOST_ENV, engine_version, setup_engine_settings

    settings = setup_engine_settings()
    if not settings:
        raise SystemExit("no Dagger engine set up: bash scripts/build-dagger-engine.sh && "
                         "bash scripts/start-dagger-engine.sh")
    subprocess.run(["docker", "rm", "-f", settings[RUNNER_HOST_ENV].removeprefix("docker-container://")],
                   check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(["bash", str(ROOT / "scripts" / "start-dagger-engine.sh")], check=True, capture_output=True)
    anyio.run(engine_version)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell (the median is shown)")
    args = parser.parse_args()
    local = read_local_registry()
    if not local:
        raise SystemExit("no local registry: bash scripts/setup.sh")
    rows: dict[str, dict[str, float | None]] = {}

    failures: list[str] = []

    def measure(row: str, engine: str, action: Callable[[], object]) -> None:
        """One cell; a failing run is reported under the table instead of ending the benchmark."""
        try:
            rows.setdefault(row, {})[engine] = statistics.median(timed(action) for _ in range(args.repeat))
        except RuntimeError as exc:
            rows.setdefault(row, {})[engine] = None
            failures.append(f"{row} on {engine}: {exc}")

    rows["engine start, cold (container replaced, cache kept)"] = {"docker": None, "dagger": dagger_start_cold()}
    measure("engine start, warm (connect, version)", "docker", docker_start_warm)
    measure("engine start, warm (connect, version)", "dagger", dagger_start_warm)

    with tempfile.TemporaryDirectory(prefix="cp-i11-bench-") as tmp:
        repo = Path(tmp) / "monorepo"
        shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".connector-pipelines", "__pycache__"))
        for engine in ENGINES:
            for name in BUILT:
                folder = repo / "airbyte-integrations" / "connectors" / name

                def changed(engine: str = engine, name: str = name, folder: Path = folder) -> None:
                    (folder / "bench_nonce.txt").write_text(os.urandom(16).hex())
                    cli(repo, engine, "build", name)

                measure(f"build {name}, code changed", engine, changed)
                measure(f"build {name}, no change", engine, partial(cli, repo, engine, "build", name))
            for name in BUILT:
                (repo / "airbyte-integrations" / "connectors" / name / "bench_nonce.txt").unlink(missing_ok=True)
            measure("test (3 connectors: qa, unit, smoke)", engine, partial(cli, repo, engine, "test", *BUILT))
            (Path(tmp) / f"registry-{engine}").mkdir()
            registry = ScratchRegistry.create(Path(tmp) / f"registry-{engine}", HTPASSWD_PATH,
                                              (local["LOCAL_REGISTRY_USERNAME"], local["LOCAL_REGISTRY_PASSWORD"]))
            registry.start()
            try:
                store = Path(tmp) / f"store-{engine}"
                env = {"DOCKER_HUB_USERNAME": registry.auth[0], "DOCKER_HUB_PASSWORD": registry.auth[1]}
                publish_args = ("publish", "source-tiny-weather", "--registry", registry.address, "--store", str(store),
                                "--base-url", "http://registry.example/files/")
                measure("publish source-tiny-weather (amd64 + arm64)", engine,
                        partial(cli, repo, engine, *publish_args, env=env))
            finally:
                registry.stop()

    table = Table(title=f"Docker engine vs Dagger engine (seconds, median of {args.repeat})", title_justify="left")
    for column in ("", "docker", "dagger", "dagger/docker"):
        table.add_column(column, justify="left" if not column else "right")
    for row, found in rows.items():
        docker_s, dagger_s = found.get("docker"), found.get("dagger")
        ratio = f"{dagger_s / docker_s:.2f}" if docker_s and dagger_s else "n/a"
        table.add_row(row, f"{docker_s:.2f}" if docker_s is not None else "n/a",
                      f"{dagger_s:.2f}" if dagger_s is not None else "n/a", ratio)
    Console().print(table)
    for failure in failures:
        Console().print(f"[red]failed:[/] {failure}")


if __name__ == "__main__":
    main()
