"""Steps: the small named units a pipeline is made of (GoReleaser's "pipes").

A pipeline for one connector is an ordered list of steps; the list reads as its documentation.
Each step gets only what it needs: the connector's state (what earlier steps produced) and a
log. A step returns an outcome, or raises :class:`StepFailed` with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from connector_build.connector import Connector
from pipelines.engines.base import BuiltImage
from pipelines.logs import StepLog
from pipelines.publish_state import PublishState
from pipelines.results import StepStatus


class StepFailed(Exception):
    """The step ran and failed; the message is the one-line summary shown to the user."""

    def __init__(self, summary: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details or {}


class StepSkipped(Exception):
    """The step decided, once running, that it does not apply (e.g. pytest found no tests)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Outcome:
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    status: StepStatus = StepStatus.SUCCESS


@dataclass
class ConnectorState:
    """What the steps of one connector's pipeline hand to each other."""

    connector: Connector
    images: dict[str, BuiltImage] = field(default_factory=dict)
    """Built images by platform (``linux/amd64`` …)."""
    publish: PublishState = field(default_factory=PublishState)
    """What the publish steps decided and produced (only they read it)."""


class Step(Protocol):
    """A step may also define ``release(state)``: called once its connector's pipeline ends, however
    it ends, to give back what it holds (the publish lease)."""

    name: str

    def skip_reason(self, state: ConnectorState) -> str | None:
        """Why this step does not apply to this connector, or None to run it."""
        ...

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome: ...
