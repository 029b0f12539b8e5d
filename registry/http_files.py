"""The store's files over HTTP, each version read and gzipped once and then served from memory.

Every Airbyte platform pointed at a registry downloads the multi-megabyte registry file on start
and on a schedule, so a file is read, hashed and compressed once per version (its stat: inode,
size, mtime), not once per request. A version's bytes, gzip bytes and headers are one immutable
object, so a file replaced while it is being served (the store renames a new file over the old)
goes out whole, old or new, with the ETag of what is sent.

The server's file path: Granian, which ``registry serve`` runs, offers the ASGI ``pathsend``
extension; uvicorn offers neither it nor ``zerocopysend`` (Kludex/uvicorn#35, #2840). Granian's
pathsend is not the kernel's zero-copy sendfile (it reads the file in user space in 128 KiB
chunks, granian src/asgi/io.rs) and it opens the path only after the headers went out, so it must
never be handed the store's own file, which a rename may replace in between. With ``snapshots``,
a body of ``PATHSEND_MIN_BYTES`` or more is written once per version to a file of its own that
nothing rewrites, and sent from there: for a 2 MB registry that is three times the requests/s of
handing Granian the bytes. Other servers (and smaller bodies) get the bytes from memory. Files
past ``max_file_bytes`` are streamed from a descriptor opened before the headers, without gzip or
ranges.

    files = FilesApp(Path("/srv/connectors"), cache_control="public, max-age=60")
    # mount at /files: GET /files/registries/v0/oss_registry.json
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import gzip
import hashlib
import mimetypes
import os
import stat
import uuid
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

Headers = list[tuple[bytes, bytes]]
Scope = MutableMapping[str, Any]

# Python's table has no YAML type; metadata.yaml and manifest.yaml would go out as text/plain.
mimetypes.add_type("application/yaml", ".yaml")
mimetypes.add_type("application/yaml", ".yml")

PATHSEND = "http.response.pathsend"
PATHSEND_MIN_BYTES = 256 * 1024
"""From this size on, Granian's pathsend of a snapshot file outruns a body handed over from memory."""
GZIP_MIN_BYTES = 512
"""Smaller bodies gain nothing from gzip that the extra header does not cost."""
STREAM_CHUNK = 256 * 1024


def is_compressible(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in {
        "application/json", "application/yaml", "application/javascript", "image/svg+xml", "application/xml",
    }


@dataclass(frozen=True)
class Variant:
    """One encoding of a version: the body and the headers of a 200 and of a 304, made once."""

    body: bytes
    etag: bytes
    ok_headers: Headers
    not_modified_headers: Headers
    snapshot: str | None = None
    """A copy of ``body`` on disk that nothing ever rewrites, for the server's ``pathsend``."""

    def with_snapshot(self, folder: Path) -> Variant:
        """Write the body once under a name of its own (worker and ETag); return it with the file's path."""
        target = folder / f"{os.getpid()}-{self.etag.decode().strip(chr(34))}"
        if not target.is_file():
            temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")  # two paths may share the bytes
            temp.write_bytes(self.body)
            os.replace(temp, target)
        return replace(self, snapshot=str(target))


@dataclass(frozen=True)
class Resource:
    """One version of a file (or of the page): identity and, when worth it, gzip, side by side."""

    identity: Variant
    gzipped: Variant | None
    last_modified: bytes

    @property
    def size(self) -> int:
        return len(self.identity.body) + (len(self.gzipped.body) if self.gzipped else 0)

    @property
    def snapshots(self) -> set[str]:
        return {v.snapshot for v in (self.identity, self.gzipped) if v is not None and v.snapshot}

    def with_snapshots(self, folder: Path, min_bytes: int) -> Resource:
        """The variants of at least ``min_bytes`` with their snapshot file (smaller ones gain nothing)."""
        def snapshot(variant: Variant) -> Variant:
            return variant.with_snapshot(folder) if len(variant.body) >= min_bytes else variant

        return replace(self, identity=snapshot(self.identity),
                       gzipped=snapshot(self.gzipped) if self.gzipped else None)

    @classmethod
    def from_bytes(cls, data: bytes, content_type: str, modified: float, cache_control: str) -> Resource:
        tag = hashlib.blake2b(data, digest_size=12).hexdigest()
        last_modified = email.utils.formatdate(modified, usegmt=True).encode()
        compressible = is_compressible(content_type)
        common = [(b"last-modified", last_modified), (b"cache-control", cache_control.encode())]
        if compressible:
            common.append((b"vary", b"Accept-Encoding"))
        media = content_type + ("; charset=utf-8" if content_type.startswith("text/") else "")

        def variant(body: bytes, etag: str, encoding: bytes | None) -> Variant:
            etag_bytes = f'"{etag}"'.encode()
            validators = [(b"etag", etag_bytes), *common]
            ok = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
                  (b"accept-ranges", b"bytes"), *validators]
            if encoding:
                ok.append((b"content-encoding", encoding))
            return Variant(body, etag_bytes, ok, validators)

        gzipped = None
        if compressible and len(data) >= GZIP_MIN_BYTES:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            if len(packed) < len(data):
                gzipped = variant(packed, f"{tag}-gzip", b"gzip")
        return cls(variant(data, tag, None), gzipped, last_modified)


