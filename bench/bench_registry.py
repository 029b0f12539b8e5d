"""Registry benchmark: regenerate both registries, and preview them, for the 678-connector fixture set.

    .venv/bin/python bench/bench_registry.py [--runs 5]

Setup (not timed): a monorepo view of ../shared/fixtures/airbyte/metadata-2026-02-28 (a temp dir
whose connectors folder is a symlink to it) and a temp store filled as publish fills it: per
version metadata.yaml, icon.svg, a small fake spec, oss.json / cloud.json, and the latest/ or
release_candidate/ copy. Goals: generate under 1 s, preview under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from connector_build import versions  # noqa: E402
from connector_build.connector import Connector  # noqa: E402
from connector_build.monorepo import Monorepo  # noqa: E402
from registry import layout  # noqa: E402
from registry.compile import generate_registries  # noqa: E402
from registry.entries import registry_coordinates, write_registry_entries  # noqa: E402
from registry.models import REGISTRIES  # noqa: E402
from registry.preview import PreviewResult, preview_registries  # noqa: E402
from registry.spec_cache import SpecCache  # noqa: E402
from registry.store import Store  # noqa: E402

FIXTURES = PROJECT.parent / "shared" / "fixtures" / "airbyte" / "metadata-2026-02-28"
BASE_URL = "http://localhost:8080/files/"
T = TypeVar("T")


def fake_spec(connector: Connector) -> dict:
    return {
        "documentationUrl": connector.data.documentationUrl,
        "connectionSpecification": {
            "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["api_key"],
            "properties": {"api_key": {"type": "string", "airbyte_secret": True, "title": "API key"}},
        },
    }


def fill_store(store: Store, connectors: list[Connector]) -> None:
    """What publish leaves behind for each connector's current version."""
    for connector in connectors:
        data, spec = connector.data, fake_spec(connector)
        own, version = data.dockerRepository, data.dockerImageTag
        for registry in REGISTRIES:
            repository, tag = registry_coordinates(data, registry)
            store.write_bytes_atomic(layout.spec_file(repository, tag), json.dumps(spec).encode())
        store.write_bytes_atomic(layout.version_file(own, version, layout.METADATA_FILE),
                                 connector.metadata_path.read_bytes())
        icon = connector.path / layout.ICON_FILE
        if icon.is_file():
            store.write_bytes_atomic(layout.version_file(own, version, layout.ICON_FILE), icon.read_bytes())
        icon_url = store.public_url(layout.icon(own), BASE_URL)
        write_registry_entries(store, connector.metadata, spec=spec, icon_url=icon_url)
        channel: layout.Channel = layout.RELEASE_CANDIDATE if versions.is_release_candidate(version) else layout.LATEST
        for name in layout.CHANNEL_FILES:
            content = store.read_bytes(layout.version_file(own, version, name))
            if content is not None:
                store.write_bytes_atomic(layout.channel_file(own, channel, name), content)


def timed(runs: int, action: Callable[[], T]) -> tuple[float, float, T]:
    durations = []
    for _ in range(max(1, runs)):
        started = time.perf_counter()
        result = action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), min(durations), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: the benchmark needs ../shared/fixtures")

    with tempfile.TemporaryDirectory(prefix="bench-registry-") as temp:
        root = Path(temp)
        (root / "repo" / "airbyte-integrations").mkdir(parents=True)
        (root / "repo" / "airbyte-integrations" / "connectors").symlink_to(FIXTURES)
        repo = Monorepo.open(root / "repo")
        connectors = list(repo.discover().connectors.values())
        store = Store.open(root / "store")
        started = time.perf_counter()
        fill_store(store, connectors)
        fill_s = time.perf_counter() - started

        rows: list[tuple[str, int, float, float | None, str, float]] = []
        cold = time.perf_counter()
        oss, cloud = generate_registries(store, base_url=BASE_URL)
        rows.append(("generate both registries, first write", len(connectors), time.perf_counter() - cold, None,
                     f"oss {len(oss)}, cloud {len(cloud)}", 1.0))
        median, best, _ = timed(args.runs, lambda: generate_registries(store, base_url=BASE_URL))
        rows.append(("generate both registries, rerun (md5 skip)", len(connectors), median, best,
                     f"oss {len(oss)}, cloud {len(cloud)}", 1.0))

        def preview_in_process() -> PreviewResult:
            found = Monorepo.open(root / "repo").discover()
            result = preview_registries(list(found.connectors.values()), SpecCache(store), base_url=BASE_URL)
            out = Store.open(root / "preview")
            for compiled in (result.oss, result.cloud):
                out.write_bytes_atomic(layout.registry_file_name(compiled.name), compiled.to_bytes())
            return result

        median, best, result = timed(args.runs, preview_in_process)
        rows.append(("preview (discover + entries + write), in process", len(connectors), median, best,
                     f"oss {len(result.oss)}, cloud {len(result.cloud)}, {len(result.skipped)} skipped", 2.0))

        command = [str(PROJECT / ".venv" / "bin" / "connector-pipelines"), "--repo", str(root / "repo"),
                   "registry", "preview", "--spec-cache", str(root / "store"), "--output", str(root / "cli")]
        env = {**os.environ, "COLUMNS": "200"}
        median, best, _ = timed(args.runs, lambda: subprocess.run(command, check=True, capture_output=True, env=env))
        rows.append(("`registry preview` command (process start included)", len(connectors), median, best, "", 2.0))

    print(f"store filled in {fill_s:.1f} s ({len(connectors)} connectors, {args.runs} runs per timing)\n")
    print(f"| {'what':<52} | connectors | median s | best s | goal s | met | result")
    print(f"|{'-' * 54}|-----------:|---------:|-------:|-------:|-----|-------")
    for what, count, median_s, best_s, note, goal in rows:
        best_text = f"{best_s:6.3f}" if best_s is not None else "     -"
        print(f"| {what:<52} | {count:>10} | {median_s:8.3f} | {best_text} | {goal:6.1f} | "
              f"{'yes' if median_s < goal else 'NO ':<3} | {note}")


if __name__ == "__main__":
    main()
