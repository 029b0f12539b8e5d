"""Publishing a Poetry connector records the locked packages, and `registry preview` agrees with publish."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from registry.scratch_registry import ScratchRegistry
from tests.integration.test_publish import env_for, publish, scratch_registry  # noqa: F401  (a fixture)
from tests.poetry_connectors import LOCKED_BACKOFF, copy_poetry_connector

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("base_images")]

NAME = "source-tiny-poetry"


def test_publish_records_the_locked_packages_and_preview_shows_the_same_package_info(
        tmp_path: Path, scratch_registry: ScratchRegistry) -> None:  # noqa: F811
    repo = tmp_path / "repo"
    copy_poetry_connector(repo)
    store = tmp_path / "store"
    result = publish(repo, scratch_registry, store, NAME)
    assert result.returncode == 0, result.stdout + result.stderr
    index = scratch_registry.index(f"airbyte/{NAME}", "0.1.0")
    assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]

    recorded = json.loads((store / "connector_dependencies" / NAME / "0.1.0" / "dependencies.json").read_text())
    assert recorded["dependencies"] == [{"package_name": "backoff", "version": LOCKED_BACKOFF}]
    published = json.loads((store / "metadata" / "airbyte" / NAME / "0.1.0" / "oss.json").read_text())

    output = tmp_path / "preview"
    preview = subprocess.run(
        [sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), "registry", "preview", NAME,
         "--spec-cache", str(store), "--output", str(output), "--base-url", "http://registry.example/files/"],
        capture_output=True, text=True, timeout=300, env=env_for(scratch_registry))
    assert preview.returncode == 0, preview.stdout + preview.stderr
    previewed = json.loads((output / "registries" / "v0" / "oss_registry.json").read_text())["sources"]
    assert [e["packageInfo"] for e in previewed] == [published["packageInfo"]] == [{}]
