"""A connector as it was at the merge base with a git ref: its metadata, and what changed since.

    snapshot = take_snapshot(connector.path, "origin/main")
    snapshot.is_new                 # the connector did not exist at the merge base
    snapshot.docker_image_tag       # dockerImageTag at the merge base
    snapshot.changed_files          # paths relative to the connector folder

The version checks compare against the merge base (what a pull request is reviewed against),
not the ref's tip, so a busy main branch does not make an untouched branch fail.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class BaseUnavailable(Exception):
    """There is nothing to compare against (not a git repository, git missing): checks skip."""


class BaseRefError(Exception):
    """git could not resolve the ref or the merge base: checks fail with this message."""


@dataclass(frozen=True)
class BaseSnapshot:
    ref: str
    merge_base: str
    changed_files: tuple[str, ...]
    metadata_text: str | None
    """``metadata.yaml`` at the merge base; None when the connector is new since then."""

    @property
    def is_new(self) -> bool:
        return self.metadata_text is None

    @property
    def data(self) -> dict[str, Any]:
        """The ``data`` mapping at the merge base ({} when new). Raises :class:`BaseRefError` if unreadable."""
        if self.metadata_text is None:
            return {}
        try:
            document = yaml.safe_load(self.metadata_text)
        except yaml.YAMLError as exc:
            raise BaseRefError(f"metadata.yaml at {self.ref} is not valid YAML: {exc}") from None
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            raise BaseRefError(f"metadata.yaml at {self.ref} has no 'data' mapping")
        return data

    @property
    def docker_image_tag(self) -> str | None:
        tag = self.data.get("dockerImageTag")
        return None if tag is None else str(tag)


def take_snapshot(folder: Path, ref: str) -> BaseSnapshot:
    """Compare ``folder`` (a connector) with the merge base of HEAD and ``ref``."""
    try:
        prefix = _git(folder, "rev-parse", "--show-prefix").strip()
    except subprocess.CalledProcessError:
        raise BaseUnavailable(f"{folder} is not inside a git repository") from None
    try:
        merge_base = _git(folder, "merge-base", "HEAD", ref).strip()
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else f"exit code {exc.returncode}"
        raise BaseRefError(f"git merge-base HEAD {ref} failed: {detail}") from None
    # `git diff <commit>` compares the working tree with the commit: committed, staged and
    # unstaged changes at once; --relative keeps the paths inside (and relative to) the folder.
    tracked = _git(folder, "diff", "--name-only", "--relative", merge_base, "--", ".").splitlines()
    untracked = _git(folder, "ls-files", "--others", "--exclude-standard", "--", ".").splitlines()
    changed = tuple(sorted({p for p in tracked + untracked if p}))
    path_at_base = f"{merge_base}:{prefix}metadata.yaml"
    try:
        _git(folder, "cat-file", "-e", path_at_base)
    except subprocess.CalledProcessError:
        return BaseSnapshot(ref, merge_base, changed, None)
    return BaseSnapshot(ref, merge_base, changed, _git(folder, "show", path_at_base))


def ref_exists(folder: Path, ref: str) -> bool | None:
    """Whether git knows ``ref`` here; None when ``folder`` is not in a git repository."""
    try:
        _git(folder, "rev-parse", "--show-prefix")
    except (subprocess.CalledProcessError, BaseUnavailable):
        return None
    try:
        _git(folder, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        return False
    return True


def _git(cwd: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        raise BaseUnavailable("git is not installed") from None
