"""The build pipeline's steps: make the image for each platform, then prove it answers ``spec``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from connector_build.connector import Language
from connector_build.plan import platform_suffix
from connector_build.protocol import ProtocolError, extract_spec, parse_output
from connector_build.recipes import RecipeError, RecipeUnsupported, plan_for
from pipelines.engines.base import BuildOptions, BuiltImage, Engine, RunResult, host_platform
from pipelines.java_build import ensure_distribution
from pipelines.logs import StepLog
from pipelines.steps import ConnectorState, Outcome, StepFailed, StepSkipped


def local_tags(repository: str, tag: str, platform: str, platforms: Sequence[str]) -> list[str]:
    """``airbyte/source-x:dev`` for the host platform; ``:dev-linux-arm64`` etc. when several."""
    tags = []
    if len(platforms) > 1:
        tags.append(f"{repository}:{tag}-{platform_suffix(platform)}")
    if platform == host_platform() or len(platforms) == 1:
        tags.append(f"{repository}:{tag}")
    return tags


@dataclass
class BuildImages:
    """Build the connector's image for every requested platform, concurrently."""

    engine: Engine
    options: BuildOptions
    platforms: Sequence[str]
    tag: str = "dev"
    name: str = "build"

    def skip_reason(self, state: ConnectorState) -> str | None:
        if state.connector.support_level == "archived":
            return "archived connector: no longer built"
        return None

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector = state.connector
        distribution = None
        if connector.language is Language.JAVA:
            distribution = await ensure_distribution(self.engine, connector, self.options, log)
        try:
            plans = {p: plan_for(connector, p) for p in self.platforms}
        except RecipeUnsupported as exc:
            raise StepSkipped(str(exc)) from None
        except RecipeError as exc:
            raise StepFailed(str(exc)) from None
        built: dict[str, BuiltImage] = {}
        errors: list[Exception] = []

        async def build_one(platform: str) -> None:
            tags = local_tags(connector.docker_repository, self.tag, platform, self.platforms)
            try:
                built[platform] = await self.engine.build(plans[platform], tags=tags, log=log, options=self.options)
            except Exception as exc:  # reported below, without the task group's ExceptionGroup wrapping
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for platform in self.platforms:
                group.start_soon(build_one, platform)
        if errors:
            raise errors[0]
        # Host platform first: later steps run the host image.
        order = sorted(built, key=lambda p: p != host_platform())
        state.images = {p: built[p] for p in order}
        summary = ", ".join(f"{built[p].reference} ({p})" for p in order)
        return Outcome(summary=f"{distribution}; {summary}" if distribution else summary,
                       details={"images": {p: built[p].reference for p in order}})


@dataclass
class SpecSmoke:
    """Run ``spec`` in each built image: a build whose image cannot describe itself is broken."""

    engine: Engine
    name: str = "spec"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.images else "no image was built"

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        summaries = []
        for platform, image in state.images.items():
            result = await self.engine.run(image.reference, ["spec"], platform=platform, log=log, timeout_s=300)
            spec = spec_from_output(result)
            properties = spec.get("connectionSpecification", {}).get("properties", {})
            summaries.append(f"{platform}: SPEC with {len(properties)} properties")
        return Outcome(summary="; ".join(summaries))


def spec_from_output(result: RunResult) -> dict:
    """The ``spec`` of the single SPEC message, or StepFailed naming what was wrong."""
    if not result.ok:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        raise StepFailed(f"spec exited with {result.exit_code}: {tail[0][:200]}")
    report = parse_output(result.stdout)
    if not report.ok:
        raise StepFailed(f"spec: {report.problems[0]}")
    try:
        return extract_spec(report).model_dump(mode="json", exclude_none=True, by_alias=True)
    except ProtocolError as exc:
        raise StepFailed(f"spec: {exc}") from None
