"""QA checks on the connector's assets: the icon the registry and the UI show.

``icon_present`` is Airbyte's icon check: ``icon.svg`` exists, is an SVG document, and is not
the default Airbyte icon (the placeholder new connectors start with). Squareness is advice only
(``icon_square_svg`` warns): Airbyte accepts icons such as a 129×128 viewBox.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from connector_build.connector import Connector
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed, skipped
from connector_build.qa.svg import MAX_ICON_BYTES, NotSquareSvg, check_square_svg

ICON_FILE = "icon.svg"
SVG_ROOT_TAG = "{http://www.w3.org/2000/svg}svg"
DEFAULT_ICON_SHA256 = "d3654ab216900ea812d592ff850f5441d8317c2b9f4bc6757a7e0d398730a1a8"
"""sha256 of the default Airbyte icon's text, stripped and lower-cased (how Airbyte compares it)."""


def is_default_icon(text: str) -> bool:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest() == DEFAULT_ICON_SHA256


def icon_present(connector: Connector, ctx: QAContext) -> Verdict:
    icon = connector.path / ICON_FILE
    shown = connector.relative_path / ICON_FILE
    if not icon.is_file():
        return failed(f"no icon: expected {shown}")
    if icon.stat().st_size > MAX_ICON_BYTES:
        return failed(f"{shown} is {icon.stat().st_size} bytes; an icon should be well under {MAX_ICON_BYTES}")
    data = icon.read_bytes()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return failed(f"{shown} is not an SVG document: {exc}")
    if root.tag != SVG_ROOT_TAG:
        return failed(f"{shown} is not an SVG document: its root element is <{root.tag}>, not an SVG <svg>")
    if is_default_icon(data.decode("utf-8", errors="replace")):
        return failed(f"{shown} is the default Airbyte icon: replace it with the connector's own square icon")
    return passed(str(shown))


def icon_square_svg(connector: Connector, ctx: QAContext) -> Verdict:
    icon = connector.path / ICON_FILE
    shown = connector.relative_path / ICON_FILE
    if not icon.is_file():
        return skipped(f"no {shown} (see icon_present)")
    try:
        how = check_square_svg(icon)
    except NotSquareSvg as exc:
        return failed(f"{shown} {exc}")
    return passed(f"{shown} is a square SVG ({how})")


ICON_PRESENT = Check("icon_present", "icon.svg exists, is an SVG, and is not the default Airbyte icon.",
                     icon_present)
ICON_SQUARE = Check("icon_square_svg", "icon.svg is an SVG whose viewBox or width/height is square.",
                    icon_square_svg, advice=True)
