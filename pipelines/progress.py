"""Progress on long work: a live table on a terminal, one plain line per finished step elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pipelines.reports.console import STATUS_MARK, STATUS_STYLE
from pipelines.results import StepResult, StepStatus


@dataclass
class _Row:
    step: str = "queued"
    started: float = field(default_factory=time.monotonic)
    last_line: str = ""
    done: list[StepResult] = field(default_factory=list)
    finished: bool = False


class Progress:
    """Receives runner events. Use as a context manager around the run."""

    def __init__(self, console: Console, connectors: list[str],
                 notices: Callable[[], list[str]] | None = None) -> None:
        self.console = console
        self.rows = {name: _Row() for name in connectors}
        self.idle = 0
        self.notices = notices or (lambda: [])
        self.shown_notices: set[str] = set()
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False) \
            if console.is_terminal else None

    @staticmethod
    def prints_step_lines(console: Console) -> bool:
        """Without a terminal there is no live view: each finished step is printed as a line."""
        return not console.is_terminal

    def __enter__(self) -> Progress:
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._print_new_notices()
        if not self.live and self.idle:
            self.console.print(f"[yellow]–[/] {self.idle} connector(s) with nothing to do", highlight=False)
        if self.live:
            self.live.update(self._render())
            self.live.__exit__(None, None, None)

    def step_started(self, connector: str, step: str) -> None:
        row = self.rows[connector]
        row.step, row.started, row.last_line = step, time.monotonic(), ""
        self._refresh()

    def log_line(self, connector: str, line: str) -> None:
        self.rows[connector].last_line = line[:100]
        # The live view refreshes on its own timer; nothing to print line by line.

    def step_finished(self, connector: str, result: StepResult) -> None:
        row = self.rows[connector]
        row.done.append(result)
        self._print_new_notices()  # a notice the step raised goes above the step's line
        if not self.live and result.status is not StepStatus.SKIPPED:
            style = STATUS_STYLE[result.status]
            self.console.print(Text.assemble(
                (STATUS_MARK[result.status], style), f" {connector} {result.name} ",
                (f"{result.duration_s:.1f}s", "dim"), f" {result.summary}"), highlight=False, soft_wrap=True)
        self._refresh()

    def connector_finished(self, connector: str) -> None:
        row = self.rows[connector]
        if not self.live and row.done and all(r.status is StepStatus.SKIPPED for r in row.done):
            self.idle += 1  # printed once, as a count, by __exit__: a no-op run stays quiet
        self.rows[connector].finished = True
        self.rows[connector].step = "done"
        self._refresh()

    def _print_new_notices(self) -> None:
        """Each engine notice once per run, as soon as it appears (above the live view)."""
        for notice in self.notices():
            if notice not in self.shown_notices:
                self.shown_notices.add(notice)
                self.console.print(Text.assemble(("note: ", "yellow"), notice), soft_wrap=True)

    def _refresh(self) -> None:
        self._print_new_notices()
        if self.live:
            self.live.update(self._render())

    def _render(self) -> Table:
        table = Table(show_header=True, header_style="bold", box=None)
        table.add_column("connector", no_wrap=True, min_width=max(map(len, self.rows), default=9))
        table.add_column("steps")
        table.add_column("now")
        for name, row in self.rows.items():
            steps = Text()
            for result in row.done:
                steps.append(f"{STATUS_MARK[result.status]} {result.name}  ", style=STATUS_STYLE[result.status])
            now = "" if row.finished else f"{row.step} {time.monotonic() - row.started:.0f}s {row.last_line}"
            table.add_row(name, steps, Text(now, style="dim"))
        return table
