"""The specs each registry shows, from a store laid out as ``specs/<repo>/<tag>/spec.json``.

Publish writes ``spec.json`` (spec run with ``DEPLOYMENT_MODE=OSS``) and, when the Cloud run
differs, ``spec.cloud.json``. The cloud registry prefers the latter and falls back to the former.

    cache = SpecCache(Store.open("/srv/connectors"))
    cache.spec_for("airbyte/source-faker", "6.2.24", "cloud")    # None when not cached
"""

from __future__ import annotations

import json
from typing import Any

from connector_build import versions
from registry import layout
from registry.models import RegistryName
from registry.store import Store


class SpecUnreadable(ValueError):
    """A cached spec exists but is not a JSON object."""


class SpecCache:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._parsed: dict[str, dict[str, Any] | None] = {}

    def spec_for(self, repository: str, tag: str, registry: RegistryName) -> dict[str, Any] | None:
        for name in self.file_names(registry):
            spec = self._read(layout.spec_file(repository, tag, name))
            if spec is not None:
                return spec
        return None

    @staticmethod
    def file_names(registry: RegistryName) -> tuple[str, ...]:
        return (layout.CLOUD_SPEC_FILE, layout.SPEC_FILE) if registry == "cloud" else (layout.SPEC_FILE,)

    def latest_release_below(self, repository: str, tag: str) -> str | None:
        """The newest cached version of ``repository`` that is a plain release older than ``tag``."""
        ceiling = versions.sort_key(tag)
        released = [layout.version_of_spec(path) for path in self.store.glob(layout.spec_glob(repository))]
        candidates = [v for v in released if not versions.is_prerelease(v) and versions.parse(v)
                      and versions.sort_key(v) < ceiling]
        return max(candidates, key=versions.sort_key, default=None)

    def _read(self, path: str) -> dict[str, Any] | None:
        if path not in self._parsed:
            raw = self.store.read_bytes(path)
            spec = None
            if raw is not None:
                try:
                    spec = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise SpecUnreadable(f"{path}: not JSON ({exc})") from None
                if not isinstance(spec, dict):
                    raise SpecUnreadable(f"{path}: expected a JSON object, found {type(spec).__name__}")
            self._parsed[path] = spec
        return self._parsed[path]
