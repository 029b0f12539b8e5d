"""Poetry connectors for tests and benchmarks, with locks made by a real `poetry lock`.

``tests/data/source-tiny-poetry`` is committed with its lock (backoff locked at 2.1.2 while its
constraint admits newer). Tests copy it into a temporary monorepo; ``lock`` re-locks a copy after
its pyproject.toml changed, with the Poetry installed in the project's venv (it reaches PyPI).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
TINY_POETRY = DATA / "source-tiny-poetry"
LOCKED_BACKOFF = "2.1.2"


MONOREPO_SETTINGS = """\
[tool.connector-pipelines.image-mirrors]
"docker.io/airbyte" = "localhost:5000/airbyte"
"""


def copy_poetry_connector(root: Path, name: str = "source-tiny-poetry", definition: int = 0) -> Path:
    """The committed Poetry connector, as ``name`` in the monorepo at ``root`` (whose pyproject.toml
    maps the base image's registry to the local one, as the examples' does)."""
    folder = root / "airbyte-integrations" / "connectors" / name
    shutil.copytree(TINY_POETRY, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text(MONOREPO_SETTINGS)
    if name != "source-tiny-poetry":
        metadata = folder / "metadata.yaml"
        text = metadata.read_text().replace("source-tiny-poetry", name)
        metadata.write_text(text.replace("3c5b0f1b7a13", f"{definition:012d}"))
    return folder


def lock(folder: Path) -> None:
    """`poetry lock` in ``folder`` (keeps versions already locked, as Poetry 2 does)."""
    poetry = Path(sys.executable).with_name("poetry")
    result = subprocess.run([str(poetry), "lock", "--no-interaction"], cwd=folder, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"poetry lock failed in {folder}: {result.stdout}{result.stderr}")
