# shellcheck shell=bash
# Root filesystems from Debian packages for the base-image scripts (build-base-images.sh,
# build-java-base-images.sh). Source it after lib.sh:
#
#     source "$CP_SCRIPTS_DIR/lib-rootfs.sh"
#     tar="$(rootfs_tar minbase arm64 python3,python3-venv [MMDEBSTRAP_OPTION...])"
#
# Environment: DEBIAN_MIRROR (apt mirror; default deb.debian.org, else this machine's own apt
# sources), BASE_IMAGES_ROOTFS_DIR (where tars are cached, default $CP_HOME/base-images/rootfs).

SUITE=bookworm

arch_of() { printf '%s\n' "${1#linux/}"; }
host_platform() { case "$(uname -m)" in x86_64) echo linux/amd64 ;; aarch64 | arm64) echo linux/arm64 ;; *) uname -m ;; esac; }
uname_of() { case "$1" in linux/amd64) echo x86_64 ;; linux/arm64) echo aarch64 ;; esac; }

# debian_mirror: the first mirror that serves $SUITE: $DEBIAN_MIRROR, deb.debian.org, then
# the ones in this machine's apt sources.
debian_mirror() {
    local candidates=() uri
    [[ -n "${DEBIAN_MIRROR:-}" ]] && candidates+=("$DEBIAN_MIRROR")
    candidates+=(http://deb.debian.org/debian)
    while read -r uri; do
        candidates+=("$uri")
    done < <(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -nE 's#^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?://[^[:space:]]*/debian)/?([[:space:]].*)?$#\3#p')
    for uri in "${candidates[@]}"; do
        if [[ "$(http_status "$uri/dists/$SUITE/Release" -I)" == 200 ]]; then
            printf '%s\n' "$uri"
            return 0
        fi
    done
    die "no reachable Debian mirror for $SUITE (tried: ${candidates[*]}); set DEBIAN_MIRROR"
}

# Another platform's root filesystem: emulating its dpkg (qemu-user) to unpack every package
# was most of the slowest step of a first run. Instead mmdebstrap's chrootless mode makes this
# machine's apt and dpkg do the work, through dpkg-native-unpack.sh, which keeps every
# maintainer script running inside the target (chrooted, emulated) as in the default mode. The
# result is the same tree, file for file (same packages, contents, modes, owners, dpkg
# database); the customize hooks drop the build-time apt setting and have the target's own dpkg
# audit its database (an unconfigured or half-installed package fails the build). The two
# costliest kinds of maintainer-script work, Python byte-compiling and update-ca-certificates,
# are done natively too, with the same result (see dpkg-native-unpack.sh).
FOREIGN_DPKG_DIR=""

# foreign_dpkg_init: make $FOREIGN_DPKG_DIR (removed on exit), whose `dpkg` is
# dpkg-native-unpack.sh. Not in a subshell: the variable and the trap must outlive the call.
foreign_dpkg_init() {
    [[ -z "$FOREIGN_DPKG_DIR" ]] || return 0
    FOREIGN_DPKG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cp-foreign-dpkg.XXXXXX")"
    # shellcheck disable=SC2064 # the path is fixed now
    trap "rm -rf '$FOREIGN_DPKG_DIR'" EXIT
    ln -s "$CP_SCRIPTS_DIR/dpkg-native-unpack.sh" "$FOREIGN_DPKG_DIR/dpkg"
}

# foreign_dpkg_options: print mmdebstrap's options for a foreign root filesystem, one a line
# (after foreign_dpkg_init).
foreign_dpkg_options() {
    printf '%s\n' --mode=chrootless \
        "--aptopt=Dir::Bin::dpkg \"$FOREIGN_DPKG_DIR/dpkg\"" \
        '--customize-hook=sed -i "/Dir::Bin::dpkg/d" "$1/etc/apt/apt.conf.d/99mmdebstrap"' \
        '--customize-hook=audit="$(chroot "$1" dpkg --audit)"; [ -z "$audit" ] || { echo "$audit" >&2; exit 1; }'
}

# slowest_configures DPKG_LOG [N]: the N (default 5) packages whose configure step (maintainer
# scripts: emulated on a foreign platform) took longest, as "package 12s" words on one line.
slowest_configures() {
    awk '$3 == "status" && $4 == "half-configured" { split($2, t, ":"); began[$5] = $1 " " t[1] * 3600 + t[2] * 60 + t[3] }
         $3 == "status" && $4 == "installed" && ($5 in began) { split($2, t, ":"); split(began[$5], b, " ")
             if (b[1] == $1) print t[1] * 3600 + t[2] * 60 + t[3] - b[2], $5; delete began[$5] }' "$1" |
        sort -rn | head -n "${2:-5}" | awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $2, $1 }'
}

