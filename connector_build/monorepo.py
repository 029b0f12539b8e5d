"""A connector monorepo: where its connectors and docs live, and the connectors found there.

    repo = Monorepo.open(Path("."))             # git root of the current directory
    found = repo.discover()
    found.connectors["source-faker"].version
    found.invalid["source-broken"]              # -> list of Problems

Settings come from ``[tool.connector-pipelines]`` in the monorepo's ``pyproject.toml``;
command-line flags override them.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector_build.connector import Connector
from connector_build.java import JavaSettings
from connector_build.metadata_cache import MetadataCache, Outcome
from connector_build.metadata_loader import load_metadata
from connector_build.parse_cache import ParseCache
from connector_build.problems import InvalidMetadata, Problem, UserError
from connector_build.yaml_source import MAX_YAML_BYTES, YamlSourceError, load_yaml_document


class RepoSettings(BaseModel):
    """The ``[tool.connector-pipelines]`` table."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    connectors_dir: str = Field(default="airbyte-integrations/connectors", alias="connectors-dir")
    docs_dir: str = Field(default="docs/integrations", alias="docs-dir")
    image_mirrors: dict[str, str] = Field(default_factory=dict, alias="image-mirrors")
    assemble_manifest_only: bool = Field(default=True, alias="assemble-manifest-only")
    java: JavaSettings = Field(default_factory=JavaSettings)


@dataclass
class Discovery:
    connectors: dict[str, Connector] = field(default_factory=dict)
    invalid: dict[str, list[Problem]] = field(default_factory=dict)


@dataclass
class Monorepo:
    root: Path
    settings: RepoSettings

    @classmethod
    def open(cls, path: Path | None = None, connectors_dir: str | None = None) -> Monorepo:
        """The monorepo at ``path``; without one, the nearest enclosing folder that is one (see
        :func:`find_root`), else the git root of the current directory, else the current directory."""
        if connectors_dir is not None:
            check_inside("--connectors-dir", connectors_dir)
        root = (path or find_root(Path.cwd(), connectors_dir) or git_root(Path.cwd()) or Path.cwd()).resolve()
        if not root.is_dir():
            raise UserError(f"--repo {root}: no such directory")
        settings = read_settings(root / "pyproject.toml")
        check_inside(f"connectors-dir in {root / 'pyproject.toml'}", settings.connectors_dir)
        check_inside(f"docs-dir in {root / 'pyproject.toml'}", settings.docs_dir)
        if connectors_dir:
            settings = settings.model_copy(update={"connectors_dir": connectors_dir})
        return cls(root=root, settings=settings)

    @property
    def connectors_path(self) -> Path:
        return self.root / self.settings.connectors_dir

    @property
    def docs_path(self) -> Path:
        return self.root / self.settings.docs_dir

    def discover(self) -> Discovery:
        """Load every ``<connectors-dir>/*/metadata.yaml``; broken ones are kept apart, not fatal."""
        if not self.connectors_path.is_dir():
            raise UserError(
                f"{self.connectors_path}: no connectors folder (set connectors-dir in "
                "[tool.connector-pipelines] of pyproject.toml, or pass --connectors-dir)"
            )
        # Sorted by name: the same order as sorting the paths (one parent), without comparing Paths.
        folders = sorted((p.parent for p in self.connectors_path.glob("*/metadata.yaml")), key=lambda f: f.name)
        found = Discovery()
        outcomes = MetadataCache.default()
        files = [folder / "metadata.yaml" for folder in folders]
        raws = [read_small(file) for file in files]
        relative = [folder.relative_to(self.root) for folder in folders]
        shown = [path / "metadata.yaml" for path in relative]
        known = [outcomes.get(raw, path, folder.name) if raw else None
                 for folder, raw, path in zip(folders, raws, shown, strict=True)]
        cache = ParseCache.default()
        cache.prefill([raw for raw, outcome in zip(raws, known, strict=True) if outcome is None and raw])
        for i, folder in enumerate(folders):
            outcome = known[i]
            if outcome is None:
                outcome = self._validate(files[i], shown[i], folder.name, cache, raws[i])
                if raws[i]:
                    outcomes.put(raws[i], shown[i], folder.name, outcome)
            if isinstance(outcome, list):
                found.invalid[folder.name] = outcome
            else:
                metadata, warnings = outcome
                found.connectors[folder.name] = Connector(path=folder, relative_path=relative[i], metadata=metadata,
                                                          warnings=warnings)
        cache.save()
        outcomes.save()
        self._refuse_shared_definition_ids(found)
        return found

    def _refuse_shared_definition_ids(self, found: Discovery) -> None:
        """Two connectors of one kind with one definitionId in one registry would overwrite each
        other there (the platform indexes them by it): both are invalid, each naming the other.
        (Airbyte's ``-strict-encrypt`` variants share the id of a connector in the other registry.)"""
        owners: dict[tuple[str, str, str], list[Connector]] = {}
        for connector in found.connectors.values():
            overrides = connector.data.overrides
            for registry in ("oss", "cloud"):
                entry = getattr(overrides, registry)
                if entry is not None and entry.enabled:
                    key = (registry, connector.connector_type.value, str(connector.data.definitionId))
                    owners.setdefault(key, []).append(connector)
        for (_, _, definition_id), sharing in owners.items():
            if len(sharing) < 2:
                continue
            for connector in sharing:
                if connector.name not in found.connectors:
                    continue  # already reported for the other registry
                others = ", ".join(str(o.relative_path / "metadata.yaml") for o in sharing if o is not connector)
                file = connector.relative_path / "metadata.yaml"
                try:
                    line = load_yaml_document(connector.metadata_path).line_of(("data", "definitionId"))
                except (OSError, YamlSourceError):
                    line = None
                found.invalid[connector.name] = [Problem(
                    file, line, "data.definitionId",
                    f"{definition_id} is also the definitionId of {others}; each connector needs its own "
                    "(a new one: python3 -c 'import uuid; print(uuid.uuid4())')")]
                del found.connectors[connector.name]

    @staticmethod
    def _validate(file: Path, shown: Path, folder_name: str, cache: ParseCache, raw: bytes) -> Outcome:
        """Parse and validate one file: its models and warnings, or its errors."""
        try:
            loaded = load_metadata(file, display_path=shown, folder_name=folder_name, cache=cache, raw=raw)
        except InvalidMetadata as exc:
            return exc.problems
        return loaded.metadata, loaded.warnings

    def load_connector(self, folder: Path) -> Connector:
        """One connector, raising :class:`InvalidMetadata` when its metadata is broken."""
        result = self._load(folder)
        if isinstance(result, Connector):
            return result
        raise InvalidMetadata(result)

    def _load(self, folder: Path, cache: ParseCache | None = None,
              raw: bytes | None = None) -> Connector | list[Problem]:
        relative = folder.relative_to(self.root)
        try:
            loaded = load_metadata(
                folder / "metadata.yaml", display_path=relative / "metadata.yaml", folder_name=folder.name,
                cache=cache, raw=raw,
            )
        except InvalidMetadata as exc:
            return exc.problems
        return Connector(path=folder, relative_path=relative, metadata=loaded.metadata, warnings=loaded.warnings)


