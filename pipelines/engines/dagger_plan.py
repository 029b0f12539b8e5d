"""The Dagger side of a build plan: a pure translation from a ContainerPlan to a lazy ``dagger.Container``.

No call reaches an engine here: the result is a chain of API calls that runs when something
awaits it. The engine behind ``--engine dagger`` (:mod:`pipelines.engines.dagger`) uses it, and
so does the Dagger module in ``dagger/``, which runs the CLI's steps on that engine.

    container = container_from_plan(client, plan, client.host().directory(str(plan.context_dir)))
"""

# Import order: ruff takes `dagger` for first-party because of the module folder `dagger/` at the
# root; it is dagger-io (known-third-party = ["dagger"] in [tool.ruff.lint.isort] would say so).
from __future__ import annotations  # noqa: I001

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import assert_never

import dagger

from connector_build.images import ImageReference, resolve_base_image
from connector_build.plan import (
    CA_PATH_IN_STAGE,
    ContainerPlan,
    CopyFiles,
    CopyFromStage,
    DockerfileBase,
    Entrypoint,
    Env,
    ImageBase,
    Label,
    Operation,
    Run,
    Stage,
    StageBase,
    Workdir,
)
from registry.auth import RegistryAuth

CACHE_VOLUME_PREFIX = "connector-pipelines-"


@dataclass(frozen=True)
class RegistryCredential:
    """Credentials for one registry as the Dagger API takes them: the password is a Secret."""

    registry: str
    username: str
    secret: dagger.Secret


def registry_credentials(client: dagger.Client, auths: Sequence[RegistryAuth]) -> list[RegistryCredential]:
    """Turn plain :class:`RegistryAuth` into Dagger secrets (never logged, never in a layer)."""
    return [
        RegistryCredential(
            auth.registry,
            auth.username,
            client.set_secret(f"registry-{auth.registry}-{auth.username}", auth.password),
        )
        for auth in auths
    ]


