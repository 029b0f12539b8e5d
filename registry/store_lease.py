"""Leases on a store: what several publishers on one store serialise, and only that.

A lease is a small JSON file (owner host, pid, token, when taken, when last renewed, how long a
renewal is good for). It is created atomically, so two takers never both win: ``O_EXCL`` on a
folder, the backend's create-only write elsewhere (S3 ``If-None-Match``, GCS generation match, as
fsspec exposes them through ``pipe_file(mode="create")``); a backend without one is refused with
a clear message. While held, a thread renews it; a lease not renewed for its lease time, or held
by a process of this host that has exited (a zombie counts as exited), is taken over with a warning.

    lease = StoreLease(store, layout.connector_lock("airbyte/source-x"), "source-x's push and records")
    await lease.acquire(timeout_s=1800, on_wait=print)   # says what it waits for, once
    ...
    lease.release()
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import anyio

from connector_build.problems import UserError
from registry import layout
from registry.processes import pid_alive
from registry.store import Store

DEFAULT_LEASE_S = 180.0
"""How long a lease stays good without renewal: a holder killed on another machine blocks for this long."""
DEFAULT_WAIT_S = 1800.0
TAKEOVER_GUARD_S = 30.0
"""A takeover guard older than this was left by a taker that died between two calls."""


class LockTimeout(UserError):
    """Waited the whole timeout for a lease someone else holds."""


class AtomicCreateUnsupported(UserError):
    """The store's backend cannot create a file only if it is absent."""


@dataclass(frozen=True)
class LeaseSettings:
    lease_s: float = DEFAULT_LEASE_S
    wait_s: float = DEFAULT_WAIT_S
    poll_s: float = 0.5


