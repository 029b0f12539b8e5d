"""Identifiers are never cut: rich tables on a terminal, plain aligned columns elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from io import StringIO

from rich.console import Console
from rich.text import Text

from pipelines.columns import RICH_MAX_ROWS, plain_columns, print_columns

LONG_IMAGE = "localhost:5000/airbyte/destination-a-connector-with-a-really-long-name:1.2.3-dev.abcdef0"
LONG_COMMAND = "bash /opt/somewhere/deep/inside/a/checkout/scripts/build-base-images.sh"


def rendered(terminal: bool, rows: Sequence[tuple[str | Text, ...]], width: int = 80) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_columns(console, ("image", "status", "detail", "how to fix"), rows, title="a title",
                  free_text=("detail",), title_console=Console(file=err, width=width))
    return out.getvalue(), err.getvalue()


def test_a_narrow_terminal_wraps_free_text_but_never_an_identifier() -> None:
    detail = "a long explanation that may wrap over several lines of the narrow table " * 2
    out, _ = rendered(True, [("source-x", Text("ok", "green"), detail, LONG_COMMAND)], width=120)
    assert "┃" in out and LONG_COMMAND in out and "…" not in out and "a title" in out
    assert "source-x" in out and "narrow table" in out


def test_free_text_wraps_between_words_so_an_image_in_a_summary_stays_whole() -> None:
    detail = f"pushed {LONG_IMAGE} @ sha256:873604a68fa9 (2 platforms; blobs 4 mounted, 3 uploaded)"
    out, _ = rendered(True, [("source-x", "ok", detail, "")], width=130)
    assert "┃" in out and LONG_IMAGE in out  # the table is drawn, the image reference on one line
    out, _ = rendered(True, [("source-x", "ok", detail, "")], width=100)  # no room for the word: plain
    assert "┃" not in out and detail in out


def test_identifiers_wider_than_the_terminal_are_printed_whole_as_columns() -> None:
    out, err = rendered(True, [(LONG_IMAGE, Text("ok", "green"), "detail", LONG_COMMAND)], width=60)
    assert f"{LONG_IMAGE}  ok      detail  {LONG_COMMAND}" in out and "┃" not in out
    assert "a title" in err


def test_plain_columns_off_a_terminal() -> None:
    out, err = rendered(False, [(LONG_IMAGE, Text("missing", "red"), "why\nacross lines", LONG_COMMAND),
                                ("short", "ok", "", "")])
    lines = out.splitlines()
    assert lines[0].split() == ["image", "status", "detail", "how", "to", "fix"]
    assert lines[1] == f"{LONG_IMAGE}  missing  why across lines  {LONG_COMMAND}"
    assert lines[2].rstrip() == "short" + " " * (len(LONG_IMAGE) - 5) + "  ok"
    assert err == "a title\n" and "a title" not in out


def test_rich_markup_in_cells_is_printed_as_it_is() -> None:
    out, _ = rendered(True, [("[red]x[/]", "ok", "[tool.connector-pipelines]", "")])
    assert "[red]x[/]" in out and "[tool.connector-pipelines]" in out
    assert "[bold]" in plain_columns(("a",), [("[bold]",)])


def test_long_tables_on_a_terminal_are_aligned_columns_too() -> None:
    rows = [(f"source-{i}", "ok", "", "") for i in range(RICH_MAX_ROWS + 1)]
    out, _ = rendered(True, rows)
    assert out.count("\n") == RICH_MAX_ROWS + 2 and "│" not in out and "┃" not in out