def find_root(start: Path, connectors_dir: str | None = None) -> Path | None:
    """The nearest of ``start`` and its parents that holds the connectors folder or a
    ``pyproject.toml`` with a ``[tool.connector-pipelines]`` table: so a command run inside
    ``.../connectors/source-x/`` acts on the monorepo, and one inside a git repository whose
    monorepo is a subfolder finds that subfolder only from within it."""
    default_dir = connectors_dir or RepoSettings().connectors_dir
    for folder in (start.resolve(), *start.resolve().parents):
        if has_settings_table(folder / "pyproject.toml") or (folder / default_dir).is_dir():
            return folder
    return None


def has_settings_table(pyproject: Path) -> bool:
    try:
        return "[tool.connector-pipelines" in pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def check_inside(what: str, relative: str) -> None:
    """Refuse a folder setting that leaves the monorepo (absolute, or climbing out with ``..``)."""
    normal = os.path.normpath(relative)
    if os.path.isabs(relative) or normal == ".." or normal.startswith(".." + os.sep):
        raise UserError(f"{what} {relative}: must be a folder inside the monorepo, relative to its root "
                        "(e.g. airbyte-integrations/connectors)")


def read_small(path: Path) -> bytes:
    """The file's bytes, or nothing when it is too large to be metadata (the loader says so)."""
    try:
        return path.read_bytes() if path.stat().st_size <= MAX_YAML_BYTES else b""
    except OSError:
        return b""


def read_settings(pyproject: Path) -> RepoSettings:
    if not pyproject.is_file():
        return RepoSettings()
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("connector-pipelines", {})
        return RepoSettings.model_validate(table)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{pyproject}: cannot read [tool.connector-pipelines]: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{pyproject}: [tool.connector-pipelines] {where}: {first['msg']}") from None


def git_root(path: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out.stdout.strip())
