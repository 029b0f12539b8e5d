"""A problem found in a connector's files, phrased so a person can go straight to it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """``file:line: field: message`` — the one-line form every command prints."""

    file: Path
    line: int | None
    field: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": str(self.file),
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "severity": self.severity.value,
        }


class UserError(Exception):
    """A mistake in what the user asked for or pointed at: shown as one line, exit code 2."""


class InvalidMetadata(Exception):
    """Raised when a metadata file has at least one error; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def dotted(path: tuple[str | int, ...]) -> str:
    """``("data", "tags", 0)`` -> ``data.tags[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
