"""The publish pipeline: reconcile with the registry, build, push once, verify, then record.

The order is the safety argument. Nothing is written to the store until the images are pushed
and pulled back; the registry's ``latest`` tag and the store's ``latest/`` move only after verify,
after the version's own files are written, and only to the highest released (non-RC, non-pre-release,
non-yanked) version recorded, so a late publish of an older version never moves them back; the
marker ``publish.json`` comes last. A run killed anywhere leaves either nothing or a state the next run
recognises (tag on the registry, no marker: verify and record without pushing).

    steps = publish_steps(engine, target, build_options)   # the list reads as the procedure

With ``--dry-run`` the steps that push or write are wrapped in :class:`DryRun`: each says what it
would do (its pure ``planned`` method) and is skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from connector_build import poetry_lock, versions
from connector_build.connector import Connector, Language
from connector_build.images import image_name
from connector_build.metadata import ConnectorMetadata
from connector_build.metadata_loader import load_metadata
from connector_build.parse_cache import ParseCache
from connector_build.plan import PLATFORMS, platform_suffix
from connector_build.problems import InvalidMetadata, UserError
from connector_build.recipes import builds_from_lock
from pipelines.build_steps import BuildImages, spec_from_output
from pipelines.engines.base import BuildOptions, Engine, RunResult
from pipelines.logs import StepLog
from pipelines.publish_state import PublishMode
from pipelines.results import RunReport, StepStatus
from pipelines.sign_step import SignImage
from pipelines.steps import ConnectorState, Outcome, Step, StepFailed, StepSkipped
from registry import layout, releases
from registry.auth import RegistryAuth
from registry.entries import write_registry_entries
from registry.oci import OCI_INDEX, RegistryClient, image_index
from registry.signing import SigningKey
from registry.store import Store
from registry.store_lease import LeaseSettings, StoreLease


@dataclass
class PublishTarget:
    """Where a publish goes; resolved once by the CLI and handed to every step."""

    registry: str
    registry_client: RegistryClient
    auth: RegistryAuth | None
    store: Store
    base_url: str
    repo_root: Path
    pre_release_sha: str | None = None
    dry_run: bool = False
    platforms: tuple[str, ...] = PLATFORMS
    lease_settings: LeaseSettings = field(default_factory=LeaseSettings)
    signing_key: SigningKey | None = None
    """Sign each verified image index (and the registry files) in cosign's format; None: no signing."""

    def image_name(self, docker_repository: str) -> str:
        return image_name(self.registry, docker_repository)

    def version_of(self, connector: Connector) -> str:
        if self.pre_release_sha:
            return versions.pre_release_tag(connector.version, self.pre_release_sha)
        return connector.version


@dataclass
class ValidateForPublish:
    """Strict metadata rules, what Airbyte's validator enforces before an upload; only for versions
    that still have to be published (what is already out is not re-judged)."""

    target: PublishTarget
    name: str = "validate"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.has_work else "nothing to publish"

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector = state.connector
        try:
            load_metadata(connector.metadata_path, display_path=connector.relative_path / "metadata.yaml",
                          folder_name=connector.name, strict=True, cache=_parse_cache())
        except InvalidMetadata as exc:
            for problem in exc.problems:
                log.write(str(problem))
            raise StepFailed(str(exc.problems[0]) + (f" (+{len(exc.problems) - 1} more)"
                                                     if len(exc.problems) > 1 else "")) from None
        if state.publish.mode is PublishMode.PUBLISH and connector.language is Language.UNKNOWN:
            # Like `build`, a skip with the reason, not a failure: nothing this tool can make.
            state.publish.mode = PublishMode.DONE
            raise StepSkipped(f"{connector.language.value} connectors cannot be built by this tool yet: "
                              f"{state.publish.version} stays unpublished")
        return Outcome(summary="metadata valid (strict)")


@functools.cache
def _parse_cache() -> ParseCache:
    """Read-only here: discovery already parsed (and cached) every file this run looks at."""
    return ParseCache.default()


