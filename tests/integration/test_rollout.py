"""Release candidates promoted and rolled back, and yanks, against a real daemon and registry; and the
same commands killed (SIGKILL) at random moments, then rerun.

Real daemon, real scratch registry (one per test), real store folder; the CLI in subprocesses.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from registry.scratch_registry import INDEX_TYPES, ScratchRegistry
from registry.store_lease import is_stale
from tests.integration.test_publish import (  # noqa: F401 (scratch_registry is a fixture)
    env_for,
    publish,
    report,
    scratch_registry,
)
from tests.integration.test_publish_at_scale import registry_tags, set_version

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

CATALOG = "source-tiny-catalog"
REPOSITORY = f"airbyte/{CATALOG}"
AMD64 = ("--platform", "linux/amd64")


def make_candidate(repo: Path, version: str) -> None:
    """``version`` (X.Y.Z-rc.N) rolled out progressively, as `bump-version rc` leaves it."""
    set_version(repo, CATALOG, version)
    metadata = repo / "airbyte-integrations" / "connectors" / CATALOG / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace(
        "  releases:\n", "  releases:\n    rolloutConfiguration:\n      enableProgressiveRollout: true\n", 1))


def command(registry: ScratchRegistry | None, store: Path, *args: str) -> list[str]:
    """The CLI on ``store``; with ``registry``, the image registry whose tags it moves."""
    image = ["--registry", registry.address] if registry else []
    return [sys.executable, "-m", "pipelines.cli.app", *args, *image, "--store", str(store),
            "--base-url", "http://registry.example/files/"]


def run(registry: ScratchRegistry, store: Path, *args: str, images: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(registry if images else None, store, *args), capture_output=True, text=True,
                          timeout=600, env=env_for(registry))


def published(repo: Path, registry: ScratchRegistry, store: Path, *versions: str) -> None:
    for version in versions:
        if "-rc." in version:
            make_candidate(repo, version)
        else:
            set_version(repo, CATALOG, version)
        result = publish(repo, registry, store, CATALOG, *AMD64)
        assert result.returncode == 0, result.stdout + result.stderr


def label(registry: ScratchRegistry, repository: str, tag: str, name: str) -> str | None:
    """A label of the image behind ``tag`` (its first platform's config)."""
    base = f"http://{registry.address}/v2/{repository}"
    index = registry.index(repository, tag)
    manifest = httpx.get(f"{base}/manifests/{index['manifests'][0]['digest']}", auth=registry.auth,
                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                                            "application/vnd.docker.distribution.manifest.v2+json"}, timeout=60).json()
    config = httpx.get(f"{base}/blobs/{manifest['config']['digest']}", auth=registry.auth,
                       follow_redirects=True, timeout=60).json()
    return (config.get("config") or {}).get("Labels", {}).get(name)


def retag(registry: ScratchRegistry, repository: str, source: str, tag: str) -> None:
    """Point ``tag`` at ``source``'s index again (a test's reset between kills)."""
    base = f"http://{registry.address}/v2/{repository}/manifests"
    got = httpx.get(f"{base}/{source}", auth=registry.auth, headers={"Accept": INDEX_TYPES}, timeout=60)
    got.raise_for_status()
    httpx.put(f"{base}/{tag}", auth=registry.auth, content=got.content,
              headers={"Content-Type": got.headers["Content-Type"]}, timeout=60).raise_for_status()


def every_entry_is_served(registry: ScratchRegistry, store: Path) -> list[str]:
    """Each registry entry's and release candidate's image, as ``repo:tag``; fails on one not served."""
    named = []
    for name in ("oss", "cloud"):
        path = store / "registries" / "v0" / f"{name}_registry.json"
        if not path.is_file():
            continue
        document = json.loads(path.read_text())
        for entry in [*document["sources"], *document["destinations"]]:
            riders = list(((entry.get("releases") or {}).get("releaseCandidates") or {}).values())
            for shown in (entry, *riders):
                reference = f"{shown['dockerRepository']}:{shown['dockerImageTag']}"
                assert registry.digest(shown["dockerRepository"], shown["dockerImageTag"]), \
                    f"{name} registry names {reference}, which the registry does not serve"
                named.append(reference)
    return named