@dataclass
class _Cache:
    """Resources by path, least recently used dropped first once past ``max_bytes``."""

    max_bytes: int
    entries: OrderedDict[str, tuple[tuple[int, int, int], Resource]] = field(default_factory=OrderedDict)
    total: int = 0

    def get(self, path: str, stamp: tuple[int, int, int]) -> Resource | None:
        found = self.entries.get(path)
        if found is None or found[0] != stamp:
            return None
        self.entries.move_to_end(path)
        return found[1]

    def put(self, path: str, stamp: tuple[int, int, int], resource: Resource) -> list[Resource]:
        """Keep ``resource``; returns the resources it pushed out (the path's old version, the least used)."""
        dropped = []
        old = self.entries.pop(path, None)
        if old is not None:
            self.total -= old[1].size
            dropped.append(old[1])
        self.entries[path] = (stamp, resource)
        self.total += resource.size
        while self.total > self.max_bytes and len(self.entries) > 1:
            _, (_, evicted) = self.entries.popitem(last=False)
            self.total -= evicted.size
            dropped.append(evicted)
        return dropped

    def snapshots(self) -> set[str]:
        return {path for _, resource in self.entries.values() for path in resource.snapshots}


def stamp_of(info: os.stat_result) -> tuple[int, int, int]:
    """What changes when the store writes a file: a rename brings a new inode, an edit a new mtime."""
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class FilesApp:
    """ASGI app serving the files under ``root`` (a local folder); the request path is the file's."""

    def __init__(self, root: Path, *, cache_control: str, snapshots: Path | None = None,
                 max_file_bytes: int = 64 * 1024 * 1024, max_cache_bytes: int = 512 * 1024 * 1024,
                 snapshot_grace_s: float = 60) -> None:
        self.root = root.resolve()
        self.cache_control = cache_control
        self.snapshots = snapshots
        """Where bodies of ``PATHSEND_MIN_BYTES`` or more get their snapshot; None: always from memory."""
        self.snapshot_grace_s = snapshot_grace_s
        """How long a replaced version's snapshot stays for responses that are still reading it."""
        self.max_file_bytes = max_file_bytes
        self._cache = _Cache(max_cache_bytes)
        self._loading: dict[str, anyio.Lock] = {}
        self._paths: dict[str, str | None] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.serve(scope["path"], scope, send)

    async def serve(self, url_path: str, scope: Scope, send: Any) -> None:
        """Answer the request in ``scope`` with the file at ``url_path`` (relative to the root)."""
        if scope["method"] not in ("GET", "HEAD"):
            await send_plain(send, 405, b"method not allowed\n", [(b"allow", b"GET, HEAD")])
            return
        path = self._local_path(url_path)
        try:
            info = os.stat(path) if path else None
        except OSError:
            info = None
        if path is None or info is None or not stat.S_ISREG(info.st_mode):
            await send_plain(send, 404, b"not found\n")
            return
        if info.st_size > self.max_file_bytes:
            await self._stream_large(path, scope, send)
            return
        stamp = stamp_of(info)
        resource = self._cache.get(path, stamp) or await self._load(path, stamp)
        if resource is None:  # gone between the stat and the open
            await send_plain(send, 404, b"not found\n")
            return
        await send_resource(resource, scope, send)

    def _local_path(self, url_path: str) -> str | None:
        """The file for a URL path, or None for paths that leave the root or name hidden/temp files."""
        found = self._paths.get(url_path, "")
        if found != "":
            return found
        parts = [p for p in url_path.split("/") if p]
        if not parts or any(p.startswith(".") or "\x00" in p or "\\" in p for p in parts):
            found = None
        else:
            found = os.path.join(self.root, *parts)
        if len(self._paths) > 100_000:  # URLs are the client's to choose: keep the memo bounded
            self._paths.clear()
        self._paths[url_path] = found
        return found

    async def _load(self, path: str, stamp: tuple[int, int, int]) -> Resource | None:
        """Read, hash and gzip one version in a thread; concurrent requests for it wait for one load."""
        lock = self._loading.setdefault(path, anyio.Lock())
        async with lock:
            try:
                info = os.stat(path)
            except OSError:
                return None
            cached = self._cache.get(path, stamp_of(info))
            if cached is not None:
                return cached
            loaded = await anyio.to_thread.run_sync(self._read, path)
            if loaded is not None:
                dropped = self._cache.put(path, *loaded)
                if dropped and self.snapshots is not None:
                    stale = set().union(*(r.snapshots for r in dropped))
                    asyncio.get_running_loop().call_later(self.snapshot_grace_s, self._remove_snapshots, stale)
        if not lock.statistics().tasks_waiting:
            self._loading.pop(path, None)
        return loaded[1] if loaded is not None else None

    def _remove_snapshots(self, candidates: set[str]) -> None:
        """Delete snapshots no cached version uses any more (the same bytes may have come back)."""
        if self._loading:  # a load may be about to reuse one of them: look again later
            asyncio.get_running_loop().call_later(1, self._remove_snapshots, candidates)
            return
        for path in candidates - self._cache.snapshots():
            with contextlib.suppress(OSError):
                os.remove(path)

    def _read(self, path: str) -> tuple[tuple[int, int, int], Resource] | None:
        """The bytes and the stat of one open descriptor, so the key always describes the bytes."""
        try:
            with open(path, "rb") as handle:
                info = os.fstat(handle.fileno())
                data = handle.read()
        except OSError:
            return None
        if not os.path.realpath(path).startswith(f"{self.root}{os.sep}"):
            return None  # a symlink out of the store
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        resource = Resource.from_bytes(data, content_type, info.st_mtime, self.cache_control)
        if self.snapshots is not None:
            resource = resource.with_snapshots(self.snapshots, PATHSEND_MIN_BYTES)
        return stamp_of(info), resource

    async def _stream_large(self, path: str, scope: Scope, send: Any) -> None:
        """A file too big to keep: identity only, read from a descriptor opened before the headers."""
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the last chunk
        except OSError:
            await send_plain(send, 404, b"not found\n")
            return
        with handle:
            info = os.fstat(handle.fileno())
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            etag = f'"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"'.encode()
            headers = [(b"content-type", content_type.encode()), (b"content-length", str(info.st_size).encode()),
                       (b"etag", etag), (b"cache-control", self.cache_control.encode()),
                       (b"last-modified", email.utils.formatdate(info.st_mtime, usegmt=True).encode())]
            request = request_headers(scope)
            if etag_matches(request.get(b"if-none-match"), etag):
                await send({"type": "http.response.start", "status": 304, "headers": headers[2:]})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            while chunk := await anyio.to_thread.run_sync(handle.read, STREAM_CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})


