"""Poetry connectors are planned from their poetry.lock: the export, the stages, the one-line failures."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from connector_build import locked_install, poetry_lock
from connector_build.monorepo import Monorepo
from connector_build.plan import FAILURE_PREFIX, CopyFiles, Run, failure_reason
from connector_build.recipes import LOCK_DIR, RecipeError, plan_for
from pipelines.engines.dockerfile_render import build_context, render_dockerfile
from registry.preview import preview_registries
from registry.spec_cache import SpecCache
from registry.store import Store
from tests.conftest import write_connector
from tests.poetry_connectors import DATA, LOCKED_BACKOFF, copy_poetry_connector

ENABLED = "  registryOverrides:\n    oss:\n      enabled: true\n    cloud:\n      enabled: true\n"
LINUX_311 = {"implementation_name": "cpython", "implementation_version": "3.11.2", "os_name": "posix",
             "platform_machine": "x86_64", "platform_release": "", "platform_system": "Linux",
             "platform_version": "", "python_full_version": "3.11.2", "platform_python_implementation": "CPython",
             "python_version": "3.11", "sys_platform": "linux"}


@pytest.fixture(autouse=True)
def _no_export_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(poetry_lock.DISABLE_CACHE_ENV, "1")


def poetry_connector(tmp_path: Path):
    copy_poetry_connector(tmp_path)
    return Monorepo.open(tmp_path).discover().connectors["source-tiny-poetry"]


def stage_text(dockerfile: str, stage: str) -> str:
    return dockerfile.split(f" AS {stage}\n", 1)[1].split("\nFROM ", 1)[0]


def test_the_export_holds_the_locked_version_with_its_hashes() -> None:
    export = poetry_lock.export_lock(DATA / "source-tiny-poetry")
    assert export is not None
    assert export.package_skeleton == ("source_tiny_poetry/__init__.py",) and export.editable
    assert export.version_of("backoff") == LOCKED_BACKOFF
    assert export.requirements.startswith(f"backoff=={LOCKED_BACKOFF} ; python_version >= \"3.9\"")
    assert export.requirements.count("--hash=sha256:") == 2  # the wheel and the sdist
    assert export.build_requires == ("poetry-core>=1.0.0",)
    assert poetry_lock.LockExport.from_json(export.to_json()) == export


def test_only_the_main_group_and_markers_for_the_image(tmp_path: Path) -> None:
    export = poetry_lock.export_lock(DATA / "poetry-cdk")
    assert export is not None and poetry_lock.locked_cdk_version(DATA / "poetry-cdk") == "0.1.6"
    names = {p["package_name"] for p in poetry_lock.installed_packages(export, LINUX_311)}
    assert {"airbyte-cdk", "pydantic", "requests"} <= names
    # The project says python = "^3.9": an interpreter outside it installs nothing from the lock.
    assert poetry_lock.installed_packages(export, {**LINUX_311, "python_version": "3.8",
                                                   "python_full_version": "3.8.10"}) == []
    assert poetry_lock.locked_cdk_version(tmp_path) is None


def test_locked_plan_installs_from_the_export_alone_then_the_code(tmp_path: Path) -> None:
    connector = poetry_connector(tmp_path)
    plan = plan_for(connector, "linux/amd64")
    assert [s.name for s in plan.stages] == ["deps", "package", "image"]
    deps = plan.stages[0]
    copies = [op for op in deps.operations if isinstance(op, CopyFiles)]
    assert [c.sources for c in copies] == [(f"{LOCK_DIR}/dependencies.json", f"{LOCK_DIR}/locked_install.py")]
    package = plan.stages[1].operations
    assert [op.sources for op in package if isinstance(op, CopyFiles)] == [(f"{LOCK_DIR}/package.json",),
                                                                            ("pyproject.toml",)]
    package_run = next(op for op in package if isinstance(op, Run))
    assert "--package" in package_run.argv and not package_run.needs_network
    dockerfile = render_dockerfile(plan, {b.reference: "base" for b in plan.base_images()}, with_ca=True)
    assert 'ENTRYPOINT ["python", "/airbyte/integration_code/main.py"]' in dockerfile
    names = tarfile.open(fileobj=io.BytesIO(build_context(plan, {}))).getnames()
    assert f"{LOCK_DIR}/dependencies.json" in names and "poetry.lock" in names


def test_a_code_change_leaves_the_dependency_stage_as_it_was(tmp_path: Path) -> None:
    connector = poetry_connector(tmp_path)
    before = plan_for(connector, "linux/amd64")
    (connector.path / "source_tiny_poetry" / "run.py").write_text("# changed\n", encoding="utf-8")
    after = plan_for(connector, "linux/amd64")
    bases = {b.reference: "base" for b in before.base_images()}
    for stage in ("deps", "package"):  # their inputs are the build files and the export alone
        assert stage_text(render_dockerfile(before, bases, True), stage) == \
            stage_text(render_dockerfile(after, bases, True), stage)
    assert before.generated_files == after.generated_files


def test_a_version_bump_leaves_the_dependency_stage_as_it_was(tmp_path: Path) -> None:
    connector = poetry_connector(tmp_path)
    before = plan_for(connector, "linux/amd64")
    pyproject = connector.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.1"'))
    after = plan_for(Monorepo.open(tmp_path).discover().connectors["source-tiny-poetry"], "linux/amd64")
    deps = f"{LOCK_DIR}/dependencies.json"
    assert before.generated_files[deps] == after.generated_files[deps]
    assert before.generated_files[f"{LOCK_DIR}/package.json"] != after.generated_files[f"{LOCK_DIR}/package.json"]


def test_a_lock_out_of_date_with_pyproject_is_one_line(tmp_path: Path) -> None:
    connector = poetry_connector(tmp_path)
    pyproject = connector.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('backoff = ">=2.1"', 'backoff = ">=2.1"\nsix = "*"'))
    with pytest.raises(RecipeError) as error:
        plan_for(connector, "linux/amd64")
    assert str(error.value) == ("airbyte-integrations/connectors/source-tiny-poetry: poetry.lock is out of date "
                                "with pyproject.toml (run `poetry lock` and commit it)")


def test_without_a_lock_the_recipe_is_unchanged(tmp_path: Path) -> None:
    connector = poetry_connector(tmp_path)
    (connector.path / "poetry.lock").unlink()
    plan = plan_for(connector, "linux/amd64")
    assert [s.name for s in plan.stages] == ["deps", "image"] and plan.generated_files == {}
    assert any(isinstance(op, Run) and op.argv[-1] == "/build" for op in plan.stages[0].operations)


def run_installer(tmp_path: Path, lock: dict) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "lock.json"
    path.write_text(json.dumps(lock))
    return subprocess.run([sys.executable, locked_install.__file__, str(path), str(tmp_path / "root")],
                          capture_output=True, text=True, timeout=60)


def test_installer_names_package_version_and_why(tmp_path: Path) -> None:
    export = poetry_lock.export_lock(DATA / "source-tiny-poetry")
    assert export is not None and locked_install.FAILURE_PREFIX == FAILURE_PREFIX
    lock = json.loads(export.dependency_inputs())

    too_new = run_installer(tmp_path, {**lock, "project_python": "^3.99",
                                       "project_python_marker": 'python_version >= "3.99"'})
    assert too_new.returncode == 1
    assert failure_reason(too_new.stdout.splitlines()) == (
        f'source-tiny-poetry: pyproject.toml says python = "^3.99", '
        f"the base image's Python is {'.'.join(map(str, sys.version_info[:3]))}")

    windows_only = {**lock["packages"][0], "name": "pywin32", "version": "311",
                    "files": ["pywin32-311-cp311-cp311-win_amd64.whl", "pywin32-311-cp311-cp311-win32.whl"]}
    no_wheel = run_installer(tmp_path, {**lock, "packages": [windows_only]})
    assert no_wheel.returncode == 1
    reason = failure_reason(no_wheel.stdout.splitlines())
    assert reason is not None and reason.startswith("pywin32 311: poetry.lock has no wheel for this platform (")
    assert reason.endswith(") and no sdist")

    old_python = {**lock["packages"][0], "requires_python": ">=3.99", "python_marker": 'python_version >= "3.99"'}
    needs_newer = run_installer(tmp_path, {**lock, "packages": [old_python]})
    needs_newer_reason = failure_reason(needs_newer.stdout.splitlines())
    assert needs_newer_reason is not None
    assert needs_newer_reason.startswith(f"backoff {LOCKED_BACKOFF}: needs Python >=3.99")


def test_preview_reads_the_cdk_version_from_the_lock(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    folder = write_connector(repo, "source-cdk", version="1.0.0", extra=ENABLED)
    for name in ("pyproject.toml", "poetry.lock"):
        (folder / name).write_bytes((DATA / "poetry-cdk" / name).read_bytes())
    write_connector(repo, "source-plain", version="1.0.0", extra=ENABLED)
    cache = Store.open(tmp_path / "cache")
    for name in ("source-cdk", "source-plain"):
        cache.write_bytes_atomic(f"specs/airbyte/{name}/1.0.0/spec.json", b'{"connectionSpecification": {}}')
    connectors = list(Monorepo.open(repo).discover().connectors.values())
    result = preview_registries(connectors, SpecCache(cache), base_url="http://registry.test/files/")
    by_repo = {e["dockerRepository"]: e for e in result.oss.to_dict()["sources"]}
    assert by_repo["airbyte/source-cdk"]["packageInfo"] == {"cdk_version": "python:0.1.6"}
    assert by_repo["airbyte/source-plain"]["packageInfo"] == {}


def test_the_dagger_translation_adds_the_generated_files_to_the_context(tmp_path: Path) -> None:
    dagger = pytest.importorskip("dagger", reason="dagger-io is not installed")
    from pipelines.engines.dagger_plan import container_from_plan

    plan = plan_for(poetry_connector(tmp_path), "linux/amd64")
    image = container_from_plan(dagger.dag, plan, dagger.dag.directory())
    lock_copy = next(args for field in image._ctx.selections for name, args in [(field.name, dict(field.args))]
                     if name == "withDirectory" and args["path"] == "/")  # COPY --from=deps /install/ /
    deps = [(f.name, dict(f.args)) for f in lock_copy["source"]._ctx.selections]
    copied = next(args for name, args in deps if name == "withFile" and args["path"] == "/build/dependencies.json")
    context = [(f.name, dict(f.args)) for f in copied["source"]._ctx.selections]
    assert ("withNewFile", {"path": f"{LOCK_DIR}/dependencies.json", "contents": plan.generated_files[
        f"{LOCK_DIR}/dependencies.json"]}) in context


@pytest.mark.parametrize("name", ["source-tiny-weather", "destination-tiny-jsonl"])
def test_the_python_examples_build_from_their_lock_with_no_network_step(name: str) -> None:
    """package-mode = false and nothing locked: the image is the base plus the code, as before the lock."""
    from tests.conftest import EXAMPLES

    repo = Monorepo.open(EXAMPLES)
    connector = repo.load_connector(repo.connectors_path / name)
    export = poetry_lock.export_lock(connector.path)
    assert export is not None and export.packages == () and export.build_requires == ()
    plan = plan_for(connector, "linux/amd64")
    assert [stage.name for stage in plan.stages] == ["deps", "image"]  # no package stage to build
    lock = json.loads(plan.generated_files[f"{LOCK_DIR}/dependencies.json"])
    assert lock["requirements"].strip() == "" and lock["build_requires"] == []
