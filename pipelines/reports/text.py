"""Log lines made safe for every report format: no terminal colour codes, no XML-illegal characters.

Connector logs carry ANSI colour sequences and, sometimes, raw control bytes; XML 1.0 forbids
most control characters outright, so a JUnit file holding one would not parse at all.
"""

from __future__ import annotations

import re

ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without ANSI escapes, with characters XML cannot hold replaced by U+FFFD."""
    return XML_ILLEGAL.sub("\ufffd", ANSI_ESCAPE.sub("", text))


def clean_lines(lines: list[str]) -> list[str]:
    return [clean(line) for line in lines]
