# shellcheck shell=bash disable=SC2034  # (variables here are used by the scripts that source it)
# Shared helpers for the dev-environment scripts in scripts/. Source it, do not run it:
#
#     source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#     log "doing the thing"
#     wait_for "dockerd socket" 60 docker info
#
# Everything the scripts keep between runs lives under $CP_HOME (the "state dir"):
#     $CP_HOME/docker/dockerd.log            dockerd started by start-docker.sh
#     $CP_HOME/registry/{config.yml,htpasswd,credentials.env,data/,registry.log}
#     $CP_HOME/base-images/rootfs/*.tar      cached mmdebstrap root filesystems
set -euo pipefail

CP_HOME="${CONNECTOR_PIPELINES_HOME:-$HOME/.local/share/connector-pipelines}"
CP_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CP_REPO_ROOT="$(dirname "$CP_SCRIPTS_DIR")"
CP_SCRIPT_NAME="$(basename "${BASH_SOURCE[1]:-$0}" .sh)"

# The local OCI registry started by start-registry.sh.
CP_REGISTRY_HOST=127.0.0.1
CP_REGISTRY_PORT=5000
CP_REGISTRY_CREDENTIALS="$CP_HOME/registry/credentials.env"

# log MESSAGE...: one progress line on stderr, "[hh:mm:ss] script: message".
log() { printf '[%s] %s: %s\n' "$(date +%H:%M:%S)" "$CP_SCRIPT_NAME" "$*" >&2; }

# die MESSAGE...: log an error and exit 1.
die() { log "ERROR: $*"; exit 1; }

# have COMMAND: true when COMMAND is on PATH.
have() { command -v "$1" >/dev/null 2>&1; }

# find_go: print the Go toolchain to build with (PATH first, then the usual install places).
find_go() {
    local candidate
    for candidate in "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
        [[ -n "$candidate" && -x "$candidate" ]] && { printf '%s\n' "$candidate"; return 0; }
    done
    return 1
}

# state_dir [SUBDIR]: create and print $CP_HOME[/SUBDIR].
state_dir() {
    local dir="$CP_HOME${1:+/$1}"
    mkdir -p "$dir"
    printf '%s\n' "$dir"
}

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: run COMMAND (quietly) every half second
# until it succeeds; die after TIMEOUT_SECONDS.
wait_for() {
    local what="$1" timeout="$2"
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            die "timed out after ${timeout}s waiting for $what"
        fi
        sleep 0.5
    done
}

# http_status URL [CURL_ARGS...]: print the HTTP status code of GET URL (000 when nothing answers).
http_status() {
    local url="$1"
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" || true
}

# load_registry_credentials: export LOCAL_REGISTRY, LOCAL_REGISTRY_USERNAME and
# LOCAL_REGISTRY_PASSWORD from the file start-registry.sh wrote.
load_registry_credentials() {
    [[ -r "$CP_REGISTRY_CREDENTIALS" ]] || die "no $CP_REGISTRY_CREDENTIALS: run scripts/start-registry.sh first"
    set -a
    # shellcheck disable=SC1090
    source "$CP_REGISTRY_CREDENTIALS"
    set +a
}

# run_timed LABEL COMMAND...: run COMMAND, then log how long it took.
run_timed() {
    local label="$1" start=$SECONDS
    shift
    "$@"
    log "$label took $((SECONDS - start))s"
}

