"""Copy a store (a bucket) down to a folder, so ``registry serve`` can serve it from this machine.

    result = sync_store(Store.open("s3://bucket/prefix"), Path("./store"))
    result.copied, result.unchanged, result.removed      # store-relative paths

Rerun it to pick up what later publishes and yanks changed: only files whose content differs are
downloaded (the object's MD5 from the listing, S3's ETag or GCS's md5Hash, against the local
file's), files gone from the store are removed (in the store's own folders only), and the
store's bookkeeping (leases) stays behind. Each file is replaced atomically, and the registries
are written last, so a server reading the folder during a sync never lists a version whose files
have not arrived yet.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry import layout
from registry.store import Store, StoreError, is_temp_name, replace_local_file

_LAST = ("registries/",)
"""Copied after everything else: they name files that must already be there."""
_SKIPPED = (f"{layout.LOCKS_DIR.split('/')[0]}/",)
"""The store's bookkeeping (leases), which a served copy has no use for."""
_LAYOUT_FOLDERS = (layout.METADATA_DIR, "specs", "connector_dependencies", "registries")
"""The folders a store has (see :mod:`registry.layout`): the only ones a sync removes files from."""
_HEX_MD5 = re.compile(r'^"?([0-9a-f]{32})"?$')


@dataclass
class SyncResult:
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def sync_store(store: Store, target: Path) -> SyncResult:
    """Make ``target`` hold exactly the store's files (bookkeeping aside)."""
    if store.local_root is not None and store.local_root.resolve() == target.resolve():
        raise StoreError(f"sync: {target} is the store itself")
    if not store.is_present():
        raise StoreError(f"store {store.url}: no such bucket or folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"sync: cannot make the folder {target}: {exc.strerror}") from None
    remote = {path: info for path, info in _listing(store).items() if not path.startswith(_SKIPPED)}
    result = SyncResult()
    ordered = sorted(remote, key=lambda path: (path.startswith(_LAST), path))
    for path in ordered:
        local = target / path
        if local.is_file() and _same_content(local, remote[path]):
            result.unchanged.append(path)
            continue
        data = store.read_bytes(path)
        if data is None:  # deleted since the listing: the next sync removes the local copy
            continue
        if local.is_file() and local.read_bytes() == data:  # no checksum listed, and the same after all
            result.unchanged.append(path)
            continue
        replace_local_file(local, data)
        result.copied.append(path)
    for folder in _LAYOUT_FOLDERS:  # nothing else in the target is touched: it may not be a copy at all
        for local in sorted(p for p in (target / folder).rglob("*") if p.is_file()):
            path = local.relative_to(target).as_posix()
            if path not in remote and not is_temp_name(local.name):
                local.unlink()
                result.removed.append(path)
    return result


def _listing(store: Store) -> dict[str, dict[str, Any]]:
    """Store-relative path -> the backend's listing entry (size, ETag or md5Hash), in one listing."""
    prefix = store.root + "/"
    try:
        found = store.fs.find(store.root, detail=True)
    except FileNotFoundError:
        return {}
    return {name[len(prefix):]: info for name, info in found.items()
            if name.startswith(prefix) and info.get("type", "file") == "file"}


def _same_content(local: Path, info: dict[str, Any]) -> bool:
    size = info.get("size")
    if size is not None and local.stat().st_size != size:
        return False
    wanted = _listed_md5(info)
    if wanted is None:
        return False  # no checksum listed: download and compare
    return hashlib.md5(local.read_bytes()).hexdigest() == wanted


def _listed_md5(info: dict[str, Any]) -> str | None:
    """The MD5 a listing gives: GCS's base64 ``md5Hash``, or S3's ETag when it is one (not multipart)."""
    md5 = info.get("md5Hash")
    if isinstance(md5, str) and md5:
        try:
            return base64.b64decode(md5).hex()
        except ValueError:
            return None
    for key in ("ETag", "etag"):
        match = _HEX_MD5.match(str(info.get(key) or ""))
        if match:
            return match.group(1)
    return None

