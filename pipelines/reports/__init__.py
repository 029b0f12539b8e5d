"""Reports of a run, all read from :class:`pipelines.results.RunReport`: a console table, and
``report.json`` (machines), ``report.html`` (people), ``junit.xml`` (CI test views).

    paths = write_reports(run_report, Path("reports/2026-03-01T10-00"))
    paths["html"]                          # .../report.html
"""

from __future__ import annotations

from pathlib import Path

from pipelines.reports.console import print_summary
from pipelines.reports.html_report import write_html
from pipelines.reports.json_report import write_json
from pipelines.reports.junit import write_junit
from pipelines.results import RunReport

__all__ = ["print_summary", "write_reports"]


def write_reports(run_report: RunReport, directory: Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.html`` and ``junit.xml`` into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "json": write_json(run_report, directory),
        "html": write_html(run_report, directory),
        "junit": write_junit(run_report, directory),
    }
