"""Release candidates: promote one to its release by digest, or roll it back, from the store alone.

A progressive-rollout candidate ``X.Y.Z-rc.N`` is recorded in its version folder and copied into
``release_candidate/``, from where it rides in the main entry's ``releases.releaseCandidates``.

Promote tags the candidate's image index ``X.Y.Z`` by digest (no rebuild: what ships is exactly
what was tested), records ``X.Y.Z`` with the candidate's specs, dependencies, metadata and entries
(version fields rewritten, progressive rollout off as a release has it), moves ``latest`` (the image
tag and the store folder) when ``X.Y.Z`` is the highest released version not yanked, writes the marker
last, regenerates the registries, and only then empties ``release_candidate/``. A later ``publish``
of the bumped metadata finds ``X.Y.Z`` recorded with that digest and does nothing.

Rollback takes the candidate out of ``release_candidate/`` (its entries first, then the registries are
regenerated, then its metadata.yaml): the default stays, the candidate's image and records stay.

Each step is safe to interrupt: the ``X.Y.Z`` tag exists before any store file names it, and a rerun
finds the candidate (its ``release_candidate/metadata.yaml`` goes last) and finishes the job.

    result = await promote(store, client, ["source-x"], base_url=url)
    result.done     # [Promoted("airbyte/source-x", "1.3.0-rc.2", "1.3.0", "sha256:…", ...)]
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import semver
import yaml

from connector_build import versions
from connector_build.problems import UserError
from registry import layout, releases
from registry.compile import CompiledRegistry, generate_registries
from registry.entries import validate_entry
from registry.latest_tag import TagMove, follow_default, recorded_digest
from registry.models import REGISTRIES, entry_kind
from registry.oci import RegistryClient
from registry.store import Store
from registry.store_lease import LeaseSettings, StoreLease
from registry.yank import resolve_repository


class RolloutError(UserError):
    """A promote or rollback the store or the registry cannot honour (no candidate, yanked, conflict)."""


@dataclass(frozen=True)
class Promotion:
    repository: str
    candidate: str
    release: str
    digest: str
    tag_release: bool
    """The registry has no ``X.Y.Z`` tag yet (False: it has this digest already, a rerun)."""
    resumed: bool = False
    """``X.Y.Z`` was already recorded from this candidate: an interrupted promote being finished."""


@dataclass
class RolloutResult:
    promoted: list[Promotion] = field(default_factory=list)
    rolled_back: list[tuple[str, str]] = field(default_factory=list)
    """(repository, candidate version)."""
    unchanged: list[str] = field(default_factory=list)
    """One line per connector with nothing left to do."""
    defaults: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    """(repository, registry default before, after)."""
    tag_moves: list[TagMove] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    """``--dry-run``: what would be tagged and written, one line each."""
    registries: tuple[CompiledRegistry, CompiledRegistry] | None = None


def candidate_version(store: Store, repository: str) -> str | None:
    """The version in ``release_candidate/`` (its metadata.yaml, which a rollback removes last), or None."""
    raw = store.read_bytes(layout.channel_file(repository, layout.RELEASE_CANDIDATE, layout.METADATA_FILE))
    if raw is None:
        for registry in REGISTRIES:
            entry = store.read_bytes(layout.channel_file(repository, layout.RELEASE_CANDIDATE,
                                                         layout.entry_file_name(registry)))
            tag = _json_object(entry).get("dockerImageTag") if entry else None
            if isinstance(tag, str):
                return tag
        return None
    try:
        document = yaml.safe_load(raw)
        tag = document["data"]["dockerImageTag"]
    except (yaml.YAMLError, KeyError, TypeError):
        return None
    return str(tag)


def release_of(candidate: str) -> str:
    """``1.3.0-rc.2`` -> ``1.3.0``."""
    return str(semver.Version.parse(candidate).finalize_version())


def _marker(store: Store, repository: str, version: str) -> dict[str, Any]:
    return _json_object(store.read_bytes(layout.marker(repository, version)))


def _json_object(raw: bytes | None) -> dict[str, Any]:
    try:
        found = json.loads(raw) if raw else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return found if isinstance(found, dict) else {}


# -- promote ----------------------------------------------------------------------------------------


async def plan_promotion(store: Store, client: RegistryClient, name: str) -> Promotion | str:
    """Check one connector (reads only); a :class:`Promotion`, or a line saying there is nothing to do."""
    repository = resolve_repository(store, name)
    candidate = candidate_version(store, repository)
    if candidate is None:
        default = releases.default_version(store, repository)
        promoted_from = _marker(store, repository, default).get("promoted_from") if default else None
        if promoted_from:
            return f"{repository}: {promoted_from} was promoted to {default}; no release candidate left to promote"
        raise RolloutError(f"{repository} has no release candidate to promote "
                           f"(nothing in {layout.channel_folder(repository, layout.RELEASE_CANDIDATE)}/)")
    if not versions.is_release_candidate(candidate):
        raise RolloutError(f"{repository}: {candidate} in release_candidate/ is not an X.Y.Z-rc.N version")
    digest = recorded_digest(store, repository, candidate)
    if digest is None:
        raise RolloutError(f"{repository}: release candidate {candidate} is not recorded as published "
                           f"(no {layout.marker(repository, candidate)}); publish it first")
    if candidate in releases.yanked_versions(store, repository):
        raise RolloutError(f"{repository}: release candidate {candidate} is yanked; unyank it to promote it, "
                           "or roll it back")
    release = release_of(candidate)
    resumed = False
    if store.exists(layout.marker(repository, release)):
        recorded = recorded_digest(store, repository, release)
        if recorded != digest:
            raise RolloutError(f"{repository} {release} is already published with another image ({recorded}); "
                               f"{candidate} ({digest}) cannot become {release}: roll it back")
        resumed = True
    if await client.get_manifest(repository, digest) is None:
        raise RolloutError(f"{repository}: the candidate's image {candidate}@{digest} is not on the registry "
                           f"{client.registry}")
    tagged = await client.manifest_digest(repository, release)
    if tagged not in (None, digest):
        raise RolloutError(f"conflict: {client.registry}/{repository}:{release} exists with another digest "
                           f"({tagged}); not overwriting a published tag")
    return Promotion(repository, candidate, release, digest, tag_release=tagged is None, resumed=resumed)


def planned_promotion(promotion: Promotion) -> list[str]:
    repo, release = promotion.repository, promotion.release
    lines = []
    if promotion.tag_release:
        lines.append(f"{repo}: would tag {promotion.candidate}'s image {promotion.digest} as {release}")
    lines += [f"{repo}: would write {path}" for path in _release_paths(repo, release)]
    lines.append(f"{repo}: would move latest (image tag and store) to {release} if it is the highest "
                 "released version not yanked")
    lines.append(f"{repo}: would write {layout.marker(repo, release)}")
    lines.append(f"{repo}: would empty {layout.channel_folder(repo, layout.RELEASE_CANDIDATE)}/")
    return lines


async def promote(store: Store, client: RegistryClient, names: Sequence[str], *, base_url: str,
                  dry_run: bool = False, settings: LeaseSettings = LeaseSettings(),
                  on_wait: Callable[[str], None] | None = None) -> RolloutResult:
    """Promote each named connector's candidate; every connector is checked before anything is written."""
    result = RolloutResult()
    plans: list[Promotion] = []
    for name in dict.fromkeys(names):
        found = await plan_promotion(store, client, name)
        if isinstance(found, str):
            result.unchanged.append(found)
        else:
            plans.append(found)
    if dry_run:
        result.planned = [line for plan in plans for line in planned_promotion(plan)]
        return result
    if not plans:
        return result
    held = await _take_leases(store, [plan.repository for plan in plans], settings, on_wait)
    try:
        again = [await plan_promotion(store, client, plan.repository) for plan in plans]  # under the lease
        promotions = [plan for plan in again if isinstance(plan, Promotion)]
        result.unchanged += [plan for plan in again if isinstance(plan, str)]
        for plan in promotions:
            before = releases.latest_version(store, plan.repository)
            result.tag_moves.append(await _record_release(store, client, plan))
            result.promoted.append(plan)
            result.defaults.append((plan.repository, before, releases.latest_version(store, plan.repository)))
        for plan in promotions:  # its entries first: the candidate no longer rides in the registries
            _clear_candidate(store, plan.repository, entries_only=True)
        result.registries = generate_registries(store, base_url=base_url)
        for plan in promotions:
            _clear_candidate(store, plan.repository, entries_only=False)
    finally:
        for lease in reversed(held):
            lease.release()
    return result


