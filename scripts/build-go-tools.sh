#!/usr/bin/env bash
# Every tool the dev environment builds with Go from the module proxy, one after the other: the
# S3/GCS test servers, cosign, and the Dagger engine's programs (not its image, which needs the
# Docker daemon). They need only Go and the network, nothing setup.sh installs, so .ci/run starts
# this first, in the background, and runs the tests that need none of them meanwhile.
#
#   --then-engine-image   afterwards, wait for the Docker daemon and make the engine's image too
#
# The same CP_SKIP_* variables as setup.sh leave a tool out. Idempotent: each script keeps its
# binaries (and Go its caches), so a second run takes seconds. Ends with one summary line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

total=$SECONDS
timings=()
step() {
    local start=$SECONDS
    bash "$CP_SCRIPTS_DIR/$1.sh" "${@:2}"
    timings+=("$* $((SECONDS - start))s")
}

[[ "${CP_SKIP_OBJECT_STORES:-}" == 1 ]] || step build-object-stores
[[ "${CP_SKIP_COSIGN:-}" == 1 ]] || step build-cosign
if [[ "${CP_SKIP_DAGGER_ENGINE:-}" != 1 ]]; then
    step build-dagger-engine --binaries-only
    if [[ "${1:-}" == --then-engine-image ]]; then
        wait_for "the Docker daemon (started by setup.sh)" 3600 docker info
        step build-dagger-engine
    fi
fi
log "Go tools ok in $((SECONDS - total))s | steps: $(IFS=,; echo "${timings[*]:-none}")"
