"""What the publish steps of one connector hand to each other, by name and type.

``CheckRegistry`` decides the :class:`PublishMode`; later steps read it to know whether they apply,
and fill in what the next ones need (the index digest, the specs, the installed packages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class PublishMode(Enum):
    PUBLISH = "publish"  # not on the registry: build, push, verify, record
    RECORD = "record"    # on the registry, not in the store: verify, record, never push
    DONE = "done"        # recorded already, archived, or nothing this tool can build: nothing to do

    @property
    def has_work(self) -> bool:
        return self is not PublishMode.DONE


@dataclass
class PublishState:
    mode: PublishMode | None = None
    """None until ``CheckRegistry`` has looked."""
    version: str = ""
    """The tag being published (``X.Y.Z``, or ``X.Y.Z-dev.<sha>`` for a pre-release)."""
    index_digest: str | None = None
    """The image index under the version tag: found on the registry (record) or pushed (publish)."""
    spec: dict[str, Any] | None = None
    """``spec`` as the pulled-back image answers it with ``DEPLOYMENT_MODE=OSS``."""
    cloud_spec: dict[str, Any] | None = None
    """The same with ``DEPLOYMENT_MODE=CLOUD``; stored apart only when it differs."""
    dependencies: list[dict[str, str]] | None = None
    """``pip list`` of a Python connector's image, as ``connector_dependencies/`` records it."""
    generated: dict[str, Any] = field(default_factory=dict)
    """Extra ``generated`` fields of the registry entries, from the steps between verify and record
    (the attest step: ``sbomUrl``, ``sbomUrls``, ``provenanceUrl``, ``imageDigest``, ``platformDigests``)."""

    @property
    def has_work(self) -> bool:
        return self.mode is not None and self.mode.has_work
