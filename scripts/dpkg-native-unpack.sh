#!/bin/sh
# dpkg for `mmdebstrap --mode=chrootless` building a root filesystem of another architecture:
# this machine's dpkg unpacks the packages (natively: the slow part under emulation), while
# every maintainer script still runs inside the target, chrooted, as with dpkg inside it (so a
# foreign one runs under qemu-user). Plain chrootless mode would run the scripts on this
# machine, which Debian's packages do not all support (DPKG_ROOT).
#
# mmdebstrap runs `dpkg` from PATH and apt runs Dir::Bin::dpkg: point both here. Calls without
# --root=DIR (queries about this machine) go to dpkg unchanged. With --root=DIR:
#   --force-script-chrootless is dropped: scripts run chrooted into DIR, without the TMPDIR and
#     APT_CONFIG mmdebstrap sets for this machine's tools;
#   DIR's own dpkg settings (DIR/etc/dpkg/dpkg.cfg.d, e.g. path-exclude) are passed on: dpkg
#     reads only this machine's /etc/dpkg (Debian #808203);
#   --force-depends: this dpkg's native architecture is this machine's, so it takes an
#     Architecture: all package's dependencies to mean packages of this machine's architecture
#     and would refuse them; apt, configured for DIR's architecture, has already resolved and
#     ordered every dependency, and build-base-images.sh checks the result with DIR's own dpkg;
#   DIR/proc has a proc file system mounted, as mmdebstrap's default mode does (chrootless mode
#     mounts nothing): ca-certificates-java's postinst refuses to run keytool without it, and
#     Java needs /proc/self. The mount lives in a private mount namespace of this dpkg run only,
#     so it vanishes with it, even when dpkg fails.
set -eu

# Inner half, run by the outer one below in a private mount namespace: mount DIR/proc, serve the
# stand-ins' requests while dpkg runs (see native_requests), then stop.
if [ "${1:-}" = --cp-in-namespace ]; then
    root="$2" serve="$3"
    shift 3
    mount -t proc proc "$root/proc"
    server=""
    if [ "$serve" = 1 ]; then
        here="$(dirname "$(readlink -f "$0")")"
        mkdir -p "$root/run/cp-native"
        mkfifo "$root/run/cp-native/requests"
        sh "$here/native-requests.sh" "$root" &
        server=$!
    fi
    status=0
    /usr/bin/dpkg "$@" || status=$?
    if [ -n "$server" ]; then
        # (a timeout: a server that died has no reader on the FIFO, and opening it would block)
        timeout 10 sh -c 'echo stop >"$1"' sh "$root/run/cp-native/requests" || kill "$server" 2>/dev/null || true
        wait "$server" || status=1
    fi
    exit "$status"
fi

root=""
for arg in "$@"; do
    case "$arg" in --root=*) root="${arg#--root=}" ;; esac
done
[ -n "$root" ] || exec /usr/bin/dpkg "$@"
# As mmdebstrap does for anything it runs in the chroot: its TMPDIR (inside DIR) and APT_CONFIG
# mean nothing there (base-passwd's postinst fails on a TMPDIR it cannot see).
unset TMPDIR APT_CONFIG

first=1
for arg in "$@"; do
    if [ "$first" = 1 ]; then
        set -- --force-depends
        for cfg in "$root"/etc/dpkg/dpkg.cfg.d/*; do
            [ -f "$cfg" ] || continue
            while read -r line; do
                case "$line" in
                    '' | '#'*) ;;
                    *=*) set -- "$@" "--$line" ;;
                    *' '*) set -- "$@" "--${line%% *}=${line#* }" ;;
                    *) set -- "$@" "--$line" ;;
                esac
            done <"$cfg"
        done
        first=0
    fi
    [ "$arg" = --force-script-chrootless ] || set -- "$@" "$arg"
done

# Under emulation the slow maintainer scripts are those that start many processes or compile a
# lot. When dpkg only configures (no package is unpacked in the same run, so none can replace a
# stand-in) and this machine can do the work natively with the same result, two target programs
# are swapped for stand-ins for this run, and put back afterwards:
#   /usr/bin/python3.11 -> python-compile-standin.sh, when this machine's python3.11 is the
#     target's CPython release (same compiler, same .pyc bytes): it queues byte-compile requests
#     and passes every other call to the real interpreter; afterwards this machine's python3.11
#     compiles the queue (native-pycompile.py);
#   /usr/sbin/update-ca-certificates -> ca-certificates-standin.sh: it asks native-requests.sh,
#     running here beside dpkg, to run the target's own script with this machine's shell and
#     tools on the target's certificate folders (hooks, such as ca-certificates-java's, still
#     run inside the target), and waits for its exit status.
# Otherwise (or when this machine lacks what is needed) everything stays emulated.
here="$(dirname "$(readlink -f "$0")")"
python="$root/usr/bin/python3.11"
queue="$root/var/cache/cp-native-pycompile.queue"
cacerts="$root/usr/sbin/update-ca-certificates"
python_standin=0 ca_standin=0
case " $* " in
    *" --unpack "* | *" --install "* | *" -i "*) ;;
    *)
        if [ -f "$python" ] && [ ! -L "$python" ] && [ ! -e "$python.cp-real" ] && [ -x /usr/bin/python3.11 ]; then
            target_release="$(/usr/bin/dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' python3.11-minimal 2>/dev/null || true)"
            host_release="$(/usr/bin/python3.11 -I -S -c 'import platform; print(platform.python_version())')"
            if [ "${target_release%%-*}" = "$host_release" ]; then
                mv "$python" "$python.cp-real"
                cp "$here/python-compile-standin.sh" "$python"
                chmod 755 "$python"
                rm -f "$queue"
                python_standin=1
            fi
        fi
        if [ -f "$cacerts" ] && [ ! -e "$cacerts.cp-real" ] && [ -d "$root/proc" ] && [ -d "$root/run" ] &&
            sh "$here/native-requests.sh" --can-serve; then
            mv "$cacerts" "$cacerts.cp-real"
            cp "$here/ca-certificates-standin.sh" "$cacerts"
            chmod 755 "$cacerts"
            ca_standin=1
        fi
        ;;
esac

status=0
if [ -d "$root/proc" ]; then
    unshare --mount --propagation private "$0" --cp-in-namespace "$root" "$ca_standin" "$@" || status=$?
else
    /usr/bin/dpkg "$@" || status=$?
fi
if [ "$ca_standin" = 1 ]; then
    mv "$cacerts.cp-real" "$cacerts"
    rm -rf "$root/run/cp-native"
fi
if [ "$python_standin" = 1 ]; then
    mv "$python.cp-real" "$python"
    if [ -s "$queue" ]; then
        /usr/bin/python3.11 -I -S "$here/native-pycompile.py" "$root" "$queue" || status=1
    fi
    rm -f "$queue"
fi
exit "$status"
