"""Load a ``metadata.yaml`` into :class:`ConnectorMetadata`, with every problem located.

    loaded = load_metadata(Path("airbyte-integrations/connectors/source-x/metadata.yaml"))
    loaded.metadata.data.dockerImageTag
    loaded.warnings      # unknown fields, kept but reported

Raises :class:`InvalidMetadata` listing every error (file, line, field, message), never a
pydantic or YAML traceback.
"""

from __future__ import annotations

import difflib
import functools
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from connector_build.metadata import ConnectorMetadata
from connector_build.metadata_rules import ADVICE_RULES, RELEASE_RULES, RULES, RuleContext
from connector_build.parse_cache import ParseCache
from connector_build.problems import InvalidMetadata, Problem, Severity, dotted
from connector_build.yaml_source import MAX_YAML_BYTES, YamlDocument, YamlSourceError, load_yaml_document


@dataclass
class LoadedMetadata:
    path: Path
    metadata: ConnectorMetadata
    document: YamlDocument
    warnings: list[Problem] = field(default_factory=list)


def load_metadata(
    path: Path,
    *,
    display_path: Path | None = None,
    folder_name: str | None = None,
    strict: bool = False,
    cache: ParseCache | None = None,
    raw: bytes | None = None,
) -> LoadedMetadata:
    """Parse, validate and check the rules.

    ``display_path`` is how the file is named in messages (relative to the repo root).
    ``folder_name``, when given, must be the end of ``dockerRepository``.
    ``strict`` turns unknown fields into errors, as Airbyte's own validator does.
    ``cache`` reuses earlier parses of identical bytes (see parse_cache).
    ``raw``: the file's bytes when the caller has read them already (discovery reads every file once).
    """
    shown = display_path or path
    try:
        if cache is None:
            document = load_yaml_document(path)
        elif raw:
            document = cache.parse(raw)
        else:
            size = path.stat().st_size
            if size > MAX_YAML_BYTES:
                raise YamlSourceError(f"file is {size} bytes, more than the limit of {MAX_YAML_BYTES}")
            document = cache.parse(path.read_bytes())
    except YamlSourceError as exc:
        raise InvalidMetadata([Problem(shown, exc.line, "", exc.message)]) from None
    except OSError as exc:
        raise InvalidMetadata([Problem(shown, None, "", f"cannot read file: {exc.strerror}")]) from None
    return validate_document(document, shown, path=path, folder_name=folder_name, strict=strict)


def validate_document(
    document: YamlDocument,
    shown: Path,
    *,
    path: Path | None = None,
    folder_name: str | None = None,
    strict: bool = False,
) -> LoadedMetadata:
    if not isinstance(document.data, dict):
        kind = "empty" if document.data is None else f"a {type(document.data).__name__}"
        message = (f"the file is {kind}: it should hold `metadataSpecVersion: \"1.0\"` and a `data:` "
                   "mapping with the connector's fields")
        raise InvalidMetadata([Problem(shown, 1, "", message)])
    try:
        metadata = ConnectorMetadata.model_validate(document.data)
    except ValidationError as exc:
        raise InvalidMetadata(_schema_problems(exc, document, shown)) from None

    unknown = [
        Problem(shown, document.line_of(loc), dotted(loc), "unknown field (kept, but not part of the format)"
                + _suggestion(metadata, loc), Severity.ERROR if strict else Severity.WARNING)
        for loc in _unknown_fields(metadata, ())
    ]
    context = RuleContext(folder_name=folder_name)
    release_severity = Severity.ERROR if strict else Severity.WARNING
    findings = [(Severity.ERROR, found) for rule in RULES for found in rule(metadata.data, context)]
    findings += [(release_severity, found) for rule in RELEASE_RULES for found in rule(metadata.data, context)]
    findings += [(Severity.WARNING, found) for rule in ADVICE_RULES for found in rule(metadata.data, context)]
    problems = unknown + [Problem(shown, document.line_of(loc), dotted(loc), message, severity)
                          for severity, (loc, message) in findings]
    errors = sorted((p for p in problems if p.severity is Severity.ERROR), key=lambda p: p.line or 0)
    if errors:
        raise InvalidMetadata(errors)
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    return LoadedMetadata(path=path or shown, metadata=metadata, document=document, warnings=warnings)


