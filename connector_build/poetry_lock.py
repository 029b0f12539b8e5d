"""What a connector's ``poetry.lock`` pins, read with Poetry itself (and its export plugin).

A Poetry connector's image must hold the versions its developer locked and tested, not whatever
resolves on build day. Poetry's export turns the lock's main group into a requirements file with
hashes and environment markers; markers make it platform independent, so it is made once, here on
the host, and each platform's build stage installs from it with pip (no Poetry in the image, none
under emulation). The export also says which packages are installed, for publish and preview.

Exports are cached by the bytes of ``pyproject.toml`` and ``poetry.lock`` (Poetry takes about a
second to import and read a lock; a rebuild should not pay it again).

    export = export_lock(connector.path)      # None without poetry.lock; raises LockError
    export.requirements                       # "backoff==2.1.2 ; python_version >= ... --hash=..."
    locked_cdk_version(connector.path)        # "6.1.0", or None
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

LOCK_FILE = "poetry.lock"
CDK_PACKAGE = "airbyte-cdk"
CACHE_VERSION = 2
DISABLE_CACHE_ENV = "CONNECTOR_PIPELINES_NO_CACHE"
DEPENDENCY_INPUTS = ("project_name", "project_python", "project_python_marker", "requirements", "packages",
                     "build_requires")
PACKAGE_INPUTS = ("project_name", "project_version", "package_skeleton")


class LockError(Exception):
    """The lock cannot be read or is out of date with pyproject.toml; one line for the user."""


@dataclass(frozen=True)
class LockedPackage:
    """One package of the lock's main group, as the image installs it."""

    name: str
    version: str
    marker: str
    """When it applies (PEP 508), the project's own Python range included; "" means always."""
    requires_python: str
    """The package's own Python range as the lock writes it (``>=3.8,<4.0``), "" when it has none."""
    python_marker: str
    """The same range as a PEP 508 marker, "" when it has none."""
    files: tuple[str, ...]
    """The wheel and sdist file names the lock has hashes for."""

    def applies_to(self, environment: dict[str, str]) -> bool:
        """Whether the image with this marker environment installs the package."""
        if not self.marker:
            return True
        try:
            return Marker(self.marker).evaluate(environment)
        except InvalidMarker:
            return True


