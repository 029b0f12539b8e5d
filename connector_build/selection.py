"""Which connectors a command acts on: the one selection every command shares.

Filters combine as an intersection, as in airbyte-ci: ``source-x --language python`` is the
Python connectors among those named. No filter at all selects every connector.
"""

from __future__ import annotations

import difflib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from connector_build.connector import Connector
from connector_build.monorepo import Discovery, Monorepo
from connector_build.problems import InvalidMetadata, UserError


@dataclass(frozen=True)
class Selection:
    names: tuple[str, ...] = ()
    connector_type: str | None = None
    languages: tuple[str, ...] = ()
    support_levels: tuple[str, ...] = ()
    modified: bool = False
    base_ref: str = "origin/main"
    allow_empty: bool = False
    """Without it, filters that select nothing are an error: a typo or a wrong ref, usually."""

    @property
    def filtered(self) -> bool:
        return bool(self.connector_type or self.languages or self.support_levels or self.modified)

    def describe_filters(self) -> str:
        parts = [f"--type {self.connector_type}"] if self.connector_type else []
        parts += [f"--language {v}" for v in self.languages] + [f"--support-level {v}" for v in self.support_levels]
        parts += [f"--modified (against {self.base_ref})"] if self.modified else []
        return " ".join(parts)

    def apply(self, repo: Monorepo, found: Discovery) -> list[Connector]:
        """The selected connectors, sorted by name. Raises :class:`UserError` for unknown names."""
        check_names(self.names, found)
        for name in self.names:
            if name in found.invalid:
                raise InvalidMetadata(found.invalid[name])
        chosen = [c for n, c in sorted(found.connectors.items()) if not self.names or n in self.names]
        if self.connector_type:
            chosen = [c for c in chosen if c.connector_type.value == self.connector_type]
        if self.languages:
            chosen = [c for c in chosen if c.language.value in self.languages
                      or (c.data.language_tag() or "") in self.languages]
        if self.support_levels:
            chosen = [c for c in chosen if c.support_level in self.support_levels]
        if self.modified:
            changed = changed_connector_names(repo, self.base_ref)
            chosen = [c for c in chosen if c.name in changed]
        if not chosen and self.filtered and not self.allow_empty:
            raise UserError(f"no connector matches {self.describe_filters()}"
                            + (f" among {', '.join(self.names)}" if self.names else "")
                            + "; pass --allow-empty when an empty selection is expected")
        return chosen


def check_names(names: tuple[str, ...] | list[str], found: Discovery) -> None:
    """Raise :class:`UserError` with a "did you mean" hint for the first unknown name."""
    known = sorted(set(found.connectors) | set(found.invalid))
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UserError(f"no connector named '{name}'{hint}")


def changed_files(repo_root: Path, base_ref: str) -> list[str]:
    """Files changed since the merge base with ``base_ref``: committed, staged, unstaged, new.

    Paths are relative to ``repo_root`` (git's ``--relative``), also when the monorepo is a
    subfolder of the git repository, and limited to files under it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=repo_root, capture_output=True, text=True, check=True
            ).stdout
        except FileNotFoundError:
            raise UserError("--modified needs git, which is not installed") from None
        except subprocess.CalledProcessError as exc:
            raise UserError(f"--modified: git {' '.join(args)} failed: {exc.stderr.strip()}") from None

    base = git("merge-base", "HEAD", base_ref).strip()
    tracked = git("diff", "--name-only", "--relative", base).splitlines()
    untracked = git("ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(tracked) | set(untracked))


def changed_connector_names(repo: Monorepo, base_ref: str) -> set[str]:
    prefix = repo.connectors_path.relative_to(repo.root).as_posix().rstrip("/") + "/"
    names = set()
    for path in changed_files(repo.root, base_ref):
        if path.startswith(prefix):
            names.add(path[len(prefix):].split("/", 1)[0])
    return names
