"""Help text that never cuts an identifier: plain text, wrapped only at spaces.

typer's rich help draws options in a four-column table; at 80 columns the help column of
``build --help`` is 19 characters wide and rich ends a longer word with "…"
(``linux/amd64,linux…``, ``[tool.connector-p…``) or folds it (``<source|destinatio`` / ``n>``).
click's plain help has room for the text, but its wrapper breaks words at hyphens
(``.connector-`` / ``pipelines``) and cuts a word longer than the line. This formatter keeps
click's layout and wraps at spaces only: a word wider than the space left stays whole and the
line runs long, so names, paths and commands can be copied from help as they are.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import typer

# typer vendors click; its formatter is only reachable through this private module.
from typer._click.formatting import HelpFormatter, iter_rows, measure_table, term_len


def wrap_words(text: str, width: int, indent: str = "") -> list[str]:
    """``text``'s paragraphs (blank-line separated) as lines of at most ``width`` characters,
    broken at spaces only; empty lines between paragraphs."""
    wrapper = textwrap.TextWrapper(width=max(width, 20), initial_indent=indent, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    for paragraph in (p for p in text.split("\n\n") if p.strip()):
        if lines:
            lines.append("")
        lines.extend(wrapper.wrap(" ".join(paragraph.split())))
    return lines


class WholeWordHelpFormatter(HelpFormatter):
    def write_text(self, text: str) -> None:
        self.write("\n".join(wrap_words(text, self.width, " " * self.current_indent)) + "\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """click's definition list (an option, then its help beside it or below it when the
        option is wider than ``col_max``), with the help wrapped at spaces only."""
        rows = list(rows)
        first_col = min(measure_table(rows)[0], col_max) + col_spacing
        margin = " " * (first_col + self.current_indent)
        for first, second in iter_rows(rows, 2):
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if term_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - term_len(first)))
            else:
                self.write("\n" + margin)
            lines = wrap_words(second, max(self.width - first_col - 2, 10)) or [""]
            self.write(lines[0] + "\n")
            self.write("".join(f"{margin}{line}\n" if line else "\n" for line in lines[1:]))


class HelpContext(typer.Context):
    formatter_class = WholeWordHelpFormatter
