"""Where published metadata lives: a folder, or any fsspec URL, laid out like Airbyte's public bucket.

    store = Store.open("/srv/connectors")            # or "s3://bucket/prefix", "gs://...", "memory://x"
    store.write_bytes_atomic("registries/v0/oss_registry.json", data)   # False: same bytes already there
    store.read_bytes("metadata/airbyte/source-x/latest/oss.json")       # None when absent
    store.public_url("metadata/airbyte/source-x/latest/icon.svg", "http://host:8080/files/")

The layout (Airbyte's public bucket) is :mod:`registry.layout`'s: the one place a path is built.

Writes never leave a half-written file where a reader looks: a folder gets a temp file, fsync and
rename; an object store gets one PUT, which its readers see whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fsspec
from fsspec.implementations.local import LocalFileSystem

from connector_build.problems import UserError

# Object stores replace an object in one request; a temp object plus copy would only add a window.
OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"})


class StoreError(UserError):
    """The store cannot be opened or used as asked (bad URL, missing filesystem extra, bad path)."""


@dataclass(frozen=True)
class Store:
    fs: fsspec.AbstractFileSystem
    root: str
    """The store's root inside ``fs``, without a trailing slash."""
    url: str
    """How the user named it (a folder is shown as its absolute path)."""

    @classmethod
    def open(cls, url_or_path: str | Path) -> Store:
        """A folder path, or an fsspec URL (``file://``, ``memory://``, ``s3://``, ``gs://``...)."""
        text = str(url_or_path)
        if "://" not in text:
            folder = Path(text).expanduser().resolve()
            return cls(LocalFileSystem(), folder.as_posix(), str(folder))
        try:
            fs, root = fsspec.core.url_to_fs(text)
        except ImportError as exc:
            raise StoreError(f"store {text}: {exc} (install the extra, e.g. pip install "
                             "'connector-pipelines[s3]' or '[gcs]')") from None
        except (ValueError, KeyError) as exc:
            raise StoreError(f"store {text}: not a usable fsspec URL ({exc})") from None
        return cls(fs, root.rstrip("/"), text)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    @property
    def local_root(self) -> Path | None:
        """The folder on this machine, or None for a remote store."""
        return Path(self.root) if self.is_local else None

    def is_present(self) -> bool:
        """Whether the store's root exists at all (a typo'd path is the usual reason it does not)."""
        return bool(self.fs.isdir(self.root))

    def read_bytes(self, path: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""
        full = self._full(path)
        try:
            if self.is_local:  # skips fsspec's per-call overhead: compile reads thousands of entries
                with open(full, "rb") as handle:
                    return handle.read()
            return self.fs.cat_file(full)
        except FileNotFoundError:
            return None

    def write_bytes_atomic(self, path: str, data: bytes) -> bool:
        """Write ``data`` so readers see the old file or the new one, never a part.

        Returns False, writing nothing, when the file already holds these bytes (same md5): a
        rerun of a publish or a regeneration changes nothing and reports nothing.
        """
        full = self._full(path)
        existing = self.read_bytes(path)
        if existing is not None and hashlib.md5(existing).digest() == hashlib.md5(data).digest():
            return False
        if self.is_local:
            replace_local_file(Path(full), data)
        elif _protocols(self.fs) & OBJECT_STORE_PROTOCOLS:
            self.fs.pipe_file(full, data)
        else:
            parent = str(PurePosixPath(full).parent)
            self.fs.makedirs(parent, exist_ok=True)
            temp = f"{parent}/.{PurePosixPath(full).name}.{uuid.uuid4().hex}.tmp"
            try:
                self.fs.pipe_file(temp, data)
                self.fs.mv(temp, full)
            except BaseException:
                if self.fs.exists(temp):
                    self.fs.rm_file(temp)
                raise
        return True

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self._full(path)))

    def glob(self, pattern: str) -> list[str]:
        """Store-relative paths matching ``pattern`` (``**`` spans folders), sorted."""
        prefix = self.root + "/"
        found = self.fs.glob(self._full(pattern))
        return sorted(p[len(prefix):] if p.startswith(prefix) else p for p in found)

    def find(self, folder: str) -> list[str]:
        """Store-relative paths of every file under ``folder`` (one listing, however deep), sorted."""
        prefix = self.root + "/"
        if self.is_local:  # os.walk is ten times faster than fsspec's walk over thousands of folders
            top = self._full(folder)
            return sorted(f"{base}/{name}"[len(prefix):] for base, _, names in os.walk(top) for name in names
                          if not is_temp_name(name))
        try:
            found = self.fs.find(self._full(folder))
        except FileNotFoundError:
            return []
        return sorted(p[len(prefix):] if p.startswith(prefix) else p for p in found)

    def delete(self, path: str) -> bool:
        """Remove a file; False when it was not there (deleting twice is not an error)."""
        try:
            self.fs.rm_file(self._full(path))
        except FileNotFoundError:
            return False
        return True

    def modified(self, path: str) -> dt.datetime | None:
        """When the file was last written, in UTC, or None when unknown or absent."""
        try:
            when = self.fs.modified(self._full(path))
        except (FileNotFoundError, NotImplementedError, OSError):
            return None
        return when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)

    def public_url(self, path: str, base_url: str) -> str:
        """Where ``path`` is seen by the world when the store is served at ``base_url``."""
        return f"{base_url.rstrip('/')}/{path.lstrip('/')}"

    def default_base_url(self) -> str:
        """The store's own public URL when nobody says where it is served."""
        protocols = _protocols(self.fs)
        if self.is_local:
            return Path(self.root).as_uri()
        bucket, _, prefix = self.root.partition("/")
        suffix = f"/{prefix}" if prefix else ""
        if protocols & {"s3", "s3a"}:
            return f"https://{bucket}.s3.amazonaws.com{suffix}"
        if protocols & {"gs", "gcs"}:
            return f"https://storage.googleapis.com/{bucket}{suffix}"  # Airbyte's fallback without a CDN
        return self.url.rstrip("/")

    def _full(self, path: str) -> str:
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise StoreError(f"store path {path!r} must be relative and stay inside the store")
        return f"{self.root}/{path}"


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _protocols(fs: fsspec.AbstractFileSystem) -> set[str]:
    protocol = fs.protocol
    return {protocol} if isinstance(protocol, str) else set(protocol)


def replace_local_file(target: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename over the target, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
