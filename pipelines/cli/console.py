"""The two consoles: results to stdout, progress and problems to stderr (so stdout stays parseable)."""

from rich.console import Console

console = Console()
error_console = Console(stderr=True)
