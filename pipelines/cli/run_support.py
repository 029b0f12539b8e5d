"""What every pipeline command does when its run ends: notices, summary, reports, exit code."""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.cli.console import console, error_console
from pipelines.reports import print_summary, write_reports
from pipelines.results import RunReport


def finish_run(report: RunReport, report_dir: Path, notices: list[str]) -> None:
    for notice in notices:
        error_console.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
    print_summary(report, console=console, error_console=error_console)
    written = write_reports(report, report_dir)
    error_console.print(f"reports: {written['html']} (and report.json, junit.xml)", highlight=False, soft_wrap=True)
    if not report.success:
        raise typer.Exit(1)