def _release_paths(repository: str, release: str) -> list[str]:
    return [layout.spec_file(repository, release), layout.dependencies_file(repository, release),
            *(layout.version_file(repository, release, name) for name in layout.CHANNEL_FILES)]


async def _record_release(store: Store, client: RegistryClient, plan: Promotion) -> TagMove:
    """The release tag, the version's files, ``latest``, then the marker: the order publish keeps."""
    repo, candidate, release = plan.repository, plan.candidate, plan.release
    if plan.tag_release:
        index = await client.get_manifest(repo, plan.digest)
        if index is None:
            raise RolloutError(f"{repo}: {candidate}@{plan.digest} vanished from the registry {client.registry}")
        tagged = await client.put_manifest(repo, release, index.body, index.media_type)
        if tagged != plan.digest:
            raise RolloutError(f"{repo}: the registry stored {release} as {tagged}, not {plan.digest}")
    for name in (layout.SPEC_FILE, layout.CLOUD_SPEC_FILE):
        _copy(store, layout.spec_file(repo, candidate, name), layout.spec_file(repo, release, name))
    _copy(store, layout.dependencies_file(repo, candidate), layout.dependencies_file(repo, release),
          lambda raw: _json_bytes({**_json_object(raw), "connector_version": release}))
    _copy(store, layout.version_file(repo, candidate, layout.METADATA_FILE),
          layout.version_file(repo, release, layout.METADATA_FILE), lambda raw: _released_metadata(raw, release))
    _copy(store, layout.version_file(repo, candidate, layout.ICON_FILE),
          layout.version_file(repo, release, layout.ICON_FILE))
    for registry in REGISTRIES:
        name = layout.entry_file_name(registry)
        _copy(store, layout.version_file(repo, candidate, name), layout.version_file(repo, release, name),
              lambda raw: _released_entry(raw, repo, release))
    move = await follow_default(client, store, repo, recording=(release, plan.digest))
    if releases.default_version(store, repo, also=release) == release:
        releases.point_latest(store, repo, release)
    if not plan.resumed:
        candidate_marker = _marker(store, repo, candidate)
        marker = {"digest": plan.digest, "version": release, "channel": layout.LATEST, "promoted_from": candidate,
                  "published_at": dt.datetime.now(dt.UTC).isoformat(), "platforms": candidate_marker.get("platforms")}
        store.write_bytes_atomic(layout.marker(repo, release), _json_bytes(marker))
    return move


