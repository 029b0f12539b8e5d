"""The two consoles: results to stdout, progress and problems to stderr (so stdout stays parseable)."""

from rich.console import Console

# emoji=False: ":name:" in a connector's text stays as written (and rich's emoji table, a
# noticeable part of `list`'s start-up, is never loaded).
console = Console(emoji=False)
error_console = Console(stderr=True, emoji=False)