@dataclass
class CheckRegistry:
    """Reconcile, not guess: ask the registry and the store what is already there."""

    target: PublishTarget
    name: str = "check"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector, publish = state.connector, state.publish
        if connector.support_level == "archived":
            publish.mode = PublishMode.DONE
            return Outcome(summary="archived connector: not published", status=StepStatus.SKIPPED)
        version = self.target.version_of(connector)
        digest = await self.target.registry_client.manifest_digest(connector.docker_repository, version)
        recorded_raw = self.target.store.read_bytes(layout.marker(connector.docker_repository, version))
        recorded = json.loads(recorded_raw) if recorded_raw else None
        publish.version = version
        where = f"{self.target.image_name(connector.docker_repository)}:{version}"
        if recorded and digest == recorded.get("digest"):
            publish.mode = PublishMode.DONE
            return Outcome(summary=f"{where} already published and recorded", status=StepStatus.SKIPPED)
        if recorded and digest is None:
            raise StepFailed(f"conflict: the store records {where} as published, but the registry has no such tag")
        if recorded and digest != recorded.get("digest"):
            raise StepFailed(f"conflict: {where} on the registry is {digest}, the store recorded "
                             f"{recorded.get('digest')}; not overwriting a published tag")
        if digest:
            await self._check_labels(connector, version, digest)
            publish.mode, publish.index_digest = PublishMode.RECORD, digest
            return Outcome(summary=f"{where} exists ({digest[:19]}), not recorded: will verify and record it")
        publish.mode = PublishMode.PUBLISH
        return Outcome(summary=f"{where} is new: will build and push")

    async def _check_labels(self, connector: Connector, version: str, digest: str) -> None:
        """An existing tag that is not this connector at this version is a conflict, never recorded."""
        client = self.target.registry_client
        manifest = await client.get_manifest(connector.docker_repository, digest)
        if manifest is None:
            return
        body = manifest.json()
        if manifest.is_index:
            first = body.get("manifests", [{}])[0].get("digest")
            manifest = await client.get_manifest(connector.docker_repository, first) if first else None
            body = manifest.json() if manifest else {}
        config_digest = body.get("config", {}).get("digest")
        if not config_digest:
            return
        config = await client.get_blob_json(connector.docker_repository, config_digest)
        labels = (config.get("config") or {}).get("Labels") or {}
        expected = {"io.airbyte.name": connector.docker_repository, "io.airbyte.version": connector.version}
        wrong = {k: labels.get(k) for k, v in expected.items() if labels.get(k) != v}
        if wrong:
            raise StepFailed(f"conflict: the image already tagged {version} carries labels {wrong}, "
                             f"not {expected}; not overwriting it")


@dataclass
class HoldConnectorLease:
    """One publisher at a time per connector, from the push to the marker and ``latest``: parallel
    jobs on other connectors never wait, a second job on this one waits (bounded) and then finds
    the version published. The check is redone under the lease; the runner calls :meth:`release`."""

    check: CheckRegistry
    target: PublishTarget
    name: str = "lock"
    lease: StoreLease | None = None

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.has_work else "nothing to publish"

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        repository = state.connector.docker_repository
        settings = self.target.lease_settings
        try:
            self.lease = StoreLease(self.target.store, layout.connector_lock(repository),
                                    f"the publish lease of {repository}", settings)
            waited = await self.lease.acquire(timeout_s=settings.wait_s, on_wait=log.write)
        except UserError as exc:
            raise StepFailed(str(exc)) from None
        for warning in self.lease.warnings:
            log.write(f"warning: {warning}")
        again = await self.check.run(state, log)  # another publisher may have finished it meanwhile
        held = f"waited {waited:.0f} s for the lease; " if waited >= 1 else ""
        taken = "took over a stale lease; " if self.lease.warnings else ""
        return Outcome(summary=f"{taken}{held}{again.summary}", status=again.status)

    def release(self, state: ConnectorState) -> None:
        if self.lease is not None:
            self.lease.release()
            self.lease = None


@dataclass
class BuildForPublish:
    """The build step, only for versions that are not on the registry yet."""

    build: BuildImages
    target: PublishTarget
    name: str = "build"

    def skip_reason(self, state: ConnectorState) -> str | None:
        if state.publish.mode is not PublishMode.PUBLISH:
            return "already on the registry" if state.publish.mode is PublishMode.RECORD else "nothing to publish"
        return None

    def planned(self, state: ConnectorState) -> list[str]:
        return [f"{state.connector.name}: would build {', '.join(self.target.platforms)}"]

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        return await self.build.run(state, log)


