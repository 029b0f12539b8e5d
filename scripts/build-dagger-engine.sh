#!/usr/bin/env bash
# Build the Dagger engine, its CLI and helpers from the Go module proxy, and the engine image
# from Debian packages, into the local Docker daemon:
#
#   $CP_HOME/dagger-engine/<version>-<key>/bin/{dagger,dagger-engine,dial-stdio,dnsname,dagger-init}
#   connector-pipelines/dagger-engine:<version>   (also tagged :<version>-<key>)
#
# The Go programs come from github.com/dagger/dagger at the version scripts/dagger-engine/go.mod
# requires (the same as the pinned dagger-io), built through that wrapper module; see its
# go.mod and standins/README.md for what the module proxy refuses and what stands in for it.
# The image follows Dagger's own recipe (.dagger/modules/engine-dev in that module): the engine
# at /usr/local/bin/dagger-engine behind tini, runc, CNI plugins in /opt/cni/bin with dnsname,
# dial-stdio also as buildctl (how `docker-container://` clients reach it), dnsmasq, iptables,
# git, ssh. /etc/dagger/engine.json mirrors docker.io to the local registry (plain HTTP on
# localhost:5000, reached with host networking); the machine's CA bundle is trusted.
#
# `--binaries-only` stops after the Go programs (no Docker daemon needed): scripts/build-go-tools.sh.
#
# Idempotent and cached: Go's module and build caches persist (GOMODCACHE, GOCACHE); binaries
# are kept per source key, the Debian root filesystem per package list, the image per key.
# A second run takes seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
shopt -s inherit_errexit # a failing step inside $(...) stops the script too

module_dir="$CP_SCRIPTS_DIR/dagger-engine"
version="$(grep -oE '^(require )?[[:space:]]*github\.com/dagger/dagger v[0-9][^[:space:]]*' "$module_dir/go.mod" | awk '{ print $NF; exit }')"
[[ "$version" == v* ]] || die "no github.com/dagger/dagger version in $module_dir/go.mod"
IMAGE_REPO=connector-pipelines/dagger-engine
SUITE=bookworm
PACKAGES=ca-certificates,runc,containernetworking-plugins,dnsmasq,iptables,git,openssh-client,tini,pigz,xz-utils,fuse3
HOST_CA=/etc/ssl/certs/ca-certificates.crt

# ------------------------------------------------------------------ Go toolchain

GO="$(find_go)" || die "no Go toolchain: install Go >= 1.21 (it fetches the release go.mod asks for)"

# ------------------------------------------------------------------ binaries

# source_key: hash of everything the binaries are built from (our module, its stand-ins, flags).
ldflags="-s -w -X github.com/dagger/dagger/engine.Version=$version -X github.com/dagger/dagger/engine.Tag=$version"
tags="dfexcludepatterns,dfparents"
source_key() {
    (
        cd "$module_dir"
        find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort | xargs sha256sum
        printf '%s|%s|%s|static-init\n' "$ldflags" "$tags" "$("$GO" env GOVERSION GOARCH)"
    ) | sha256sum | cut -c1-12
}
key="$(source_key)"
bin_dir="$(state_dir "dagger-engine/$version-$key")/bin"
# package in github.com/dagger/dagger -> file name in the image
declare -A COMMANDS=(
    [cmd/dagger]=dagger
    [cmd/engine]=dagger-engine
    [cmd/dialstdio]=dial-stdio
    [cmd/dnsname]=dnsname
    [cmd/init]=dagger-init
)
# dagger-init runs inside every exec's container, arm64 ones too (under emulation), where no
# x86-64 dynamic loader exists: it must be static. The others run in the engine's own image.
declare -A CGO=([cmd/init]=0)

