"""The two registries as they would be if the monorepo's metadata were published now.

Same rules as publish and compile, but the metadata comes from the connector folders and each
spec from a spec cache (``specs/<repo>/<tag>/spec.json``; a store is one). A connector whose spec
is missing is left out and named in ``skipped``, one line each, never an exception.

A release candidate in the monorepo is published to ``release_candidate/`` while the registry
keeps the last release. Given the store (``released``), the preview shows the candidate as
``generate`` will: the main entry is the store's ``latest/`` entry, the candidate rides under
``releases.releaseCandidates`` when its rollout is progressive; no released entry there, left out.
Without a store it has no released metadata, so it shows the RC's metadata at the newest released
tag found in the spec cache (no released tag: left out).

    result = preview_registries(connectors, SpecCache(Store.open("specs/")), base_url="http://host/files")
    result.oss.to_dict(), result.cloud.to_dict(), result.skipped
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connector_build import versions
from connector_build.connector import Connector, Language
from connector_build.metadata import ConnectorMetadata
from connector_build.poetry_lock import locked_cdk_version
from registry import layout
from registry.compile import CompiledRegistry, PublishedEntry, assemble_registry, with_icon
from registry.entries import RegistryEntryError, build_registry_entry, is_listed, registry_coordinates
from registry.json_files import dump_json
from registry.models import REGISTRIES, RegistryName
from registry.spec_cache import SpecCache, SpecUnreadable
from registry.store import Store


@dataclass
class PreviewResult:
    oss: CompiledRegistry
    cloud: CompiledRegistry
    skipped: list[str] = field(default_factory=list)
    """One line per connector left out of a registry it is enabled in (missing spec, bad entry)."""
    listed: dict[RegistryName, list[tuple[Connector, dict[str, Any]]]] = field(default_factory=dict)
    """Each registry's released entries with the connector each came from (for the files)."""
    released: Store | None = None
    """The store the main entries of release candidates came from, if any."""


def write_preview_store(result: PreviewResult, spec_store: Store, out: Store) -> None:
    """Lay the preview out as publish lays out a store, so ``registry serve --store OUT`` serves it
    as it stands: the registries, each connector's latest entries, metadata.yaml and icon, and the
    specs the entries were made from."""
    for registry, listed in result.listed.items():
        for connector, entry in listed:
            repository = connector.docker_repository
            out.write_bytes_atomic(layout.channel_file(repository, layout.LATEST, layout.entry_file_name(registry)),
                                   dump_json(entry))
            from_store = result.released is not None and versions.is_release_candidate(connector.version)
            for name in (layout.METADATA_FILE, layout.ICON_FILE):
                if from_store and result.released is not None:  # the release the store serves, not the RC's
                    raw = result.released.read_bytes(layout.channel_file(repository, layout.LATEST, name))
                    if raw is not None:
                        out.write_bytes_atomic(layout.channel_file(repository, layout.LATEST, name), raw)
                elif (connector.path / name).is_file():
                    out.write_bytes_atomic(layout.channel_file(repository, layout.LATEST, name),
                                           (connector.path / name).read_bytes())
            for name in SpecCache.file_names(registry):
                path = layout.spec_file(entry["dockerRepository"], entry["dockerImageTag"], name)
                raw = spec_store.read_bytes(path)
                if raw is not None:
                    out.write_bytes_atomic(path, raw)
    for compiled in (result.oss, result.cloud):
        out.write_bytes_atomic(layout.registry_file(compiled.name), compiled.to_bytes())


