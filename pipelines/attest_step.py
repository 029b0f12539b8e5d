"""The publish step after verify: an SBOM per platform and a SLSA provenance, attached and stored.

For the verified image index it (1) reads each platform's packages from its layers on the registry
and makes an SPDX 2.3 SBOM, attached as an OCI referrer of that platform's manifest; (2) makes an
in-toto SLSA v1 provenance whose subjects are the index and every platform manifest, attached as a
referrer of the index; (3) writes both to the store (``layout.sbom_file`` / ``layout.provenance_file``)
and (4) hands ``RecordInStore`` the ``generated`` fields of the registry entries:

    generated.sbomUrl          the first platform's stored SBOM (Airbyte's field)
    generated.sbomUrls         {"linux/amd64": url, ...}
    generated.provenanceUrl    the stored provenance.json
    generated.imageDigest      the image index's digest
    generated.platformDigests  {"linux/amd64": "sha256:...", ...}: pin a platform by digest

All of it happens before the marker, so a run killed here redoes it; a rerun finds the referrers
already attached (same bytes, same digests) and reuses them instead of reading the layers again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import anyio

from connector_build.connector import Connector
from connector_build.plan import DockerfileBase
from connector_build.recipes import EXCLUDES, RecipeError, RecipeUnsupported, builds_from_lock, plan_for
from pipelines.engines.dockerfile_render import context_files, render_dockerfile
from pipelines.logs import StepLog
from pipelines.steps import ConnectorState, Outcome, StepFailed
from registry import layout, referrers
from registry.oci import RegistryError
from registry.provenance import SLSA_PROVENANCE_V1, BuildInputs, Subject, folder_digest, provenance_statement
from registry.referrers import IN_TOTO_JSON, PLATFORM_ANNOTATION, PREDICATE_ANNOTATION, SPDX_JSON, Descriptor
from registry.sbom import ImageSubject, document_bytes, image_created, image_packages, spdx_document

if TYPE_CHECKING:  # publish_steps lists this step
    from pipelines.publish_steps import PublishTarget


@dataclass(frozen=True)
class PlatformImage:
    platform: str
    descriptor: Descriptor


@dataclass
class AttestPublished:
    """SBOMs and provenance for the verified image: attached to it and stored beside the entry."""

    target: PublishTarget
    engine_name: str | None = None
    name: str = "attest"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.publish.has_work else "nothing to attest"

    def planned(self, state: ConnectorState) -> list[str]:
        connector, version = state.connector, state.publish.version
        repo, name = connector.docker_repository, self.target.image_name(connector.docker_repository)
        return [
            f"{connector.name}: would attach an SPDX SBOM per platform ({', '.join(self.target.platforms)}) and a "
            f"SLSA provenance to {name}:{version}",
            *(f"{connector.name}: would write {layout.sbom_file(repo, version, p)}" for p in self.target.platforms),
            f"{connector.name}: would write {layout.provenance_file(repo, version)}",
        ]

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector, publish = state.connector, state.publish
        repo, version = connector.docker_repository, publish.version
        if publish.index_digest is None:
            raise StepFailed(f"{version}: no verified image to attest")
        try:
            index_descriptor, images = await self._platform_images(repo, publish.index_digest)
            sbom_urls: dict[str, str] = {}
            counts = []
            made: dict[str, tuple[bytes, bool]] = {}
            failed: list[RegistryError | StepFailed] = []

            async def sbom_of(image: PlatformImage) -> None:  # platforms at once: one parses, one downloads
                try:
                    made[image.platform] = await self._sbom(connector, version, image, log)
                except (RegistryError, StepFailed) as exc:  # one line for the report, not an exception group
                    failed.append(exc)

            async with anyio.create_task_group() as group:
                for image in images:
                    group.start_soon(sbom_of, image)
            if failed:
                raise failed[0]
            for image in images:
                document, reused = made[image.platform]
                path = layout.sbom_file(repo, version, image.platform)
                self.target.store.write_bytes_atomic(path, document)
                sbom_urls[image.platform] = self.target.store.public_url(path, self.target.base_url)
                counts.append(f"{image.platform}{' (attached already)' if reused else ''}")
                log.write(f"store: {path}")
            statement, reused = await self._provenance(connector, version, index_descriptor, images, log)
            provenance_path = layout.provenance_file(repo, version)
            self.target.store.write_bytes_atomic(provenance_path, statement)
            log.write(f"store: {provenance_path}")
        except RegistryError as exc:
            raise StepFailed(str(exc)) from None
        publish.generated.update({
            "sbomUrl": sbom_urls[images[0].platform],
            "sbomUrls": sbom_urls,
            "provenanceUrl": self.target.store.public_url(provenance_path, self.target.base_url),
            "imageDigest": publish.index_digest,
            "platformDigests": {image.platform: image.descriptor.digest for image in images},
        })
        return Outcome(summary=f"SBOM for {', '.join(counts)}; provenance "
                               f"{'attached already' if reused else 'attached'} to {publish.index_digest[:19]}")

    async def _platform_images(self, repo: str, index_digest: str) -> tuple[Descriptor, list[PlatformImage]]:
        client = self.target.registry_client
        index = await client.get_manifest(repo, index_digest)
        if index is None:
            raise StepFailed(f"{repo}@{index_digest} vanished from the registry")
        if not index.is_index:
            return Descriptor.of(index), [PlatformImage(self.target.platforms[0], Descriptor.of(index))]
        images = []
        for entry in index.json().get("manifests", []):
            platform = entry.get("platform") or {}
            images.append(PlatformImage(f"{platform.get('os', 'linux')}/{platform.get('architecture', 'amd64')}",
                                        Descriptor(entry["mediaType"], entry["digest"], int(entry["size"]))))
        if not images:
            raise StepFailed(f"{repo}@{index_digest}: the image index lists no platform")
        return Descriptor.of(index), images

    async def _sbom(self, connector: Connector, version: str, image: PlatformImage, log: StepLog) -> tuple[bytes, bool]:
        client, repo = self.target.registry_client, connector.docker_repository
        for found in await referrers.list_referrers(client, repo, image.descriptor.digest, SPDX_JSON):
            log.write(f"{image.platform}: SBOM already attached ({found.digest})")
            return await referrers.load_artifact(client, repo, found), True
        packages = await image_packages(client, repo, image.descriptor.digest)
        debs = sum(p.kind == "deb" for p in packages.packages)
        log.write(f"{image.platform}: {debs} Debian packages, {len(packages.packages) - debs} Python distributions")
        namespace = self.target.store.public_url(layout.sbom_file(repo, version, image.platform), self.target.base_url)
        subject = ImageSubject(repo, version, image.platform, image.descriptor.digest)
        document = document_bytes(spdx_document(
            packages, subject=subject, namespace=namespace, tool_version=tool_version(),
            created=await image_created(client, repo, image.descriptor.digest)))
        digest = await referrers.attach(client, repo, image.descriptor, SPDX_JSON, document,
                                        {PLATFORM_ANNOTATION: image.platform})
        log.write(f"{image.platform}: SBOM attached as {digest}")
        return document, False

    async def _provenance(self, connector: Connector, version: str, index: Descriptor,
                          images: list[PlatformImage], log: StepLog) -> tuple[bytes, bool]:
        client, repo = self.target.registry_client, connector.docker_repository
        for found in await referrers.list_referrers(client, repo, index.digest, IN_TOTO_JSON):
            if found.annotations.get(PREDICATE_ANNOTATION) == SLSA_PROVENANCE_V1:
                log.write(f"provenance already attached ({found.digest})")
                return await referrers.load_artifact(client, repo, found), True
        inputs = build_inputs(connector, version, self.target, [image.platform for image in images], self.engine_name)
        subjects = [Subject(repo, version, index.digest)] + [
            Subject(repo, version, image.descriptor.digest, image.platform) for image in images]
        statement = document_bytes(provenance_statement(
            inputs, subjects, invocation_id=str(uuid.uuid4()),
            finished_on=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
        digest = await referrers.attach(client, repo, index, IN_TOTO_JSON, statement,
                                        {PREDICATE_ANNOTATION: SLSA_PROVENANCE_V1})
        log.write(f"provenance attached as {digest}")
        return statement, False


@functools.cache
def tool_version() -> str:
    try:
        return importlib.metadata.version("connector-pipelines")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def build_inputs(connector: Connector, version: str, target: PublishTarget, platforms: list[str],
                 engine_name: str | None) -> BuildInputs:
    """What the image was built from, read from the checkout: files, recipe, base image, git."""
    files, recipe_digest = recipe_and_files(connector, platforms[0])
    relative = connector.relative_path.as_posix()
    recipe = connector.language.value + ("-poetry-lock" if builds_from_lock(connector.path) else "")
    return BuildInputs(
        connector=connector.name, connector_path=relative, docker_repository=connector.docker_repository,
        version=version, platforms=tuple(platforms), language=connector.language.value,
        source_digest=folder_digest(files), source_files=len(files), tool_version=tool_version(),
        git_commit=_git(target.repo_root, "rev-parse", "HEAD"), git_remote=git_remote(target.repo_root),
        git_dirty=git_dirty(target.repo_root, relative), base_image=connector.base_image,
        recipe=recipe, recipe_digest=recipe_digest, engine=engine_name,
    )


def recipe_and_files(connector: Connector, platform: str) -> tuple[list[tuple[str, bytes]], str | None]:
    """The files the build context holds (the folder minus the recipe's excludes, plus the files the
    recipe generates) and the sha256 of the recipe rendered as the Dockerfile the engines build."""
    try:
        plan = plan_for(connector, platform)
    except (RecipeUnsupported, RecipeError):
        paths = context_files(connector.path, EXCLUDES)
        return [(p.relative_to(connector.path).as_posix(), p.read_bytes()) for p in paths], None
    files = [(p.relative_to(plan.context_dir).as_posix(), p.read_bytes())
             for p in context_files(plan.context_dir, plan.excludes)]
    files += [(name, text.encode()) for name, text in plan.generated_files.items()]
    if any(isinstance(stage.base, DockerfileBase) for stage in plan.stages):
        return files, None  # the connector's own Dockerfile is the recipe, and among the files
    rendered = render_dockerfile(plan, {b.reference: b.reference for b in plan.base_images()}, with_ca=False)
    return files, hashlib.sha256(rendered.encode()).hexdigest()


def git_remote(repo_root: Path) -> str | None:
    """``origin``'s URL without any user or token in it."""
    url = _git(repo_root, "remote", "get-url", "origin")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return url


def git_dirty(repo_root: Path, folder: str) -> bool:
    return bool(_git(repo_root, "status", "--porcelain", "--", folder))


def _git(repo_root: Path, *args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=repo_root, capture_output=True, text=True,
                              check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None

