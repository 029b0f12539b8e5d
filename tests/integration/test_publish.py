"""Publish against a real registry and daemon: once per version, crash-safe, and honest about conflicts.

Each test gets a scratch registry (Debian's docker-registry on its own loopback port, same
htpasswd as the local one) so it can be stopped, killed or filled without touching the shared one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.local_registry import HTPASSWD_PATH
from registry.scratch_registry import ScratchRegistry
from tests.integration.conftest import LocalRegistry

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

WEATHER = "source-tiny-weather"
INDEX_TYPES = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"


@pytest.fixture
def scratch_registry(tmp_path: Path, local_registry: LocalRegistry) -> Iterator[ScratchRegistry]:
    registry = ScratchRegistry.create(tmp_path, HTPASSWD_PATH,
                                      (local_registry.username, local_registry.password))
    registry.start()
    yield registry
    registry.stop()


def publish_command(repo: Path, registry: ScratchRegistry, store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), "publish", "--registry",
            registry.address, "--store", str(store), "--base-url", "http://registry.example/files/", *args]


def env_for(registry: ScratchRegistry, password: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DOCKER_HUB_USERNAME": registry.auth[0], "DOCKER_HUB_PASSWORD": password or registry.auth[1],
                "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    return env


def publish(repo: Path, registry: ScratchRegistry, store: Path, *args: str,
            password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(publish_command(repo, registry, store, *args), capture_output=True, text=True,
                          timeout=1200, env=env_for(registry, password))


def report(store_run: subprocess.CompletedProcess[str]) -> dict[str, dict[str, dict]]:
    line = next(line for line in store_run.stderr.splitlines() if line.startswith("reports: "))
    path = Path(line.removeprefix("reports: ").split(" ")[0]).with_name("report.json")
    data = json.loads(path.read_text())
    return {c["connector"]: {s["name"]: s for s in c["steps"]} for c in data["connectors"]}


def test_publish_pushes_both_platforms_records_and_regenerates_then_does_nothing_twice(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = publish(examples_repo, scratch_registry, store)
    assert first.returncode == 0, first.stdout + first.stderr
    index = scratch_registry.index("airbyte/source-tiny-weather", "0.2.0")
    assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]
    assert scratch_registry.digest("airbyte/source-tiny-weather", "latest") is not None
    assert scratch_registry.digest("airbyte/source-tiny-archived", "0.1.0") is None  # archived: not published
    folder = store / "metadata" / "airbyte" / WEATHER / "0.2.0"
    for name in ("metadata.yaml", "icon.svg", "oss.json", "cloud.json", "publish.json"):
        assert (folder / name).is_file(), name
    assert (store / "specs" / "airbyte" / WEATHER / "0.2.0" / "spec.json").is_file()
    assert (store / "metadata" / "airbyte" / WEATHER / "latest" / "oss.json").is_file()
    oss = json.loads((store / "registries" / "v0" / "oss_registry.json").read_text())
    cloud = json.loads((store / "registries" / "v0" / "cloud_registry.json").read_text())
    oss_sources = {s["dockerRepository"]: s for s in oss["sources"]}
    assert oss_sources["airbyte/source-tiny-weather"]["dockerImageTag"] == "0.2.0"
    assert "airbyte/source-tiny-catalog" in oss_sources
    assert "airbyte/source-tiny-catalog" not in {s["dockerRepository"] for s in cloud["sources"]}  # cloud: off
    assert [d["dockerRepository"] for d in oss["destinations"]] == ["airbyte/destination-tiny-jsonl"]
    java = scratch_registry.index("airbyte/source-tiny-orders", "0.1.0")  # the Java example, built by Maven
    assert sorted(m["platform"]["architecture"] for m in java["manifests"]) == ["amd64", "arm64"]
    assert "linux/arm64" in report(first)["source-tiny-orders"]["verify"]["summary"]

    digest = scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0")
    second = publish(examples_repo, scratch_registry, store)
    assert second.returncode == 0, second.stdout + second.stderr
    steps = report(second)[WEATHER]
    assert steps["check"]["status"] == "skipped" and "already published" in steps["check"]["summary"]
    assert steps["push"]["status"] == "skipped"
    assert scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0") == digest


def test_dry_run_touches_nothing(examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = publish(examples_repo, scratch_registry, store, WEATHER, "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would push 127.0.0.1" in result.stdout
    assert "would write metadata/airbyte/source-tiny-weather" in result.stdout
    assert not store.exists() or not any(store.rglob("*.json"))
    assert scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0") is None


def test_wrong_credentials_one_line_and_the_password_nowhere(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    wrong = "Wr0ng-passw0rd-that-must-not-leak"
    result = publish(examples_repo, scratch_registry, tmp_path / "store", WEATHER, password=wrong)
    assert result.returncode == 2
    assert "refused the credentials" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert wrong not in result.stdout + result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".log", ".html", ".xml", ".yaml"}:
            assert wrong not in path.read_text(errors="replace"), path


def test_registry_stopping_mid_push_leaves_the_store_unchanged_and_a_rerun_completes(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    store = tmp_path / "store"
    reports = tmp_path / "reports"
    process = subprocess.Popen(publish_command(examples_repo, scratch_registry, store, WEATHER,
                                               "--report-dir", str(reports)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(scratch_registry))
    push_log = reports / WEATHER / "push.log"
    deadline = time.monotonic() + 600
    while not push_log.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    scratch_registry.stop()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 1, out + err
    push = json.loads((reports / "report.json").read_text())["connectors"][0]["steps"]
    failed = [s for s in push if s["status"] == "failure"]
    assert failed and failed[0]["name"] in {"push", "verify"}, push
    assert "Traceback" not in err
    assert not list(store.rglob("publish.json")) and not list(store.rglob("latest"))
    assert not (store / "registries").exists()

    scratch_registry.start()
    rerun = publish(examples_repo, scratch_registry, store, WEATHER)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (store / "metadata" / "airbyte" / WEATHER / "0.2.0" / "publish.json").is_file()
    assert (store / "metadata" / "airbyte" / WEATHER / "latest" / "oss.json").is_file()


def test_sigkill_during_publish_then_rerun_finishes_and_latest_is_never_ahead_of_the_registry(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    store = tmp_path / "store"
    reports = tmp_path / "reports"
    process = subprocess.Popen(publish_command(examples_repo, scratch_registry, store, WEATHER,
                                               "--report-dir", str(reports)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env_for(scratch_registry))
    verify_log = reports / WEATHER / "verify.log"
    deadline = time.monotonic() + 600
    while not verify_log.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    latest = store / "metadata" / "airbyte" / WEATHER / "latest"
    if latest.exists():  # only allowed when the image is already complete on the registry
        assert scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0") is not None
    assert not (store / "metadata" / "airbyte" / WEATHER / "0.2.0" / "publish.json").exists()

    rerun = publish(examples_repo, scratch_registry, store, WEATHER)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    steps = report(rerun)[WEATHER]
    assert steps["push"]["status"] == "skipped", "the image was already complete: record it, do not push again"
    assert (latest / "oss.json").is_file()
    assert "airbyte/source-tiny-weather" in (store / "registries" / "v0" / "oss_registry.json").read_text()


def test_tag_with_another_digest_is_a_conflict_and_is_not_overwritten(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path, docker_client) -> None:
    store = tmp_path / "store"
    assert publish(examples_repo, scratch_registry, store, WEATHER).returncode == 0
    # Someone pushes other bytes under the published tag, outside the tool.
    impostor = f"{scratch_registry.address}/airbyte/source-tiny-weather:0.2.0"
    docker_client.images.get("localhost:5000/airbyte/python-connector-base:4.0.2-amd64").tag(impostor)
    docker_client.images.push(impostor, auth_config={"username": scratch_registry.auth[0],
                                                     "password": scratch_registry.auth[1]})
    overwritten = scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0")
    result = publish(examples_repo, scratch_registry, store, WEATHER)
    assert result.returncode == 1
    check = report(result)[WEATHER]["check"]
    assert check["status"] == "failure" and "conflict" in check["summary"]
    assert scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0") == overwritten


def test_tag_present_but_unrecorded_is_recorded_without_pushing(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    assert publish(examples_repo, scratch_registry, tmp_path / "first-store", WEATHER).returncode == 0
    digest = scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0")
    result = publish(examples_repo, scratch_registry, tmp_path / "new-store", WEATHER)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = report(result)[WEATHER]
    assert "will verify and record" in steps["check"]["summary"]
    assert steps["push"]["status"] == "skipped" and steps["store"]["status"] == "success"
    assert scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0") == digest


def test_pre_release_is_pushed_under_a_dev_tag_and_kept_out_of_latest_and_registries(
        examples_repo: Path, scratch_registry: ScratchRegistry, tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
                              cwd=examples_repo, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "examples")
    sha = git("rev-parse", "HEAD")
    store = tmp_path / "store"
    result = publish(examples_repo, scratch_registry, store, WEATHER, "--pre-release", "--platform", "linux/amd64")
    assert result.returncode == 0, result.stdout + result.stderr
    tag = f"0.2.0-dev.{sha[:10]}"
    assert scratch_registry.digest("airbyte/source-tiny-weather", tag) is not None
    assert scratch_registry.digest("airbyte/source-tiny-weather", "latest") is None
    assert scratch_registry.digest("airbyte/source-tiny-weather", "0.2.0") is None
    folder = store / "metadata" / "airbyte" / WEATHER / tag
    assert f"dockerImageTag: {tag}" in (folder / "metadata.yaml").read_text()
    assert (folder / "publish.json").is_file() and not (folder / "oss.json").exists()
    assert not (store / "metadata" / "airbyte" / WEATHER / "latest").exists()
    assert not (store / "registries").exists()
    git_info = (folder / "metadata.yaml").read_text()
    assert sha in git_info  # generated.git recorded from the commit that touched metadata.yaml
