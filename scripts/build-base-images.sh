#!/usr/bin/env bash
# Build local stand-ins for Airbyte's base images from Debian packages, for linux/amd64 and
# linux/arm64, and push them to the local registry (start-registry.sh) as multi-arch OCI
# image indexes:
#
#   localhost:5000/airbyte/python-connector-base:4.0.2        Debian bookworm minbase + python3,
#       (+ :4.0.2-amd64, :4.0.2-arm64)                          python3-venv, python3-pip
#   localhost:5000/airbyte/source-declarative-manifest:7.10.1  the above + airbyte-cdk 7.10.1,
#       (+ :7.10.1-amd64, :7.10.1-arm64)                        entrypoint source-declarative-manifest
#
# Idempotent: an image whose index (covering the wanted platforms) is already in the registry
# is skipped after one HEAD request; a platform tag already pushed is not rebuilt; root
# filesystems are cached in $CP_HOME/base-images/rootfs.
#
# Environment:
#   BASE_IMAGES_PLATFORMS  platforms to build, default "linux/amd64 linux/arm64"
#   DEBIAN_MIRROR          apt mirror for mmdebstrap (default: deb.debian.org, else this
#                          machine's own apt sources)
#   CP_SPEC_MANIFEST       manifest.yaml used to check `spec` (default: shared fixtures'
#                          source-pokeapi, else one from examples/)
#   BASE_IMAGES_PREFIX     where the images go, default localhost:5000/airbyte (a scratch
#                          prefix such as localhost:5000/scratch/airbyte builds side by side)
#   BASE_IMAGES_ROOTFS_DIR where root filesystems are cached, default $CP_HOME/base-images/rootfs
#
# Speed on a fresh machine: only what must run on the target platform is emulated. Python
# packages for another platform than this machine's are installed by this machine's pip
# (--platform, wheels only: airbyte-cdk and all its dependencies publish aarch64 wheels) and
# byte-compiled by this machine's Python when it has the image's version, then copied into
# the image; there is no emulated pip run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CP_SCRIPTS_DIR/lib-rootfs.sh"

