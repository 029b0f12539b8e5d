"""Connector QA: fast checks on files and git history, no container (Airbyte's connectors_qa, our way).

    from connector_build.qa import QAContext, run_qa_checks, qa_step_result
    results = run_qa_checks(connector, QAContext(repo, base_ref="origin/main"))
    step = qa_step_result(results)          # pipelines.results.StepResult named "qa"

The checks and their order are in :mod:`connector_build.qa.checks`.
"""

from connector_build.qa.checks import CHECKS, run_qa_checks, select_checks
from connector_build.qa.model import Check, CheckResult, CheckStatus, QAContext
from connector_build.qa.step import qa_step_result, qa_summary

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "CheckStatus",
    "QAContext",
    "qa_step_result",
    "qa_summary",
    "run_qa_checks",
    "select_checks",
]
