"""Recipes turn connectors into plans; the Dockerfile renderer keeps the CA out of the image."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector_build.images import ImageReference, resolve_base_image
from connector_build.monorepo import Monorepo
from connector_build.plan import ContainerPlan, ImageBase, Run, Stage
from connector_build.recipes import RecipeError, plan_for
from pipelines.engines.dockerfile_render import CA_BUNDLE_NAME, build_context, render_dockerfile
from tests.conftest import write_connector

BASE = "docker.io/airbyte/python-connector-base:4.0.2@sha256:" + "a" * 64
OPTIONS = f"  connectorBuildOptions:\n    baseImage: {BASE}\n"


def connector(tmp_path: Path, name: str, files: dict[str, str], language: str = "python", extra: str = OPTIONS):
    folder = write_connector(tmp_path, name, language=language, extra=extra)
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return Monorepo.open(tmp_path).discover().connectors[name]


def dockerfile(plan: ContainerPlan, with_ca: bool = True) -> str:
    return render_dockerfile(plan, {base.reference: "base-local" for base in plan.base_images()}, with_ca=with_ca)


def test_python_with_dependencies_installs_them_before_copying_code(tmp_path: Path) -> None:
    c = connector(tmp_path, "source-x", {
        "main.py": "", "pyproject.toml": '[project]\nname = "x"\nversion = "0.1.0"\ndependencies = ["requests>=2"]\n',
    })
    text = dockerfile(plan_for(c, "linux/amd64"))
    lines = text.splitlines()
    install = next(i for i, line in enumerate(lines) if "requests>=2" in line)
    copy_code = next(i for i, line in enumerate(lines) if line.startswith('COPY [".", "/airbyte/integration_code/"]'))
    assert install < copy_code
    assert lines[0] == "FROM base-local AS deps"
    ca_copy = next(i for i, line in enumerate(lines) if CA_BUNDLE_NAME in line)
    image_from = lines.index("FROM base-local AS image")
    assert ca_copy < image_from, "the CA bundle must only enter the dependency stage"
    assert CA_BUNDLE_NAME not in "\n".join(lines[image_from:])
    assert 'ENTRYPOINT ["python", "/airbyte/integration_code/main.py"]' in text
    assert 'ENV AIRBYTE_ENTRYPOINT="python /airbyte/integration_code/main.py"' in text
    assert 'LABEL "io.airbyte.version"="0.1.0"' in text


def test_python_without_dependencies_is_one_stage_without_network(tmp_path: Path) -> None:
    c = connector(tmp_path, "source-x", {"main.py": "", "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'})
    plan = plan_for(c, "linux/arm64")
    assert [s.name for s in plan.stages] == ["image"]
    assert not any(isinstance(op, Run) for s in plan.stages for op in s.operations)


def test_console_script_entrypoint_when_no_main_py(tmp_path: Path) -> None:
    c = connector(tmp_path, "source-x", {"pyproject.toml": (
        '[project]\nname = "x"\nversion = "1"\n[project.scripts]\nsource-x = "x.run:run"\n')})
    text = dockerfile(plan_for(c, "linux/amd64"))
    assert 'ENTRYPOINT ["source-x"]' in text and '"/build"' in text


def test_manifest_only_copies_manifest_and_components_where_the_cdk_reads_them(tmp_path: Path) -> None:
    c = connector(tmp_path, "source-m", {"manifest.yaml": "version: 6\n", "components.py": ""},
                  language="manifest-only")
    text = dockerfile(plan_for(c, "linux/amd64"))
    assert "WORKDIR /airbyte/integration_code/source_declarative_manifest" in text
    assert 'COPY ["manifest.yaml", "components.py", "/airbyte/integration_code/source_declarative_manifest/"]' in text
    assert "ENTRYPOINT" not in text  # the declarative-manifest base's own entrypoint runs it


def test_missing_base_image_and_java_and_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="baseImage is missing"):
        plan_for(connector(tmp_path, "source-a", {"main.py": ""}, extra=""), "linux/amd64")
    with pytest.raises(RecipeError, match="no distribution build/distributions/source-b.tar"):
        plan_for(connector(tmp_path, "source-b", {}, language="java"), "linux/amd64")
    with pytest.raises(RecipeError, match="without manifest.yaml"):
        plan_for(connector(tmp_path, "source-c", {}, language="manifest-only"), "linux/amd64")


def test_own_dockerfile_wins_when_no_base_image(tmp_path: Path) -> None:
    c = connector(tmp_path, "source-d", {"Dockerfile": "FROM x\n", "main.py": ""}, extra="")
    assert c.language.value == "dockerfile"
    assert plan_for(c, "linux/amd64").labels()["io.airbyte.name"] == "airbyte/source-d"


def test_plan_refuses_ca_in_the_final_stage(tmp_path: Path) -> None:
    plan = ContainerPlan("linux/amd64", tmp_path, [Stage("image", ImageBase("x:1"), [Run(("pip",), needs_ca=True)])])
    with pytest.raises(ValueError, match="earlier stage"):
        plan.validate()


def test_build_context_leaves_out_secrets_caches_and_tests(tmp_path: Path) -> None:
    import io
    import tarfile

    c = connector(tmp_path, "source-x", {
        "main.py": "", "secrets/config.json": "{}", "unit_tests/test_a.py": "", "pkg/__pycache__/a.pyc": "",
        "pkg/mod.py": "",
    })
    data = build_context(plan_for(c, "linux/amd64"), {"extra.txt": b"x"})
    names = tarfile.open(fileobj=io.BytesIO(data)).getnames()
    assert {"main.py", "pkg/mod.py", "metadata.yaml", "extra.txt"} <= set(names)
    assert not [n for n in names if n.startswith(("secrets", "unit_tests")) or "__pycache__" in n]
    assert build_context(plan_for(c, "linux/amd64"), {"extra.txt": b"x"}) == data  # stable bytes, stable cache


@pytest.mark.parametrize(("text", "expected"), [
    ("airbyte/x:1", ImageReference("docker.io", "airbyte/x", "1")),
    ("python:3.11", ImageReference("docker.io", "library/python", "3.11")),
    ("localhost:5000/a/b:2@sha256:" + "b" * 64, ImageReference("localhost:5000", "a/b", "2", "sha256:" + "b" * 64)),
])
def test_image_reference_parsing(text: str, expected: ImageReference) -> None:
    assert ImageReference.parse(text) == expected


def test_mirror_replaces_registry_and_drops_the_digest_with_a_notice() -> None:
    resolved = resolve_base_image(BASE, {"docker.io/airbyte": "localhost:5000/airbyte"})
    assert resolved.reference == "localhost:5000/airbyte/python-connector-base:4.0.2"
    assert resolved.dropped_digest and "instead of the pinned digest" in (resolved.notice() or "")
    unmirrored = resolve_base_image(BASE, {"ghcr.io/x": "localhost:5000/x"})
    assert unmirrored.reference == BASE and unmirrored.notice() is None
