"""Pydantic models of a registry entry, with the field defaults of Airbyte's registry models.

Facts from ``ConnectorRegistrySourceDefinition.yaml`` / ``...DestinationDefinition.yaml``: extra
keys are allowed (an entry carries most of the metadata through), ``tombstone``, ``public``,
``custom`` and the ``supports*`` flags default to false (``supportsRefreshes`` is left out when unset, as
today's registry does), and ``releases`` allows only its four keys.
Nested metadata blocks stay plain dicts: the registry passes them through and the platform
reads them itself. ``sourceType`` is strict on sources, because the platform rejects other values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from connector_build import versions

SOURCE_TYPES = ("api", "file", "database", "custom")
RegistryName = Literal["oss", "cloud"]
REGISTRIES: tuple[RegistryName, ...] = ("oss", "cloud")


class RegistryReleases(BaseModel):
    model_config = ConfigDict(extra="forbid")

    releaseCandidates: dict[str, dict[str, Any]] | None = None
    rolloutConfiguration: dict[str, Any] | None = None
    breakingChanges: dict[str, dict[str, Any]] | None = None
    migrationDocumentationUrl: str | None = None


class _RegistryDefinition(BaseModel):
    """What sources and destinations share."""

    model_config = ConfigDict(extra="allow")

    name: str
    dockerRepository: str
    dockerImageTag: str
    documentationUrl: str
    spec: dict[str, Any]
    icon: str | None = None
    iconUrl: str | None = None
    tombstone: bool = False
    public: bool = False
    custom: bool = False
    releaseStage: Literal["alpha", "beta", "generally_available", "custom"] | None = None
    supportLevel: Literal["community", "certified", "archived"] | None = None
    releaseDate: dt.date | None = None
    resourceRequirements: dict[str, Any] | None = None
    protocolVersion: str | None = None
    allowedHosts: dict[str, Any] | None = None
    releases: RegistryReleases | None = None
    ab_internal: dict[str, Any] | None = None
    generated: dict[str, Any] | None = None
    packageInfo: dict[str, Any] | None = None
    language: str | None = None
    supportsFileTransfer: bool = False
    supportsDataActivation: bool = False

    @field_validator("dockerImageTag")
    @classmethod
    def _tag_is_semver(cls, value: str) -> str:
        # The platform parses the tag as a semver Version and fails the whole registry otherwise.
        return versions.require_semver(value)


class RegistrySourceDefinition(_RegistryDefinition):
    sourceDefinitionId: str
    sourceType: Literal["api", "file", "database", "custom"] | None = None
    suggestedStreams: dict[str, Any] | None = None
    maxSecondsBetweenMessages: int | None = None
    erdUrl: str | None = None


class RegistryDestinationDefinition(_RegistryDefinition):
    destinationDefinitionId: str
    tags: list[str] | None = None
    normalizationConfig: dict[str, Any] | None = None
    supportsDbt: bool | None = None
    supportsRefreshes: bool | None = None  # left out unless the metadata sets it (Registry 2.0)


RegistryDefinition = RegistrySourceDefinition | RegistryDestinationDefinition


def definition_id(entry: dict[str, Any]) -> str | None:
    return entry.get("sourceDefinitionId") or entry.get("destinationDefinitionId")


def entry_kind(entry: dict[str, Any]) -> Literal["source", "destination"] | None:
    if entry.get("sourceDefinitionId"):
        return "source"
    if entry.get("destinationDefinitionId"):
        return "destination"
    return None


def model_for(entry: dict[str, Any]) -> type[RegistrySourceDefinition] | type[RegistryDestinationDefinition]:
    return RegistrySourceDefinition if entry_kind(entry) == "source" else RegistryDestinationDefinition


def serialise(model: BaseModel) -> dict[str, Any]:
    """Nulls left out (model fields only: a spec keeps its own nulls), dates as YYYY-MM-DD, keys sorted."""
    return _sorted(model.model_dump(mode="json", exclude_none=True, by_alias=True))


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
