"""The publish procedure's branches, in process: a fake engine, an in-memory store, a mock registry.

Each test runs the real step list (``publish_steps``) through the real runner for one connector
of the example monorepo, and looks at what reached the registry and the store. The integration
suite (tests/integration/test_publish.py) does the same against a real daemon and registry.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import anyio
import pytest

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from pipelines.engines.base import BuildOptions, RunResult
from pipelines.publish_state import PublishMode
from pipelines.publish_steps import PublishTarget, planned_actions, publish_steps
from pipelines.results import ConnectorReport, RunReport, StepStatus
from pipelines.runner import run_connector
from pipelines.steps import ConnectorState
from registry import layout
from registry.store import Store
from tests.conftest import EXAMPLES
from tests.unit.fakes import SPEC, FakeEngine, FakeRegistry, spec_responder

WEATHER = "airbyte/source-tiny-weather"
PLATFORMS = ("linux/amd64", "linux/arm64")


@pytest.fixture(scope="module")
def monorepo() -> Monorepo:
    return Monorepo.open(EXAMPLES)


def connector(monorepo: Monorepo, name: str = "source-tiny-weather") -> Connector:
    return monorepo.load_connector(monorepo.connectors_path / name)



def contents(store: Store) -> dict[str, bytes | None]:
    """Every file in the store and its bytes."""
    prefix = store.root + "/"
    return {path.removeprefix(prefix): store.fs.cat_file(path) for path in store.fs.find(store.root)}


def publish(monorepo: Monorepo, store: Store, registry: FakeRegistry, engine: FakeEngine, tmp_path: Path, *,
            name: str = "source-tiny-weather", dry_run: bool = False,
            pre_release_sha: str | None = None) -> tuple[ConnectorState, ConnectorReport]:
    subject = connector(monorepo, name)
    report = ConnectorReport(subject.name, subject.version)

    async def main() -> ConnectorState:
        async with registry.client() as client:
            target = PublishTarget(registry="registry.example", registry_client=client, auth=None, store=store,
                                   base_url="http://files.example/", repo_root=EXAMPLES, dry_run=dry_run,
                                   pre_release_sha=pre_release_sha, platforms=PLATFORMS)
            steps = publish_steps(engine, target, BuildOptions())
            return await run_connector(subject, steps, report, tmp_path / "reports", None)

    return anyio.run(main), report


def statuses(report: ConnectorReport) -> dict[str, tuple[StepStatus, str]]:
    return {step.name: (step.status, step.summary) for step in report.steps}


def test_a_new_version_is_built_pushed_verified_and_recorded(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    engine = FakeEngine(registry)
    state, report = publish(monorepo, store, registry, engine, tmp_path)

    assert state.publish.mode is PublishMode.PUBLISH
    assert all(status is StepStatus.SUCCESS for status, _ in statuses(report).values()), statuses(report)
    assert sorted(plan.platform for plan, _ in engine.built) == list(PLATFORMS)
    assert engine.pushed == [f"registry.example/{WEATHER}:0.2.0-linux-amd64",
                             f"registry.example/{WEATHER}:0.2.0-linux-arm64"]
    index = registry.digest(WEATHER, "0.2.0")
    assert index is not None and registry.digest(WEATHER, "latest") == index
    # Verified by digest on both platforms, in OSS and Cloud mode.
    assert sorted(pull.split(" ")[1] for pull in engine.pulled) == list(PLATFORMS)
    modes = [env.get("DEPLOYMENT_MODE") for _, args, env in engine.runs if args == ["spec"]]
    assert modes == ["OSS", "CLOUD", "OSS", "CLOUD"]
    # Recorded: version files, latest/, dependencies, and the marker last with the index digest.
    assert json.loads(store.read_bytes(layout.spec_file(WEATHER, "0.2.0")) or b"") == SPEC
    assert not store.exists(layout.spec_file(WEATHER, "0.2.0", layout.CLOUD_SPEC_FILE))  # same in both modes
    for name in layout.CHANNEL_FILES:
        assert store.read_bytes(layout.channel_file(WEATHER, layout.LATEST, name)) == \
            store.read_bytes(layout.version_file(WEATHER, "0.2.0", name)) is not None
    dependencies = json.loads(store.read_bytes(layout.dependencies_file(WEATHER, "0.2.0")) or b"")
    assert dependencies["dependencies"] == []  # from poetry.lock: the example needs the standard library only
    oss = json.loads(store.read_bytes(layout.version_file(WEATHER, "0.2.0", "oss.json")) or b"")
    assert oss["packageInfo"] == {} and oss["spec"] == SPEC
    marker = json.loads(store.read_bytes(layout.marker(WEATHER, "0.2.0")) or b"")
    assert marker["digest"] == index and marker["channel"] == "latest" and marker["platforms"] == list(PLATFORMS)


def test_without_a_lock_the_dependencies_are_what_pip_lists_in_the_image(store, tmp_path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(EXAMPLES, copy)
    (copy / "airbyte-integrations/connectors/source-tiny-weather/poetry.lock").unlink()
    registry = FakeRegistry()
    _, report = publish(Monorepo.open(copy), store, registry, FakeEngine(registry), tmp_path)
    assert all(status is StepStatus.SUCCESS for status, _ in statuses(report).values()), statuses(report)
    dependencies = json.loads(store.read_bytes(layout.dependencies_file(WEATHER, "0.2.0")) or b"")
    assert dependencies["dependencies"] == [{"package_name": "airbyte-cdk", "version": "7.10.1"}]
    oss = json.loads(store.read_bytes(layout.version_file(WEATHER, "0.2.0", "oss.json")) or b"")
    assert oss["packageInfo"] == {"cdk_version": "python:7.10.1"}


def test_a_recorded_version_needs_nothing_not_even_the_engine(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    publish(monorepo, store, registry, FakeEngine(registry), tmp_path)
    before = contents(store)
    idle = FakeEngine(registry)
    state, report = publish(monorepo, store, registry, idle, tmp_path)

    assert state.publish.mode is PublishMode.DONE
    assert statuses(report)["check"] == (StepStatus.SKIPPED,
                                         f"registry.example/{WEATHER}:0.2.0 already published and recorded")
    assert [status for status, _ in statuses(report).values()] == [StepStatus.SKIPPED] * 8  # check .. attest, store
    assert not (idle.built or idle.runs or idle.pushed or idle.pulled)
    assert contents(store) == before


def test_a_tag_on_the_registry_but_not_in_the_store_is_verified_and_recorded_never_pushed(
        monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    labels = {"io.airbyte.name": WEATHER, "io.airbyte.version": "0.2.0"}
    amd64 = registry.put_image(WEATHER, "0.2.0-linux-amd64", labels)
    index = registry.put_index(WEATHER, "0.2.0", {"linux/amd64": amd64})
    engine = FakeEngine(registry)
    state, report = publish(monorepo, store, registry, engine, tmp_path)

    assert state.publish.mode is PublishMode.RECORD
    steps = statuses(report)
    assert steps["build"] == (StepStatus.SKIPPED, "already on the registry")
    assert steps["push"] == (StepStatus.SKIPPED, "nothing to push")
    assert steps["verify"][0] is StepStatus.SUCCESS and steps["store"][0] is StepStatus.SUCCESS
    assert not engine.built and not engine.pushed
    assert engine.pulled == [f"registry.example/{WEATHER}@{amd64} linux/amd64"]
    assert json.loads(store.read_bytes(layout.marker(WEATHER, "0.2.0")) or b"")["digest"] == index
    assert registry.digest(WEATHER, "0.2.0") == index


def test_a_tag_with_another_digest_than_recorded_is_a_conflict_and_nothing_is_written(
        monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    labels = {"io.airbyte.name": WEATHER, "io.airbyte.version": "0.2.0"}
    registry.put_index(WEATHER, "0.2.0", {"linux/amd64": registry.put_image(WEATHER, "a", labels)})
    store.write_bytes_atomic(layout.marker(WEATHER, "0.2.0"), json.dumps({"digest": "sha256:recorded"}).encode())
    before = contents(store)
    engine = FakeEngine(registry)
    _, report = publish(monorepo, store, registry, engine, tmp_path)

    status, summary = statuses(report)["check"]
    assert status is StepStatus.FAILURE and summary.startswith("conflict:") and "sha256:recorded" in summary
    assert statuses(report)["store"] == (StepStatus.SKIPPED, "skipped: check failed")
    assert contents(store) == before and not (engine.built or engine.pushed or engine.runs)


def test_a_recorded_version_missing_from_the_registry_is_a_conflict(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    store.write_bytes_atomic(layout.marker(WEATHER, "0.2.0"), json.dumps({"digest": "sha256:gone"}).encode())
    _, report = publish(monorepo, store, registry, FakeEngine(registry), tmp_path)
    status, summary = statuses(report)["check"]
    assert status is StepStatus.FAILURE and "the registry has no such tag" in summary


def test_a_tag_holding_another_connector_is_a_conflict_never_recorded(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    impostor = registry.put_image(WEATHER, "x", {"io.airbyte.name": "airbyte/source-other",
                                                 "io.airbyte.version": "0.2.0"})
    registry.put_index(WEATHER, "0.2.0", {"linux/amd64": impostor})
    _, report = publish(monorepo, store, registry, FakeEngine(registry), tmp_path)
    status, summary = statuses(report)["check"]
    assert status is StepStatus.FAILURE and "carries labels" in summary and "airbyte/source-other" in summary
    assert not store.exists(layout.marker(WEATHER, "0.2.0"))


def test_dry_run_plans_every_push_and_write_and_does_none(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    engine = FakeEngine(registry)
    state, report = publish(monorepo, store, registry, engine, tmp_path, dry_run=True)

    assert state.publish.mode is PublishMode.PUBLISH
    for step in ("build", "push", "verify", "store"):
        assert statuses(report)[step] == (StepStatus.SKIPPED, "dry run")
    run = RunReport(command="publish", engine="fake", started_at=None, connectors=[report])  # type: ignore[arg-type]
    planned = planned_actions(run)
    assert planned[:2] == ["source-tiny-weather: would build linux/amd64, linux/arm64",
                           f"source-tiny-weather: would push registry.example/{WEATHER}:0.2.0 "
                           "(linux/amd64, linux/arm64)"]
    assert f"source-tiny-weather: would write {layout.marker(WEATHER, '0.2.0')}" == planned[-1]
    assert f"source-tiny-weather: would write {layout.channel_folder(WEATHER, 'latest')}/" in planned
    assert not (engine.built or engine.pushed or engine.runs) and contents(store) == {}
    assert registry.digest(WEATHER, "0.2.0") is None


def test_a_pre_release_gets_a_dev_tag_no_latest_and_no_registry_entries(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    state, report = publish(monorepo, store, registry, FakeEngine(registry), tmp_path,
                            pre_release_sha="abcdef0123456789")

    tag = "0.2.0-dev.abcdef0123"
    assert state.publish.version == tag and report.success
    assert registry.digest(WEATHER, tag) is not None and registry.digest(WEATHER, "latest") is None
    assert store.exists(layout.marker(WEATHER, tag))
    assert not store.exists(layout.version_file(WEATHER, tag, "oss.json"))
    assert not store.glob(f"{layout.channel_folder(WEATHER, 'latest')}/*")


def test_an_archived_connector_is_not_published(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    engine = FakeEngine(registry)
    state, report = publish(monorepo, store, registry, engine, tmp_path, name="source-tiny-archived")
    assert state.publish.mode is PublishMode.DONE
    assert statuses(report)["check"] == (StepStatus.SKIPPED, "archived connector: not published")
    assert registry.requests == [] and not engine.built


def spec_fails(image: str, args: list[str], env, stdin) -> RunResult:
    return RunResult(1, "", "boom") if args == ["spec"] else spec_responder(image, args, env, stdin)


def test_latest_moves_only_after_verify_passed(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    engine = FakeEngine(registry, responder=spec_fails)
    _, report = publish(monorepo, store, registry, engine, tmp_path)

    assert statuses(report)["verify"][0] is StepStatus.FAILURE
    assert registry.digest(WEATHER, "0.2.0") is not None  # pushed, so a rerun only verifies
    assert registry.digest(WEATHER, "latest") is None
    assert not store.exists(layout.marker(WEATHER, "0.2.0"))
    assert not store.glob(f"{layout.channel_folder(WEATHER, 'latest')}/*")


def test_a_late_publish_of_an_older_version_never_moves_latest_back(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    newer = registry.put_image(WEATHER, "0.3.0", {"io.airbyte.name": WEATHER, "io.airbyte.version": "0.3.0"})
    registry.put(WEATHER, "latest", *registry.manifests[(WEATHER, newer)][::-1])
    store.write_bytes_atomic(layout.marker(WEATHER, "0.3.0"), json.dumps({"digest": newer}).encode())
    latest_entry = layout.channel_file(WEATHER, layout.LATEST, "oss.json")
    store.write_bytes_atomic(latest_entry, b'{"dockerImageTag": "0.3.0"}')
    state, report = publish(monorepo, store, registry, FakeEngine(registry), tmp_path)

    assert report.success, statuses(report)
    assert statuses(report)["store"][1].startswith("recorded 0.2.0 (")  # no "moved latest"
    assert store.exists(layout.marker(WEATHER, "0.2.0"))
    assert registry.digest(WEATHER, "latest") == newer
    assert store.read_bytes(latest_entry) == b'{"dockerImageTag": "0.3.0"}'


def test_a_yanked_newer_version_does_not_stop_an_older_one_becoming_latest(monorepo, store, tmp_path) -> None:
    registry = FakeRegistry()
    store.write_bytes_atomic(layout.marker(WEATHER, "0.3.0"), b'{"digest": "sha256:x"}')
    store.write_bytes_atomic(layout.yank_marker(WEATHER, "0.3.0"), b'{"reason": "broken"}')
    state, report = publish(monorepo, store, registry, FakeEngine(registry), tmp_path)

    assert report.success and "moved latest" in statuses(report)["store"][1]
    assert registry.digest(WEATHER, "latest") == registry.digest(WEATHER, "0.2.0") is not None
