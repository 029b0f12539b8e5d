"""``report.html``: the run for people, one self-contained file (no external CSS, fonts or scripts),
so it opens from a CI artifact store or a mail attachment exactly as it was written.

Every value reaches the page through Jinja's autoescaping: log lines are connector output, and a
``<script>`` in a log must show as text, never run.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from pipelines.reports.files import write_atomic
from pipelines.reports.text import clean, clean_lines
from pipelines.results import RunReport

FILE_NAME = "report.html"
TEMPLATE = "report.html.j2"

_environment = Environment(
    loader=PackageLoader("pipelines.reports", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: RunReport) -> str:
    data = report.to_dict()
    for connector in data["connectors"]:
        for step in connector["steps"]:
            step["summary"] = clean(step["summary"])
            step["log_tail"] = clean_lines(step["log_tail"])
            details = step["details"]
            shown = json.dumps(details, indent=2, ensure_ascii=False, default=str) if details else ""
            step["details_json"] = clean(shown)
    # A Counter answers 0 for a status no step had; Jinja falls back from counts.x to counts["x"].
    counts: Counter[str] = Counter(step["status"] for c in data["connectors"] for step in c["steps"])
    return _environment.get_template(TEMPLATE).render(run=data, counts=counts)


def write_html(report: RunReport, directory: Path) -> Path:
    return write_atomic(directory / FILE_NAME, render_html(report))

