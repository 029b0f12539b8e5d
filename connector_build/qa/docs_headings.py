"""The heading order Airbyte requires of its strategic Python sources' documentation pages.

Airbyte's ``CheckDocumentationHeadersOrder`` compares the page's h1–h4 headings (parsed as
CommonMark, "Step 1: "/"Step 2: " prefixes dropped, sub-steps after them ignored) with its page
template, walking both in order: a template heading may be skipped when it is optional, a
connector-specific slot swallows headings the template does not name, anything else is out of
place. The template's headings, by name, are below.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

SPECIFIC = "<connector-specific>"
"""A slot for any number of headings the template does not name."""


def template_headings(name: str) -> list[str]:
    return [
        name, "Prerequisites", "Setup guide", f"Set up {name}", "For Airbyte Cloud:", "For Airbyte Open Source:",
        SPECIFIC, f"Set up the {name} connector in Airbyte", "For Airbyte Cloud:", "For Airbyte Open Source:",
        SPECIFIC, "Supported sync modes", "Supported Streams", SPECIFIC, "Performance considerations",
        "Data type map", "Limitations & Troubleshooting", SPECIFIC, "Tutorials", "Changelog",
    ]


def optional_headings(name: str) -> set[str]:
    return {f"Set up the {name} connector in Airbyte", "For Airbyte Cloud:", "For Airbyte Open Source:", SPECIFIC,
            "Performance considerations", "Data type map", "Limitations & Troubleshooting", "Tutorials"}


def page_headings(text: str) -> list[str]:
    """The h1–h4 headings as Airbyte names them: the first inline piece of each heading's text."""
    tokens = MarkdownIt("commonmark").parse(text)
    found = []
    for index, token in enumerate(tokens):
        # Top-level headings only, as Airbyte walks the document's root: not those quoted or in lists.
        if token.type == "heading_open" and token.tag in ("h1", "h2", "h3", "h4") and token.level == 0:
            inline = tokens[index + 1]
            children = inline.children or []
            found.append(children[0].content if children else "")
    return [_drop_step(h) for h in _drop_sub_steps(found)]


def _drop_step(heading: str) -> str:
    for step in ("Step 1: ", "Step 2: "):
        if step in heading:
            return heading.replace(step, "")
    return heading


def _drop_sub_steps(headings: list[str]) -> list[str]:
    """After the (last) "Step 1: " heading, drop step headings other than "Step 2: " that follow it."""
    start = None
    for index, heading in enumerate(headings):
        if "Step 1: " in heading:
            start = index
    if not start:
        return headings
    steps = headings[start:]
    step, index = "Step 1: ", 0
    while index < len(steps):
        if step in steps[index] and index + 1 < len(steps) and re.match(r"Step \d+.?\d*: ", steps[index + 1]):
            if "Step 2: " in steps[index + 1]:
                step, index = "Step 2: ", index + 1
                continue
            del steps[index + 1]
            continue
        break
    return headings[:start] + steps


def heading_order_problem(text: str, name: str) -> str | None:
    """Why the page's headings do not follow the template, or None when they do."""
    actual, expected, optional = page_headings(text), template_headings(name), optional_headings(name)
    a = e = 0
    while a < len(actual) and e < len(expected):
        if expected[e] == SPECIFIC:
            if actual[a] not in expected:
                a += 1
            else:
                e += 1
            continue
        if actual[a] == expected[e]:
            a, e = a + 1, e + 1
            continue
        if expected[e] in optional:
            e += 1
            continue
        return f"heading '{actual[a]}' is out of place or misnamed: the template expects '{expected[e]}' here"
    if e != len(expected):
        required = [h for h in expected[e:] if h not in optional]
        if required:
            return f"missing required headings: {', '.join(repr(h) for h in required)}"
    return None
