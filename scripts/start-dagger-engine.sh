#!/usr/bin/env bash
# Start the Dagger engine that build-dagger-engine.sh built, in the local Docker daemon, as
# Dagger runs it: privileged, its state in a named volume, here with host networking so its
# registry mirror reaches the local registry on localhost:5000.
#
# "Privileged" is spelled out: every capability but CAP_SYS_RESOURCE, no seccomp or AppArmor
# profile, /proc and /sys unmasked, the cgroup tree writable. `docker run --privileged` fails
# where the daemon itself lacks a capability (here CAP_SYS_RESOURCE is not in its bounding
# set: "unable to apply caps: operation not permitted"), so only the ones it has are asked for.
#
#   container  connector-pipelines-dagger-engine   (DAGGER_ENGINE_CONTAINER)
#   volume     connector-pipelines-dagger-engine-state
#
# Then writes $CP_HOME/dagger-engine/engine.env, which the tool (and `source`-ing shells) read:
#   _EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://connector-pipelines-dagger-engine
#   _EXPERIMENTAL_DAGGER_CLI_BIN=$CP_HOME/dagger-engine/<version>-<key>/bin/dagger
#
# Idempotent: a running engine of the current image is left alone; one of another image (or
# stopped) is replaced. The volume (the engine's cache) is kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="${DAGGER_ENGINE_CONTAINER:-connector-pipelines-dagger-engine}"
volume="$name-state"
current="$CP_HOME/dagger-engine/current.env"
[[ -r "$current" ]] || die "no Dagger engine built: run scripts/build-dagger-engine.sh first"
# shellcheck disable=SC1090
source "$current"
docker image inspect "$DAGGER_ENGINE_IMAGE" >/dev/null 2>&1 ||
    die "image $DAGGER_ENGINE_IMAGE is missing: run scripts/build-dagger-engine.sh"

start=$SECONDS
running_image="$(docker inspect --format '{{if .State.Running}}{{.Config.Image}}{{end}}' "$name" 2>/dev/null || true)"
if [[ "$running_image" == "$DAGGER_ENGINE_IMAGE" ]]; then
    log "$name already running ($DAGGER_ENGINE_IMAGE)"
else
    if docker inspect "$name" >/dev/null 2>&1; then
        log "replacing container $name (was: ${running_image:-stopped})"
        docker rm -f "$name" >/dev/null
    fi
    log "docker run $name ($DAGGER_ENGINE_IMAGE)"
    privileged=(--privileged)
    if ! grep -qE '^CapBnd:\s*0*1ffffffffff$' /proc/self/status; then
        privileged=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
            --security-opt apparmor=unconfined --security-opt systempaths=unconfined
            -v /sys/fs/cgroup:/sys/fs/cgroup:rw)
    fi
    docker run -d --name "$name" "${privileged[@]}" --network host --restart unless-stopped \
        -v "$volume:/var/lib/dagger" "$DAGGER_ENGINE_IMAGE" >/dev/null
fi
wait_for "the engine's socket in $name" 120 docker exec "$name" test -S /run/dagger/engine.sock ||
    die "engine did not start: docker logs $name"

# With host networking the engine's containers sit on its CNI bridge in the host's network
# namespace, and their traffic is forwarded by the host, whose FORWARD policy Docker sets to
# DROP. Docker leaves the DOCKER-USER chain to us: accept what leaves the engine's subnet (its
# default, 10.87.0.0/16) and the replies to it. Checked first, so added once.
engine_cidr=10.87.0.0/16
if have iptables && iptables -L DOCKER-USER -n >/dev/null 2>&1; then
    for rule in "-s $engine_cidr -j ACCEPT" "-d $engine_cidr -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"; do
        # shellcheck disable=SC2086  # the rule is words on purpose
        iptables -C DOCKER-USER $rule 2>/dev/null || iptables -I DOCKER-USER $rule
    done
fi

env_file="$(state_dir dagger-engine)/engine.env"
printf '_EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://%s\n_EXPERIMENTAL_DAGGER_CLI_BIN=%s\n' \
    "$name" "$DAGGER_CLI_BIN" >"$env_file"
log "engine $DAGGER_VERSION up in $((SECONDS - start))s; connection settings in $env_file"
