"""Connector versions: semver, with Airbyte's release-candidate and pre-release conventions."""

from __future__ import annotations

import re

import semver

RELEASE_CANDIDATE = re.compile(r"^rc\.\d+$")
PLAIN_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def parse(tag: str) -> semver.Version | None:
    """The tag as a semver version, or None when it is not one."""
    try:
        return semver.Version.parse(tag)
    except (ValueError, TypeError):
        return None


def require_semver(tag: str) -> str:
    """``tag`` unchanged, or ValueError: for the models whose tags the platform parses as semver."""
    if parse(tag) is None:
        raise ValueError(f"'{tag}' is not a semantic version")
    return tag


def is_release_candidate(tag: str) -> bool:
    version = parse(tag)
    return bool(version and version.prerelease and RELEASE_CANDIDATE.match(version.prerelease))


def is_prerelease(tag: str) -> bool:
    """Any pre-release part: ``-rc.1``, ``-dev.abc1234567``, ``-preview.x``."""
    version = parse(tag)
    return bool(version and version.prerelease)


def is_major_release(tag: str) -> bool:
    """``X.0.0`` with X >= 1 and no pre-release part: the versions that must document a break."""
    version = parse(tag)
    return bool(
        version and version.major >= 1 and version.minor == 0 and version.patch == 0
        and not version.prerelease
    )


def sort_key(tag: str) -> semver.Version:
    """For ``sorted``: tags that are not semver sort first."""
    return parse(tag) or semver.Version(0)


def pre_release_tag(tag: str, git_sha: str) -> str:
    """Airbyte's pre-release tag: ``<dockerImageTag>-dev.<first 10 chars of the sha>``."""
    return f"{tag}-dev.{git_sha[:10]}"
