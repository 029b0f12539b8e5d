"""Serve a store over HTTP as Airbyte's public bucket is served, plus a page to browse it.

``/files/<path>`` is the store's file at ``<path>``, so a platform started with
``CONNECTOR_REGISTRY_BASE_URL=http://host:8080/files/`` reads ``/files/registries/v0/oss_registry.json``
and ``/files/metadata/<repo>/<version>/oss.json`` unchanged. Files come from ``http_files``: each
version read and gzipped once, with ETag/304, ranges and CDN-friendly caching headers. ``/`` lists
the connectors of both registries with a search box and filters, rendered once per registry change.

    run(Path("/srv/connectors"), host="127.0.0.1", port=8080, workers=2)   # or any ASGI server:
    app = registry_app(Path("/srv/connectors"))
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import jinja2

from connector_build import versions
from registry import layout
from registry.compile import sort_key
from registry.http_files import FilesApp, Resource, Scope, send_plain, send_resource, stamp_of
from registry.models import REGISTRIES, definition_id, entry_kind
from registry.releases import all_yanks
from registry.store import Store

FILES_PREFIX = "/files"
DEFAULT_MAX_AGE = 60
"""Seconds a client or CDN may reuse a file unasked: a new registry reaches every platform in a minute."""
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def cache_control(max_age: int = DEFAULT_MAX_AGE) -> str:
    """Fresh for ``max_age``; a CDN in front may keep serving a stale copy while the origin is down."""
    return f"public, max-age={max_age}, stale-while-revalidate={max_age}, stale-if-error=86400"


@dataclass(frozen=True)
class ConnectorRow:
    """One line of the page: a connector as OSS and Cloud list it."""

    name: str
    kind: str
    repository: str
    tag: str
    cloud_tag: str | None
    support: str
    oss: bool
    cloud: bool
    icon_url: str | None
    entry_url: str
    spec_url: str
    yanked: tuple[str, ...] = ()
    """Versions taken back by ``yank``: kept out of the entries, shown beside them."""

    @property
    def search_text(self) -> str:
        return f"{self.name} {self.repository}".lower()  # the page lowercases the query the same way


def registry_app(store_root: Path, *, max_age: int = DEFAULT_MAX_AGE, snapshots: Path | None = None) -> RegistryApp:
    """The ASGI app serving ``store_root`` (a local store folder); ``snapshots``: see ``FilesApp``."""
    return RegistryApp(store_root, cache_control(max_age), snapshots)


class RegistryApp:
    """``/files/...`` from the store, ``/`` the page; a bare ASGI app so a file request costs little."""

    def __init__(self, store_root: Path, cache_control: str, snapshots: Path | None = None) -> None:
        self.files = FilesApp(store_root, cache_control=cache_control, snapshots=snapshots)
        self.page = _PageCache(store_root)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith(FILES_PREFIX + "/"):
            await self.files.serve(path[len(FILES_PREFIX):], scope, send)
        elif path == "/" and scope["method"] in ("GET", "HEAD"):
            await send_resource(await self.page.resource(), scope, send)
        else:
            await send_plain(send, 404, b"not found\n")


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def connector_rows(store_root: Path) -> list[ConnectorRow]:
    """Both registries joined by definition id; the OSS entry speaks for a connector in both."""
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    for registry in REGISTRIES:
        document = _read_json(store_root / layout.registry_file(registry))
        for entry in [*document.get("sources", []), *document.get("destinations", [])]:
            entries.setdefault(definition_id(entry) or entry.get("dockerRepository", ""), {})[registry] = entry
    yanks = all_yanks(Store.open(store_root))
    rows = []
    for by_registry in entries.values():
        main = by_registry.get("oss") or by_registry["cloud"]
        registry = "oss" if "oss" in by_registry else "cloud"
        folder = _store_folder(main)
        cloud = by_registry.get("cloud")
        icon = layout.icon(folder)
        rows.append(ConnectorRow(
            name=str(main.get("name", "")), kind=entry_kind(main) or "", repository=str(main["dockerRepository"]),
            tag=str(main["dockerImageTag"]),
            cloud_tag=cloud["dockerImageTag"] if cloud and cloud["dockerImageTag"] != main["dockerImageTag"] else None,
            support=str(main.get("supportLevel") or "community"), oss="oss" in by_registry, cloud=cloud is not None,
            icon_url=f"{FILES_PREFIX}/{icon}" if (store_root / icon).is_file() else None,
            entry_url=f"{FILES_PREFIX}/{layout.channel_file(folder, layout.LATEST, layout.entry_file_name(registry))}",
            spec_url=f"{FILES_PREFIX}/{layout.spec_file(main['dockerRepository'], main['dockerImageTag'])}",
            yanked=tuple(sorted(yanks.get(folder, {}), key=versions.sort_key)),
        ))
    return sorted(rows, key=lambda r: sort_key({"name": r.name, "dockerRepository": r.repository}))


def render_page(store_root: Path) -> str:
    rows = connector_rows(store_root)
    return _TEMPLATES.get_template("registry_page.html.j2").render(
        rows=rows,
        support_levels=sorted({r.support for r in rows}),
        registry_files=[(r, f"{FILES_PREFIX}/{layout.registry_file(r)}") for r in REGISTRIES],
    )


class _PageCache:
    """Render (and gzip) once per change of the registry files, not once per request: they are megabytes."""

    def __init__(self, store_root: Path) -> None:
        self.store_root = store_root
        self._key: tuple[tuple[int, int, int], ...] | None = None
        self._page: Resource | None = None
        self._lock = anyio.Lock()

    async def resource(self) -> Resource:
        key = self._stamps()
        if key == self._key and self._page is not None:
            return self._page
        async with self._lock:
            key = self._stamps()  # another request may have rendered it meanwhile
            if key != self._key or self._page is None:
                self._page = await anyio.to_thread.run_sync(self._render)
                self._key = key
        return self._page

    def _render(self) -> Resource:
        html = render_page(self.store_root).encode()
        changed = max((_mtime(self.store_root / layout.registry_file(r)) for r in REGISTRIES), default=0.0)
        return Resource.from_bytes(html, "text/html", changed or time.time(), "no-cache")

    def _stamps(self) -> tuple[tuple[int, int, int], ...]:
        return tuple(_stamp(self.store_root / layout.registry_file(r)) for r in REGISTRIES)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return (0, 0, 0)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


def _store_folder(entry: dict[str, Any]) -> str:
    """The connector's folder in the store: where its metadata.yaml was, else its repository.

    A registry can override ``dockerRepository`` (Cloud's strict-encrypt variants); the files still
    live under the connector's own repository.
    """
    path = ((entry.get("generated") or {}).get("source_file_info") or {}).get("metadata_file_path", "")
    parts = str(path).split("/")
    if len(parts) >= 4 and parts[0] == "metadata":
        return "/".join(parts[1:-2])
    return str(entry["dockerRepository"])


STORE_ENV = "CONNECTOR_PIPELINES_SERVE_STORE"
MAX_AGE_ENV = "CONNECTOR_PIPELINES_SERVE_MAX_AGE"
SNAPSHOTS_ENV = "CONNECTOR_PIPELINES_SERVE_SNAPSHOTS"


def app_from_environment() -> RegistryApp:
    """The app for each worker process, which imports it by name: the store comes through the environment."""
    snapshots = os.environ.get(SNAPSHOTS_ENV)
    return registry_app(Path(os.environ[STORE_ENV]), max_age=int(os.environ.get(MAX_AGE_ENV, DEFAULT_MAX_AGE)),
                        snapshots=Path(snapshots) if snapshots else None)


def default_workers() -> int:
    """One worker process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(store_root: Path, *, host: str, port: int, workers: int, max_age: int = DEFAULT_MAX_AGE,
        backlog: int = 2048, access_log: bool = False) -> None:
    """Serve until interrupted: ``workers`` processes share the socket, each with its own file cache.

    Granian rather than uvicorn: its HTTP side is Rust, and with wrk on a full registry it answered
    about twice the gzip requests/s of uvicorn with httptools and uvloop, and offers ``pathsend``,
    by which bodies of 256 KiB or more go out from snapshot files in a temp folder (removed on
    exit) three times faster than from memory. The kernel queues up to ``backlog`` connections not
    yet accepted; a client has 10 s to send its request headers; a worker that dies is replaced.
    """
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    snapshots = tempfile.mkdtemp(prefix="connector-pipelines-serve-")
    os.environ.update({STORE_ENV: str(store_root), MAX_AGE_ENV: str(max_age), SNAPSHOTS_ENV: snapshots})
    try:
        Granian(
            "registry.server:app_from_environment", factory=True, interface=Interfaces.ASGI, address=host,
            port=port, workers=workers, backlog=backlog, websockets=False,
            http1_settings=HTTP1Settings(header_read_timeout=10_000), respawn_failed_workers=True,
            workers_kill_timeout=10, log_level=LogLevels.warning, log_access=access_log,
        ).serve()
    finally:
        shutil.rmtree(snapshots, ignore_errors=True)
