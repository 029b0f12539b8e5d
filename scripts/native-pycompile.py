"""Byte-compile, with this machine's Python, the files a foreign root filesystem's maintainer
scripts asked their (emulated) Python to compile.

    python3.11 -I -S native-pycompile.py ROOT QUEUE

QUEUE holds one "OPTIMIZE<TAB>PATH" line per request (OPTIMIZE 0, or 1 for -O), as written by
the python3.11 stand-in dpkg-native-unpack.sh puts in ROOT while dpkg configures packages.
Each PATH (a path inside ROOT) is compiled as the target's own py_compile would do it: the
.pyc goes to ROOT's __pycache__ beside it, the code objects name PATH (not ROOT/PATH), and the
header records the source's mtime and size; absolute symlinks are followed inside ROOT. The
same CPython release on both sides writes the same bytes (the caller checks the release). The
first failure exits 1, as `python3 -m py_compile` does.
"""

import importlib.util
import os
import py_compile
import sys


def inside(root: str, path: str, depth: int = 0) -> str:
    """ROOT/PATH with every symlink resolved as it would be with ROOT as /."""
    if depth > 40:
        raise OSError(f"too many levels of symbolic links: {path}")
    parts = [p for p in path.split("/") if p]
    current = root
    for i, part in enumerate(parts):
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            target = os.readlink(candidate)
            base = "/" + os.path.relpath(current, root) if current != root else "/"
            resolved = target if target.startswith("/") else os.path.join(base, target)
            rest = "/".join(parts[i + 1 :])
            return inside(root, os.path.normpath(resolved + ("/" + rest if rest else "")), depth + 1)
        current = candidate
    return current


def main() -> int:
    root, queue = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.umask(0o022)  # as dpkg runs maintainer scripts
    seen: set[tuple[int, str]] = set()
    with open(queue, encoding="utf-8") as lines:
        requests = [line.rstrip("\n").split("\t", 1) for line in lines if line.strip()]
    for optimize_text, path in requests:
        optimize = int(optimize_text)
        path = os.path.normpath(os.path.join("/", path))  # maintainer scripts run in /
        if (optimize, path) in seen:
            continue
        seen.add((optimize, path))
        cfile = importlib.util.cache_from_source(root + path, optimization=optimize or "")
        try:
            py_compile.compile(inside(root, path), cfile=cfile, dfile=path, optimize=optimize, doraise=True)
        except (py_compile.PyCompileError, OSError) as error:
            print(f"native-pycompile: {path}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
