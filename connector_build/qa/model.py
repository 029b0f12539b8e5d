"""What a QA check is, what it returns, and what it may know besides the connector.

    check = Check("license_known", "The license is MIT or ELv2.", license_known)
    result = check.run(connector, QAContext(repo))
    result.status, result.message          # CheckStatus.FAIL, "metadata.yaml: data.license ..."

A check function returns a :data:`Verdict` made with :func:`passed`, :func:`failed`,
:func:`warned` or :func:`skipped`; :meth:`Check.run` first applies the check's filters (types,
languages, support levels), so the function only sees connectors it applies to, and turns an
``advice`` check's failures into warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from connector_build.connector import Connector, Language
from connector_build.metadata import ConnectorType
from connector_build.monorepo import Monorepo


class CheckStatus(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    """Advice: shown in every report, never fails the run (Airbyte does not require it)."""
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One check on one connector. ``message`` names the file to fix when the check fails."""

    name: str
    status: CheckStatus
    message: str

    @property
    def failed(self) -> bool:
        return self.status is CheckStatus.FAIL

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.value, "message": self.message}


Verdict = tuple[CheckStatus, str]


def passed(message: str) -> Verdict:
    return CheckStatus.PASS, message


def failed(message: str) -> Verdict:
    return CheckStatus.FAIL, message


def skipped(reason: str) -> Verdict:
    return CheckStatus.SKIP, reason


def warned(message: str) -> Verdict:
    return CheckStatus.WARN, message


@dataclass
class QAContext:
    """What checks may know besides the connector: the monorepo (docs folder), the git ref to
    compare versions against (None: version checks skip), today's date (deadline checks), and
    each connector's cloud usage when a registry with metrics was given.

    It also memoises per-connector facts several checks need (the base snapshot), so a run
    asks git once per connector, not once per check.
    """

    repo: Monorepo
    base_ref: str | None = None
    today: dt.date = field(default_factory=dt.date.today)
    cloud_usage: Mapping[str, str] | None = None
    """definitionId -> ``low``/``medium``/``high``, from a registry's ``generated.metrics`` (None: unknown)."""
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def shown(self, path: Path) -> str:
        """``path`` as messages show it: relative to the monorepo root when inside it."""
        try:
            return path.relative_to(self.repo.root).as_posix()
        except ValueError:
            return str(path)


CheckFunction = Callable[[Connector, QAContext], Verdict]


@dataclass(frozen=True)
class Check:
    """A named QA check and the connectors it applies to (None: all)."""

    name: str
    description: str
    verify: CheckFunction
    types: frozenset[ConnectorType] | None = None
    languages: frozenset[Language] | None = None
    support_levels: frozenset[str] | None = None
    language_tags: frozenset[str] | None = None
    """Applies only to these ``language:`` tags (``python``, ``low-code``): Airbyte's language filter,
    which a Dockerfile does not change."""
    min_sl: int | None = None
    """Applies only when ``ab_internal.sl`` (100 when absent, as Airbyte reads it) is at least this."""
    cloud_usages: frozenset[str] | None = None
    """Applies only to connectors with this cloud usage (known from QAContext.cloud_usage)."""
    unreleased_only: bool = False
    """Skips a version already released (the same dockerImageTag at --base-ref), as Airbyte does."""
    advice: bool = False
    """Advice only: a finding is shown as a warning and never fails (Airbyte does not check it)."""

    def skip_reason(self, connector: Connector, context: QAContext | None = None) -> str | None:
        if self.types is not None and connector.connector_type not in self.types:
            return f"applies only to {_names(self.types, 's')}"
        if self.languages is not None and connector.language not in self.languages:
            return f"applies only to {_names(self.languages)} connectors"
        if self.support_levels is not None and connector.support_level not in self.support_levels:
            return f"applies only to {_names(self.support_levels)} connectors"
        if self.language_tags is not None and connector.data.language_tag() not in self.language_tags:
            return f"applies only to {_names(self.language_tags)} connectors"
        if self.min_sl is not None and internal_support_level(connector) < self.min_sl:
            return f"applies only to connectors with ab_internal.sl >= {self.min_sl}"
        if self.cloud_usages is not None:
            known = context.cloud_usage if context else None
            usage = (known or {}).get(connector.data.definitionId)
            if usage is None:
                where = ("not in the --usage-from registry's metrics" if known is not None
                         else "qa run --usage-from <cloud registry with metrics>")
                return f"cloud usage unknown ({where}); applies only to {_names(self.cloud_usages)} cloud usage"
            if usage not in self.cloud_usages:
                return f"applies only to {_names(self.cloud_usages)} cloud usage, not {usage}"
        return None

    def applies_to(self) -> str:
        """The filters in words, for ``qa list``."""
        parts = []
        if self.types is not None:
            parts.append(_names(self.types, "s"))
        if self.languages is not None:
            parts.append(_names(self.languages))
        if self.language_tags is not None:
            parts.append(_names(self.language_tags))
        if self.support_levels is not None:
            parts.append(_names(self.support_levels))
        if self.min_sl is not None:
            parts.append(f"ab_internal.sl >= {self.min_sl}")
        if self.cloud_usages is not None:
            parts.append(f"{_names(self.cloud_usages)} cloud usage")
        if self.unreleased_only:
            parts.append("unreleased versions")
        text = ", ".join(parts) or "all"
        return f"{text} (advice: warns, never fails)" if self.advice else text

    def run(self, connector: Connector, context: QAContext) -> CheckResult:
        reason = self.skip_reason(connector, context) or (self.unreleased_only and released_reason(connector, context))
        if reason:
            return CheckResult(self.name, CheckStatus.SKIP, reason)
        try:
            status, message = self.verify(connector, context)
        except (OSError, UnicodeDecodeError) as exc:
            # A file that cannot be read is the connector's problem, not a crash of the run.
            status, message = CheckStatus.FAIL, f"cannot read a file: {exc}"
        if self.advice and status is CheckStatus.FAIL:
            status = CheckStatus.WARN
        return CheckResult(self.name, status, message)


def internal_support_level(connector: Connector) -> int:
    """``ab_internal.sl``, 100 when absent (Airbyte's default)."""
    internal = connector.data.ab_internal
    return 100 if internal is None or internal.sl is None else internal.sl


def released_reason(connector: Connector, context: QAContext) -> str | None:
    """Why a check for unreleased versions skips (None: the version is new, so it runs)."""
    from connector_build.qa.base_ref import BaseRefError, BaseUnavailable
    from connector_build.qa.checks_version import base_snapshot

    if context.base_ref is None:
        return "runs only on unreleased versions: pass --base-ref to tell a new version from a released one"
    try:
        base = base_snapshot(connector, context)
    except (BaseUnavailable, BaseRefError) as exc:
        return f"cannot tell whether {connector.version} is released: {exc}"
    if not base.is_new and base.docker_image_tag == connector.version:
        return f"{connector.version} is already released at {context.base_ref}"
    return None


def _names(values: frozenset[Any], suffix: str = "") -> str:
    return " or ".join(sorted(f"{getattr(v, 'value', v)}{suffix}" for v in values))
