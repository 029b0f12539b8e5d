"""Publishing as a team does: `latest` never moves backwards; yanks; several publishers on one store.

Real daemon, real scratch registry (one per test), real store folder; the CLI in subprocesses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from registry.scratch_registry import ScratchRegistry
from tests.integration.test_publish import publish, report, scratch_registry  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

CATALOG = "source-tiny-catalog"
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
