"""Take a bad version back without a new one: a yank marker, ``latest/`` re-pointed, registries recompiled.

The yanked version stays recorded, and its image stays on the OCI registry for whoever pins it;
it is only never a connector's default (its registry entry) again until unyanked. Nothing is
rebuilt and nothing in git changes: the new default is the highest released, non-yanked version
the store already holds. Given the image registry, its ``latest`` tag follows the default by digest
(registry/latest_tag.py): back when it named the yanked version, forward again on unyank.

    result = yank(store, [("source-x", "1.2.3")], reason="breaks sync", by="alice", base_url=url)
    result.changes   # [("airbyte/source-x", "1.2.3", "1.2.2")]: the default before and after
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

from connector_build.problems import UserError
from registry import layout, releases
from registry.compile import CompiledRegistry, generate_registries
from registry.latest_tag import TagMove, follow_default
from registry.oci import RegistryClient
from registry.store import Store
from registry.store_lease import LeaseSettings, StoreLease


class YankError(UserError):
    """A yank or unyank that names something the store does not hold."""


@dataclass
class YankResult:
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    """(repository, default before, default after) for each connector named."""
    unchanged: list[str] = field(default_factory=list)
    """``repo version``: already in the state asked for."""
    dropped: set[str] = field(default_factory=set)
    """Connectors left with no released version: they leave the registries."""
    registries: tuple[CompiledRegistry, CompiledRegistry] | None = None
    tag_moves: list[TagMove] = field(default_factory=list)
    """What the image registry's ``latest`` tag did, per connector (empty without an image registry)."""


ImageRegistry = Callable[[], RegistryClient]
"""Opens a client of the image registry whose ``latest`` tags follow the defaults."""


def default_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def resolve_repository(store: Store, name: str) -> str:
    """``source-x`` -> the store folder holding it (``airbyte/source-x``); ``org/name`` as given."""
    if "/" in name:
        return name
    found = [path.removeprefix(f"{layout.METADATA_DIR}/") for path in store.glob(layout.repository_glob(name))]
    if not found:
        raise YankError(f"no connector '{name}' in the store {store.url}")
    if len(found) > 1:
        raise YankError(f"'{name}' is ambiguous in the store ({', '.join(found)}); name the repository")
    return found[0]


def yank(store: Store, targets: Sequence[tuple[str, str]], *, reason: str, by: str, base_url: str,
         settings: LeaseSettings = LeaseSettings(), on_wait: Callable[[str], None] | None = None,
         image_registry: ImageRegistry | None = None) -> YankResult:
    return _apply(store, targets, reason=reason, by=by, base_url=base_url, settings=settings, on_wait=on_wait,
                  image_registry=image_registry)


def unyank(store: Store, targets: Sequence[tuple[str, str]], *, base_url: str,
           settings: LeaseSettings = LeaseSettings(), on_wait: Callable[[str], None] | None = None,
           image_registry: ImageRegistry | None = None) -> YankResult:
    return _apply(store, targets, reason=None, by="", base_url=base_url, settings=settings, on_wait=on_wait,
                  image_registry=image_registry)


def _apply(store: Store, targets: Sequence[tuple[str, str]], *, reason: str | None, by: str,
           base_url: str, settings: LeaseSettings, on_wait: Callable[[str], None] | None,
           image_registry: ImageRegistry | None) -> YankResult:
    """Check every target first (nothing is written when one is wrong), then mark, re-point, recompile."""
    resolved = [(resolve_repository(store, name), version) for name, version in targets]
    for repository, version in resolved:
        if not store.exists(layout.marker(repository, version)):
            recorded = sorted(releases.recorded_versions(store, repository))
            raise YankError(f"{repository} {version} is not a recorded version (recorded: "
                            f"{', '.join(recorded[-5:]) or 'none'})")
    repositories = sorted(dict.fromkeys(repo for repo, _ in resolved))
    if image_registry is not None:
        anyio.run(_check_access, image_registry)  # wrong credentials: refused before anything is written
    leases = [StoreLease(store, layout.connector_lock(repo), f"the publish lease of {repo}", settings)
              for repo in repositories]  # a publish of these connectors must not move latest/ meanwhile
    leases.append(StoreLease(store, layout.REGISTRIES_LOCK, "the registries lease", settings))
    held: list[StoreLease] = []
    try:
        for lease in leases:  # always in this order; a publish never holds two at once
            lease.acquire_blocking(on_wait=on_wait)
            held.append(lease)
        result = _apply_held(store, resolved, reason=reason, by=by, base_url=base_url)
        if image_registry is not None:
            result.tag_moves = anyio.run(_follow_defaults, image_registry, store, repositories)
        result.registries = generate_registries(store, base_url=base_url, expected_drops=result.dropped)
        return result
    finally:
        for lease in held:
            lease.release()


def _apply_held(store: Store, resolved: list[tuple[str, str]], *, reason: str | None, by: str,
                base_url: str) -> YankResult:
    result = YankResult()
    before = {repo: releases.latest_version(store, repo) for repo, _ in resolved}
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for repository, version in resolved:
        path = layout.yank_marker(repository, version)
        if reason is None:
            if not store.delete(path):
                result.unchanged.append(f"{repository} {version}")
        elif store.exists(path):
            result.unchanged.append(f"{repository} {version}")
        else:
            record = {"version": version, "reason": reason, "by": by, "at": at}
            store.write_bytes_atomic(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    dropped = set()
    for repository in dict.fromkeys(repo for repo, _ in resolved):
        now = releases.default_version(store, repository)
        releases.point_latest(store, repository, now)
        if now is None:
            dropped.add(repository)  # every released version yanked: the connector leaves the registries
        result.changes.append((repository, before[repository], now))
    result.dropped = dropped
    return result


async def _check_access(image_registry: ImageRegistry) -> None:
    async with image_registry() as client:
        await client.check_access()


async def _follow_defaults(image_registry: ImageRegistry, store: Store, repositories: list[str]) -> list[TagMove]:
    """The image ``latest`` of each connector after its store ``latest/`` moved, before the registries."""
    async with image_registry() as client:
        return [await follow_default(client, store, repository) for repository in repositories]
