"""Store leases: atomic creation, renewal, bounded waits, and takeover of what a dead holder left."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import anyio
import pytest
from fsspec.spec import AbstractFileSystem

from registry import layout
from registry.processes import pid_alive
from registry.store import Store
from registry.store_lease import (
    AtomicCreateUnsupported,
    LeaseSettings,
    LockTimeout,
    StoreLease,
    create_exclusive,
)

PATH = layout.connector_lock("airbyte/source-x")
PROJECT = Path(__file__).resolve().parents[2]


def lease(store: Store, **settings: float) -> StoreLease:
    return StoreLease(store, PATH, "the publish lease of airbyte/source-x", LeaseSettings(**settings))


def write_holder(store: Store, **fields: object) -> None:
    now = dt.datetime.now(dt.UTC).isoformat()
    store.write_bytes_atomic(PATH, json.dumps({"host": "elsewhere", "pid": 1, "token": "theirs", "since": now,
                                               "renewed": now, "lease_s": 180, **fields}).encode())


def zombie() -> subprocess.Popen[bytes]:
    """A child that has exited and is not reaped (no wait() yet)."""
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return child


def test_only_one_holder_and_the_file_goes_on_release(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    first, second = lease(store), lease(store)
    assert first.try_acquire() and not second.try_acquire()
    assert "pid" in second.describe_holder() and socket.gethostname() in second.describe_holder()
    first.release()
    assert store.read_bytes(PATH) is None
    assert second.try_acquire()
    second.release()


def test_an_exited_but_unreaped_holder_counts_as_gone(tmp_path: Path) -> None:
    child = zombie()
    try:
        assert not pid_alive(child.pid)
        store = Store.open(tmp_path)
        write_holder(store, host=socket.gethostname(), pid=child.pid)
        taker = lease(store)
        assert taker.try_acquire()
        assert taker.warnings and f"from pid {child.pid}" in taker.warnings[0]
        assert json.loads(store.read_bytes(PATH) or b"")["token"] == taker.token
        taker.release()
    finally:
        child.wait()


def test_a_lease_not_renewed_in_time_is_taken_over_a_renewed_one_is_not(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=200)).isoformat()
    write_holder(store, renewed=old)  # a job killed on another machine, 200 s ago; lease 180 s
    taker = lease(store)
    assert taker.try_acquire() and "not renewed since" in taker.warnings[0]
    taker.release()
    write_holder(store, renewed=(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=100)).isoformat())
    assert not lease(store).try_acquire()


def test_the_holder_renews_so_a_short_lease_outlives_its_time(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    holder = lease(store, lease_s=1.0)
    assert holder.try_acquire()
    first = json.loads(store.read_bytes(PATH) or b"")["renewed"]
    time.sleep(2.5)  # past its lease time: only renewals keep it
    renewed = json.loads(store.read_bytes(PATH) or b"")
    assert renewed["renewed"] > first and renewed["token"] == holder.token
    assert not lease(store, lease_s=1.0).try_acquire()
    holder.release()


def test_a_waiter_says_what_it_waits_for_then_gives_up_at_its_timeout(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    write_holder(store)
    said: list[str] = []
    waiter = lease(store, poll_s=0.05)
    with pytest.raises(LockTimeout, match=r"gave up after 0 s waiting for the publish lease of airbyte/source-x: "
                                          r"held by pid 1 on elsewhere"):
        anyio.run(lambda: waiter.acquire(timeout_s=0.3, on_wait=said.append))
    assert said == [said[0]] and said[0].startswith("waiting for the publish lease of airbyte/source-x: held by")


def test_a_waiter_gets_the_lease_once_it_is_released(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    holder = lease(store)
    assert holder.try_acquire()

    def release_later() -> None:
        time.sleep(0.3)
        holder.release()

    async def main() -> float:
        waited = 0.0
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, release_later)
            waited = await lease(store, poll_s=0.05).acquire(timeout_s=10)
        return waited

    assert anyio.run(main) >= 0.2


def test_processes_racing_for_one_lease_never_overlap(tmp_path: Path) -> None:
    """Four processes each add 1 to a counter 10 times under the lease: no increment is lost."""
    script = (
        "import sys, time\n"
        "from registry.store import Store\n"
        "from registry.store_lease import StoreLease, LeaseSettings\n"
        "store = Store.open(sys.argv[1])\n"
        "for _ in range(10):\n"
        "    lease = StoreLease(store, 'locks/counter.lock', 'the counter', LeaseSettings(poll_s=0.01))\n"
        "    lease.acquire_blocking(timeout_s=60)\n"
        "    value = int(store.read_bytes('counter') or b'0')\n"
        "    time.sleep(0.002)\n"
        "    store.write_bytes_atomic('counter', str(value + 1).encode())\n"
        "    lease.release()\n"
    )
    racers = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT) for _ in range(4)]
    assert [racer.wait(timeout=120) for racer in racers] == [0] * 4
    assert (tmp_path / "counter").read_text() == "40"


def test_memory_store_creates_exclusively(tmp_path: Path) -> None:
    store = Store.open(f"memory://cp-i12-{uuid.uuid4().hex}")
    assert create_exclusive(store, PATH, b"a") and not create_exclusive(store, PATH, b"b")
    assert store.read_bytes(PATH) == b"a"


class NoCreateFileSystem(AbstractFileSystem):
    protocol = "cp-i12-nocreate"


class CreatingFileSystem(AbstractFileSystem):
    """An object store whose server honours (or, ``honours=False``, ignores) the create-only write."""

    protocol = "cp-i12-creating"
    honours = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.objects: dict[str, bytes] = {}

    async def _pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: object) -> None:
        raise NotImplementedError  # only its signature is looked at

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: object) -> None:
        if mode == "create" and self.honours and path in self.objects:
            raise FileExistsError(path)
        self.objects[path] = value

    def rm_file(self, path: str) -> None:
        if self.objects.pop(path, None) is None:
            raise FileNotFoundError(path)


class IgnoringFileSystem(CreatingFileSystem):
    protocol = "cp-i12-ignoring"
    honours = False


def test_an_object_store_without_atomic_create_is_refused_with_the_reason() -> None:
    with pytest.raises(AtomicCreateUnsupported, match=r"no create-only write.*mode='create'"):
        lease(Store(NoCreateFileSystem(), "bucket", "cp-i12-nocreate://bucket"))
    creating = CreatingFileSystem(skip_instance_cache=True)
    lease(Store(creating, "bucket", f"cp-i12-creating://bucket-{uuid.uuid4().hex}"))  # accepted: it has its own
    assert creating.objects == {}, "the probe object is removed"


def test_a_server_that_ignores_the_create_only_write_is_refused_before_any_lease() -> None:
    ignoring = IgnoringFileSystem(skip_instance_cache=True)
    with pytest.raises(AtomicCreateUnsupported, match=r"server ignores create-only writes.*If-None-Match"):
        lease(Store(ignoring, "bucket", f"cp-i12-ignoring://bucket-{uuid.uuid4().hex}"))
    assert ignoring.objects == {}, "the probe object is removed"
