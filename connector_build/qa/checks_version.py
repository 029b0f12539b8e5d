"""QA checks that compare the connector with the base branch: version bump, major bumps, deadlines.

They need ``--base-ref`` and a git checkout; without either they skip and say so. A bad ref is a
failure, not a skip: it is a mistake the user should see.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from connector_build import versions
from connector_build.connector import Connector
from connector_build.metadata import VersionBreakingChange
from connector_build.metadata_rules import DECLARATIVE_MANIFEST_DEFINITION_ID
from connector_build.qa.base_ref import BaseRefError, BaseSnapshot, BaseUnavailable, take_snapshot
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed, skipped

MIN_DEADLINE_NOTICE = dt.timedelta(days=7)

NO_BUMP_FOLDERS = ("integration_tests/", "unit_tests/", "tests/", "src/test/", "src/test-integration/",
                   "src/test-performance/")
NO_BUMP_FILES = ("README.md", "bootstrap.md", "acceptance-test-config.yml")
"""Changes here do not ship in the image, so they need no new version (airbyte-ci's bypass list)."""


def needs_version_bump(path: str) -> bool:
    """Whether a change to ``path`` (relative to the connector folder) needs a new version."""
    return not (path.startswith(NO_BUMP_FOLDERS) or PurePosixPath(path).name in NO_BUMP_FILES)


def base_snapshot(connector: Connector, ctx: QAContext) -> BaseSnapshot:
    """The connector at the merge base, asked of git once per run (raises like take_snapshot)."""
    assert ctx.base_ref is not None
    key = ("base_snapshot", connector.path, ctx.base_ref)
    if key not in ctx.memo:
        try:
            ctx.memo[key] = take_snapshot(connector.path, ctx.base_ref)
        except (BaseUnavailable, BaseRefError) as exc:
            ctx.memo[key] = exc
    found = ctx.memo[key]
    if isinstance(found, Exception):
        raise found
    return found


def version_bumped(connector: Connector, ctx: QAContext) -> Verdict:
    if ctx.base_ref is None:
        return skipped("no --base-ref given")
    internal = connector.data.ab_internal
    if internal is not None and internal.requireVersionIncrementsInPullRequests is False:
        return skipped("opted out: ab_internal.requireVersionIncrementsInPullRequests is false")
    try:
        base = base_snapshot(connector, ctx)
        if base.is_new:
            return passed(f"new since {ctx.base_ref}")
        counted = [p for p in base.changed_files if needs_version_bump(p)]
        if not counted:
            only = f" (only {', '.join(base.changed_files)})" if base.changed_files else ""
            return skipped(f"no file that ships in the image changed since {ctx.base_ref}{only}")
        base_tag = base.docker_image_tag
    except BaseUnavailable as exc:
        return skipped(str(exc))
    except BaseRefError as exc:
        return failed(str(exc))
    shown = connector.relative_path / "metadata.yaml"
    old, new = versions.parse(base_tag or ""), versions.parse(connector.version)
    if old is None or new is None:
        return failed(f"{shown}: cannot compare dockerImageTag '{connector.version}' with '{base_tag}' at "
                      f"{ctx.base_ref}: not semantic versions")
    files = ", ".join(counted[:5]) + (f" and {len(counted) - 5} more" if len(counted) > 5 else "")
    if new <= old:
        return failed(f"{shown}: dockerImageTag {new} is not greater than {old} at {ctx.base_ref}, "
                      f"but connector files changed: {files}")
    if versions.is_release_candidate(str(old)) and versions.is_release_candidate(str(new)) \
            and old.finalize_version() != new.finalize_version():
        return failed(f"{shown}: release candidates {old} (at {ctx.base_ref}) and {new} must differ only in "
                      "the -rc.N part")
    return passed(f"{old} -> {new}")


def major_bump_documented(connector: Connector, ctx: QAContext) -> Verdict:
    if connector.data.definitionId == DECLARATIVE_MANIFEST_DEFINITION_ID:
        return skipped("source-declarative-manifest versions its majors without breaking-change entries")
    current = versions.parse(connector.version)
    assert current is not None  # the metadata model only accepts semver tags
    changes = _breaking_changes(connector)
    shown = connector.relative_path / "metadata.yaml"
    old = None
    if ctx.base_ref is not None:
        try:
            base = base_snapshot(connector, ctx)
            old = None if base.is_new else versions.parse(base.docker_image_tag or "")
        except BaseUnavailable:
            old = None  # no git: fall back to the rule on the version alone
        except BaseRefError as exc:
            return failed(str(exc))
    if old is not None:
        if current.major <= old.major:
            return passed(f"{old} -> {current} is not a major bump")
        released = current.finalize_version()
        documented = [k for k in changes if (v := versions.parse(k)) and v.major == current.major
                      and old < v <= released]
        if not documented:
            return failed(f"{shown}: major bump {old} -> {current} needs a releases.breakingChanges entry "
                          f"for a {current.major}.x version (e.g. '{current.major}.0.0')")
        return passed(f"{old} -> {current} documented by breaking change {documented[0]}")
    if not versions.is_major_release(connector.version):
        return passed(f"{current} is not a major version")
    if connector.version not in changes:
        return failed(f"{shown}: major version {current} needs a releases.breakingChanges.'{current}' entry")
    return passed(f"breaking change {current} documented")


def breaking_change_deadline(connector: Connector, ctx: QAContext) -> Verdict:
    current = versions.parse(connector.version)
    assert current is not None
    key = str(current.finalize_version())
    change = _breaking_changes(connector).get(key)
    if change is None:
        return skipped(f"no breaking change for {key}")
    if ctx.base_ref is None:
        return skipped("no --base-ref given, so a released version cannot be told from a new one")
    try:
        base = base_snapshot(connector, ctx)
    except BaseUnavailable as exc:
        return skipped(str(exc))
    except BaseRefError as exc:
        return failed(str(exc))
    if not base.is_new and base.docker_image_tag == connector.version:
        return skipped(f"{connector.version} is already released at {ctx.base_ref}")
    deadline = change.upgradeDeadline
    notice = deadline - ctx.today
    if notice < MIN_DEADLINE_NOTICE:
        return failed(f"{connector.relative_path / 'metadata.yaml'}: releases.breakingChanges.'{key}'.upgradeDeadline "
                      f"{deadline} is {notice.days} day(s) after {ctx.today}; give users at least "
                      f"{MIN_DEADLINE_NOTICE.days} days")
    return passed(f"upgrade deadline {deadline}, {notice.days} days ahead")


def _breaking_changes(connector: Connector) -> dict[str, VersionBreakingChange]:
    releases = connector.data.releases
    return dict((releases.breakingChanges if releases else None) or {})


VERSION_BUMPED = Check(
    "version_bumped", "dockerImageTag is greater than at the merge base with --base-ref when connector files changed.",
    version_bumped)
MAJOR_BUMP = Check(
    "major_bump_documented", "A major version bump has a releases.breakingChanges entry.", major_bump_documented)
DEADLINE = Check(
    "breaking_change_deadline", "A new breaking version's upgradeDeadline is at least 7 days ahead.",
    breaking_change_deadline)
