"""Test credentials on the real daemon: a secret from a (stand-in) Google Secret Manager becomes the
connector's read-only secrets/config.json, a missing one skips check/read by name, and no file the
run wrote holds a secret value."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from pipelines.logs import StepLog
from tests.fake_secret_manager import FakeSecretManager
from tests.integration.conftest import PYTHON_BASE
from tests.integration.test_build import cli

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

WEATHER = "airbyte-integrations/connectors/source-tiny-weather"
SECRET_CITY = "Zqxville Secretshire"
SECRET_CONFIG = json.dumps({"city": SECRET_CITY, "start_date": "2024-03-01", "days": 3, "units": "metric"})

LEAKY_PRELUDE = """import sys
if "--config" in sys.argv:
    sys.stderr.write("debug config: " + open(sys.argv[sys.argv.index("--config") + 1]).read() + "\\n")
"""


def declare(repo: Path, name: str, alias: str) -> None:
    metadata = repo / WEATHER / "metadata.yaml"
    text = metadata.read_text()
    declared = (f"    - suite: integrationTests\n      testSecrets:\n        - name: {name}\n"
                f"          fileName: config.json\n          secretStore:\n            type: GSM\n"
                f"            alias: {alias}\n")
    metadata.write_text(text.replace("    - suite: unitTests\n", "    - suite: unitTests\n" + declared))
    (repo / WEATHER / "integration_tests" / "config.json").unlink()  # the secret is the only config


def smoke_step(reports: Path) -> dict:
    steps = json.loads((reports / "report.json").read_text())["connectors"][0]["steps"]
    return next(step for step in steps if step["name"] == "smoke")


def test_a_gsm_secret_is_the_config_and_never_shows(examples_repo: Path, tmp_path: Path) -> None:
    name = "SECRET_SOURCE-TINY-WEATHER__CREDS"
    declare(examples_repo, name, "ci-gsm")
    main = examples_repo / WEATHER / "main.py"  # a careless connector: it prints its config to stderr
    main.write_text(LEAKY_PRELUDE + main.read_text())
    secrets = {name: ({"connector": "source-tiny-weather", "filename": "config"}, SECRET_CONFIG)}
    with FakeSecretManager(secrets) as fake:
        with (examples_repo / "pyproject.toml").open("a") as settings:
            settings.write(f'\n[tool.connector-pipelines.secret-stores.ci-gsm]\ntype = "gsm"\n'
                           f'project = "{fake.project}"\nendpoint = "{fake.endpoint}"\n')
        reports = tmp_path / "reports"
        result = cli(examples_repo, "test", "source-tiny-weather", "--only", "smoke", "--report-dir", str(reports))
        assert result.returncode == 0, result.stdout + result.stderr
        assert any(f"/secrets/{name}/versions/latest:access" in r for r in fake.requests)
    smoke = smoke_step(reports)
    assert smoke["status"] == "success"
    assert "check" in smoke["summary"] and "read (" in smoke["summary"]  # the secret config was used
    smoke_log = Path(smoke["log_path"])
    if not smoke_log.is_absolute():
        smoke_log = reports / smoke_log
    logged = smoke_log.read_text()
    assert "--config /airbyte/integration_code/secrets/config.json" in logged
    assert "debug config: ***" in logged  # what the connector printed, redacted

    written = [p for p in reports.rglob("*") if p.is_file()]
    assert len(written) >= 4
    for value in (SECRET_CONFIG, SECRET_CITY):
        assert value not in result.stdout and value not in result.stderr
        for path in written:
            assert value not in path.read_text(errors="replace"), path


def test_a_missing_secret_skips_check_and_read_with_its_name(examples_repo: Path, tmp_path: Path) -> None:
    declare(examples_repo, "SECRET_SOURCE-TINY-WEATHER_ABSENT_CREDS", "not-configured")
    reports = tmp_path / "reports"
    result = cli(examples_repo, "test", "source-tiny-weather", "--only", "smoke", "--report-dir", str(reports))
    assert result.returncode == 0, result.stdout + result.stderr
    smoke = smoke_step(reports)
    assert smoke["summary"].startswith("spec ok; check/discover/read skipped: missing test secret "
                                       "SECRET_SOURCE-TINY-WEATHER_ABSENT_CREDS (not found: environment variable")


def test_run_files_are_read_only_in_the_container(docker_engine) -> None:
    async def main() -> str:
        result = await docker_engine.run(
            PYTHON_BASE, ["-c", "import os; print(oct(os.stat('/airbyte/integration_code/secrets/config.json')"
                                ".st_mode & 0o777))"],
            entrypoint=["python3"], files={"/airbyte/integration_code/secrets/config.json": b"{}"},
            log=StepLog(None))
        return result.stdout.strip()

    assert anyio.run(main) == "0o444"


UNIT_TEST_READING_THE_SECRET = '''
import json
import os
import stat
from pathlib import Path


def test_the_declared_secret_is_a_read_only_file_and_not_in_the_environment():
    path = Path("secrets/unit.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    value = json.loads(path.read_text())["token"]
    assert value.startswith("tok-")
    assert not any(value in v for v in os.environ.values())
'''


def test_unit_tests_read_their_secret_from_a_folder_store(examples_repo: Path, tmp_path: Path) -> None:
    metadata = examples_repo / WEATHER / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace(
        "    - suite: unitTests\n",
        "    - suite: unitTests\n      testSecrets:\n        - name: SECRET_SOURCE-TINY-WEATHER_UNIT\n"
        "          fileName: unit.json\n          secretStore: {type: GSM, alias: ci-folder}\n"))
    store = tmp_path / "ci-secrets"
    store.mkdir()
    (store / "SECRET_SOURCE-TINY-WEATHER_UNIT").write_text('{"token": "tok-8c1f0e2d9b"}')
    with (examples_repo / "pyproject.toml").open("a") as settings:
        settings.write(f'\n[tool.connector-pipelines.secret-stores.ci-folder]\ntype = "folder"\npath = "{store}"\n')
    (examples_repo / WEATHER / "unit_tests" / "test_reads_secret.py").write_text(UNIT_TEST_READING_THE_SECRET)
    reports = tmp_path / "reports"
    result = cli(examples_repo, "test", "source-tiny-weather", "--only", "unit", "--report-dir", str(reports))
    assert result.returncode == 0, result.stdout + result.stderr
    steps = json.loads((reports / "report.json").read_text())["connectors"][0]["steps"]
    unit = next(step for step in steps if step["name"] == "unit")
    assert unit["status"] == "success" and "passed" in unit["summary"]
    for path in [p for p in reports.rglob("*") if p.is_file()]:
        assert "tok-8c1f0e2d9b" not in path.read_text(errors="replace"), path