@dataclass
class PushImages:
    """Push each platform image, then join them under the version tag with an OCI image index."""

    engine: Engine
    target: PublishTarget
    name: str = "push"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.mode is PublishMode.PUBLISH else "nothing to push"

    def planned(self, state: ConnectorState) -> list[str]:
        name = self.target.image_name(state.connector.docker_repository)
        return [f"{state.connector.name}: would push {name}:{state.publish.version}"
                f" ({', '.join(self.target.platforms)})"]

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector, version = state.connector, state.publish.version
        name = self.target.image_name(connector.docker_repository)
        client = self.target.registry_client
        platform_manifests = []
        for platform, image in state.images.items():
            arch_tag = f"{version}-{platform_suffix(platform)}"
            await self.engine.push(image.image_id, f"{name}:{arch_tag}", auth=self.target.auth, log=log)
            manifest = await client.get_manifest(connector.docker_repository, arch_tag)
            if manifest is None:
                raise StepFailed(f"pushed {name}:{arch_tag} but the registry does not show it")
            platform_manifests.append((platform, manifest))
        index = image_index(sorted(platform_manifests))
        digest = await client.put_manifest(connector.docker_repository, version, index, OCI_INDEX)
        log.write(f"image index {name}:{version}@{digest}")
        state.publish.index_digest = digest  # `latest` waits for verify: RecordInStore moves it
        return Outcome(summary=f"{name}:{version} @ {digest[:19]} ({len(platform_manifests)} platforms)")


@dataclass
class VerifyPublished:
    """Pull each platform back by digest and run ``spec`` in OSS and Cloud mode (airbyte#26085)."""

    engine: Engine
    target: PublishTarget
    name: str = "verify"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.has_work else "nothing to verify"

    def planned(self, state: ConnectorState) -> list[str]:
        return []  # reads only

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector, publish = state.connector, state.publish
        name = self.target.image_name(connector.docker_repository)
        if publish.index_digest is None:
            raise StepFailed(f"{name}:{publish.version}: no image index to verify")
        index = await self.target.registry_client.get_manifest(connector.docker_repository, publish.index_digest)
        if index is None:
            raise StepFailed(f"{name}:{publish.version} vanished from the registry")
        entries: list[dict[str, Any]] = index.json().get("manifests", []) if index.is_index \
            else [{"digest": index.digest}]
        checked = []
        for entry in entries:
            arch = entry.get("platform", {}).get("architecture", "amd64")
            platform = f"linux/{arch}"
            local = await self.engine.pull(f"{name}@{entry['digest']}", platform=platform,
                                           auth=self.target.auth, log=log)
            oss = spec_from_output(await self._spec(local, platform, "OSS", log))
            cloud = spec_from_output(await self._spec(local, platform, "CLOUD", log))
            if publish.spec is None:  # the first platform's answer is the one recorded
                publish.spec, publish.cloud_spec = oss, cloud
            checked.append(platform)
            if publish.dependencies is None and connector.language is Language.PYTHON:
                publish.dependencies = await self._dependencies(connector, local, platform, log)
        return Outcome(summary=f"pulled and ran spec on {', '.join(checked)}")

    async def _spec(self, image: str, platform: str, mode: str, log: StepLog) -> RunResult:
        return await self.engine.run(image, ["spec"], platform=platform, env={"DEPLOYMENT_MODE": mode}, log=log,
                                     timeout_s=300)

    async def _dependencies(self, connector: Connector, image: str, platform: str,
                            log: StepLog) -> list[dict[str, str]]:
        """The packages the image holds: for a lock-built connector, the locked ones that apply to
        the image's interpreter and platform; otherwise what pip lists in it."""
        export = poetry_lock.export_lock(connector.path) if builds_from_lock(connector.path) else None
        if export is not None:
            result = await self.engine.run(image, ["-c", poetry_lock.MARKER_ENVIRONMENT_SCRIPT], platform=platform,
                                           entrypoint=["python"], log=log, timeout_s=120)
            try:
                environment = json.loads(result.stdout)
            except json.JSONDecodeError:
                log.write("could not read the image's marker environment; recording every locked package")
                environment = None
            return poetry_lock.installed_packages(export, environment)
        result = await self.engine.run(image, ["-m", "pip", "list", "--format", "json"], platform=platform,
                                       entrypoint=["python"], log=log, timeout_s=120)
        try:
            return [{"package_name": p["name"], "version": p["version"]} for p in json.loads(result.stdout)]
        except (json.JSONDecodeError, KeyError, TypeError):
            log.write("could not read the installed packages; packageInfo will be empty")
            return []


