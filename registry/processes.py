"""Whether a process on this machine is still running: how leftovers of a killed run are recognised."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Running; a process that has exited but is not yet reaped by its parent (a zombie) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return not _is_zombie(pid)
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (not Linux): signal 0 is all there is to know
    return stat.rpartition(")")[2].split()[:1] == ["Z"]
