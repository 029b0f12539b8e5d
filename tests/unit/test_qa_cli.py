"""``connector-pipelines qa list`` and ``qa run`` as a user meets them: tables, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from connector_build.qa import CHECKS
from tests.conftest import write_connector
from tests.unit.test_qa_checks import complete_connector


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "250", "NO_COLOR": "1"})


def test_qa_list_shows_every_check() -> None:
    result = cli("qa", "list")
    assert result.returncode == 0, result.stderr
    for check in CHECKS:
        assert check.name in result.stdout
    assert "destinations" in result.stdout  # the "applies to" column
    assert "not run: Airbyte's documentation links check" in result.stderr and "needs the network" in result.stderr


def test_qa_run_passes_then_fails_with_exit_1(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    ok = cli("--repo", str(tmp_path), "qa", "run")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "docs_present" in ok.stdout and "0 failed" in ok.stderr
    (tmp_path / "docs" / "integrations" / "sources" / "alpha.md").unlink()
    failing = cli("--repo", str(tmp_path), "qa", "run", "source-alpha", "--failures-only")
    assert failing.returncode == 1
    assert "docs/integrations/sources/alpha.md" in failing.stdout
    assert "icon_present" not in failing.stdout  # passed, so hidden
    assert "Traceback" not in failing.stderr


def test_qa_run_json_and_check_filter(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    result = cli("--repo", str(tmp_path), "qa", "run", "--check", "icon_present", "--check", "license_known",
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["connector"], r["name"], r["status"]) for r in rows] == [
        ("source-alpha", "license_known", "pass"), ("source-alpha", "icon_present", "pass")]


def test_invalid_metadata_is_a_failed_check_not_a_crash(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    write_connector(tmp_path, "source-broken", version="not-semver")
    result = cli("--repo", str(tmp_path), "qa", "run", "--format", "json")
    assert result.returncode == 1
    broken = [r for r in json.loads(result.stdout) if r["connector"] == "source-broken"]
    assert len(broken) == 1 and broken[0]["name"] == "metadata_valid"
    assert "not a semantic version" in broken[0]["message"]
    named = cli("--repo", str(tmp_path), "qa", "run", "source-broken", "--format", "json")
    assert named.returncode == 1 and [r["connector"] for r in json.loads(named.stdout)] == ["source-broken"]


def test_user_mistakes_are_one_line_exit_2(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    for args, expected in [
        (("qa", "run", "--check", "nope"), "no QA check named 'nope'"),
        (("qa", "run", "source-alpah"), "did you mean source-alpha"),
        (("qa", "run", "--base-ref", "no-such-ref"), "--base-ref no-such-ref: git knows no such ref"),
    ]:
        result = cli("--repo", str(tmp_path), *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_usage_from_a_registry_runs_the_acceptance_tests_check_and_a_warning_does_not_fail(tmp_path: Path) -> None:
    folder = complete_connector(tmp_path, "source-alpha")
    (folder / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 129 128"/>')
    ident = next(line.split(":", 1)[1].strip() for line in (folder / "metadata.yaml").read_text().splitlines()
                 if line.strip().startswith("definitionId:"))
    registry = tmp_path / "cloud_registry.json"
    registry.write_text(json.dumps({"sources": [{"sourceDefinitionId": ident,
                                                 "generated": {"metrics": {"cloud": {"usage": "high"}}}}],
                                    "destinations": []}))
    result = cli("--repo", str(tmp_path), "qa", "run", "--usage-from", str(registry), "--failures-only",
                 "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {r["name"]: r["status"] for r in json.loads(result.stdout)}
    assert rows == {"acceptance_tests_enabled": "fail", "icon_square_svg": "warn"}
    warned = cli("--repo", str(tmp_path), "qa", "run", "--check", "icon_square_svg")
    assert warned.returncode == 0 and "1 warning(s) (advice, not failing)" in warned.stderr
    (tmp_path / "bad.json").write_text("{not json")
    bad = cli("--repo", str(tmp_path), "qa", "run", "--usage-from", str(tmp_path / "bad.json"))
    assert bad.returncode == 2 and "--usage-from" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
