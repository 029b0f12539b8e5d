"""How many real Airbyte connectors our QA fails: false alarms on connectors Airbyte published.

    .venv/bin/python bench/bench_qa_fixtures.py

Runs every QA check on the metadata files of 2026-02-28 (678 connector folders holding only
``metadata.yaml`` and ``icon.svg``) and prints, per check, how many connectors fail it, then the
share of connectors failing at least one check that can judge such a folder. Checks that need
the docs pages or the code (absent from these fixtures) are listed but not counted: they fail
for lack of input, not because the connector is wrong.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "airbyte" / "metadata-2026-02-28"
TODAY = dt.date(2026, 3, 1)

NEEDS_DOCS_OR_CODE = {
    "docs_present", "changelog_entry", "migration_guide", "destination_sync_modes_table",
    "docs_headers_order", "language_tag_matches_files", "cdk_tag_matches_code", "uses_poetry",
    "license_matches_pyproject", "version_matches_pyproject", "https_only",
}
"""Check names whose input (docs pages, code files) the metadata-only fixtures do not carry."""


def main() -> None:
    if not FIXTURES.is_dir():
        sys.exit(f"{FIXTURES} is absent: the benchmark needs ../shared")
    from connector_build.monorepo import Monorepo
    from connector_build.qa import CHECKS, CheckStatus, QAContext, run_qa_checks

    with tempfile.TemporaryDirectory(prefix="cp-i19-bench-") as tmp:
        root = Path(tmp)
        (root / "airbyte-integrations").mkdir()
        (root / "airbyte-integrations" / "connectors").symlink_to(FIXTURES)
        repo = Monorepo.open(root)
        found = repo.discover()
        context = QAContext(repo, today=TODAY)
        failures: Counter[str] = Counter()
        warnings: Counter[str] = Counter()
        failing_connectors = set()
        for name, connector in found.connectors.items():
            for result in run_qa_checks(connector, context):
                if result.status is CheckStatus.FAIL:
                    failures[result.name] += 1
                    if result.name not in NEEDS_DOCS_OR_CODE:
                        failing_connectors.add(name)
                elif result.status.value == "warn":
                    warnings[result.name] += 1

    total = len(found.connectors) + len(found.invalid)
    table = Table(title=f"QA on {total} real connectors (metadata.yaml + icon.svg only)", title_justify="left")
    for column in ("check", "failed", "warned", "counted"):
        table.add_column(column, justify="left" if column == "check" else "right")
    for check in CHECKS:
        counted = "no (needs docs/code)" if check.name in NEEDS_DOCS_OR_CODE else "yes"
        table.add_row(check.name, str(failures[check.name]), str(warnings[check.name]), counted)
    console = Console()
    console.print(table)
    failing = len(failing_connectors) + len(found.invalid)
    console.print(f"connectors failing at least one counted check: {failing} of {total} "
                  f"({100 * failing / total:.1f} %); invalid metadata: {len(found.invalid)}")
    active = {n for n, c in found.connectors.items() if c.support_level != "archived"}
    active_failing = len(failing_connectors & active)
    console.print(f"not archived: {active_failing} of {len(active)} ({100 * active_failing / len(active):.1f} %) "
                  f"fail: {', '.join(sorted(failing_connectors & active))}")


if __name__ == "__main__":
    main()
