"""Fixtures the unit tests share."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from registry.store import Store


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty store in fsspec's process-wide memory filesystem, removed afterwards."""
    opened = Store.open(f"memory://unit-store-{uuid.uuid4().hex}")
    yield opened
    if opened.fs.exists(opened.root):
        opened.fs.rm(opened.root, recursive=True)
