"""The Dagger engine: executes the same ContainerPlans through dagger-io, on any Dagger engine.

:class:`DaggerEngine` is the :class:`~pipelines.engines.base.Engine` the CLI runs with
``--engine dagger``: it holds one Dagger session, opened on first use and closed by ``close()``.
What a plan becomes in Dagger is :mod:`pipelines.engines.dagger_plan` (a pure translation).

    engine = DaggerEngine.connect()          # raises EngineUnavailable with how to reach an engine
    image = await engine.build(plan, tags=["airbyte/source-x:dev"], log=log, options=BuildOptions())
    result = await engine.run(image.reference, ["spec"], platform=plan.platform, log=log)
    await engine.close()

Which engine: the current Dagger session (``dagger run``), else ``_EXPERIMENTAL_DAGGER_RUNNER_HOST``
with ``_EXPERIMENTAL_DAGGER_CLI_BIN`` (or ``dagger`` on PATH), else the engine setup started
(``scripts/start-dagger-engine.sh`` writes its settings to ``engine.env`` in the state folder).

Differences from the Docker engine, each forced by Dagger itself:

- Dagger execs always have a network: ``run(network="none")`` cannot be enforced.
- Dagger caches execs by their inputs; ``run`` adds a unique environment variable
  (``CONNECTOR_PIPELINES_RUN``) so a connector really runs each time (stale results were
  airbyte-ci's complaint, airbytehq/airbyte#28299). Builds stay cached: their inputs are the files.
- Built images live in the Dagger engine's cache. When a Docker daemon is reachable they are also
  exported (a gzip, Docker-media-type tarball) and loaded into it under their tags, so
  ``airbyte/source-x:dev`` is there for ``docker run`` as with the Docker engine.
"""

# Import order: ruff takes `dagger` for first-party because of the module folder `dagger/` at the
# root; it is dagger-io (known-third-party = ["dagger"] in [tool.ruff.lint.isort] would say so).
from __future__ import annotations  # noqa: I001

import hashlib
import os
import shlex
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import dagger

from connector_build.plan import ContainerPlan, failure_reason
from pipelines.engines.base import (
    first_line,
    BuildFailed,
    BuildOptions,
    BuiltImage,
    EngineError,
    EngineUnavailable,
    PushFailed,
    RunResult,
)
from pipelines.engines.dagger_plan import container_from_plan, dagger_excludes, registry_credentials
from pipelines.local_registry import STATE_DIR
from pipelines.logs import StepLog
from registry.auth import RegistryAuth
from registry.secrets import register_secret

SESSION_ENV = ("DAGGER_SESSION_PORT", "DAGGER_SESSION_TOKEN")
RUNNER_HOST_ENV = "_EXPERIMENTAL_DAGGER_RUNNER_HOST"
CLI_BIN_ENV = "_EXPERIMENTAL_DAGGER_CLI_BIN"
SETUP_ENGINE_ENV_FILE = STATE_DIR / "dagger-engine" / "engine.env"
"""Written by scripts/start-dagger-engine.sh: how to reach the engine setup started."""

HOW_TO_CONNECT = (
    "start an engine (in a checkout of connector-pipelines: "
    "`bash scripts/build-dagger-engine.sh && bash scripts/start-dagger-engine.sh`), "
    "run inside a Dagger session (`dagger run connector-pipelines --engine dagger ...`), "
    f"or point to an engine with {RUNNER_HOST_ENV}=tcp://host:port (a remote engine) "
    f"and {CLI_BIN_ENV} (or the `dagger` CLI on PATH)"
)

RUN_NONCE_ENV = "CONNECTOR_PIPELINES_RUN"
STDIN_PATH = "/tmp/connector-pipelines-stdin"
IMAGE_ID_PREFIX = "dagger:"


def setup_engine_settings(path: Path | None = None) -> dict[str, str]:
    """The runner host and CLI of the engine setup started; empty when it started none."""
    path = path or SETUP_ENGINE_ENV_FILE
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    settings = {key.strip(): value.strip() for key, value in pairs}
    cli = settings.get(CLI_BIN_ENV)
    if not settings.get(RUNNER_HOST_ENV) or not cli or not Path(cli).is_file():
        return {}
    return settings


