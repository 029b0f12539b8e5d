"""``report.json``: the run as data, for CI jobs and dashboards (``RunReport.to_dict()``, ASCII-escaped).

Schema (version 1; a field is only ever added, and ``schema_version`` goes up on any other change)::

    {
      "schema_version": 1,                 # int
      "command": "test",                   # the connector-pipelines command that ran
      "engine": "docker",                  # docker | dagger
      "started_at": "2026-03-01T10:00:00+00:00",     # ISO 8601
      "finished_at": "2026-03-01T10:02:13+00:00",    # ISO 8601, null if the run was cut short
      "success": false,                    # no step of any connector failed
      "connectors": [
        {
          "connector": "source-pokeapi",   # folder name
          "version": "0.3.50",             # dockerImageTag
          "success": false,                # none of its steps failed (skipped counts as success)
          "duration_s": 41.2,              # sum of its steps' durations
          "steps": [
            {
              "name": "qa",                # build | qa | unit | spec | ... (run order)
              "status": "failure",         # success | failure | skipped
              "duration_s": 0.031,         # seconds, 3 decimals
              "summary": "1 of 14 checks failed: changelog_entry",   # one line; a skip's reason
              "log_path": "/path/to/logs/source-pokeapi/qa.log",    # full log, or null
              "log_tail": ["✗ changelog_entry: ..."],               # last log lines
              "details": {"checks": [{"name": "...", "status": "fail", "message": "..."}]}
                                           # step-specific data; free-form per step
            }
          ]
        }
      ]
    }
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.reports.files import write_atomic
from pipelines.results import RunReport

FILE_NAME = "report.json"


def render_json(report: RunReport) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str) + "\n"


def write_json(report: RunReport, directory: Path) -> Path:
    return write_atomic(directory / FILE_NAME, render_json(report))