platforms_setting="${BASE_IMAGES_PLATFORMS:-linux/amd64 linux/arm64}"
read -r -a PLATFORMS <<<"${platforms_setting//,/ }"
((${#PLATFORMS[@]})) || die "BASE_IMAGES_PLATFORMS is empty"
for p in "${PLATFORMS[@]}"; do
    [[ "$p" == linux/amd64 || "$p" == linux/arm64 ]] || die "unsupported platform $p (linux/amd64, linux/arm64)"
done

PREFIX="${BASE_IMAGES_PREFIX:-localhost:$CP_REGISTRY_PORT/airbyte}"
BASE_REPO=$PREFIX/python-connector-base
BASE_VERSION=4.0.2
SDM_REPO=$PREFIX/source-declarative-manifest
SDM_VERSION=7.10.1 # = the airbyte-cdk version inside, as in Airbyte's own image
INCLUDE=python3,python3-venv,python3-pip,python-is-python3,ca-certificates
HOST_CA=/etc/ssl/certs/ca-certificates.crt
OCITOOL=(python3 "$CP_SCRIPTS_DIR/ocitool.py")
BASE_ENV=(
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    LANG=C.UTF-8
    PIP_BREAK_SYSTEM_PACKAGES=1
    PIP_DISABLE_PIP_VERSION_CHECK=1
    PYTHONUNBUFFERED=1
)

load_registry_credentials
docker info >/dev/null 2>&1 || die "docker does not answer: run scripts/start-docker.sh"

# local_arch IMAGE: "arch" or "arch/variant" of a local image, empty when absent.
local_arch() {
    docker image inspect -f '{{.Architecture}}{{if .Variant}}/{{.Variant}}{{end}}' "$1" 2>/dev/null || true
}

# image_absent TAG PLATFORM: TAG is neither in the registry nor, for PLATFORM, in the daemon: it
# must be built.
image_absent() {
    ! "${OCITOOL[@]}" has-manifest "$1" && [[ "$(local_arch "$1")" != "$(arch_of "$2")"* ]]
}

# check_platform IMAGE PLATFORM: the image's config and a real run both say PLATFORM.
check_platform() {
    local image="$1" platform="$2" arch got machine
    arch="$(arch_of "$platform")"
    got="$(local_arch "$image")"
    [[ "${got%%/*}" == "$arch" ]] || die "$image: docker image inspect says $got, wanted $arch"
    machine="$(docker run --rm --network none --platform "$platform" --entrypoint uname "$image" -m)"
    [[ "$machine" == "$(uname_of "$platform")" ]] || die "$image: uname -m printed $machine on $platform"
    log "checked $image: architecture $got, uname -m = $machine"
}

# rootfs PLATFORM: print the path of the cached root filesystem tar, building it if needed.
rootfs() {
    rootfs_tar minbase "$(arch_of "$1")" "$INCLUDE"
}

# push_index REPO VERSION: join REPO:VERSION-<arch> of every wanted platform under REPO:VERSION,
# then pull it back for each platform and check the architecture (this machine's platform
# last, so the local REPO:VERSION tag is the native image).
push_index() {
    local repo="$1" version="$2" p tags=() got host
    for p in "${PLATFORMS[@]}"; do tags+=("$version-$(arch_of "$p")"); done
    log "putting OCI image index $repo:$version -> ${tags[*]}"
    "${OCITOOL[@]}" put-index "$repo:$version" "${tags[@]}" >&2
    host="$(host_platform)"
    for p in $(printf '%s\n' "${PLATFORMS[@]}" | grep -vx "$host") $(printf '%s\n' "${PLATFORMS[@]}" | grep -x "$host"); do
        docker pull -q --platform "$p" "$repo:$version" >/dev/null
        got="$(local_arch "$repo:$version")"
        [[ "${got%%/*}" == "$(arch_of "$p")" ]] || die "docker pull --platform $p $repo:$version gave $got"
        log "checked: docker pull --platform $p $repo:$version gives $got"
    done
}

# ------------------------------------------------------------------ python-connector-base

# build_base PLATFORM...: REPO:VERSION-<arch> of python-connector-base, built, checked and pushed.
build_base() {
    local p arch tag rootfs_tar
    for p in "$@"; do
        arch="$(arch_of "$p")"
        tag="$BASE_REPO:$BASE_VERSION-$arch"
        if "${OCITOOL[@]}" has-manifest "$tag"; then
            log "$tag already in the registry"
            continue
        fi
        if [[ "$(local_arch "$tag")" != "$arch"* ]]; then
            rootfs_tar="$(rootfs "$p")"
            log "docker load $tag (image tarball with architecture $arch written by ocitool.py)"
            local env_args=() e
            for e in "${BASE_ENV[@]}"; do env_args+=(--env "$e"); done
            "${OCITOOL[@]}" image-tar --rootfs "$rootfs_tar" --platform "$p" --tag "$tag" \
                "${env_args[@]}" --cmd /bin/bash \
                --label "io.airbyte.name=airbyte/python-connector-base" \
                --label "io.airbyte.version=$BASE_VERSION" \
                --label "org.opencontainers.image.description=Local stand-in built from Debian $SUITE packages by connector-pipelines scripts/build-base-images.sh" \
                --created-by "mmdebstrap --variant=minbase --architectures=$arch --include=$INCLUDE $SUITE" |
                docker load -q >&2
        fi
        check_platform "$tag" "$p"
        docker run --rm --network none --platform "$p" "$tag" python -c 'import ensurepip, venv, ssl, sys; print(sys.version.split()[0])' >/dev/null ||
            die "$tag: python3 with venv and ssl does not run"
        # Byte-compiled by this machine's Python on another platform (dpkg-native-unpack.sh): the
        # image's interpreter must accept every Debian module's .pyc as it would its own.
        docker run --rm --network none --platform "$p" --entrypoint python3 "$tag" -I -B -c "$PYC_CHECK" >&2 ||
            die "$tag: the Python modules' byte-code is missing or stale"
        log "docker push $tag"
        docker push -q "$tag" >/dev/null
    done
}

# ------------------------------------------------------------------ source-declarative-manifest

# PYC_CHECK: Python that fails unless every module Debian's packages put under /usr/lib/python3*
# has the .pyc its interpreter would load (magic number, and the source's mtime and size in the
# header; the -O ones too where present) and the standard library's first imports come from
# them; prints how many it checked.
PYC_CHECK='
import glob, importlib.util, os, struct, sys
magic = importlib.util.MAGIC_NUMBER
bad = []
sources = [p for d in ("/usr/lib/python3", "/usr/lib/python%d.%d" % sys.version_info[:2])
           for p in glob.glob(d + "/**/*.py", recursive=True)]
pycs = 0
for source in sources:
    st = os.stat(source)
    for opt in ("", 1):
        pyc = importlib.util.cache_from_source(source, optimization=opt)
        if opt and not os.path.exists(pyc):
            continue
        try:
            with open(pyc, "rb") as f:
                head = f.read(16)
        except OSError:
            bad.append(pyc); continue
        pycs += 1
        if head[:4] != magic or struct.unpack("<III", head[4:16]) != (0, int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF):
            bad.append(pyc)
import json, email.message, ssl, venv, http.client
if bad or not all(m.__cached__ and os.path.exists(m.__cached__) for m in (json, email.message, ssl, venv, http.client)):
    sys.exit("stale or missing .pyc: %d of %d, e.g. %s" % (len(bad), len(sources), bad[:3]))
print("checked %d .pyc files of %d modules" % (pycs, len(sources)))
'

# cdk_version: $SDM_VERSION when PyPI has it, else the nearest 7.x (logged loudly).
cdk_version() {
    local versions
    versions="$(cd / && python3 -m pip index versions airbyte-cdk 2>/dev/null | sed -n 's/^Available versions: //p')"
    [[ -n "$versions" ]] || die "pip index versions airbyte-cdk gave nothing (is PyPI reachable?)"
    python3 - "$SDM_VERSION" "$versions" <<'PY'
import sys
want = tuple(int(x) for x in sys.argv[1].split("."))
versions = [tuple(int(x) for x in v.split(".")) for v in sys.argv[2].split(", ") if v.replace(".", "").isdigit()]
if want in versions:
    print(sys.argv[1]); sys.exit()
same_major = sorted(v for v in versions if v[0] == want[0])
older = [v for v in same_major if v < want]
pick = older[-1] if older else same_major[0]
print(".".join(map(str, pick)))
PY
}

# spec_manifest: path of a real manifest-only connector's manifest.yaml, or nothing.
spec_manifest() {
    local candidate
    for candidate in "${CP_SPEC_MANIFEST:-}" \
        "$CP_REPO_ROOT/../shared/fixtures/airbyte/connectors/source-pokeapi/manifest.yaml" \
        /work/shared/fixtures/airbyte/connectors/source-pokeapi/manifest.yaml \
        $(find "$CP_REPO_ROOT/examples" -name manifest.yaml 2>/dev/null | sort | head -1); do
        [[ -n "$candidate" && -r "$candidate" ]] && { readlink -f "$candidate"; return 0; }
    done
    return 0
}

# check_spec IMAGE PLATFORM: the manifest mounted where Airbyte puts it answers `spec`.
check_spec() {
    local image="$1" platform="$2" manifest start
    manifest="$(spec_manifest)"
    if [[ -z "$manifest" ]]; then
        log "WARNING: no manifest.yaml found to check \`spec\` on $image ($platform); set CP_SPEC_MANIFEST"
        return 0
    fi
    start=$SECONDS
    docker run --rm --platform "$platform" --network none \
        -v "$manifest:/airbyte/integration_code/source_declarative_manifest/manifest.yaml:ro" \
        -w /airbyte/integration_code/source_declarative_manifest \
        "$image" spec 2>&1 | "${OCITOOL[@]}" find-message SPEC >/dev/null ||
        die "$image ($platform): \`spec\` with $manifest printed no SPEC message"
    log "checked $image ($platform): \`spec\` with $(basename "$(dirname "$manifest")")/manifest.yaml prints a SPEC message ($((SECONDS - start))s)"
}

# python_version IMAGE PLATFORM: "3.11" for the image's python3 (emulated, a second at most).
python_version() {
    docker run --rm --network none --platform "$2" --entrypoint python3 "$1" -c \
        'import sys; print("%d.%d" % sys.version_info[:2])'
}

# The Python release of Debian $SUITE's python3, which the images run. Another platform's
# packages are staged for it in the background before that platform's image exists (build_sdm
# checks the image's own python3 agrees before using them).
SUITE_PYTHON=3.11

# host_python: "3.11" for this machine's python3.
host_python() { python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

# cross_install_cdk PLATFORM VERSION PY [BASE]: write to stdout a tar of airbyte-cdk==VERSION and its
# dependencies for PLATFORM, laid out as the image's own `pip install` lays them out
# (/usr/local/lib/pythonX.Y/dist-packages, scripts in /usr/local/bin starting #!/usr/bin/python3),
# installed by this machine's pip from wheels for PLATFORM (no emulation), byte-compiled here
# when this machine's Python is PY (same bytecode), else inside the image BASE (needed then).
cross_install_cdk() {
    local platform="$1" version="$2" py="$3" base="${4:-}" machine work site tags=() glibc
    machine="$(uname_of "$platform")"
    # Debian bookworm has glibc 2.36: every manylinux tag up to it, as the image's pip accepts.
    for ((glibc = 36; glibc >= 17; glibc--)); do tags+=(--platform "manylinux_2_${glibc}_$machine"); done
    tags+=(--platform "manylinux2014_$machine")
    work="$(mktemp -d "${TMPDIR:-/tmp}/cp-cross-cdk.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    site="$work/root/usr/local/lib/python$py/dist-packages"
    python3 -m venv "$work/venv" >&2 # an empty environment: pip's conflict check sees only the target
    "$work/venv/bin/pip" install -q --disable-pip-version-check --no-warn-script-location --no-compile \
        --progress-bar off --only-binary=:all: --implementation cp --python-version "$py" \
        --abi "cp${py/./}" "${tags[@]}" --target "$site" "airbyte-cdk==$version" >&2 ||
        die "pip could not install airbyte-cdk==$version for $platform from wheels"
    mkdir -p "$work/root/usr/local/bin" "$work/root/airbyte/integration_code/source_declarative_manifest"
    mv "$site/bin/"* "$work/root/usr/local/bin/" && rmdir "$site/bin"
    sed -i '1s|^#!.*python.*$|#!/usr/bin/python3|' "$work/root/usr/local/bin/"*
    if [[ "$(host_python)" == "$py" ]]; then
        python3 -m compileall -q -j 0 -d "/usr/local/lib/python$py/dist-packages" "$site" >/dev/null ||
            die "compileall of the $platform packages failed"
    else
        [[ -n "$base" ]] || die "this machine's Python is not $py and no $platform image to byte-compile in"
        log "this machine's Python is not $py: byte-compiling inside the $platform image (emulated)"
        docker run --rm --network none --platform "$platform" -v "$work/root/usr/local/lib:/usr/local/lib" \
            --entrypoint python3 "$base" -m compileall -q "/usr/local/lib/python$py/dist-packages" >/dev/null
    fi
    tar -C "$work/root" --owner=0 --group=0 --numeric-owner -cf - usr airbyte
}

# build_sdm PLATFORM...: the same for source-declarative-manifest (its base must be built).
build_sdm() {
    local version="" p arch tag base container start config py
    for p in "$@"; do
        arch="$(arch_of "$p")"
        tag="$SDM_REPO:$SDM_VERSION-$arch"
        if "${OCITOOL[@]}" has-manifest "$tag"; then
            log "$tag already in the registry"
            continue
        fi
        if [[ "$(local_arch "$tag")" != "$arch"* ]]; then
            if [[ -z "$version" ]]; then
                version="${STAGED_CDK_VERSION:-$(cdk_version)}"
                [[ "$version" == "$SDM_VERSION" ]] ||
                    log "WARNING: airbyte-cdk==$SDM_VERSION is not on PyPI; using the nearest 7.x, $version"
            fi
            base="$BASE_REPO:$BASE_VERSION-$arch"
            [[ "$(local_arch "$base")" == "$arch"* ]] || docker pull -q "$base" >/dev/null
            container="cp-build-sdm-$arch-$$" # per run: two runs (e.g. a scratch PREFIX) never share one
            docker rm -f "$container" >/dev/null 2>&1 || true
            start=$SECONDS
            if [[ "$p" == "$(host_platform)" ]]; then
                # Not a Dockerfile: dockerd 20.10's classic builder cannot mount a file into a RUN
                # step, and a COPY'd CA bundle would stay in a layer. Instead pip runs in a
                # container with host networking and this machine's CA bundle bind-mounted over
                # the image's own (a mount is not part of the committed layer), and PIP_CERT is
                # set inside the command, not in the container's env (commit would keep it).
                log "pip install airbyte-cdk==$version for $p (host network, host CA mounted)"
                docker run --name "$container" --platform "$p" --network host \
                    -v "$HOST_CA:/etc/ssl/certs/ca-certificates.crt:ro" \
                    --entrypoint /bin/sh "$base" -c "
                        PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
                        pip install --no-cache-dir --no-warn-script-location --root-user-action=ignore --progress-bar off -q 'airbyte-cdk==$version' &&
                        mkdir -p /airbyte/integration_code/source_declarative_manifest &&
                        rm -rf /root/.cache /tmp/*" >&2
            else
                # Another platform: this machine's pip installs its wheels, nothing is emulated.
                log "pip install airbyte-cdk==$version for $p on this machine (--platform, wheels only)"
                docker create -q --name "$container" --platform "$p" "$base" >/dev/null
                py="$(python_version "$base" "$p")"
                if [[ -n "${staged_job[$p]:-}" ]]; then
                    wait "${staged_job[$p]}" || die "staging airbyte-cdk for $p failed (see above)"
                    [[ "$py" == "$SUITE_PYTHON" ]] ||
                        die "$base runs Python $py, its packages were staged for $SUITE_PYTHON: set SUITE_PYTHON"
                    docker cp - "$container:/" <"$STAGE_DIR/$arch.tar"
                    rm -f "$STAGE_DIR/$arch.tar"
                else
                    cross_install_cdk "$p" "$version" "$py" "$base" | docker cp - "$container:/"
                fi
            fi
            log "pip install for $p took $((SECONDS - start))s"
            # The commit replaces entrypoint and cmd with the image's own.
            docker commit -m "pip install airbyte-cdk==$version" \
                --change 'WORKDIR /airbyte/integration_code' \
                --change 'ENV AIRBYTE_ENTRYPOINT=source-declarative-manifest' \
                --change 'ENTRYPOINT ["source-declarative-manifest"]' \
                --change 'CMD []' \
                --change "LABEL io.airbyte.name=airbyte/source-declarative-manifest io.airbyte.version=$SDM_VERSION io.airbyte.cdk-version=$version" \
                "$container" "$tag" >/dev/null
            docker rm "$container" >/dev/null
        fi
        check_platform "$tag" "$p"
        config="$(docker image inspect -f '{{json .Config.Env}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$tag")"
        [[ "$config" != *PIP_CERT* && "$config" != *SSL_CERT_FILE* ]] || die "$tag: build-time CA settings leaked into the image config: $config"
        [[ "$config" == *'["source-declarative-manifest"]'* ]] || die "$tag: wrong entrypoint: $config"
        check_spec "$tag" "$p"
        log "docker push $tag"
        docker push -q "$tag" >/dev/null
    done
}

# ------------------------------------------------------------------ main

wanted=()
for image in base sdm; do
    case "$image" in
        base) repo="$BASE_REPO" version="$BASE_VERSION" ;;
        sdm) repo="$SDM_REPO" version="$SDM_VERSION" ;;
    esac
    if "${OCITOOL[@]}" has-index "$repo:$version" "${PLATFORMS[@]}"; then
        log "$repo:$version already in the registry for ${PLATFORMS[*]}: skipping"
    else
        wanted+=("$image")
    fi
done

# This machine's platform first; meanwhile the other platforms' root filesystems (emulated, the
# longest step of a first run) are made in the background, so the two overlap.
host="$(host_platform)"
ordered=()
for p in "${PLATFORMS[@]}"; do [[ "$p" == "$host" ]] && ordered=("$p" "${ordered[@]}") || ordered+=("$p"); done
declare -A rootfs_job=()
if [[ " ${wanted[*]} " == *" base "* ]]; then
    for p in "${ordered[@]}"; do
        if [[ "$p" != "$host" ]] && image_absent "$BASE_REPO:$BASE_VERSION-$(arch_of "$p")" "$p"; then
            rootfs "$p" >/dev/null &
            rootfs_job[$p]=$!
        fi
    done
fi
# Another platform's airbyte-cdk packages (pip on this machine, from wheels) are staged in the
# background too, so its image is finished as soon as its root filesystem is: only when this
# machine's Python can byte-compile them (else build_sdm installs them once the image exists).
declare -A staged_job=()
STAGED_CDK_VERSION=""
STAGE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cp-staged-cdk.XXXXXX")"
trap 'rm -rf "$STAGE_DIR"' EXIT
if [[ " ${wanted[*]} " == *" sdm "* && "$(host_python)" == "$SUITE_PYTHON" ]]; then
    for p in "${ordered[@]}"; do
        if [[ "$p" != "$host" ]] && image_absent "$SDM_REPO:$SDM_VERSION-$(arch_of "$p")" "$p"; then
            STAGED_CDK_VERSION="${STAGED_CDK_VERSION:-$(cdk_version)}"
            log "staging airbyte-cdk==$STAGED_CDK_VERSION for $p in the background (this machine's pip, wheels only)"
            cross_install_cdk "$p" "$STAGED_CDK_VERSION" "$SUITE_PYTHON" >"$STAGE_DIR/$(arch_of "$p").tar" &
            staged_job[$p]=$!
        fi
    done
fi
# The emulated root filesystems are the critical path on a small machine: everything this script
# starts from here on (the host's root filesystem, pip, checks) yields the CPU to them.
((${#rootfs_job[@]} == 0)) || renice -n 5 -p $$ >/dev/null 2>&1 || true
start=$SECONDS
for p in "${ordered[@]}"; do
    if [[ -n "${rootfs_job[$p]:-}" ]]; then
        log "waiting for the $p root filesystem"
        wait "${rootfs_job[$p]}" || die "the $p root filesystem failed (see above)"
    fi
    [[ " ${wanted[*]} " == *" base "* ]] && build_base "$p"
    [[ " ${wanted[*]} " == *" sdm "* ]] && build_sdm "$p"
done
[[ " ${wanted[*]} " == *" base "* ]] && push_index "$BASE_REPO" "$BASE_VERSION"
[[ " ${wanted[*]} " == *" sdm "* ]] && push_index "$SDM_REPO" "$SDM_VERSION"
((${#wanted[@]})) && log "${wanted[*]} built and pushed for ${PLATFORMS[*]} in $((SECONDS - start))s"
log "done: $BASE_REPO:$BASE_VERSION and $SDM_REPO:$SDM_VERSION (${PLATFORMS[*]})"
