"""A connector: its folder, its validated metadata, and the language it is built as."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from connector_build.metadata import ConnectorData, ConnectorMetadata, ConnectorType
from connector_build.problems import Problem


class Language(str, Enum):
    """How the connector becomes an image (one recipe each)."""

    MANIFEST_ONLY = "manifest-only"
    PYTHON = "python"
    JAVA = "java"
    DOCKERFILE = "dockerfile"
    UNKNOWN = "unknown"


LANGUAGE_TAGS = {
    "manifest-only": Language.MANIFEST_ONLY,
    "python": Language.PYTHON,
    "low-code": Language.PYTHON,  # a Python package that embeds a manifest (source-rss)
    "java": Language.JAVA,
}

PYTHON_BUILD_FILES = ("pyproject.toml", "setup.py", "main.py")


@dataclass
class Connector:
    """One folder of the monorepo, e.g. ``airbyte-integrations/connectors/source-x``."""

    path: Path
    relative_path: Path
    metadata: ConnectorMetadata
    warnings: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def data(self) -> ConnectorData:
        return self.metadata.data

    @property
    def connector_type(self) -> ConnectorType:
        return self.data.connectorType

    @property
    def docker_repository(self) -> str:
        return self.data.dockerRepository

    @property
    def version(self) -> str:
        return self.data.dockerImageTag

    @property
    def support_level(self) -> str:
        level = self.data.supportLevel
        return level.value if level else "community"

    @property
    def base_image(self) -> str | None:
        options = self.data.connectorBuildOptions
        return options.baseImage if options else None

    @property
    def metadata_path(self) -> Path:
        return self.path / "metadata.yaml"

    @property
    def language(self) -> Language:
        """From the ``language:`` tag, corrected by the files in the folder.

        A connector that ships a Dockerfile and names no base image is built from its
        Dockerfile whatever its tag says: that is how Airbyte's older connectors were built.
        """
        if (self.path / "Dockerfile").is_file() and not self.base_image:
            return Language.DOCKERFILE
        tag = self.data.language_tag()
        return LANGUAGE_TAGS.get(tag or "", Language.UNKNOWN)

    def language_mismatch(self) -> str | None:
        """Why the files present contradict the tag, or None when they agree."""
        language = self.language
        if language is Language.MANIFEST_ONLY and not (self.path / "manifest.yaml").is_file():
            return "tagged language:manifest-only but has no manifest.yaml"
        if language is Language.PYTHON and not any((self.path / f).is_file() for f in PYTHON_BUILD_FILES):
            return "tagged language:python but has no pyproject.toml, setup.py or main.py"
        java_build_files = [*self.path.glob("build.gradle*"), *self.path.glob("pom.xml")]
        if language is Language.JAVA and not java_build_files:
            return "tagged language:java but has no build.gradle or pom.xml"
        return None
