"""Image references: parsing, and mapping a pinned base image to a mirror.

A base image pinned by digest is used by digest. Where the original registry cannot be reached
(air-gapped networks, this project's CI) a mirror prefix replaces the registry part; the mirror
holds other bytes, so the digest cannot match and the mirror's tag is used instead.

    resolve_base_image("docker.io/airbyte/python-connector-base:4.0.2@sha256:ab…",
                       {"docker.io/airbyte": "localhost:5000/airbyte"})
    # -> ResolvedImage(reference="localhost:5000/airbyte/python-connector-base:4.0.2", dropped_digest=True, …)
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"
DOCKER_HUB_NAMES = frozenset({DEFAULT_REGISTRY, "index.docker.io"})


def is_docker_hub(registry: str) -> bool:
    """Whether ``registry`` (as a user writes it, e.g. ``--registry``) names Docker Hub."""
    return registry in DOCKER_HUB_NAMES


def image_name(registry: str, repository: str) -> str:
    """The name to push ``repository`` under: bare on Docker Hub (as Docker writes it), else prefixed."""
    return repository if is_docker_hub(registry) else f"{registry}/{repository}"


@dataclass(frozen=True)
class ImageReference:
    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        """Parse ``[registry/]repo[:tag][@sha256:…]``; a bare ``repo`` is on Docker Hub."""
        rest, _, digest = text.partition("@")
        name, tag = rest, None
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            name, tag = rest[:colon], rest[colon + 1:]
        first, _, remainder = name.partition("/")
        if remainder and ("." in first or ":" in first or first == "localhost"):
            registry, repository = first, remainder
        else:
            registry, repository = DEFAULT_REGISTRY, name
        if registry == DEFAULT_REGISTRY and "/" not in repository:
            repository = f"library/{repository}"
        if not repository or (tag is not None and not tag):
            raise ValueError(f"'{text}' is not an image reference")
        return cls(registry=registry, repository=repository, tag=tag, digest=digest or None)

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True)
class ResolvedImage:
    reference: str
    original: str
    mirror: str | None = None
    dropped_digest: bool = False

    def notice(self) -> str | None:
        """The one-line explanation to print when a mirror changed what is pulled."""
        if not self.mirror:
            return None
        if self.dropped_digest:
            return (f"using mirror {self.reference} for {self.original}: the mirror's bytes differ, "
                    "so its tag is used instead of the pinned digest")
        return f"using mirror {self.reference} for {self.original}"


def resolve_base_image(reference: str, mirrors: dict[str, str]) -> ResolvedImage:
    """Apply the longest matching mirror prefix; keep the digest only when no mirror applies."""
    parsed = ImageReference.parse(reference)
    for prefix in sorted(mirrors, key=len, reverse=True):
        normalised = _normalise_prefix(prefix)
        if parsed.name == normalised or parsed.name.startswith(normalised + "/"):
            target = mirrors[prefix].rstrip("/") + parsed.name[len(normalised):]
            if parsed.tag:
                target += f":{parsed.tag}"
            elif parsed.digest:
                target += ":latest"
            return ResolvedImage(target, reference, mirror=mirrors[prefix], dropped_digest=bool(parsed.digest))
    return ResolvedImage(str(parsed) if parsed.registry != DEFAULT_REGISTRY else reference, reference)


def _normalise_prefix(prefix: str) -> str:
    first = prefix.split("/", 1)[0]
    if "." in first or ":" in first or first == "localhost":
        return prefix.rstrip("/")
    return f"{DEFAULT_REGISTRY}/{prefix.rstrip('/')}"


def parse_mirror_option(text: str) -> tuple[str, str]:
    """``--image-mirror docker.io/airbyte=localhost:5000/airbyte``."""
    source, sep, target = text.partition("=")
    if not sep or not source or not target:
        raise ValueError(f"--image-mirror '{text}': expected FROM=TO, e.g. docker.io/airbyte=localhost:5000/airbyte")
    return source.strip(), target.strip()
