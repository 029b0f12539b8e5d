"""Every package imports only from below it: connector_build <- registry <- pipelines; bench and tests
use the packages and never each other. A new upward import fails here, naming the file and line."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

ALLOWED = {
    "connector_build": {"connector_build"},
    "registry": {"connector_build", "registry"},
    "pipelines": {"connector_build", "registry", "pipelines"},
    "bench": {"connector_build", "registry", "pipelines"},
}
OURS = {"connector_build", "registry", "pipelines", "bench", "tests"}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module.split(".")[0]))
    return [(line, name) for line, name in found if name in OURS]


def test_no_package_imports_from_above_it() -> None:
    wrong = [f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {name}"
             for package, allowed in ALLOWED.items()
             for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
             for line, name in imported_packages(path) if name not in allowed]
    assert wrong == []
