"""Connector QA: fast checks on files and git history, no container (Airbyte's connectors_qa, our way).

    from connector_build.qa import QAContext, run_qa_checks, qa_summary
    results = run_qa_checks(connector, QAContext(repo, base_ref="origin/main"))
    qa_summary(results)                     # "1 of 14 checks failed: changelog_entry"

The ``test`` command's step around them is :mod:`pipelines.qa_step`.

The checks and their order are in :mod:`connector_build.qa.checks`.
"""

from connector_build.qa.checks import CHECKS, run_qa_checks, select_checks
from connector_build.qa.model import Check, CheckResult, CheckStatus, QAContext
from connector_build.qa.summary import qa_summary

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "CheckStatus",
    "QAContext",
    "qa_summary",
    "run_qa_checks",
    "select_checks",
]
