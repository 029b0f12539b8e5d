"""Where test credentials come from, behind one small interface.

    store = open_store(StoreSettings(type="env"), root)
    found = store.fetch("source-acme", "SECRET_SOURCE-ACME__CREDS")   # StoredSecret or None

A monorepo maps each ``secretStore.alias`` its connectors name to a store in
``[tool.connector-pipelines.secret-stores.<alias>]`` (``type = "env" | "folder" | "gsm"``);
an alias it does not configure reads environment variables. Every value fetched is registered
for redaction before it is returned, so no log line can show it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from registry.secrets import register_secret


class SecretStoreError(Exception):
    """The store could not be asked (no credentials, unreachable); the message holds no secret."""


@dataclass(frozen=True)
class StoredSecret:
    name: str
    value: str = field(repr=False)
    file_name: str | None = None
    """The file name the store suggests (GSM's ``filename`` label), when the metadata names none."""


class SecretStore(Protocol):
    description: str
    """Says where a missing secret was looked for, e.g. "environment variable SECRET_X"."""

    def fetch(self, connector: str, name: str) -> StoredSecret | None: ...

    def where(self, name: str) -> str:
        """Where ``name`` was looked for, for the skip reason."""
        ...


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["env", "folder", "gsm"] = "env"
    path: str | None = None
    """folder: the folder holding one file per secret name (relative to the monorepo root)."""
    project: str | None = None
    """gsm: the Google Cloud project."""
    endpoint: str | None = None
    """gsm: another API endpoint (a private one, or a local stand-in over http://)."""


def open_store(settings: StoreSettings, root: Path) -> SecretStore:
    from pipelines.secret_stores.local import EnvironmentStore, FolderStore

    if settings.type == "folder":
        if not settings.path:
            raise SecretStoreError("a folder secret store needs path = \"…\"")
        return FolderStore(root / settings.path)
    if settings.type == "gsm":
        if not settings.project:
            raise SecretStoreError("a gsm secret store needs project = \"…\"")
        from pipelines.secret_stores.gsm import GoogleSecretManagerStore

        return GoogleSecretManagerStore(settings.project, endpoint=settings.endpoint)
    return EnvironmentStore()


MIN_PART_LENGTH = 8
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$")


def remember(secret: StoredSecret) -> StoredSecret:
    """Register the value for redaction, and for a JSON value each string in it that could be a
    credential (long enough, not a date: redacting ``metric`` or ``2024-01-01`` everywhere would
    only blur the logs); return the secret."""
    register_secret(secret.value)
    try:
        parsed: Any = json.loads(secret.value)
    except ValueError:
        return secret
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and len(item) >= MIN_PART_LENGTH and not DATE_LIKE.match(item):
            register_secret(item)
    return secret