# rootfs_tar NAME ARCH INCLUDE [MMDEBSTRAP_OPTION...]: print the path of the cached tar of a
# Debian $SUITE minbase + INCLUDE for ARCH, building it first if needed (natively for this
# machine's architecture, else through dpkg-native-unpack.sh). The cache key covers everything
# that shapes the tar: suite, architecture, packages, the options, and the text of this file and
# of the scripts dpkg-native-unpack.sh runs (a change to any rebuilds); not the mirror.
rootfs_tar() {
    local name="$1" arch="$2" include="$3" key dir out start foreign=() how="natively"
    shift 3
    local options=(--quiet --variant=minbase --architectures="$arch" --include="$include"
        --aptopt='Acquire::Retries "3"'
        --dpkgopt='path-exclude=/usr/share/man/*'
        --dpkgopt='path-exclude=/usr/share/doc/*'
        "$@"
        --dpkgopt='path-include=/usr/share/doc/*/copyright') # last, as the images always had it
    key="$({
        printf '%s\0' "$SUITE" "$arch" "${options[@]}"
        cat "${BASH_SOURCE[0]}" "$CP_SCRIPTS_DIR/dpkg-native-unpack.sh" \
            "$CP_SCRIPTS_DIR/python-compile-standin.sh" "$CP_SCRIPTS_DIR/native-pycompile.py" \
            "$CP_SCRIPTS_DIR/ca-certificates-standin.sh" "$CP_SCRIPTS_DIR/native-requests.sh"
    } | sha256sum | cut -c1-12)"
    dir="${BASE_IMAGES_ROOTFS_DIR:-$(state_dir base-images/rootfs)}"
    mkdir -p "$dir"
    out="$dir/$SUITE-$name-$arch-$key.tar"
    if [[ -s "$out" ]]; then
        log "rootfs cached: $out"
        printf '%s\n' "$out"
        return 0
    fi
    if [[ "linux/$arch" != "$(host_platform)" ]]; then
        foreign_dpkg_init
        mapfile -t foreign < <(foreign_dpkg_options)
        how="unpacked by this machine's dpkg, maintainer scripts emulated (but byte-compiling and update-ca-certificates)"
    fi
    local mirror
    mirror="$(debian_mirror)"
    log "mmdebstrap $SUITE $arch + $include from $mirror, $how (cached as $out)"
    start=$SECONDS
    rm -f "$out.tmp" "$out.dpkg.log"
    # dpkg's log, kept beside the tar (mmdebstrap empties var/log): which maintainer scripts cost.
    PATH="${FOREIGN_DPKG_DIR:+$FOREIGN_DPKG_DIR:}$PATH" mmdebstrap "${options[@]}" \
        --customize-hook="cp \"\$1/var/log/dpkg.log\" \"$out.dpkg.log\" || true" "${foreign[@]}" \
        --format=tar "$SUITE" "$out.tmp" "$mirror" >&2
    mv "$out.tmp" "$out"
    log "mmdebstrap $arch + $include took $((SECONDS - start))s ($(du -h "$out" | cut -f1));" \
        "slowest configures: $( [[ -s "$out.dpkg.log" ]] && slowest_configures "$out.dpkg.log")"
    printf '%s\n' "$out"
}
