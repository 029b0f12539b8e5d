"""One publish at a time per store; a lock whose owner is gone is taken over with a warning."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from registry.publish_lock import LOCK_PATH, PublishLock, PublishLocked
from registry.store import Store


def test_second_publish_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    with PublishLock(store):
        with pytest.raises(PublishLocked, match=f"pid {os.getpid()}"):
            PublishLock(store).__enter__()
    assert store.read_bytes(LOCK_PATH) is None  # released on exit


def test_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    store = Store.open(tmp_path)
    store.write_bytes_atomic(LOCK_PATH, json.dumps(
        {"host": socket.gethostname(), "pid": dead.pid, "since": dt.datetime.now(dt.UTC).isoformat(), "token": "x"}
    ).encode())
    with PublishLock(store) as lock:
        assert lock.warnings and "stale publish lock" in lock.warnings[0]
        assert json.loads(store.read_bytes(LOCK_PATH) or b"{}")["pid"] == os.getpid()
