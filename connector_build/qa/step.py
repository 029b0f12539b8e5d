"""QA results as the ``qa`` step of a pipeline run, so the ``test`` command reports them like any step.

    results = run_qa_checks(connector, context)
    report.steps.append(qa_step_result(results, duration_s=elapsed))

This is the one place ``connector_build`` touches ``pipelines``: ``pipelines.results`` is plain data.
"""

from __future__ import annotations

from collections import Counter

from connector_build.qa.model import CheckResult, CheckStatus
from pipelines.results import StepResult, StepStatus

STEP_NAME = "qa"
MARK = {CheckStatus.PASS: "✓", CheckStatus.FAIL: "✗", CheckStatus.SKIP: "–"}


def qa_summary(results: list[CheckResult]) -> str:
    """One line: ``2 of 14 checks failed: docs_present, changelog_entry`` or ``12 passed, 2 skipped``."""
    counts = Counter(r.status for r in results)
    failures = [r.name for r in results if r.failed]
    if failures:
        return f"{len(failures)} of {len(results)} checks failed: {', '.join(failures)}"
    text = f"{counts[CheckStatus.PASS]} passed"
    return text + (f", {counts[CheckStatus.SKIP]} skipped" if counts[CheckStatus.SKIP] else "")


def qa_lines(results: list[CheckResult]) -> list[str]:
    """One line per check, failures first: what the step's log tail shows."""
    order = {CheckStatus.FAIL: 0, CheckStatus.SKIP: 1, CheckStatus.PASS: 2}
    ranked = sorted(results, key=lambda r: order[r.status])
    return [f"{MARK[r.status]} {r.name}: {r.message}" for r in ranked]


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
