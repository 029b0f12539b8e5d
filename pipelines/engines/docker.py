"""The Docker engine: executes ContainerPlans through the Docker Engine API (docker-py).

docker-py is synchronous; every call runs in a worker thread so many connectors build at once.
Containers this engine starts are removed when their run ends, fails or is cancelled.

    engine = DockerEngine.connect()          # raises EngineUnavailable with a how-to-fix line
    image = await engine.build(plan, tags=["airbyte/source-x:dev"], log=log, options=BuildOptions())
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import anyio.to_thread
import docker
import docker.errors
import docker.utils
from docker.models.containers import Container

from connector_build.images import ImageReference, resolve_base_image
from connector_build.plan import ContainerPlan, failure_reason
from pipelines.engines.base import (
    BuildFailed,
    BuildOptions,
    BuiltImage,
    EngineError,
    EngineUnavailable,
    PushFailed,
    RegistryAuth,
    RunResult,
    first_line,
    host_platform,
)
from pipelines.engines.dockerfile_render import (
    CA_BUNDLE_NAME,
    DOCKERFILE_NAME,
    build_context,
    is_own_dockerfile_plan,
    render_dockerfile,
)
from pipelines.logs import StepLog
from registry.processes import pid_alive

LOCAL_BASE_REPOSITORY = "connector-pipelines/base"
"""Where a base image pulled for one platform is tagged, so two platforms never share a tag."""

STDIN_PATH = "/tmp/connector-pipelines-stdin"
RUN_LABEL = "io.connector-pipelines.run"
"""Every container we start carries it, valued with the engine's run id, so leftovers can be found."""


