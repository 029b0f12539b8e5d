"""How fast `list` and `validate` are on Airbyte's whole monorepo (678 connectors, 2026-02-28).

    .venv/bin/python bench/bench_metadata.py [--repeat 5]

    .venv/bin/python bench/bench_metadata.py --baseline ../main   # before/after, side by side

Prints a table: in-process discovery, and the whole CLI (interpreter start-up included), median
of several runs, with the caches warm (the usual case: the metadata cache, see
connector_build/metadata_cache.py), with only the YAML parse cache warm (the first run after
the code changed) and with no cache at all. ``--baseline DIR`` runs the same commands with
another checkout's code (its .venv) in the same run, e.g. main before a change.
Goals: both commands well under a second (foundation issue); `list` as a table under half a
second (issue 15: it took 1.4 s, 0.8 s of it drawing a rich table). Wall time counts waiting for
the CPU when the machine is shared; the CPU column does not.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "airbyte" / "metadata-2026-02-28"
GOAL_S = 1.0
LIST_GOAL_S = 0.5


def fixture_monorepo(tmp: Path) -> Path:
    (tmp / "airbyte-integrations").mkdir(parents=True)
    (tmp / "airbyte-integrations" / "connectors").symlink_to(FIXTURES)
    return tmp


def median_time(action, repeat: int) -> tuple[float, float]:
    """Median wall time, and median CPU time of the child processes (user + system): on a machine
    shared with other work the CPU time moves much less than the wall time."""
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout with a .venv: its times side by side")
    args = parser.parse_args()
    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: the benchmark needs ../shared")
    baseline_python = args.baseline / ".venv" / "bin" / "python" if args.baseline else None
    if baseline_python is not None and not baseline_python.is_file():
        sys.exit(f"{baseline_python} is absent: --baseline needs a checkout with its .venv")
    from connector_build.monorepo import Monorepo

    with tempfile.TemporaryDirectory() as tmp:
        repo_path = fixture_monorepo(Path(tmp) / "repo")
        count = len(Monorepo.open(repo_path).discover().connectors)

        def cli(python: Path, caches: Path | None, *command: str) -> None:
            """One run of the CLI with ``python``'s code; ``caches``: its cache folder, None for none."""
            env = {key: value for key, value in os.environ.items() if key != "CONNECTOR_PIPELINES_NO_CACHE"}
            if caches is None:
                env["CONNECTOR_PIPELINES_NO_CACHE"] = "1"
            else:
                env["XDG_CACHE_HOME"] = str(caches)
            subprocess.run([str(python), "-m", "pipelines.cli.app", "--repo", str(repo_path), *command],
                           capture_output=True, check=False, env=env, cwd=python.parents[2])

        def caches_for(python: Path, name: str, yaml_only: bool = False) -> Path:
            """A cache folder warmed by one run of ``list``; ``yaml_only``: then the parse cache alone."""
            folder = Path(tmp) / name
            cli(python, folder, "list")
            if yaml_only:
                for cache in (folder / "connector-pipelines").glob("*.pickle"):
                    if not cache.name.startswith("yaml-"):
                        cache.unlink()
            return folder

        def measure(python: Path, tag: str) -> list[tuple[float, float]]:
            warm = caches_for(python, f"{tag}-warm")
            yaml_only = caches_for(python, f"{tag}-yaml", yaml_only=True)
            fresh_yaml_only = Path(tmp) / f"{tag}-yaml-fresh"

            def yaml_only_again() -> None:  # each run starts with the parse cache alone again
                shutil.rmtree(fresh_yaml_only, ignore_errors=True)
                shutil.copytree(yaml_only, fresh_yaml_only)
                cli(python, fresh_yaml_only, "list", "--format", "json")

            return [
                median_time(lambda: cli(python, warm, "list"), args.repeat),
                median_time(lambda: cli(python, warm, "list", "--format", "json"), args.repeat),
                median_time(lambda: cli(python, warm, "validate"), args.repeat),
                median_time(yaml_only_again, args.repeat),
                median_time(lambda: cli(python, None, "list", "--format", "json"), args.repeat),
            ]

        names = [
            "connector-pipelines list (table, stdout not a terminal)",
            "connector-pipelines list --format json",
            "connector-pipelines validate",
            "list, YAML parse cache only (first run after a code change)",
            "list, no cache (first run after a change to every file)",
        ]
        current = measure(Path(sys.executable), "current")
        before = measure(baseline_python, "baseline") if baseline_python else [None] * len(names)
        rows: list[tuple[str, tuple[float, float], tuple[float, float] | None]] = [
            ("discover (in process)", median_time(lambda: Monorepo.open(repo_path).discover(), args.repeat), None),
            *zip(names, current, before, strict=True),
            ("python -c pass (interpreter start-up)",
             median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=False), args.repeat), None),
        ]
        load = os.getloadavg()[0]
    title = f"metadata over {count} connectors, median of {args.repeat} runs (load average {load:.1f})"
    table = Table(title=title, title_justify="left")
    table.add_column("what", no_wrap=True)
    table.add_column("seconds", justify="right")
    table.add_column("cpu s", justify="right")
    if baseline_python:
        table.add_column(f"{args.baseline.name} s", justify="right")
        table.add_column(f"{args.baseline.name} cpu s", justify="right")
    table.add_column("goal", justify="center")
    table.add_column("met", justify="center")
    for name, (seconds, cpu), baseline in rows:
        goal = LIST_GOAL_S if "(table" in name else GOAL_S
        verdict = "" if "start-up" in name else ("yes" if seconds < goal else "NO")
        cells = [name, f"{seconds:.3f}", "" if name.startswith("discover") else f"{cpu:.3f}"]
        if baseline_python:
            cells += [f"{baseline[0]:.3f}", f"{baseline[1]:.3f}"] if baseline else ["", ""]
        cells += ["" if "start-up" in name else f"< {goal} s", verdict]
        table.add_row(*cells)
    console = Console()
    Console(width=160).print(table) if not console.is_terminal else console.print(table)


if __name__ == "__main__":
    main()
