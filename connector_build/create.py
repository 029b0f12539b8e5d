"""A new connector from a template, written whole or not at all.

    request = NewConnector.for_name("source-acme-crm", Template.PYTHON_SOURCE, base_image=pinned,
                                    documentation_base="https://docs.example.com/integrations")
    written = create_connector(repo, request)   # [connector folder, docs page]

Files are rendered into a temporary folder beside the target and moved into place in one rename,
so an error (or Ctrl-C) never leaves half a connector. Templates live in ``connector_build/templates``:
``common/`` for every connector, one folder per template, ``docs/`` for the documentation page;
``__package__`` in a path becomes the Python package name. The Python templates are Poetry projects,
locked with ``poetry lock`` in the temporary folder, so a new connector builds from its lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import tempfile
import tomllib
import uuid
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector_build import poetry_lock
from connector_build.file_change import FileChange
from connector_build.monorepo import Monorepo
from connector_build.problems import UserError

NAME = re.compile(r"^(source|destination)-[a-z0-9]+(-[a-z0-9]+)*$")
TEMPLATE_SUFFIX = ".j2"
DEFAULT_MANIFEST_VERSION = "6.48.0"
ICON_COLORS = ("#2d3a8c", "#0f766e", "#9d174d", "#b45309", "#4338ca", "#15803d")


class Template(str, Enum):
    MANIFEST_ONLY = "manifest-only"
    PYTHON_SOURCE = "python-source"
    PYTHON_DESTINATION = "python-destination"

    @property
    def kind(self) -> str:
        return "destination" if self is Template.PYTHON_DESTINATION else "source"

    @property
    def description(self) -> str:
        return {
            Template.MANIFEST_ONLY: "a declarative manifest.yaml run by the source-declarative-manifest image",
            Template.PYTHON_SOURCE: "a Python package that reads from an API",
            Template.PYTHON_DESTINATION: "a Python package that writes records somewhere",
        }[self]

    @classmethod
    def for_kind(cls, kind: str) -> list[Template]:
        return [t for t in cls if t.kind == kind]


class CreateSettings(BaseModel):
    """``[tool.connector-pipelines.create]`` in the monorepo's pyproject.toml."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    documentation_url: str = Field(default="https://docs.airbyte.com/integrations", alias="documentation-url")
    """Where the docs pages are published; a connector's page is ``<this>/<sources|destinations>/<slug>``."""
    python_base_image: str = Field(default="docker.io/airbyte/python-connector-base:4.0.2",
                                   alias="python-base-image")
    manifest_base_image: str = Field(default="docker.io/airbyte/source-declarative-manifest:7.10.1",
                                     alias="manifest-base-image")

    @classmethod
    def read(cls, root: Path) -> CreateSettings:
        path = root / "pyproject.toml"
        if not path.is_file():
            return cls()
        try:
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}) \
                .get("connector-pipelines", {}).get("create", {})
            return cls.model_validate(section)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: {exc}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserError(f"{path}: [tool.connector-pipelines.create] "
                            f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None

    def base_image_for(self, template: Template) -> str:
        return self.manifest_base_image if template is Template.MANIFEST_ONLY else self.python_base_image


def check_name(name: str) -> str:
    """The connector's kind (``source`` or ``destination``), or UserError saying what a name looks like."""
    if not NAME.match(name):
        raise UserError(f"'{name}' is not a connector name: use source-<words> or destination-<words>, "
                        "lowercase letters and digits joined by '-' (e.g. source-acme-crm)")
    return name.split("-", 1)[0]


def check_template_fits(name: str, template: Template) -> None:
    if template.kind != check_name(name):
        fitting = ", ".join(t.value for t in Template.for_kind(check_name(name)))
        raise UserError(f"template {template.value} makes a {template.kind}, but '{name}' names a "
                        f"{check_name(name)}: use {fitting}")


@dataclass(frozen=True)
class NewConnector:
    name: str
    template: Template
    base_image: str
    """Pinned by digest: ``docker.io/airbyte/python-connector-base:4.0.2@sha256:…``."""
    documentation_base: str
    today: dt.date
    definition_id: str

    @property
    def kind(self) -> str:
        return self.template.kind

    @property
    def slug(self) -> str:
        return self.name.split("-", 1)[1]

    @property
    def manifest_version(self) -> str:
        """The declarative-manifest image's tag (``7.10.1`` of ``…:7.10.1-amd64``): the CDK version the
        manifest is written for."""
        tag = self.base_image.split("@", 1)[0].rsplit(":", 1)[-1]
        match = re.match(r"\d+\.\d+\.\d+", tag)
        return match.group(0) if match else DEFAULT_MANIFEST_VERSION

    def variables(self) -> dict[str, object]:
        words = self.slug.split("-")
        title = " ".join(w.capitalize() for w in words)
        digest = hashlib.sha256(self.name.encode()).digest()
        return {
            "name": self.name,
            "kind": self.kind,
            "slug": self.slug,
            "title": title,
            "package": self.name.replace("-", "_"),
            "class_name": self.kind.capitalize() + "".join(w.capitalize() for w in words),
            "definition_id": self.definition_id,
            "docker_repository": f"airbyte/{self.name}",
            "base_image": self.base_image,
            "cdk_version": self.manifest_version,
            "documentation_url": f"{self.documentation_base.rstrip('/')}/{self.kind}s/{self.slug}",
            "language_tag": "manifest-only" if self.template is Template.MANIFEST_ONLY else "python",
            "cdk_tag": "low-code" if self.template is Template.MANIFEST_ONLY else "python",
            "subtype": "api" if self.kind == "source" else "database",
            "has_unit_tests": self.template is not Template.MANIFEST_ONLY,
            "template": self.template.value,
            "today": self.today.isoformat(),
            "icon_color": ICON_COLORS[digest[0] % len(ICON_COLORS)],
        }


def new_connector(name: str, template: Template, *, base_image: str, settings: CreateSettings,
                  today: dt.date | None = None) -> NewConnector:
    check_template_fits(name, template)
    return NewConnector(name=name, template=template, base_image=base_image,
                        documentation_base=settings.documentation_url, today=today or dt.date.today(),
                        definition_id=str(uuid.uuid4()))


def refuse_existing(repo: Monorepo, name: str) -> None:
    """UserError when the folder, or the docs page the connector would get, already exists."""
    folder = repo.connectors_path / name
    if folder.exists():
        raise UserError(f"{folder.relative_to(repo.root)} already exists: pick another name, or remove it first")
    kind, slug = name.split("-", 1)
    page = repo.docs_path / f"{kind}s" / f"{slug}.md"
    if page.exists():
        raise UserError(f"{page.relative_to(repo.root)} already exists: a connector of that name had docs; "
                        "pick another name, or remove the page first")


def create_connector(repo: Monorepo, request: NewConnector) -> list[Path]:
    """Write the connector folder and its docs page; return both paths."""
    refuse_existing(repo, request.name)
    variables = request.variables()
    target = repo.connectors_path / request.name
    repo.connectors_path.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".create-{request.name}-", dir=repo.connectors_path))
    try:
        folder = staging / request.name
        render_tree(resources.files(__package__).joinpath("templates", "common"), folder, variables)
        render_tree(resources.files(__package__).joinpath("templates", request.template.value), folder, variables)
        (folder / "gitignore").rename(folder / ".gitignore")
        if (folder / "pyproject.toml").is_file():
            lock(folder, request.name)
        page_text = render_text(resources.files(__package__).joinpath("templates", "docs", f"{request.kind}.md.j2")
                                .read_text(encoding="utf-8"), variables)
        page = repo.docs_path / f"{request.kind}s" / f"{request.slug}.md"
        folder.rename(target)  # one rename: the connector appears whole
        try:
            FileChange(page, None, page_text).write()
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [target, page]


def lock(folder: Path, name: str) -> None:
    """The Python templates are Poetry projects: lock them before they appear, as QA and the build
    expect a poetry.lock (the templates declare no dependency, so this needs no network)."""
    try:
        poetry_lock.write_lock(folder)
    except poetry_lock.LockError as exc:
        raise UserError(f"{name}: {exc}; nothing was written") from None


def render_tree(source: resources.abc.Traversable, target: Path, variables: dict[str, object]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir(), key=lambda i: i.name):
        name = item.name.replace("__package__", str(variables["package"]))
        if item.is_dir():
            if name != "__pycache__":
                render_tree(item, target / name, variables)
        elif name.endswith(TEMPLATE_SUFFIX):
            text = render_text(item.read_text(encoding="utf-8"), variables)
            (target / name.removesuffix(TEMPLATE_SUFFIX)).write_text(text, encoding="utf-8")


def render_text(template: str, variables: dict[str, object]) -> str:
    import jinja2

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                     autoescape=False)  # noqa: S701 - YAML, Python and Markdown, not HTML
    return environment.from_string(template).render(**variables)