async def send_resource(resource: Resource, scope: Scope, send: Any) -> None:
    """200, 206, 304 or 416 for one version, picking gzip when the client takes it."""
    request = request_headers(scope)
    variant = resource.gzipped if resource.gzipped and accepts_gzip(request.get(b"accept-encoding")) \
        else resource.identity
    if_none_match = request.get(b"if-none-match")
    if (etag_matches(if_none_match, variant.etag) if if_none_match is not None
            else request.get(b"if-modified-since") == resource.last_modified):
        await send({"type": "http.response.start", "status": 304, "headers": variant.not_modified_headers})
        await send({"type": "http.response.body", "body": b""})
        return
    status, headers, body = 200, variant.ok_headers, variant.body
    wanted = request.get(b"range")
    if wanted is not None and _if_range_holds(request.get(b"if-range"), variant, resource):
        span = parse_range(wanted, len(body))
        if span == "unsatisfiable":
            await send_plain(send, 416, b"range not satisfiable\n",
                             [(b"content-range", f"bytes */{len(body)}".encode())])
            return
        if isinstance(span, tuple):
            start, end = span
            status, body = 206, body[start:end + 1]
            headers = [(k, str(len(body)).encode() if k == b"content-length" else v) for k, v in headers]
            headers.append((b"content-range", f"bytes {start}-{end}/{len(variant.body)}".encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if status == 200 and variant.snapshot and scope["method"] == "GET" and PATHSEND in scope.get("extensions", ()):
        await send({"type": PATHSEND, "path": variant.snapshot})
    else:
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


async def send_plain(send: Any, status: int, text: bytes, extra: Headers | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode()),
        *(extra or [])]})
    await send({"type": "http.response.body", "body": text})


def request_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by lowercase name (ASGI servers already lowercase them)."""
    return dict(scope["headers"])


@functools.lru_cache(maxsize=1024)
def accepts_gzip(accept_encoding: bytes | None) -> bool:
    """Whether ``Accept-Encoding`` lists gzip (or ``*``) with a non-zero quality (clients send few variants)."""
    if not accept_encoding:
        return False
    for item in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = item.partition(";")
        if name.strip() in ("gzip", "x-gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            try:
                return not quality or float(quality) > 0
            except ValueError:
                return False
    return False


def etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    """``If-None-Match``'s weak comparison: any listed tag, W/ or not, equal to ours, or ``*``."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return b"*" in tags or etag in tags


def _if_range_holds(if_range: bytes | None, variant: Variant, resource: Resource) -> bool:
    """A range applies unless ``If-Range`` names another version (then the whole body goes out)."""
    return if_range is None or if_range.strip() in (variant.etag, resource.last_modified)


def parse_range(header: bytes, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=`` range as (first, last), "unsatisfiable", or None to send the whole body.

    Several ranges are answered with the whole body, which RFC 9110 allows; registry clients
    that resume a download ask for one.
    """
    unit, _, spec = header.decode("latin-1").partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first_text:  # the last N bytes
            suffix = int(last_text)
            if suffix <= 0:
                return "unsatisfiable"
            return (max(size - suffix, 0), size - 1) if size else "unsatisfiable"
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first < 0 or (last_text and last < first):
        return None
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)
