"""The ``unit`` step: a Python connector's own tests, in a container made from its image."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connector_build.connector import Language
from connector_build.unit_test_recipe import unit_test_folder, unit_test_plan_for
from pipelines.engines.base import BuildOptions, Engine
from pipelines.java_build import run_java_unit_tests
from pipelines.logs import StepLog
from pipelines.secret_stores import SecretStoreError
from pipelines.steps import ConnectorState, Outcome, StepFailed, StepSkipped
from pipelines.test_secrets import UNIT_SUITES, TestSecrets

PYTEST_NO_TESTS = 5
"""pytest's exit code when it collected nothing: a skip, as airbyte-ci treats it."""

SUMMARY = re.compile(r"^=+ (.+) =+$")


@dataclass
class UnitTests:
    engine: Engine
    options: BuildOptions
    secrets: TestSecrets | None = None
    """Secrets declared for the unitTests suite, written read-only to secrets/<file> in the container."""
    name: str = "unit"

    def skip_reason(self, state: ConnectorState) -> str | None:
        if state.connector.language is Language.JAVA:
            return None if state.images else "no image was built"
        if unit_test_folder(state.connector) is None:
            return "no unit_tests/ or tests/ folder (or not a Python connector)"
        return None if state.images else "no image was built"

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector = state.connector
        if connector.language is Language.JAVA:
            # Through its own build (test-command), in the JDK container: as airbyte-ci ran Gradle's `test`.
            return await run_java_unit_tests(self.engine, connector, self.options, log)
        platform, image = next(iter(state.images.items()))
        plan = unit_test_plan_for(connector, image.image_id, platform)
        tag = f"{connector.docker_repository}:dev-tests"
        tests_image = await self.engine.build(plan, tags=[tag], log=log, options=self.options)
        folder = unit_test_folder(connector) or ""
        files: dict[str, bytes] = {}
        if self.secrets is not None:
            try:
                found = await self.secrets.resolve(connector, suites=UNIT_SUITES)
            except SecretStoreError as exc:
                raise StepFailed(str(exc)) from None
            files = found.files
            for missing in found.missing:
                log.write(f"missing test secret {missing}")
        result = await self.engine.run(tests_image.reference, [folder, "-q", "-p", "no:cacheprovider"],
                                       platform=platform, files=files, log=log, timeout_s=1800)
        log.write(result.stdout)
        summary = pytest_summary(result.stdout) or f"pytest exited with {result.exit_code}"
        if result.exit_code == PYTEST_NO_TESTS:
            raise StepSkipped(f"no tests collected ({summary})")
        if not result.ok:
            raise StepFailed(f"pytest: {summary}")
        return Outcome(summary=f"pytest: {summary}")


def pytest_summary(output: str) -> str | None:
    """``3 passed, 1 skipped in 0.12s`` from pytest's closing line."""
    for line in reversed(output.strip().splitlines()):
        match = SUMMARY.match(line.strip())
        if match:
            return match.group(1)
        if re.search(r"\b(passed|failed|error|no tests ran)\b", line):
            return line.strip()
    return None
