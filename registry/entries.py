"""One connector version's registry entry, made once per registry by Airbyte's rules.

The rules (DESIGN.md "Registry rules") in the order they apply: overlay the registry's overrides,
reshape (renames, removals, fixed flags), add defaults and generated fields, attach the spec,
then validate against the registry model the platform reads.

    entry = build_registry_entry(metadata, "cloud", spec=spec, icon_url=url)   # None: not in cloud
    write_registry_entries(store, metadata, spec=spec, cloud_spec=cloud_spec, icon_url=url)
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from connector_build import versions
from connector_build.metadata import ConnectorData, ConnectorMetadata, SupportLevel
from registry import layout
from registry.json_files import dump_json
from registry.models import (
    REGISTRIES,
    RegistryDestinationDefinition,
    RegistryName,
    RegistrySourceDefinition,
    serialise,
)
from registry.store import Store

# Fields Airbyte's metadata model fills with a default, so every real entry carries them. Today's
# registry (Registry 2.0) leaves out supportsRefreshes, and requiresLogin in externalDocumentationUrls
# items, when the metadata does not set them: so do we.
METADATA_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "supportsFileTransfer": False,
    "supportsDataActivation": False,
}
AB_INTERNAL_DEFAULTS = {"sl": 100, "ql": 100}
REMOVED_KEYS = ("registryOverrides", "registries", "connectorType")


class RegistryEntryError(ValueError):
    """The entry cannot be made: the platform would reject it (message says which field and why)."""


def is_listed(data: ConnectorData, registry: RegistryName) -> bool:
    """Listed only where that registry's override says ``enabled: true``, and never when archived."""
    if data.supportLevel is SupportLevel.ARCHIVED:
        return False
    override = getattr(data.overrides, registry)
    return bool(override and override.enabled)


def registry_coordinates(data: ConnectorData, registry: RegistryName) -> tuple[str, str]:
    """The ``(dockerRepository, dockerImageTag)`` this registry shows, and under which its spec is cached.

    A release candidate keeps its own tag even when the registry pins another one.
    """
    override = getattr(data.overrides, registry)
    repository = (override.dockerRepository if override else None) or data.dockerRepository
    tag = data.dockerImageTag
    if override and override.dockerImageTag and not versions.is_release_candidate(tag):
        tag = override.dockerImageTag
    return repository, tag


