"""Compile the two registry files from the latest published entry of every connector.

    oss, cloud = generate_registries(store, base_url="http://host:8080/files/")
    oss.to_dict()      # {"destinations": [...], "sources": [...]}, as written
    oss.problems       # entries left out, one line each, with the reason

What the platform rejects is never written: a ``dockerImageTag`` that is not semver, a source
``sourceType`` outside api/file/database/custom, a definition id seen twice (the whole file would
fail to load). Entries are sorted by name, then repository, so a regeneration diffs cleanly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from connector_build import versions
from connector_build.problems import UserError
from registry import layout
from registry.json_files import dump_json
from registry.layout import LATEST, RELEASE_CANDIDATE
from registry.models import (
    REGISTRIES,
    SOURCE_TYPES,
    RegistryName,
    definition_id,
    entry_kind,
    model_for,
)
from registry.registry_signatures import drop_stale_signatures, sign_registry_files
from registry.signing import SigningKey
from registry.store import Store


@dataclass
class CompiledRegistry:
    name: RegistryName
    sources: list[dict[str, Any]] = field(default_factory=list)
    destinations: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Entries left out, and why."""
    warnings: list[str] = field(default_factory=list)
    """Entries kept that deserve a look (e.g. a destination ``sourceType`` the platform ignores)."""

    def __len__(self) -> int:
        return len(self.sources) + len(self.destinations)

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {"destinations": self.destinations, "sources": self.sources}

    def to_bytes(self) -> bytes:
        return dump_json(self.to_dict())


@dataclass(frozen=True)
class PublishedEntry:
    """One entry as found in a store (or made by a preview), with where it came from."""

    key: str
    """The connector's folder in the store (``airbyte/source-x``): what icon and candidates hang on."""
    origin: str
    """Shown in messages: a store path or a connector name."""
    entry: dict[str, Any]


class RegistryShrinks(UserError):
    """A regeneration would drop connectors from a registry that lists them."""


def generate_registries(store: Store, *, base_url: str, max_dropped_share: float = 0.0, force: bool = False,
                        expected_drops: Collection[str] = (), signing_key: SigningKey | None = None,
                        ) -> tuple[CompiledRegistry, CompiledRegistry]:
    """Read ``metadata/**/{latest,release_candidate}/{oss,cloud}.json``; write both registry files.

    ``iconUrl`` is pointed at ``<base_url>/metadata/<repo>/latest/icon.svg`` when that icon is in
    the store (and dropped when it is not), so a store served somewhere new needs only a rerun.
    Each file is replaced atomically; an unchanged file is not rewritten.

    A non-empty registry is never replaced by one that drops more than ``max_dropped_share`` of
    its connectors (default: none), unless ``force``: a half-synced or wrong store would otherwise
    empty what every platform reads. ``expected_drops`` (repositories) are drops asked for (a yank
    of a connector's last version). Nothing is written when either registry would shrink.

    With ``signing_key``, each file gets its detached ``.sig`` (kept when it still verifies);
    without one, the ``.sig`` of a file that changed is removed, since it no longer signs it.
    """
    listing = store.find(layout.METADATA_DIR)
    found = _published_files(listing)
    yanked = _yanked_versions(listing)
    icons = {key for key, channel, name in found if channel == LATEST and name == layout.ICON_FILE}
    compiled = []
    for registry in REGISTRIES:
        by_channel: dict[str, list[PublishedEntry]] = {LATEST: [], RELEASE_CANDIDATE: []}
        problems: list[str] = []
        for key, channel, name in found:
            if name != layout.entry_file_name(registry):
                continue
            path = layout.channel_file(key, channel, name)
            entry = _read_entry(store, path, problems)
            if entry is None:
                continue
            icon = store.public_url(layout.icon(key), base_url) if key in icons else None
            if channel == RELEASE_CANDIDATE and (key, str(entry.get("dockerImageTag"))) in yanked:
                continue  # a yanked candidate rolls out no further
            by_channel[channel].append(PublishedEntry(key, path, with_icon(entry, icon)))
        result = assemble_registry(registry, by_channel[LATEST], by_channel[RELEASE_CANDIDATE])
        result.problems[:0] = problems
        if not force:
            _refuse_shrinking(store, result, max_dropped_share, set(expected_drops))
        compiled.append(result)
    changed = [layout.registry_file(result.name) for result in compiled
               if store.write_bytes_atomic(layout.registry_file(result.name), result.to_bytes())]
    if signing_key is not None:
        sign_registry_files(store, signing_key)
    else:
        drop_stale_signatures(store, changed)
    return compiled[0], compiled[1]


def dropped_connectors(store: Store, compiled: CompiledRegistry) -> tuple[list[str], int]:
    """Repositories the registry file in the store lists and ``compiled`` does not, and how many it lists."""
    raw = store.read_bytes(layout.registry_file(compiled.name))
    if not raw:
        return [], 0
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return [], 0  # an unreadable registry protects nothing: replacing it is the repair
    if not isinstance(document, dict):
        return [], 0
    before = {str(e.get("dockerRepository")) for kind in ("sources", "destinations")
              for e in document.get(kind) or [] if isinstance(e, dict)}
    after = {str(e.get("dockerRepository")) for e in (*compiled.sources, *compiled.destinations)}
    return sorted(before - after), len(before)


