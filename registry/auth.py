"""Credentials for one OCI registry, as every layer passes them around (engines, the OCI client)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for one registry. ``repr`` never shows the password."""

    registry: str
    username: str
    password: str = field(repr=False)
