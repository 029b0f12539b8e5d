"""QA checks on ``metadata.yaml`` itself: strict validity, language and CDK tags, license, docs URL,
base image, the heartbeat setting of certified sources."""

from __future__ import annotations

from urllib.parse import urlsplit

from connector_build.connector import LANGUAGE_TAGS, Connector, Language
from connector_build.metadata import ConnectorType
from connector_build.metadata_loader import load_metadata
from connector_build.problems import InvalidMetadata
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed
from connector_build.qa.pyproject import UnreadablePyproject, cdk_dependency, read_pyproject

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


def expected_cdk_tag(connector: Connector) -> str:
    """Airbyte's rule: an embedded ``<package>/manifest.yaml`` is low-code; the ``file-based`` extra of
    ``airbyte-cdk`` (pyproject.toml or setup.py) is python-file-based; anything else is python."""
    package = connector.name.replace("-", "_")
    if (connector.path / package / "manifest.yaml").is_file():
        return "cdk:low-code"
    try:
        dependency = cdk_dependency(read_pyproject(connector.path))
    except UnreadablePyproject:
        dependency = None
    if isinstance(dependency, dict) and "file-based" in (dependency.get("extras") or []):
        return "cdk:python-file-based"
    setup = connector.path / "setup.py"
    if setup.is_file() and "airbyte-cdk[file-based]" in setup.read_text(encoding="utf-8"):
        return "cdk:python-file-based"
    return "cdk:python"


def cdk_tag_matches_code(connector: Connector, ctx: QAContext) -> Verdict:
    shown = connector.relative_path / "metadata.yaml"
    tags = [t for t in connector.data.tags if t.startswith("cdk:")]
    expected = expected_cdk_tag(connector)
    if len(tags) != 1:
        return failed(f"{shown}: data.tags needs exactly one cdk: tag ({expected} for this code), found {len(tags)}")
    if tags[0] != expected:
        return failed(f"{shown}: '{tags[0]}' does not match the code, which needs '{expected}'")
    return passed(f"{expected} matches the code")


def max_seconds_between_messages(connector: Connector, ctx: QAContext) -> Verdict:
    value = connector.data.maxSecondsBetweenMessages
    if not value:
        return failed(f"{connector.relative_path / 'metadata.yaml'}: a certified source sets "
                      "data.maxSecondsBetweenMessages (the longest expected silence, for the platform's heartbeat)")
    return passed(f"maxSecondsBetweenMessages {value}")


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
CDK_TAG = Check(
    "cdk_tag_matches_code", "Exactly one cdk: tag, matching the code (low-code, python-file-based or python).",
    cdk_tag_matches_code, language_tags=frozenset({"python", "low-code"}))
MAX_SECONDS = Check(
    "max_seconds_between_messages", "A certified source sets maxSecondsBetweenMessages.",
    max_seconds_between_messages, types=frozenset({ConnectorType.SOURCE}), support_levels=frozenset({"certified"}))
LICENSE = Check("license_known", "The declared license is MIT or ELv2.", license_known)
DOCUMENTATION_URL = Check(
    "documentation_url_valid", "documentationUrl is an http(s) URL with a host.", documentation_url_valid)
MANIFEST_BASE_IMAGE = Check(
    "manifest_only_base_image", "A manifest-only connector's base image is airbyte/source-declarative-manifest.",
    manifest_only_base_image, languages=frozenset({Language.MANIFEST_ONLY}))
