"""Build, test and publish the connectors of an Airbyte-style monorepo as Dagger functions

Each function is a thin adapter: it builds the same step list as the CLI
(pipelines.step_lists) and runs it through the same runner (pipelines.runner) on the Dagger
engine over the module's own session (``dag``). So `dagger call publish` does what
`connector-pipelines --engine dagger publish` does: check the registry and the store, lock,
validate, build, push once, pull back and check `spec`, record in the store, regenerate the
registries. From the root of the monorepo checkout:

    dagger call build --connector source-faker
    dagger call build --connector source-faker --platform linux/arm64 export --path source-faker.tar
    dagger call test --connector source-faker
    dagger call publish --connector source-faker --registry ghcr.io --username bot --password env:GHCR_TOKEN \
        --store s3://bucket
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import dagger
from dagger import DefaultPath, Doc, Ignore, dag, function, object_type

from connector_build.connector import Connector
from connector_build.images import ImageReference, resolve_base_image
from connector_build.monorepo import Monorepo
from connector_build.plan import PLATFORMS
from connector_build.problems import InvalidMetadata, UserError
from pipelines.assembled_steps import Assembler
from pipelines.build_options import resolve_build_options
from pipelines.engines.base import BuildOptions
from pipelines.engines.dagger import DaggerEngine
from pipelines.publish_steps import PublishTarget, planned_actions
from pipelines.registries_refresh import regenerate_registries
from pipelines.results import ConnectorReport, RunReport, StepStatus
from pipelines.runner import run_connector
from pipelines.step_lists import build_pipeline, publish_pipeline, run_tests_pipeline
from pipelines.steps import ConnectorState, Step
from registry.auth import RegistryAuth
from registry.compile import RegistryShrinks
from registry.oci import RegistryAuthError, RegistryClient, RegistryError, RegistryUnreachable
from registry.secrets import register_secret
from registry.store import Store
from registry.store_lease import check_atomic_create

SOURCE_IGNORE = [
    ".git", "**/.venv", "**/venv", "**/__pycache__", "**/node_modules", "**/.pytest_cache", "**/.mypy_cache",
    ".connector-pipelines", "dagger/sdk",
]
"""Never uploaded from the monorepo: caches and environments (each connector's secrets/ go too)."""

LOCAL_COPY_EXCLUDE = [".venv", "venv", "**/__pycache__", "secrets", ".git"]
"""The connector folder is copied into the module's container: the recipes read it, and the
engine uploads the build context from it (in a module, ``dag.host()`` is the module's container)."""

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
BaseUser = Annotated[str, Doc("User for the base images' registry")]
BasePassword = Annotated[dagger.Secret | None, Doc("Password for that registry")]


class PipelineError(Exception):
    """What the user must fix; Dagger shows the message as the function's error."""


@dataclass
class _Checkout:
    """The connector as the recipes read it: a local copy of its folder and the repo's settings."""

    repo: Monorepo
    connector: Connector


@object_type
class ConnectorPipelines:
    """Build, test and publish connectors with connector-pipelines' recipes and steps"""

    @function
    async def build(
        self,
        connector: ConnectorName,
        source: Source,
        platform: PlatformArg = "",
        image_mirror: Mirrors = None,
        ca_bundle: CaBundle = None,
        base_registry_username: BaseUser = "",
        base_registry_password: BasePassword = None,
    ) -> dagger.Container:
        """The connector's image, after it answered `spec` (a failing spec fails the build)

        The steps of `connector-pipelines --engine dagger build`.
        """
        # The copy is kept: the returned container is lazy and may read its context again.
        async with _checkout(source, connector, keep=True) as checkout:
            target = await _platform(platform)
            options = await _build_options(checkout, image_mirror, ca_bundle)
            options.registry_auth = await _base_auths(checkout, options, base_registry_username, base_registry_password)
            engine = DaggerEngine.on_client(dag)
            try:
                state, report = await _run(checkout, build_pipeline(engine, options, [target], checkout.connector))
                _raise_on_failure(report)
                image = state.images.get(target)
                if image is None:
                    raise PipelineError(f"{connector}: no image built ({_summary(report, 'build')})")
                return await engine.container(image.image_id, platform=target)
            finally:
                await engine.close()

    @function
    async def test(
        self,
        connector: ConnectorName,
        source: Source,
        platform: PlatformArg = "",
        image_mirror: Mirrors = None,
        ca_bundle: CaBundle = None,
        base_registry_username: BaseUser = "",
        base_registry_password: BasePassword = None,
    ) -> str:
        """Build the connector, then run its unit tests with pytest in a container made from its image

        The steps of `connector-pipelines --engine dagger test --only unit`.
        """
        async with _checkout(source, connector) as checkout:
            target = await _platform(platform)
            options = await _build_options(checkout, image_mirror, ca_bundle)
            options.registry_auth = await _base_auths(checkout, options, base_registry_username, base_registry_password)
            engine = DaggerEngine.on_client(dag)
            try:
                _, report = await _run(checkout, run_tests_pipeline(engine, options, checkout.connector, parts={"unit"},
                                                               platform=target))
            finally:
                await engine.close()
        _raise_on_failure(report)
        unit = next((step for step in report.steps if step.name == "unit"), None)
        if unit is None or unit.status is StepStatus.SKIPPED:
            return f"{connector}: skipped, {_summary(report, 'unit')}"
        return f"{connector}: {unit.summary}"

    @function
    async def publish(
        self,
        connector: ConnectorName,
        source: Source,
        registry: Annotated[str, Doc("Registry host to push to, e.g. ghcr.io, docker.io, localhost:5000")],
        store: Annotated[str, Doc("Metadata store: an fsspec URL (s3://, gs://) the module can reach")],
        username: Annotated[str, Doc("Registry user")] = "",
        password: Annotated[dagger.Secret | None, Doc("Registry password or token")] = None,
        platforms: Annotated[str, Doc("Comma-separated platforms of the image")] = ",".join(PLATFORMS),
        base_url: Annotated[str, Doc("Public URL the store is served at (for iconUrl)")] = "",
        pre_release_sha: Annotated[str, Doc("A commit sha: publish X.Y.Z-dev.<sha>, never latest, "
                                            "never in the registries")] = "",
        dry_run: Annotated[bool, Doc("Say what would be pushed and written; touch nothing")] = False,
        image_mirror: Mirrors = None,
        ca_bundle: CaBundle = None,
    ) -> str:
        """Publish the connector's version as `connector-pipelines --engine dagger publish` does

        The same steps: check the registry and the store, lock, validate, build every platform,
        push once (gzip layers), pull back and run `spec`, record in the store, then regenerate the
        registries. A tag already on the registry is never overwritten; a version recorded already
        is left alone.
        """
        wanted = list(dict.fromkeys(p.strip() for p in platforms.split(",") if p.strip()))
        unknown = [p for p in wanted if p not in PLATFORMS]
        if not wanted or unknown:
            raise PipelineError(f"--platforms {platforms}: supported platforms are {', '.join(PLATFORMS)}")
        if pre_release_sha and not re.fullmatch(r"[0-9a-f]{7,40}", pre_release_sha):
            raise PipelineError(f"--pre-release-sha {pre_release_sha}: expected a hexadecimal commit sha")
        auths = await _auths(registry, username, password)
        auth = auths[0] if auths else None
        try:
            target_store = Store.open(store)
            check_atomic_create(target_store)
        except UserError as exc:
            raise PipelineError(str(exc)) from None
        async with _checkout(source, connector) as checkout:
            options = await _build_options(checkout, image_mirror, ca_bundle)
            if _base_registry(checkout, options) == registry:
                options.registry_auth = auths  # the base image comes from the registry pushed to
            try:
                lines = await _publish(checkout, options, registry, auth, target_store, base_url,
                                       pre_release_sha or None, dry_run, tuple(wanted))
            except RegistryError as exc:
                raise PipelineError(str(exc)) from None
        return "\n".join(lines)


async def _publish(checkout: _Checkout, options: BuildOptions, registry: str, auth: RegistryAuth | None,
                   store: Store, base_url: str, pre_release_sha: str | None, dry_run: bool,
                   platforms: tuple[str, ...]) -> list[str]:
    """What the CLI's ``publish`` runs for one connector: its step list, then the registries."""
    async with RegistryClient.for_registry(registry, auth) as client:
        try:
            await client.check_access()
        except (RegistryAuthError, RegistryUnreachable) as exc:
            raise PipelineError(str(exc)) from None
        target = PublishTarget(registry=registry, registry_client=client, auth=auth, store=store,
                               base_url=base_url or store.default_base_url(), repo_root=checkout.repo.root,
                               pre_release_sha=pre_release_sha, dry_run=dry_run, platforms=platforms)
        engine = DaggerEngine.on_client(dag)
        assembler = Assembler(options, target=client)
        try:
            _, report = await _run(checkout, publish_pipeline(engine, target, options, checkout.connector, assembler))
        finally:
            await assembler.aclose()
            await engine.close()
    _raise_on_failure(report)
    lines = [f"{step.name}: {step.status.value}: {step.summary}" for step in report.steps]
    if dry_run:
        run = RunReport(command="publish", engine="dagger", started_at=dt.datetime.now(dt.UTC), connectors=[report])
        return [*lines, *planned_actions(run)]
    if pre_release_sha:
        return lines
    try:
        regenerated = await regenerate_registries(store, base_url=target.base_url, lease_settings=target.lease_settings,
                                                  on_wait=lambda _: None, on_warning=lambda _: None)
    except RegistryShrinks as exc:
        raise PipelineError(str(exc)) from None
    if regenerated is not None:
        oss, cloud = regenerated
        lines.append(f"registries regenerated: oss {len(oss)} and cloud {len(cloud)} connector(s)")
    return lines


@asynccontextmanager
async def _checkout(source: dagger.Directory, name: str, *, keep: bool = False) -> AsyncIterator[_Checkout]:
    """A local copy of the connector's folder (and the repo settings), removed afterwards unless ``keep``."""
    root = Path(tempfile.mkdtemp(prefix="connector-pipelines-"))
    try:
        if await source.exists("pyproject.toml"):
            await source.file("pyproject.toml").export(str(root / "pyproject.toml"))
        try:
            repo = Monorepo.open(root)
        except UserError as exc:  # the monorepo's [tool.connector-pipelines] settings
            raise PipelineError(str(exc)) from None
        relative = f"{repo.settings.connectors_dir}/{name}"
        if not await source.exists(f"{relative}/metadata.yaml"):
            raise PipelineError(f"no connector '{name}': {relative}/metadata.yaml is not in the source directory "
                                "(pass the monorepo with --source)")
        await source.directory(relative).filter(exclude=LOCAL_COPY_EXCLUDE).export(str(root / relative))
        try:
            connector = repo.load_connector(root / relative)
        except InvalidMetadata as exc:
            raise PipelineError("\n".join(str(problem) for problem in exc.problems)) from None
        yield _Checkout(repo, connector)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


async def _build_options(checkout: _Checkout, image_mirror: list[str] | None,
                         ca_bundle: dagger.File | None) -> BuildOptions:
    """The CLI's resolution (flags over the repo's settings), with the CA bundle copied in."""
    bundle = None
    if ca_bundle is not None:
        bundle = checkout.repo.root / ".ca-bundle.pem"
        await ca_bundle.export(str(bundle))
    try:
        return resolve_build_options(checkout.repo, image_mirrors=image_mirror, ca_bundle=bundle, network="host")
    except UserError as exc:
        raise PipelineError(str(exc)) from None


async def _base_auths(checkout: _Checkout, options: BuildOptions, username: str,
                      password: dagger.Secret | None) -> list[RegistryAuth]:
    """The credentials for the base image's registry, when a password is given."""
    return await _auths(_base_registry(checkout, options), username, password)


def _base_registry(checkout: _Checkout, options: BuildOptions) -> str | None:
    """The registry the base image comes from once mirrors are applied."""
    base = checkout.connector.base_image
    if not base:
        return None
    return ImageReference.parse(resolve_base_image(base, options.image_mirrors).reference).registry


async def _auths(registry: str | None, username: str, password: dagger.Secret | None) -> list[RegistryAuth]:
    if registry is None or password is None:
        return []
    plaintext = await password.plaintext()
    register_secret(plaintext)  # masked in every log line and error
    return [RegistryAuth(registry, username, plaintext)]


async def _platform(platform: str) -> str:
    if platform:
        if platform not in PLATFORMS:
            raise PipelineError(f"--platform {platform}: supported platforms are {', '.join(PLATFORMS)}")
        return platform
    os_name, arch, *_ = str(await dag.default_platform()).split("/")
    return f"{os_name}/{arch}"


async def _run(checkout: _Checkout, steps: Sequence[Step]) -> tuple[ConnectorState, ConnectorReport]:
    """The runner's pipeline for one connector; step logs go to a folder removed afterwards."""
    connector = checkout.connector
    report = ConnectorReport(connector=connector.name, version=connector.version)
    with tempfile.TemporaryDirectory(prefix="connector-pipelines-logs-") as logs:
        state = await run_connector(connector, steps, report, Path(logs), None)
    return state, report


def _raise_on_failure(report: ConnectorReport) -> None:
    failed = next((step for step in report.steps if step.status is StepStatus.FAILURE), None)
    if failed is not None:
        tail = "\n".join(failed.log_tail)
        raise PipelineError(f"{report.connector}: {failed.name}: {failed.summary}" + (f"\n{tail}" if tail else ""))


def _summary(report: ConnectorReport, step_name: str) -> str:
    return next((step.summary for step in report.steps if step.name == step_name), "not run")
