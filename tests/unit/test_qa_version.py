"""The checks that compare with the merge base of --base-ref, on real git repositories made in tmp_path."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest

from connector_build.monorepo import Monorepo
from connector_build.qa import CheckResult, CheckStatus, QAContext, run_qa_checks
from connector_build.qa.checks_version import needs_version_bump
from tests.conftest import write_connector

TODAY = dt.date(2026, 3, 1)
NAME = "source-alpha"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with ``source-alpha`` 1.2.0 committed on ``main``, now on branch ``feature``."""
    git(tmp_path, "init", "-q", "-b", "main")
    folder = write_connector(tmp_path, NAME, version="1.2.0")
    (folder / "main.py").write_text("print('hello')\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "alpha 1.2.0")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def folder_of(root: Path, name: str = NAME) -> Path:
    return root / "airbyte-integrations" / "connectors" / name


def set_version(root: Path, version: str, extra: str = "", name: str = NAME) -> None:
    write_connector(root, name, version=version, extra=extra)


def check(root: Path, name: str, base_ref: str | None = "main", today: dt.date = TODAY,
          connector: str = NAME) -> CheckResult:
    monorepo = Monorepo.open(root)
    loaded = monorepo.load_connector(folder_of(root, connector))
    context = QAContext(monorepo, base_ref=base_ref, today=today)
    return next(r for r in run_qa_checks(loaded, context) if r.name == name)


def test_unchanged_connector_skips(repo: Path) -> None:
    result = check(repo, "version_bumped")
    assert result.status is CheckStatus.SKIP and "no file that ships in the image changed since main" in result.message


def test_code_change_without_bump_fails_naming_metadata_and_file(repo: Path) -> None:
    (folder_of(repo) / "main.py").write_text("print('changed')\n")  # unstaged change counts
    result = check(repo, "version_bumped")
    assert result.status is CheckStatus.FAIL
    assert result.message.startswith("airbyte-integrations/connectors/source-alpha/metadata.yaml: ")
    assert "1.2.0 is not greater than 1.2.0 at main" in result.message and "main.py" in result.message


def test_committed_and_untracked_changes_count(repo: Path) -> None:
    (folder_of(repo) / "source_alpha").mkdir()
    (folder_of(repo) / "source_alpha" / "streams.py").write_text("x = 1\n")
    assert "source_alpha/streams.py" in check(repo, "version_bumped").message  # untracked
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "streams")
    assert check(repo, "version_bumped").status is CheckStatus.FAIL  # committed on the branch


def test_tests_readme_and_acceptance_config_need_no_bump(repo: Path) -> None:
    folder = folder_of(repo)
    (folder / "unit_tests").mkdir()
    (folder / "unit_tests" / "test_x.py").write_text("def test(): pass\n")
    (folder / "integration_tests").mkdir()
    (folder / "integration_tests" / "catalog.json").write_text("{}\n")
    (folder / "README.md").write_text("# Alpha\n")
    (folder / "acceptance-test-config.yml").write_text("tests: {}\n")
    result = check(repo, "version_bumped")
    assert result.status is CheckStatus.SKIP and "README.md" in result.message


@pytest.mark.parametrize(("path", "expected"), [
    ("main.py", True), ("metadata.yaml", True), ("source_x/tests.py", True), ("Dockerfile", True),
    ("unit_tests/test_a.py", False), ("integration_tests/x/y.json", False), ("tests/a.py", False),
    ("README.md", False), ("docs/README.md", False), ("acceptance-test-config.yml", False),
    ("src/test/java/A.java", False), ("src/main/java/A.java", True),
])
def test_needs_version_bump(path: str, expected: bool) -> None:
    assert needs_version_bump(path) is expected


def test_bump_passes_and_a_downgrade_fails(repo: Path) -> None:
    (folder_of(repo) / "main.py").write_text("print('changed')\n")
    set_version(repo, "1.2.1")
    result = check(repo, "version_bumped")
    assert result.status is CheckStatus.PASS and result.message == "1.2.0 -> 1.2.1"
    set_version(repo, "1.1.9")
    assert "1.1.9 is not greater than 1.2.0" in check(repo, "version_bumped").message


ROLLOUT = "  releases:\n    rolloutConfiguration:\n      enableProgressiveRollout: true\n"


def test_a_release_candidate_is_not_greater_than_its_release(repo: Path) -> None:
    (folder_of(repo) / "main.py").write_text("print('changed')\n")
    set_version(repo, "1.2.0-rc.1", extra=ROLLOUT)
    assert check(repo, "version_bumped").status is CheckStatus.FAIL


