"""The runner: steps in order, a failure or a crash stops only its own connector, logs only when written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from pipelines.engines.base import EngineError
from pipelines.logs import StepLog
from pipelines.results import StepStatus
from pipelines.runner import run_pipelines
from pipelines.steps import ConnectorState, Outcome, StepFailed, StepSkipped
from tests.conftest import EXAMPLES


@dataclass
class Scripted:
    """A step that does what it is told for each connector (by name), and records that it ran."""

    name: str
    actions: dict[str, object] = field(default_factory=dict)
    skip: dict[str, str] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)

    def skip_reason(self, state: ConnectorState) -> str | None:
        return self.skip.get(state.connector.name)

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        self.ran.append(state.connector.name)
        action = self.actions.get(state.connector.name)
        if isinstance(action, BaseException):
            log.write(f"about to fail: {action}")
            raise action
        if action == "log":
            log.write("a line worth keeping")
        return Outcome(summary=f"{self.name} ok")


@pytest.fixture(scope="module")
def connectors() -> list[Connector]:
    found = Monorepo.open(EXAMPLES).discover().connectors
    return [found[name] for name in ("source-tiny-weather", "source-tiny-catalog", "destination-tiny-jsonl")]


def run(connectors: list[Connector], steps: list[Scripted], tmp_path: Path, concurrency: int = 3):
    async def main():
        return await run_pipelines(connectors, lambda connector: steps, command="build", engine_name="fake",
                                   concurrency=concurrency, report_dir=tmp_path)
    return anyio.run(main)


def table(report) -> dict[str, list[tuple[str, StepStatus, str]]]:
    return {c.connector: [(s.name, s.status, s.summary) for s in c.steps] for c in report.connectors}


def test_a_failing_step_skips_the_rest_of_its_connector_only(connectors, tmp_path) -> None:
    first = Scripted("build", actions={"source-tiny-catalog": StepFailed("no manifest.yaml")})
    second = Scripted("spec")
    report = run(connectors, [first, second], tmp_path)

    assert table(report)["source-tiny-catalog"] == [
        ("build", StepStatus.FAILURE, "no manifest.yaml"),
        ("spec", StepStatus.SKIPPED, "skipped: build failed"),
    ]
    assert table(report)["source-tiny-weather"] == [("build", StepStatus.SUCCESS, "build ok"),
                                                    ("spec", StepStatus.SUCCESS, "spec ok")]
    assert sorted(second.ran) == ["destination-tiny-jsonl", "source-tiny-weather"]
    assert not report.success
    failed = report.connectors[1].steps[0]
    assert failed.log_tail == ["about to fail: no manifest.yaml", "FAILED: no manifest.yaml"]
    assert failed.log_path == tmp_path / "source-tiny-catalog" / "build.log" and failed.log_path.is_file()


def test_a_crash_or_engine_error_is_a_failure_with_its_reason(connectors, tmp_path) -> None:
    step = Scripted("build", actions={"source-tiny-weather": RuntimeError("bug"),
                                      "destination-tiny-jsonl": EngineError("daemon went away")})
    report = run(connectors, [step], tmp_path)
    rows = table(report)
    assert rows["source-tiny-weather"] == [("build", StepStatus.FAILURE, "internal error: RuntimeError('bug')")]
    assert rows["destination-tiny-jsonl"] == [("build", StepStatus.FAILURE, "daemon went away")]
    assert rows["source-tiny-catalog"] == [("build", StepStatus.SUCCESS, "build ok")]
    crash_log = (tmp_path / "source-tiny-weather" / "build.log").read_text()
    assert "Traceback" in crash_log and "RuntimeError: bug" in crash_log


def test_skips_decided_before_or_while_running_are_not_failures(connectors, tmp_path) -> None:
    before = Scripted("qa", skip={"source-tiny-weather": "archived connector"})
    during = Scripted("unit", actions={"source-tiny-weather": StepSkipped("no unit_tests folder")})
    report = run(connectors[:1], [before, during], tmp_path)
    assert table(report)["source-tiny-weather"] == [("qa", StepStatus.SKIPPED, "archived connector"),
                                                    ("unit", StepStatus.SKIPPED, "no unit_tests folder")]
    assert before.ran == [] and report.success


def test_a_step_that_logs_nothing_leaves_no_log_file(connectors, tmp_path) -> None:
    quiet, chatty = Scripted("quiet"), Scripted("chatty", actions={"source-tiny-weather": "log"})
    report = run(connectors[:1], [quiet, chatty], tmp_path)
    steps = report.connectors[0].steps
    assert steps[0].log_path is None and not (tmp_path / "source-tiny-weather" / "quiet.log").exists()
    assert steps[1].log_path is not None and steps[1].log_path.read_text() == "a line worth keeping\n"


def test_concurrency_is_bounded(connectors, tmp_path) -> None:
    running, peak = 0, 0

    @dataclass
    class Slow:
        name: str = "slow"

        def skip_reason(self, state: ConnectorState) -> str | None:
            return None

        async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await anyio.sleep(0.01)
            running -= 1
            return Outcome()

    report = run(connectors, [Slow()], tmp_path, concurrency=2)  # type: ignore[list-item]
    assert peak == 2 and report.success and [c.connector for c in report.connectors] == [c.name for c in connectors]
