"""``qa list`` and ``qa run``: the connector QA checks, without building anything.

``qa run`` is the same code the ``test`` command's ``qa`` step calls
(:func:`connector_build.qa.run_qa_checks`), so a failure seen here is the failure CI sees.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from connector_build.problems import UserError
from connector_build.selection import Selection
from connector_build.selection import check_names as check_names_exist
from pipelines.cli.console import console, error_console
from pipelines.cli.options import (
    GlobalOptions,
    selection_options,
)
from pipelines.columns import print_columns

app = typer.Typer(help="Connector QA checks: metadata, icon, docs, changelog, versions. Fast, no container.",
                  no_args_is_help=True)

if TYPE_CHECKING:
    from connector_build.qa import CheckResult

# The checks are imported inside the commands: other commands (`list`) should not pay for them.
STATUS_STYLE = {"pass": "green", "fail": "red", "warn": "magenta", "skip": "yellow"}


class QAFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


@app.command("list")
def list_checks() -> None:
    """List the QA checks: name, which connectors each applies to, and what it verifies."""
    from connector_build.qa import CHECKS
    from connector_build.qa.checks import NOT_RUN

    print_columns(console, ("name", "applies to", "description"),
                  [(check.name, check.applies_to(), check.description) for check in CHECKS],
                  title=f"{len(CHECKS)} QA checks", free_text=("applies to", "description"),
                  title_console=error_console)
    for line in NOT_RUN:
        error_console.print(f"not run: {line}", soft_wrap=True, highlight=False)


@app.command("run")
@selection_options(base_ref=False)
def run(
    ctx: typer.Context,
    selection: Selection,
    base_ref: str | None = typer.Option(
        None, "--base-ref",
        help="Git ref for the version checks (and --modified, which defaults it to origin/main). "
             "Without it the version checks skip."),
    check_names: list[str] | None = typer.Option(
        None, "--check", help="Run only this check (repeatable); `qa list` shows the names."),
    usage_from: Path | None = typer.Option(
        None, "--usage-from",
        help="A cloud registry JSON with generated.metrics: the connectors' cloud usage, for "
             "acceptance_tests_enabled (without it that check skips)."),
    failures_only: bool = typer.Option(False, "--failures-only",
                                       help="Show only failed checks (and advice warnings)."),
    output_format: QAFormat = typer.Option(QAFormat.TABLE, "--format", help="table or json."),
) -> None:
    """Run the QA checks on the selected connectors; exit code 1 when any check fails."""
    from connector_build.qa import CheckResult, CheckStatus, QAContext, run_qa_checks, select_checks
    from connector_build.qa.base_ref import ref_exists
    from connector_build.qa.checks_testing import cloud_usage_from_registry

    checks = select_checks(check_names)
    options: GlobalOptions = ctx.obj
    repo = options.open_repo()
    if base_ref is not None and ref_exists(repo.root, base_ref) is False:
        raise UserError(f"--base-ref {base_ref}: git knows no such ref in {repo.root}")
    found = repo.discover()
    wanted = list(selection.names)
    check_names_exist(wanted, found)
    valid = [n for n in wanted if n not in found.invalid]
    filtered = selection.filtered
    # Invalid metadata makes no Connector, so only metadata_valid can report on it: named ones
    # always, the others when nothing is filtered (a filter cannot be applied to unreadable data).
    broken = [n for n in wanted if n in found.invalid] if wanted else ([] if filtered else sorted(found.invalid))
    selection = dataclasses.replace(selection, names=tuple(valid), base_ref=base_ref or "origin/main")
    chosen = [] if wanted and not valid else selection.apply(repo, found)

    usage = cloud_usage_from_registry(usage_from) if usage_from is not None else None
    context = QAContext(repo, base_ref=base_ref, cloud_usage=usage)
    rows: list[tuple[str, CheckResult]] = []
    for name in broken:
        problems = found.invalid[name]
        rows.append((name, CheckResult("metadata_valid", CheckStatus.FAIL, "; ".join(str(p) for p in problems[:3]))))
    for connector in chosen:
        rows.extend((connector.name, result) for result in run_qa_checks(connector, context, checks))
    rows.sort(key=lambda row: row[0])

    shown = [row for row in rows if not failures_only or row[1].status in (CheckStatus.FAIL, CheckStatus.WARN)]
    if output_format is QAFormat.JSON:
        print(json.dumps([{"connector": name, **result.to_dict()} for name, result in shown], indent=2))
    else:
        _print_table(shown)
    counts = Counter(result.status for _, result in rows)
    failed_connectors = sorted({name for name, result in rows if result.failed})
    total = len({name for name, _ in rows})
    summary = (f"{total} connector(s), {len(rows)} check result(s): {counts[CheckStatus.PASS]} passed, "
               f"{counts[CheckStatus.FAIL]} failed, {counts[CheckStatus.SKIP]} skipped")
    if counts[CheckStatus.WARN]:
        summary += f", {counts[CheckStatus.WARN]} warning(s) (advice, not failing)"
    error_console.print(f"[{'red' if failed_connectors else 'green'}]{summary}[/]", highlight=False)
    if base_ref is None:
        error_console.print("[dim]version checks skipped: pass --base-ref (e.g. origin/main) to run them[/]",
                            soft_wrap=True)
    if failed_connectors:
        raise typer.Exit(1)


def _print_table(rows: list[tuple[str, CheckResult]]) -> None:
    print_columns(console, ("connector", "check", "status", "message"),
                  [(name, result.name, Text(result.status.value, style=STATUS_STYLE.get(result.status.value, "")),
                    result.message) for name, result in rows], free_text=("message",))
