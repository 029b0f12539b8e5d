#!/usr/bin/env bash
# Build the Java images from Debian packages and push them to the local registry:
#
#   localhost:5000/airbyte/java-connector-base:2.0.1   Debian bookworm minbase + openjdk-17-jre-headless
#       (+ :2.0.1-amd64, :2.0.1-arm64)                  (bash is in minbase); an OCI index of both
#                                                       platforms, the stand-in for Airbyte's base
#   localhost:5000/connector-pipelines/java-build:17    minbase + openjdk-17-jdk-headless + maven, for
#                                                       linux/amd64 only: connectors' own builds run in
#                                                       it, and jars are platform independent
#
# Idempotent: an image already in the registry is skipped after one HEAD request; root
# filesystems are cached in $CP_HOME/base-images/rootfs. Each platform's cold time is logged.
# Airbyte's base has a JRE 21; Debian bookworm packages 17, which is what the stand-in carries.
#
# Environment: BASE_IMAGES_PLATFORMS, DEBIAN_MIRROR, BASE_IMAGES_PREFIX, BASE_IMAGES_ROOTFS_DIR as in
# build-base-images.sh; JAVA_BUILD_IMAGE overrides where the build image goes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CP_SCRIPTS_DIR/lib-rootfs.sh"

platforms_setting="${BASE_IMAGES_PLATFORMS:-linux/amd64 linux/arm64}"
read -r -a PLATFORMS <<<"${platforms_setting//,/ }"
PREFIX="${BASE_IMAGES_PREFIX:-localhost:$CP_REGISTRY_PORT/airbyte}"
JAVA_REPO=$PREFIX/java-connector-base
JAVA_VERSION=2.0.1
BUILD_IMAGE="${JAVA_BUILD_IMAGE:-localhost:$CP_REGISTRY_PORT/connector-pipelines/java-build:17}"
JRE_INCLUDE=openjdk-17-jre-headless
JDK_INCLUDE=openjdk-17-jdk-headless,maven
OCITOOL=(python3 "$CP_SCRIPTS_DIR/ocitool.py")
ENV_ARGS=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8)

load_registry_credentials
docker info >/dev/null 2>&1 || die "docker does not answer: run scripts/start-docker.sh"

local_arch() { docker image inspect -f '{{.Architecture}}' "$1" 2>/dev/null || true; }

# rootfs ARCH INCLUDE: the cached mmdebstrap tar of minbase + INCLUDE (built on first use; another
# architecture's is unpacked natively and only its maintainer scripts are emulated, see
# lib-rootfs.sh).
rootfs() {
    # The JRE's postinst registers man pages with update-alternatives: the folder must exist
    # even though man pages are not installed (Debian #863199).
    rootfs_tar java "$1" "$2" --aptopt='APT::Install-Recommends "false"' \
        --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*'
}

# load_image TAG PLATFORM INCLUDE LABEL...: the image from its root filesystem, in the daemon.
load_image() {
    local tag="$1" platform="$2" include="$3" arch labels=() label
    arch="$(arch_of "$platform")"
    shift 3
    for label in "$@"; do labels+=(--label "$label"); done
    [[ "$(local_arch "$tag")" == "$arch" ]] && return 0
    "${OCITOOL[@]}" image-tar --rootfs "$(rootfs "$arch" "$include")" --platform "$platform" --tag "$tag" \
        "${ENV_ARGS[@]}" --cmd /bin/bash "${labels[@]}" \
        --label "org.opencontainers.image.description=Local stand-in built from Debian $SUITE packages by connector-pipelines scripts/build-java-base-images.sh" \
        --created-by "mmdebstrap --variant=minbase --architectures=$arch --include=$include $SUITE" | docker load -q >&2
}

# check_java TAG PLATFORM PROGRAM: PROGRAM -version runs in the image on PLATFORM.
check_java() {
    local machine
    machine="$(docker run --rm --network none --platform "$2" --entrypoint uname "$1" -m)"
    docker run --rm --network none --platform "$2" --entrypoint "$3" "$1" -version >/dev/null 2>&1 ||
        die "$1 ($2): $3 -version does not run"
    log "checked $1 ($2): $3 runs, uname -m = $machine"
}

# check_truststore TAG PLATFORM: the image's Java trust store (written by ca-certificates-java's
# maintainer scripts, emulated on another platform) is a Java KeyStore holding Debian's CA
# certificates; read here from the image's file, not by an emulated keytool.
check_truststore() {
    local container="cp-truststore-$$" entries
    docker create -q --name "$container" --platform "$2" "$1" >/dev/null
    entries="$(docker cp -L "$container:/etc/ssl/certs/java/cacerts" - | python3 -c '
import io, struct, sys, tarfile
tar = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
member = tar.next()
data = tar.extractfile(member).read(12) if member and member.isfile() else b""
magic, _version, count = struct.unpack(">III", data) if len(data) == 12 else (0, 0, 0)
print(count if magic == 0xFEEDFEED else 0)
')" || entries=0
    docker rm "$container" >/dev/null
    ((entries >= 100)) || die "$1: /etc/ssl/certs/java/cacerts is missing or holds ${entries:-no} certificates"
    log "checked $1: Java trust store with $entries CA certificates"
}

