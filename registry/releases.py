"""Which recorded version is a connector's default: the highest released one that is not yanked.

A version counts once its marker (``publish.json``) is in the store. Release candidates and
pre-releases (``-rc.N``, ``-dev.<sha>``) never count; a yanked version (``yanked.json``) does not
either, until it is unyanked. ``latest/`` is a copy of the default's version folder.

    default_version(store, "airbyte/source-x")        # "1.2.3", or None when nothing qualifies
    point_latest(store, "airbyte/source-x", "1.2.3")  # latest/ now holds 1.2.3's files
"""

from __future__ import annotations

import json
from typing import Any

from connector_build import versions
from registry import layout
from registry.store import Store


def is_release(version: str) -> bool:
    """A plain ``X.Y.Z``: what may become a connector's default."""
    return versions.parse(version) is not None and not versions.is_prerelease(version)


def recorded_versions(store: Store, repository: str) -> list[str]:
    return [layout.version_of_marker(p) for p in store.glob(layout.version_marker_glob(repository))]


def yanked_versions(store: Store, repository: str) -> set[str]:
    return {layout.version_of_marker(p) for p in store.glob(layout.version_marker_glob(repository, layout.YANK_FILE))}


def default_version(store: Store, repository: str, *, also: str | None = None) -> str | None:
    """The highest released, non-yanked recorded version; ``also`` counts as recorded (it is being
    recorded right now, its marker comes last)."""
    recorded = set(recorded_versions(store, repository))
    if also:
        recorded.add(also)
    candidates = [v for v in recorded - yanked_versions(store, repository) if is_release(v)]
    return max(candidates, key=versions.sort_key) if candidates else None


def latest_version(store: Store, repository: str) -> str | None:
    """The version ``latest/`` holds now (its ``oss.json``/``metadata.yaml`` say which), or None."""
    raw = store.read_bytes(layout.channel_file(repository, layout.LATEST, layout.entry_file_name("oss"))) \
        or store.read_bytes(layout.channel_file(repository, layout.LATEST, layout.entry_file_name("cloud")))
    if raw:
        try:
            tag = json.loads(raw).get("dockerImageTag")
        except (json.JSONDecodeError, AttributeError):
            tag = None
        if isinstance(tag, str):
            return tag
    return None


def point_latest(store: Store, repository: str, version: str | None) -> list[str]:
    """Make ``latest/`` a copy of ``version``'s files (or empty it for None); the paths changed."""
    changed = []
    for name in layout.CHANNEL_FILES:
        target = layout.channel_file(repository, layout.LATEST, name)
        data = store.read_bytes(layout.version_file(repository, version, name)) if version else None
        if data is not None:
            if store.write_bytes_atomic(target, data):
                changed.append(target)
        elif (version is None or name.endswith(".json")) and store.delete(target):
            changed.append(target)  # that registry dropped it, or nothing is left to be latest
    return changed


def read_yank(store: Store, repository: str, version: str) -> dict[str, Any] | None:
    raw = store.read_bytes(layout.yank_marker(repository, version))
    if raw is None:
        return None
    try:
        found = json.loads(raw)
    except json.JSONDecodeError:
        return {"version": version, "reason": "(unreadable yank marker)"}
    return found if isinstance(found, dict) else {"version": version}


def all_yanks(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    """``{repository: {version: yank record}}`` for the whole store, in one listing."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in store.find(layout.METADATA_DIR):
        if path.endswith("/" + layout.YANK_FILE):
            repository, version = layout.repository_of_marker(path), layout.version_of_marker(path)
            found.setdefault(repository, {})[version] = read_yank(store, repository, version) or {}
    return found