build_binaries() {
    local pkg missing=()
    for pkg in "${!COMMANDS[@]}"; do
        [[ -x "$bin_dir/${COMMANDS[$pkg]}" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        log "binaries cached in $bin_dir"
        return 0
    fi
    mkdir -p "$bin_dir"
    log "go build of Dagger $version (${missing[*]}) into $bin_dir; first build: about 9 min of CPU, 5-6 min on 2 idle cores"
    local start=$SECONDS
    for pkg in "${missing[@]}"; do
        (
            cd "$module_dir"
            # -mod=readonly: go.sum holds every hash, so no checksum-database lookups either
            # (the proxy's copy of it lacks a few of Dagger's pseudo-versions).
            GOFLAGS=-mod=readonly GOTOOLCHAIN=auto CGO_ENABLED="${CGO[$pkg]:-$("$GO" env CGO_ENABLED)}" \
                "$GO" build -tags "$tags" -ldflags "$ldflags" \
                -o "$bin_dir/${COMMANDS[$pkg]}.tmp" "github.com/dagger/dagger/$pkg"
        )
        mv "$bin_dir/${COMMANDS[$pkg]}.tmp" "$bin_dir/${COMMANDS[$pkg]}"
        log "built ${COMMANDS[$pkg]} ($((SECONDS - start))s so far)"
    done
    log "go build took $((SECONDS - start))s"
    "$bin_dir/dagger" version >&2
}

# ------------------------------------------------------------------ image

rootfs_tar() {
    local key dir out start
    key="$(printf '%s|%s|amd64|v1' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-12)"
    dir="$(state_dir dagger-engine/rootfs)"
    out="$dir/$SUITE-engine-$key.tar"
    if [[ ! -s "$out" ]]; then
        log "mmdebstrap $SUITE with $PACKAGES (cached as $out)"
        start=$SECONDS
        rm -f "$out.tmp"
        mmdebstrap --quiet --variant=minbase --architectures=amd64 --include="$PACKAGES" \
            --aptopt='Acquire::Retries "3"' \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --format=tar "$SUITE" "$out.tmp" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2
        mv "$out.tmp" "$out"
        log "mmdebstrap took $((SECONDS - start))s"
    fi
    printf '%s\n' "$out"
}

engine_json() {
    cat <<JSON
{
  "registries": {
    "docker.io": { "mirrors": ["localhost:$CP_REGISTRY_PORT"] },
    "localhost:$CP_REGISTRY_PORT": { "http": true }
  }
}
JSON
}

entrypoint_sh() {
    cat <<'SH'
#!/bin/sh
# Engine entrypoint (our own, after Dagger's engine-dev one): cgroup v2 nesting, many open
# files (one SQLite database per client), then tini as PID 1 in front of the engine.
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p /sys/fs/cgroup/engine
    xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/engine/cgroup.procs || :
    sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control
fi
ulimit -n 1048576 || echo "cannot raise the open files limit, going on" >&2
exec tini -- /usr/local/bin/dagger-engine --config /etc/dagger/engine.toml "$@"
SH
}

dockerfile() {
    cat <<DOCKERFILE
FROM $1
COPY bin/ /usr/local/bin/
COPY dial-stdio /usr/bin/dial-stdio
COPY dnsname /opt/cni/bin/dnsname
COPY engine.json engine.toml /etc/dagger/
COPY host-ca.crt /usr/local/share/ca-certificates/connector-pipelines-host.crt
COPY dagger-entrypoint.sh /usr/local/bin/dagger-entrypoint.sh
RUN ln -sf /usr/bin/dial-stdio /usr/bin/buildctl \\
 && ln -sf /usr/sbin/runc /usr/local/bin/runc \\
 && ln -sf /usr/sbin/xtables-legacy-multi /usr/bin/xtables-legacy-multi \\
 && ln -sf /usr/sbin/xtables-nft-multi /usr/bin/xtables-nft-multi \\
 && for p in /usr/lib/cni/*; do ln -sf "\$p" /opt/cni/bin/; done \\
 && mkdir -p /var/lib/dagger /run/dagger \\
 && update-ca-certificates >/dev/null
# /usr/bin first: the engine points /usr/bin/iptables* at the xtables backend the host uses.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin
LABEL org.opencontainers.image.version=$version \\
      org.opencontainers.image.description="Dagger engine $version built from the Go module proxy and Debian $SUITE packages by connector-pipelines"
VOLUME /var/lib/dagger
ENTRYPOINT ["dagger-entrypoint.sh"]
DOCKERFILE
}

build_image() {
    local image_key tag rootfs base
    image_key="$(printf '%s|%s|%s|%s|%s|%s' "$key" "$PACKAGES" "$(engine_json)" "$(entrypoint_sh)" "$(dockerfile base)" \
        "$(sha256sum <"$HOST_CA")" |
        sha256sum | cut -c1-12)"
    tag="$IMAGE_REPO:$version-$image_key"
    if docker image inspect "$tag" >/dev/null 2>&1; then
        log "image $tag already built"
    else
        rootfs="$(rootfs_tar)"
        base="$IMAGE_REPO-rootfs:$(basename "$rootfs" .tar)"
        if ! docker image inspect "$base" >/dev/null 2>&1; then
            log "docker import $base"
            docker import -q "$rootfs" "$base" >/dev/null
        fi
        context="$(mktemp -d "${TMPDIR:-/tmp}/cp-dagger-engine.XXXXXX")"
        trap 'rm -rf "${context:-}"' EXIT
        mkdir "$context/bin"
        cp "$bin_dir/dagger-engine" "$bin_dir/dagger-init" "$bin_dir/dagger" "$context/bin/"
        cp "$bin_dir/dial-stdio" "$bin_dir/dnsname" "$context/"
        engine_json >"$context/engine.json"
        : >"$context/engine.toml"
        entrypoint_sh >"$context/dagger-entrypoint.sh"
        chmod 755 "$context/dagger-entrypoint.sh"
        cp "$HOST_CA" "$context/host-ca.crt"
        dockerfile "$base" >"$context/Dockerfile"
        log "docker build $tag"
        DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$context" >/dev/null
        rm -rf "$context"
        trap - EXIT
    fi
    docker tag "$tag" "$IMAGE_REPO:$version"
    printf '%s\n' "$tag"
}

start=$SECONDS
build_binaries
if [[ "${1:-}" == --binaries-only ]]; then # build-go-tools.sh: no daemon needed yet
    log "dagger $version: binaries in $bin_dir ($((SECONDS - start))s); the image is made on the next run"
    exit 0
fi
docker info >/dev/null 2>&1 || die "docker does not answer: run scripts/start-docker.sh"
image="$(build_image)"
printf 'DAGGER_VERSION=%s\nDAGGER_ENGINE_IMAGE=%s\nDAGGER_CLI_BIN=%s\n' "$version" "$image" "$bin_dir/dagger" \
    >"$(state_dir dagger-engine)/current.env"
log "dagger $version: image $image, CLI $bin_dir/dagger ($((SECONDS - start))s)"
