"""Manifest-only connectors assembled, not built: their steps for ``build`` and ``publish``.

A manifest-only image is its declarative-manifest base plus ``manifest.yaml`` (and
``components.py``). ``build`` assembles it for each platform (registry/assembly) and loads it into
the daemon as ``airbyte/<name>:dev``; ``publish`` pushes the blobs and manifests straight to the
registry. No daemon build, no emulation, the same digests on every machine. Turned off with
``--no-assemble`` or ``assemble-manifest-only = false``: the engine then builds them as before.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from docker import DockerClient

from connector_build.connector import Connector, Language
from connector_build.problems import UserError
from connector_build.recipes import RecipeError, RecipeUnsupported, plan_for
from connector_build.source_date import source_date_epoch
from pipelines.build_steps import BuildImages, host_platform, local_tags
from pipelines.engines.base import BuildOptions, BuiltImage, Engine
from pipelines.engines.docker import DockerEngine
from pipelines.logs import StepLog
from pipelines.publish_steps import DryRun, PublishTarget
from pipelines.steps import ConnectorState, Outcome, Step, StepFailed, StepSkipped
from registry.assembly.base import BaseImageError, BaseResolver
from registry.assembly.docker_archive import write_docker_archive
from registry.assembly.image import AssembledImage, assemble_image
from registry.assembly.layer import deterministic_layer, sha256_digest
from registry.assembly.plan_changes import NotAssemblable, plan_changes
from registry.assembly.push import BlobLocations, push_image
from registry.credentials import pull_auth
from registry.oci import RegistryClient, RegistryError


def assembles(connector: Connector, options: BuildOptions) -> bool:
    return options.assemble_manifest_only and connector.language is Language.MANIFEST_ONLY


class Assembler:
    """What the connectors of one run share: resolved bases, registry clients, where blobs are."""

    def __init__(self, options: BuildOptions, *, target: RegistryClient | None = None) -> None:
        self.resolver = BaseResolver(options.image_mirrors, auth_for=pull_auth)
        if target is not None:
            self.resolver.share_client(target)
        self.known = BlobLocations()
        self.images: dict[str, AssembledImage] = {}
        """By connector name: what the publish build step assembled for its push step."""

    async def aclose(self) -> None:
        await self.resolver.aclose()

    @property
    def notices(self) -> list[str]:
        return self.resolver.notices

    async def assemble(self, connector: Connector, platforms: Sequence[str], log: StepLog) -> AssembledImage:
        try:
            reference, changes = plan_changes(plan_for(connector, platforms[0]))
        except RecipeUnsupported as exc:
            raise StepSkipped(str(exc)) from None
        except (RecipeError, NotAssemblable) as exc:
            raise StepFailed(str(exc)) from None
        epochs: list[int] = []
        errors: list[Exception] = []

        async def commit_time() -> None:  # a git process: run while the base is resolved
            try:
                epochs.append(await anyio.to_thread.run_sync(source_date_epoch, connector.path))
            except UserError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            group.start_soon(commit_time)
            try:
                base = await self.resolver.resolve(reference, platforms)
            except (BaseImageError, RegistryError) as exc:
                errors.append(exc)
        if errors:
            raise StepFailed(str(errors[0])) from None
        epoch = epochs[0]
        for notice in self.resolver.notices:
            log.write(notice)
        log.write(f"base {base.reference} resolved to {base.digest}; files {', '.join(sorted(changes.files))}; "
                  f"time {epoch}")
        image = assemble_image(base, deterministic_layer(changes.files, mtime=epoch), changes, epoch=epoch)
        for platform, assembled in image.platforms.items():
            log.write(f"{platform}: manifest {assembled.manifest.digest}, config {assembled.config_digest}")
        log.write(f"index {image.index_digest}")
        return image


def assembly_details(image: AssembledImage) -> dict[str, Any]:
    """What the report keeps of an assembled image: enough to compare two runs digest by digest."""
    return {"index_digest": image.index_digest, "base": f"{image.base.reference}@{image.base.digest}",
            "manifests": {p: a.manifest.digest for p, a in image.platforms.items()},
            "configs": {p: a.config_digest for p, a in image.platforms.items()}}


@dataclass
class AssembleImages:
    """``build`` of a manifest-only connector: assemble it, ``docker load`` it as ``airbyte/<name>:dev``."""

    client: DockerClient
    """The daemon the image is loaded into (the Docker engine's)."""
    options: BuildOptions
    platforms: Sequence[str]
    tag: str = "dev"
    name: str = "build"
    notices: list[str] = field(default_factory=list)
    """Shared by a run's build steps: the resolver's one-time messages, shown as the engine's are."""

    def skip_reason(self, state: ConnectorState) -> str | None:
        return "archived connector: no longer built" if state.connector.support_level == "archived" else None

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector = state.connector
        assembler = Assembler(self.options)
        try:
            image = await assembler.assemble(connector, self.platforms, log)
            self.notices.extend(n for n in assembler.notices if n not in self.notices)
            tagged = [(image.platforms[p], local_tags(connector.docker_repository, self.tag, p, self.platforms))
                      for p in image.platforms]
            with tempfile.TemporaryDirectory(prefix="cp-assemble-") as folder:
                base_files = await self._missing_base_layers(image, assembler, Path(folder), log)
                archive = Path(folder) / "image.tar"
                with archive.open("wb") as out:
                    write_docker_archive(out, tagged, base_layer_files=base_files)
                await anyio.to_thread.run_sync(self._load, archive)
        except RegistryError as exc:
            raise StepFailed(str(exc)) from None
        finally:
            await assembler.aclose()
        order = sorted(image.platforms, key=lambda p: p != host_platform())
        state.images = {p: BuiltImage(reference=tags[0], platform=p, image_id=assembled.config_digest)
                        for p in order for assembled, tags in tagged if assembled.platform == p}
        for platform, built in state.images.items():
            log.write(f"loaded {built.reference} ({platform}) as {built.image_id}")
        return Outcome(summary=", ".join(f"{state.images[p].reference} ({p}, assembled)" for p in order),
                       details=assembly_details(image) | {"images": {p: state.images[p].reference for p in order}})

    def _load(self, archive: Path) -> None:
        import docker.errors

        try:
            with archive.open("rb") as data:
                self.client.images.load(data)
        except docker.errors.DockerException as exc:
            raise StepFailed(f"docker load of the assembled image failed: {str(exc).splitlines()[0]}") from None

    async def _missing_base_layers(self, image: AssembledImage, assembler: Assembler, folder: Path,
                                   log: StepLog) -> dict[str, Path]:
        """Base layers for a daemon that has not got the base image (its id is the config's digest)."""
        import docker.errors

        wanted: dict[str, int] = {}
        for assembled in image.platforms.values():
            base_id = sha256_digest(assembled.base.config)
            try:
                await anyio.to_thread.run_sync(self.client.images.get, base_id)
            except docker.errors.ImageNotFound:
                wanted.update({d["digest"]: d["size"] for d in assembled.base.layers})
        if not wanted:
            return {}
        log.write(f"the daemon lacks the base image: adding its {len(wanted)} layers to the archive")
        client = assembler.resolver.client(image.base.registry)
        files = {}
        for digest in wanted:
            path = folder / digest.removeprefix("sha256:")
            with path.open("wb") as out:
                async for chunk in client.stream_blob(image.base.repository, digest):
                    out.write(chunk)
            files[digest] = path
        return files


def build_step(engine: Engine, options: BuildOptions, platforms: Sequence[str], connector: Connector, *,
               tag: str = "dev", notices: list[str] | None = None) -> Step:
    """The build step for ``connector``: assembled when it is manifest-only and the engine is a
    Docker daemon (the image is loaded there); otherwise the engine builds it. ``notices`` collects
    the assembler's one-time messages for the run's progress view."""
    if isinstance(engine, DockerEngine) and assembles(connector, options):
        return AssembleImages(engine.client, options, platforms, tag=tag,
                              notices=notices if notices is not None else [])
    return BuildImages(engine, options, platforms, tag=tag)


@dataclass
class AssembleForPublish:
    """The publish ``build`` step for a manifest-only connector: assemble every platform, no daemon."""

    replaced: Step
    assembler: Assembler
    target: PublishTarget
    name: str = "build"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return self.replaced.skip_reason(state)

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        image = await self.assembler.assemble(state.connector, self.target.platforms, log)
        self.assembler.images[state.connector.name] = image
        return Outcome(summary=f"assembled {', '.join(image.platforms)} on {image.base.reference} "
                               f"(index {image.index_digest[:19]})",
                       details=assembly_details(image))


@dataclass
class PushAssembled:
    """The publish ``push`` step: the new layer and configs uploaded, base layers mounted or found."""

    replaced: Step
    assembler: Assembler
    target: PublishTarget
    name: str = "push"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return self.replaced.skip_reason(state)

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector, version = state.connector, state.publish.version
        image = self.assembler.images.pop(connector.name)
        name = self.target.image_name(connector.docker_repository)
        tags = [version]  # `latest` waits for verify: RecordInStore moves it
        try:
            result = await push_image(image, self.target.registry_client, connector.docker_repository, tags=tags,
                                      source=self.assembler.resolver.client(image.base.registry),
                                      known=self.assembler.known)
        except RegistryError as exc:
            raise StepFailed(str(exc)) from None
        log.write(f"image index {name}:{version}@{result.index_digest}; blobs: {result.summary()}")
        state.publish.index_digest = result.index_digest
        state.images = {p: BuiltImage(reference=f"{name}@{digest}", platform=p,
                                      image_id=image.platforms[p].config_digest)
                        for p, digest in result.manifests.items()}
        return Outcome(summary=f"{name}:{'+'.join(tags)} @ {result.index_digest[:19]} "
                               f"({len(result.manifests)} platforms; blobs {result.summary()})",
                       details={"blobs": {kind.value: n for kind, n in result.transfers.items()}})


def with_assembly(steps: list[Step], connector: Connector, assembler: Assembler, target: PublishTarget,
                  options: BuildOptions) -> list[Step]:
    """The publish pipeline with its build and push steps assembled, for a manifest-only connector."""
    if not assembles(connector, options):
        return steps
    replaced: dict[str, type] = {"build": AssembleForPublish, "push": PushAssembled}
    # A dry run's steps only say what they would do, the same either way: kept.
    return [replaced[step.name](step, assembler, target) if step.name in replaced and not isinstance(step, DryRun)
            else step for step in steps]
