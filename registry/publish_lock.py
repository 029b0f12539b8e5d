"""One publish at a time per store: a lock file naming its owner and when it was taken.

A lock whose owner process is gone (same host, pid not alive) or that is older than
``STALE_AFTER`` is taken over with a warning, so a killed publish never blocks the next one.

    with PublishLock(store, owner_note="ci run 123") as lock:
        ...
        lock.warnings   # e.g. ["took over a stale lock held by host:1234 since ..."]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from typing import Any

from connector_build.problems import UserError
from registry import layout
from registry.processes import pid_alive

LOCK_PATH = layout.LOCK_PATH
STALE_AFTER = dt.timedelta(hours=6)


class PublishLocked(UserError):
    """Another publish holds the store."""


class PublishLock:
    def __init__(self, store: Any, owner_note: str = "") -> None:
        self.store = store
        self.token = uuid.uuid4().hex
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(), "token": self.token,
                      "since": dt.datetime.now(dt.UTC).isoformat(), "note": owner_note}
        self.warnings: list[str] = []

    def __enter__(self) -> PublishLock:
        current = self._read()
        if current is not None:
            if not _is_stale(current):
                raise PublishLocked(
                    f"another publish holds the store (pid {current.get('pid')} on {current.get('host')} "
                    f"since {current.get('since')}); wait for it, or delete {LOCK_PATH} if it is gone"
                )
            self.warnings.append(f"took over a stale publish lock held by {current.get('host')}:"
                                 f"{current.get('pid')} since {current.get('since')}")
        self.store.write_bytes_atomic(LOCK_PATH, json.dumps(self.owner).encode())
        if (self._read() or {}).get("token") != self.token:  # lost a race with another taker
            raise PublishLocked("another publish took the store lock at the same moment; try again")
        return self

    def __exit__(self, *exc: object) -> None:
        if (self._read() or {}).get("token") == self.token:
            self.store.delete(LOCK_PATH)

    def _read(self) -> dict[str, Any] | None:
        raw = self.store.read_bytes(LOCK_PATH)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return {"host": "?", "pid": None, "since": "1970-01-01T00:00:00+00:00"}


def _is_stale(owner: dict[str, Any]) -> bool:
    try:
        since = dt.datetime.fromisoformat(owner.get("since", ""))
    except ValueError:
        return True
    if dt.datetime.now(dt.UTC) - since > STALE_AFTER:
        return True
    if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
        return not pid_alive(owner["pid"])
    return False