def _copy(store: Store, source: str, target: str, rewrite: Callable[[bytes], bytes] | None = None) -> None:
    raw = store.read_bytes(source)
    if raw is not None:
        store.write_bytes_atomic(target, rewrite(raw) if rewrite else raw)


def _released_metadata(raw: bytes, release: str) -> bytes:
    """The candidate's metadata.yaml as the bumped release's: its tag, and progressive rollout off."""
    document = yaml.safe_load(raw)
    data = document["data"]
    candidate = data.get("dockerImageTag")
    data["dockerImageTag"] = release
    for override in (data.get("registryOverrides") or {}).values():
        if isinstance(override, dict) and override.get("dockerImageTag") == candidate:
            override["dockerImageTag"] = release
    rollout = (data.get("releases") or {}).get("rolloutConfiguration")
    if isinstance(rollout, dict) and rollout.get("enableProgressiveRollout"):
        rollout["enableProgressiveRollout"] = False
    return yaml.safe_dump(document, sort_keys=False).encode()


def _released_entry(raw: bytes, repository: str, release: str) -> bytes:
    entry = json.loads(raw)
    entry["dockerImageTag"] = release
    rollout = (entry.get("releases") or {}).get("rolloutConfiguration")
    if isinstance(rollout, dict) and rollout.get("enableProgressiveRollout"):
        rollout["enableProgressiveRollout"] = False
    file_info = (entry.get("generated") or {}).get("source_file_info")
    if isinstance(file_info, dict) and "metadata_file_path" in file_info:
        file_info["metadata_file_path"] = layout.version_file(repository, release, layout.METADATA_FILE)
    return _json_bytes(validate_entry(entry, entry_kind(entry) or "source"))


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


