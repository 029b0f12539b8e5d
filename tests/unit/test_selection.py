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
    assert names(repo, Selection(names=("source-alpha",), languages=("java",))) == []


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
