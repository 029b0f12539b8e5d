"""SLSA provenance v1 in an in-toto Statement v1: what was built, from what, by which tool.

The standard format (in-toto.io/Statement/v1, slsa.dev/provenance/v1), so any SLSA verifier reads it:

- ``subject``: the image index and each platform's manifest, by sha256 digest; names are package
  URLs as BuildKit writes them (``pkg:docker/airbyte/source-x@1.2.3?platform=linux%2Famd64``).
- ``predicate.buildDefinition.externalParameters``: the connector, its folder, version, platforms
  and recipe; ``resolvedDependencies``: the git commit (``gitCommit``), the connector folder's files
  (sha256 of Go's ``dirhash`` h1 summary), the base image by digest, the recipe (sha256 of the
  rendered Dockerfile) and this tool's version.

    statement = provenance_statement(inputs, subjects, invocation_id=..., finished_on=...)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "urn:connector-pipelines:build-type:connector-image:v1"
BUILDER_ID = "urn:connector-pipelines:builder:publish"
TOOL = "connector-pipelines"


@dataclass(frozen=True)
class Subject:
    """One image the statement is about: the index (``platform=None``) or a platform's manifest."""

    repository: str
    version: str
    digest: str
    platform: str | None = None

    def json(self) -> dict[str, Any]:
        name = f"pkg:docker/{self.repository}@{quote(self.version, safe='')}"
        if self.platform:
            name += f"?platform={quote(self.platform, safe='')}"
        algorithm, _, value = self.digest.partition(":")
        return {"name": name, "digest": {algorithm: value}}


@dataclass(frozen=True)
class BuildInputs:
    """What went into the image, gathered by the publish step (see pipelines/attest_step.py)."""

    connector: str
    connector_path: str
    """The folder in the repository (``airbyte-integrations/connectors/source-x``)."""
    docker_repository: str
    version: str
    platforms: tuple[str, ...]
    language: str
    source_digest: str
    """sha256 hex of the connector folder's files (:func:`folder_digest`)."""
    source_files: int
    tool_version: str
    git_commit: str | None = None
    git_remote: str | None = None
    git_dirty: bool = False
    base_image: str | None = None
    """The base image as metadata.yaml names it, ``name:tag@sha256:...`` when pinned."""
    recipe: str | None = None
    """The recipe's name (``python``, ``python-poetry-lock``, ``manifest-only``, ``dockerfile``)."""
    recipe_digest: str | None = None
    """sha256 hex of the rendered recipe (the Dockerfile the engines build), when there is one."""
    engine: str | None = None


def folder_digest(files: Iterable[tuple[str, bytes]]) -> str:
    """sha256 hex of Go's ``dirhash`` h1 summary: one ``<sha256 hex>  <path>`` line per file, sorted."""
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {path}\n" for path, data in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def folder_files(root: Path, paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    return [(path.relative_to(root).as_posix(), path.read_bytes()) for path in paths]


def provenance_statement(inputs: BuildInputs, subjects: list[Subject], *, invocation_id: str,
                         started_on: str | None = None, finished_on: str | None = None) -> dict[str, Any]:
    external: dict[str, Any] = {
        "connector": inputs.connector,
        "connectorPath": inputs.connector_path,
        "dockerRepository": inputs.docker_repository,
        "version": inputs.version,
        "platforms": list(inputs.platforms),
        "language": inputs.language,
    }
    if inputs.recipe:
        external["recipe"] = inputs.recipe
    if inputs.base_image:
        external["baseImage"] = inputs.base_image
    internal: dict[str, Any] = {"engine": inputs.engine} if inputs.engine else {}
    metadata: dict[str, Any] = {"invocationId": invocation_id}
    if started_on:
        metadata["startedOn"] = started_on
    if finished_on:
        metadata["finishedOn"] = finished_on
    build_definition: dict[str, Any] = {
        "buildType": BUILD_TYPE,
        "externalParameters": external,
        "resolvedDependencies": resolved_dependencies(inputs),
    }
    if internal:
        build_definition["internalParameters"] = internal
    return {
        "_type": STATEMENT_TYPE,
        "subject": [subject.json() for subject in subjects],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": build_definition,
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {TOOL: inputs.tool_version}},
                "metadata": metadata,
            },
        },
    }


def resolved_dependencies(inputs: BuildInputs) -> list[dict[str, Any]]:
    """The build's inputs as SLSA ResourceDescriptors, each named so a verifier can find it."""
    found: list[dict[str, Any]] = []
    if inputs.git_commit:
        source: dict[str, Any] = {"name": "source", "digest": {"gitCommit": inputs.git_commit}}
        if inputs.git_remote:
            source["uri"] = f"git+{inputs.git_remote}@{inputs.git_commit}"
        if inputs.git_dirty:
            source["annotations"] = {"dirty": True}
        found.append(source)
    found.append({"name": "connector-folder", "uri": f"file:{inputs.connector_path}",
                  "digest": {"sha256": inputs.source_digest},
                  "annotations": {"files": inputs.source_files, "summary": "dirhash-h1"}})
    if inputs.base_image:
        reference, _, digest = inputs.base_image.partition("@")
        base: dict[str, Any] = {"name": "base-image", "uri": f"docker://{reference}"}
        if digest:
            algorithm, _, value = digest.partition(":")
            base["digest"] = {algorithm: value}
        found.append(base)
    if inputs.recipe:
        recipe: dict[str, Any] = {"name": "recipe", "uri": f"urn:{TOOL}:recipe:{inputs.recipe}"}
        if inputs.recipe_digest:
            recipe["digest"] = {"sha256": inputs.recipe_digest}
        found.append(recipe)
    found.append({"name": TOOL, "uri": f"pkg:pypi/{TOOL}@{inputs.tool_version}"})
    return found


def subject_digests(statement: dict[str, Any]) -> list[str]:
    """``sha256:<hex>`` of every subject, as the verify side compares them with the registry's."""
    return [f"{algorithm}:{value}" for subject in statement.get("subject", [])
            for algorithm, value in (subject.get("digest") or {}).items()]