# -- rollback ---------------------------------------------------------------------------------------


def plan_rollback(store: Store, name: str) -> tuple[str, str]:
    repository = resolve_repository(store, name)
    candidate = candidate_version(store, repository)
    if candidate is None:
        raise RolloutError(f"{repository} has no release candidate to roll back "
                           f"(nothing in {layout.channel_folder(repository, layout.RELEASE_CANDIDATE)}/)")
    return repository, candidate


async def rollback(store: Store, names: Sequence[str], *, base_url: str, dry_run: bool = False,
                   settings: LeaseSettings = LeaseSettings(),
                   on_wait: Callable[[str], None] | None = None) -> RolloutResult:
    """Take each named connector's candidate out of the registries; its default stays."""
    result = RolloutResult()
    plans = [plan_rollback(store, name) for name in dict.fromkeys(names)]
    if dry_run:
        result.planned = [f"{repo}: would take {candidate} out of releaseCandidates and empty "
                          f"{layout.channel_folder(repo, layout.RELEASE_CANDIDATE)}/" for repo, candidate in plans]
        return result
    held = await _take_leases(store, [repo for repo, _ in plans], settings, on_wait)
    try:
        for repository, _ in plans:
            _clear_candidate(store, repository, entries_only=True)
        result.registries = generate_registries(store, base_url=base_url)
        for repository, candidate in plans:
            _clear_candidate(store, repository, entries_only=False)
            result.rolled_back.append((repository, candidate))
            default = releases.latest_version(store, repository)
            result.defaults.append((repository, default, default))
    finally:
        for lease in reversed(held):
            lease.release()
    return result


# -- shared -----------------------------------------------------------------------------------------


def _clear_candidate(store: Store, repository: str, *, entries_only: bool) -> None:
    """The registry entries first (they make it ride along); metadata.yaml last (it names the candidate)."""
    names = [n for n in layout.CHANNEL_FILES if n.endswith(".json")]
    if not entries_only:
        names = [layout.ICON_FILE, layout.METADATA_FILE]
    for name in names:
        store.delete(layout.channel_file(repository, layout.RELEASE_CANDIDATE, name))


async def _take_leases(store: Store, repositories: Sequence[str], settings: LeaseSettings,
                       on_wait: Callable[[str], None] | None) -> list[StoreLease]:
    """Each connector's publish lease, then the registries lease: the order yank keeps."""
    leases = [StoreLease(store, layout.connector_lock(repo), f"the publish lease of {repo}", settings)
              for repo in sorted(dict.fromkeys(repositories))]
    leases.append(StoreLease(store, layout.REGISTRIES_LOCK, "the registries lease", settings))
    held: list[StoreLease] = []
    try:
        for lease in leases:
            await lease.acquire(on_wait=on_wait)
            held.append(lease)
    except BaseException:
        for lease in reversed(held):
            lease.release()
        raise
    return held
