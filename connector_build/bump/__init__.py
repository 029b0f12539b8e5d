"""``bump-version``: the files a new connector version touches, computed before anything is written.

    bump = plan_bump(connector, repo, "minor", message="Add the `users` stream", pull_request=123,
                     today=dt.date.today(), settings=BumpSettings.read(repo.root))
    bump.changes        # FileChange per file: metadata.yaml, pyproject.toml, the docs page, …
    bump.write()        # each file atomically

Everything is computed for every selected connector first, so a problem with one writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tomlkit.exceptions import TOMLKitError

from connector_build.bump.changelog import ChangelogRow, add_changelog_row, add_migration_section
from connector_build.bump.metadata_edit import MetadataEdit, MetadataEditError
from connector_build.bump.next_version import BadBump, is_major_bump, next_version, release_of
from connector_build.connector import Connector, Language
from connector_build.file_change import FileChange
from connector_build.monorepo import Monorepo
from connector_build.problems import UserError
from connector_build.qa import docs

__all__ = ["BadBump", "Bump", "BumpSettings", "FileChange", "plan_bump"]


class BumpSettings(BaseModel):
    """``[tool.connector-pipelines.bump-version]`` in the monorepo's pyproject.toml."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    pull_request_url: str | None = Field(default=None, alias="pull-request-url")
    """``https://github.com/org/repo/pull/{number}``; default: from the ``origin`` remote."""
    upgrade_deadline_days: int = Field(default=30, ge=7, alias="upgrade-deadline-days")

    @classmethod
    def read(cls, root: Path) -> BumpSettings:
        path = root / "pyproject.toml"
        if not path.is_file():
            return cls()
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: {exc}") from None
        section = table.get("tool", {}).get("connector-pipelines", {}).get("bump-version", {})
        try:
            return cls.model_validate(section)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserError(f"{path}: [tool.connector-pipelines.bump-version] "
                            f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


@dataclass
class Bump:
    connector: Connector
    old_version: str
    new_version: str
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def write(self) -> None:
        for change in self.changes:
            change.write()


def plan_bump(connector: Connector, repo: Monorepo, how: str, *, message: str, pull_request: int | None,
              today: dt.date, settings: BumpSettings) -> Bump:
    """Every file change the bump makes; raises BadBump when it cannot apply."""
    metadata_text = connector.metadata_path.read_text(encoding="utf-8")
    try:
        edit = MetadataEdit(metadata_text)
    except MetadataEditError as exc:
        raise BadBump(f"{connector.relative_path / 'metadata.yaml'}: {exc}") from None
    old = edit.version
    new = next_version(old, how)
    bump = Bump(connector, old, new)
    edit.set_version(new)
    major = is_major_bump(old, new)
    if major:
        deadline = today + dt.timedelta(days=settings.upgrade_deadline_days)
        edit.add_breaking_change(release_of(new), message, deadline)
        bump.notes.append(f"breaking change {release_of(new)}: upgrade deadline {deadline}")
    edit.set_progressive_rollout("-rc." in new)
    bump.changes.append(FileChange(connector.metadata_path, metadata_text, edit.text()))

    pyproject = _pyproject_change(connector, new)
    if pyproject is not None:
        bump.changes.append(pyproject)

    page = docs.docs_page(connector, repo)
    if not page.is_file():
        raise BadBump(f"no documentation page {page.relative_to(repo.root)} for the changelog row "
                      "(see the docs_present QA check)")
    link = pull_request_link(repo.root, settings, pull_request)
    if pull_request is None:
        bump.notes.append("no --pr: the changelog row has no pull request link yet")
    row = ChangelogRow(version=new, date=today.isoformat(), pull_request=link, message=message)
    before = page.read_text(encoding="utf-8")
    bump.changes.append(FileChange(page, before, add_changelog_row(before, row)))

    if major:
        guide = docs.migration_guide(connector, repo)
        existing = guide.read_text(encoding="utf-8") if guide.is_file() else None
        bump.changes.append(FileChange(guide, existing, add_migration_section(
            existing, connector.data.name, release_of(new), message)))
    bump.changes = [c for c in bump.changes if c.before != c.after]
    return bump


def _pyproject_change(connector: Connector, version: str) -> FileChange | None:
    """The package version in pyproject.toml (``[project]`` or ``[tool.poetry]``), style kept."""
    path = connector.path / "pyproject.toml"
    if connector.language is not Language.PYTHON or not path.is_file():
        return None
    before = path.read_text(encoding="utf-8")
    try:
        document = tomlkit.parse(before)
    except TOMLKitError as exc:
        raise BadBump(f"{connector.relative_path / 'pyproject.toml'}: {exc}") from None
    for table in (document.get("project"), document.get("tool", {}).get("poetry")):
        if table is not None and "version" in table:
            table["version"] = version
            return FileChange(path, before, tomlkit.dumps(document))
    return None


_SCP_REMOTE = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>[^ ]+)$")


def pull_request_link(root: Path, settings: BumpSettings, number: int | None) -> str:
    """``[123](https://github.com/org/repo/pull/123)``; just ``123`` when no URL is known."""
    if number is None:
        return ""
    template = settings.pull_request_url or _remote_pull_url(root)
    if template is None:
        return str(number)
    url = template.format(number=number) if "{number}" in template else f"{template.rstrip('/')}/{number}"
    return f"[{number}]({url})"


def _remote_pull_url(root: Path) -> str | None:
    try:
        remote = subprocess.run(["git", "remote", "get-url", "origin"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return remote_pull_url(remote)


def remote_pull_url(remote: str) -> str | None:
    """``git@github.com:org/repo.git`` or ``https://user:token@github.com/org/repo`` ->
    ``https://github.com/org/repo/pull/{number}`` (any user or token in the remote is dropped)."""
    scp = _SCP_REMOTE.match(remote)
    if scp:
        host, path = scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(remote)
        if parts.scheme not in {"https", "http", "ssh", "git"} or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    if path.count("/") != 1:
        return None
    return f"https://{host}/{path}/pull/{{number}}"
