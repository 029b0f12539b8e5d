"""Which plans can be assembled, and what they add to their base.

A plan can be assembled when it is one stage on a pulled base image whose operations only copy
regular files and change the config (working folder, env, labels, entrypoint): nothing runs.
The manifest-only recipe makes such plans, so the assembled image has its files where a
daemon build of the same plan puts them.
"""

from __future__ import annotations

import posixpath

from connector_build.plan import ContainerPlan, CopyFiles, Entrypoint, Env, ImageBase, Label, Workdir
from registry.assembly.image import ImageChanges


class NotAssemblable(Exception):
    """The plan needs a real build (a command to run, a stage to copy from, a folder)."""


def plan_changes(plan: ContainerPlan) -> tuple[str, ImageChanges]:
    """The base reference and the changes of an assemblable plan, or NotAssemblable saying why."""
    stage = plan.stages[0]
    base = stage.base
    if len(plan.stages) != 1 or not isinstance(base, ImageBase) or base.local:
        raise NotAssemblable("the plan is not one stage on a registry base image")
    workdir = "/"
    files: dict[str, bytes] = {}
    copied: list[str] = []
    labels: dict[str, str] = {}
    env: dict[str, str] = {}
    entrypoint: tuple[str, ...] | None = None
    workdir_changed = False
    for op in stage.operations:
        if isinstance(op, Workdir):
            workdir, workdir_changed = posixpath.join(workdir, op.path), True
        elif isinstance(op, CopyFiles):
            destination = posixpath.join(workdir, op.destination)
            for source in op.sources:
                path = plan.context_dir / source
                if not path.is_file():
                    raise NotAssemblable(f"{source} is not a file")
                target = posixpath.join(destination, posixpath.basename(source)) \
                    if op.destination.endswith("/") or len(op.sources) > 1 else destination
                files[target] = path.read_bytes()
            copied.append(f"COPY {' '.join(op.sources)} {destination}")
        elif isinstance(op, Label):
            labels[op.name] = op.value
        elif isinstance(op, Env):
            env[op.name] = op.value
        elif isinstance(op, Entrypoint):
            entrypoint = op.argv
        else:
            raise NotAssemblable(f"the plan runs {type(op).__name__}, which needs a build")
    if not files:
        raise NotAssemblable("the plan copies no files")
    created_by = "; ".join(copied) + " # assembled by connector-pipelines"
    return base.reference, ImageChanges(files=files, created_by=created_by, labels=labels, env=env,
                                              workdir=workdir if workdir_changed else None, entrypoint=entrypoint)
