"""The one time an assembled image carries: ``SOURCE_DATE_EPOCH`` when set, else the time of
the last commit that touched the connector's folder (so unrelated commits keep its digest),
else 0. File times on disk never enter an image (reproducible-builds.org/specs/source-date-epoch)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from connector_build.problems import UserError

ENV = "SOURCE_DATE_EPOCH"


def source_date_epoch(folder: Path) -> int:
    value = os.environ.get(ENV)
    if value:
        if not value.isdigit():
            raise UserError(f"{ENV}={value!r}: expected a number of seconds since 1970")
        return int(value)
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct", "--", "."], cwd=folder,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 0
    return int(out) if out.isdigit() else 0
