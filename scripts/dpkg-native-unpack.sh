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
#     reads only this machine's /etc/dpkg;
#   --force-depends: this dpkg's native architecture is this machine's, so it takes an
#     Architecture: all package's dependencies to mean packages of this machine's architecture
#     and would refuse them; apt, configured for DIR's architecture, has already resolved and
#     ordered every dependency, and build-base-images.sh checks the result with DIR's own dpkg.
set -eu
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
exec /usr/bin/dpkg "$@"
