"""Rules a metadata file must follow beyond its schema (Airbyte's validators, in our words).

Each rule is a function ``(data, context) -> list of (field path, message)``; the loader turns
them into located problems. Rules that need the network (does the base image exist on Docker
Hub?) are not here: they belong to the publish pipeline, which talks to registries anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from connector_build import versions
from connector_build.metadata import ConnectorData

FieldPath = tuple[str | int, ...]
Finding = tuple[FieldPath, str]

DECLARATIVE_MANIFEST_DEFINITION_ID = "64a2f99c-542f-4af8-9a6f-355f1217b436"
"""source-declarative-manifest versions its major bumps without breaking-change entries."""

BASE_IMAGE = re.compile(r"^(?P<name>[^@\s]+?)(?::(?P<tag>[\w][\w.-]*))?(?:@sha256:(?P<digest>[^\s]*))?$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know besides the data: the folder name the file lives in, if any."""

    folder_name: str | None = None


Rule = Callable[[ConnectorData, RuleContext], list[Finding]]
D = ("data",)


def docker_repository_matches_folder(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    if ctx.folder_name and not data.dockerRepository.endswith(f"/{ctx.folder_name}"):
        if data.dockerRepository != ctx.folder_name:
            return [((*D, "dockerRepository"),
                     f"'{data.dockerRepository}' does not end with the folder name '{ctx.folder_name}'")]
    return []


def override_tags_are_semver(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    # The base definitionId and dockerImageTag are checked by the model's own validators.
    found: list[Finding] = []
    for registry in ("oss", "cloud"):
        override = getattr(data.overrides, registry)
        if override and override.dockerImageTag and versions.parse(override.dockerImageTag) is None:
            key = "registryOverrides" if data.registryOverrides else "registries"
            found.append(((*D, key, registry, "dockerImageTag"),
                          f"'{override.dockerImageTag}' is not a semantic version"))
    return found


def tags_are_key_value_with_language(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    found: list[Finding] = [((*D, "tags", i), f"'{tag}' is not of the form key:value")
                            for i, tag in enumerate(data.tags) if ":" not in tag]
    if not any(tag.startswith("language:") for tag in data.tags):
        found.append(((*D, "tags"), "no 'language:' tag (for example language:python)"))
    return found


def breaking_changes_are_well_formed(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    changes = (data.releases.breakingChanges if data.releases else None) or {}
    return [((*D, "releases", "breakingChanges", key),
             f"breaking change key '{key}' is not a plain version X.Y.Z")
            for key in changes if not versions.PLAIN_VERSION.match(str(key))]


def breaking_changes_not_empty(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    if data.releases and data.releases.breakingChanges == {}:
        return [((*D, "releases", "breakingChanges"), "is empty: remove it, or list at least one version")]
    return []


def major_version_has_breaking_change(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    tag = data.dockerImageTag
    if not versions.is_major_release(tag) or data.definitionId == DECLARATIVE_MANIFEST_DEFINITION_ID:
        return []
    changes = (data.releases.breakingChanges if data.releases else None) or {}
    if tag not in changes:
        return [((*D, "dockerImageTag"),
                 f"major version {tag} needs an entry releases.breakingChanges.'{tag}' saying what broke")]
    return []


def release_candidate_declares_rollout(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    tag = data.dockerImageTag
    version = versions.parse(tag)
    if version is None:
        return []
    rollout = data.releases.rolloutConfiguration if data.releases else None
    found: list[Finding] = []
    if versions.is_release_candidate(tag):
        if version.major > 0 and version.minor == 0 and version.patch == 0:
            found.append(((*D, "dockerImageTag"), f"'{tag}': a major version cannot be a release candidate"))
        if rollout is None or "enableProgressiveRollout" not in rollout.model_fields_set:
            found.append(((*D, "releases", "rolloutConfiguration"),
                          "a release candidate must set enableProgressiveRollout (true or false)"))
    elif rollout and rollout.enableProgressiveRollout and not version.prerelease:
        found.append(((*D, "releases", "rolloutConfiguration", "enableProgressiveRollout"),
                      f"progressive rollout needs a release-candidate tag, not '{tag}'"))
    return found


def pypi_only_for_python(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    pypi = data.remoteRegistries.pypi if data.remoteRegistries else None
    if pypi and pypi.enabled and not {"language:python", "language:low-code"} & set(data.tags):
        return [((*D, "remoteRegistries", "pypi", "enabled"),
                 "PyPI publishing is only for language:python or language:low-code connectors")]
    return []


def base_image_is_pinned_reference(data: ConnectorData, ctx: RuleContext) -> list[Finding]:
    image = data.connectorBuildOptions.baseImage if data.connectorBuildOptions else None
    if image is None:
        return []
    field = (*D, "connectorBuildOptions", "baseImage")
    match = BASE_IMAGE.match(image)
    if not match or not match.group("tag"):
        return [(field, f"'{image}' is not an image reference of the form name:tag@sha256:<digest>")]
    digest = match.group("digest")
    if digest is not None and not SHA256_HEX.match(digest):
        return [(field, f"'{image}' has a malformed sha256 digest (64 hex characters expected)")]
    return []


RULES: list[Rule] = [
    docker_repository_matches_folder,
    override_tags_are_semver,
    tags_are_key_value_with_language,
    breaking_changes_are_well_formed,
    release_candidate_declares_rollout,
    pypi_only_for_python,
    base_image_is_pinned_reference,
]
"""Always errors: a file that breaks one cannot be built or published correctly."""

RELEASE_RULES: list[Rule] = [
    major_version_has_breaking_change,
]
"""Errors in strict mode (what Airbyte's validator enforces today, and what publish uses);
warnings otherwise, because older files in real monorepos predate them."""

ADVICE_RULES: list[Rule] = [
    breaking_changes_not_empty,
]
"""Always warnings: the schema says so, but Airbyte's model accepts it and publishes such files
(destination-motherduck has ``breakingChanges: {}``)."""
