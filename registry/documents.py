"""Reading a registry document from wherever it is, and finding one connector's entry in it.

    document = load_registry("https://host/files/", "oss")    # a JSON file, a store, or a base URL
    entry = find_entry([*document["sources"], *document["destinations"]], "source-faker", "oss")
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from connector_build.problems import UserError
from registry import layout
from registry.store import Store


def load_registry(source: str, registry: str) -> dict[str, Any]:
    """A registry document from a JSON file (path or URL), a store, or a base URL like Airbyte's."""
    path = layout.registry_file(registry)
    if source.startswith(("http://", "https://")):
        import httpx

        url = source if source.endswith(".json") else f"{source.rstrip('/')}/{path}"
        try:
            response = httpx.get(url, timeout=30, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise UserError(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise UserError(f"{url}: HTTP {response.status_code}")
        return parse_registry(response.content, url)
    if source.endswith(".json"):
        if "://" in source:
            import fsspec

            try:
                with fsspec.open(source, "rb") as handle:
                    return parse_registry(handle.read(), source)
            except (FileNotFoundError, ImportError, ValueError) as exc:
                raise UserError(f"{source}: {exc}") from None
        try:
            return parse_registry(Path(source).read_bytes(), source)
        except OSError as exc:
            raise UserError(f"{source}: {exc.strerror}") from None
    target = Store.open(source)
    if not target.is_present():
        raise UserError(f"store {target.url}: no such folder")
    return read_registry(target, registry)


def load_yanks(source: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The yanks recorded in ``source`` when it is a store folder; a file or a URL records none."""
    if source.startswith(("http://", "https://")) or source.endswith(".json"):
        return {}
    target = Store.open(source)
    if not target.is_present():
        return {}
    from registry.releases import all_yanks

    return all_yanks(target)


def read_registry(store: Store, registry: str) -> dict[str, Any]:
    """The store's generated registry document; a one-line error when there is none yet."""
    path = layout.registry_file(registry)
    raw = store.read_bytes(path)
    if raw is None:
        raise UserError(f"{store.url} has no {path}: run `connector-pipelines registry generate` first")
    return parse_registry(raw, f"{store.url}/{path}")


def parse_registry(raw: bytes, where: str) -> dict[str, Any]:
    """``{"sources": [...], "destinations": [...]}``, or a one-line error naming ``where``."""
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{where}: not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("sources", []), list) \
            or not isinstance(document.get("destinations", []), list):
        raise UserError(f"{where}: not a registry (expected {{\"sources\": [...], \"destinations\": [...]}})")
    return {"sources": document.get("sources", []), "destinations": document.get("destinations", [])}


def find_entry(entries: list[dict[str, Any]], name: str, registry: str) -> dict[str, Any]:
    """By folder name (source-faker), repository (airbyte/source-faker) or display name, any case."""
    wanted = name.casefold()
    for entry in entries:
        repository = str(entry.get("dockerRepository", ""))
        if wanted in {repository.casefold(), repository.rsplit("/", 1)[-1].casefold(),
                      str(entry.get("name", "")).casefold()}:
            return entry
    known = sorted(str(e.get("dockerRepository", "")).rsplit("/", 1)[-1] for e in entries)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UserError(f"no connector '{name}' in the {registry} registry{hint}")
