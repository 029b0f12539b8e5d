#!/usr/bin/env bash
# The whole dev environment, in order: Debian packages and arm64 emulation, the Docker
# daemon, the local registry (localhost:5000, credentials in
# $CP_HOME/registry/credentials.env) and the base images in it, then the tools built from the Go
# module proxy (scripts/build-go-tools.sh: the S3/GCS test servers, cosign and the Dagger engine,
# left out by CP_SKIP_OBJECT_STORES=1, CP_SKIP_COSIGN=1, CP_SKIP_DAGGER_ENGINE=1) and the engine
# started in the daemon.
# Safe to run again: a second run takes seconds and changes nothing. Ends with one summary line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

total=$SECONDS
timings=()
# A step "a+b" runs a and b side by side: the two base-image scripts wait mostly on emulated
# maintainer scripts and downloads, so together they take about as long as the longer one.
steps=(install-deps start-docker start-registry build-base-images+build-java-base-images)
# The Go-built tools (S3/GCS test servers, cosign, the Dagger engine and its image), each left out
# by its CP_SKIP_* variable there; then the engine is started.
steps+=("build-go-tools --then-engine-image")
[[ "${CP_SKIP_DAGGER_ENGINE:-}" == 1 ]] || steps+=(start-dagger-engine)
# side_by_side STEP...: run scripts/STEP.sh of each STEP at once; fail when any fails. Their lines
# that are not already "[hh:mm:ss] STEP: ..." log lines (mmdebstrap, pip, docker) are prefixed
# with STEP, so the interleaved output stays readable; each one's time is added to $timings.
side_by_side() {
    local timing_file step pids=() failed=0 pid
    timing_file="$(mktemp "${TMPDIR:-/tmp}/cp-setup-timings.XXXXXX")"
    for step in "$@"; do
        (
            start=$SECONDS
            bash "$CP_SCRIPTS_DIR/$step.sh" 2>&1 | sed -u "/^\[[0-9:]*\] /!s/^/  $step: /" >&2
            echo "$step $((SECONDS - start))s" >>"$timing_file"
        ) &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    mapfile -t -O "${#timings[@]}" timings <"$timing_file"
    rm -f "$timing_file"
    ((failed == 0)) || die "setup failed in $* (see above)"
}
for step in "${steps[@]}"; do
    if [[ "$step" == *+* ]]; then
        # shellcheck disable=SC2086 # the step's names, split at "+"
        side_by_side ${step//+/ }
        continue
    fi
    start=$SECONDS
    read -r script arguments <<<"$step"
    # shellcheck disable=SC2086 # the step's arguments, split at spaces
    bash "$CP_SCRIPTS_DIR/$script.sh" $arguments
    timings+=("$script $((SECONDS - start))s")
done

load_registry_credentials
summary="setup ok in $((SECONDS - total))s"
summary+=" | docker $(docker info --format '{{.ServerVersion}} ({{.Driver}})')"
summary+=" | registry $LOCAL_REGISTRY (credentials: $CP_REGISTRY_CREDENTIALS)"
summary+=" | images $LOCAL_REGISTRY/airbyte/python-connector-base:4.0.2, $LOCAL_REGISTRY/airbyte/source-declarative-manifest:7.10.1"
summary+=", $LOCAL_REGISTRY/airbyte/java-connector-base:2.0.1"
summary+=" [${BASE_IMAGES_PLATFORMS:-linux/amd64 linux/arm64}]"
[[ "${CP_SKIP_DAGGER_ENGINE:-}" == 1 ]] || summary+=" | dagger engine: $(head -1 "$CP_HOME/dagger-engine/engine.env")"
summary+=" | steps: $(IFS=,; echo "${timings[*]}")"
log "$summary"