def container_from_plan(
    client: dagger.Client,
    plan: ContainerPlan,
    context: dagger.Directory,
    *,
    image_mirrors: Mapping[str, str] | None = None,
    credentials: Sequence[RegistryCredential] = (),
    ca_bundle: dagger.File | None = None,
    local_images: Mapping[str, dagger.Container] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> dagger.Container:
    """The image ``plan`` describes, as a lazy Dagger container (nothing runs until awaited).

    ``context`` is the plan's ``context_dir`` as a Dagger directory; the plan's excludes are
    applied here too. Whether a ``CopyFiles`` source is a file or a folder is read from the local
    ``plan.context_dir`` (recipes need that folder to make the plan, so it is there).
    ``local_images`` maps the references of ``ImageBase(local=True)`` to containers built in
    this session (e.g. a connector image for its test image). ``ca_bundle`` is mounted for the
    ``Run`` steps that need it, only while they run: it never reaches a layer.
    """
    plan.validate()
    files = context.filter(exclude=dagger_excludes(plan.excludes)) if plan.excludes else context
    for name, text in sorted(plan.generated_files.items()):
        files = files.with_new_file(name, text)
    platform = dagger.Platform(plan.platform)
    translator = _Translator(client, plan, files, platform, dict(image_mirrors or {}), list(credentials),
                             ca_bundle, dict(local_images or {}), on_notice)
    stages: dict[str, dagger.Container] = {}
    for stage in plan.stages:
        stages[stage.name] = translator.stage(stage, stages)
    return stages[plan.image_stage.name]


class _Translator:
    """One plan's translation; holds what every stage needs so the functions stay small."""

    def __init__(self, client: dagger.Client, plan: ContainerPlan, files: dagger.Directory,
                 platform: dagger.Platform, mirrors: dict[str, str], credentials: list[RegistryCredential],
                 ca_bundle: dagger.File | None, local_images: dict[str, dagger.Container],
                 on_notice: Callable[[str], None] | None) -> None:
        self.client = client
        self.plan = plan
        self.files = files
        self.platform = platform
        self.mirrors = mirrors
        self.credentials = credentials
        self.ca_bundle = ca_bundle
        self.local_images = local_images
        self.on_notice = on_notice

    def stage(self, stage: Stage, earlier: Mapping[str, dagger.Container]) -> dagger.Container:
        container = self.base(stage, earlier)
        for op in stage.operations:
            container = self.operation(container, op, earlier)
        return container

    def base(self, stage: Stage, earlier: Mapping[str, dagger.Container]) -> dagger.Container:
        base = stage.base
        if isinstance(base, StageBase):
            return earlier[base.stage]
        if isinstance(base, DockerfileBase):
            return self.files.docker_build(dockerfile=base.dockerfile, platform=self.platform)
        if isinstance(base, ImageBase):
            if base.local:
                return self.local_image(base.reference)
            return self.pulled_image(base.reference)
        assert_never(base)

    def local_image(self, reference: str) -> dagger.Container:
        """An image this run built; else one in the host's image store. Never pulled."""
        found = self.local_images.get(reference)
        if found is not None:
            return found
        return self.client.host().container_image(reference)

    def pulled_image(self, reference: str) -> dagger.Container:
        resolved = resolve_base_image(reference, self.mirrors)
        notice = resolved.notice()
        if notice and self.on_notice:
            self.on_notice(notice)
        container = self.client.container(platform=self.platform)
        registry = ImageReference.parse(resolved.reference).registry
        credential = next((c for c in self.credentials if c.registry == registry), None)
        if credential is not None:
            # A full image address, not the bare host: Dagger reads the registry from an image
            # reference, and "localhost:5000" alone parses as an image on Docker Hub.
            container = container.with_registry_auth(resolved.reference, credential.username, credential.secret)
        return container.from_(resolved.reference)

    def operation(self, container: dagger.Container, op: Operation,
                  earlier: Mapping[str, dagger.Container]) -> dagger.Container:
        if isinstance(op, Workdir):
            # Docker's WORKDIR creates the folder; merging an empty directory does the same here.
            return container.with_directory(op.path, self.client.directory()).with_workdir(op.path)
        if isinstance(op, CopyFiles):
            return self.copy(container, op)
        if isinstance(op, CopyFromStage):
            return container.with_directory(op.destination, earlier[op.stage].directory(op.source))
        if isinstance(op, Env):
            return container.with_env_variable(op.name, op.value)
        if isinstance(op, Label):
            return container.with_label(op.name, op.value)
        if isinstance(op, Entrypoint):
            return container.with_entrypoint(list(op.argv))
        if isinstance(op, Run):
            return self.run(container, op)
        assert_never(op)

    def copy(self, container: dagger.Container, op: CopyFiles) -> dagger.Container:
        """``COPY`` semantics: a folder's contents go into the destination, a file goes into it."""
        into_folder = op.destination.endswith("/") or len(op.sources) > 1
        for source in op.sources:
            local = self.plan.context_dir / source
            if source in (".", "") or local.is_dir():
                folder = self.files if source in (".", "") else self.files.directory(source)
                container = container.with_directory(op.destination, folder)
            else:
                target = str(PurePosixPath(op.destination) / PurePosixPath(source).name) if into_folder \
                    else op.destination
                container = container.with_file(target, self.files.file(source))
        return container

    def run(self, container: dagger.Container, op: Run) -> dagger.Container:
        mounted: list[str] = []
        if op.cache and op.cache_path:
            volume = self.client.cache_volume(f"{CACHE_VOLUME_PREFIX}{op.cache}")
            container = container.with_mounted_cache(op.cache_path, volume)
            mounted.append(op.cache_path)
        if op.needs_ca and self.ca_bundle is not None:
            container = container.with_mounted_file(CA_PATH_IN_STAGE, self.ca_bundle)
            mounted.append(CA_PATH_IN_STAGE)
        container = container.with_exec(list(op.command(with_ca=self.ca_bundle is not None)))
        for path in mounted:  # only this exec saw them
            container = container.without_mount(path)
        return container


def dagger_excludes(excludes: Sequence[str]) -> list[str]:
    """The plan's exclude patterns as Dagger applies them, matching the Docker engine's context.

    The Docker engine excludes a bare name (``secrets``) at any depth; Dagger's patterns are
    anchored at the directory's root, so each bare name also gets its ``**/`` form.
    """
    patterns: list[str] = []
    for pattern in excludes:
        patterns.append(pattern)
        if "/" not in pattern:
            patterns.append(f"**/{pattern}")
    return list(dict.fromkeys(patterns))


__all__ = [
    "CACHE_VOLUME_PREFIX",
    "RegistryCredential",
    "container_from_plan",
    "dagger_excludes",
    "registry_credentials",
]
