#!/usr/bin/env bash
# Start the Docker daemon (dockerd 20.10 from Debian's docker.io) in the background when
# `docker info` fails, and wait up to 60 s for its socket. There is no systemd here, so
# dockerd is started by hand, detached, logging to $CP_HOME/docker/dockerd.log. It starts
# its own containerd.
#
# Storage driver: overlay2 when the kernel can mount an overlay whose upper dir is on the
# filesystem of /var/lib/docker (measured on this machine's kind: ext4 root, overlay2 works);
# otherwise fuse-overlayfs when installed, else vfs (slow and big, but works anywhere, e.g.
# when /var/lib/docker itself is on overlayfs, as inside another container).
# DOCKER_STORAGE_DRIVER=<driver> forces one.
#
# Knobs (defaults are the usual system daemon): DOCKER_HOST=unix:///path picks the socket,
# CP_DOCKER_DATA_ROOT the data root, CP_DOCKERD_ARGS extra dockerd arguments (e.g. to run a
# second, throw-away daemon: "--exec-root=... --pidfile=... --iptables=false"). Never give a
# second daemon --bridge=none while another runs: dockerd then deletes the docker0 interface
# (removeDefaultBridgeInterface), breaking the first daemon's containers (seen here); give
# it --bridge=<its own bridge> instead.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if docker info >/dev/null 2>&1; then
    log "dockerd already running (storage driver: $(docker info --format '{{.Driver}}'))"
    exit 0
fi

[[ -x /usr/sbin/dockerd ]] || die "no /usr/sbin/dockerd: run scripts/install-deps.sh"
[[ $(id -u) == 0 ]] || die "dockerd must be started as root"

DATA_ROOT="${CP_DOCKER_DATA_ROOT:-/var/lib/docker}"
SOCKET=/var/run/docker.sock
if [[ "${DOCKER_HOST:-}" == unix://* ]]; then
    SOCKET="${DOCKER_HOST#unix://}"
elif [[ -n "${DOCKER_HOST:-}" ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer, and only a unix:// socket can be started here"
fi

# overlay_works: can we mount an overlayfs with its upper and work dirs next to DATA_ROOT?
overlay_works() {
    mkdir -p "$DATA_ROOT"
    local probe
    probe="$(mktemp -d "$DATA_ROOT/.overlay-probe.XXXXXX")"
    mkdir -p "$probe"/{lower,upper,work,merged}
    local ok=1
    if mount -t overlay overlay \
        -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
        touch "$probe/merged/file" 2>/dev/null && ok=0
        umount "$probe/merged"
    fi
    rm -rf "$probe"
    return "$ok"
}

# A data root that already holds another driver's images keeps that driver.
driver="${DOCKER_STORAGE_DRIVER:-}"
if [[ -z "$driver" ]]; then
    if [[ -d "$DATA_ROOT/overlay2" ]] || overlay_works; then
        driver=overlay2
    elif have fuse-overlayfs; then
        driver=fuse-overlayfs
        log "overlayfs cannot be mounted here: falling back to fuse-overlayfs"
    else
        driver=vfs
        log "overlayfs cannot be mounted here: falling back to vfs (slow, uses more disk)"
    fi
fi

read -r -a extra_args <<<"${CP_DOCKERD_ARGS:-}"
logdir="$(state_dir docker)"
log "starting dockerd (storage driver $driver), log: $logdir/dockerd.log"
# setsid + nohup: the daemon must outlive this script and the shell that ran it.
setsid nohup /usr/sbin/dockerd \
    --host="unix://$SOCKET" \
    --data-root="$DATA_ROOT" \
    --storage-driver="$driver" \
    "${extra_args[@]}" \
    >>"$logdir/dockerd.log" 2>&1 </dev/null &
echo $! >"$logdir/dockerd.pid"

start=$SECONDS
wait_for "dockerd (see $logdir/dockerd.log)" 60 docker info
log "dockerd ready after $((SECONDS - start))s: $(docker info --format 'server {{.ServerVersion}}, storage driver {{.Driver}}, cgroup {{.CgroupVersion}}')"