def test_promote_tags_the_tested_image_by_digest_and_a_later_publish_does_nothing(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    store = tmp_path / "store"
    published(examples_repo, scratch_registry, store, "1.0.0", "1.1.0-rc.1")
    candidate = scratch_registry.digest(REPOSITORY, "1.1.0-rc.1")
    released = scratch_registry.digest(REPOSITORY, "1.0.0")
    assert scratch_registry.digest(REPOSITORY, "latest") == released
    oss = json.loads((store / "registries" / "v0" / "oss_registry.json").read_text())
    entry = next(e for e in oss["sources"] if e["dockerRepository"] == REPOSITORY)
    assert list(entry["releases"]["releaseCandidates"]) == ["1.1.0-rc.1"]

    planned = run(scratch_registry, store, "rollout", "promote", CATALOG, "--dry-run")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert f"would tag 1.1.0-rc.1's image {candidate} as 1.1.0" in planned.stdout
    assert scratch_registry.digest(REPOSITORY, "1.1.0") is None

    promoted = run(scratch_registry, store, "rollout", "promote", CATALOG)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert f"{REPOSITORY}: 1.1.0-rc.1 promoted to 1.1.0" in promoted.stdout
    assert "registry entry 1.0.0 -> 1.1.0; image tag latest 1.0.0 -> 1.1.0" in promoted.stdout
    assert scratch_registry.digest(REPOSITORY, "1.1.0") == candidate == scratch_registry.digest(REPOSITORY, "latest")
    assert label(scratch_registry, REPOSITORY, "1.1.0", "io.airbyte.version") == "1.1.0-rc.1"  # the tested image
    assert registry_tags(store)[REPOSITORY] == "1.1.0"
    oss = json.loads((store / "registries" / "v0" / "oss_registry.json").read_text())
    entry = next(e for e in oss["sources"] if e["dockerRepository"] == REPOSITORY)
    assert "releaseCandidates" not in entry["releases"]
    assert not (store / "metadata" / REPOSITORY / "release_candidate").exists() or \
        not any((store / "metadata" / REPOSITORY / "release_candidate").iterdir())

    set_version(examples_repo, CATALOG, "1.1.0")  # the bumped metadata merged afterwards, as `bump-version patch`
    metadata = examples_repo / "airbyte-integrations" / "connectors" / CATALOG / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("ProgressiveRollout: true", "ProgressiveRollout: false"))
    later = publish(examples_repo, scratch_registry, store, CATALOG, *AMD64)
    assert later.returncode == 0, later.stdout + later.stderr
    steps = report(later)[CATALOG]
    assert "already published and recorded" in steps["check"]["summary"]
    assert steps["push"]["status"] == "skipped" and steps["build"]["status"] == "skipped"
    assert scratch_registry.digest(REPOSITORY, "1.1.0") == candidate


def test_rollback_takes_the_candidate_out_and_promote_then_says_why_not(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    store = tmp_path / "store"
    published(examples_repo, scratch_registry, store, "1.0.0", "1.1.0-rc.1")
    latest = scratch_registry.digest(REPOSITORY, "latest")
    rolled = run(scratch_registry, store, "rollout", "rollback", CATALOG, images=False)  # no image moves
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "registry entry stays 1.0.0" in rolled.stdout
    oss = json.loads((store / "registries" / "v0" / "oss_registry.json").read_text())
    entry = next(e for e in oss["sources"] if e["dockerRepository"] == REPOSITORY)
    assert entry["dockerImageTag"] == "1.0.0" and "releaseCandidates" not in entry["releases"]
    assert scratch_registry.digest(REPOSITORY, "latest") == latest
    assert scratch_registry.digest(REPOSITORY, "1.1.0-rc.1") is not None  # pinned users keep it

    refused = run(scratch_registry, store, "rollout", "promote", CATALOG)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [f"error: {REPOSITORY} has no release candidate to promote "
                                                   f"(nothing in metadata/{REPOSITORY}/release_candidate/)"]


def only_stale_leases(store: Path) -> bool:
    """A lease left behind is the killed process's (taken over by the next taker), never a live one.
    A rerun that finds nothing to do takes no lease, so it does not clear one left by a kill after the work."""
    left = list((store / ".connector-pipelines" / "locks").rglob("*.lock"))
    return all(is_stale(json.loads(path.read_text()), 180) for path in left)


def kill_at_random_moment(cmd: list[str], env: dict[str, str], anchor: Path, rng: random.Random,
                          window_s: float) -> str:
    """Start ``cmd``; once ``anchor`` exists (its lease: the work starts), SIGKILL it after a random delay
    within ``window_s`` (some land before the lease, some after the end). Says when it struck."""
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    before_lease = rng.random() < 0.2
    started = time.monotonic()
    if before_lease:
        time.sleep(rng.uniform(0, 1.5))
    else:
        while not anchor.exists() and process.poll() is None and time.monotonic() - started < 120:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, window_s))
    finished = process.poll() is not None
    if not finished:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return f"{'finished before' if finished else 'killed'} at {time.monotonic() - started:.3f} s"


