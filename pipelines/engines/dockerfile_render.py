"""Render a ContainerPlan as a Dockerfile plus a build-context tarball, for the Docker engine.

The context is the connector folder minus the plan's excludes, with stable file order and
timestamps, so the daemon's layer cache hits whenever the files are the same.
"""

from __future__ import annotations

import fnmatch
import io
import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from connector_build.plan import (
    CA_PATH_IN_STAGE,
    ContainerPlan,
    CopyFiles,
    CopyFromStage,
    DockerfileBase,
    Entrypoint,
    Env,
    ImageBase,
    Label,
    Run,
    StageBase,
    Workdir,
)

DOCKERFILE_NAME = ".connector-pipelines.Dockerfile"
CA_BUNDLE_NAME = ".connector-pipelines-ca.pem"


@dataclass
class RenderedBuild:
    dockerfile: str
    context: bytes
    needs_network: bool


def render_dockerfile(plan: ContainerPlan, base_refs: Mapping[str, str], with_ca: bool) -> str:
    """``base_refs`` maps each ImageBase reference to the local image to start from."""
    lines: list[str] = []
    for stage in plan.stages:
        if isinstance(stage.base, ImageBase):
            start = base_refs[stage.base.reference]
        elif isinstance(stage.base, StageBase):
            start = stage.base.stage
        else:
            raise ValueError("a Dockerfile base is built by the connector's own Dockerfile, not rendered")
        lines.append(f"FROM {start} AS {stage.name}")
        stage_needs_ca = with_ca and stage.needs_ca()
        if stage_needs_ca:
            lines.append(f"COPY {CA_BUNDLE_NAME} {CA_PATH_IN_STAGE}")
        for op in stage.operations:
            lines.append(_instruction(op, stage_needs_ca))
        lines.append("")
    return "\n".join(lines)


def _instruction(op: object, with_ca: bool) -> str:
    if isinstance(op, Workdir):
        return f"WORKDIR {op.path}"
    if isinstance(op, CopyFiles):
        return f"COPY {json.dumps([*op.sources, op.destination])}"
    if isinstance(op, CopyFromStage):
        return f"COPY --from={op.stage} {op.source} {op.destination}"
    if isinstance(op, Env):
        return f"ENV {op.name}={json.dumps(op.value)}"
    if isinstance(op, Label):
        return f"LABEL {json.dumps(op.name)}={json.dumps(op.value)}"
    if isinstance(op, Entrypoint):
        return f"ENTRYPOINT {json.dumps(list(op.argv))}"
    if isinstance(op, Run):
        return f"RUN {json.dumps(list(op.command(with_ca)))}"
    raise TypeError(f"unknown plan operation {op!r}")


def build_context(plan: ContainerPlan, extra_files: Mapping[str, bytes]) -> bytes:
    """A gzip-free tarball of the context folder (filtered), the plan's generated files, ``extra_files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(context_files(plan.context_dir, plan.excludes)):
            relative = path.relative_to(plan.context_dir).as_posix()
            # Symlinked files are sent as the files they point to (monorepos share files that way).
            info = tar.gettarinfo(str(path.resolve()), arcname=relative)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if info.isfile():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
        added = {name: text.encode() for name, text in plan.generated_files.items()} | dict(extra_files)
        for name, data in sorted(added.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def context_files(root: Path, excludes: tuple[str, ...]) -> list[Path]:
    """Every file of the build context under ``root`` that no exclude pattern drops (what the image is built from)."""
    found: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            relative = entry.relative_to(root).as_posix()
            if _excluded(relative, excludes):
                continue
            if entry.is_dir() and not entry.is_symlink():
                stack.append(entry)
            elif entry.is_file():
                found.append(entry)
    return found


def _excluded(relative: str, excludes: tuple[str, ...]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    for pattern in excludes:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(name, bare):
            return True
    return False


def is_own_dockerfile_plan(plan: ContainerPlan) -> bool:
    return len(plan.stages) == 1 and isinstance(plan.stages[0].base, DockerfileBase)
