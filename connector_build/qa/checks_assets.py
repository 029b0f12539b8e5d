"""QA checks on the connector's assets: the icon the registry and the UI show."""

from __future__ import annotations

from connector_build.connector import Connector
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed, skipped
from connector_build.qa.svg import NotSquareSvg, check_square_svg

ICON_FILE = "icon.svg"


def icon_present(connector: Connector, ctx: QAContext) -> Verdict:
    icon = connector.path / ICON_FILE
    if not icon.is_file():
        return failed(f"no icon: expected {connector.relative_path / ICON_FILE}")
    return passed(str(connector.relative_path / ICON_FILE))


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


ICON_PRESENT = Check("icon_present", "icon.svg exists in the connector folder.", icon_present)
ICON_SQUARE = Check("icon_square_svg", "icon.svg is an SVG whose viewBox or width/height is square.", icon_square_svg)
