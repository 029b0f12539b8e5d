"""The docs page's changelog table and the migration guide, edited in the style already there.

A new row goes at the top of the first table under the ``Changelog`` heading, with that table's
columns, version decoration (``1.2.3`` or `` `1.2.3` ``) and padding. A page without a changelog
gets one, in Airbyte's usual form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connector_build.qa import docs

DEFAULT_TABLE = [
    "| Version | Date | Pull Request | Subject |",
    "|:--------|:-----|:-------------|:--------|",
]


@dataclass(frozen=True)
class ChangelogRow:
    version: str
    date: str
    pull_request: str
    """Already formatted: ``[123](https://…/pull/123)``, or empty when unknown."""
    message: str


def add_changelog_row(text: str, row: ChangelogRow) -> str:
    """``text`` with ``row`` on top of its changelog table; unchanged when the version has a row already."""
    lines = text.splitlines()
    try:
        if _has_row(lines, row.version):
            return text
    except LookupError:
        section = ["", "## Changelog", "", *DEFAULT_TABLE, _format_row(row, DEFAULT_TABLE[0], None, None)]
        return _join(_strip_trailing_blank(lines) + section)
    start = next(index for index, title in docs.headings(lines) if docs.CHANGELOG_HEADING.match(title))
    header_at = next((i for i in range(start + 1, len(lines)) if docs.table_cells(lines[i]) is not None
                      or docs.headings([lines[i]])), None)
    if header_at is None or docs.table_cells(lines[header_at]) is None:
        table = [*DEFAULT_TABLE, _format_row(row, DEFAULT_TABLE[0], None, None)]
        return _join(lines[:start + 1] + ["", *table] + lines[start + 1:])
    separator_at = header_at + 1
    first_row = lines[separator_at + 1] if separator_at + 1 < len(lines) else ""
    example = first_row if docs.table_cells(first_row) is not None else None
    new = _format_row(row, lines[header_at], lines[separator_at], example)
    return _join(lines[:separator_at + 1] + [new] + lines[separator_at + 1:])


def _has_row(lines: list[str], version: str) -> bool:
    """A table row whose first cell is ``version`` after the changelog heading (LookupError: no heading).

    Stricter than the QA check's lookup, which also accepts a mention: ``0.1.2`` must not be taken
    for the row of ``0.1.2-rc.1``."""
    start = next((i for i, title in docs.headings(lines) if docs.CHANGELOG_HEADING.match(title)), None)
    if start is None:
        raise LookupError("no changelog heading")
    return any((cells := docs.table_cells(line)) and cells[0].strip("`* ").removeprefix("v") == version
               for line in lines[start + 1:])


def _format_row(row: ChangelogRow, header: str, separator: str | None, example: str | None) -> str:
    names = docs.table_cells(header) or []
    values = [_value_for(name, row) for name in names]
    if example is not None:
        version_cell = (docs.table_cells(example) or [""])[0]
        decoration = re.match(r"^([`*]*)", version_cell)
        mark = decoration.group(1) if decoration else ""
        values = [f"{mark}{v}{mark[::-1]}" if _kind(n) == "version" else v for n, v in zip(names, values, strict=True)]
    widths = _padded_widths(separator, example, len(values))
    if widths:
        cells = [f" {v.ljust(w - 2)} " for v, w in zip(values, widths, strict=True)]
    else:
        cells = [f" {v} " if v else " " for v in values]
    return "|" + "|".join(cells) + "|"


def _kind(column: str) -> str:
    name = column.lower()
    if "version" in name:
        return "version"
    if "date" in name:
        return "date"
    if "pull" in name or name in {"pr", "prs"}:
        return "pull_request"
    return "message"


def _value_for(column: str, row: ChangelogRow) -> str:
    value = getattr(row, _kind(column))
    return value.replace("|", "\\|") if _kind(column) == "message" else value


def _padded_widths(separator: str | None, example: str | None, count: int) -> list[int] | None:
    """Column widths when the table pads every cell to its separator's width, else None."""
    if separator is None or example is None:
        return None
    raw_separator, raw_example = _raw_cells(separator), _raw_cells(example)
    if len(raw_separator) != count or [len(c) for c in raw_separator] != [len(c) for c in raw_example]:
        return None
    return [len(c) for c in raw_separator]


def _raw_cells(line: str) -> list[str]:
    return line.strip().strip("|").split("|")


def add_migration_section(text: str | None, connector_title: str, version: str, message: str) -> str:
    """The migration guide with an ``## Upgrading to <version>`` section, newest first."""
    section = [f"## Upgrading to {version}", "", message, "",
               "TODO: say what users must do after upgrading (refresh schemas, reset streams, new settings).", ""]
    if text is None:
        return _join([f"# {connector_title} Migration Guide", "", *section])
    lines = text.splitlines()
    titles = docs.headings(lines)
    if any(re.match(rf"upgrading to v?{re.escape(version)}(?![\w.])", t, re.IGNORECASE) for _, t in titles):
        return text
    first_section = next((i for i, _ in titles if lines[i].lstrip().startswith("## ")), None)
    if first_section is None:
        return _join(_strip_trailing_blank(lines) + ["", *section])
    return _join(lines[:first_section] + section + lines[first_section:])


def _strip_trailing_blank(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _join(lines: list[str]) -> str:
    return "\n".join(_strip_trailing_blank(lines)) + "\n"
