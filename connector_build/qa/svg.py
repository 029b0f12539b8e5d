"""Is a file a square SVG? The registry shows icons in square slots; a wide logo is squashed.

Only the root element is read: ``viewBox`` decides the drawing's aspect ratio, and absolute
``width``/``height``, when both are given, decide the rendered one. Either being non-square fails.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

MAX_ICON_BYTES = 1_000_000
"""Icons are a few kilobytes; refusing big files keeps a hostile file from costing the parser much."""

LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in|em|ex)?\s*$")


class NotSquareSvg(ValueError):
    """Why the file is not a square SVG, in a sentence."""


def check_square_svg(path: Path) -> str:
    """Return how squareness was decided (e.g. ``viewBox 0 0 24 24``), or raise :class:`NotSquareSvg`."""
    size = path.stat().st_size
    if size > MAX_ICON_BYTES:
        raise NotSquareSvg(f"is {size} bytes; an icon should be well under {MAX_ICON_BYTES}")
    try:
        root = ET.fromstring(path.read_bytes())
    except ET.ParseError as exc:
        raise NotSquareSvg(f"is not well-formed XML ({exc})") from None
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise NotSquareSvg(f"is XML but its root element is <{root.tag.rsplit('}', 1)[-1]}>, not <svg>")
    decided = []
    view_box = root.get("viewBox")
    if view_box is not None:
        parts = view_box.replace(",", " ").split()
        try:
            width, height = float(parts[2]), float(parts[3])
        except (IndexError, ValueError):
            raise NotSquareSvg(f"has a malformed viewBox '{view_box}'") from None
        if not _equal(width, height):
            raise NotSquareSvg(f"is not square: viewBox '{view_box}' is {width:g} wide and {height:g} high")
        decided.append(f"viewBox {view_box}")
    width_text, height_text = root.get("width"), root.get("height")
    width_match = LENGTH.match(width_text or "")
    height_match = LENGTH.match(height_text or "")
    if width_match and height_match:
        same_unit = (width_match.group(2) or "px") == (height_match.group(2) or "px")
        if not same_unit or not _equal(float(width_match.group(1)), float(height_match.group(1))):
            raise NotSquareSvg(f"is not square: width '{width_text}', height '{height_text}'")
        decided.append(f"width=height={width_text}")
    if not decided:
        raise NotSquareSvg("gives neither a viewBox nor an absolute width and height, so its shape is unknown")
    return ", ".join(decided)


def _equal(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)