def use_setup_engine() -> bool:
    """Point dagger-io at the engine setup started, unless the environment names another one."""
    if any(os.environ.get(name) for name in (*SESSION_ENV, RUNNER_HOST_ENV)):
        return False
    settings = setup_engine_settings()
    if not settings:
        return False
    for key, value in settings.items():
        os.environ.setdefault(key, value)
    return True


def engine_reachable() -> str | None:
    """How a Dagger engine would be reached from here, or None when it cannot be.

    When the environment names no engine, this adopts the one setup started (see
    :func:`use_setup_engine`)."""
    if all(os.environ.get(name) for name in SESSION_ENV):
        return "the current Dagger session (DAGGER_SESSION_PORT)"
    use_setup_engine()
    if os.environ.get(RUNNER_HOST_ENV):
        return f"the engine at {os.environ[RUNNER_HOST_ENV]}"
    if os.environ.get(CLI_BIN_ENV):
        return f"a session started by {os.environ[CLI_BIN_ENV]}"
    cli = shutil.which("dagger")
    if cli:
        return f"a session started by {cli}"
    return None


def docker_config_registries() -> set[str]:
    """Registries the Docker client config holds credentials for (``docker login``).

    Dagger's session hands these to the engine by itself. Passing them again through
    ``with_registry_auth`` would tie every later exec to this session: a second client process
    would rebuild instead of using the engine's cache (seen on v0.21.8)."""
    import json

    folder = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker"))
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return set()
    return set(config.get("auths", {})) | set(config.get("credHelpers", {}))


def sdk_version() -> str:
    """The installed dagger-io's version (the engine should be the same release)."""
    from importlib.metadata import version

    return version("dagger-io")


async def engine_version(timeout_s: float = 120) -> str:
    """The version the reachable engine reports (opens one session, then closes it)."""
    engine = DaggerEngine.connect()
    try:
        with anyio.fail_after(timeout_s):
            client = await engine.client()
            return await client.version()
    except dagger.DaggerError as exc:
        raise EngineUnavailable(f"the Dagger engine did not answer: {first_line(exc)}") from None
    except TimeoutError:
        raise EngineUnavailable(f"the Dagger engine did not answer within {timeout_s:.0f} s") from None
    finally:
        await engine.close()