def _refuse_shrinking(store: Store, compiled: CompiledRegistry, max_share: float, expected: set[str]) -> None:
    dropped, listed = dropped_connectors(store, compiled)
    unexpected = [repo for repo in dropped if repo not in expected]
    if listed and unexpected and len(unexpected) / listed > max_share:
        shown = ", ".join(unexpected[:5]) + (f" (+{len(unexpected) - 5} more)" if len(unexpected) > 5 else "")
        raise RegistryShrinks(
            f"{layout.registry_file(compiled.name)}: regenerating would drop {len(unexpected)} of its {listed} "
            f"connector(s) ({shown}); not written. Check the store, or pass --force (or --max-dropped-share)")


def assemble_registry(
    name: RegistryName, latest: Iterable[PublishedEntry], candidates: Iterable[PublishedEntry] = ()
) -> CompiledRegistry:
    """Check each entry as the platform will, attach progressive-rollout candidates, sort."""
    result = CompiledRegistry(name)
    kept: dict[str, dict[str, Any]] = {}
    for published in latest:
        entry = _checked(published, result)
        if entry is not None:
            kept[published.key] = entry
    for published in candidates:
        candidate = _checked(published, result)
        if candidate is not None:
            _attach_candidate(published, candidate, kept.get(published.key), result)
    seen: dict[tuple[str | None, str], str] = {}  # the platform indexes sources and destinations apart
    for entry in sorted(kept.values(), key=sort_key):
        ident = (entry_kind(entry), definition_id(entry) or "")
        if ident in seen:
            result.problems.append(f"{entry['dockerRepository']}: definition id {ident[1]} is already used by "
                                   f"{seen[ident]}; left out (the platform refuses duplicates)")
            continue
        seen[ident] = entry["dockerRepository"]
        (result.sources if entry_kind(entry) == "source" else result.destinations).append(entry)
    return result


def sort_key(entry: dict[str, Any]) -> tuple[str, str, str]:
    name = str(entry.get("name", ""))
    return name.casefold(), name, str(entry.get("dockerRepository", ""))


def _checked(published: PublishedEntry, result: CompiledRegistry) -> dict[str, Any] | None:
    entry = published.entry
    kind = entry_kind(entry)
    if kind is None:
        result.problems.append(f"{published.origin}: no sourceDefinitionId or destinationDefinitionId; left out")
        return None
    source_type = entry.get("sourceType")
    if source_type is not None and source_type not in SOURCE_TYPES:
        if kind == "source":
            result.problems.append(f"{published.origin}: sourceType '{source_type}' is not one of "
                                   f"{', '.join(SOURCE_TYPES)}; left out (the platform rejects it)")
            return None
        result.warnings.append(f"{published.origin}: destination sourceType '{source_type}' kept as Airbyte does "
                               "(the platform ignores sourceType on destinations)")
    try:
        model = model_for(entry).model_validate(entry)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        result.problems.append(f"{published.origin}: {where}: {error['msg'].removeprefix('Value error, ')}; left out")
        return None
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def _attach_candidate(published: PublishedEntry, candidate: dict[str, Any], latest: dict[str, Any] | None,
                      result: CompiledRegistry) -> None:
    """A progressive-rollout RC at or above the latest release rides along in its ``releases``."""
    rollout = (candidate.get("releases") or {}).get("rolloutConfiguration") or {}
    if not rollout.get("enableProgressiveRollout"):
        return
    tag = candidate["dockerImageTag"]
    if latest is None:
        result.warnings.append(f"{published.origin}: release candidate {tag} has no released version in "
                               f"the {result.name} registry to ride on; not listed")
        return
    if versions.sort_key(tag) < versions.sort_key(latest["dockerImageTag"]):
        return
    latest["releases"] = {**(latest.get("releases") or {}), "releaseCandidates": {tag: candidate}}


def _published_files(listing: list[str]) -> list[tuple[str, layout.Channel, str]]:
    """``(repo folder, channel, file name)`` for every file in a latest/ or release_candidate/ folder."""
    found = (layout.parse_channel_file(path) for path in listing)
    return [parsed for parsed in found if parsed is not None]


def _yanked_versions(listing: list[str]) -> set[tuple[str, str]]:
    """``(repo folder, version)`` of every yank marker in the same listing."""
    return {(layout.repository_of_marker(path), layout.version_of_marker(path)) for path in listing
            if path.endswith("/" + layout.YANK_FILE)}


def _read_entry(store: Store, path: str, problems: list[str]) -> dict[str, Any] | None:
    raw = store.read_bytes(path)
    if raw is None:
        return None
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problems.append(f"{path}: not JSON ({exc}); left out")
        return None
    if not isinstance(entry, dict):
        problems.append(f"{path}: expected a JSON object; left out")
        return None
    return entry


def with_icon(entry: dict[str, Any], icon_url: str | None) -> dict[str, Any]:
    entry = dict(entry)
    if icon_url:
        entry["iconUrl"] = icon_url
    else:
        entry.pop("iconUrl", None)
    return entry
