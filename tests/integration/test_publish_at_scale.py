"""Publishing as a team does: `latest` never moves backwards; yanks; several publishers on one store.

Real daemon, real scratch registry (one per test), real store folder; the CLI in subprocesses.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from registry.scratch_registry import ScratchRegistry
from tests.integration.test_publish import (  # noqa: F401 (scratch_registry is a fixture)
    env_for,
    publish,
    publish_command,
    report,
    scratch_registry,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

CATALOG = "source-tiny-catalog"
WEATHER = "source-tiny-weather"
REPOSITORY = f"airbyte/{CATALOG}"


def set_version(repo: Path, name: str, version: str) -> None:
    metadata = repo / "airbyte-integrations" / "connectors" / name / "metadata.yaml"
    metadata.write_text(re.sub(r"dockerImageTag: \S+", f"dockerImageTag: {version}", metadata.read_text()))


def registry_tags(store: Path, name: str = "oss") -> dict[str, str]:
    document = json.loads((store / "registries" / "v0" / f"{name}_registry.json").read_text())
    return {e["dockerRepository"]: e["dockerImageTag"] for e in [*document["sources"], *document["destinations"]]}


def test_a_late_publish_of_an_older_version_moves_neither_latest(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    store = tmp_path / "store"
    first = publish(examples_repo, scratch_registry, store, CATALOG, "--platform", "linux/amd64")
    assert first.returncode == 0, first.stdout + first.stderr
    newest = scratch_registry.digest(REPOSITORY, "1.0.0")
    assert newest is not None and scratch_registry.digest(REPOSITORY, "latest") == newest

    set_version(examples_repo, CATALOG, "0.9.0")
    late = publish(examples_repo, scratch_registry, store, CATALOG, "--platform", "linux/amd64")
    assert late.returncode == 0, late.stdout + late.stderr
    assert report(late)[CATALOG]["push"]["status"] == "success"
    assert scratch_registry.digest(REPOSITORY, "0.9.0") not in (None, newest)
    assert scratch_registry.digest(REPOSITORY, "latest") == newest
    latest = json.loads((store / "metadata" / REPOSITORY / "latest" / "oss.json").read_text())
    assert latest["dockerImageTag"] == "1.0.0"
    assert (store / "metadata" / REPOSITORY / "0.9.0" / "publish.json").is_file()
    assert registry_tags(store)[REPOSITORY] == "1.0.0"


def test_parallel_publishers_on_one_store_all_succeed_and_push_each_version_once(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    """The CI matrix: one `publish <name>` per connector at once, plus a second job on one of them."""
    store = tmp_path / "store"
    names = sorted(p.name for p in (examples_repo / "airbyte-integrations" / "connectors").iterdir())
    jobs = [*names, CATALOG]
    processes = [subprocess.Popen(publish_command(examples_repo, scratch_registry, store, name, "--platform",
                                                  "linux/amd64", "--report-dir", str(tmp_path / f"reports-{i}")),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env_for(scratch_registry))
                 for i, name in enumerate(jobs)]
    finished = [(process.wait(timeout=1500), *process.communicate()) for process in processes]
    for (code, out, err), name in zip(finished, jobs, strict=True):
        assert code == 0, f"{name}: {out}{err}"

    catalog_runs = [json.loads((tmp_path / f"reports-{i}" / "report.json").read_text())
                    for i, name in enumerate(jobs) if name == CATALOG]
    pushes = [step for run in catalog_runs for c in run["connectors"] for step in c["steps"]
              if step["name"] == "push" and step["status"] == "success"]
    assert len(pushes) == 1, "the same version was pushed twice"
    published = {f"airbyte/{name}" for name in names if name != "source-tiny-archived"}
    for repository in published:
        assert (store / "metadata" / repository / "latest" / "oss.json").is_file(), repository
        assert scratch_registry.digest(repository, "latest") is not None, repository
    for registry in ("oss", "cloud"):
        entries = {path.parent.parent.relative_to(store / "metadata").as_posix()
                   for path in (store / "metadata").glob(f"*/*/latest/{registry}.json")}
        assert entries and set(registry_tags(store, registry)) == entries, registry
    assert set(registry_tags(store, "oss")) == published
    assert not list((store / ".connector-pipelines" / "locks").rglob("*.lock")), "a lease was left behind"


def test_verify_failing_leaves_latest_the_store_and_the_registries_as_they_were(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:  # noqa: F811
    store = tmp_path / "store"
    first = publish(examples_repo, scratch_registry, store, WEATHER, "--platform", "linux/amd64")
    assert first.returncode == 0, first.stdout + first.stderr
    latest_digest = scratch_registry.digest(f"airbyte/{WEATHER}", "latest")
    before = {path: path.read_bytes() for path in store.rglob("*") if path.is_file()}

    connector = examples_repo / "airbyte-integrations" / "connectors" / WEATHER
    (connector / "main.py").write_text("import sys\nsys.exit(3)  # an image whose spec fails\n")
    set_version(examples_repo, WEATHER, "0.2.1")
    broken = publish(examples_repo, scratch_registry, store, WEATHER, "--platform", "linux/amd64")

    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert report(broken)[WEATHER]["verify"]["status"] == "failure"
    assert scratch_registry.digest(f"airbyte/{WEATHER}", "0.2.1") is not None  # pushed: a rerun only verifies
    assert scratch_registry.digest(f"airbyte/{WEATHER}", "latest") == latest_digest
    after = {path: path.read_bytes() for path in store.rglob("*") if path.is_file()}
    assert {p for p in after if "/0.2.1/" in p.as_posix()} == set(), "nothing recorded for the failed version"
    for name in ("oss_registry.json", "cloud_registry.json"):
        path = store / "registries" / "v0" / name
        assert after[path] == before[path], name
    latest = store / "metadata" / "airbyte" / WEATHER / "latest" / "oss.json"
    assert after[latest] == before[latest]