total=$SECONDS
java_wanted=1
if "${OCITOOL[@]}" has-index "$JAVA_REPO:$JAVA_VERSION" "${PLATFORMS[@]}"; then
    log "$JAVA_REPO:$JAVA_VERSION already in the registry for ${PLATFORMS[*]}: skipping"
    java_wanted=0
fi
# Root filesystems are made in the background, the emulated platform's first (its maintainer
# scripts are the slowest part), then the build image's (needed last), while the host's image
# is made.
declare -A rootfs_job=()
if ((java_wanted)); then
    for p in "${PLATFORMS[@]}"; do
        if [[ "$p" != "$(host_platform)" ]] && ! "${OCITOOL[@]}" has-manifest "$JAVA_REPO:$JAVA_VERSION-$(arch_of "$p")"; then
            rootfs "$(arch_of "$p")" "$JRE_INCLUDE" >/dev/null &
            rootfs_job[$p]=$!
        fi
    done
fi
# From here on (the build image's root filesystem, the host's image) this script yields the CPU
# to the emulated root filesystem, the critical path on a small machine.
((${#rootfs_job[@]} == 0)) || renice -n 5 -p $$ >/dev/null 2>&1 || true
build_rootfs_job=""
if ! "${OCITOOL[@]}" has-manifest "$BUILD_IMAGE" && [[ "$(local_arch "$BUILD_IMAGE")" != amd64 ]]; then
    rootfs amd64 "$JDK_INCLUDE" >/dev/null &
    build_rootfs_job=$!
fi
if ((java_wanted)); then
    tags=()
    for p in $(printf '%s\n' "${PLATFORMS[@]}" | grep -x "$(host_platform)") \
        $(printf '%s\n' "${PLATFORMS[@]}" | grep -vx "$(host_platform)"); do
        tag="$JAVA_REPO:$JAVA_VERSION-$(arch_of "$p")"
        tags+=("$JAVA_VERSION-$(arch_of "$p")")
        "${OCITOOL[@]}" has-manifest "$tag" && { log "$tag already in the registry"; continue; }
        [[ -z "${rootfs_job[$p]:-}" ]] || wait "${rootfs_job[$p]}" || die "the $p root filesystem failed (see above)"
        start=$SECONDS
        load_image "$tag" "$p" "$JRE_INCLUDE" io.airbyte.name=airbyte/java-connector-base "io.airbyte.version=$JAVA_VERSION"
        check_java "$tag" "$p" java
        check_truststore "$tag" "$p"
        docker push -q "$tag" >/dev/null
        log "$tag: image loaded, checked and pushed in $((SECONDS - start))s; $p done $((SECONDS - total))s after the start"
    done
    "${OCITOOL[@]}" put-index "$JAVA_REPO:$JAVA_VERSION" "${tags[@]}" >&2
    for p in $(printf '%s\n' "${PLATFORMS[@]}" | grep -vx "$(host_platform)") $(host_platform); do
        docker pull -q --platform "$p" "$JAVA_REPO:$JAVA_VERSION" >/dev/null
        [[ "$(local_arch "$JAVA_REPO:$JAVA_VERSION")" == "$(arch_of "$p")" ]] || die "$JAVA_REPO:$JAVA_VERSION: no $p image"
    done
    log "pushed the index $JAVA_REPO:$JAVA_VERSION (${PLATFORMS[*]})"
fi

if "${OCITOOL[@]}" has-manifest "$BUILD_IMAGE"; then
    log "$BUILD_IMAGE already in the registry: skipping"
else
    [[ -z "$build_rootfs_job" ]] || wait "$build_rootfs_job" || die "the build image's root filesystem failed"
    start=$SECONDS
    load_image "$BUILD_IMAGE" linux/amd64 "$JDK_INCLUDE" io.airbyte.name=connector-pipelines/java-build
    check_java "$BUILD_IMAGE" linux/amd64 mvn
    docker push -q "$BUILD_IMAGE" >/dev/null
    log "$BUILD_IMAGE built, checked and pushed in $((SECONDS - start))s"
fi
log "done in $((SECONDS - total))s: $JAVA_REPO:$JAVA_VERSION (${PLATFORMS[*]}), $BUILD_IMAGE (linux/amd64)"
