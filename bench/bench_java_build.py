"""Build speed of a Java connector: cold, dependency cache warm, no change, and a code-only change.

    .venv/bin/python bench/bench_java_build.py [--repeat 2] [--platform linux/amd64]

Needs `bash scripts/setup.sh` (daemon, local registry, the Java base and build images) and Maven
Central. The connector is the example source-tiny-orders (Maven, Jackson, JUnit), copied into a
temporary monorepo whose dependency cache is a fresh temporary folder, so the first build is cold:
every Maven plugin and dependency is downloaded. Each build is timed in process as
`connector-pipelines build` runs it: the connector's own build in the JDK container (when its
distribution is missing or older than its sources), then the image (plan + engine.build). Rows:

- cold: empty dependency cache, no distribution;
- warm: the distribution removed, the dependency cache kept (`mvn package` downloads nothing);
- no change: the distribution is newer than every source file, so it is used as it is;
- code-only change: one string in a Java source changed, so the distribution is rebuilt.

All numbers come from one run, side by side.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
import docker
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector_build import java  # noqa: E402
from connector_build.monorepo import Monorepo  # noqa: E402
from connector_build.recipes import plan_for  # noqa: E402
from pipelines.build_options import resolve_build_options  # noqa: E402
from pipelines.engines.base import host_platform  # noqa: E402
from pipelines.engines.docker import DockerEngine  # noqa: E402
from pipelines.java_build import ensure_distribution  # noqa: E402
from pipelines.logs import StepLog  # noqa: E402

EXAMPLES = ROOT / "examples" / "monorepo"
NAME = "source-tiny-orders"
SOURCE = Path("src/main/java/io/example/tinyorders/TinyOrdersSource.java")


def make_monorepo(root: Path, cache: Path) -> Path:
    folder = root / "airbyte-integrations" / "connectors" / NAME
    shutil.copytree(EXAMPLES / "airbyte-integrations" / "connectors" / NAME, folder,
                    ignore=shutil.ignore_patterns("build", "target"))
    settings = (EXAMPLES / "pyproject.toml").read_text()
    table = "[tool.connector-pipelines.java]\n"
    settings = settings.replace(table, f'{table}cache-dir = "{cache}"\n')
    (root / "pyproject.toml").write_text(settings)
    return folder


async def build_once(engine: DockerEngine, repo: Monorepo, platform: str, log: StepLog) -> tuple[float, float]:
    """(seconds for the distribution, seconds for the image)."""
    connector = repo.discover().connectors[NAME]
    options = resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host")
    start = time.perf_counter()
    await ensure_distribution(engine, connector, options, log)
    middle = time.perf_counter()
    await engine.build(plan_for(connector, platform), tags=[f"airbyte/{NAME}:bench-i18"], log=log, options=options)
    return middle - start, time.perf_counter() - middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each warm row (the cold row runs once)")
    parser.add_argument("--platform", default=host_platform())
    args = parser.parse_args()
    engine = DockerEngine(docker.from_env(timeout=600))
    rows: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="cp-i18-bench-") as temp:
        root, cache = Path(temp) / "monorepo", Path(temp) / "cache"
        folder = make_monorepo(root, cache)
        repo = Monorepo.open(root)
        log = StepLog(Path(temp) / "build.log")

        def run(label: str) -> None:
            rows.setdefault(label, []).append(anyio.run(build_once, engine, repo, args.platform, log))

        run("cold (empty dependency cache)")
        for attempt in range(args.repeat):
            java.distribution_path(repo.discover().connectors[NAME]).unlink()
            run("warm (dependency cache kept, distribution rebuilt)")
            run("no change (distribution used as it is)")
            source = folder / SOURCE
            source.write_text(source.read_text().replace('"reading "', f'"reading ({attempt}) "'))
            run("code-only change (one Java string)")
        try:
            engine.client.images.remove(f"airbyte/{NAME}:bench-i18")
        except docker.errors.DockerException:
            pass

    table = Table(title=f"{NAME}: build times on {args.platform} (median of {args.repeat} for warm rows)")
    for column in ("build", "distribution s", "image s", "total s"):
        table.add_column(column, justify="left" if column == "build" else "right")
    for label, times in rows.items():
        dist = statistics.median(t[0] for t in times)
        image = statistics.median(t[1] for t in times)
        table.add_row(label, f"{dist:.1f}", f"{image:.1f}", f"{dist + image:.1f}")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