@dataclass(frozen=True)
class LockExport:
    project_name: str
    project_version: str
    requirements: str
    """requirements.txt text: ``name==version ; markers`` with every locked file's hash."""
    packages: tuple[LockedPackage, ...]
    project_python: str
    """The ``python = "…"`` constraint of pyproject.toml, as written (e.g. ``^3.9``)."""
    project_python_marker: str
    """The same as a PEP 508 marker, which the base image's interpreter must satisfy."""
    build_requires: tuple[str, ...]
    """``[build-system] requires``: what building the connector's own package needs."""
    package_build_files: tuple[str, ...] = ()
    """What an editable install of the connector's own package reads: pyproject.toml, readmes."""
    package_skeleton: tuple[str, ...] = ()
    """One module path per package include (``source_x/__init__.py``): created empty, they let
    the editable install run from the build files alone; the real code is copied over them."""
    editable: bool = True
    """False when the package cannot be installed that way (a build script): it is then built
    from the whole folder."""

    def version_of(self, package: str) -> str | None:
        wanted = canonicalize_name(package)
        return next((p.version for p in self.packages if canonicalize_name(p.name) == wanted), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def dependency_inputs(self) -> str:
        """What the dependency stage reads: nothing a version bump or a code change alters."""
        data = asdict(self)
        return json.dumps({key: data[key] for key in DEPENDENCY_INPUTS}, sort_keys=True)

    def package_inputs(self) -> str:
        """What installing the connector's own package reads."""
        data = asdict(self)
        return json.dumps({key: data[key] for key in PACKAGE_INPUTS}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockExport:
        data = json.loads(text)
        packages = tuple(LockedPackage(**{**p, "files": tuple(p["files"])}) for p in data.pop("packages"))
        tuples = {name: tuple(data[name]) for name in ("build_requires", "package_build_files", "package_skeleton")}
        return cls(packages=packages, **{**data, **tuples})


def has_lock(folder: Path) -> bool:
    return (folder / LOCK_FILE).is_file() and (folder / "pyproject.toml").is_file()


def export_lock(folder: Path) -> LockExport | None:
    """The main group of ``folder``'s poetry.lock, or None when the folder has no lock."""
    if not has_lock(folder):
        return None
    key = _cache_key(folder)
    cached = _cache_read(key)
    if cached is not None:
        return cached
    export = _export_with_poetry(folder)
    _cache_write(key, export)
    return export


def write_lock(folder: Path, *, timeout: float = 600) -> None:
    """Run ``poetry lock`` in ``folder`` (Poetry's CLI: the stable way to make a lock). Raises LockError.

    Poetry resolves in the running interpreter's environment (no virtualenv is created for it) and
    never asks for input or a keyring; a project without dependencies locks without the network.
    """
    import subprocess
    import sys

    env = {**os.environ, "POETRY_VIRTUALENVS_CREATE": "false", "POETRY_NO_INTERACTION": "1",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.pop("VIRTUAL_ENV", None)
    try:
        done = subprocess.run([sys.executable, "-m", "poetry", "lock", "--no-interaction", "--directory", str(folder)],
                              capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LockError(f"poetry lock could not run: {exc}") from None
    if done.returncode != 0 or not (folder / LOCK_FILE).is_file():
        lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise LockError(f"poetry lock failed: {lines[-1] if lines else f'exit code {done.returncode}'}")


def locked_cdk_version(folder: Path) -> str | None:
    """The airbyte-cdk version the lock installs, or None (no lock, no CDK, unreadable lock)."""
    try:
        export = export_lock(folder)
    except LockError:
        return None
    return export.version_of(CDK_PACKAGE) if export else None


MARKER_ENVIRONMENT_SCRIPT = (
    "import json; from pip._vendor.packaging.markers import default_environment; "
    "print(json.dumps(default_environment()))"
)
"""Run by an image's Python: the values its markers are evaluated with (pip ships packaging)."""


def installed_packages(export: LockExport, environment: dict[str, str] | None) -> list[dict[str, str]]:
    """The locked packages an image with this marker environment holds, as publish records them
    (``connector_dependencies/…``); every locked package when the environment is unknown."""
    return [{"package_name": p.name, "version": p.version} for p in export.packages
            if environment is None or p.applies_to(environment)]


def _export_with_poetry(folder: Path) -> LockExport:
    # Poetry is imported here only: it takes most of a second, and most commands never need it.
    from cleo.io.buffered_io import BufferedIO
    from poetry.core.packages.dependency_group import MAIN_GROUP
    from poetry.core.packages.utils.utils import create_nested_marker
    from poetry.core.version.markers import parse_marker
    from poetry.factory import Factory
    from poetry_plugin_export.exporter import Exporter

    try:
        poetry = Factory().create_poetry(cwd=folder, disable_plugins=True)
        if not poetry.locker.is_fresh():
            raise LockError(f"{LOCK_FILE} is out of date with pyproject.toml (run `poetry lock` and commit it)")
        output = BufferedIO()
        Exporter(poetry, output).only_groups([MAIN_GROUP]).with_hashes(True).export(
            "requirements.txt", folder, output)
        python_marker = create_nested_marker("python_version", poetry.package.python_constraint)
        packages = tuple(_locked_packages(poetry, parse_marker(python_marker), MAIN_GROUP))
    except LockError:
        raise
    except Exception as exc:  # Poetry's own errors: a broken pyproject.toml or lock
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise LockError(f"cannot read {LOCK_FILE} with Poetry: {message}") from None
    build_system = poetry.pyproject.data.get("build-system") or {}
    skeleton, editable = _package_skeleton(poetry, folder)
    readmes = tuple(Path(readme).resolve().relative_to(folder.resolve()).as_posix()
                    for readme in poetry.package.readmes)
    return LockExport(
        project_name=poetry.package.pretty_name,
        project_version=poetry.package.version.text,
        requirements=output.fetch_output(),
        packages=packages,
        project_python=poetry.package.python_versions,
        project_python_marker=python_marker,
        # A project with package-mode = false has no package of its own to build: no backend to install.
        build_requires=() if not _package_mode(poetry) else tuple(build_system.get("requires") or ("poetry-core",)),
        package_build_files=("pyproject.toml", *readmes),
        package_skeleton=skeleton,
        editable=editable,
    )


def _package_skeleton(poetry, folder: Path) -> tuple[tuple[str, ...], bool]:
    """The first module of each package include, as poetry-core finds them in ``folder``."""
    from poetry.core.masonry.utils.module import Module
    from poetry.core.masonry.utils.package_include import PackageInclude

    package = poetry.package
    if package.build_script or not _package_mode(poetry):
        return (), False
    try:
        module = Module(package.name, str(folder), package.packages, package.include)
    except ValueError:  # no package where Poetry looks: a build from the whole folder says why
        return (), False
    skeleton = []
    for include in module.includes:
        if not isinstance(include, PackageInclude):
            continue
        first = next((e for e in include.elements if e.suffix in (".py", ".pyi") and e.is_file()), None)
        if first is not None:
            skeleton.append(first.resolve().relative_to(folder.resolve()).as_posix())
    return tuple(skeleton), True


def _package_mode(poetry) -> bool:
    return poetry.pyproject.data.get("tool", {}).get("poetry", {}).get("package-mode") is not False


def _locked_packages(poetry, python_marker, group: str) -> list[LockedPackage]:
    """The packages the export writes, walked the way the export plugin walks them."""
    from poetry_plugin_export.walker import get_project_dependency_packages, get_project_dependency_packages2

    if poetry.locker.is_locked_groups_and_markers():
        walked = get_project_dependency_packages2(poetry.locker, project_python_marker=python_marker,
                                                  groups={group})
    else:  # locks written by Poetry before 2.0 have no groups: walk from the project's requirements
        root = poetry.package.with_dependency_groups([group], only=True)
        walked = get_project_dependency_packages(poetry.locker, project_requires=root.all_requires,
                                                 root_package_name=root.name, project_python_marker=python_marker)
    from poetry.core.packages.utils.utils import create_nested_marker

    packages = []
    for found in walked:
        package, requirement = found.package, found.dependency.to_pep_508(with_extras=False, resolved=True)
        marker = requirement.split(";", 1)[1].strip() if ";" in requirement else ""
        constraint = package.python_constraint
        packages.append(LockedPackage(
            name=package.pretty_name,
            version=package.version.text,
            marker=marker,
            requires_python="" if constraint.is_any() else package.python_versions,
            python_marker="" if constraint.is_any() else create_nested_marker("python_version", constraint),
            files=tuple(sorted(f["file"] for f in package.files)),
        ))
    return sorted(packages, key=lambda p: canonicalize_name(p.name))


# -- cache ---------------------------------------------------------------------------------------


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "connector-pipelines" / f"poetry-export-v{CACHE_VERSION}"


def _cache_key(folder: Path) -> str:
    digest = hashlib.sha256()
    for part in (metadata.version("poetry"), metadata.version("poetry-plugin-export")):
        digest.update(part.encode() + b"\0")
    for name in ("pyproject.toml", LOCK_FILE):
        digest.update((folder / name).read_bytes() + b"\0")
    # The package skeleton depends on where the modules are, not on what they say.
    for path in sorted(_module_paths(folder)):
        digest.update(path.encode() + b"\0")
    return digest.hexdigest()


def _module_paths(folder: Path) -> list[str]:
    found = []
    for directory, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if not f.startswith(".") and f not in ("__pycache__", "venv", "build", "dist")]
        base = Path(directory).relative_to(folder).as_posix()
        found += [f"{base}/{name}" for name in files if name.endswith((".py", ".pyi"))]
    return found


def _cache_read(key: str) -> LockExport | None:
    if os.environ.get(DISABLE_CACHE_ENV):
        return None
    try:
        return LockExport.from_json((_cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a missing or unreadable entry is a miss


def _cache_write(key: str, export: LockExport) -> None:
    if os.environ.get(DISABLE_CACHE_ENV):
        return
    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp", encoding="utf-8") as handle:
            handle.write(export.to_json())
        os.replace(handle.name, folder / f"{key}.json")
    except OSError:
        pass  # the cache is a convenience
