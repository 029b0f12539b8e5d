"""``junit.xml``: the run in the format every CI system renders (GitHub, GitLab, Jenkins, Buildkite).

One ``<testsuite>`` per connector, one ``<testcase>`` per step; a failed step carries
``<failure message="summary">`` with its log tail as text, a skipped one ``<skipped message="reason">``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pipelines.reports.files import write_atomic
from pipelines.reports.text import clean
from pipelines.results import RunReport, StepStatus

FILE_NAME = "junit.xml"


def junit_tree(report: RunReport) -> ET.Element:
    steps = [step for c in report.connectors for step in c.steps]
    root = ET.Element("testsuites", {
        "name": f"connector-pipelines {report.command}",
        "tests": str(len(steps)),
        "failures": str(sum(s.status is StepStatus.FAILURE for s in steps)),
        "skipped": str(sum(s.status is StepStatus.SKIPPED for s in steps)),
        "errors": "0",
        "time": _seconds(sum(s.duration_s for s in steps)),
    })
    for connector in report.connectors:
        suite = ET.SubElement(root, "testsuite", {
            "name": connector.connector,
            "tests": str(len(connector.steps)),
            "failures": str(sum(s.status is StepStatus.FAILURE for s in connector.steps)),
            "skipped": str(sum(s.status is StepStatus.SKIPPED for s in connector.steps)),
            "errors": "0",
            "time": _seconds(connector.duration_s),
            "timestamp": report.started_at.isoformat(),
        })
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "version", "value": connector.version})
        ET.SubElement(properties, "property", {"name": "engine", "value": report.engine})
        for step in connector.steps:
            case = ET.SubElement(suite, "testcase", {
                "classname": connector.connector, "name": step.name, "time": _seconds(step.duration_s),
            })
            if step.status is StepStatus.FAILURE:
                failure = ET.SubElement(case, "failure", {"message": clean(step.summary), "type": "failure"})
                failure.text = clean("\n".join(step.log_tail)) or clean(step.summary)
            elif step.status is StepStatus.SKIPPED:
                ET.SubElement(case, "skipped", {"message": clean(step.summary)})
            if step.log_path:
                ET.SubElement(case, "system-out").text = f"full log: {step.log_path}"
    return root


def render_junit(report: RunReport) -> str:
    tree = junit_tree(report)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"


def write_junit(report: RunReport, directory: Path) -> Path:
    return write_atomic(directory / FILE_NAME, render_junit(report))


def _seconds(value: float) -> str:
    return f"{value:.3f}"
