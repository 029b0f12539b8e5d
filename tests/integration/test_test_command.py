"""`connector-pipelines test` on the real daemon: the examples pass; broken connectors fail clearly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.test_build import cli

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]


def steps_of(report_dir: Path) -> dict[str, dict[str, dict]]:
    report = json.loads((report_dir / "report.json").read_text())
    return {c["connector"]: {s["name"]: s for s in c["steps"]} for c in report["connectors"]}


def test_examples_pass_qa_unit_and_smoke(examples_repo: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = cli(examples_repo, "test", "--report-dir", str(reports))
    assert result.returncode == 0, result.stdout + result.stderr
    steps = steps_of(reports)
    weather = steps["source-tiny-weather"]
    assert weather["qa"]["status"] == "success"
    assert weather["unit"]["status"] == "success" and "passed" in weather["unit"]["summary"]
    assert weather["smoke"]["status"] == "success"
    assert "read (" in weather["smoke"]["summary"] and "RECORD" in weather["smoke"]["summary"]
    assert "state echoed" in steps["destination-tiny-jsonl"]["smoke"]["summary"]
    assert steps["source-tiny-catalog"]["unit"]["status"] == "skipped"
    orders = steps["source-tiny-orders"]  # Java: its unit tests through Maven in the JDK container
    assert orders["unit"]["summary"] == "4 tests run, 0 failures, 0 errors, 0 skipped"
    assert orders["qa"]["status"] == "success" and orders["smoke"]["status"] == "success"
    assert {"report.json", "report.html", "junit.xml"} <= {p.name for p in reports.iterdir()}


def _break_weather(repo: Path, source_patch: str | None = None, tests: dict[str, str] | None = None) -> Path:
    folder = repo / "airbyte-integrations" / "connectors" / "source-tiny-weather"
    if source_patch is not None:
        main = folder / "main.py"
        main.write_text(source_patch + main.read_text())
    if tests is not None:
        shutil.rmtree(folder / "unit_tests")
        (folder / "unit_tests").mkdir()
        for name, text in tests.items():
            (folder / "unit_tests" / name).write_text(text)
    return folder


def test_a_stray_print_fails_the_smoke_run_with_the_offending_line(examples_repo: Path, tmp_path: Path) -> None:
    _break_weather(examples_repo, source_patch="print('debug: hello from a library')\n")
    reports = tmp_path / "reports"
    result = cli(examples_repo, "test", "source-tiny-weather", "--only", "smoke", "--report-dir", str(reports))
    assert result.returncode == 1
    smoke = steps_of(reports)["source-tiny-weather"]["smoke"]
    assert smoke["status"] == "failure"
    assert "not JSON" in smoke["summary"] or "JSON" in smoke["summary"]
    assert "debug: hello from a library" in smoke["summary"]
    assert "Traceback" not in result.stderr


def test_no_tests_collected_is_a_skip_and_a_failing_test_is_a_failure(examples_repo: Path, tmp_path: Path) -> None:
    _break_weather(examples_repo, tests={"helpers.py": "VALUE = 1\n"})
    reports = tmp_path / "reports-empty"
    result = cli(examples_repo, "test", "source-tiny-weather", "--only", "unit", "--report-dir", str(reports))
    assert result.returncode == 0, result.stdout + result.stderr
    unit = steps_of(reports)["source-tiny-weather"]["unit"]
    assert unit["status"] == "skipped" and "no tests collected" in unit["summary"]

    _break_weather(examples_repo, tests={"test_bad.py": "def test_bad():\n    assert 1 + 1 == 3\n"})
    reports = tmp_path / "reports-failing"
    result = cli(examples_repo, "test", "source-tiny-weather", "--only", "unit", "--report-dir", str(reports))
    assert result.returncode == 1
    unit = steps_of(reports)["source-tiny-weather"]["unit"]
    assert unit["status"] == "failure" and "1 failed" in unit["summary"]
    assert any("assert 2 == 3" in line or "test_bad" in line for line in unit["log_tail"])
