"""Secrets to redact: a password registered here is shown as ``***`` wherever a log line is written.

Lives at the bottom of the package stack so whoever first holds a secret (the credentials reader,
an engine) registers it before anything above can log it.
"""

from __future__ import annotations

import threading

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def register_secret(value: str | None) -> None:
    """From now on, ``value`` is shown as ``***`` in every log line."""
    if value and len(value) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):  # a whole secret before the parts inside it
        if secret in text:
            text = text.replace(secret, "***")
    return text