def build_registry_entry(
    metadata: ConnectorMetadata,
    registry: RegistryName,
    *,
    spec: dict[str, Any],
    icon_url: str | None,
    generated: dict[str, Any] | None = None,
    package_info: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The registry entry of this metadata for ``registry`` ("oss" or "cloud"), keys sorted.

    None when that registry does not list the connector (override disabled, or archived).
    ``spec`` is the one for this registry (cloud: ``spec.cloud.json`` when it exists).
    ``generated`` is merged over the metadata's own ``generated`` (e.g. ``{"git": {...}}``);
    ``package_info`` is ``{"cdk_version": "python:X.Y.Z"}`` or nothing. Raises
    :class:`RegistryEntryError` when the result would not pass the platform's checks.
    """
    data = metadata.data
    if not is_listed(data, registry):
        return None
    entry = {**METADATA_DEFAULTS, **data.model_dump(mode="json", exclude_none=True, by_alias=True)}
    entry.update(_overrides(data, registry))
    for key in REMOVED_KEYS:
        entry.pop(key, None)
    subtype = entry.pop("connectorSubtype", None)
    if subtype:
        entry["sourceType"] = subtype
    entry[f"{data.connectorType.value}DefinitionId"] = entry.pop("definitionId")
    entry.update(tombstone=False, custom=False, public=True)
    entry["supportLevel"] = entry.get("supportLevel") or SupportLevel.COMMUNITY.value
    entry["ab_internal"] = {**AB_INTERNAL_DEFAULTS, **(entry.get("ab_internal") or {})}
    if not entry.get("language") and data.language_tag():
        entry["language"] = data.language_tag()
    if icon_url:
        entry["iconUrl"] = icon_url
    if data.externalDocumentationUrls:
        entry["externalDocumentationUrls"] = [link.model_dump(mode="json", exclude_unset=True, exclude_none=True)
                                              for link in data.externalDocumentationUrls]
    entry["releases"] = registry_releases(entry)  # {} when there is nothing to say, as Airbyte writes it
    entry["generated"] = _generated(data, generated)
    entry["packageInfo"] = dict(package_info or {})
    entry["spec"] = spec
    return validate_entry(entry, data.connectorType.value)


def validate_entry(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    """Check against the registry model and serialise (nulls out, dates as text, keys sorted)."""
    model = RegistrySourceDefinition if kind == "source" else RegistryDestinationDefinition
    try:
        return serialise(model.model_validate(entry))
    except ValidationError as exc:
        raise RegistryEntryError(_first_error(exc)) from None


def registry_releases(entry: dict[str, Any]) -> dict[str, Any]:
    """``releases`` as the registry shows it: breaking changes with their migration URLs, and rollout.

    ``{}`` when there is neither; a release's own ``migrationDocumentationUrl`` only shows with
    breaking changes, as in Airbyte.
    """
    releases = entry.get("releases") or {}
    docs = entry.get("documentationUrl", "")
    shown: dict[str, Any] = {}
    breaking = releases.get("breakingChanges")
    if breaking:
        shown["migrationDocumentationUrl"] = releases.get("migrationDocumentationUrl") or f"{docs}-migrations"
        shown["breakingChanges"] = {
            version: {**change, "migrationDocumentationUrl": change.get("migrationDocumentationUrl")
                      or f"{docs}-migrations#{version}"}
            for version, change in breaking.items()
        }
    if releases.get("rolloutConfiguration"):
        shown["rolloutConfiguration"] = releases["rolloutConfiguration"]
    return shown


def write_registry_entries(
    store: Store,
    metadata: ConnectorMetadata,
    *,
    spec: dict[str, Any],
    cloud_spec: dict[str, Any] | None = None,
    icon_url: str | None,
    generated: dict[str, Any] | None = None,
    package_info: dict[str, Any] | None = None,
) -> dict[RegistryName, dict[str, Any] | None]:
    """Write ``metadata/<repo>/<version>/{oss,cloud}.json`` next to the version's metadata.yaml.

    A registry that does not list the connector gets its stale file removed. ``source_file_info``
    times come from the stored metadata.yaml, not the clock, so a rerun writes identical bytes and
    the store skips it (md5).
    """
    data = metadata.data
    repository, version = data.dockerRepository, data.dockerImageTag
    written_at = store.modified(layout.version_file(repository, version, layout.METADATA_FILE))
    times = {"metadata_last_modified": written_at.isoformat(),
             "registry_entry_generated_at": written_at.isoformat()} if written_at else {}
    merged = dict(generated or {})
    merged["source_file_info"] = {**times, **(merged.get("source_file_info") or {})}
    entries: dict[RegistryName, dict[str, Any] | None] = {}
    for registry in REGISTRIES:
        chosen_spec = (cloud_spec or spec) if registry == "cloud" else spec
        entry = build_registry_entry(metadata, registry, spec=chosen_spec, icon_url=icon_url,
                                     generated=merged, package_info=package_info)
        path = layout.version_file(repository, version, layout.entry_file_name(registry))
        if entry is None:
            store.delete(path)
        else:
            store.write_bytes_atomic(path, entry_bytes(entry))
        entries[registry] = entry
    return entries


def entry_bytes(entry: dict[str, Any]) -> bytes:
    """How an entry file is written: indented, keys sorted, one trailing newline."""
    return dump_json(entry)


def _overrides(data: ConnectorData, registry: RegistryName) -> dict[str, Any]:
    override = getattr(data.overrides, registry)
    if override is None:
        return {}
    values = override.model_dump(mode="json", exclude_none=True, by_alias=True)
    values.pop("enabled", None)
    if versions.is_release_candidate(data.dockerImageTag):
        values.pop("dockerImageTag", None)
    return values


def _generated(data: ConnectorData, extra: dict[str, Any] | None) -> dict[str, Any]:
    generated = {**(data.generated or {}), **(extra or {})}
    file_info = dict(generated.get("source_file_info") or {})
    file_info.setdefault("metadata_file_path",
                         layout.version_file(data.dockerRepository, data.dockerImageTag, layout.METADATA_FILE))
    generated["source_file_info"] = file_info
    return generated


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    value = error.get("input")
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "literal_error":
        return f"{where}: '{value}' is not one of {error.get('ctx', {}).get('expected', '')}"
    return f"{where}: {message}"
