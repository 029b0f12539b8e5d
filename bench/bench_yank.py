"""Yank benchmark: yank the newest version of 19 connectors in one command, on a store of 678.

    .venv/bin/python bench/bench_yank.py [--runs 3]

Setup (not timed): the 678-connector fixture store as bench_registry.py fills it, with each
version's ``publish.json`` marker; 19 sources then get a newer patch version recorded (the one
to yank), and the registries are generated. Timed: the ``yank`` command (process start, 19 yank
markers, latest/ re-pointed, both registries recompiled from the store; ``--store-only``: no image
registry) and the ``unyank`` that undoes it, alternately, plus the same yank in process. Goal: under
5 s, registries included.

Then ``rollout promote`` of 19 release candidates in one call, in process: each of the 19 gets a
progressive-rollout candidate (next minor, ``-rc.1``) recorded and in ``release_candidate/``; its
image is a manifest in an in-process registry (``registry/memory_registry.py``, so the times are
the store's and the registries', not a network's). Timed: the 19 promotions (tag by digest, files
rewritten, latest/ moved, markers) and the registries regenerated; reset (not timed) between runs.
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
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from bench_registry import BASE_URL, FIXTURES, fill_store  # noqa: E402

from connector_build import versions  # noqa: E402
from connector_build.monorepo import Monorepo  # noqa: E402
from registry import layout, releases  # noqa: E402
from registry.compile import generate_registries  # noqa: E402
from registry.memory_registry import MemoryRegistry as FakeRegistry  # noqa: E402
from registry.rollout import promote  # noqa: E402
from registry.store import Store  # noqa: E402
from registry.yank import unyank, yank  # noqa: E402

YANKED = 19


def add_newer_version(store: Store, repository: str, version: str) -> str:
    """Record a patch release above ``version`` (its files copied, tags rewritten); return it."""
    parsed = versions.parse(version)
    assert parsed is not None
    newer = str(parsed.bump_patch())
    for name in layout.CHANNEL_FILES:
        data = store.read_bytes(layout.version_file(repository, version, name))
        if data is None:
            continue
        if name.endswith(".json"):
            entry = json.loads(data)
            entry["dockerImageTag"] = newer
            data = json.dumps(entry).encode()
        store.write_bytes_atomic(layout.version_file(repository, newer, name), data)
    store.write_bytes_atomic(layout.marker(repository, newer), b'{"digest": "sha256:bench"}')
    releases.point_latest(store, repository, newer)
    return newer


def add_candidate(store: Store, registry: FakeRegistry, repository: str, version: str) -> str:
    """Record ``<next minor>-rc.1`` above ``version`` with a progressive rollout, as publish leaves a
    candidate (its files, its marker, ``release_candidate/``), its image in ``registry``; return it."""
    parsed = versions.parse(version)
    assert parsed is not None
    candidate = f"{parsed.bump_minor()}-rc.1"
    digest = registry.put_image(repository, candidate, {"io.airbyte.name": repository,
                                                        "io.airbyte.version": candidate})
    for name in layout.CHANNEL_FILES:
        data = store.read_bytes(layout.version_file(repository, version, name))
        if data is None:
            continue
        if name.endswith(".json"):
            entry = json.loads(data)
            entry["dockerImageTag"] = candidate
            entry["releases"] = {**(entry.get("releases") or {}),
                                 "rolloutConfiguration": {"enableProgressiveRollout": True}}
            data = json.dumps(entry).encode()
        elif name == layout.METADATA_FILE:
            data = data.replace(f"dockerImageTag: {version}".encode(), f"dockerImageTag: {candidate}".encode())
        store.write_bytes_atomic(layout.version_file(repository, candidate, name), data)
        store.write_bytes_atomic(layout.channel_file(repository, layout.RELEASE_CANDIDATE, name), data)
    spec = store.read_bytes(layout.spec_file(repository, version))
    if spec is not None:
        store.write_bytes_atomic(layout.spec_file(repository, candidate), spec)
    store.write_bytes_atomic(layout.marker(repository, candidate), json.dumps({"digest": digest}).encode())
    return candidate


def undo_promotion(store: Store, registry: FakeRegistry, repository: str, candidate: str,
                   before: str | None) -> None:
    """Back to the candidate in rollout (not timed): the release's files and tag gone, latest/ as before."""
    release = str(versions.sort_key(candidate).finalize_version())
    for path in store.find(layout.version_folder(repository, release)):
        store.delete(path)
    store.delete(layout.spec_file(repository, release))
    for name in layout.CHANNEL_FILES:
        data = store.read_bytes(layout.version_file(repository, candidate, name))
        if data is not None:
            store.write_bytes_atomic(layout.channel_file(repository, layout.RELEASE_CANDIDATE, name), data)
    releases.point_latest(store, repository, before)
    registry.manifests.pop((repository, release), None)


