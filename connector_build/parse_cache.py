"""A content-addressed cache of parsed YAML: same bytes, same parse, no staleness possible.

PyYAML builds Python objects in pure Python; for a 700-connector monorepo that is most of the
time `list` takes. The cache key is a hash of the file's bytes (never its path or mtime, which
is how stale caches happen), so an edit is always seen. The cache is a local convenience: any
problem reading it is the same as an empty cache.

    cache = ParseCache.default()
    document = cache.parse(raw_bytes)    # parses only on a miss
    cache.save()
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
import threading
from pathlib import Path

from connector_build.yaml_source import YamlDocument, parse_yaml_text, warm_up_parser

CACHE_VERSION = 2  # 2: duplicate mapping keys are a parse error
PARALLEL_THRESHOLD = 100
"""Below this many misses, starting worker processes costs more than it saves."""
MAX_ENTRIES = 5000
"""About 15 MB on disk: several Airbyte-sized monorepos."""
DISABLE_ENV = "CONNECTOR_PIPELINES_NO_CACHE"


def cache_dir() -> Path:
    """Where connector-pipelines keeps its caches (XDG_CACHE_HOME, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "connector-pipelines"


def default_cache_path() -> Path:
    return cache_dir() / f"yaml-v{CACHE_VERSION}.pickle"


class ParseCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, YamlDocument] = {}
        self._used: set[str] = set()
        self._dirty = False
        self._lock = threading.Lock()
        self._loaded = path is None

    def _load(self) -> None:
        """Read the file on first use: a run whose metadata all comes from the metadata cache
        (metadata_cache.py) parses nothing and so never pays for reading this one."""
        if self._loaded:
            return
        self._loaded = True
        assert self.path is not None
        try:
            loaded = load_pickle(self.path.read_bytes())
            if isinstance(loaded, dict):
                self._entries = {**loaded, **self._entries}
        except Exception:  # a missing, truncated or foreign file is an empty cache
            pass

    @classmethod
    def default(cls) -> ParseCache:
        return cls(None if os.environ.get(DISABLE_ENV) else default_cache_path())

    def parse(self, raw: bytes) -> YamlDocument:
        """Parse ``raw`` (raising YamlSourceError as the parser does), or return the cached parse."""
        key = hashlib.blake2b(raw, digest_size=20).hexdigest()
        with self._lock:
            self._load()
            self._used.add(key)
            cached = self._entries.get(key)
        if cached is not None:
            return cached
        document = parse_yaml_text(raw)
        with self._lock:
            self._entries[key] = document
            self._dirty = True
        return document

    def prefill(self, raws: list[bytes]) -> None:
        """Parse the misses among ``raws`` ahead of time, on every core when there are many.

        A first run over a large monorepo is all misses; PyYAML builds objects in Python, so
        processes, not threads, are what make that faster. Files that fail to parse are left
        for :meth:`parse` to report."""
        if not raws:
            return
        self._load()
        misses = {hashlib.blake2b(raw, digest_size=20).hexdigest(): raw for raw in raws}
        misses = {key: raw for key, raw in misses.items() if key not in self._entries}
        if len(misses) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
            return
        from concurrent.futures import ProcessPoolExecutor  # imports multiprocessing: only when used

        warm_up_parser()  # PyYAML is imported on first use: once here, not in every worker
        with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
            parsed = pool.map(_parse_or_none, misses.values(), chunksize=32)
            for key, document in zip(misses, parsed, strict=True):
                if document is not None:
                    self._entries[key] = document
                    self._dirty = True

    def save(self) -> None:
        """Write the cache atomically: this run's entries first, then older ones up to MAX_ENTRIES
        (several monorepos, or branches of one, share the cache without evicting each other)."""
        if self.path is None or not self._dirty:
            return
        keep = {key: doc for key, doc in self._entries.items() if key in self._used}
        for key, doc in self._entries.items():
            if len(keep) >= MAX_ENTRIES:
                break
            keep.setdefault(key, doc)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".yaml-cache-")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(keep, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except OSError:
            pass  # a read-only home is no reason to fail a command


def load_pickle(data: bytes) -> object:
    """``pickle.loads`` with the garbage collector paused: a cache is many small objects, none of
    them garbage, and the collector's passes over them while they are made cost about a fifth
    of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


def _parse_or_none(raw: bytes) -> YamlDocument | None:
    try:
        return parse_yaml_text(raw)
    except Exception:  # reported again, with its line, by ParseCache.parse
        return None
