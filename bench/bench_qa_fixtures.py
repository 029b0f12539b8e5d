"""How many real Airbyte connectors our QA fails: false alarms on connectors Airbyte published.

    .venv/bin/python bench/bench_qa_fixtures.py

Runs every QA check on the metadata files of 2026-02-28 (678 connector folders holding only
``metadata.yaml`` and ``icon.svg``) and prints, per check, how many connectors fail it, then the
share of connectors failing at least one check that can judge such a folder. Checks that need
the docs pages or the code (absent from these fixtures) are listed but not counted: they fail
for lack of input, not because the connector is wrong.

Then the same on the 17 connector folders that carry their docs pages (``connectors/``), side by
side without and with the documentation content checks, each failure named: the docs checks'
false alarms, if any, show there.
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
    "license_matches_pyproject", "version_matches_pyproject", "https_only", "docs_intro_section",
    "docs_prerequisites_section", "docs_cloud_section", "docs_open_source_section", "docs_sync_modes_section",
    "docs_tutorials_section", "docs_changelog_section",
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

    docs_fixtures()


NEEDS_CODE = {"language_tag_matches_files", "cdk_tag_matches_code", "uses_poetry", "license_matches_pyproject",
              "version_matches_pyproject", "https_only"}
"""Checks whose input (the connector's code) the 17 folders with docs do not carry either."""


def docs_fixtures() -> None:
    connectors = FIXTURES.parent / "connectors"
    if not connectors.is_dir():
        sys.exit(f"{connectors} is absent: the benchmark needs ../shared")
    from connector_build.monorepo import Monorepo
    from connector_build.qa import CHECKS, QAContext, run_qa_checks
    from connector_build.qa.checks_docs_sections import CONTENT_CHECKS

    with tempfile.TemporaryDirectory(prefix="cp-i19-bench-docs-") as tmp:
        root = Path(tmp)
        for folder in sorted(p for p in connectors.iterdir() if p.is_dir()):
            kind, slug = folder.name.split("-", 1)
            target = root / "airbyte-integrations" / "connectors" / folder.name
            target.mkdir(parents=True)
            docs = root / "docs" / "integrations" / f"{kind}s"
            docs.mkdir(parents=True, exist_ok=True)
            for item in folder.iterdir():
                name = {"docs.md": f"{slug}.md", "docs-migrations.md": f"{slug}-migrations.md"}.get(item.name)
                (docs / name if name else target / item.name).symlink_to(item)
        repo = Monorepo.open(root)
        found = repo.discover()
        context = QAContext(repo, today=TODAY)
        failures = {name: [r.name for r in run_qa_checks(c, context) if r.failed and r.name not in NEEDS_CODE]
                    for name, c in found.connectors.items()}

    content = {c.name for c in CONTENT_CHECKS}
    table = Table(title=f"QA on {len(failures)} real connectors with their docs (code checks not counted)",
                  title_justify="left")
    for column in ("connector", "failed without the docs content checks", "failed with them"):
        table.add_column(column)
    for name, failed in sorted(failures.items()):
        without = [f for f in failed if f not in content]
        table.add_row(name, ", ".join(without) or "-", ", ".join(failed) or "-")
    console = Console(width=max(Console().width, 140))  # whole names, also off a terminal
    console.print(table)
    total = len(failures)
    before = sum(1 for failed in failures.values() if any(f not in content for f in failed))
    after = sum(1 for failed in failures.values() if failed)
    console.print(f"failing at least one counted check: without the {len(content)} docs content checks "
                  f"{before} of {total} ({100 * before / total:.1f} %), with them {after} of {total} "
                  f"({100 * after / total:.1f} %); of {len(CHECKS)} checks")


if __name__ == "__main__":
    main()