def time_promotions(store: Store, connectors: list, runs: int) -> tuple[list[float], int]:
    """Promote 19 candidates in one call, ``runs`` times; the durations and how many were promoted."""
    import anyio

    registry = FakeRegistry()
    chosen = [(c.data.dockerRepository, c.data.dockerImageTag) for c in connectors][:YANKED]
    candidates = [(repo, add_candidate(store, registry, repo, version), releases.latest_version(store, repo))
                  for repo, version in chosen]
    generate_registries(store, base_url=BASE_URL)
    durations, promoted = [], 0

    async def promote_all() -> int:
        async with registry.client() as client:
            result = await promote(store, client, [repo for repo, _, _ in candidates], base_url=BASE_URL)
        return len(result.promoted)

    for _ in range(runs):
        began = time.perf_counter()
        promoted = anyio.run(promote_all)
        durations.append(time.perf_counter() - began)
        now = registry_tags(store)
        assert all(now[repo] == str(versions.sort_key(candidate).finalize_version())
                   for repo, candidate, _ in candidates), "a promoted release is not the registry default"
        for repo, candidate, before in candidates:
            undo_promotion(store, registry, repo, candidate, before)
    return durations, promoted


def registry_tags(store: Store) -> dict[str, str]:
    document = json.loads(store.read_bytes(layout.registry_file("oss")) or b"{}")
    return {e["dockerRepository"]: e["dockerImageTag"] for e in [*document["sources"], *document["destinations"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: the benchmark needs ../shared/fixtures")

    with tempfile.TemporaryDirectory(prefix="bench-yank-") as temp:
        root = Path(temp)
        (root / "repo" / "airbyte-integrations").mkdir(parents=True)
        (root / "repo" / "airbyte-integrations" / "connectors").symlink_to(FIXTURES)
        connectors = list(Monorepo.open(root / "repo").discover().connectors.values())
        store = Store.open(root / "store")
        started = time.perf_counter()
        fill_store(store, connectors)
        for connector in connectors:
            store.write_bytes_atomic(layout.marker(connector.data.dockerRepository, connector.data.dockerImageTag),
                                     b'{"digest": "sha256:bench"}')
        generate_registries(store, base_url=BASE_URL)
        listed = registry_tags(store)
        chosen = [c for c in sorted(connectors, key=lambda c: c.name)
                  if listed.get(c.data.dockerRepository) == c.data.dockerImageTag
                  and not versions.is_prerelease(c.data.dockerImageTag)][:YANKED]
        targets = [(c.name, add_newer_version(store, c.data.dockerRepository, c.data.dockerImageTag)) for c in chosen]
        generate_registries(store, base_url=BASE_URL)
        fill_s = time.perf_counter() - started
        now = registry_tags(store)
        assert all(now[c.data.dockerRepository] == newer for c, (_, newer) in zip(chosen, targets, strict=True))

        cli = [str(PROJECT / ".venv" / "bin" / "connector-pipelines")]
        pairs = [part for pair in targets for part in pair]
        env = {**os.environ, "COLUMNS": "200"}
        timings: dict[str, list[float]] = {"yank (CLI)": [], "unyank (CLI)": [], "yank (in process)": [],
                                           "unyank (in process)": []}
        for _ in range(max(1, args.runs)):
            for what, command in (("yank (CLI)", [*cli, "yank", *pairs, "--reason", "bench"]),
                                  ("unyank (CLI)", [*cli, "unyank", *pairs])):
                began = time.perf_counter()
                subprocess.run([*command, "--store", str(root / "store"), "--base-url", BASE_URL, "--store-only"],
                               check=True, capture_output=True, env=env)
                timings[what].append(time.perf_counter() - began)
                if what.startswith("yank"):
                    back = registry_tags(store)
                    assert all(back[c.data.dockerRepository] == c.data.dockerImageTag for c in chosen), \
                        "the yank did not bring the entries back to the previous version"
            began = time.perf_counter()
            yank(store, targets, reason="bench", by="bench", base_url=BASE_URL)
            timings["yank (in process)"].append(time.perf_counter() - began)
            began = time.perf_counter()
            unyank(store, targets, base_url=BASE_URL)
            timings["unyank (in process)"].append(time.perf_counter() - began)
        promotions, promoted = time_promotions(store, chosen, max(1, args.runs))
        timings[f"promote {promoted} RCs (in process)"] = promotions

    print(f"store filled in {fill_s:.1f} s ({len(connectors)} connectors, {len(targets)} with a newer version "
          f"to yank, {args.runs} runs per timing)\n")
    print(f"| {'what (19 connectors, one command)':<36} | median s | best s | goal s | met")
    print(f"|{'-' * 38}|---------:|-------:|-------:|----")
    for what, durations in timings.items():
        median = statistics.median(durations)
        print(f"| {what:<36} | {median:8.3f} | {min(durations):6.3f} | {5.0:6.1f} | {'yes' if median < 5 else 'NO'}")


if __name__ == "__main__":
    main()
