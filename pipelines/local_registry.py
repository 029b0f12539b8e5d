"""Where scripts/setup.sh keeps the local registry's settings, and reading them.

    settings = read_local_registry()   # {"LOCAL_REGISTRY": "localhost:5000", "LOCAL_REGISTRY_USERNAME": ...}
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = Path(os.environ.get("CONNECTOR_PIPELINES_HOME", Path.home() / ".local/share/connector-pipelines"))
CREDENTIALS_PATH = STATE_DIR / "registry" / "credentials.env"
HTPASSWD_PATH = STATE_DIR / "registry" / "htpasswd"


def read_local_registry(path: Path = CREDENTIALS_PATH) -> dict[str, str]:
    """The ``KEY=value`` lines of credentials.env; empty when setup has not run."""
    if not path.is_file():
        return {}
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
