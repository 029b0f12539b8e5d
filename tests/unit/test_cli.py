"""The command line as a user meets it: help, errors as one line, exit codes, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_connector


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"})


def test_help_lists_every_command() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("list", "validate", "build", "test", "publish", "registry", "qa", "doctor", "yank", "rollout",
                    "unyank", "bump-version", "create"):
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


def test_list_on_a_pipe_prints_whole_identifiers_in_plain_columns(tmp_path: Path) -> None:
    long_name = "destination-" + "very-long-name-" * 6 + "end"
    write_connector(tmp_path, long_name)
    write_connector(tmp_path, "source-a")
    result = subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(tmp_path), "list"],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "type", "language", "version", "support"]  # no path column
    assert lines[1].split() == [long_name, "destination", "python", "0.1.0", "community"]
    assert lines[2].split() == ["source-a", "source", "python", "0.1.0", "community"]
    assert lines[1].index("destination ") == lines[2].index("source ")  # aligned
    assert "2 connectors" in result.stderr and "2 connectors" not in result.stdout
    assert "…" not in result.stdout and "\x1b" not in result.stdout


def test_notes_on_a_pipe_are_never_wrapped_inside_a_command(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-a")
    broken = write_connector(tmp_path, "source-broken")
    (broken / "metadata.yaml").write_text("data: [1]\n")
    result = subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(tmp_path), "list"],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "80"})
    assert result.stderr.splitlines() == [
        "1 connector",
        "1 connector(s) with invalid metadata left out; run `connector-pipelines validate` to see why"]


def test_global_options_after_the_command(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    result = cli("list", "--repo", str(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)] == ["source-alpha"]
    assert cli("list", f"--repo={tmp_path}", "--format", "json").returncode == 0
    assert cli("list", "--version").stdout.startswith("connector-pipelines ")


def test_unknown_filter_values_are_refused_with_a_suggestion(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    result = cli("--repo", str(tmp_path), "list", "--language", "jav")
    assert result.returncode == 2 and "--language jav: not one of" in result.stderr
    assert "did you mean java?" in result.stderr
    result = cli("--repo", str(tmp_path), "list", "--support-level", "certifed")
    assert result.returncode == 2 and "did you mean certified?" in result.stderr


def test_an_empty_selection_from_filters_fails_unless_allowed(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    result = cli("--repo", str(tmp_path), "list", "--language", "java")
    assert result.returncode == 2 and "no connector matches --language java" in result.stderr
    allowed = cli("--repo", str(tmp_path), "list", "--language", "java", "--allow-empty", "--format", "json")
    assert allowed.returncode == 0 and json.loads(allowed.stdout) == []


def test_a_flag_given_a_value_is_not_read_as_a_connector_name(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    result = cli("--repo", str(tmp_path), "validate", "--strict", "true")
    assert result.returncode == 2
    assert "'true' is not a connector name: flags such as --modified or --strict take no value" in result.stderr


def test_help_shows_flags_as_flags_and_repeatable_options_as_such() -> None:
    for command in (("validate",), ("build",), ("list",), ("qa", "run"), ("registry", "preview")):
        text = cli(*command, "--help").stdout
        assert "<bool>" not in text, command
        assert "<list[str]>" not in text, command
        assert "(repeatable)" in text and "--allow-empty" in text
    build_help = cli("build", "--help").stdout
    assert "[tool.connector-pipelines.image-mirrors]" in build_help
    top = cli("--help").stdout
    assert "<bool>" not in top and "--install-completion  " in top


def test_help_at_80_columns_shows_every_word_whole() -> None:
    """No help text is cut ("linux/amd64,linux…"), folded mid-word or read as markup, for any
    command: every word of every option's help, and of every command's line in its group."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from pipelines.cli.app import app

    def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from commands(sub, (*path, name))

    runner = CliRunner()
    for path, command in commands(get_command(app)):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, (path, result.output)
        words = set(result.output.split())
        expected = [word for param in command.params for word in (param.help or "").split()]
        expected += [word for sub in getattr(command, "commands", {}).values()
                     for word in sub.help.split("\n\n")[0].split()]
        assert [word for word in expected if word not in words] == [], path


def test_messages_with_brackets_are_printed_as_they_are(tmp_path: Path) -> None:
    result = cli("--repo", str(tmp_path), "list")
    assert "set connectors-dir in [tool.connector-pipelines] of pyproject.toml" in result.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.connector-pipelines\n")
    result = cli("--repo", str(tmp_path), "list")
    assert "cannot read [tool.connector-pipelines]: Expected ']'" in result.stderr


def test_connectors_dir_outside_the_repo_is_refused(tmp_path: Path) -> None:
    result = cli("--repo", str(tmp_path), "--connectors-dir", "../../etc", "list")
    assert result.returncode == 2 and "must be a folder inside the monorepo" in result.stderr


def test_global_options_are_moved_before_the_command_and_nothing_else() -> None:
    from pipelines.cli.command_group import hoist_global_options

    assert hoist_global_options(["list", "--repo", "r", "--type", "source"]) == ["--repo", "r", "list", "--type",
                                                                                "source"]
    assert hoist_global_options(["--engine", "docker", "build", "--connectors-dir=c", "x"]) == [
        "--engine", "docker", "--connectors-dir=c", "build", "x"]
    assert hoist_global_options(["qa", "run", "--", "--repo"]) == ["qa", "run", "--", "--repo"]
    assert hoist_global_options(["--version"]) == ["--version"]


def test_a_global_option_after_the_command_without_its_value_says_so(tmp_path: Path) -> None:
    result = cli("list", "--repo", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "error: --repo needs a value, e.g. --repo PATH"


def test_an_extra_to_install_is_named_with_its_brackets(tmp_path: Path) -> None:
    # abfs:// needs adlfs, which no extra installs: the message names the extras all the same.
    result = cli("registry", "generate", "--store", "abfs://container/store", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pip install 'connector-pipelines[s3]' or '[gcs]'" in result.stderr


def test_the_dagger_engine_without_its_sdk_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.engines import EngineUnavailable, open_engine

    monkeypatch.delitem(sys.modules, "pipelines.engines.dagger", raising=False)
    monkeypatch.setitem(sys.modules, "dagger", None)  # as a pip install without the [dagger] extra
    with pytest.raises(EngineUnavailable, match=r"pip install 'connector-pipelines\[dagger\]'"):
        open_engine("dagger")