def _schema_problems(exc: ValidationError, document: YamlDocument, shown: Path) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not _is_union_branch(part))
        misspelt = _misspelt_key(document, loc) if error["type"] == "missing" else None
        if misspelt:
            # `dockerImageTg:` makes dockerImageTag "missing" at the mapping's line; the mistake
            # is the unknown key, on its own line.
            where = (*loc[:-1], misspelt)
            problems.append(Problem(shown, document.line_of(where), dotted(where),
                                    f"unknown field; did you mean {loc[-1]}? ({loc[-1]} is required)"))
            continue
        message = _readable(error)
        problems.append(Problem(shown, document.line_of(loc), dotted(loc), message))
    # A union error repeats once per branch; keep the first per field.
    unique: dict[str, Problem] = {}
    for problem in problems:
        unique.setdefault(problem.field, problem)
    return sorted(unique.values(), key=lambda p: p.line or 0)


def _misspelt_key(document: YamlDocument, loc: tuple[str | int, ...]) -> str | None:
    """The key next to a missing field that is most likely a misspelling of it."""
    parent: Any = document.data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return None
    if not isinstance(parent, dict) or not isinstance(loc[-1], str):
        return None
    close = difflib.get_close_matches(loc[-1], [k for k in parent if isinstance(k, str)], n=1, cutoff=0.75)
    return close[0] if close else None


def _is_union_branch(part: Any) -> bool:
    # pydantic adds the branch's type name to loc for unions: ("data", "tags", "list[str]")
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "date", "float"})


def _readable(error: Any) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind in {"enum", "literal_error"}:
        expected = error.get("ctx", {}).get("expected", "")
        return f"'{value}' is not allowed here; write one of {expected}"
    if kind.startswith("date"):
        return f"'{value}' is not a date; write it as YYYY-MM-DD"
    if kind in {"model_type", "dict_type"}:
        return f"should hold fields (indented `key: value` lines below it), but holds {_described(value)}"
    if kind == "list_type":
        return f"should hold a list (indented `- item` lines below it), but holds {_described(value)}"
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return (f"YAML reads {value!r} as a number, not text; put it in quotes, e.g. \"{value}\" "
                "(a version such as 0.10 would otherwise become 0.1)")
    text = error["msg"].removeprefix("Value error, ")
    if kind == "value_error" or isinstance(value, (dict, list)):
        return text
    return f"{text} (found {value!r})"


def _suggestion(metadata: ConnectorMetadata, loc: tuple[str | int, ...]) -> str:
    """"; did you mean X?" for an unknown key close to a field of the same model."""
    model: Any = metadata
    for part in loc[:-1]:
        model = model[part] if isinstance(part, int) or isinstance(model, (dict, list)) else getattr(model, part, None)
    if not isinstance(model, BaseModel) or not isinstance(loc[-1], str):
        return ""
    fields = [info.alias or name for name, info in type(model).model_fields.items()]
    close = difflib.get_close_matches(loc[-1], fields, n=1, cutoff=0.75)
    return f"; did you mean {close[0]}?" if close else ""


def _described(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "fields"
    return f"the value {value!r}"


def _unknown_fields(model: BaseModel, loc: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """Keys a model kept as extras, at any depth. Runs for every connector on every ``list``, so
    it looks only into the fields whose type can hold a model (see :func:`_nested_fields`)."""
    found: list[tuple[str | int, ...]] = [(*loc, key) for key in (model.__pydantic_extra__ or ())]
    values = model.__dict__
    for name in _nested_fields(type(model)):
        value = values.get(name)
        if isinstance(value, BaseModel):
            found.extend(_unknown_fields(value, (*loc, name)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found.extend(_unknown_fields(item, (*loc, name, i)))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    found.extend(_unknown_fields(item, (*loc, name, key)))
    return found


@functools.cache
def _nested_fields(model_class: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model_class`` whose declared type mentions a model (directly, in a list,
    a dict or a union): the only places an unknown key can hide below it."""
    def mentions_model(annotation: Any) -> bool:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return True
        return any(mentions_model(arg) for arg in typing.get_args(annotation))

    return tuple(name for name, info in model_class.model_fields.items() if mentions_model(info.annotation))
