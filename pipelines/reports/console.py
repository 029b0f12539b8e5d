"""The run summary in the terminal: one row per step, then the last log lines of each failure.

    print_summary(run_report)            # results on stdout, failure logs on stderr
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from pipelines.columns import print_columns
from pipelines.reports.text import clean
from pipelines.results import RunReport, StepStatus

STATUS_STYLE = {StepStatus.SUCCESS: "green", StepStatus.FAILURE: "red", StepStatus.SKIPPED: "yellow"}
STATUS_MARK = {StepStatus.SUCCESS: "✓", StepStatus.FAILURE: "✗", StepStatus.SKIPPED: "–"}
FAILURE_TAIL_LINES = 12


SUMMARY_HEADERS = ("connector", "step", "status", "time", "summary")


def summary_title(report: RunReport) -> str:
    passed = sum(c.success for c in report.connectors)
    return f"{report.command}: {passed} of {len(report.connectors)} connector(s) succeeded"


def summary_rows(report: RunReport) -> list[tuple[Text | str, ...]]:
    """connector, step, status (coloured), duration, summary. Text is never read as rich markup."""
    rows: list[tuple[Text | str, ...]] = []
    idle: list[str] = []
    for connector in report.connectors:
        if connector.steps and all(step.status is StepStatus.SKIPPED for step in connector.steps):
            idle.append(connector.connector)  # e.g. already published: one row for all of them below
            continue
        for step in connector.steps:
            status = Text(f"{STATUS_MARK[step.status]} {step.status.value}", style=STATUS_STYLE[step.status])
            rows.append((connector.connector, step.name, status, f"{step.duration_s:.1f}s", clean(step.summary)))
    if idle:
        shown = ", ".join(idle[:3]) + (f" and {len(idle) - 3} more" if len(idle) > 3 else "")
        reasons = {next((s.summary for s in c.steps if s.summary), "") for c in report.connectors
                   if c.connector in idle}
        reason = reasons.pop() if len(reasons) == 1 else "see report.json"
        rows.append((shown, "all", Text(f"{STATUS_MARK[StepStatus.SKIPPED]} skipped",
                                        style=STATUS_STYLE[StepStatus.SKIPPED]),
                     "", clean(reason) if len(idle) == 1 else f"nothing to do ({clean(reason)})"))
    return rows


def failure_logs(report: RunReport, tail_lines: int = FAILURE_TAIL_LINES) -> list[Text]:
    """For every failed step: a heading, then its last ``tail_lines`` log lines."""
    out: list[Text] = []
    for connector in report.connectors:
        for step in connector.steps:
            if step.status is not StepStatus.FAILURE or not step.log_tail:
                continue
            where = f" ({step.log_path})" if step.log_path else ""
            out.append(Text(f"{connector.connector} {step.name}: last log lines{where}", style="red"))
            out.extend(Text(f"  {clean(line)}") for line in step.log_tail[-tail_lines:])
    return out


def print_summary(report: RunReport, console: Console | None = None, error_console: Console | None = None,
                  tail_lines: int = FAILURE_TAIL_LINES, steps_shown: bool = False) -> None:
    """``steps_shown``: the progress already printed one line per step (no terminal), so the
    table would only repeat them; print the title line alone."""
    out = console or Console()
    errors = error_console or Console(stderr=True)
    if steps_shown:
        errors.print(Text(summary_title(report)), soft_wrap=True)
    else:
        print_columns(out, SUMMARY_HEADERS, summary_rows(report), title=summary_title(report),
                      free_text=("summary",), title_console=errors)
    for line in failure_logs(report, tail_lines):
        errors.print(line, soft_wrap=True)
