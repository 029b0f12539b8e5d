#!/usr/bin/env bash
# Build the two object-store servers the integration tests publish to, from the Go module proxy:
#
#   gofakes3         an S3-compatible server (MIT), honours PutObject `If-None-Match: *`
#   fake-gcs-server  a GCS emulator (BSD-2), honours uploads' `ifGenerationMatch=0`
#
# into $CP_HOME/object-stores/<name>-<version>/bin/<name>, and record where they are in
# $CP_HOME/object-stores/current.env (read by tests/integration/object_stores.py).
# Each is `go install -trimpath` of the module's own command at one pinned version, so its own
# go.mod and go.sum pin every dependency and nothing fetched enters this repository.
#
# Idempotent and cached by version: a second run only checks that both binaries exist.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# package@version -> binary name
declare -A SERVERS=(
    [github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0]=gofakes3
    [github.com/fsouza/fake-gcs-server@v1.56.1]=fake-gcs-server
)

GO="$(find_go)" || die "no Go toolchain: install Go >= 1.26 (fake-gcs-server's go.mod asks for it)"

state="$(state_dir object-stores)"
env_lines=()
start=$SECONDS
for target in "${!SERVERS[@]}"; do
    name="${SERVERS[$target]}"
    version="${target##*@}"
    bin_dir="$state/$name-$version/bin"
    if [[ -x "$bin_dir/$name" ]]; then
        log "$name $version cached in $bin_dir"
    else
        log "go install $target into $bin_dir"
        started=$SECONDS
        mkdir -p "$bin_dir.tmp"
        GOBIN="$bin_dir.tmp" GOFLAGS=-mod=readonly GOTOOLCHAIN=auto CGO_ENABLED=0 \
            "$GO" install -trimpath -ldflags '-s -w' "$target"
        mkdir -p "$bin_dir"
        mv "$bin_dir.tmp/$name" "$bin_dir/$name"
        rm -rf "$bin_dir.tmp"
        log "built $name $version in $((SECONDS - started))s"
    fi
    var="$(tr 'a-z-' 'A-Z_' <<<"$name")_BIN"
    env_lines+=("$var=$bin_dir/$name")
done
printf '%s\n' "${env_lines[@]}" | LC_ALL=C sort >"$state/current.env.tmp"
mv "$state/current.env.tmp" "$state/current.env"
log "object-store servers ready in $((SECONDS - start))s: $(tr '\n' ' ' <"$state/current.env")"
