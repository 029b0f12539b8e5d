"""Run one pipeline per connector, many at once, each isolated from the others' failures.

    report = await run_pipelines(connectors, steps_for, command="build", engine_name="docker",
                                 concurrency=4, report_dir=Path(".connector-pipelines/reports/x"))

A failing or crashing step fails its connector only; the next steps of that connector are
skipped with the reason, and the other connectors go on (airbyte-ci#27681). Cancellation
(Ctrl-C) propagates through the task group and the engines remove their containers.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio

from connector_build.connector import Connector
from pipelines.engines.base import EngineError
from pipelines.logs import StepLog
from pipelines.progress import Progress
from pipelines.results import ConnectorReport, RunReport, StepResult, StepStatus
from pipelines.steps import ConnectorState, Step, StepFailed, StepSkipped

StepsFor = Callable[[Connector], Sequence[Step]]


async def run_pipelines(
    connectors: Sequence[Connector],
    steps_for: StepsFor,
    *,
    command: str,
    engine_name: str,
    concurrency: int,
    report_dir: Path,
    progress: Progress | None = None,
) -> RunReport:
    report = RunReport(command=command, engine=engine_name, started_at=dt.datetime.now(dt.UTC))
    reports = {c.name: ConnectorReport(connector=c.name, version=c.version) for c in connectors}
    report.connectors = [reports[c.name] for c in connectors]
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(connector: Connector) -> None:
        async with limiter:
            await run_connector(connector, steps_for(connector), reports[connector.name], report_dir, progress)

    try:
        async with anyio.create_task_group() as group:
            for connector in connectors:
                group.start_soon(one, connector)
    finally:
        report.finished_at = dt.datetime.now(dt.UTC)
    return report


async def run_connector(
    connector: Connector,
    steps: Sequence[Step],
    report: ConnectorReport,
    report_dir: Path,
    progress: Progress | None,
) -> ConnectorState:
    state = ConnectorState(connector=connector)
    failed_step: str | None = None
    try:
        for step in steps:
            if failed_step:
                result = StepResult.skipped(step.name, f"skipped: {failed_step} failed")
            elif reason := step.skip_reason(state):
                result = StepResult.skipped(step.name, reason)
            else:
                if progress:
                    progress.step_started(connector.name, step.name)
                result = await run_step(step, state, report_dir / connector.name / f"{step.name}.log", progress)
                if result.status is StepStatus.FAILURE:
                    failed_step = step.name
            report.steps.append(result)
            if progress:
                progress.step_finished(connector.name, result)
    finally:
        for step in steps:  # however the pipeline ended: give back what a step holds (a store lease)
            release = getattr(step, "release", None)
            if callable(release):
                release(state)
    if progress:
        progress.connector_finished(connector.name)
    return state


async def run_step(step: Step, state: ConnectorState, log_path: Path, progress: Progress | None) -> StepResult:
    name = state.connector.name
    log = StepLog(log_path, on_line=(lambda line: progress.log_line(name, line)) if progress else None)
    started = time.monotonic()
    try:
        outcome = await step.run(state, log)
        result = StepResult(step.name, outcome.status, summary=outcome.summary, details=outcome.details)
    except StepSkipped as skip:
        result = StepResult.skipped(step.name, skip.reason)
    except StepFailed as failure:
        log.write(f"FAILED: {failure.summary}")
        result = StepResult(step.name, StepStatus.FAILURE, summary=failure.summary, details=failure.details)
    except EngineError as failure:
        # The engine already wrote its output to this log; add the verdict.
        log.write(f"FAILED: {failure}")
        result = StepResult(step.name, StepStatus.FAILURE, summary=str(failure))
    except anyio.get_cancelled_exc_class():
        log.write("cancelled")
        log.close()
        raise
    except Exception as crash:  # a bug in a step must not take the other connectors down
        log.write("".join(traceback.format_exception(crash)))
        result = StepResult(step.name, StepStatus.FAILURE, summary=f"internal error: {crash!r}")
    result.duration_s = time.monotonic() - started
    result.log_path = log_path if log_path.exists() else None
    result.log_tail = log.tail(20) if result.status is StepStatus.FAILURE else []
    log.close()
    return result
