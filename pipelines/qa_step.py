"""The ``qa`` step: the QA checks of connector_build.qa, reported like any other step.

    results = run_qa_checks(connector, context)
    report.steps.append(qa_step_result(results, duration_s=elapsed))
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from connector_build.qa import CheckResult, CheckStatus, QAContext, run_qa_checks
from connector_build.qa.summary import qa_lines, qa_summary
from pipelines.logs import StepLog
from pipelines.results import StepResult, StepStatus
from pipelines.steps import ConnectorState, Outcome, StepFailed

STEP_NAME = "qa"


def qa_step_result(results: list[CheckResult], duration_s: float = 0.0) -> StepResult:
    """A ``qa`` StepResult: failure when any check fails, skipped when none ran, success otherwise."""
    if any(r.failed for r in results):
        status = StepStatus.FAILURE
    elif results and all(r.status is CheckStatus.SKIP for r in results):
        status = StepStatus.SKIPPED
    elif not results:
        return StepResult.skipped(STEP_NAME, "no QA checks selected")
    else:
        status = StepStatus.SUCCESS
    return StepResult(
        name=STEP_NAME,
        status=status,
        duration_s=duration_s,
        summary=qa_summary(results),
        log_tail=qa_lines(results),
        details={"checks": [r.to_dict() for r in results]},
    )


@dataclass
class QaChecks:
    context: QAContext
    name: str = "qa"

    def skip_reason(self, state: ConnectorState) -> str | None:
        # Airbyte's CI leaves archived connectors out of its checks, as build and publish do here.
        if state.connector.support_level == "archived":
            return "archived connector: no longer checked"
        return None

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        started = time.monotonic()
        result = qa_step_result(run_qa_checks(state.connector, self.context), time.monotonic() - started)
        for line in result.log_tail:
            log.write(line)
        if result.status is StepStatus.FAILURE:
            raise StepFailed(result.summary, result.details)
        return Outcome(summary=result.summary, details=result.details, status=result.status)
