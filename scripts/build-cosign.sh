#!/usr/bin/env bash
# Build the real `cosign` CLI from the Go module proxy, for the interoperability tests of our
# signatures (tests/integration/test_cosign_interop.py): cosign verifies what we sign, and we
# verify what cosign signs.
#
#   $CP_HOME/cosign/<version>/cosign      and $CP_HOME/cosign/current.env (COSIGN_BIN=...)
#
# One exact version, `go install -trimpath` of its cmd/cosign (the module's own go.mod and
# go.sum pin every dependency), for this machine's platform only. v2 rather than v3: v2 stores
# signatures as the `sha256-<hex>.sig` tag by default, the format ours follow.
#
# Idempotent and cached: the binary is kept per version; Go's module and build caches persist.
# A second run takes well under a second.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COSIGN_MODULE=github.com/sigstore/cosign/v2
COSIGN_VERSION="${COSIGN_VERSION:-v2.6.5}"

dir="$(state_dir "cosign/$COSIGN_VERSION")"
bin="$dir/cosign"
if [[ ! -x "$bin" ]]; then
    GO="$(find_go)" || die "no Go toolchain: install Go >= 1.21 (it fetches the release go.mod asks for)"
    log "go install $COSIGN_MODULE/cmd/cosign@$COSIGN_VERSION into $dir (first build takes a few minutes)"
    start=$SECONDS
    rm -rf "$dir/.build"
    GOBIN="$dir/.build" GOTOOLCHAIN=auto CGO_ENABLED=0 GOFLAGS=-trimpath \
        "$GO" install -ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN_VERSION" \
        "$COSIGN_MODULE/cmd/cosign@$COSIGN_VERSION"
    mv "$dir/.build/cosign" "$bin"
    rm -rf "$dir/.build"
    log "go install of cosign $COSIGN_VERSION took $((SECONDS - start))s"
fi
printf 'COSIGN_VERSION=%s\nCOSIGN_BIN=%s\n' "$COSIGN_VERSION" "$bin" >"$(state_dir cosign)/current.env"
log "cosign $COSIGN_VERSION: $bin"
