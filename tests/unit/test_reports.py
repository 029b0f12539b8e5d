"""Report writers: the same RunReport as JSON, HTML, JUnit XML and a console table."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

from rich.console import Console

from pipelines.reports import print_summary, write_reports
from pipelines.reports.html_report import render_html
from pipelines.reports.junit import render_junit
from pipelines.reports.text import clean
from pipelines.results import ConnectorReport, RunReport, StepResult, StepStatus

HOSTILE = "<script>alert('x')</script> & \x1b[31mred\x1b[0m \x00\x07 end"


def sample_report() -> RunReport:
    return RunReport(
        command="test", engine="docker",
        started_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 3, 1, 10, 2, tzinfo=dt.UTC),
        connectors=[
            ConnectorReport("source-alpha", "1.2.0", [
                StepResult("build", StepStatus.SUCCESS, 12.5, "built airbyte/source-alpha:dev"),
                StepResult("unit", StepStatus.FAILURE, 3.25, "pytest: 1 failed, 4 passed",
                           log_path=Path("/logs/source-alpha/unit.log"),
                           log_tail=["collected 5 items", "FAILED test_streams.py::test_read - KeyError", HOSTILE]),
                StepResult.skipped("acceptance", "no secrets for acceptance tests"),
            ]),
            ConnectorReport("source-beta", "0.1.0", [
                StepResult("qa", StepStatus.SUCCESS, 0.02, "14 passed", details={"checks": [{"name": "icon_present"}]}),
            ]),
        ],
    )


def test_write_reports_writes_three_files(tmp_path: Path) -> None:
    paths = write_reports(sample_report(), tmp_path / "out")
    assert sorted(paths) == ["html", "json", "junit"]
    assert [p.name for p in paths.values()] == ["report.json", "report.html", "junit.xml"]
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in paths.values())
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_json_report_is_run_report_to_dict(tmp_path: Path) -> None:
    report = sample_report()
    written = json.loads(write_reports(report, tmp_path)["json"].read_text())
    assert written == json.loads(json.dumps(report.to_dict()))
    assert written["schema_version"] == 1 and written["success"] is False
    unit = written["connectors"][0]["steps"][1]
    assert unit["status"] == "failure" and unit["log_path"] == "/logs/source-alpha/unit.log"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_logs_and_shows_failures_inline() -> None:
    html = render_html(sample_report())
    parsed = _Collect()
    parsed.feed(html)
    assert "script" not in parsed.tags  # the log's <script> is text
    text = "".join(parsed.text)
    assert "<script>alert('x')</script> & red" in text  # shown, escaped, colour codes gone
    assert "FAILED test_streams.py::test_read - KeyError" in text
    assert "no secrets for acceptance tests" in text
    assert "\x1b" not in html and "\x00" not in html
    assert 'data-step="unit" data-status="failure"' in html


def test_html_is_self_contained() -> None:
    html = render_html(sample_report())
    parsed = _Collect()
    parsed.feed(html)
    assert "link" not in parsed.tags and "script" not in parsed.tags and "img" not in parsed.tags
    urls = [value for name, value in parsed.attributes if name in {"src", "href"}]
    assert urls == []
    assert "<style>" in html


def test_junit_structure(tmp_path: Path) -> None:
    root = ET.parse(write_reports(sample_report(), tmp_path)["junit"]).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "1"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["source-alpha", "source-beta"]
    assert suites[0].get("skipped") == "1" and suites[0].get("time") == "15.750"
    cases = {c.get("name"): c for c in suites[0].findall("testcase")}
    failure = cases["unit"].find("failure")
    assert failure is not None and failure.get("message") == "pytest: 1 failed, 4 passed"
    assert "KeyError" in (failure.text or "") and "<script>" in (failure.text or "")
    skipped = cases["acceptance"].find("skipped")
    assert skipped is not None and skipped.get("message") == "no secrets for acceptance tests"
    assert cases["build"].find("failure") is None and cases["build"].get("classname") == "source-alpha"


def test_junit_survives_control_characters() -> None:
    # XML 1.0 cannot hold \x00 or \x07: written raw, the file would not parse at all.
    ET.fromstring(render_junit(sample_report()))


def test_clean_strips_ansi_and_replaces_illegal_characters() -> None:
    assert clean("\x1b[1;31mERROR\x1b[0m\tok\x00") == "ERROR\tok\ufffd"


def test_console_summary_and_failure_tail() -> None:
    out, err = StringIO(), StringIO()
    print_summary(sample_report(), Console(file=out, width=200, no_color=True),
                  Console(file=err, width=200, no_color=True), tail_lines=2)
    table = out.getvalue()
    assert "✗ failure" in table and "3.2s" in table and "pytest: 1 failed, 4 passed" in table
    logs = err.getvalue()
    assert "test: 1 of 2 connector(s) succeeded" in logs  # not a terminal: stdout holds only the rows
    assert "source-alpha unit: last log lines (/logs/source-alpha/unit.log)" in logs
    assert "collected 5 items" not in logs  # only the last two lines
    assert "<script>alert('x')</script>" in logs  # printed literally, not read as markup


def test_console_does_not_read_summaries_as_markup() -> None:
    report = sample_report()
    report.connectors[0].steps[0].summary = "[red]not markup[/red]"
    out = StringIO()
    print_summary(report, Console(file=out, width=200), Console(file=StringIO()))
    assert "[red]not markup[/red]" in out.getvalue()


def test_on_a_pipe_steps_print_once_and_notices_once_at_the_top() -> None:
    from pipelines.progress import Progress

    err, out = StringIO(), StringIO()
    console = Console(file=err, width=80, no_color=True)
    notices: list[str] = []
    with Progress(console, ["source-alpha", "source-beta"], notices=lambda: notices) as progress:
        progress.step_started("source-alpha", "build")
        notices.append("using mirror localhost:5000/airbyte/base:1 for [docker.io]/airbyte/base:1")
        for name in ("source-alpha", "source-beta"):
            progress.step_finished(name, StepResult("build", StepStatus.SUCCESS, 1.0, f"built [airbyte]/{name}:dev"))
            progress.connector_finished(name)
    assert Progress.prints_step_lines(console)
    print_summary(sample_report(), Console(file=out, width=80), console, steps_shown=True)
    lines = err.getvalue().splitlines()
    assert lines[0] == "note: using mirror localhost:5000/airbyte/base:1 for [docker.io]/airbyte/base:1"
    assert sum("note:" in line for line in lines) == 1
    assert lines[1:3] == ["✓ source-alpha build 1.0s built [airbyte]/source-alpha:dev",
                          "✓ source-beta build 1.0s built [airbyte]/source-beta:dev"]
    assert "test: 1 of 2 connector(s) succeeded" in lines
    assert out.getvalue() == ""  # the steps are not printed again as a table


def test_the_step_table_is_left_out_only_where_the_step_lines_already_went(tmp_path: Path) -> None:
    from pipelines.cli.run_support import same_destination

    with open(tmp_path / "both.log", "w") as both, open(tmp_path / "out.log", "w") as out:
        shared = Console(file=both)
        assert same_destination(shared, Console(file=open(both.fileno(), "w", closefd=False)))  # 2>&1
        assert not same_destination(Console(file=out), shared)  # > out.log 2> both.log
    assert not same_destination(Console(file=StringIO()), Console(file=StringIO()))