def preview_registries(connectors: list[Connector], spec_cache: SpecCache, *, base_url: str,
                       released: Store | None = None) -> PreviewResult:
    latest: dict[RegistryName, list[PublishedEntry]] = {r: [] for r in REGISTRIES}
    candidates: dict[RegistryName, list[PublishedEntry]] = {r: [] for r in REGISTRIES}
    skipped: list[str] = []
    listed: dict[RegistryName, list[tuple[Connector, dict[str, Any]]]] = {r: [] for r in REGISTRIES}
    for connector in connectors:
        reasons: dict[str, list[RegistryName]] = {}
        for registry in REGISTRIES:
            if not is_listed(connector.data, registry):
                continue
            try:
                made = _entries_for(connector, registry, spec_cache, base_url, released)
            except (_Missing, RegistryEntryError, SpecUnreadable) as exc:
                reasons.setdefault(str(exc), []).append(registry)
                continue
            release, candidate = made
            key = connector.docker_repository
            latest[registry].append(PublishedEntry(key, connector.name, release))
            listed[registry].append((connector, release))
            if candidate is not None:
                candidates[registry].append(PublishedEntry(key, connector.name, candidate))
        for reason, registries in reasons.items():
            skipped.append(f"{connector.name}: {reason}; left out of {' and '.join(registries)}")
    oss, cloud = (assemble_registry(r, latest[r], candidates[r]) for r in REGISTRIES)
    return PreviewResult(oss, cloud, skipped, listed, released)


class _Missing(Exception):
    """What the spec cache lacks for this connector."""


def _entries_for(connector: Connector, registry: RegistryName, spec_cache: SpecCache, base_url: str,
                 released_store: Store | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The entry the registry lists, and the release candidate riding on it (if any)."""
    icon_url = None
    if (connector.path / "icon.svg").is_file():
        icon_url = f"{base_url.rstrip('/')}/{layout.icon(connector.docker_repository)}"
    package_info = _package_info(connector)
    if not versions.is_release_candidate(connector.version):
        return _entry(connector.metadata, registry, spec_cache, icon_url, package_info), None
    candidate = _entry(connector.metadata, registry, spec_cache, icon_url, package_info)
    if released_store is not None:
        return _released_entry(released_store, connector, registry, base_url), candidate
    released = spec_cache.latest_release_below(registry_coordinates(connector.data, registry)[0], connector.version)
    if released is None:
        raise _Missing(f"release candidate {connector.version} and no released version in the spec cache")
    data = connector.data.model_copy(update={"dockerImageTag": released})
    as_released = connector.metadata.model_copy(update={"data": data})
    return _entry(as_released, registry, spec_cache, icon_url, package_info), candidate


def _released_entry(store: Store, connector: Connector, registry: RegistryName, base_url: str) -> dict[str, Any]:
    """The store's ``latest/`` entry, with ``iconUrl`` as :func:`generate_registries` sets it."""
    repository = connector.docker_repository
    raw = store.read_bytes(layout.channel_file(repository, layout.LATEST, layout.entry_file_name(registry)))
    try:
        entry = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        entry = None
    if not isinstance(entry, dict):
        raise _Missing(f"release candidate {connector.version} and no released {registry} entry in the store "
                       f"({layout.channel_folder(repository, layout.LATEST)}/)")
    has_icon = store.exists(layout.icon(repository))
    return with_icon(entry, store.public_url(layout.icon(repository), base_url) if has_icon else None)


def _package_info(connector: Connector) -> dict[str, str] | None:
    """``cdk_version`` from the connector's poetry.lock, as publish records it from the same lock."""
    if connector.language is not Language.PYTHON:
        return None
    cdk = locked_cdk_version(connector.path)
    return {"cdk_version": f"python:{cdk}"} if cdk else None


def _entry(metadata: ConnectorMetadata, registry: RegistryName, spec_cache: SpecCache,
           icon_url: str | None, package_info: dict[str, str] | None) -> dict[str, Any]:
    repository, tag = registry_coordinates(metadata.data, registry)
    spec = spec_cache.spec_for(repository, tag, registry)
    if spec is None:
        raise _Missing(f"no spec at {layout.spec_file(repository, tag)}")
    entry = build_registry_entry(metadata, registry, spec=spec, icon_url=icon_url, package_info=package_info)
    assert entry is not None  # is_listed was checked by the caller
    return entry
