"""Pydantic models of a connector's ``metadata.yaml`` (``metadataSpecVersion`` + ``data``).

They cover every field seen in Airbyte's monorepo from 2023 to 2026, including the older
``registries:`` spelling of ``registryOverrides:``. Unknown keys are kept (``extra="allow"``) so a
newer file still loads; the loader reports them as warnings, or as errors in strict mode.
Field names follow the YAML (camelCase), so ``model_dump(by_alias=True)`` round-trips a file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connector_build import versions


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class ConnectorType(str, Enum):
    SOURCE = "source"
    DESTINATION = "destination"


class ConnectorSubtype(str, Enum):
    API = "api"
    DATABASE = "database"
    DATALAKE = "datalake"
    FILE = "file"
    CUSTOM = "custom"
    MESSAGE_QUEUE = "message_queue"
    UNKNOWN = "unknown"
    VECTORSTORE = "vectorstore"


class ReleaseStage(str, Enum):
    ALPHA = "alpha"
    BETA = "beta"
    GENERALLY_AVAILABLE = "generally_available"
    CUSTOM = "custom"


class SupportLevel(str, Enum):
    COMMUNITY = "community"
    CERTIFIED = "certified"
    ARCHIVED = "archived"


class AllowedHosts(_Model):
    hosts: list[str] | None = None


class SuggestedStreams(_Model):
    streams: list[str] | None = None


class ResourceRequirements(_Model):
    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None


class JobType(str, Enum):
    GET_SPEC = "get_spec"
    CHECK_CONNECTION = "check_connection"
    DISCOVER_SCHEMA = "discover_schema"
    SYNC = "sync"
    RESET_CONNECTION = "reset_connection"
    CONNECTION_UPDATER = "connection_updater"
    REPLICATE = "replicate"


class JobTypeResourceLimit(_Model):
    jobType: JobType
    resourceRequirements: ResourceRequirements


class ActorDefinitionResourceRequirements(_Model):
    default: ResourceRequirements | None = None
    jobSpecific: list[JobTypeResourceLimit] | None = None


class NormalizationConfig(_Model):
    normalizationRepository: str
    normalizationTag: str
    normalizationIntegrationType: str


class RegistryOverrides(_Model):
    """What one registry (oss or cloud) changes; ``enabled`` decides membership."""

    enabled: bool = False
    name: str | None = None
    dockerRepository: str | None = None
    dockerImageTag: str | None = None
    supportsDbt: bool | None = None
    supportsNormalization: bool | None = None
    license: str | None = None
    documentationUrl: str | None = None
    connectorSubtype: str | None = None
    allowedHosts: AllowedHosts | None = None
    normalizationConfig: NormalizationConfig | None = None
    suggestedStreams: SuggestedStreams | None = None
    resourceRequirements: ActorDefinitionResourceRequirements | None = None


class RegistryOverridesByRegistry(_Model):
    oss: RegistryOverrides | None = None
    cloud: RegistryOverrides | None = None


class StreamScope(_Model):
    scopeType: Literal["stream"]
    impactedScopes: list[str] = Field(min_length=1)


class VersionBreakingChange(_Model):
    upgradeDeadline: dt.date
    message: str
    deadlineAction: Literal["auto_upgrade", "disable"] | None = None
    migrationDocumentationUrl: str | None = None
    scopedImpact: list[StreamScope] | None = Field(default=None, min_length=1)


class RolloutConfiguration(_Model):
    enableProgressiveRollout: bool = False
    initialPercentage: int = Field(default=0, ge=0, le=100)
    maxPercentage: int = Field(default=50, ge=0, le=100)
    advanceDelayMinutes: int = Field(default=10, ge=10)


class ConnectorReleases(_Model):
    breakingChanges: dict[str, VersionBreakingChange] | None = None
    rolloutConfiguration: RolloutConfiguration | None = None
    migrationDocumentationUrl: str | None = None

    @field_validator("breakingChanges", mode="before")
    @classmethod
    def _empty_list_means_none(cls, value: Any) -> Any:
        # Two real files write ``breakingChanges: []``; an empty list says "none" as {} does.
        return {} if value == [] else value


class ConnectorBuildOptions(_Model):
    baseImage: str | None = None


class SecretStore(_Model):
    alias: str | None = None
    type: Literal["GSM"] | None = None


class TestSecret(_Model):
    name: str
    fileName: str | None = None
    secretStore: SecretStore


class TestConnection(_Model):
    name: str
    id: str


class ConnectorTestSuiteOptions(_Model):
    suite: Literal["unitTests", "integrationTests", "acceptanceTests", "liveTests", "smokeTests"]
    testSecrets: list[TestSecret] | None = None
    testConnections: list[TestConnection] | None = None
    scenarios: list[dict[str, Any]] | None = None


class AirbyteInternal(_Model):
    sl: Literal[0, 100, 200, 300] | None = None
    ql: Literal[0, 100, 200, 300, 400, 500, 600] | None = None
    isEnterprise: bool = False
    requireVersionIncrementsInPullRequests: bool = True


class PyPiRegistry(_Model):
    enabled: bool
    packageName: str


class RemoteRegistries(_Model):
    pypi: PyPiRegistry | None = None


class ExternalDocumentationUrl(_Model):
    title: str
    url: str
    type: str | None = None
    requiresLogin: bool = False


class DataChannel(_Model):
    version: str
    supportedSerialization: list[Literal["JSONL", "PROTOBUF", "FLATBUFFERS"]]
    supportedTransport: list[Literal["STDIO", "SOCKET"]]


class ConnectorIPCOptions(_Model):
    dataChannel: DataChannel


class ConnectorData(_Model):
    """The ``data`` block: what a connector is, and how each registry shows it."""

    name: str
    definitionId: str
    connectorType: ConnectorType
    dockerRepository: str
    dockerImageTag: str
    license: str
    documentationUrl: str
    githubIssueLabel: str
    connectorSubtype: ConnectorSubtype
    releaseStage: ReleaseStage
    supportLevel: SupportLevel | None = None
    icon: str | None = None
    tags: list[str] = Field(default_factory=list)
    releaseDate: dt.date | None = None
    protocolVersion: str | None = None
    maxSecondsBetweenMessages: int | None = None
    erdUrl: str | None = None
    supportUrl: str | None = None  # only in an early draft of the format; kept for old files
    supportsDbt: bool | None = None
    supportsNormalization: bool | None = None
    supportsRefreshes: bool | None = None
    supportsFileTransfer: bool | None = None
    supportsDataActivation: bool | None = None
    allowedHosts: AllowedHosts | None = None
    suggestedStreams: SuggestedStreams | None = None
    resourceRequirements: ActorDefinitionResourceRequirements | None = None
    normalizationConfig: NormalizationConfig | None = None
    registryOverrides: RegistryOverridesByRegistry | None = None
    registries: RegistryOverridesByRegistry | None = None  # the spelling before registryOverrides
    releases: ConnectorReleases | None = None
    connectorBuildOptions: ConnectorBuildOptions | None = None
    connectorTestSuitesOptions: list[ConnectorTestSuiteOptions] | None = None
    ab_internal: AirbyteInternal | None = None
    remoteRegistries: RemoteRegistries | None = None
    externalDocumentationUrls: list[ExternalDocumentationUrl] | None = None
    connectorIPCOptions: ConnectorIPCOptions | None = None
    generated: dict[str, Any] | None = None
    remotePackageIndex: dict[str, Any] | None = None

    @field_validator("definitionId")
    @classmethod
    def _definition_id_is_uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a UUID") from None
        return value

    @field_validator("dockerImageTag")
    @classmethod
    def _tag_is_semver(cls, value: str) -> str:
        return versions.require_semver(value)

    @property
    def overrides(self) -> RegistryOverridesByRegistry:
        """The per-registry overrides, whichever of the two spellings the file uses."""
        return self.registryOverrides or self.registries or RegistryOverridesByRegistry()

    def language_tag(self) -> str | None:
        for tag in self.tags:
            if tag.startswith("language:"):
                return tag.split(":", 1)[1]
        return None


class ConnectorMetadata(_Model):
    metadataSpecVersion: str
    data: ConnectorData

    @field_validator("metadataSpecVersion", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # ``metadataSpecVersion: 1.0`` unquoted is a float in YAML; Airbyte accepts it.
        return str(value) if isinstance(value, (int, float)) else value
