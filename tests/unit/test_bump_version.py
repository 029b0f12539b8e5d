"""``bump-version``: the next version, style-keeping edits, and QA passing on the result."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connector_build.bump import remote_pull_url
from connector_build.bump.changelog import ChangelogRow, add_changelog_row, add_migration_section
from connector_build.bump.metadata_edit import MetadataEdit, load_plain
from connector_build.bump.next_version import BadBump, next_version
from tests.conftest import EXAMPLES, airbyte_fixtures

CONNECTORS = "airbyte-integrations/connectors"


@pytest.mark.parametrize(("current", "how", "expected"), [
    ("0.2.0", "patch", "0.2.1"),
    ("0.2.0", "minor", "0.3.0"),
    ("1.4.2", "major", "2.0.0"),
    ("1.2.3", "rc", "1.2.4-rc.1"),
    ("1.2.4-rc.1", "rc", "1.2.4-rc.2"),
    ("1.2.4-rc.2", "patch", "1.2.4"),   # promoting the release candidate
    ("0.2.0", "0.4.0", "0.4.0"),
])
def test_next_version(current: str, how: str, expected: str) -> None:
    assert next_version(current, how) == expected


@pytest.mark.parametrize(("current", "how", "says"), [
    ("0.2.0", "0.1.0", "not greater"),
    ("0.2.0", "huge", "neither patch"),
    ("1.0.0-dev.abc", "rc", "not a release candidate"),
])
def test_next_version_refuses(current: str, how: str, says: str) -> None:
    with pytest.raises(BadBump, match=says):
        next_version(current, how)


def changed_lines(before: str, after: str) -> list[str]:
    import difflib

    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_version_bump_changes_one_line_in_every_real_metadata_file() -> None:
    folder = airbyte_fixtures("metadata-2026-02-28")
    files = sorted(folder.glob("*/metadata.yaml"))
    assert len(files) > 600
    for path in files:
        text = path.read_text(encoding="utf-8")
        edit = MetadataEdit(text)
        old = edit.version
        edit.set_version("99.0.1")
        diff = changed_lines(text, edit.text())
        assert len(diff) == 2, (path, diff)
        assert old in diff[0] and "99.0.1" in diff[1]
        assert diff[0].replace(old, "99.0.1")[1:] == diff[1][1:], (path, diff)  # quoting and comments kept


REFLOWED_BY_A_DUMP = ("destination-redshift", "source-amazon-ads", "source-amazon-sqs", "source-hubspot",
                      "source-instagram", "source-mixpanel", "source-shopify", "source-zoom",
                      "destination-motherduck", "destination-surrealdb")
"""Files whose long strings a YAML dump re-flows (and two with an empty breakingChanges)."""


def test_a_major_bump_only_adds_lines_even_where_a_dump_would_reflow() -> None:
    folder = airbyte_fixtures("metadata-2026-02-28")
    files = sorted(folder.glob("*/metadata.yaml"))
    sample = [folder / name / "metadata.yaml" for name in REFLOWED_BY_A_DUMP] + files[::40]
    for path in sample:
        text = path.read_text(encoding="utf-8")
        edit = MetadataEdit(text)
        old = edit.version
        edit.set_version("99.0.0")
        edit.add_breaking_change("99.0.0", "Streams renamed: see the guide.", dt.date(2027, 1, 1))
        after = edit.text()
        removed = [line for line in changed_lines(text, after) if line.startswith("-")]
        before_data, after_data = load_plain(text)["data"], load_plain(after)["data"]
        change = after_data["releases"]["breakingChanges"].pop("99.0.0")
        assert change == {"message": "Streams renamed: see the guide.", "upgradeDeadline": "2027-01-01"}
        if not (before_data.get("releases") or {}).get("breakingChanges"):  # absent, {} or []
            assert removed[1:] in ([], ["-    breakingChanges: {}"], ["-    breakingChanges: []"]), (path, removed)
            after_data["releases"].pop("breakingChanges")
            before_data.get("releases", {}).pop("breakingChanges", None)
            if "releases" not in before_data:
                after_data.pop("releases")
        else:
            assert removed == [f"-  dockerImageTag: {old}"], (path, removed)
        assert after_data == {**before_data, "dockerImageTag": "99.0.0"}, path


def test_quoted_tag_and_comments_are_kept() -> None:
    text = 'data:\n  # the version\n  dockerImageTag: "1.2.3" # bumped by hand\n  name: X\nmetadataSpecVersion: "1.0"\n'
    edit = MetadataEdit(text)
    edit.set_version("1.2.4")
    assert edit.text() == text.replace('"1.2.3"', '"1.2.4"')


def test_breaking_change_keeps_the_rest_of_the_file() -> None:
    path = EXAMPLES / CONNECTORS / "source-tiny-catalog" / "metadata.yaml"
    text = path.read_text()
    edit = MetadataEdit(text)
    edit.set_version("2.0.0")
    edit.add_breaking_change("2.0.0", "The `categories` stream is gone: remove it from connections.",
                             dt.date(2027, 1, 31))
    after = edit.text()
    removed = [line for line in changed_lines(text, after) if line.startswith("-")]
    assert removed == ["-  dockerImageTag: 1.0.0"]
    data = load_plain(after)["data"]
    assert data["dockerImageTag"] == "2.0.0"
    assert data["releases"]["breakingChanges"]["2.0.0"] == {
        "message": "The `categories` stream is gone: remove it from connections.", "upgradeDeadline": "2027-01-31"}
    assert '        upgradeDeadline: "2027-01-31"' in after.splitlines()  # quoted, as Airbyte writes dates


def test_changelog_row_follows_the_table_style() -> None:
    row = ChangelogRow("1.3.0", "2026-12-01", "[9](https://x/pull/9)", "Add | pipes")
    backticks = "## Changelog\n\n| Version | Date | PR | Subject |\n|---|---|---|---|\n| `1.2.0` | d | p | s |\n"
    assert add_changelog_row(backticks, row).splitlines()[4] == \
        "| `1.3.0` | 2026-12-01 | [9](https://x/pull/9) | Add \\| pipes |"
    padded = ("## Changelog\n\n| Version | Date       | Notes    |\n|:--------|:-----------|:---------|\n"
              "| 1.2.0   | 2026-01-01 | Old      |\n")
    new = add_changelog_row(padded, ChangelogRow("1.3.0", "2026-12-01", "", "New")).splitlines()[4]
    assert new == "| 1.3.0   | 2026-12-01 | New      |"
    assert add_changelog_row(padded, ChangelogRow("1.2.0", "x", "", "again")) == padded  # a row exists already
    created = add_changelog_row("# Page\n\nText.\n", row)
    assert created.endswith("| 1.3.0 | 2026-12-01 | [9](https://x/pull/9) | Add \\| pipes |\n")
    assert "## Changelog" in created


def test_migration_section_is_added_newest_first() -> None:
    guide = add_migration_section("# X Migration Guide\n\nIntro.\n\n## Upgrading to 1.0.0\n\nOld.\n", "X",
                                  "2.0.0", "New break.")
    assert guide.index("## Upgrading to 2.0.0") < guide.index("## Upgrading to 1.0.0")
    assert add_migration_section(guide, "X", "2.0.0", "again") == guide
    assert add_migration_section(None, "X", "1.0.0", "m").startswith("# X Migration Guide\n\n## Upgrading to 1.0.0")


@pytest.mark.parametrize(("remote", "expected"), [
    ("git@github.com:org/repo.git", "https://github.com/org/repo/pull/{number}"),
    ("https://github.com/org/repo", "https://github.com/org/repo/pull/{number}"),
    ("https://bot:ghp_secret123@github.com/org/repo.git", "https://github.com/org/repo/pull/{number}"),
    ("/some/local/path", None),
])
def test_pull_request_url_from_the_remote(remote: str, expected: str | None) -> None:
    assert remote_pull_url(remote) == expected


# --- the command, on a copy of the example monorepo ------------------------------------------------------


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), *args],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200",
                                                               "NO_COLOR": "1", "HOME": str(repo.parent)})


@pytest.fixture
def example_git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "monorepo"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".connector-pipelines", "__pycache__"))
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    subprocess.run(["git", "remote", "add", "origin", "git@github.com:example/connector-monorepo.git"], cwd=repo,
                   check=True)
    return repo


def qa_results(repo: Path, *names: str) -> dict[str, dict[str, str]]:
    result = cli(repo, "test", "--only", "qa", "--base-ref", "HEAD", "--report-dir", str(repo / "r"), *names)
    report = json.loads((repo / "r" / "report.json").read_text())
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: a check failed (asserted by name)
    return {c["connector"]: {check["name"]: check["status"] for step in c["steps"]
                             for check in step["details"]["checks"]} for c in report["connectors"]}


def test_bumps_pass_qa(example_git_repo: Path) -> None:
    repo = example_git_repo
    assert cli(repo, "bump-version", "source-tiny-weather", "minor", "-m", "Hourly", "--pr", "42").returncode == 0
    assert cli(repo, "bump-version", "source-tiny-catalog", "major", "-m", "Drop categories").returncode == 0
    assert cli(repo, "bump-version", "destination-tiny-jsonl", "rc", "-m", "Batching").returncode == 0
    for name in ("source-tiny-weather", "destination-tiny-jsonl"):  # a code change needs the new version
        (repo / CONNECTORS / name / "main.py").write_text((repo / CONNECTORS / name / "main.py").read_text() + "\n")
    weather = (repo / "docs/integrations/sources/tiny-weather.md").read_text()
    assert f"| 0.3.0 | {dt.date.today()} | [42](https://github.com/example/connector-monorepo/pull/42) | " \
           "Hourly |" in weather
    assert 'version = "0.3.0"' in (repo / CONNECTORS / "source-tiny-weather/pyproject.toml").read_text()
    jsonl = load_plain((repo / CONNECTORS / "destination-tiny-jsonl/metadata.yaml").read_text())["data"]
    assert jsonl["dockerImageTag"] == "0.1.2-rc.1"
    assert jsonl["releases"]["rolloutConfiguration"]["enableProgressiveRollout"] is True
    catalog = load_plain((repo / CONNECTORS / "source-tiny-catalog/metadata.yaml").read_text())["data"]
    deadline = dt.date.today() + dt.timedelta(days=30)
    assert catalog["releases"]["breakingChanges"]["2.0.0"] == {"message": "Drop categories",
                                                              "upgradeDeadline": deadline.isoformat()}
    assert "## Upgrading to 2.0.0" in (repo / "docs/integrations/sources/tiny-catalog-migrations.md").read_text()
    checks = qa_results(repo, "source-tiny-weather", "source-tiny-catalog", "destination-tiny-jsonl")
    for name, statuses in checks.items():
        failed = [check for check, status in statuses.items() if status == "fail"]
        assert failed == [], (name, statuses)
        assert statuses["version_bumped"] == "pass" and statuses["changelog_entry"] == "pass"
    for name in ("source-tiny-weather", "destination-tiny-jsonl"):  # Poetry projects with a lock, as Airbyte wants
        assert checks[name]["uses_poetry"] == "pass"
    assert checks["source-tiny-catalog"]["major_bump_documented"] == "pass"
    assert checks["source-tiny-catalog"]["breaking_change_deadline"] == "pass"
    assert checks["source-tiny-catalog"]["migration_guide"] == "pass"


def test_dry_run_shows_the_diff_and_writes_nothing(example_git_repo: Path) -> None:
    result = cli(example_git_repo, "bump-version", "--type", "source", "--language", "python", "patch",
                 "-m", "Fix", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "-  dockerImageTag: 0.2.0\n+  dockerImageTag: 0.2.1" in result.stdout
    assert "+++ b/docs/integrations/sources/tiny-weather.md" in result.stdout
    status = subprocess.run(["git", "status", "--porcelain"], cwd=example_git_repo, capture_output=True, text=True)
    assert status.stdout == ""


@pytest.mark.parametrize(("args", "says"), [
    (("source-tiny-catalog", "major"), "--message is required: it becomes the breaking change's message"),
    (("source-tiny-weather", "0.1.0", "-m", "x"), "source-tiny-weather: 0.1.0 is not greater than"),
    (("patch", "-m", "x"), "name the connectors to bump"),
    (("source-tiny-weather", "-m", "x"), "the last argument is the bump, patch|minor|major|rc|X.Y.Z; got"),
    (("source-tiny-wether", "patch", "-m", "x"), "did you mean source-tiny-weather"),
])
def test_refusals_are_one_line_and_write_nothing(example_git_repo: Path, args: tuple[str, ...], says: str) -> None:
    result = cli(example_git_repo, "bump-version", *args)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=example_git_repo, capture_output=True, text=True)
    assert status.stdout == ""


def test_poetry_version_is_bumped_with_its_formatting(tmp_path: Path) -> None:
    from connector_build.bump import BumpSettings, plan_bump
    from connector_build.monorepo import Monorepo
    from tests.conftest import write_connector

    folder = write_connector(tmp_path, "source-poetic", version="1.1.0")
    pyproject = ('[tool.poetry]  # the package\nname = "source-poetic"\nversion   =   "1.1.0"   # keep me\n\n'
                 '[tool.poetry.dependencies]\npython = "^3.10"\n')
    (folder / "pyproject.toml").write_text(pyproject)
    (tmp_path / "docs/integrations/sources").mkdir(parents=True)
    (tmp_path / "docs/integrations/sources/poetic.md").write_text("# Poetic\n")
    repo = Monorepo.open(tmp_path)
    bump = plan_bump(repo.load_connector(folder), repo, "patch", message="Fix", pull_request=5,
                     today=dt.date(2026, 12, 1), settings=BumpSettings.model_validate({"pull-request-url": "https://x/pr/{number}"}))
    after = {c.path.name: c.after for c in bump.changes}
    assert after["pyproject.toml"] == pyproject.replace('"1.1.0"', '"1.1.1"')
    assert after["poetic.md"].endswith("## Changelog\n\n| Version | Date | Pull Request | Subject |\n"
                                       "|:--------|:-----|:-------------|:--------|\n"
                                       "| 1.1.1 | 2026-12-01 | [5](https://x/pr/5) | Fix |\n")


def test_a_bad_setting_names_its_table(example_git_repo: Path) -> None:
    with (example_git_repo / "pyproject.toml").open("a") as settings:
        settings.write("\n[tool.connector-pipelines.bump-version]\nupgrade-deadline-days = 3\n")
    result = cli(example_git_repo, "bump-version", "source-tiny-weather", "patch", "-m", "x")
    assert result.returncode == 2
    assert "[tool.connector-pipelines.bump-version] upgrade-deadline-days: Input should be greater than or " \
           "equal to 7" in result.stderr


def test_a_patch_after_a_release_candidate_promotes_it(example_git_repo: Path) -> None:
    repo = example_git_repo
    assert cli(repo, "bump-version", "destination-tiny-jsonl", "rc", "-m", "Try batching").returncode == 0
    assert cli(repo, "bump-version", "destination-tiny-jsonl", "rc", "-m", "Fix batching").returncode == 0
    assert cli(repo, "bump-version", "destination-tiny-jsonl", "patch", "-m", "Batching").returncode == 0
    data = load_plain((repo / CONNECTORS / "destination-tiny-jsonl/metadata.yaml").read_text())["data"]
    assert data["dockerImageTag"] == "0.1.2"
    assert data["releases"]["rolloutConfiguration"]["enableProgressiveRollout"] is False
    page = (repo / "docs/integrations/destinations/tiny-jsonl.md").read_text()
    assert page.index("| 0.1.2 |") < page.index("| 0.1.2-rc.2 |") < page.index("| 0.1.2-rc.1 |")
    assert validate_strict(repo, "destination-tiny-jsonl").returncode == 0


def validate_strict(repo: Path, name: str) -> subprocess.CompletedProcess[str]:
    return cli(repo, "validate", "--strict", name)
