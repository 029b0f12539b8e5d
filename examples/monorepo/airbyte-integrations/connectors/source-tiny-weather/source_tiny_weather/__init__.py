"""Tiny Weather, an Airbyte source written with the Python standard library only."""

from source_tiny_weather.source import SourceTinyWeather

__all__ = ["SourceTinyWeather"]
