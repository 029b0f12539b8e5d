"""How fast `list` and `validate` are on Airbyte's whole monorepo (678 connectors, 2026-02-28).

    .venv/bin/python bench/bench_metadata.py [--repeat 5]

Prints a table: in-process discovery, and the whole CLI (interpreter start-up included), median
of several runs, with the YAML parse cache warm (the usual case) and disabled.
Goals: both commands well under a second (foundation issue); `list` as a table under half a
second (issue 15: it took 1.4 s, 0.8 s of it drawing a rich table).
"""

from __future__ import annotations

import argparse
import os
import resource
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
    (tmp / "airbyte-integrations").mkdir()
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
    args = parser.parse_args()
    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: the benchmark needs ../shared")
    from connector_build.monorepo import Monorepo

    with tempfile.TemporaryDirectory() as tmp:
        repo_path = fixture_monorepo(Path(tmp))
        count = len(Monorepo.open(repo_path).discover().connectors)

        def cli(*command: str, cold: bool = False) -> None:
            env = {**os.environ, "CONNECTOR_PIPELINES_NO_CACHE": "1"} if cold else None
            subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo_path), *command],
                           capture_output=True, check=False, env=env)

        rows = [
            ("discover (in process)", median_time(lambda: Monorepo.open(repo_path).discover(), args.repeat)),
            ("connector-pipelines list (table, stdout not a terminal)", median_time(lambda: cli("list"), args.repeat)),
            ("connector-pipelines list --format json", median_time(lambda: cli("list", "--format", "json"),
                                                                   args.repeat)),
            ("connector-pipelines validate", median_time(lambda: cli("validate"), args.repeat)),
            ("list, no parse cache (first run after a change to every file)",
             median_time(lambda: cli("list", "--format", "json", cold=True), args.repeat)),
            ("python -c pass (interpreter start-up)",
             median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=False), args.repeat)),
        ]
    table = Table(title=f"metadata over {count} connectors, median of {args.repeat} runs", title_justify="left")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("cpu s", justify="right")
    table.add_column("goal", justify="center")
    table.add_column("met", justify="center")
    for name, (seconds, cpu) in rows:
        goal = LIST_GOAL_S if "(table" in name else GOAL_S
        verdict = "" if "start-up" in name else ("yes" if seconds < goal else "NO")
        table.add_row(name, f"{seconds:.3f}", "" if name.startswith("discover") else f"{cpu:.3f}",
                      "" if "start-up" in name else f"< {goal} s", verdict)
    Console().print(table)


if __name__ == "__main__":
    main()
