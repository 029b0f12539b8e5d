"""Tiny JSONL, an Airbyte destination written with the Python standard library only."""

from destination_tiny_jsonl.destination import DestinationTinyJsonl

__all__ = ["DestinationTinyJsonl"]
