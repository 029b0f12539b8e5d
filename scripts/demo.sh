#!/usr/bin/env bash
# The main job, end to end, on the example monorepo (examples/monorepo):
#   set up the machine (daemon, local registry, base images), install the tool,
#   build and test every example connector (Python, manifest-only, and source-tiny-orders in
#   Java, built with Maven in a JDK container), publish them to the local registry
#   (localhost:5000, both platforms), and generate the OSS and Cloud registry JSON.
#
#     bash scripts/demo.sh            # the store ends up in .connector-pipelines/demo-store
#
# Safe to run again: the second publish finds every version recorded and pushes nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CP_REPO_ROOT"

# The demo needs no browser (chromium is for the browser tests): install-deps and setup leave it out.
export CP_SKIP_BROWSER="${CP_SKIP_BROWSER:-1}"
# The tool's own install needs only Python (install-deps gives python3-venv): it runs while
# setup builds the base images.
bash scripts/install-deps.sh
install_log="$(state_dir)/demo-install-python.log"
# The tool alone (no test and lint tools), at a lower priority than setup: on 2 cores the
# emulated arm64 root filesystems are the critical path.
CP_PYTHON_EXTRAS="${CP_PYTHON_EXTRAS-}" nice -n 10 bash scripts/install-python.sh >"$install_log" 2>&1 &
install_pid=$!
# The demo runs on the Docker engine: the Dagger engine (a 20-minute Go build on a fresh machine)
# is left to `.ci/run` and to `bash scripts/setup.sh`.
# The demo runs on the Docker engine and needs none of the test-only tools (cosign, the S3/GCS
# servers): a first run skips their Go builds unless asked otherwise.
CP_SKIP_DAGGER_ENGINE="${CP_SKIP_DAGGER_ENGINE:-1}" CP_SKIP_COSIGN="${CP_SKIP_COSIGN:-1}" \
    CP_SKIP_OBJECT_STORES="${CP_SKIP_OBJECT_STORES:-1}" bash scripts/setup.sh
wait "$install_pid" || { cat "$install_log" >&2; die "install-python.sh failed"; }
cat "$install_log" >&2

# shellcheck disable=SC1090
source "$CP_REGISTRY_CREDENTIALS"
export DOCKER_HUB_USERNAME="$LOCAL_REGISTRY_USERNAME" DOCKER_HUB_PASSWORD="$LOCAL_REGISTRY_PASSWORD"

cp=".venv/bin/connector-pipelines"
repo="examples/monorepo"
store="$CP_REPO_ROOT/.connector-pipelines/demo-store"

log "validate and list"
"$cp" --repo "$repo" validate
"$cp" --repo "$repo" list

log "build (host platform)"
"$cp" --repo "$repo" build

log "test: QA checks, unit tests, smoke runs"
"$cp" --repo "$repo" test

log "publish to $LOCAL_REGISTRY (linux/amd64 + linux/arm64) and regenerate the registries"
"$cp" --repo "$repo" publish --registry "$LOCAL_REGISTRY" --store "$store" \
  --base-url "http://127.0.0.1:8080/files/"

log "the generated registries"
"$cp" registry show --store "$store" --registry oss
"$cp" registry show --store "$store" --registry cloud
log "files: $store/registries/v0/oss_registry.json and cloud_registry.json"
log "browse them: $cp registry serve --store $store --port 8080  (then open http://127.0.0.1:8080/)"
