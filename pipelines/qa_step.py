"""The ``qa`` step: the QA checks of connector_build.qa, reported like any other step."""

from __future__ import annotations

import time
from dataclasses import dataclass

from connector_build.qa import QAContext, qa_step_result, run_qa_checks
from pipelines.logs import StepLog
from pipelines.results import StepStatus
from pipelines.steps import ConnectorState, Outcome, StepFailed


@dataclass
class QaChecks:
    context: QAContext
    name: str = "qa"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        started = time.monotonic()
        result = qa_step_result(run_qa_checks(state.connector, self.context), time.monotonic() - started)
        for line in result.log_tail:
            log.write(line)
        if result.status is StepStatus.FAILURE:
            raise StepFailed(result.summary, result.details)
        return Outcome(summary=result.summary, details=result.details, status=result.status)
