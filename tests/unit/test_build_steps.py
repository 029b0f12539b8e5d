"""The build steps with a fake engine: a plan per platform, local tags, skips, and the ``spec`` check."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from pipelines.build_steps import BuildImages, SpecSmoke, host_platform, local_tags
from pipelines.engines.base import BuildOptions, BuiltImage, RunResult
from pipelines.logs import StepLog
from pipelines.results import ConnectorReport, StepStatus
from pipelines.runner import run_connector
from pipelines.steps import ConnectorState, Step, StepFailed
from tests.conftest import EXAMPLES, write_connector
from tests.unit.fakes import FakeEngine, spec_output

PLATFORMS = ["linux/amd64", "linux/arm64"]
OTHER = next(p for p in PLATFORMS if p != host_platform())


@pytest.fixture(scope="module")
def weather() -> Connector:
    monorepo = Monorepo.open(EXAMPLES)
    return monorepo.load_connector(monorepo.connectors_path / "source-tiny-weather")


def build(connector: Connector, engine: FakeEngine, tmp_path: Path, platforms=PLATFORMS) -> ConnectorReport:
    report = ConnectorReport(connector.name, connector.version)
    steps: list[Step] = [BuildImages(engine, BuildOptions(), platforms), SpecSmoke(engine)]
    anyio.run(run_connector, connector, steps, report, tmp_path, None)
    return report


def test_local_tags_name_the_host_image_plainly_and_each_platform_by_suffix() -> None:
    assert local_tags("airbyte/x", "dev", host_platform(), PLATFORMS) == \
        [f"airbyte/x:dev-{host_platform().replace('/', '-')}", "airbyte/x:dev"]
    assert local_tags("airbyte/x", "dev", OTHER, PLATFORMS) == [f"airbyte/x:dev-{OTHER.replace('/', '-')}"]
    assert local_tags("airbyte/x", "dev", OTHER, [OTHER]) == ["airbyte/x:dev"]


def test_every_platform_is_built_and_answers_spec(weather, tmp_path) -> None:
    engine = FakeEngine()
    report = build(weather, engine, tmp_path)

    assert sorted(plan.platform for plan, _ in engine.built) == PLATFORMS
    assert all(plan.labels()["io.airbyte.name"] == "airbyte/source-tiny-weather" for plan, _ in engine.built)
    build_step, spec_step = report.steps
    assert build_step.status is StepStatus.SUCCESS
    assert list(build_step.details["images"]) == [host_platform(), OTHER]  # host first: later steps run it
    assert spec_step.summary == f"{host_platform()}: SPEC with 1 properties; {OTHER}: SPEC with 1 properties"
    assert [args for _, args, _ in engine.runs] == [["spec"], ["spec"]]


def test_a_build_failure_fails_the_step_and_skips_spec(weather, tmp_path) -> None:
    report = build(weather, FakeEngine(fail_build="build failed: pip could not resolve"), tmp_path)
    assert [(s.status, s.summary) for s in report.steps] == [
        (StepStatus.FAILURE, "build failed: pip could not resolve"),
        (StepStatus.SKIPPED, "skipped: build failed"),
    ]


def test_java_is_built_from_its_prebuilt_distribution_and_archived_is_not_built(tmp_path) -> None:
    folder = write_connector(tmp_path, "source-java", language="java")
    (folder / "pom.xml").write_text("<project/>")
    tar = folder / "build" / "distributions" / "source-java.tar"
    tar.parent.mkdir(parents=True)
    tar.write_bytes(b"")  # newer than every source file: used as it is, no JDK container
    write_connector(tmp_path, "source-old", support="archived")
    monorepo = Monorepo.open(tmp_path)
    engine = FakeEngine()
    java = build(monorepo.load_connector(monorepo.connectors_path / "source-java"), engine, tmp_path, [host_platform()])
    old = build(monorepo.load_connector(monorepo.connectors_path / "source-old"), engine, tmp_path)

    assert java.steps[0].status is StepStatus.SUCCESS
    assert java.steps[0].summary.startswith("build/distributions/source-java.tar (prebuilt); ")
    [(plan, _)] = engine.built
    assert plan.context_dir == tar.parent and plan.labels()["io.airbyte.name"] == "airbyte/source-java"
    assert (old.steps[0].status, old.steps[0].summary) == (StepStatus.SKIPPED, "archived connector: no longer built")
    assert old.steps[1].summary == "no image was built"


@pytest.mark.parametrize(("result", "reason"), [
    (RunResult(1, "", "Traceback...\nModuleNotFoundError: No module named 'source_x'"),
     "spec exited with 1: ModuleNotFoundError: No module named 'source_x'"),
    (RunResult(0, json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "hi"}}) + "\n", ""),
     "spec: expected exactly one SPEC message, found 0"),
    (RunResult(0, "not json at all\n", ""), "spec: line 1: not a JSON Airbyte message"),
])
def test_an_image_that_cannot_describe_itself_fails_spec(weather, tmp_path, result: RunResult, reason: str) -> None:
    engine = FakeEngine(responder=lambda *_: result)
    state = ConnectorState(weather, images={"linux/amd64": BuiltImage("airbyte/x:dev", "linux/amd64", "id")})
    with pytest.raises(StepFailed) as failure:
        anyio.run(SpecSmoke(engine).run, state, StepLog(None))
    assert failure.value.summary.startswith(reason)


def test_spec_output_may_carry_logs_around_the_spec(weather) -> None:
    noisy = json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "starting"}}) + "\n" + spec_output()
    engine = FakeEngine(responder=lambda *_: RunResult(0, noisy, ""))
    state = ConnectorState(weather, images={"linux/amd64": BuiltImage("airbyte/x:dev", "linux/amd64", "id")})
    outcome = anyio.run(SpecSmoke(engine).run, state, StepLog(None))
    assert outcome.summary == "linux/amd64: SPEC with 1 properties"
