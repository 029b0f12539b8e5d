"""The QA checks, in the order they run; this list is the documentation of what QA means here.

    results = run_qa_checks(connector, QAContext(repo, base_ref="origin/main"))
    [r for r in results if r.failed]
"""

from __future__ import annotations

from collections.abc import Iterable

from connector_build.connector import Connector
from connector_build.problems import UserError
from connector_build.qa.checks_assets import ICON_PRESENT, ICON_SQUARE
from connector_build.qa.checks_docs import CHANGELOG, DOCS_HEADERS, DOCS_PRESENT, MIGRATION_GUIDE, SYNC_MODES
from connector_build.qa.checks_docs_sections import CONTENT_CHECKS
from connector_build.qa.checks_metadata import (
    CDK_TAG,
    DOCUMENTATION_URL,
    LANGUAGE_TAG,
    LICENSE,
    MANIFEST_BASE_IMAGE,
    MAX_SECONDS,
    METADATA_VALID,
)
from connector_build.qa.checks_packaging import (
    LICENSE_PYPROJECT,
    PYPI_DECLARED,
    PYTHON_BASE_IMAGE,
    USES_POETRY,
    VERSION_PYPROJECT,
)
from connector_build.qa.checks_security import HTTPS_ONLY
from connector_build.qa.checks_testing import ACCEPTANCE_TESTS
from connector_build.qa.checks_version import DEADLINE, MAJOR_BUMP, VERSION_BUMPED
from connector_build.qa.model import Check, CheckResult, QAContext

CHECKS: tuple[Check, ...] = (
    METADATA_VALID,
    LANGUAGE_TAG,
    CDK_TAG,
    LICENSE,
    LICENSE_PYPROJECT,
    DOCUMENTATION_URL,
    MANIFEST_BASE_IMAGE,
    PYTHON_BASE_IMAGE,
    USES_POETRY,
    VERSION_PYPROJECT,
    PYPI_DECLARED,
    MAX_SECONDS,
    HTTPS_ONLY,
    ACCEPTANCE_TESTS,
    ICON_PRESENT,
    ICON_SQUARE,
    DOCS_PRESENT,
    CHANGELOG,
    MIGRATION_GUIDE,
    DOCS_HEADERS,
    *CONTENT_CHECKS,
    SYNC_MODES,
    VERSION_BUMPED,
    MAJOR_BUMP,
    DEADLINE,
)

NOT_RUN = (
    "Airbyte's documentation links check (every link of a Python or low-code source's page with "
    "ab_internal.sl >= 300 must not answer 404): it needs the network, and QA here runs offline.",
)
"""Airbyte's checks left out on purpose, and why (``qa list`` prints them)."""


def select_checks(names: Iterable[str] | None = None) -> tuple[Check, ...]:
    """The checks named (all when None or empty), in run order. Raises :class:`UserError` for unknown names."""
    wanted = list(names or ())
    known = {check.name for check in CHECKS}
    for name in wanted:
        if name not in known:
            raise UserError(f"no QA check named '{name}'; `connector-pipelines qa list` shows them")
    return tuple(c for c in CHECKS if not wanted or c.name in wanted)


def run_qa_checks(connector: Connector, context: QAContext,
                  checks: Iterable[Check] | None = None) -> list[CheckResult]:
    """Run every check (or those given) on one connector. Fast: files and git only, no container."""
    return [check.run(connector, context) for check in (CHECKS if checks is None else checks)]
