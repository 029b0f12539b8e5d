"""One verification check, printed as one line: what was checked, where, and the verdict.

    Check("signature", True, "localhost:5000/airbyte/source-x:1.2.3", "signed by key 3f2a…").line()
    # 'ok    signature  localhost:5000/airbyte/source-x:1.2.3: signed by key 3f2a…'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    where: str
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name:<12} {self.where}: {self.detail}"


def all_ok(checks: Sequence[Check]) -> bool:
    """True only when there were checks and every one passed: nothing passes by having no checks."""
    return bool(checks) and all(check.ok for check in checks)