def stage(registry: ScratchRegistry, store: Path, release: str) -> str:
    """Where a kill left things: the release's tag and marker, the candidate's folder, the registry default."""
    folder = store / "metadata" / REPOSITORY
    candidate = folder / "release_candidate"
    oss = store / "registries" / "v0" / "oss_registry.json"
    return ", ".join([
        f"tag {release} {'yes' if registry.digest(REPOSITORY, release) else 'no'}",
        f"marker {'yes' if (folder / release / 'publish.json').is_file() else 'no'}",
        f"yank marker {'yes' if (folder / release / 'yanked.json').is_file() else 'no'}",
        f"release_candidate/ {sorted(p.name for p in candidate.iterdir()) if candidate.is_dir() else []}",
        f"registry default {registry_tags(store)[REPOSITORY] if oss.is_file() else '-'}",
    ])


def seeded() -> random.Random:
    seed = int(os.environ.get("CP_KILL_SEED", time.time_ns() % 100_000))
    print(f"kill seed {seed} (CP_KILL_SEED reruns it)")
    return random.Random(seed)


def test_sigkill_during_promote_then_rerun_finishes_and_every_entry_is_served(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    snapshot = tmp_path / "snapshot"
    published(examples_repo, scratch_registry, snapshot, "1.0.0", "1.1.0-rc.1")
    candidate = scratch_registry.digest(REPOSITORY, "1.1.0-rc.1")
    rng = seeded()
    for attempt in range(5):
        store = tmp_path / f"store-{attempt}"
        shutil.copytree(snapshot, store)
        retag(scratch_registry, REPOSITORY, "1.0.0", "latest")
        lease = store / ".connector-pipelines" / "locks" / f"{REPOSITORY}.lock"
        when = kill_at_random_moment(command(scratch_registry, store, "rollout", "promote", CATALOG),
                                     env_for(scratch_registry), lease, rng, window_s=2.0)
        print(f"attempt {attempt}: {when}: {stage(scratch_registry, store, '1.1.0')}")
        every_entry_is_served(scratch_registry, store)
        assert scratch_registry.digest(REPOSITORY, "latest") in (candidate, scratch_registry.digest(REPOSITORY,
                                                                                                     "1.0.0"))

        rerun = run(scratch_registry, store, "rollout", "promote", CATALOG)
        assert rerun.returncode == 0, f"{when}: {rerun.stdout}{rerun.stderr}"
        assert registry_tags(store)[REPOSITORY] == "1.1.0", when
        assert f"{REPOSITORY}:1.1.0" in every_entry_is_served(scratch_registry, store), when
        assert scratch_registry.digest(REPOSITORY, "1.1.0") == candidate == \
            scratch_registry.digest(REPOSITORY, "latest"), when
        assert only_stale_leases(store), when


def test_sigkill_during_yank_then_rerun_finishes_and_latest_follows(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    snapshot = tmp_path / "snapshot"
    published(examples_repo, scratch_registry, snapshot, "1.0.0", "1.1.0")
    old, new = scratch_registry.digest(REPOSITORY, "1.0.0"), scratch_registry.digest(REPOSITORY, "1.1.0")
    assert scratch_registry.digest(REPOSITORY, "latest") == new
    rng = seeded()
    for attempt in range(5):
        store = tmp_path / f"store-{attempt}"
        shutil.copytree(snapshot, store)
        retag(scratch_registry, REPOSITORY, "1.1.0", "latest")
        lease = store / ".connector-pipelines" / "locks" / f"{REPOSITORY}.lock"
        when = kill_at_random_moment(command(scratch_registry, store, "yank", CATALOG, "1.1.0", "--reason", "bad"),
                                     env_for(scratch_registry), lease, rng, window_s=2.0)
        print(f"attempt {attempt}: {when}: {stage(scratch_registry, store, '1.1.0')}")
        every_entry_is_served(scratch_registry, store)
        assert scratch_registry.digest(REPOSITORY, "latest") in (old, new)

        rerun = run(scratch_registry, store, "yank", CATALOG, "1.1.0", "--reason", "bad")
        assert rerun.returncode == 0, f"{when}: {rerun.stdout}{rerun.stderr}"
        assert registry_tags(store)[REPOSITORY] == "1.0.0", when
        every_entry_is_served(scratch_registry, store)
        assert scratch_registry.digest(REPOSITORY, "latest") == old, when
        assert scratch_registry.digest(REPOSITORY, "1.1.0") == new  # the image stays for whoever pins it
        assert only_stale_leases(store), when

    unyanked = run(scratch_registry, store, "unyank", CATALOG, "1.1.0")
    assert unyanked.returncode == 0, unyanked.stdout + unyanked.stderr
    assert "image tag latest 1.0.0 -> 1.1.0" in unyanked.stdout
    assert scratch_registry.digest(REPOSITORY, "latest") == new and registry_tags(store)[REPOSITORY] == "1.1.0"
