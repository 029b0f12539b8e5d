#!/bin/bash
# Stand-in for a foreign root filesystem's /usr/bin/python3.11 while dpkg configures packages,
# put there (and taken away) by dpkg-native-unpack.sh: the maintainer scripts' byte-compile
# requests, `python3.11 -E -S [-O] /usr/lib/python3.11/py_compile.py FILE...` (python3.11*,
# python3-distutils) and `python3.11 [-O] -m py_compile -` with file names on stdin
# (py3compile, for every python3-* package), are queued for this machine's Python, which
# compiles them natively afterwards (native-pycompile.py); every other call runs the real,
# emulated interpreter under the name it was called by (so sys.executable is unchanged).
queue=/var/cache/cp-native-pycompile.queue
args=("$@")
optimize=0
i=0
if [[ "${args[0]:-}" == -E && "${args[1]:-}" == -S ]]; then
    i=2
    [[ "${args[2]:-}" == -O ]] && { optimize=1; i=3; }
    if [[ "${args[i]:-}" == /usr/lib/python3.11/py_compile.py ]] && (($# > i + 1)); then
        for file in "${args[@]:i+1}"; do printf '%s\t%s\n' "$optimize" "$file"; done >>"$queue"
        exit 0
    fi
else
    [[ "${args[0]:-}" == -O ]] && { optimize=1; i=1; }
    if [[ "${args[i]:-}" == -m && "${args[i+1]:-}" == py_compile && "${args[i+2]:-}" == - ]] && (($# == i + 3)); then
        while IFS= read -r file; do printf '%s\t%s\n' "$optimize" "$file"; done >>"$queue"
        exit 0
    fi
fi
exec -a "$0" /usr/bin/python3.11.cp-real "$@"
