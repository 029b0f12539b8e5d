"""What every pipeline command does when its run ends: notices, summary, reports, exit code."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from pipelines.cli.console import console, error_console
from pipelines.progress import STATUS_MARK, STATUS_STYLE
from pipelines.results import RunReport, StepStatus


def finish_run(report: RunReport, report_dir: Path, notices: list[str]) -> None:
    for notice in notices:
        error_console.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
    print_summary(report)
    written = write_run_reports(report, report_dir)
    error_console.print(f"reports: {', '.join(str(p) for p in written)}", highlight=False, soft_wrap=True)
    if not report.success:
        raise typer.Exit(1)


def print_summary(report: RunReport) -> None:
    table = Table(title=f"{report.command}: {len(report.connectors)} connector(s)", title_justify="left")
    for column in ("connector", "step", "status", "time", "summary"):
        table.add_column(column)
    for connector in report.connectors:
        for step in connector.steps:
            style = STATUS_STYLE[step.status]
            table.add_row(connector.connector, step.name, f"[{style}]{STATUS_MARK[step.status]} {step.status.value}[/]",
                          f"{step.duration_s:.1f}s", step.summary)
    console.print(table)
    for connector in report.connectors:
        for step in connector.steps:
            if step.status is StepStatus.FAILURE and step.log_tail:
                error_console.print(f"[red]{connector.connector} {step.name}[/] last log lines ({step.log_path}):")
                for line in step.log_tail[-12:]:
                    error_console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


def write_run_reports(report: RunReport, report_dir: Path) -> list[Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "report.json"
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return [path]