class StoreLease:
    def __init__(self, store: Store, path: str, what: str, settings: LeaseSettings = LeaseSettings()) -> None:
        self.store, self.path, self.what, self.settings = store, path, what, settings
        self.token = uuid.uuid4().hex
        self.warnings: list[str] = []
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        check_atomic_create(store)

    # -- taking and giving back ---------------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take the lease if it is free or stale; False when someone else holds it."""
        if self._create():
            self._start_renewing()
            return True
        holder = self.holder()
        if holder is not None and not is_stale(holder, self.settings.lease_s):
            return False
        if self._take_over(holder):
            self._start_renewing()
            return True
        return False

    async def acquire(self, *, timeout_s: float | None = None,
                      on_wait: Callable[[str], None] | None = None) -> float:
        """Wait (polling, bounded) for the lease; returns the seconds waited."""
        timeout = self.settings.wait_s if timeout_s is None else timeout_s
        started = time.monotonic()
        told = False
        while not self.try_acquire():
            waited = time.monotonic() - started
            if waited >= timeout:
                raise LockTimeout(f"gave up after {timeout:.0f} s waiting for {self.what}: {self.describe_holder()} "
                                  f"({self.store.url}/{self.path})")
            if not told and on_wait is not None:
                on_wait(f"waiting for {self.what}: {self.describe_holder()} (up to {timeout:.0f} s)")
                told = True
            await anyio.sleep(self.settings.poll_s)
        return time.monotonic() - started

    def acquire_blocking(self, *, timeout_s: float | None = None,
                         on_wait: Callable[[str], None] | None = None) -> float:
        return anyio.run(lambda: self.acquire(timeout_s=timeout_s, on_wait=on_wait))

    def release(self) -> None:
        """Stop renewing and remove the file, if it is still ours."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
            self._renewer = None
        holder = self.holder()
        if holder is not None and holder.get("token") == self.token:
            self.store.delete(self.path)

    def __enter__(self) -> StoreLease:
        self.acquire_blocking()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- what the file says ---------------------------------------------------------------------

    def holder(self) -> dict[str, Any] | None:
        raw = self.store.read_bytes(self.path)
        if raw is None:
            return None
        try:
            found = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            found = None
        if not isinstance(found, dict):  # being written this instant, or garbage: judge by its age
            written = self.store.modified(self.path) or dt.datetime.now(dt.UTC)
            return {"host": "?", "pid": None, "token": None, "renewed": written.isoformat()}
        return found

    def describe_holder(self) -> str:
        holder = self.holder() or {}
        return (f"held by pid {holder.get('pid')} on {holder.get('host')} since {holder.get('since', '?')}"
                + (f" ({holder['note']})" if holder.get("note") not in (None, "", self.what) else ""))

    def renew(self) -> bool:
        """Push the expiry forward; False (and stop) when the lease was taken from us."""
        holder = self.holder()
        if holder is None or holder.get("token") != self.token:
            return False
        self.store.write_bytes_atomic(self.path, self._content(since=holder.get("since")))
        return True

    # -- internals ----------------------------------------------------------------------------------

    def _content(self, since: str | None = None) -> bytes:
        now = dt.datetime.now(dt.UTC).isoformat()
        return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "token": self.token,
                           "since": since or now, "renewed": now, "lease_s": self.settings.lease_s,
                           "note": self.what}).encode()

    def _create(self, path: str | None = None) -> bool:
        return create_exclusive(self.store, path or self.path, self._content())

    def _take_over(self, stale: dict[str, Any] | None) -> bool:
        """Delete the stale lease and create ours, guarded so that two takers never both succeed."""
        guard = f"{self.path}.takeover"
        if not create_exclusive(self.store, guard, self.token.encode()):
            when = self.store.modified(guard)
            if when is None or dt.datetime.now(dt.UTC) - when < dt.timedelta(seconds=TAKEOVER_GUARD_S):
                return False
            self.store.delete(guard)  # left by a taker that died mid-takeover
            if not create_exclusive(self.store, guard, self.token.encode()):
                return False
        try:
            current = self.holder()
            if current is not None and (stale is None or current.get("token") != stale.get("token")):
                return False  # renewed or replaced since we looked
            if current is not None:
                self.store.delete(self.path)
            if not self._create():
                return False
        finally:
            self.store.delete(guard)
        if stale is not None:
            self.warnings.append(f"took over {self.what} from pid {stale.get('pid')} on {stale.get('host')}, "
                                 f"not renewed since {stale.get('renewed', stale.get('since'))}")
        return True

    def _start_renewing(self) -> None:
        self._stop.clear()
        interval = max(0.05, self.settings.lease_s / 3)

        def renew_until_released() -> None:
            while not self._stop.wait(interval):
                try:
                    if not self.renew():
                        return
                except OSError:
                    continue  # a transient store error: the next renewal may work, the lease is long enough

        self._renewer = threading.Thread(target=renew_until_released, name=f"lease {self.path}", daemon=True)
        self._renewer.start()


def is_stale(holder: dict[str, Any], default_lease_s: float) -> bool:
    """Not renewed within its lease, or its process on this host is gone."""
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int) \
            and not pid_alive(holder["pid"]):
        return True
    try:
        renewed = dt.datetime.fromisoformat(str(holder.get("renewed") or holder.get("since")))
    except ValueError:
        return True
    lease = holder.get("lease_s")
    lease_s = float(lease) if isinstance(lease, int | float) and lease > 0 else default_lease_s
    if renewed.tzinfo is None:
        renewed = renewed.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC) - renewed > dt.timedelta(seconds=lease_s)


def check_atomic_create(store: Store, *, probe: bool = True) -> None:
    """Refuse a store whose create-only write is missing, or (``probe``: one write, once per process)
    ignored by its server."""
    if store.is_local or _in_process(store):
        return
    if not _backend_creates_atomically(store):
        raise AtomicCreateUnsupported(
            f"store {store.url}: its fsspec backend ({type(store.fs).__name__}) has no create-only write, so "
            "publishers could not lock it safely; use a folder, or an s3fs/gcsfs version whose pipe_file "
            "supports mode='create'")
    if probe and (id(store.fs), store.url) not in _HONOURED:
        _check_server_honours_create(store)
        _HONOURED.add((id(store.fs), store.url))


_HONOURED: set[tuple[int, str]] = set()
"""Stores whose server was seen refusing a second create-only write, in this process."""


def _check_server_honours_create(store: Store) -> None:
    """Create one probe object twice with the create-only write: the second must be refused.

    S3-compatible servers that predate conditional writes accept ``If-None-Match: *`` and overwrite
    anyway; on such a server two publishers would both "win" a lease, so it is refused here.
    """
    probe = f"{layout.LOCKS_DIR}/.create-probe-{uuid.uuid4().hex}"
    try:
        if not create_exclusive(store, probe, b"probe"):
            raise AtomicCreateUnsupported(f"store {store.url}: a create-only write of a new object was refused; "
                                          "cannot tell whether the store honours conditional writes")
        if create_exclusive(store, probe, b"probe again"):
            raise AtomicCreateUnsupported(
                f"store {store.url}: the server ignores create-only writes (a second S3 If-None-Match: * / GCS "
                "ifGenerationMatch=0 write of the same object succeeded), so publishers could not lock it "
                "safely; use a server that honours conditional writes, or a folder")
    finally:
        store.delete(probe)


def create_exclusive(store: Store, path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` only if it does not exist; False when it does."""
    full = f"{store.root}/{path}"
    if store.is_local:
        os.makedirs(os.path.dirname(full), exist_ok=True)
        try:
            descriptor = os.open(full, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return True
    parent = str(PurePosixPath(full).parent)
    if _in_process(store):
        store.fs.makedirs(parent, exist_ok=True)
    _send_puts_without_expect_continue(store)
    try:
        store.fs.pipe_file(full, data, mode="create")
    except FileExistsError:
        return False
    except OSError as exc:
        if _lost_conditional_write(exc):
            return False
        raise
    return True


def _send_puts_without_expect_continue(store: Store) -> None:
    """S3 PUTs without ``Expect: 100-continue``, which botocore adds to every PutObject.

    A server that refuses a conditional PUT from its headers alone answers 412 before asking for
    the body (Go's net/http does so, and closes); aiohttp, under aiobotocore, then waits for a
    ``100 Continue`` that never comes, until the read timeout, and retries: a lost lease race
    hung for minutes. Leases are a few hundred bytes, so the body goes with the headers.
    """
    connect = getattr(store.fs, "connect", None)
    if "s3" not in _protocols(store) or connect is None:
        return
    client = connect()
    client.meta.events.register("request-created.s3.PutObject", _drop_expect_header,
                                unique_id="connector-pipelines-no-expect-continue")


def _drop_expect_header(request: Any, **_: Any) -> None:
    if "Expect" in request.headers:
        del request.headers["Expect"]


def _protocols(store: Store) -> set[str]:
    protocol = store.fs.protocol
    return {protocol} if isinstance(protocol, str) else set(protocol)


_LOST_CONDITIONS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


def _lost_conditional_write(exc: OSError) -> bool:
    """An S3 412 (the object exists) or 409 (a concurrent conditional write won).

    s3fs turns a 412 into FileExistsError only when the error names the ``If-None-Match`` condition
    (s3fs/errors.py, translate_boto_error), as AWS does; S3-compatible servers that leave the
    condition out (gofakes3) give an OSError whose cause is botocore's ClientError.
    """
    response = getattr(exc.__cause__, "response", None)
    if not isinstance(response, dict):
        return False
    code = (response.get("Error") or {}).get("Code")
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return code in _LOST_CONDITIONS or status in (409, 412)


def _in_process(store: Store) -> bool:
    """``memory://``: one process sees it, whose create-only open is atomic enough."""
    protocol = store.fs.protocol
    return "memory" in ({protocol} if isinstance(protocol, str) else set(protocol))


def _backend_creates_atomically(store: Store) -> bool:
    """The backend implements ``mode="create"`` itself (s3fs, gcsfs), not fsspec's generic fallback."""
    from fsspec.spec import AbstractFileSystem

    own = getattr(type(store.fs), "_pipe_file", None)
    if own is None or own is getattr(AbstractFileSystem, "_pipe_file", None):
        return False
    return "mode" in inspect.signature(own).parameters
