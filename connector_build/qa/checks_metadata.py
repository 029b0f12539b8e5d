"""QA checks on ``metadata.yaml`` itself: strict validity, language tag, license, docs URL, base image."""

from __future__ import annotations

from urllib.parse import urlsplit

from connector_build.connector import LANGUAGE_TAGS, Connector, Language
from connector_build.metadata_loader import load_metadata
from connector_build.problems import InvalidMetadata
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed

KNOWN_LICENSES = ("MIT", "ELv2")
DECLARATIVE_MANIFEST_IMAGE = "docker.io/airbyte/source-declarative-manifest"
MAX_PROBLEMS_SHOWN = 3


def metadata_valid(connector: Connector, ctx: QAContext) -> Verdict:
    shown = connector.relative_path / "metadata.yaml"
    try:
        load_metadata(connector.metadata_path, display_path=shown, folder_name=connector.name, strict=True)
    except InvalidMetadata as exc:
        problems = [str(p) for p in exc.problems]
        more = len(problems) - MAX_PROBLEMS_SHOWN
        return failed("; ".join(problems[:MAX_PROBLEMS_SHOWN]) + (f" (and {more} more)" if more > 0 else ""))
    return passed(f"{shown} follows Airbyte's current rules")


def language_tag_matches_files(connector: Connector, ctx: QAContext) -> Verdict:
    shown = connector.relative_path / "metadata.yaml"
    tags = [t for t in connector.data.tags if t.startswith("language:")]
    if len(tags) != 1:
        return failed(f"{shown}: data.tags needs exactly one language: tag, found {len(tags)}")
    if connector.language is Language.DOCKERFILE:
        return passed(f"built from its Dockerfile ({tags[0]})")
    if tags[0].split(":", 1)[1] not in LANGUAGE_TAGS:
        return failed(f"{shown}: '{tags[0]}' is not one of "
                      + ", ".join(f"language:{t}" for t in LANGUAGE_TAGS))
    mismatch = connector.language_mismatch()
    if mismatch:
        return failed(f"{connector.relative_path}: {mismatch}")
    return passed(f"{tags[0]} matches the files")


def license_known(connector: Connector, ctx: QAContext) -> Verdict:
    value = connector.data.license
    if value.lower() not in {known.lower() for known in KNOWN_LICENSES}:
        return failed(f"{connector.relative_path / 'metadata.yaml'}: data.license '{value}' is not "
                      f"{' or '.join(KNOWN_LICENSES)}")
    return passed(f"license {value}")


def documentation_url_valid(connector: Connector, ctx: QAContext) -> Verdict:
    url = connector.data.documentationUrl
    shown = connector.relative_path / "metadata.yaml"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return failed(f"{shown}: data.documentationUrl '{url}' is not a URL ({exc})")
    if parts.scheme not in {"http", "https"} or not host or any(c.isspace() for c in url):
        return failed(f"{shown}: data.documentationUrl '{url}' is not an http(s) URL with a host")
    return passed(url)


def manifest_only_base_image(connector: Connector, ctx: QAContext) -> Verdict:
    shown = connector.relative_path / "metadata.yaml"
    image = connector.base_image
    if not image:
        return failed(f"{shown}: a manifest-only connector needs connectorBuildOptions.baseImage "
                      f"({DECLARATIVE_MANIFEST_IMAGE}:<version>@sha256:<digest>)")
    name = image_name(image)
    if name not in {DECLARATIVE_MANIFEST_IMAGE, DECLARATIVE_MANIFEST_IMAGE.removeprefix("docker.io/")}:
        return failed(f"{shown}: connectorBuildOptions.baseImage '{name}' is not {DECLARATIVE_MANIFEST_IMAGE}")
    return passed(image)


def image_name(reference: str) -> str:
    """``docker.io/airbyte/x:1.0@sha256:...`` -> ``docker.io/airbyte/x`` (a registry port is kept)."""
    head, _, last = reference.split("@", 1)[0].rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


METADATA_VALID = Check(
    "metadata_valid", "metadata.yaml passes Airbyte's strict rules (schema, release rules, no unknown fields).",
    metadata_valid)
LANGUAGE_TAG = Check(
    "language_tag_matches_files", "Exactly one language: tag, and the files present match it.",
    language_tag_matches_files)
LICENSE = Check("license_known", "The declared license is MIT or ELv2.", license_known)
DOCUMENTATION_URL = Check(
    "documentation_url_valid", "documentationUrl is an http(s) URL with a host.", documentation_url_valid)
MANIFEST_BASE_IMAGE = Check(
    "manifest_only_base_image", "A manifest-only connector's base image is airbyte/source-declarative-manifest.",
    manifest_only_base_image, languages=frozenset({Language.MANIFEST_ONLY}))
