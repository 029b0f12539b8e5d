"""QA checks on how a Python connector is packaged: Poetry, the versions and licenses that must
agree with ``metadata.yaml``, PyPI publishing declared, the base image instead of a Dockerfile.

They follow Airbyte's ``connectors_qa`` packaging and security checks, with the same scope:
Python connectors (``language:python`` and ``language:low-code``); PyPI only for sources.
"""

from __future__ import annotations

from connector_build.connector import Connector
from connector_build.metadata import ConnectorType
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed
from connector_build.qa.pyproject import PYPROJECT, UnreadablePyproject, package_field, read_pyproject

PYTHON = frozenset({"python", "low-code"})
"""``language:`` tags of Python connectors (low-code: a Python package embedding a manifest)."""


def uses_poetry(connector: Connector, ctx: QAContext) -> Verdict:
    shown = connector.relative_path
    for needed in (PYPROJECT, "poetry.lock"):
        if not (connector.path / needed).is_file():
            return failed(f"{shown}: no {needed}; Airbyte's Python connectors are Poetry projects")
    if (connector.path / "setup.py").is_file():
        return failed(f"{shown / 'setup.py'} exists: remove it, the package is described by {PYPROJECT}")
    return passed(f"{PYPROJECT} and poetry.lock, no setup.py")


def _matches_pyproject(connector: Connector, field: str, expected: str, *, fold_case: bool) -> Verdict:
    shown = connector.relative_path / PYPROJECT
    try:
        document = read_pyproject(connector.path)
    except UnreadablePyproject as exc:
        return failed(f"{connector.relative_path}: {exc}")
    value, where = package_field(document, field)
    if value is None:
        return failed(f"{shown}: no {field} (tool.poetry.{field}); metadata.yaml says '{expected}'")
    same = value.lower() == expected.lower() if fold_case else value == expected
    if not same:
        return failed(f"{shown}: {where} is '{value}' but metadata.yaml says '{expected}'; they must agree")
    return passed(f"{where} '{value}' matches metadata.yaml")


def license_matches_pyproject(connector: Connector, ctx: QAContext) -> Verdict:
    return _matches_pyproject(connector, "license", connector.data.license, fold_case=True)


def version_matches_pyproject(connector: Connector, ctx: QAContext) -> Verdict:
    return _matches_pyproject(connector, "version", connector.version, fold_case=False)


def pypi_publishing_declared(connector: Connector, ctx: QAContext) -> Verdict:
    registries = connector.data.remoteRegistries
    pypi = registries.pypi if registries else None
    if pypi is None:
        return failed(f"{connector.relative_path / 'metadata.yaml'}: declare PyPI publishing with "
                      "remoteRegistries.pypi.enabled (true or false) and packageName")
    return passed(f"remoteRegistries.pypi.enabled is {str(pypi.enabled).lower()}")


def python_base_image(connector: Connector, ctx: QAContext) -> Verdict:
    if (connector.path / "Dockerfile").is_file():
        return failed(f"{connector.relative_path / 'Dockerfile'} exists: remove it and declare "
                      "connectorBuildOptions.baseImage in metadata.yaml")
    if not connector.base_image:
        return failed(f"{connector.relative_path / 'metadata.yaml'}: no connectorBuildOptions.baseImage")
    return passed(connector.base_image)


USES_POETRY = Check(
    "uses_poetry", "pyproject.toml and poetry.lock are present and setup.py is not.",
    uses_poetry, language_tags=PYTHON, unreleased_only=True)
LICENSE_PYPROJECT = Check(
    "license_matches_pyproject", "pyproject.toml's license is metadata.yaml's license.",
    license_matches_pyproject, language_tags=PYTHON)
VERSION_PYPROJECT = Check(
    "version_matches_pyproject", "pyproject.toml's version is metadata.yaml's dockerImageTag.",
    version_matches_pyproject, language_tags=PYTHON)
PYPI_DECLARED = Check(
    "pypi_publishing_declared", "remoteRegistries.pypi.enabled is declared (true or false).",
    pypi_publishing_declared, types=frozenset({ConnectorType.SOURCE}), language_tags=PYTHON)
PYTHON_BASE_IMAGE = Check(
    "python_base_image", "No Dockerfile; connectorBuildOptions.baseImage is declared.",
    python_base_image, language_tags=PYTHON)
