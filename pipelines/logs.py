"""A step's log: every line to a file (the report links it), the last lines kept for the summary.

Secrets registered with :func:`registry.secrets.register_secret` never reach the file, the tail or
the progress view.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from registry.secrets import redact


class StepLog:
    """Append-only log of one step. Thread-safe: engines write from worker threads."""

    def __init__(self, path: Path | None, tail_lines: int = 30,
                 on_line: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._tail: deque[str] = deque(maxlen=tail_lines)
        self._lock = threading.Lock()
        self._on_line = on_line
        self._file: TextIO | None = None  # opened on the first line: a step that logs nothing leaves no file

    def write(self, text: str) -> None:
        for raw in text.splitlines():
            line = redact(raw.rstrip())
            if not line:
                continue
            with self._lock:
                self._tail.append(line)
                if self._file is None and self.path is not None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = self.path.open("a", encoding="utf-8")
                if self._file:
                    self._file.write(line + "\n")
                    self._file.flush()
            if self._on_line:
                self._on_line(line)

    def tail(self, count: int | None = None) -> list[str]:
        with self._lock:
            lines = list(self._tail)
        return lines[-count:] if count else lines

    def close(self) -> None:
        with self._lock:
            if self._file:
                self._file.close()
                self._file = None
