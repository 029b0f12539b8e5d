"""``create``: every template renders a connector that loads, passes QA, and is written whole or not at all."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from connector_build import create as create_module
from connector_build import poetry_lock
from connector_build.create import CreateSettings, Template, create_connector, new_connector
from connector_build.metadata_loader import load_metadata
from connector_build.monorepo import Monorepo
from connector_build.problems import UserError
from connector_build.qa import CheckStatus, QAContext, run_qa_checks
from connector_build.qa.checks_docs import DOCS_HEADERS
from connector_build.qa.checks_docs_sections import CONTENT_CHECKS
from connector_build.recipes import builds_from_lock
from tests.unit.test_qa_version import git

PINNED = {
    Template.MANIFEST_ONLY: "docker.io/airbyte/source-declarative-manifest:7.10.1@sha256:" + "b" * 64,
    Template.PYTHON_SOURCE: "docker.io/airbyte/python-connector-base:4.0.2@sha256:" + "a" * 64,
    Template.PYTHON_DESTINATION: "docker.io/airbyte/python-connector-base:4.0.2@sha256:" + "a" * 64,
}
NAMES = {Template.MANIFEST_ONLY: "source-acme-api", Template.PYTHON_SOURCE: "source-acme-crm",
         Template.PYTHON_DESTINATION: "destination-acme-db"}


def empty_repo(root: Path) -> Monorepo:
    (root / "airbyte-integrations" / "connectors").mkdir(parents=True)
    return Monorepo.open(root)


@pytest.mark.parametrize("template", list(Template))
def test_each_template_passes_strict_validation_and_qa(tmp_path: Path, template: Template) -> None:
    repo = empty_repo(tmp_path)
    # A git repository with a first commit: QA compares with it, so the checks of new versions run too.
    (tmp_path / "README.md").write_text("monorepo\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    name = NAMES[template]
    request = new_connector(name, template, base_image=PINNED[template], settings=CreateSettings(),
                            today=dt.date(2026, 12, 1))
    folder, page = create_connector(repo, request)
    assert folder == repo.connectors_path / name and page.is_file()
    loaded = load_metadata(folder / "metadata.yaml", display_path=Path("metadata.yaml"), folder_name=name,
                           strict=True)
    data = loaded.metadata.data
    assert data.dockerImageTag == "0.1.0" and data.definitionId == request.definition_id
    assert data.connectorBuildOptions is not None and data.connectorBuildOptions.baseImage == PINNED[template]
    connector = repo.load_connector(folder)
    results = run_qa_checks(connector, QAContext(repo=repo, base_ref="main"))
    failures = [r for r in results if r.status is CheckStatus.FAIL]
    assert failures == []
    by_name = {r.name: r for r in results}
    if template is not Template.MANIFEST_ONLY:
        # A Poetry project with a lock (no dependencies: locked offline), which the build then uses.
        assert by_name["uses_poetry"].status is CheckStatus.PASS, by_name["uses_poetry"]
        assert "[tool.poetry]" in (folder / "pyproject.toml").read_text()
        export = poetry_lock.export_lock(folder)
        assert export is not None and export.project_name == name and export.packages == ()
        assert builds_from_lock(folder)
    assert any(r.name == "icon_square_svg" and r.status is CheckStatus.PASS for r in results)
    todos = [p for p in [*folder.rglob("*"), page] if p.is_file() and "TODO" in p.read_text()]
    assert len(todos) >= 3
    leftovers = [p.name for p in repo.connectors_path.iterdir() if p.name.startswith(".create-")]
    assert leftovers == []


@pytest.mark.parametrize("template", Template.for_kind("source"))
def test_a_source_docs_page_follows_airbytes_page_template(tmp_path: Path, template: Template) -> None:
    """The checks Airbyte runs on the pages of strategic sources (ab_internal.sl 300) pass on a new
    page too, so raising sl needs no docs rewrite; at the template's sl 100 they skip."""
    repo = empty_repo(tmp_path)
    request = new_connector(NAMES[template], template, base_image=PINNED[template], settings=CreateSettings())
    folder, _ = create_connector(repo, request)
    connector = repo.load_connector(folder)
    context = QAContext(repo=repo)
    for check in (DOCS_HEADERS, *CONTENT_CHECKS):
        assert check.run(connector, context).status is CheckStatus.SKIP
        status, message = check.verify(connector, context)
        assert status is CheckStatus.PASS, (check.name, message)


def test_a_lock_that_cannot_be_made_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = empty_repo(tmp_path)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))  # Poetry cannot start
    request = new_connector("source-acme-crm", Template.PYTHON_SOURCE, base_image="x", settings=CreateSettings())
    with pytest.raises(UserError) as raised:
        create_connector(repo, request)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("source-acme-crm: poetry lock could not run: ") and "nothing was written" in message
    assert list(repo.connectors_path.iterdir()) == []
    assert not repo.docs_path.exists()


def test_the_manifest_is_written_for_the_base_image_version() -> None:
    request = new_connector("source-a", Template.MANIFEST_ONLY, settings=CreateSettings(),
                            base_image="docker.io/airbyte/source-declarative-manifest:7.10.1-amd64@sha256:" + "c" * 64)
    assert request.manifest_version == "7.10.1"


def test_two_connectors_get_different_definition_ids() -> None:
    settings = CreateSettings()
    ids = {new_connector("source-a", Template.PYTHON_SOURCE, base_image="x", settings=settings).definition_id
           for _ in range(2)}
    assert len(ids) == 2


def test_a_failure_while_writing_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = empty_repo(tmp_path)
    real = create_module.render_tree
    calls = []

    def failing_second_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(create_module, "render_tree", failing_second_time)
    request = new_connector("source-acme-crm", Template.PYTHON_SOURCE, base_image="x", settings=CreateSettings())
    with pytest.raises(OSError):
        create_connector(repo, request)
    assert list(repo.connectors_path.iterdir()) == []
    assert not repo.docs_path.exists()


@pytest.mark.parametrize(("name", "template", "says"), [
    ("Source-Acme", Template.PYTHON_SOURCE, "is not a connector name"),
    ("source-", Template.PYTHON_SOURCE, "is not a connector name"),
    ("source_acme", Template.PYTHON_SOURCE, "is not a connector name"),
    ("acme", Template.PYTHON_SOURCE, "is not a connector name"),
    ("source-acme", Template.PYTHON_DESTINATION, "makes a destination, but 'source-acme' names a source"),
])
def test_bad_names_are_refused(name: str, template: Template, says: str) -> None:
    with pytest.raises(UserError, match=says):
        new_connector(name, template, base_image="x", settings=CreateSettings())


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), "create", *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1", "HOME": str(repo)})


def test_command_refusals_are_one_line(tmp_path: Path) -> None:
    repo = empty_repo(tmp_path)
    (repo.connectors_path / "source-taken").mkdir()
    for args, says in [
        (("source-new",), "--template is required when not on a terminal: manifest-only, python-source"),
        (("destination-new",), "--template is required when not on a terminal: python-destination"),
        (("source-taken", "--template", "python-source"), "source-taken already exists"),
        (("source_bad", "--template", "python-source"), "is not a connector name"),
    ]:
        result = cli(tmp_path, *args)
        assert result.returncode == 2, result.stderr
        assert says in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in repo.connectors_path.iterdir()) == ["source-taken"]
