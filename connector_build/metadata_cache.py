"""A content-addressed cache of validated metadata: same bytes, same code, same result.

Validating a metadata file means parsing its YAML, building the pydantic models and checking
the rules; for an unchanged file under unchanged code the outcome (the models and their
warnings, or the problems with their lines) is always the same, so a warm ``list`` loads it
instead. Loading pickled models is cheaper than validating the data again, and it needs
neither the YAML parse cache nor the models' validators (they are built on first use, see
``defer_build`` in metadata.py). Like the parse cache, any problem reading it is an empty cache.

The key is the file's bytes (hashed), the path messages name it by and its folder's name (the
rules check it); the whole cache belongs to one version of the code that decides the outcome
(:func:`code_fingerprint`), so editing a rule or a model starts afresh.

    cache = MetadataCache.default()
    outcome = cache.get(raw, shown, folder_name)   # None on a miss
    cache.put(raw, shown, folder_name, outcome)
    cache.save()
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import pydantic

from connector_build.metadata import ConnectorMetadata
from connector_build.parse_cache import DISABLE_ENV, cache_dir, load_pickle
from connector_build.problems import Problem

CACHE_VERSION = 1
MAX_ENTRIES = 5000
"""About 8 MB on disk: several Airbyte-sized monorepos."""
DECIDING_MODULES = ("metadata", "metadata_loader", "metadata_rules", "problems", "versions", "yaml_source",
                    "metadata_cache")
"""The modules of this package whose code decides a file's outcome."""

Valid = tuple[ConnectorMetadata, list[Problem]]
"""A valid file: its models and its warnings."""
Outcome = Valid | list[Problem]
"""Either a valid file, or an invalid one's errors."""


def code_fingerprint() -> str:
    """A hash of the code that turns bytes into an outcome (this package's deciding modules and
    pydantic's version): reading a few small files costs far less than one validation."""
    digest = hashlib.blake2b(f"{CACHE_VERSION}|{pydantic.VERSION}".encode(), digest_size=16)
    here = Path(__file__).parent
    for module in DECIDING_MODULES:
        digest.update((here / f"{module}.py").read_bytes())
    return digest.hexdigest()


class MetadataCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[tuple[str, str, str], Outcome] = {}
        self._used: set[tuple[str, str, str]] = set()
        self._dirty = False
        self._fingerprint = ""
        if path is None:
            return
        try:
            self._fingerprint = code_fingerprint()
            loaded = load_pickle(path.read_bytes())
            if isinstance(loaded, dict) and loaded.get("code") == self._fingerprint:
                self._entries = loaded["entries"]
        except Exception:  # a missing, truncated, foreign or older file is an empty cache
            self._entries = {}

    @classmethod
    def default(cls) -> MetadataCache:
        return cls(None if os.environ.get(DISABLE_ENV) else cache_dir() / f"metadata-v{CACHE_VERSION}.pickle")

    @staticmethod
    def _key(raw: bytes, shown: Path, folder_name: str) -> tuple[str, str, str]:
        return hashlib.blake2b(raw, digest_size=20).hexdigest(), str(shown), folder_name

    def get(self, raw: bytes, shown: Path, folder_name: str) -> Outcome | None:
        """The outcome recorded for these bytes shown as ``shown`` in folder ``folder_name``."""
        if self.path is None:
            return None
        key = self._key(raw, shown, folder_name)
        outcome = self._entries.get(key)
        if outcome is not None:
            self._used.add(key)
        return outcome

    def put(self, raw: bytes, shown: Path, folder_name: str, outcome: Outcome) -> None:
        if self.path is None:
            return
        key = self._key(raw, shown, folder_name)
        self._entries[key] = outcome
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write atomically, when anything was added: this run's entries first, then older ones
        up to MAX_ENTRIES (as the parse cache does)."""
        if self.path is None or not self._dirty:
            return
        keep = {key: value for key, value in self._entries.items() if key in self._used}
        for key, value in self._entries.items():
            if len(keep) >= MAX_ENTRIES:
                break
            keep.setdefault(key, value)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".metadata-cache-")
            with os.fdopen(handle, "wb") as out:
                pickle.dump({"code": self._fingerprint, "entries": keep}, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except (OSError, pickle.PicklingError):
            pass  # a read-only home is no reason to fail a command
