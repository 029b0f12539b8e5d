"""The command line as a user meets it: help, errors as one line, exit codes, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_connector


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"})


def test_help_lists_every_command() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("list", "validate", "build", "test", "publish", "registry", "qa", "doctor", "yank",
                    "unyank"):
        assert command in result.stdout


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("connector-pipelines ")


def test_list_json_and_github_matrix(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    write_connector(tmp_path, "destination-beta", language="manifest-only")
    listed = json.loads(cli("--repo", str(tmp_path), "list", "--format", "json").stdout)
    assert [c["name"] for c in listed] == ["destination-beta", "source-alpha"]
    matrix = json.loads(cli("--repo", str(tmp_path), "list", "--type", "source", "--format", "github-matrix").stdout)
    assert matrix == {"include": [{"connector": "source-alpha", "type": "source", "language": "python"}]}


def test_validate_prints_one_line_per_problem_and_fails(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha", version="not-semver")
    write_connector(tmp_path, "source-fine")
    result = cli("--repo", str(tmp_path), "validate")
    assert result.returncode == 1
    assert ("error airbyte-integrations/connectors/source-alpha/metadata.yaml:8: data.dockerImageTag: "
            "'not-semver' is not a semantic version") in result.stderr
    assert "Traceback" not in result.stderr
    assert "2 connector(s) checked: 1 valid, 1 invalid" in result.stdout


def test_user_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    for args, expected in [
        (("--repo", str(tmp_path), "list", "source-alpah"), "did you mean source-alpha"),
        (("--repo", str(tmp_path / "nope"), "list"), "no such directory"),
        (("--repo", str(tmp_path), "--connectors-dir", "missing", "list"), "no connectors folder"),
    ]:
        result = cli(*args)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2
