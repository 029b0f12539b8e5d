"""The version a bump leads to: ``patch``, ``minor``, ``major``, ``rc`` or an explicit ``X.Y.Z``.

    next_version("1.2.3", "rc")        # "1.2.4-rc.1"
    next_version("1.2.4-rc.1", "rc")   # "1.2.4-rc.2"
    next_version("1.2.4-rc.2", "patch")  # "1.2.4": promoting a release candidate
"""

from __future__ import annotations

import semver

from connector_build import versions

KINDS = ("patch", "minor", "major", "rc")


class BadBump(ValueError):
    """The requested bump cannot apply to this version."""


def next_version(current: str, how: str) -> str:
    old = versions.parse(current)
    if old is None:
        raise BadBump(f"dockerImageTag '{current}' is not a semantic version")
    if how in KINDS:
        # semver's next_version finalises a pre-release first (1.2.4-rc.2 -> 1.2.4 for "patch"), and
        # for "prerelease" starts the next patch's rc.1 or counts up the rc number.
        part = "prerelease" if how == "rc" else how
        if how == "rc" and old.prerelease and not versions.is_release_candidate(current):
            raise BadBump(f"{current} is a pre-release but not a release candidate (-rc.N)")
        return str(old.next_version(part, prerelease_token="rc"))
    new = versions.parse(how)
    if new is None:
        raise BadBump(f"'{how}' is neither patch, minor, major, rc nor a version X.Y.Z")
    if new <= old:
        raise BadBump(f"{how} is not greater than the current version {current}")
    return str(new)


def is_major_bump(current: str, new: str) -> bool:
    """A new major release that users must be told about: 1.4.2 -> 2.0.0 (not 0.x, not an rc)."""
    old, version = versions.parse(current), versions.parse(new)
    assert old is not None and version is not None
    return version.major > old.major and not version.prerelease


def release_of(version: str) -> str:
    """``2.0.0-rc.1`` -> ``2.0.0``: the release a version leads to."""
    parsed = versions.parse(version)
    assert parsed is not None
    return str(semver.Version(parsed.major, parsed.minor, parsed.patch))