class DaggerEngine:
    """:class:`~pipelines.engines.base.Engine` over one Dagger session (opened lazily)."""

    name = "dagger"

    def __init__(self, *, config: dagger.Config | None = None, export_to_docker: bool = True) -> None:
        self._config = config
        self._export_to_docker = export_to_docker
        self._connection: dagger.Connection | None = None
        self._client: dagger.Client | None = None
        self._borrowed: dagger.Client | None = None
        """Set by :meth:`on_client`: the caller's session, never opened or closed here."""
        self._lock = anyio.Lock()
        self._images: dict[tuple[str, str], dagger.Container] = {}
        """Built and pulled containers by (reference, platform); references include image ids."""
        self._docker: Any = None
        self._docker_checked = False
        self._docker_lock = anyio.Lock()
        """Concurrent builds wait for the one daemon check rather than reading its result early."""
        self._scratch: Path | None = None
        """Host files the session uploads lazily (binary run files); removed by ``close()``."""
        self.notices: list[str] = []
        """One-time messages for the user (a mirror replaced a pinned digest, no Docker daemon …)."""

    @classmethod
    def connect(cls, *, config: dagger.Config | None = None) -> DaggerEngine:
        """An engine for the reachable Dagger engine, or EngineUnavailable saying how to get one."""
        if engine_reachable() is None:
            raise EngineUnavailable(f"no Dagger engine to connect to: {HOW_TO_CONNECT}")
        return cls(config=config)

    @classmethod
    def on_client(cls, client: dagger.Client, *, export_to_docker: bool = False) -> DaggerEngine:
        """An engine over a session someone else holds (a Dagger module's ``dag``): ``close()``
        leaves that session open. Built images stay in Dagger unless ``export_to_docker``."""
        engine = cls(export_to_docker=export_to_docker)
        engine._client = engine._borrowed = client
        return engine

    async def client(self) -> dagger.Client:
        """The session's client, opening the session on first use."""
        async with self._lock:
            if self._client is not None:
                return self._client
            if self._borrowed is not None:
                raise EngineUnavailable("this engine's Dagger session belongs to its caller and was closed")
            cli = shutil.which("dagger") or setup_engine_settings().get(CLI_BIN_ENV)
            if cli and not any(os.environ.get(name) for name in (*SESSION_ENV, CLI_BIN_ENV)):
                # Without this the SDK downloads its own CLI, which fails where dl.dagger.io is blocked.
                os.environ[CLI_BIN_ENV] = cli
            connection = dagger.Connection(self._config)
            try:
                # Entered by hand, not in an ``async with``: the session outlives this call and
                # ends in ``close()`` (``__aenter__`` is what types the result as a Client).
                client = await connection.__aenter__()
            except (dagger.DaggerError, OSError) as exc:
                with anyio.CancelScope(shield=True):
                    await connection.__aexit__(None, None, None)
                raise EngineUnavailable(f"cannot start a Dagger session ({first_line(exc)}); {HOW_TO_CONNECT}") \
                    from None
            self._connection, self._client = connection, client
            return client

    async def close(self) -> None:
        async with self._lock:
            connection, self._connection, self._client = self._connection, None, None
            self._images.clear()
            if connection is not None:
                with anyio.CancelScope(shield=True):
                    await connection.__aexit__(None, None, None)
        if self._docker is not None:
            await anyio.to_thread.run_sync(self._docker.close)
            self._docker = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def remove_own_containers(self) -> int:
        """Nothing to remove: Dagger's containers live in its session, which ``close`` ends."""
        return 0

    # -- build ---------------------------------------------------------------------------

    async def build(self, plan: ContainerPlan, *, tags: Sequence[str], log: StepLog,
                    options: BuildOptions) -> BuiltImage:
        client = await self.client()
        for auth in options.registry_auth:
            register_secret(auth.password)
        context = client.host().directory(str(plan.context_dir.resolve()), exclude=dagger_excludes(plan.excludes))
        ca_bundle = None
        if options.ca_bundle is not None and plan.needs_ca():
            ca_bundle = client.host().file(str(options.ca_bundle.resolve()))
        container = container_from_plan(
            client, plan, context,
            image_mirrors=options.image_mirrors,
            credentials=registry_credentials(client, [auth for auth in options.registry_auth
                                                      if auth.registry not in docker_config_registries()]),
            ca_bundle=ca_bundle,
            local_images=self._local_images(plan.platform),
            on_notice=lambda notice: self._notice(notice, log),
        )
        log.write(f"building {tags[0]} for {plan.platform} on the Dagger engine")
        try:
            container = await container.sync()
            platform = await container.platform()
            container_id = await container.id()
        except dagger.ExecError as exc:
            log.write(exc.stdout)
            log.write(exc.stderr)
            reason = failure_reason(f"{exc.stdout}\n{exc.stderr}".splitlines())
            raise BuildFailed(f"build failed: {reason}" if reason else
                              f"build failed: `{shlex.join(exc.command)}` exited with {exc.exit_code}",
                              log.tail(15)) from None
        except dagger.QueryError as exc:
            log.write(str(exc))
            raise BuildFailed(f"build failed: {first_line(exc)}", log.tail(15)) from None
        except dagger.DaggerError as exc:
            raise EngineError(f"the Dagger engine failed: {first_line(exc)}", log.tail(5)) from None
        wanted = plan.platform.split("/")[1]
        architecture = str(platform).split("/")[1] if "/" in str(platform) else str(platform)
        if architecture != wanted:
            raise BuildFailed(f"built image says platform '{platform}', expected '{plan.platform}'", log.tail(5))
        image_id = IMAGE_ID_PREFIX + "sha256:" + hashlib.sha256(container_id.encode()).hexdigest()
        for reference in (image_id, *tags):
            self._images[(reference, plan.platform)] = container
        await self._load_into_docker(container, list(tags), log)
        log.write(f"built {image_id[:26]} as {', '.join(tags)}")
        return BuiltImage(reference=tags[0], platform=plan.platform, image_id=image_id)

    def _local_images(self, platform: str) -> dict[str, dagger.Container]:
        return {reference: c for (reference, p), c in self._images.items() if p == platform}

    def _notice(self, notice: str, log: StepLog) -> None:
        log.write(notice)
        if notice not in self.notices:
            self.notices.append(notice)

    async def _load_into_docker(self, container: dagger.Container, tags: list[str], log: StepLog) -> None:
        """Export the image and ``docker load`` it, so its tags exist in the local daemon too."""
        docker_client = await self._docker_client()
        if docker_client is None:
            return
        with tempfile.TemporaryDirectory(prefix="connector-pipelines-") as folder:
            tarball = Path(folder) / "image.tar"
            try:
                # Gzip and Docker media types: what a Docker 20.10 daemon loads (zstd it cannot).
                await container.export(str(tarball), forced_compression=dagger.ImageLayerCompression.Gzip,
                                       media_types=dagger.ImageMediaTypes.DockerMediaTypes)
            except dagger.DaggerError as exc:
                self._notice(f"could not export {tags[0]} from the Dagger engine: {first_line(exc)}", log)
                return

            def load() -> None:
                with tarball.open("rb") as handle:
                    images = docker_client.images.load(handle)
                for image in images[:1]:
                    for tag in tags:
                        repository, _, name = tag.rpartition(":")
                        image.tag(repository, name)

            try:
                await anyio.to_thread.run_sync(load)
            except Exception as exc:  # docker-py raises APIError, ImageLoadError, requests errors
                self._notice(f"could not load {tags[0]} into the Docker daemon: {first_line(exc)}", log)
                return
        log.write(f"loaded into the local Docker daemon as {', '.join(tags)}")

    async def _docker_client(self) -> Any:
        """docker-py's client when a daemon answers, else None (checked once)."""
        if not self._export_to_docker:
            return None
        async with self._docker_lock:
            if not self._docker_checked:
                def ping() -> Any:
                    import docker
                    import docker.errors

                    try:
                        found = docker.from_env(timeout=600)
                        found.ping()
                    except docker.errors.DockerException:
                        return None
                    return found

                self._docker = await anyio.to_thread.run_sync(ping)
                if self._docker is None:
                    self.notices.append("no Docker daemon: built images stay in the Dagger engine's cache, "
                                        "not in `docker images`")
                self._docker_checked = True
        return self._docker

    # -- run -----------------------------------------------------------------------------

    async def run(self, image: str, args: Sequence[str], *, platform: str | None = None,
                  files: Mapping[str, bytes] | None = None, stdin: bytes | None = None,
                  env: Mapping[str, str] | None = None, network: str = "none",
                  entrypoint: Sequence[str] | None = None,
                  timeout_s: float = 600, log: StepLog) -> RunResult:
        client = await self.client()
        container = self._container(client, image, platform)
        if entrypoint:
            container = container.with_entrypoint(list(entrypoint))
        for name, value in (env or {}).items():
            container = container.with_env_variable(name, value)
        container = container.with_env_variable(RUN_NONCE_ENV, uuid.uuid4().hex)
        for path, data in (files or {}).items():
            container = self._with_bytes(client, container, path, data)
        stdin_text = ""
        redirect_stdin = ""
        if stdin is not None:
            try:
                stdin_text = stdin.decode("utf-8")
            except UnicodeDecodeError:
                container = self._with_bytes(client, container, STDIN_PATH, stdin)
                redirect_stdin = STDIN_PATH
        ran = container.with_exec(list(args), use_entrypoint=True, stdin=stdin_text, redirect_stdin=redirect_stdin,
                                  expect=dagger.ReturnType.ANY)
        log.write(f"$ {' '.join(args)}")
        try:
            with anyio.fail_after(timeout_s):
                exit_code = await ran.exit_code()
                stdout = await ran.stdout()
                stderr = await ran.stderr()
        except TimeoutError:
            log.write(f"timed out after {timeout_s:.0f} s")
            return RunResult(exit_code=-1, stdout="", stderr="", timed_out=True)
        except dagger.ExecError as exc:  # exit codes ReturnType.ANY leaves out (killed by a signal)
            exit_code, stdout, stderr = exc.exit_code, exc.stdout, exc.stderr
        except dagger.QueryError as exc:
            raise EngineError(f"cannot run {image}: {first_line(exc)}") from None
        except dagger.DaggerError as exc:
            raise EngineError(f"the Dagger engine failed: {first_line(exc)}") from None
        log.write(stderr)
        log.write(f"exit code {exit_code}")
        return RunResult(exit_code=exit_code, stdout=stdout, stderr=stderr)

    def _with_bytes(self, client: dagger.Client, container: dagger.Container, path: str,
                    data: bytes) -> dagger.Container:
        """Put ``data`` at ``path``: text directly; other bytes through a host file (the API's
        ``with_new_file`` takes text only). The host file must outlive the lazy query: it is
        removed by ``close()``."""
        try:
            return container.with_new_file(path, data.decode("utf-8"), permissions=0o444)  # inputs: read-only
        except UnicodeDecodeError:
            pass
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="connector-pipelines-dagger-"))
        host_file = self._scratch / uuid.uuid4().hex
        host_file.write_bytes(data)
        return container.with_file(path, client.host().file(str(host_file)), permissions=0o444)

    def _container(self, client: dagger.Client, image: str, platform: str | None) -> dagger.Container:
        """A built or pulled container by reference or image id; else the image from its registry."""
        if platform is not None and (image, platform) in self._images:
            return self._images[(image, platform)]
        for (reference, _), container in self._images.items():
            if reference == image and platform is None:
                return container
        if platform is None:
            return client.container().from_(image)
        return client.container(platform=dagger.Platform(platform)).from_(image)

    async def label(self, image: str, name: str, *, platform: str | None = None) -> str | None:
        """One label of a built image (contract tests read labels through this)."""
        return await (await self.container(image, platform=platform)).label(name)

    async def container(self, image: str, *, platform: str | None = None) -> dagger.Container:
        """A built or pulled image as a Dagger container (what the Dagger module returns)."""
        return self._container(await self.client(), image, platform)

    # -- pull ----------------------------------------------------------------------------

    async def pull(self, reference: str, *, platform: str, auth: RegistryAuth | None, log: StepLog) -> str:
        client = await self.client()
        container = client.container(platform=dagger.Platform(platform))
        if auth is not None:
            register_secret(auth.password)
            credential = registry_credentials(client, [auth])[0]
            container = container.with_registry_auth(reference, credential.username, credential.secret)
        log.write(f"pulling {reference} for {platform}")
        try:
            container = await container.from_(reference).sync()
        except dagger.DaggerError as exc:
            raise EngineError(f"pull of {reference} failed: {first_line(exc)}") from None
        self._images[(reference, platform)] = container
        return reference

    # -- push ----------------------------------------------------------------------------

    async def push(self, image: str, reference: str, *, auth: RegistryAuth | None, log: StepLog) -> str:
        client = await self.client()
        matches = [c for (ref, _), c in self._images.items() if ref == image]
        if not matches:
            raise PushFailed(f"push of {reference} failed: {image} was not built or pulled by this Dagger session")
        container = matches[0]
        if auth is not None:
            register_secret(auth.password)
            credential = registry_credentials(client, [auth])[0]
            container = container.with_registry_auth(reference, credential.username, credential.secret)
        try:
            address = await container.publish(reference, forced_compression=dagger.ImageLayerCompression.Gzip)
        except dagger.DaggerError as exc:
            log.write(str(exc))
            raise PushFailed(f"push of {reference} failed: {first_line(exc)}", log.tail(10)) from None
        _, _, digest = address.partition("@")
        if not digest:
            raise PushFailed(f"push of {reference} reported no digest ({address})", log.tail(10))
        log.write(f"pushed {reference}@{digest}")
        return digest


__all__ = [
    "DaggerEngine",
    "engine_reachable",
    "engine_version",
    "sdk_version",
    "setup_engine_settings",
]
