"""Secret stores on this machine: environment variables, and a folder of files."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.secret_stores import StoredSecret, remember


def env_names(name: str) -> list[str]:
    """``SECRET_SOURCE-X_CREDS`` is read as itself, then as ``SECRET_SOURCE_X_CREDS`` (shells reject ``-``)."""
    return list(dict.fromkeys([name, name.replace("-", "_")]))


class EnvironmentStore:
    description = "environment variables"

    def fetch(self, connector: str, name: str) -> StoredSecret | None:
        for candidate in env_names(name):
            value = os.environ.get(candidate)
            if value:
                return remember(StoredSecret(name=name, value=value))
        return None

    def where(self, name: str) -> str:
        return "environment variable " + " or ".join(env_names(name))


class FolderStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = f"folder {folder}"

    def fetch(self, connector: str, name: str) -> StoredSecret | None:
        for candidate in env_names(name):
            path = self.folder / candidate
            if path.is_file():
                return remember(StoredSecret(name=name, value=path.read_text(encoding="utf-8")))
        return None

    def where(self, name: str) -> str:
        return f"file {self.folder / name}"
