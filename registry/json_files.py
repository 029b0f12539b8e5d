"""How registry JSON is written: indented two spaces, keys sorted, one trailing newline.

Stable bytes make regenerations diff cleanly and let the store skip unchanged files (md5).
orjson does it in milliseconds where the standard library's indenting encoder, which is pure
Python, takes most of a second on a full registry.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def dump_json(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:  # e.g. an integer beyond 64 bits in a spec: the standard library copes
        return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
