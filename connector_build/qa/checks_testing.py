"""QA check on the test suites a connector declares: sources that many cloud users run must have
acceptance tests (Airbyte's rule for medium and high cloud usage).

Cloud usage is not in ``metadata.yaml``: Airbyte reads it from the cloud registry's
``generated.metrics.cloud.usage``; ``qa run --usage-from <registry.json>`` gives it here, and
without it the check skips.
"""

from __future__ import annotations

import json
from pathlib import Path

from connector_build.connector import Connector
from connector_build.metadata import ConnectorType
from connector_build.problems import UserError
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed

SUITE = "acceptanceTests"


def acceptance_tests_enabled(connector: Connector, ctx: QAContext) -> Verdict:
    suites = [option.suite for option in connector.data.connectorTestSuitesOptions or []]
    usage = (ctx.cloud_usage or {}).get(connector.data.definitionId)
    if SUITE not in suites:
        return failed(f"{connector.relative_path / 'metadata.yaml'}: a source with {usage} cloud usage lists "
                      f"the {SUITE} suite in connectorTestSuitesOptions")
    return passed(f"{SUITE} listed ({usage} cloud usage)")


def cloud_usage_from_registry(path: Path) -> dict[str, str]:
    """definitionId -> usage from a registry JSON's ``generated.metrics.cloud.usage``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"--usage-from {path}: cannot read a registry JSON ({exc})") from None
    if not isinstance(document, dict):
        raise UserError(f"--usage-from {path}: not a registry (no 'sources'/'destinations')")
    usage = {}
    for kind in ("source", "destination"):
        for entry in document.get(f"{kind}s") or []:
            metrics = ((entry.get("generated") or {}).get("metrics") or {}).get("cloud") or {}
            value = metrics.get("usage")
            if isinstance(value, str) and value != "null" and entry.get(f"{kind}DefinitionId"):
                usage[entry[f"{kind}DefinitionId"]] = value
    return usage


ACCEPTANCE_TESTS = Check(
    "acceptance_tests_enabled", "A source with medium or high cloud usage lists the acceptanceTests suite.",
    acceptance_tests_enabled, types=frozenset({ConnectorType.SOURCE}), cloud_usages=frozenset({"medium", "high"}))
