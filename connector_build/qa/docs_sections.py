"""The sections of a documentation page, cut as Airbyte's documentation checks cut them.

Airbyte's section checks (``CheckSourceSectionContent``, ``CheckSection`` and its kin) parse the
page as CommonMark and take, for each top-level heading, the raw lines from the one after the
heading to the one before the next heading; a heading name is the first inline piece of its text,
and a name may head several sections. A section passes when one of them starts with the text
Airbyte's page template has there (its ``For Airbyte Cloud:`` steps, the sync-modes sentence, the
changelog's ``<details>`` wrapper). Those template texts, by section, are below.

    page = DocsPage.read(path)
    page.headings                  # ["Shopify", "Prerequisites", ...] ("Step 1: " dropped)
    page.sections["Changelog"]     # ["\\n<details>\\n  <summary>..."]
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

LISTED_LEVELS = ("h1", "h2", "h3", "h4")
"""The heading levels the checks look for a section's heading among."""
URL = re.compile(r"(https?://[^\s)]+)")
DOCS_LINK = "{docs_link}"
CHANGELOG_WRAPPER = "<details>\n  <summary>Expand to review</summary>\n</details>"
"""What a changelog section must be once its table is left out: the table inside a collapsed block."""


def intro(name: str) -> str:
    """The text under the page title (links replaced by ``{docs_link}`` before comparing)."""
    return (f"\n<HideInUI>\n\nThis page contains the setup guide and reference information for the "
            f"[{name}]({DOCS_LINK}) source connector.\n\n</HideInUI>\n\n")


def cloud_steps(name: str) -> str:
    return ("\n1. [Log into your Airbyte Cloud](https://cloud.airbyte.com/workspaces) account.\n"
            "2. Click Sources and then click + New source.\n"
            f"3. On the Set up the source page, select {name} from the Source type dropdown.\n"
            f"4. Enter a name for the {name} connector.\n")


def open_source_steps(name: str) -> str:
    return "\n1. Navigate to the Airbyte Open Source dashboard.\n"


def sync_modes_sentence(name: str) -> str:
    return (f"\nThe {name} source connector supports the following "
            "[sync modes](https://docs.airbyte.com/cloud/core-concepts/#connection-sync-modes):\n\n")


def tutorials_sentence(name: str) -> str:
    return f"\nNow that you have set up the {name} source connector, check out the following {name} tutorials:\n\n"


@dataclass(frozen=True)
class DocsPage:
    headings: list[str]
    """Top-level h1–h4 heading names, "Step 1: "/"Step 2: " dropped."""
    sections: dict[str, list[str]]
    """Heading name (as written) -> the raw text under each heading of that name."""

    @classmethod
    def read(cls, path: Path) -> DocsPage:
        return cls.parse(path.read_text(encoding="utf-8"))

    @classmethod
    def parse(cls, text: str) -> DocsPage:
        lines = io.StringIO(text, newline="\n").readlines()
        tree = SyntaxTreeNode(MarkdownIt("commonmark").parse(text.rstrip()))
        found = [(heading_name(node), node.tag, (node.map or (0, 0))[1]) for node in tree.children
                 if node.type == "heading"]
        headings = [drop_step(name) for name, tag, _ in found if tag in LISTED_LEVELS]
        sections: dict[str, list[str]] = {}
        for index, (name, _, start) in enumerate(found):
            end = found[index + 1][2] - 1 if index + 1 < len(found) else len(lines)
            sections.setdefault(name, []).append("".join(lines[start:end]))
        return cls(headings, sections)

    def has(self, heading: str) -> bool:
        return heading in self.headings


def heading_name(node: SyntaxTreeNode) -> str:
    inline = node.children[0] if node.children else None
    pieces = inline.children if inline is not None else []
    return pieces[0].content if pieces else ""


def drop_step(heading: str) -> str:
    for step in ("Step 1: ", "Step 2: "):
        if step in heading:
            return heading.replace(step, "")
    return heading


def starts_like(expected: str, candidates: list[str]) -> str | None:
    """None when one candidate starts with ``expected``; else what the closest one has instead.

    Like Airbyte: each candidate is cut to the expected length and the closest match (difflib,
    ratio >= 0.6) must be equal to it.
    """
    cut = [c[:len(expected)] for c in candidates]
    close = get_close_matches(expected, cut)
    if close and close[0] == expected:
        return None
    return close[0] if close else ""


def changelog_shape(section: str) -> str:
    """The section's top-level blocks by their own text, which only raw HTML and code have (a table,
    a list or a paragraph count as ""): what remains of ``<details>``, a table, ``</details>``."""
    children = SyntaxTreeNode(MarkdownIt("commonmark").parse(section)).children
    pieces: list[str] = []
    for node in children:
        content = node.content.rstrip()
        pieces += [line + "\n" for line in content.split("\n")] if "\n" in content else [content]
    return "".join(pieces)


def without_links(text: str) -> str:
    return URL.sub(DOCS_LINK, text)


def first_difference(actual: str, expected: str) -> str:
    """The first line where ``actual`` departs from ``expected``, quoted, for a one-line message."""
    for have, want in zip(actual.splitlines() + [""] * 99, expected.splitlines(), strict=False):
        if have != want:
            return f"expected '{want}', found '{have}'"
    return f"expected {expected.strip()!r}"
