"""One deterministic image layer: a gzip'd tar whose bytes depend only on the files and a time.

Sorted entries, parent folders included, uid/gid 0 with no names, fixed modes (0755 folders,
0644 files), every mtime the same fixed time, and gzip with neither a file name nor a time.

    layer = deterministic_layer({"airbyte/x/manifest.yaml": b"…"}, mtime=1718400000)
    layer.digest, layer.diff_id    # of the gzip'd blob, of the uncompressed tar
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass

GZIP_LEVEL = 6
"""Fixed: another level gives other bytes (and so another digest) for the same files."""


@dataclass(frozen=True)
class Layer:
    blob: bytes
    """The gzip'd tar, as pushed."""
    diff_id: str
    """sha256 of the uncompressed tar, as the image config lists it."""

    @property
    def digest(self) -> str:
        return sha256_digest(self.blob)

    @property
    def size(self) -> int:
        return len(self.blob)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def deterministic_layer(files: Mapping[str, bytes], *, mtime: int) -> Layer:
    """``files`` maps absolute or relative paths in the image to their bytes."""
    entries = {path.strip("/"): data for path, data in files.items()}
    folders = {"/".join(parts[:depth]) for parts in (p.split("/") for p in entries)
               for depth in range(1, len(parts))}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(folders | set(entries)):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
            if name in entries:
                info.mode, info.size = 0o644, len(entries[name])
                tar.addfile(info, io.BytesIO(entries[name]))
            else:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
    tar_bytes = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=GZIP_LEVEL, mtime=0) as gz:
        gz.write(tar_bytes)
    return Layer(blob=compressed.getvalue(), diff_id=sha256_digest(tar_bytes))