@dataclass
class RecordInStore:
    """Write the version's files, then its registry entries, then ``latest/``, then the marker."""

    target: PublishTarget
    name: str = "store"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.has_work else "nothing to record"

    def planned(self, state: ConnectorState) -> list[str]:
        return [f"{state.connector.name}: would write {path}"
                for path in planned_store_paths(state.connector, state.publish.version, self.target)]

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector, publish = state.connector, state.publish
        version, store, repo = publish.version, self.target.store, connector.docker_repository
        if publish.spec is None or publish.index_digest is None:
            raise StepFailed(f"{version}: nothing verified to record")
        written: list[str] = []

        def put(path: str, data: bytes) -> None:
            if store.write_bytes_atomic(path, data):
                written.append(path)
            log.write(f"store: {path}")

        oss_spec = publish.spec
        cloud_spec = publish.cloud_spec if publish.cloud_spec is not None else oss_spec
        put(layout.spec_file(repo, version), _json(oss_spec))
        if cloud_spec != oss_spec:
            put(layout.spec_file(repo, version, layout.CLOUD_SPEC_FILE), _json(cloud_spec))
        package_info: dict[str, str] = {}
        dependencies = publish.dependencies
        if dependencies is not None:
            put(layout.dependencies_file(repo, version),
                _json({"connector_name": connector.name, "connector_version": version,
                       "dependencies": dependencies}))
            cdk = next((d["version"] for d in dependencies if d["package_name"] == "airbyte-cdk"), None)
            if cdk:
                package_info = {"cdk_version": f"python:{cdk}"}

        metadata = published_metadata(connector, version, git_info(self.target.repo_root, connector))
        metadata_bytes = yaml.safe_dump(metadata.model_dump(mode="json", exclude_none=True, by_alias=True),
                                        sort_keys=False).encode()
        put(layout.version_file(repo, version, layout.METADATA_FILE), metadata_bytes)
        icon = connector.path / layout.ICON_FILE
        if icon.is_file():
            put(layout.version_file(repo, version, layout.ICON_FILE), icon.read_bytes())
        icon_url = store.public_url(layout.icon(repo), self.target.base_url)
        if not self.target.pre_release_sha:  # pre-releases never enter the registries
            git = (metadata.data.generated or {}).get("git")
            generated = {**({"git": git} if git else {}), **publish.generated}  # + the attest step's fields
            write_registry_entries(store, metadata, spec=oss_spec, cloud_spec=cloud_spec, icon_url=icon_url,
                                   generated=generated or None, package_info=package_info)

        channel = release_channel(version, self.target)
        moved = False
        if channel == layout.LATEST:
            # Verified by now. Only the highest released, non-yanked version recorded becomes the
            # default: a late or repeated publish of an older version never moves it back.
            if releases.default_version(store, repo, also=version) == version:
                await self._tag_latest(connector, publish.index_digest, log)
                written += releases.point_latest(store, repo, version)
                moved = True
            else:
                log.write(f"{version} is not the highest released version recorded: latest stays")
        elif channel and self._is_newest(connector, version, channel):
            for file_name in layout.CHANNEL_FILES:
                data = store.read_bytes(layout.version_file(repo, version, file_name))
                if data is not None:
                    put(layout.channel_file(repo, channel, file_name), data)
                elif file_name.endswith(".json"):
                    store.delete(layout.channel_file(repo, channel, file_name))  # that registry dropped it
            moved = True
        marker = {"digest": publish.index_digest, "version": version, "channel": channel,
                  "published_at": dt.datetime.now(dt.UTC).isoformat(),
                  "platforms": sorted(state.images) or None}
        put(layout.marker(repo, version), _json(marker))
        return Outcome(summary=f"recorded {version}" + (f", moved {channel}" if moved else "")
                       + f" ({len(written)} files changed)", details={"written": written})

    async def _tag_latest(self, connector: Connector, digest: str, log: StepLog) -> None:
        """Point the registry's ``latest`` at the verified image index, by digest."""
        client = self.target.registry_client
        index = await client.get_manifest(connector.docker_repository, digest)
        if index is None:
            raise StepFailed(f"{self.target.image_name(connector.docker_repository)}@{digest} vanished "
                             "from the registry before latest could move")
        if await client.manifest_digest(connector.docker_repository, layout.LATEST) != digest:
            await client.put_manifest(connector.docker_repository, layout.LATEST, index.body, index.media_type)
        log.write(f"{self.target.image_name(connector.docker_repository)}:latest -> {digest}")

    def _is_newest(self, connector: Connector, version: str, channel: layout.Channel) -> bool:
        current = self.target.store.read_bytes(layout.channel_file(connector.docker_repository, channel,
                                                                   layout.METADATA_FILE))
        if current is None:
            return True
        try:
            current_tag = yaml.safe_load(current)["data"]["dockerImageTag"]
        except (yaml.YAMLError, KeyError, TypeError):
            return True
        return versions.sort_key(version) >= versions.sort_key(str(current_tag))


