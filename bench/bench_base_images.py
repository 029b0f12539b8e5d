"""Cold base images: this checkout's image scripts vs another checkout's, side by side in one run.

    .venv/bin/python bench/bench_base_images.py --before /path/to/other/checkout [--sequential-before]

Needs `bash scripts/setup.sh` (daemon, local registry, qemu). Builds every base image from
nothing with each checkout's scripts/build-base-images.sh and scripts/build-java-base-images.sh,
both at the same time (so both see the same machine load), each under scratch names
(localhost:5000/scratch-bench-<side>/...) with its own fresh root-filesystem dir and pip cache;
the shared images are never touched. This checkout runs the two scripts side by side, as
setup.sh does; --sequential-before runs the other checkout's one after the other, as its
setup.sh did. Prints wall time and CPU time (user + sys of every process, robust to other load)
per side, and each script's own "took" lines. Afterwards the scratch images are removed from the
daemon (the registry keeps the scratch repositories).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SCRIPTS = ("build-base-images.sh", "build-java-base-images.sh")


def start(side: str, checkout: Path, sequential: bool, work: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """Start one side's cold build in the background; return the process and its log dir."""
    logs = work / side
    logs.mkdir()
    env = dict(
        os.environ,
        BASE_IMAGES_PREFIX=f"localhost:5000/scratch-bench-{side}/airbyte",
        JAVA_BUILD_IMAGE=f"localhost:5000/scratch-bench-{side}/java-build:17",
        BASE_IMAGES_ROOTFS_DIR=str(logs / "rootfs"),
        XDG_CACHE_HOME=str(logs / "cache"),
        PIP_CACHE_DIR=str(logs / "cache" / "pip"),
    )
    runs = [f"bash {checkout}/scripts/{script} >{logs}/{script}.log 2>&1" for script in SCRIPTS]
    if sequential:
        command = " && ".join(runs)
    else:
        command = f"{runs[0]} & one=$!; {runs[1]} & two=$!; wait $one; a=$?; wait $two; b=$?; exit $((a | b))"
    return subprocess.Popen(["bash", "-c", command], env=env), logs


def scratch_images(side: str) -> list[str]:
    """The daemon's images under this side's scratch names."""
    listed = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True, text=True, check=False
    ).stdout.split()
    return [image for image in listed if image.startswith(f"localhost:5000/scratch-bench-{side}/")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (e.g. a worktree of main)")
    parser.add_argument(
        "--sequential-before", action="store_true", help="run the other checkout's two scripts one after the other"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cp-bench-base-images.") as tmp:
        work = Path(tmp)
        load = os.getloadavg()
        began = time.monotonic()
        sides = {
            "before": start("before", args.before.resolve(), args.sequential_before, work),
            "after": start("after", HERE, False, work),
        }
        results: dict[str, tuple[int, float, float]] = {}
        pending = {proc.pid: side for side, (proc, _logs) in sides.items()}
        while pending:
            pid, status, usage = os.wait4(-1, 0)
            if pid in pending:
                side = pending.pop(pid)
                cpu = usage.ru_utime + usage.ru_stime
                results[side] = (os.waitstatus_to_exitcode(status), time.monotonic() - began, cpu)
        end_load = os.getloadavg()[0]
        print(f"load average at the start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; at the end: {end_load:.1f}")
        print(f"{'side':<8} {'exit':>4} {'wall s':>7} {'CPU s':>7}  checkout")
        for side, (_proc, logs) in sides.items():
            code, wall, cpu = results[side]
            checkout = args.before if side == "before" else HERE
            print(f"{side:<8} {code:>4} {wall:>7.0f} {cpu:>7.0f}  {checkout}")
            for script in SCRIPTS:
                for line in (logs / f"{script}.log").read_text(errors="replace").splitlines():
                    if re.search(r" took \d+s| done in \d+s|built and pushed", line):
                        print(f"    {line[:150]}")
        for side in sides:
            images = scratch_images(side)
            if images:
                subprocess.run(["docker", "rmi", "-f", *images], capture_output=True, check=False)


if __name__ == "__main__":
    main()
