"""Discovery and the selection every command shares."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from connector_build.monorepo import Monorepo
from connector_build.problems import InvalidMetadata, UserError
from connector_build.selection import Selection
from tests.conftest import write_connector


@pytest.fixture
def repo(tmp_path: Path) -> Monorepo:
    write_connector(tmp_path, "source-alpha", language="python")
    write_connector(tmp_path, "source-beta", language="manifest-only", support="certified")
    write_connector(tmp_path, "destination-gamma", language="java")
    broken = write_connector(tmp_path, "source-broken")
    (broken / "metadata.yaml").write_text("data: [\n")
    return Monorepo.open(tmp_path)


def names(repo: Monorepo, selection: Selection) -> list[str]:
    return [c.name for c in selection.apply(repo, repo.discover())]


def test_broken_metadata_is_kept_apart_not_fatal(repo: Monorepo) -> None:
    found = repo.discover()
    assert sorted(found.connectors) == ["destination-gamma", "source-alpha", "source-beta"]
    assert "source-broken" in found.invalid


def test_filters_intersect(repo: Monorepo) -> None:
    assert names(repo, Selection()) == ["destination-gamma", "source-alpha", "source-beta"]
    assert names(repo, Selection(connector_type="source")) == ["source-alpha", "source-beta"]
    assert names(repo, Selection(connector_type="source", support_levels=("certified",))) == ["source-beta"]
    assert names(repo, Selection(languages=("java",))) == ["destination-gamma"]
    assert names(repo, Selection(names=("source-alpha",), languages=("java",), allow_empty=True)) == []


def test_filters_that_select_nothing_are_an_error_unless_allowed(repo: Monorepo) -> None:
    with pytest.raises(UserError, match="no connector matches --language java among source-alpha; pass --allow-empty"):
        names(repo, Selection(names=("source-alpha",), languages=("java",)))
    assert names(repo, Selection(support_levels=("archived",), allow_empty=True)) == []


def test_unknown_name_suggests_close_ones(repo: Monorepo) -> None:
    with pytest.raises(UserError, match="no connector named 'source-alpah'; did you mean source-alpha"):
        names(repo, Selection(names=("source-alpah",)))


def test_naming_a_broken_connector_reports_its_problems(repo: Monorepo) -> None:
    with pytest.raises(InvalidMetadata, match="source-broken/metadata.yaml:2"):
        names(repo, Selection(names=("source-broken",)))


def test_settings_move_the_connectors_folder(tmp_path: Path) -> None:
    write_connector(tmp_path, "source-alpha")
    (tmp_path / "airbyte-integrations").rename(tmp_path / "elsewhere")
    (tmp_path / "pyproject.toml").write_text('[tool.connector-pipelines]\nconnectors-dir = "elsewhere/connectors"\n')
    assert list(Monorepo.open(tmp_path).discover().connectors) == ["source-alpha"]


def test_modified_selects_connectors_changed_since_the_base(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    write_connector(tmp_path, "source-alpha")
    write_connector(tmp_path, "source-beta")
    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "init", "--allow-empty")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "connectors")
    git("branch", "base")
    (tmp_path / "airbyte-integrations/connectors/source-beta/main.py").write_text("print('changed')\n")
    repo = Monorepo.open(tmp_path)
    assert names(repo, Selection(modified=True, base_ref="base")) == ["source-beta"]
    with pytest.raises(UserError, match="--modified"):
        names(repo, Selection(modified=True, base_ref="no-such-ref"))


def test_a_subfolder_finds_its_monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_connector(tmp_path, "source-alpha")
    monkeypatch.chdir(tmp_path / "airbyte-integrations/connectors/source-alpha")
    assert Monorepo.open().root == tmp_path.resolve()


def test_a_settings_table_marks_the_monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_connector(tmp_path / "repo", "source-alpha")
    (tmp_path / "repo/airbyte-integrations").rename(tmp_path / "repo/elsewhere")
    (tmp_path / "repo/pyproject.toml").write_text(
        '[tool.connector-pipelines]\nconnectors-dir = "elsewhere/connectors"\n')
    monkeypatch.chdir(tmp_path / "repo/elsewhere/connectors/source-alpha")
    repo = Monorepo.open()
    assert repo.root == (tmp_path / "repo").resolve() and list(repo.discover().connectors) == ["source-alpha"]


def test_modified_in_a_monorepo_inside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    monorepo = tmp_path / "platform" / "connectors-monorepo"
    write_connector(monorepo, "source-alpha")
    write_connector(monorepo, "source-beta")
    git("init", "-q", "-b", "main")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "connectors")
    git("branch", "base")
    (monorepo / "airbyte-integrations/connectors/source-beta/main.py").write_text("print('changed')\n")
    (monorepo / "airbyte-integrations/connectors/source-alpha/new_file.py").write_text("print('new')\n")
    monkeypatch.chdir(monorepo / "airbyte-integrations")
    repo = Monorepo.open()
    assert repo.root == monorepo.resolve()
    assert names(repo, Selection(modified=True, base_ref="base")) == ["source-alpha", "source-beta"]


@pytest.mark.parametrize("folder", ["../../etc", "/etc", "connectors/../../outside"])
def test_connectors_dir_outside_the_repo_is_refused(tmp_path: Path, folder: str) -> None:
    with pytest.raises(UserError, match="must be a folder inside the monorepo"):
        Monorepo.open(tmp_path, folder)
    (tmp_path / "pyproject.toml").write_text(f'[tool.connector-pipelines]\nconnectors-dir = "{folder}"\n')
    with pytest.raises(UserError, match="must be a folder inside the monorepo"):
        Monorepo.open(tmp_path)