def release_channel(version: str, target: PublishTarget) -> layout.Channel | None:
    """``latest`` for main releases, ``release_candidate`` for RCs, nothing for pre-releases."""
    if target.pre_release_sha:
        return None
    return layout.RELEASE_CANDIDATE if versions.is_release_candidate(version) else layout.LATEST


def planned_store_paths(connector: Connector, version: str, target: PublishTarget) -> list[str]:
    repo = connector.docker_repository
    paths = [layout.spec_file(repo, version), layout.version_file(repo, version, layout.METADATA_FILE),
             layout.version_file(repo, version, layout.ICON_FILE)]
    if not target.pre_release_sha:
        paths += [layout.version_file(repo, version, layout.entry_file_name(r)) for r in ("oss", "cloud")]
    channel = release_channel(version, target)
    if channel:
        paths.append(layout.channel_folder(repo, channel) + "/")
    return paths + [layout.marker(repo, version)]


def published_metadata(connector: Connector, version: str, git: dict[str, str] | None) -> ConnectorMetadata:
    """The metadata as uploaded: the published tag, and ``generated.git`` filled in."""
    data = connector.metadata.data.model_copy(deep=True)
    if version != data.dockerImageTag:  # a pre-release rewrites every tag it names
        data.dockerImageTag = version
        for override in (data.overrides.oss, data.overrides.cloud):
            if override and override.dockerImageTag:
                override.dockerImageTag = version
    if git:
        data.generated = {**(data.generated or {}), "git": git}
    return connector.metadata.model_copy(update={"data": data})


def git_info(repo_root: Path, connector: Connector) -> dict[str, str] | None:
    """The last commit that touched the connector's metadata.yaml, as Airbyte records it."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%H%n%cI%n%an%n%ae", "--", str(connector.metadata_path)],
            cwd=repo_root, capture_output=True, text=True, check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return None
    if len(out) < 4:
        return None
    return {"commit_sha": out[0], "commit_timestamp": out[1], "commit_author": out[2], "commit_author_email": out[3]}


def head_sha(repo_root: Path) -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo_root, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


class PlannedStep(Step, Protocol):
    def planned(self, state: ConnectorState) -> list[str]:
        """What the step would push or write, one line each; no side effects."""
        ...


@dataclass
class DryRun:
    """``--dry-run``: the wrapped step says what it would do (``details["planned"]``) and is skipped."""

    step: PlannedStep
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.step.name

    def skip_reason(self, state: ConnectorState) -> str | None:
        return self.step.skip_reason(state)

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        return Outcome(summary="dry run", status=StepStatus.SKIPPED, details={"planned": self.step.planned(state)})


def planned_actions(report: RunReport) -> list[str]:
    """Every line the dry-run steps of a run planned, connector by connector."""
    return [line for connector in report.connectors for step in connector.steps
            for line in step.details.get("planned", [])]


def publish_steps(engine: Engine, target: PublishTarget, build_options: BuildOptions) -> list[Step]:
    from pipelines.attest_step import AttestPublished  # it reads PublishTarget from here

    build = BuildImages(engine, build_options, list(target.platforms), tag="publish")
    acting: list[PlannedStep] = [
        BuildForPublish(build, target),
        PushImages(engine, target),
        VerifyPublished(engine, target),
        AttestPublished(target, engine_name=getattr(engine, "name", None)),  # SBOMs + provenance (#17)
        *([SignImage(target)] if target.signing_key is not None else []),
        RecordInStore(target),
    ]
    check = CheckRegistry(target)
    if target.dry_run:
        return [check, ValidateForPublish(target), *(DryRun(step) for step in acting)]
    return [check, HoldConnectorLease(check, target), ValidateForPublish(target), *acting]
