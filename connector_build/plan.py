"""ContainerPlan: a backend-neutral description of how to make one connector image.

Recipes produce plans; engines (Docker, Dagger) execute them. A plan is a list of stages, the
last one being the image. Earlier stages hold work whose files are copied into the image but
whose other contents are not: that is where dependency installs that need the CA bundle run,
so the bundle never reaches the final image.

    plan = ContainerPlan(
        platform="linux/amd64",
        context_dir=Path("airbyte-integrations/connectors/source-x"),
        stages=[Stage("image", base=ImageBase("docker.io/airbyte/python-connector-base:4.0.2"),
                      operations=[Workdir("/airbyte/integration_code"), CopyFiles(["."], "."),
                                  Entrypoint(["python", "main.py"])])],
    )
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CA_PATH_IN_STAGE = "/tmp/connector-pipelines-ca.pem"
"""Where a stage that needs the CA bundle holds it: in a build stage, never in the image."""
CA_VARIABLES = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
"""What points pip, requests and OpenSSL at a CA bundle."""


@dataclass(frozen=True)
class ImageBase:
    """Start from an image reference (as written in metadata; engines resolve mirrors).

    ``local``: an image this run built (e.g. the connector's own, for its test image), used
    as it is in the engine's store, never pulled.
    """

    reference: str
    local: bool = False


@dataclass(frozen=True)
class StageBase:
    """Start from an earlier stage of the same plan."""

    stage: str


@dataclass(frozen=True)
class DockerfileBase:
    """Start from the image the connector's own Dockerfile builds (context: the plan's context_dir)."""

    dockerfile: str = "Dockerfile"


@dataclass(frozen=True)
class Workdir:
    path: str


@dataclass(frozen=True)
class CopyFiles:
    """Copy paths relative to the plan's context_dir (files or folders) into ``destination``."""

    sources: tuple[str, ...]
    destination: str


@dataclass(frozen=True)
class CopyFromStage:
    stage: str
    source: str
    destination: str


@dataclass(frozen=True)
class Env:
    name: str
    value: str


@dataclass(frozen=True)
class Run:
    """Run a command. ``needs_network``: reach package indexes; ``needs_ca``: with the CA bundle.

    ``cache`` names a persistent cache folder (e.g. pip's) an engine may mount at ``cache_path``.
    """

    argv: tuple[str, ...]
    needs_network: bool = False
    needs_ca: bool = False
    cache: str | None = None
    cache_path: str | None = None

    def command(self, with_ca: bool) -> tuple[str, ...]:
        """The argv to execute. With a CA bundle (at :data:`CA_PATH_IN_STAGE`), a command that needs
        it is pointed at it through ``env``: only that command sees it."""
        if not (self.needs_ca and with_ca):
            return self.argv
        return ("env", *(f"{name}={CA_PATH_IN_STAGE}" for name in CA_VARIABLES), *self.argv)


@dataclass(frozen=True)
class Label:
    name: str
    value: str


@dataclass(frozen=True)
class Entrypoint:
    argv: tuple[str, ...]


Operation = Workdir | CopyFiles | CopyFromStage | Env | Run | Label | Entrypoint
Base = ImageBase | StageBase | DockerfileBase


@dataclass
class Stage:
    name: str
    base: Base
    operations: list[Operation] = field(default_factory=list)

    def needs_ca(self) -> bool:
        """Whether a command of this stage needs the CA bundle (then the stage holds it)."""
        return any(isinstance(op, Run) and op.needs_ca for op in self.operations)


@dataclass
class ContainerPlan:
    platform: str
    context_dir: Path
    stages: list[Stage]
    excludes: tuple[str, ...] = ()
    """Glob patterns (relative to context_dir) never sent to the engine: caches, secrets."""
    generated_files: dict[str, str] = field(default_factory=dict)
    """Files the recipe made (e.g. a lock's export), added to the context under these paths."""

    @property
    def image_stage(self) -> Stage:
        return self.stages[-1]

    def base_images(self) -> list[ImageBase]:
        return [s.base for s in self.stages if isinstance(s.base, ImageBase)]

    def needs_ca(self) -> bool:
        """Whether the build needs the CA bundle at all (then the engine sends it)."""
        return any(stage.needs_ca() for stage in self.stages)

    def needs_network(self) -> bool:
        """Whether the build needs a network (``--build-network``): only to reach package indexes."""
        return any(isinstance(op, Run) and op.needs_network for stage in self.stages for op in stage.operations)

    def labels(self) -> dict[str, str]:
        return {op.name: op.value for op in self.image_stage.operations if isinstance(op, Label)}

    def validate(self) -> None:
        """Refuse plans that would leak the CA bundle into the image or name unknown stages."""
        names = [stage.name for stage in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate stage names in {names}")
        for index, stage in enumerate(self.stages):
            earlier = set(names[:index])
            if isinstance(stage.base, StageBase) and stage.base.stage not in earlier:
                raise ValueError(f"stage {stage.name} starts from unknown stage {stage.base.stage}")
            for op in stage.operations:
                if isinstance(op, CopyFromStage) and op.stage not in earlier:
                    raise ValueError(f"stage {stage.name} copies from unknown stage {op.stage}")
                if isinstance(op, Run) and op.needs_ca and stage is self.image_stage:
                    raise ValueError("a step that needs the CA bundle must run in an earlier stage")


PLATFORMS = ("linux/amd64", "linux/arm64")

FAILURE_PREFIX = "connector-pipelines: cannot build: "
"""A build command that prints a line starting with this says in it why it failed; engines report
that line instead of the command's exit code (e.g. a lock that cannot be honoured)."""


def failure_reason(lines: list[str]) -> str | None:
    """The last reason a build command gave with FAILURE_PREFIX, if any."""
    reasons = [line.split(FAILURE_PREFIX, 1)[1].strip() for line in lines if FAILURE_PREFIX in line]
    return reasons[-1] if reasons else None


def platform_suffix(platform: str) -> str:
    """``linux/arm64`` -> ``linux-arm64``: the suffix of per-platform local tags."""
    return platform.replace("/", "-")
