"""Install a Poetry export inside a build stage, or say in one line why the lock cannot be honoured.

This file is copied into the dependency stage and run there by the base image's own Python
(3.9 or newer, standard library and pip only: it imports nothing from connector-pipelines).

    python locked_install.py dependencies.json /install       # the locked dependencies
    python locked_install.py --package package.json /package  # the connector, editable, from its build files

Before pip runs, every package the lock installs on this interpreter is checked: the project's
``python = "…"`` range, each package's own Python range, and a wheel for this platform or an
sdist among the lock's files. A failure prints one line starting with FAILURE_PREFIX (engines
report that line) and exits 1. Then pip installs exactly the locked versions, hashes checked and
no resolution (``--no-deps``), under the given root; last, the build backend the connector's own
package needs goes into this stage (not under the root, so never into the image).

With ``--package``, run in the connector's code folder holding only its build files: an empty
module per package include is created, then the connector is installed editable (metadata,
console scripts, a .pth naming this folder) with no index and no resolution. That install reads
no code, so a code change never re-runs it; the image's copy of the code is what it imports.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

FAILURE_PREFIX = "connector-pipelines: cannot build: "
"""Kept equal to connector_build.plan.FAILURE_PREFIX (a unit test checks it)."""
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
QUIET_ROOT = "--root-user-action=ignore"
"""A build stage runs as root by design; pip's warning about it is noise in every build log."""


def fail(message: str) -> None:
    print(FAILURE_PREFIX + message, flush=True)
    sys.exit(1)


def marker_holds(marker: str) -> bool:
    from pip._vendor.packaging.markers import Marker

    return not marker or Marker(marker).evaluate()


def supported_tags() -> set:
    # The tags pip installs by come from this same packaging code; importing pip's own wrapper
    # would load most of pip, which costs half a minute under arm64 emulation.
    from pip._vendor.packaging.tags import sys_tags

    return set(sys_tags())


def installable_here(files: list, tags: set) -> bool:
    from pip._vendor.packaging.utils import parse_wheel_filename

    for name in files:
        if name.endswith(SDIST_SUFFIXES):
            return True
        if name.endswith(".whl") and tags.intersection(parse_wheel_filename(name)[3]):
            return True
    return False


def check(lock: dict) -> None:
    python = platform.python_version()
    if not marker_holds(lock["project_python_marker"]):
        fail(f"{lock['project_name']}: pyproject.toml says python = \"{lock['project_python']}\", "
             f"the base image's Python is {python}")
    tags = supported_tags()
    where = f"{platform.machine()}, {platform.python_implementation()} {python}"
    for package in lock["packages"]:
        if not marker_holds(package["marker"]):
            continue  # not installed here (another platform or Python)
        name = f"{package['name']} {package['version']}"
        if not marker_holds(package["python_marker"]):
            fail(f"{name}: needs Python {package['requires_python']}, the base image's Python is {python}")
        if package["files"] and not installable_here(package["files"], tags):
            fail(f"{name}: poetry.lock has no wheel for this platform ({where}) and no sdist")


def pip(*args: str) -> tuple[int, list[str]]:
    """Run pip, echoing its output, and return its exit code and output lines."""
    process = subprocess.Popen([sys.executable, "-m", "pip", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line.rstrip())
    return process.wait(), lines


def pip_reason(lines: list) -> str:
    errors = [line.removeprefix("ERROR: ").strip() for line in lines if line.startswith("ERROR:")]
    return errors[-1] if errors else (lines[-1] if lines else "no output")


def install_package(lock: dict, root: str) -> None:
    for path in lock["package_skeleton"]:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        open(path, "a").close()
    code, lines = pip("install", "--no-deps", "--no-index", "--no-build-isolation", "--no-warn-script-location",
                      QUIET_ROOT, f"--root={root}", "--editable", ".")
    if code != 0:
        fail(f"{lock['project_name']} {lock['project_version']}: cannot install the connector's own package: "
             f"{pip_reason(lines)}")


def main() -> None:
    package_mode = sys.argv[1] == "--package"
    lock_path, root = sys.argv[-2], sys.argv[-1]
    with open(lock_path, encoding="utf-8") as handle:
        lock = json.load(handle)
    if package_mode:
        install_package(lock, root)
        return
    check(lock)
    requirements = os.path.join(os.path.dirname(os.path.abspath(lock_path)), "requirements.txt")
    with open(requirements, "w", encoding="utf-8") as handle:
        handle.write(lock["requirements"])
    if lock["requirements"].strip():
        code, lines = pip("install", "--no-deps", "--require-hashes", "--no-warn-script-location", QUIET_ROOT,
                          f"--root={root}", "-r", requirements)
        if code != 0:
            fail(f"pip could not install the locked packages: {pip_reason(lines)}")
    else:
        os.makedirs(root, exist_ok=True)  # nothing locked for this platform: an empty root to copy
    if not lock["build_requires"]:
        return  # package-mode = false: nothing of the project's own to build, so no network needed here
    code, lines = pip("install", "--no-warn-script-location", QUIET_ROOT, *lock["build_requires"])
    if code != 0:
        fail(f"cannot install the build backend {' '.join(lock['build_requires'])}: {pip_reason(lines)}")


if __name__ == "__main__":
    main()