def test_release_candidates_must_share_major_minor_patch(repo: Path) -> None:
    rollout = ROLLOUT
    set_version(repo, "1.3.0-rc.1", extra=rollout)
    git(repo, "commit", "-q", "-am", "rc1")
    git(repo, "branch", "-f", "main", "HEAD")
    (folder_of(repo) / "main.py").write_text("print('changed')\n")
    set_version(repo, "1.3.1-rc.2", extra=rollout)
    result = check(repo, "version_bumped")
    assert result.status is CheckStatus.FAIL and "must differ only in the -rc.N part" in result.message
    set_version(repo, "1.3.0-rc.2", extra=rollout)
    assert check(repo, "version_bumped").status is CheckStatus.PASS


def test_merge_base_not_tip_of_base_ref(repo: Path) -> None:
    # main moves on after the branch was made: the branch is judged against where it started.
    git(repo, "checkout", "-q", "main")
    set_version(repo, "1.5.0")
    git(repo, "commit", "-q", "-am", "main moves to 1.5.0")
    git(repo, "checkout", "-q", "feature")
    (folder_of(repo) / "main.py").write_text("print('changed')\n")
    set_version(repo, "1.3.0")
    assert check(repo, "version_bumped").message == "1.2.0 -> 1.3.0"


def test_new_connector_passes(repo: Path) -> None:
    write_connector(repo, "source-new", version="0.1.0")
    assert check(repo, "version_bumped", connector="source-new").message == "new since main"


def test_opt_out(repo: Path) -> None:
    (folder_of(repo) / "main.py").write_text("print('changed')\n")
    set_version(repo, "1.2.0", extra="  ab_internal:\n    requireVersionIncrementsInPullRequests: false\n")
    result = check(repo, "version_bumped")
    assert result.status is CheckStatus.SKIP and "requireVersionIncrementsInPullRequests" in result.message


def test_skips_without_base_ref_or_git(tmp_path: Path) -> None:
    write_connector(tmp_path, NAME, version="1.2.0")
    assert check(tmp_path, "version_bumped", base_ref=None).message == "no --base-ref given"
    result = check(tmp_path, "version_bumped")
    assert result.status is CheckStatus.SKIP and "not inside a git repository" in result.message


def test_unknown_base_ref_fails(repo: Path) -> None:
    result = check(repo, "version_bumped", base_ref="origin/nope")
    assert result.status is CheckStatus.FAIL and "git merge-base HEAD origin/nope failed" in result.message


BREAKING_2 = """\
  releases:
    breakingChanges:
      2.0.0:
        upgradeDeadline: "{deadline}"
        message: "New auth."
"""


def test_major_bump_needs_a_breaking_change(repo: Path) -> None:
    (folder_of(repo) / "main.py").write_text("print('changed')\n")
    set_version(repo, "2.0.1")  # skipping 2.0.0 does not escape the rule
    result = check(repo, "major_bump_documented")
    assert result.status is CheckStatus.FAIL
    assert "major bump 1.2.0 -> 2.0.1 needs a releases.breakingChanges entry for a 2.x version" in result.message
    set_version(repo, "2.0.1", extra=BREAKING_2.format(deadline="2026-04-01"))
    assert check(repo, "major_bump_documented").status is CheckStatus.PASS
    set_version(repo, "1.3.0")
    assert check(repo, "major_bump_documented").message == "1.2.0 -> 1.3.0 is not a major bump"


def test_breaking_change_deadline(repo: Path) -> None:
    set_version(repo, "2.0.0", extra=BREAKING_2.format(deadline="2026-03-05"))
    result = check(repo, "breaking_change_deadline")
    assert result.status is CheckStatus.FAIL
    assert "upgradeDeadline 2026-03-05 is 4 day(s) after 2026-03-01" in result.message
    assert result.message.startswith("airbyte-integrations/connectors/source-alpha/metadata.yaml: ")
    assert check(repo, "breaking_change_deadline", today=dt.date(2026, 2, 26)).status is CheckStatus.PASS
    # Once released (same version at the base), an old deadline is history, not a mistake.
    git(repo, "commit", "-q", "-am", "2.0.0")
    git(repo, "branch", "-f", "main", "HEAD")
    result = check(repo, "breaking_change_deadline")
    assert result.status is CheckStatus.SKIP and "already released at main" in result.message


def test_deadline_skips_without_base_ref(repo: Path) -> None:
    set_version(repo, "2.0.0", extra=BREAKING_2.format(deadline="2020-01-01"))
    assert check(repo, "breaking_change_deadline", base_ref=None).status is CheckStatus.SKIP


def test_git_is_asked_once_per_connector(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import connector_build.qa.checks_version as checks_version

    calls = []
    original = checks_version.take_snapshot

    def counted(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(checks_version, "take_snapshot", counted)
    monorepo = Monorepo.open(repo)
    run_qa_checks(monorepo.load_connector(folder_of(repo)), QAContext(monorepo, base_ref="main", today=TODAY))
    assert len(calls) == 1
