"""Build, test and publish the connectors of an Airbyte-style monorepo as Dagger functions

The same recipes (connector_build) and the same plan-to-container translation
(pipelines.engines.dagger_plan.container_from_plan) as `connector-pipelines --engine dagger`; this
module only adapts arguments. From the root of the monorepo checkout:

    dagger call build --connector source-faker
    dagger call build --connector source-faker --platform linux/arm64 export --path source-faker.tar
    dagger call test --connector source-faker
    dagger call publish --connector source-faker --registry ghcr.io --username bot --password env:GHCR_TOKEN
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import dagger
from dagger import DefaultPath, Doc, Ignore, dag, function, object_type

from connector_build.connector import Connector
from connector_build.images import ImageReference, image_name, parse_mirror_option, resolve_base_image
from connector_build.monorepo import Monorepo
from connector_build.plan import PLATFORMS
from connector_build.problems import InvalidMetadata
from connector_build.recipes import RecipeError, RecipeUnsupported, plan_for
from connector_build.unit_test_recipe import unit_test_folder, unit_test_plan_for
from pipelines.build_steps import spec_from_output
from pipelines.engines.base import RunResult
from pipelines.engines.dagger_plan import RegistryCredential, container_from_plan
from pipelines.steps import StepFailed
from pipelines.unit_test_step import PYTEST_NO_TESTS, pytest_summary
from registry.auth import RegistryAuth
from registry.oci import RegistryClient

SOURCE_IGNORE = [
    ".git", "**/.venv", "**/venv", "**/__pycache__", "**/node_modules", "**/.pytest_cache", "**/.mypy_cache",
    ".connector-pipelines", "dagger/sdk",
]
"""Never uploaded from the monorepo: caches and environments (each connector's secrets/ go too)."""

LOCAL_COPY_EXCLUDE = [".venv", "venv", "**/__pycache__", "secrets", ".git"]
"""The connector folder is copied into the module's container for the recipe to read it."""

CONNECTOR_IMAGE = "connector-pipelines/connector-image"
"""How a test plan names the connector image it starts from (``ImageBase(local=True)``)."""

Source = Annotated[
    dagger.Directory,
    Doc("The connector monorepo (default: this repository's examples/monorepo; pass yours with --source)"),
    DefaultPath("/examples/monorepo"),
    Ignore([*SOURCE_IGNORE, "**/secrets"]),
]
ConnectorName = Annotated[str, Doc("The connector's folder name, e.g. source-faker")]
PlatformArg = Annotated[str, Doc("linux/amd64 or linux/arm64 (default: the engine's own)")]
Mirrors = Annotated[
    list[str] | None,
    Doc("FROM=TO image mirrors, e.g. docker.io/airbyte=registry.internal/airbyte; added to the "
        "monorepo's [tool.connector-pipelines] image-mirrors"),
]
CaBundle = Annotated[
    dagger.File | None,
    Doc("An extra CA bundle for dependency installs, mounted only while they run (never in the image)"),
]


class PipelineError(Exception):
    """What the user must fix; Dagger shows the message as the function's error."""


@dataclass
class _Checkout:
    connector: Connector
    context: dagger.Directory
    mirrors: dict[str, str]


@dataclass
class _Options:
    mirrors: dict[str, str]
    credentials: list[RegistryCredential]
    ca_bundle: dagger.File | None


@object_type
class ConnectorPipelines:
    """Build, test and publish connectors with connector-pipelines' recipes"""

    @function
    async def build(
        self,
        connector: ConnectorName,
        source: Source,
        platform: PlatformArg = "",
        image_mirror: Mirrors = None,
        ca_bundle: CaBundle = None,
        base_registry_username: Annotated[str, Doc("User for the base images' registry")] = "",
        base_registry_password: Annotated[dagger.Secret | None, Doc("Password for that registry")] = None,
    ) -> dagger.Container:
        """The connector's image, after it answered `spec` (a failing spec fails the build)"""
        checkout = await _checkout(source, connector)
        options = _options(checkout, image_mirror, ca_bundle, base_registry_username, base_registry_password)
        return await _built(checkout, await _platform(platform), options)

    @function
    async def test(
        self,
        connector: ConnectorName,
        source: Source,
        platform: PlatformArg = "",
        image_mirror: Mirrors = None,
        ca_bundle: CaBundle = None,
        base_registry_username: Annotated[str, Doc("User for the base images' registry")] = "",
        base_registry_password: Annotated[dagger.Secret | None, Doc("Password for that registry")] = None,
    ) -> str:
        """Build the connector, then run its unit tests with pytest in a container made from its image"""
        checkout = await _checkout(source, connector)
        options = _options(checkout, image_mirror, ca_bundle, base_registry_username, base_registry_password)
        target = await _platform(platform)
        image = await _built(checkout, target, options)
        folder = unit_test_folder(checkout.connector)
        if folder is None:
            return f"{connector}: skipped, no unit_tests/ or tests/ folder (or not a Python connector)"
        plan = unit_test_plan_for(checkout.connector, CONNECTOR_IMAGE, target)
        tests = container_from_plan(dag, plan, checkout.context, image_mirrors=options.mirrors,
                                    credentials=options.credentials, ca_bundle=options.ca_bundle,
                                    local_images={CONNECTOR_IMAGE: image})
        result = await _run(tests, [folder, "-q", "-p", "no:cacheprovider"])
        summary = pytest_summary(result.stdout) or f"pytest exited with {result.exit_code}"
        if result.exit_code == PYTEST_NO_TESTS:
            return f"{connector}: skipped, no tests collected ({summary})"
        if not result.ok:
            raise PipelineError(f"{connector}: pytest: {summary}\n{_tail(result.stdout + result.stderr)}")
        return f"{connector}: pytest: {summary}"

    @function
    async def publish(
        self,
        connector: ConnectorName,
        source: Source,
        registry: Annotated[str, Doc("Registry host to push to, e.g. ghcr.io, docker.io, localhost:5000")],
        username: Annotated[str, Doc("Registry user")] = "",
        password: Annotated[dagger.Secret | None, Doc("Registry password or token")] = None,
        platforms: Annotated[str, Doc("Comma-separated platforms of the image")] = ",".join(PLATFORMS),
        tag: Annotated[str, Doc("Image tag (default: the metadata's dockerImageTag)")] = "",
        image_mirror: Mirrors = None,
        ca_bundle: CaBundle = None,
    ) -> str:
        """Build every platform, check `spec`, push once (gzip layers), pull back and check `spec` again

        A tag already on the registry is never overwritten: the call reports it and pushes nothing.
        The registry JSON and metadata store are written by `connector-pipelines publish`.
        """
        checkout = await _checkout(source, connector)
        wanted = [p.strip() for p in platforms.split(",") if p.strip()]
        unknown = [p for p in wanted if p not in PLATFORMS]
        if not wanted or unknown:
            raise PipelineError(f"--platforms {platforms}: supported platforms are {', '.join(PLATFORMS)}")
        version = tag or checkout.connector.version
        repository = checkout.connector.docker_repository
        name = image_name(registry, repository)
        auth = RegistryAuth(registry, username, await password.plaintext()) if password is not None else None

        async with RegistryClient.for_registry(registry, auth) as client:
            existing = await client.manifest_digest(repository, version)
        if existing:
            return f"{name}:{version} is already published ({existing}); nothing pushed"

        credentials = [RegistryCredential(registry, username, password)] if password is not None else []
        options = _options(checkout, image_mirror, ca_bundle, "", None)
        options.credentials += credentials
        images = [await _built(checkout, p, options) for p in wanted]
        first, *others = images
        if password is not None:
            first = first.with_registry_auth(name, username, password)
        # Gzip layers: zstd breaks older Docker daemons.
        address = await first.publish(f"{name}:{version}", platform_variants=others,
                                      forced_compression=dagger.ImageLayerCompression.Gzip)
        for target in wanted:
            pulled = dag.container(platform=dagger.Platform(target))
            if password is not None:
                pulled = pulled.with_registry_auth(name, username, password)
            _spec(await _run(pulled.from_(address), ["spec"]), f"{address} ({target})")
        return address


async def _checkout(source: dagger.Directory, name: str) -> _Checkout:
    """The connector as the recipes read it: a local copy of its folder (and the repo settings)."""
    root = Path(tempfile.mkdtemp(prefix="connector-pipelines-"))
    if await source.exists("pyproject.toml"):
        await source.file("pyproject.toml").export(str(root / "pyproject.toml"))
    repo = Monorepo.open(root)
    relative = f"{repo.settings.connectors_dir}/{name}"
    if not await source.exists(f"{relative}/metadata.yaml"):
        raise PipelineError(f"no connector '{name}': {relative}/metadata.yaml is not in the source directory "
                            "(pass the monorepo with --source)")
    context = source.directory(relative)
    await context.filter(exclude=LOCAL_COPY_EXCLUDE).export(str(root / relative))
    try:
        connector = repo.load_connector(root / relative)
    except InvalidMetadata as exc:
        raise PipelineError("\n".join(str(problem) for problem in exc.problems)) from None
    return _Checkout(connector, context, dict(repo.settings.image_mirrors))


def _options(checkout: _Checkout, image_mirror: list[str] | None, ca_bundle: dagger.File | None,
             username: str, password: dagger.Secret | None) -> _Options:
    mirrors = dict(checkout.mirrors)
    for text in image_mirror or ():
        try:
            source, target = parse_mirror_option(text)
        except ValueError as exc:
            raise PipelineError(str(exc)) from None
        mirrors[source] = target
    credentials: list[RegistryCredential] = []
    base = checkout.connector.base_image
    if password is not None and base:
        # For the registry the base image comes from once mirrors are applied.
        registry = ImageReference.parse(resolve_base_image(base, mirrors).reference).registry
        credentials.append(RegistryCredential(registry, username, password))
    return _Options(mirrors, credentials, ca_bundle)


async def _platform(platform: str) -> str:
    if platform:
        if platform not in PLATFORMS:
            raise PipelineError(f"--platform {platform}: supported platforms are {', '.join(PLATFORMS)}")
        return platform
    os_name, arch, *_ = str(await dag.default_platform()).split("/")
    return f"{os_name}/{arch}"


async def _built(checkout: _Checkout, platform: str, options: _Options) -> dagger.Container:
    try:
        plan = plan_for(checkout.connector, platform)
    except (RecipeUnsupported, RecipeError) as exc:
        raise PipelineError(f"{checkout.connector.name}: {exc}") from None
    image = container_from_plan(dag, plan, checkout.context, image_mirrors=options.mirrors,
                                credentials=options.credentials, ca_bundle=options.ca_bundle)
    _spec(await _run(image, ["spec"]), f"{checkout.connector.name} ({platform})")
    return image


async def _run(container: dagger.Container, args: list[str]) -> RunResult:
    """Run the image's entrypoint with ``args``; a non-zero exit is a result, not an error."""
    ran = container.with_exec(args, use_entrypoint=True, expect=dagger.ReturnType.ANY)
    return RunResult(exit_code=await ran.exit_code(), stdout=await ran.stdout(), stderr=await ran.stderr())


def _spec(result: RunResult, what: str) -> None:
    try:
        spec_from_output(result)
    except StepFailed as exc:
        raise PipelineError(f"{what}: {exc}\n{_tail(result.stderr or result.stdout)}") from None


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
