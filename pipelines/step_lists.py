"""Each command's step list, written once: the CLI and the Dagger module (``dagger/``) build their
pipelines here and run them through the same runner, so a step added to a command reaches both.

    steps = publish_pipeline(engine, target, options, connector, assembler)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from connector_build.connector import Connector
from connector_build.qa import QAContext
from pipelines.assembled_steps import Assembler, build_step, with_assembly
from pipelines.build_steps import SpecSmoke
from pipelines.engines.base import BuildOptions, Engine, host_platform
from pipelines.publish_steps import PublishTarget, publish_steps
from pipelines.qa_step import QaChecks
from pipelines.smoke_step import SmokeTest
from pipelines.steps import Step
from pipelines.test_secrets import TestSecrets
from pipelines.unit_test_step import UnitTests


def build_pipeline(engine: Engine, options: BuildOptions, platforms: Sequence[str], connector: Connector, *,
                   tag: str = "dev", notices: list[str] | None = None) -> list[Step]:
    """``build``: the image of each platform, then ``spec`` in each."""
    return [build_step(engine, options, platforms, connector, tag=tag, notices=notices), SpecSmoke(engine)]


def run_tests_pipeline(engine: Engine | None, options: BuildOptions, connector: Connector, *, parts: Collection[str],
                  qa: QAContext | None = None, secrets: TestSecrets | None = None, config: Path | None = None,
                  platform: str | None = None, notices: list[str] | None = None) -> list[Step]:
    """``test``: the QA checks (``qa``), then on the built image the unit tests (``unit``) and the
    smoke run (``smoke``). Without an engine only the QA checks run."""
    steps: list[Step] = [QaChecks(qa)] if "qa" in parts and qa is not None else []
    if engine is not None and ("unit" in parts or "smoke" in parts):
        steps.append(build_step(engine, options, [platform or host_platform()], connector, notices=notices))
        if "unit" in parts:
            steps.append(UnitTests(engine, options, secrets=secrets))
        if "smoke" in parts:
            steps.append(SmokeTest(engine, config=config, secrets=secrets))
    return steps


def publish_pipeline(engine: Engine, target: PublishTarget, options: BuildOptions, connector: Connector,
                     assembler: Assembler) -> list[Step]:
    """``publish``: check, lock, validate, build (or assemble), push, verify, attest, record."""
    return with_assembly(publish_steps(engine, target, options), connector, assembler, target, options)
