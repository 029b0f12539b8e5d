"""Where a connector's documentation lives, and the few Markdown facts the checks read from it.

The layout is Airbyte's: ``<docs-dir>/<sources|destinations>/<slug>.md`` with the slug the
connector name without its ``source-``/``destination-`` prefix, and ``<slug>-migrations.md``
beside it. When ``documentationUrl`` ends in ``/integrations/<sources|destinations>/<page>``, the
page is that one, as Airbyte reads it: a ``-strict-encrypt`` variant's docs are its base
connector's page. The parsing is line-based on purpose: the pages mix Markdown, HTML (``<details>``)
and MDX, and the checks only need headings and table rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo

HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
CHANGELOG_HEADING = re.compile(r"^changelog\b", re.IGNORECASE)
DOCS_URL_PAGE = re.compile(r"/integrations/(sources|destinations)/([A-Za-z0-9_.-]+)/?$")


def slug(connector: Connector) -> str:
    name = connector.name
    for prefix in ("source-", "destination-"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def docs_folder(connector: Connector, repo: Monorepo) -> Path:
    return repo.docs_path / f"{connector.connector_type.value}s"


def docs_page(connector: Connector, repo: Monorepo) -> Path:
    """The page ``documentationUrl`` names when it has the docs site's layout, else ``<slug>.md``."""
    try:
        match = DOCS_URL_PAGE.search(urlsplit(connector.data.documentationUrl).path)
    except ValueError:
        match = None
    if match:
        return repo.docs_path / match.group(1) / f"{match.group(2)}.md"
    return docs_folder(connector, repo) / f"{slug(connector)}.md"


def migration_guide(connector: Connector, repo: Monorepo) -> Path:
    return docs_folder(connector, repo) / f"{slug(connector)}-migrations.md"


def headings(lines: list[str]) -> list[tuple[int, str]]:
    """``(index, text)`` of every Markdown heading, outside fenced code blocks."""
    found, fenced = [], False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            found.append((index, match.group(2)))
    return found


def table_cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row, or None when the line is not one."""
    text = line.strip()
    if not text.startswith("|"):
        return None
    return [cell.strip() for cell in text.strip("|").split("|")]


def changelog_row(lines: list[str], version: str) -> int | None:
    """Line number (1-based) of the table row for ``version`` after the first changelog heading.

    Returns None when there is no such row; raises LookupError when there is no changelog heading.
    """
    start = next((index for index, text in headings(lines) if CHANGELOG_HEADING.match(text)), None)
    if start is None:
        raise LookupError("no changelog heading")
    for index in range(start + 1, len(lines)):
        cells = table_cells(lines[index])
        if cells and cells[0].strip("`* ").removeprefix("v") == version:
            return index + 1
    # Airbyte accepts any line after the heading that mentions the version (a row in another shape);
    # the version must stand alone (0.2.0 is not found in 10.2.0 or 0.2.01).
    mention = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w]|\.\d)")
    return next((index + 1 for index in range(start + 1, len(lines)) if mention.search(lines[index])), None)


def has_sync_modes_table(lines: list[str]) -> bool:
    """A table with a row for Full Refresh, as in Airbyte's destination pages ("| Full Refresh Sync | Yes |")."""
    return any((cells := table_cells(line)) and "full refresh" in cells[0].lower() for line in lines)


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()
