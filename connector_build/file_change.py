"""A change to one file, shown as a diff or written atomically (a temporary file, then a rename)."""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileChange:
    path: Path
    before: str | None
    """None for a new file."""
    after: str

    def diff(self, root: Path) -> str:
        shown = str(self.path.relative_to(root)) if self.path.is_relative_to(root) else str(self.path)
        return "".join(difflib.unified_diff(
            (self.before or "").splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile="/dev/null" if self.before is None else f"a/{shown}", tofile=f"b/{shown}"))

    def write(self) -> None:
        """Atomically: a temporary file beside the target, then a rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(self.after)
            if self.path.exists():
                os.chmod(temporary, self.path.stat().st_mode & 0o777)
            else:
                os.chmod(temporary, 0o644)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
