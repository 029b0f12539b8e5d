"""Tables whose identifiers are never cut or wrapped.

Connector names, image references, paths and commands are copied and pasted, so a table must
show them whole. On a terminal: a rich table whose identifier columns never wrap and whose
free-text columns wrap between words only (an image named in a summary stays whole). Elsewhere
(a pipe, a file, CI logs), for long tables where rich's layout is slow, and when the
identifiers alone are wider than the terminal: plain aligned columns, one row per line (the
terminal wraps a long line whole), so ``| grep`` and ``| awk`` see whole rows.

    print_columns(console, ["name", "version"], rows, title="3 connectors")
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

Cell = str | Text

RICH_MAX_ROWS = 200
"""Above this many rows rich's table layout takes most of a second; aligned columns take none."""

_FREE_TEXT_MIN = 20
_RICH_OVERHEAD_PER_COLUMN = 3  # one space of padding each side and a border


def print_columns(console: Console, headers: Sequence[str], rows: Sequence[Sequence[Cell]], *,
                  title: str | None = None, free_text: Sequence[str] = (),
                  title_console: Console | None = None) -> None:
    """Print ``rows`` under ``headers``. Columns named in ``free_text`` may wrap; no other may.

    On plain output the title goes to ``title_console`` (stderr, typically) when one is given,
    so stdout holds only the header and the rows.
    """
    if console.is_terminal and len(rows) <= RICH_MAX_ROWS and _fits(console, headers, rows, set(free_text)):
        _print_rich(console, headers, rows, title, set(free_text))
        return
    if title:
        target = title_console or console
        target.file.write(title + "\n")
        target.file.flush()
    console.file.write(plain_columns(headers, rows, bold_header=console.is_terminal))
    console.file.flush()


def plain_columns(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, bold_header: bool = False) -> str:
    """Aligned columns, two spaces apart; the last column is not padded (no trailing blanks)."""
    table = [list(headers)] + [[_plain(cell) for cell in row] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    lines = []
    for line in table:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])] + [line[-1]]
        lines.append("  ".join(padded).rstrip())
    if bold_header:
        lines[0] = f"\x1b[1m{lines[0]}\x1b[0m"
    return "\n".join(lines) + "\n"


def _plain(cell: Cell) -> str:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return " ".join(text.split()) if "\n" in text else text


def _fits(console: Console, headers: Sequence[str], rows: Sequence[Sequence[Cell]], free_text: set[str]) -> bool:
    """Whether a boxed table can show every identifier whole, free text folded to a minimum."""
    needed = 1
    for i, header in enumerate(headers):
        widest = max([len(header), *(len(_plain(row[i])) for row in rows)])
        folded = max(min(widest, _FREE_TEXT_MIN), _longest_word(rows, i))
        needed += (folded if header in free_text else widest) + _RICH_OVERHEAD_PER_COLUMN
    return needed <= console.width


def _longest_word(rows: Sequence[Sequence[Cell]], column: int) -> int:
    """Free text wraps between words only: an image reference in a summary stays whole."""
    return max((len(word) for row in rows for word in _plain(row[column]).split()), default=0)


def _print_rich(console: Console, headers: Sequence[str], rows: Sequence[Sequence[Cell]], title: str | None,
                free_text: set[str]) -> None:
    table = Table(title=Text(title) if title else None, title_justify="left")
    for i, header in enumerate(headers):
        wraps = header in free_text
        widest = max([len(header), *(len(_plain(row[i])) for row in rows)])
        table.add_column(header, no_wrap=not wraps, overflow="fold" if wraps else "ignore",
                         min_width=_longest_word(rows, i) if wraps else widest)
    for row in rows:
        table.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in row))
    console.print(table)
