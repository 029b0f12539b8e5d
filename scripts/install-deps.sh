#!/usr/bin/env bash
# Install the Debian packages the dev environment needs, and register qemu's aarch64 binfmt
# handler so linux/arm64 containers run under emulation. Idempotent: apt runs only when a
# binary is missing; the binfmt registration is skipped when already enabled.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# binary that proves the package is installed -> Debian package
# CP_SKIP_BROWSER=1 leaves out chromium and its driver (only the browser tests need them; the
# demo sets it, `.ci/run` does not).
declare -A PACKAGE_FOR=(
    [/usr/sbin/dockerd]=docker.io
    [/usr/bin/docker-registry]=docker-registry
    [/usr/bin/mmdebstrap]=mmdebstrap
    [/usr/bin/qemu-aarch64-static]=qemu-user-static
    [/usr/sbin/update-binfmts]=binfmt-support
    [/usr/bin/htpasswd]=apache2-utils
    [/usr/bin/chromium]=chromium
    [/usr/bin/chromedriver]=chromium-driver  # the browser tests of the report and the registry page
    [/usr/bin/curl]=curl
    [/usr/sbin/iptables]=iptables
)

if [[ "${CP_SKIP_BROWSER:-}" == 1 ]]; then
    unset 'PACKAGE_FOR[/usr/bin/chromium]' 'PACKAGE_FOR[/usr/bin/chromedriver]'
fi

missing=()
for binary in "${!PACKAGE_FOR[@]}"; do
    [[ -x "$binary" ]] || missing+=("${PACKAGE_FOR[$binary]}")
done

if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "need root to install: ${missing[*]}"
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    start=$SECONDS
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    log "apt-get install took $((SECONDS - start))s"
else
    log "Debian packages already installed"
fi

# The docker CLI: Debian's docker.io ships /usr/bin/docker; a newer one on PATH is fine too.
have docker || die "no docker CLI after installing docker.io"

# binfmt_misc: without systemd nobody mounts it or loads the handlers that qemu-user-static
# ships, so do both. The handler has the F (fix-binary) flag: the kernel opens the
# interpreter at registration time, so it also works inside containers' mount namespaces.
BINFMT=/proc/sys/fs/binfmt_misc
if ! mountpoint -q "$BINFMT"; then
    log "mounting binfmt_misc on $BINFMT"
    mount -t binfmt_misc binfmt_misc "$BINFMT"
fi
if [[ -e "$BINFMT/qemu-aarch64" ]] && head -n1 "$BINFMT/qemu-aarch64" | grep -qx enabled; then
    log "qemu-aarch64 binfmt handler already enabled"
else
    log "enabling the qemu-aarch64 binfmt handler"
    if ! update-binfmts --enable qemu-aarch64 2>/dev/null || [[ ! -e "$BINFMT/qemu-aarch64" ]]; then
        # Fallback: register directly from the systemd-binfmt file the package ships.
        conf=/usr/lib/binfmt.d/qemu-aarch64.conf
        [[ -r "$conf" ]] || die "cannot enable qemu-aarch64: no update-binfmts result and no $conf"
        [[ -e "$BINFMT/qemu-aarch64" ]] || grep -v '^#' "$conf" >"$BINFMT/register"
    fi
    if ! { [[ -e "$BINFMT/qemu-aarch64" ]] && head -n1 "$BINFMT/qemu-aarch64" | grep -qx enabled; }; then
        die "qemu-aarch64 binfmt handler is not enabled"
    fi
fi
grep -q '^flags: .*F' "$BINFMT/qemu-aarch64" ||
    log "WARNING: qemu-aarch64 handler lacks the F flag; arm64 containers may fail to start"
log "done: packages present, arm64 emulation via $(sed -n 's/^interpreter //p' "$BINFMT/qemu-aarch64")"
