"""What a run produced: a result per step, steps per connector, connectors per run.

These are plain data: the runner fills them, and the report writers (console, JSON, HTML,
JUnit) only read them. ``report.json`` is ``RunReport.to_dict()``; its schema is in the README.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

REPORT_SCHEMA_VERSION = 1


class StepStatus(str, Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    SKIPPED = "skipped"


@dataclass
class StepResult:
    """One step of one connector. ``summary`` is one line; ``log_tail`` the last lines of the log."""

    name: str
    status: StepStatus
    duration_s: float = 0.0
    summary: str = ""
    log_path: Path | None = None
    log_tail: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def skipped(cls, name: str, reason: str) -> StepResult:
        return cls(name=name, status=StepStatus.SKIPPED, summary=reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "duration_s": round(self.duration_s, 3),
            "summary": self.summary,
            "log_path": str(self.log_path) if self.log_path else None,
            "log_tail": self.log_tail,
            "details": self.details,
        }


@dataclass
class ConnectorReport:
    connector: str
    version: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(step.status is not StepStatus.FAILURE for step in self.steps)

    @property
    def duration_s(self) -> float:
        return sum(step.duration_s for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "version": self.version,
            "success": self.success,
            "duration_s": round(self.duration_s, 3),
            "steps": [step.to_dict() for step in self.steps],
        }


@dataclass
class RunReport:
    command: str
    engine: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    connectors: list[ConnectorReport] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(report.success for report in self.connectors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "command": self.command,
            "engine": self.engine,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "success": self.success,
            "connectors": [report.to_dict() for report in self.connectors],
        }