class DockerEngine:
    name = "docker"

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self._base_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._resolved_bases: dict[tuple[str, str], str] = {}
        self._notices: set[str] = set()
        self.notices: list[str] = []
        self.run_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        """One-time messages for the user (e.g. a mirror replaced a pinned digest)."""

    @classmethod
    def connect(cls) -> DockerEngine:
        try:
            client = docker.from_env(timeout=600)
            client.ping()
        except docker.errors.DockerException as exc:
            raise EngineUnavailable(
                f"cannot reach the Docker daemon ({first_line(exc)}); start Docker (in a checkout of "
                "connector-pipelines: bash scripts/start-docker.sh) or point DOCKER_HOST at one; "
                "`connector-pipelines doctor` checks the rest"
            ) from None
        engine = cls(client)
        engine.remove_orphaned_containers()
        return engine

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self.client.close)

    # -- build ---------------------------------------------------------------------------

    async def build(self, plan: ContainerPlan, *, tags: Sequence[str], log: StepLog,
                    options: BuildOptions) -> BuiltImage:
        # A connection of its own: closing it is how a cancelled build is stopped in the daemon.
        api = docker.APIClient(**docker.utils.kwargs_from_env(), version=self.client.api.api_version,
                               timeout=3600)
        try:
            return await anyio.to_thread.run_sync(self._build_sync, api, plan, list(tags), log, options,
                                                  abandon_on_cancel=True)
        finally:
            api.close()

    def _build_sync(self, api: docker.APIClient, plan: ContainerPlan, tags: list[str], log: StepLog,
                    options: BuildOptions) -> BuiltImage:
        if is_own_dockerfile_plan(plan):
            extra: dict[str, bytes] = {}
            dockerfile = "Dockerfile"
            labels = plan.labels()
        else:
            bases = {base.reference: base.reference if base.local else
                     self.local_base(base.reference, plan.platform, options, log) for base in plan.base_images()}
            ca_bundle = options.ca_bundle if plan.needs_ca() else None
            text = render_dockerfile(plan, bases, with_ca=ca_bundle is not None)
            extra = {DOCKERFILE_NAME: text.encode()}
            if ca_bundle is not None:
                extra[CA_BUNDLE_NAME] = ca_bundle.read_bytes()
            dockerfile = DOCKERFILE_NAME
            labels = None
        context = build_context(plan, extra)
        log.write(f"building {tags[0]} for {plan.platform} ({len(context) // 1024} KiB context)")
        image_id = None
        try:
            stream = api.build(
                fileobj=io.BytesIO(context), custom_context=True, dockerfile=dockerfile, tag=tags[0],
                platform=plan.platform, network_mode=options.network if plan.needs_network() else None,
                labels=labels, rm=True, forcerm=True, decode=True, pull=False,
            )
            for chunk in stream:
                if "stream" in chunk:
                    log.write(chunk["stream"])
                if "error" in chunk:
                    log.write(chunk["error"])
                    reason = failure_reason(log.tail()) or first_line(chunk["error"])
                    raise BuildFailed(f"build failed: {reason}", log.tail(15))
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "ID" in aux:
                    image_id = aux["ID"]
        except docker.errors.APIError as exc:
            log.write(str(exc))
            raise BuildFailed(f"build failed: {_api_message(exc)}", log.tail(15)) from None
        image = self.client.images.get(image_id or tags[0])
        for extra_tag in tags[1:]:
            image.tag(extra_tag)
        architecture = image.attrs.get("Architecture", "")
        wanted = plan.platform.split("/")[1]
        if architecture != wanted:
            raise BuildFailed(f"built image says architecture '{architecture}', expected '{wanted}'", log.tail(5))
        log.write(f"built {image.id[:19]} as {', '.join(tags)}")
        return BuiltImage(reference=tags[0], platform=plan.platform, image_id=image.id)

    def local_base(self, reference: str, platform: str, options: BuildOptions, log: StepLog) -> str:
        """Pull ``reference`` (through a mirror if configured) for ``platform``; return a local tag."""
        resolved = resolve_base_image(reference, options.image_mirrors)
        notice = resolved.notice()
        if notice and notice not in self._notices:
            self._notices.add(notice)
            self.notices.append(notice)
        if notice:
            log.write(notice)
        key = (resolved.reference, platform)
        with self._locks_guard:
            lock = self._base_locks.setdefault(resolved.reference, threading.Lock())
        # One lock per reference: a pull re-points the local tag, so pulls of the same reference for
        # two platforms must not overlap, and two connectors on one base pull it once.
        with lock:
            if key in self._resolved_bases:
                return self._resolved_bases[key]
            local_tag = f"{LOCAL_BASE_REPOSITORY}:{_digest_name(resolved.reference)}-{platform.split('/')[1]}"
            parsed = ImageReference.parse(resolved.reference)
            auth = options.auth_for(parsed.registry)
            before = self._image_id(resolved.reference)
            try:
                log.write(f"pulling {resolved.reference} for {platform}")
                image = self.client.images.pull(resolved.reference, platform=platform,
                                                auth_config=_auth_config(auth))
            except docker.errors.APIError as exc:
                image = self._local_image(resolved.reference, platform)
                if image is None:
                    raise BuildFailed(
                        f"base image {resolved.reference} for {platform} is not available: {_api_message(exc)}"
                        + ("" if resolved.mirror else " (map its registry to a mirror with --image-mirror)"),
                        [str(exc)],
                    ) from None
                log.write(f"pull failed ({_api_message(exc)}); using the local copy")
            if image.attrs.get("Architecture") != platform.split("/")[1]:
                raise BuildFailed(
                    f"base image {resolved.reference} has architecture {image.attrs.get('Architecture')}, "
                    f"not {platform}"
                )
            image.tag(local_tag)
            self._keep_plain_tag_native(resolved.reference, platform, before)
            self._resolved_bases[key] = local_tag
            return local_tag

    def _image_id(self, reference: str) -> str | None:
        try:
            return str(self.client.images.get(reference).id)
        except docker.errors.ImageNotFound:
            return None

    def _keep_plain_tag_native(self, reference: str, platform: str, before: str | None) -> None:
        """A pull for another platform re-points the plain tag; point it back, so that
        ``docker run REFERENCE`` after a multi-platform build still runs this machine's image."""
        if platform == host_platform():
            return
        if before:
            self.client.images.get(before).tag(reference)
        else:
            self.client.api.remove_image(reference, noprune=True)  # only the tag: local_tag keeps the image

    def _local_image(self, reference: str, platform: str) -> Any:
        try:
            image = self.client.images.get(reference)
        except docker.errors.ImageNotFound:
            return None
        return image if image.attrs.get("Architecture") == platform.split("/")[1] else None

    # -- run -----------------------------------------------------------------------------

    async def run(self, image: str, args: Sequence[str], *, platform: str | None = None,
                  files: Mapping[str, bytes] | None = None, stdin: bytes | None = None,
                  env: Mapping[str, str] | None = None, network: str = "none",
                  entrypoint: Sequence[str] | None = None,
                  timeout_s: float = 600, log: StepLog) -> RunResult:
        holder = _ContainerHolder()
        try:
            return await anyio.to_thread.run_sync(
                self._run_sync, image, list(args), platform, dict(files or {}), stdin, dict(env or {}),
                network, list(entrypoint) if entrypoint else None, timeout_s, log, holder,
                abandon_on_cancel=True,
            )
        finally:
            container = holder.close()
            if container is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(_remove_quietly, container)

    def _run_sync(self, image: str, args: list[str], platform: str | None, files: dict[str, bytes],
                  stdin: bytes | None, env: dict[str, str], network: str, entrypoint: list[str] | None,
                  timeout_s: float, log: StepLog, holder: _ContainerHolder) -> RunResult:
        command: list[str] = args
        if stdin is not None:
            # The Engine API's attach-for-stdin is fragile across daemon versions: hand the input
            # over as a file and let a shell redirect it into the real entrypoint.
            files[STDIN_PATH] = stdin
            original = entrypoint or self.client.images.get(image).attrs["Config"].get("Entrypoint") or []
            entrypoint = ["/bin/sh", "-c", f'exec "$@" < {STDIN_PATH}', "sh"]
            command = [*original, *args]
        log.write(f"$ {' '.join(args)}")
        container = self.client.containers.create(
            image, command=command, entrypoint=entrypoint, environment=env, network_mode=network,
            platform=platform, labels={RUN_LABEL: self.run_id},
        )
        if not holder.keep(container):  # the run was cancelled while the container was being created
            _remove_quietly(container)
            return RunResult(exit_code=-1, stdout="", stderr="cancelled", timed_out=False)
        if files:
            container.put_archive("/", _files_tar(files))
        container.start()
        timed_out = False
        try:
            status = container.wait(timeout=timeout_s)
            exit_code = int(status.get("StatusCode", 1))
        except Exception:  # requests' ReadTimeout: the connector ran past its time limit
            timed_out, exit_code = True, -1
            _kill_quietly(container)
        stdout = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        stderr = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
        log.write(stderr)
        log.write(f"exit code {exit_code}" + (" (timed out)" if timed_out else ""))
        return RunResult(exit_code=exit_code, stdout=stdout, stderr=stderr, timed_out=timed_out)

    # -- pull ----------------------------------------------------------------------------

    async def pull(self, reference: str, *, platform: str, auth: RegistryAuth | None, log: StepLog) -> str:
        def pull_sync() -> str:
            log.write(f"pulling {reference} for {platform}")
            try:
                image = self.client.images.pull(reference, platform=platform, auth_config=_auth_config(auth))
            except docker.errors.APIError as exc:
                raise EngineError(f"pull of {reference} failed: {_api_message(exc)}") from None
            return image.id

        return await anyio.to_thread.run_sync(pull_sync)

    # -- push ----------------------------------------------------------------------------

    async def push(self, image: str, reference: str, *, auth: RegistryAuth | None, log: StepLog) -> str:
        return await anyio.to_thread.run_sync(self._push_sync, image, reference, auth, log)

    def _push_sync(self, image: str, reference: str, auth: RegistryAuth | None, log: StepLog) -> str:
        repository, _, tag = reference.rpartition(":")
        self.client.images.get(image).tag(repository, tag)
        digest = ""
        try:
            for chunk in self.client.api.push(repository, tag, auth_config=_auth_config(auth),
                                              stream=True, decode=True):
                if "error" in chunk:
                    raise PushFailed(f"push of {reference} failed: {first_line(chunk['error'])}", log.tail(10))
                if "status" in chunk and chunk.get("progressDetail") in (None, {}):
                    log.write(f"{chunk.get('id', '')} {chunk['status']}".strip())
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "Digest" in aux:
                    digest = aux["Digest"]
        except docker.errors.APIError as exc:
            raise PushFailed(f"push of {reference} failed: {_api_message(exc)}", log.tail(10)) from None
        if not digest:
            raise PushFailed(f"push of {reference} reported no digest", log.tail(10))
        log.write(f"pushed {reference}@{digest}")
        return digest

    def remove_own_containers(self) -> int:
        """Remove every container this engine started that is still there. The last thing a
        command does, even on Ctrl-C: it catches a container whose creation was in flight when
        the run was cancelled."""
        # sparse: a full list inspects each container, and one removed meanwhile (another run's
        # cleanup) would fail the whole listing with NotFound.
        leftovers = self.client.containers.list(all=True, sparse=True, filters={"label": f"{RUN_LABEL}={self.run_id}"})
        for container in leftovers:
            _remove_quietly(container)
        return len(leftovers)


    def remove_orphaned_containers(self) -> int:
        """Remove containers left by runs whose process is gone (killed with SIGKILL, say).

        Only on a local daemon: there a run id's pid can be checked. Runs still alive are left alone.
        """
        if "unix://" not in str(docker.utils.kwargs_from_env().get("base_url", "unix://")):
            return 0
        removed = 0
        # sparse, as in remove_own_containers: other runs remove their containers concurrently.
        for container in self.client.containers.list(all=True, sparse=True, filters={"label": RUN_LABEL}):
            pid_text = (container.attrs.get("Labels") or {}).get(RUN_LABEL, "").split("-", 1)[0]
            if pid_text.isdigit() and not pid_alive(int(pid_text)):
                _remove_quietly(container)
                removed += 1
        return removed


class _ContainerHolder:
    """Hands a container from the worker thread to the cancelling task, whichever comes first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._container: Container | None = None
        self._closed = False

    def keep(self, container: Container) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._container = container
            return True

    def close(self) -> Container | None:
        with self._lock:
            self._closed = True
            return self._container


def _auth_config(auth: RegistryAuth | None) -> dict[str, str] | None:
    return {"username": auth.username, "password": auth.password} if auth else None


def _files_tar(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folders: set[str] = set()
        for path, data in sorted(files.items()):
            parts = path.strip("/").split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    folders.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            info = tarfile.TarInfo("/".join(parts))
            info.size, info.mode = len(data), 0o444  # inputs (configs, test secrets): read-only
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _remove_quietly(container: Container) -> None:
    try:
        container.remove(force=True)
    except docker.errors.DockerException:
        pass


def _kill_quietly(container: Container) -> None:
    try:
        container.kill()
    except docker.errors.DockerException:
        pass


def _digest_name(reference: str) -> str:
    return hashlib.sha256(reference.encode()).hexdigest()[:16]


def _api_message(exc: docker.errors.APIError) -> str:
    return first_line(getattr(exc, "explanation", None) or exc)


__all__ = ["DockerEngine", "EngineError"]
