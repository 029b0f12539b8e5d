"""Serve a store over HTTP as Airbyte's public bucket is served, plus a page to browse it.

``/files/<path>`` is the store's file at ``<path>``, so a platform started with
``CONNECTOR_REGISTRY_BASE_URL=http://host:8080/files/`` reads ``/files/registries/v0/oss_registry.json``
and ``/files/metadata/<repo>/<version>/oss.json`` unchanged. Starlette's StaticFiles gives content
types, ETag / If-None-Match (304) and Last-Modified; GZipMiddleware compresses what is worth it.
``/`` lists the connectors of both registries with a search box and filters.

    app = registry_app(Path("/srv/connectors"))
    uvicorn.run(app, host="127.0.0.1", port=8080)
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from registry.compile import REGISTRY_PATH, sort_key
from registry.models import REGISTRIES, definition_id, entry_kind

# Python's table has no YAML type; metadata.yaml and manifest.yaml would go out as text/plain.
mimetypes.add_type("application/yaml", ".yaml")
mimetypes.add_type("application/yaml", ".yml")

FILES_PREFIX = "/files"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


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

    @property
    def search_text(self) -> str:
        return f"{self.name} {self.repository}".lower()  # the page lowercases the query the same way


def registry_app(store_root: Path) -> Starlette:
    """The ASGI app serving ``store_root`` (a local store folder)."""
    page = _PageCache(store_root)

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page.render())

    return Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            Mount(FILES_PREFIX, app=StaticFiles(directory=store_root, check_dir=False), name="files"),
        ],
        middleware=[Middleware(GZipMiddleware, minimum_size=500)],
    )


def connector_rows(store_root: Path) -> list[ConnectorRow]:
    """Both registries joined by definition id; the OSS entry speaks for a connector in both."""
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    for registry in REGISTRIES:
        document = _read_json(store_root / REGISTRY_PATH.format(name=registry))
        for entry in [*document.get("sources", []), *document.get("destinations", [])]:
            entries.setdefault(definition_id(entry) or entry.get("dockerRepository", ""), {})[registry] = entry
    rows = []
    for by_registry in entries.values():
        main = by_registry.get("oss") or by_registry["cloud"]
        registry = "oss" if "oss" in by_registry else "cloud"
        folder = _store_folder(main)
        cloud = by_registry.get("cloud")
        icon = f"metadata/{folder}/latest/icon.svg"
        rows.append(ConnectorRow(
            name=str(main.get("name", "")), kind=entry_kind(main) or "", repository=str(main["dockerRepository"]),
            tag=str(main["dockerImageTag"]),
            cloud_tag=cloud["dockerImageTag"] if cloud and cloud["dockerImageTag"] != main["dockerImageTag"] else None,
            support=str(main.get("supportLevel") or "community"), oss="oss" in by_registry, cloud=cloud is not None,
            icon_url=f"{FILES_PREFIX}/{icon}" if (store_root / icon).is_file() else None,
            entry_url=f"{FILES_PREFIX}/metadata/{folder}/latest/{registry}.json",
            spec_url=f"{FILES_PREFIX}/specs/{main['dockerRepository']}/{main['dockerImageTag']}/spec.json",
        ))
    return sorted(rows, key=lambda r: sort_key({"name": r.name, "dockerRepository": r.repository}))


def render_page(store_root: Path) -> str:
    rows = connector_rows(store_root)
    return _TEMPLATES.get_template("registry_page.html.j2").render(
        rows=rows,
        support_levels=sorted({r.support for r in rows}),
        registry_files=[(r, f"{FILES_PREFIX}/{REGISTRY_PATH.format(name=r)}") for r in REGISTRIES],
    )


class _PageCache:
    """Render once per change of the registry files, not once per request (they can be megabytes)."""

    def __init__(self, store_root: Path) -> None:
        self.store_root = store_root
        self._key: tuple[tuple[int, int], ...] | None = None
        self._html = ""

    def render(self) -> str:
        key = tuple(_stamp(self.store_root / REGISTRY_PATH.format(name=r)) for r in REGISTRIES)
        if key != self._key:
            self._html, self._key = render_page(self.store_root), key
        return self._html


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


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
