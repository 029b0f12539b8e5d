"""The image registry's ``latest`` tag follows the store's default version, by digest, never forwards past it.

``publish`` moves ``latest`` only forwards (registry/releases.py). A yank, an unyank and a promote
change which recorded version is the default without pushing anything; this module then moves the
tag to the default's image index (the digest its ``publish.json`` records), but only when the tag
is absent, names a yanked version, or names a recorded version older than the default. A tag naming
an image this store does not record is somebody else's and is left alone.

    move = await follow_default(client, store, "airbyte/source-x")
    move.changed, move.summary()     # True, "latest 1.2.3 -> 1.2.2 (sha256:ab…)"
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from connector_build import versions
from registry import layout, releases
from registry.oci import RegistryClient
from registry.store import Store


@dataclass(frozen=True)
class TagMove:
    repository: str
    before: str | None
    """What ``latest`` named: a version (``1.2.3``, ``1.2.3 / 1.2.3-rc.1`` when one image has both
    tags), a bare digest the store does not record, or None when there was no tag."""
    after: str | None
    """The version it names now (None: unchanged or left alone)."""
    digest: str | None = None
    note: str | None = None
    """Why it was left alone, when it was."""

    @property
    def changed(self) -> bool:
        return self.after is not None

    def summary(self) -> str:
        if self.changed:
            return f"image tag latest {self.before or 'absent'} -> {self.after} ({(self.digest or '')[:19]})"
        return f"image tag latest stays {self.before or 'absent'}" + (f" ({self.note})" if self.note else "")


def recorded_digest(store: Store, repository: str, version: str) -> str | None:
    """The image index digest ``publish.json`` records for a version."""
    raw = store.read_bytes(layout.marker(repository, version))
    try:
        digest = json.loads(raw).get("digest") if raw else None
    except (json.JSONDecodeError, AttributeError):
        return None
    return digest if isinstance(digest, str) else None


def versions_by_digest(store: Store, repository: str) -> dict[str, list[str]]:
    """Every recorded version of ``repository`` grouped by image digest (a promoted release shares
    its candidate's)."""
    found: dict[str, list[str]] = {}
    for version in releases.recorded_versions(store, repository):
        digest = recorded_digest(store, repository, version)
        if digest:
            found.setdefault(digest, []).append(version)
    return found


async def follow_default(client: RegistryClient, store: Store, repository: str, *,
                         recording: tuple[str, str] | None = None, dry_run: bool = False) -> TagMove:
    """Point ``latest`` at the default version's image when it lags behind it or names a yanked version.

    ``recording`` is ``(version, digest)`` of a version being recorded right now (its marker comes last).
    """
    default = releases.default_version(store, repository, also=recording[0] if recording else None)
    current = await client.manifest_digest(repository, layout.LATEST)
    by_digest = versions_by_digest(store, repository) if current else {}
    if recording:
        by_digest.setdefault(recording[1], []).append(recording[0])
    named = sorted(by_digest.get(current or "", []), key=versions.sort_key)
    before = " / ".join(reversed(named)) if named else current
    yanked = releases.yanked_versions(store, repository)
    if default is None:
        note = "no released version left that is not yanked" if current else None
        return TagMove(repository, before, None, note=note)
    wanted = recording[1] if recording and recording[0] == default else recorded_digest(store, repository, default)
    if wanted is None or current == wanted:
        return TagMove(repository, before, None, note=None if wanted else f"{default} records no digest")
    if current is not None and not named:
        return TagMove(repository, before, None, note="it names an image this store does not record")
    behind = all(versions.sort_key(v) < versions.sort_key(default) for v in named)
    if current is not None and not behind and not any(v in yanked for v in named):
        return TagMove(repository, before, None, note=f"it is not behind {default}")
    if not dry_run:
        index = await client.get_manifest(repository, wanted)
        if index is None:
            return TagMove(repository, before, None, note=f"{default}'s image {wanted[:19]} is not on the registry")
        await client.put_manifest(repository, layout.LATEST, index.body, index.media_type)
    return TagMove(repository, before, default, digest=wanted)
