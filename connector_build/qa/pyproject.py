"""What the packaging checks read from a connector's ``pyproject.toml``: Poetry's table first
(``[tool.poetry]``, what Airbyte reads), then PEP 621's ``[project]`` (Poetry 2 reads it too)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = "pyproject.toml"


class UnreadablePyproject(ValueError):
    """``pyproject.toml`` is missing or not TOML; the message says which."""


def read_pyproject(folder: Path) -> dict[str, Any]:
    path = folder / PYPROJECT
    if not path.is_file():
        raise UnreadablePyproject(f"no {PYPROJECT}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UnreadablePyproject(f"{PYPROJECT} is not valid TOML: {exc}") from None


def poetry_table(document: dict[str, Any]) -> dict[str, Any]:
    table = document.get("tool", {}).get("poetry", {})
    return table if isinstance(table, dict) else {}


def package_field(document: dict[str, Any], name: str) -> tuple[str | None, str]:
    """``(value, where)`` of ``version`` or ``license``: tool.poetry, else [project]; value None when unset."""
    poetry = poetry_table(document)
    if poetry.get(name) is not None:
        return str(poetry[name]), f"tool.poetry.{name}"
    project = document.get("project", {})
    value = project.get(name) if isinstance(project, dict) else None
    if isinstance(value, dict):  # license = { text = "MIT" }
        value = value.get("text")
    return (None if value is None else str(value)), f"project.{name}"


def cdk_dependency(document: dict[str, Any]) -> Any:
    """The ``airbyte-cdk`` entry of ``[tool.poetry.dependencies]`` (a version string or a table), or None."""
    dependencies = poetry_table(document).get("dependencies", {})
    return dependencies.get("airbyte-cdk") if isinstance(dependencies, dict) else None
