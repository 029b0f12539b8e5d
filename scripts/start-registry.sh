#!/usr/bin/env bash
# Run a local OCI registry (Debian's docker-registry, CNCF distribution 2.8) on
# 127.0.0.1:5000 with htpasswd (bcrypt) basic auth and deletes enabled, storing its data
# under $CP_HOME/registry/data, with a config.yml of ours (not the packaged
# /etc/docker/registry one). User `ci`, a random password made once and kept in
# $CP_HOME/registry/credentials.env (mode 600):
#     LOCAL_REGISTRY=localhost:5000
#     LOCAL_REGISTRY_USERNAME=ci
#     LOCAL_REGISTRY_PASSWORD=...
# Then logs the docker CLI in to localhost:5000. Never prints the password.
# Idempotent: starts the registry only when the port does not answer; logs in only when the
# docker config does not already hold these credentials.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

regdir="$(state_dir registry)"
mkdir -p "$regdir/data"
umask 077

# 1. Credentials: made once, then reused.
if [[ ! -s "$CP_REGISTRY_CREDENTIALS" ]]; then
    log "generating registry credentials in $CP_REGISTRY_CREDENTIALS"
    password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
    tmp="$(mktemp "$regdir/.credentials.XXXXXX")"
    printf 'LOCAL_REGISTRY=localhost:%s\nLOCAL_REGISTRY_USERNAME=ci\nLOCAL_REGISTRY_PASSWORD=%s\n' \
        "$CP_REGISTRY_PORT" "$password" >"$tmp"
    chmod 600 "$tmp"
    mv "$tmp" "$CP_REGISTRY_CREDENTIALS"
    unset password
fi
chmod 600 "$CP_REGISTRY_CREDENTIALS"
load_registry_credentials

# 2. htpasswd (bcrypt), rewritten only when it does not match the credentials. The
# password goes through stdin (-i), never on a command line.
htpasswd_file="$regdir/htpasswd"
if ! [[ -s "$htpasswd_file" ]] ||
    ! htpasswd -v -i "$htpasswd_file" "$LOCAL_REGISTRY_USERNAME" <<<"$LOCAL_REGISTRY_PASSWORD" >/dev/null 2>&1; then
    log "writing bcrypt htpasswd file"
    htpasswd -c -B -i "$htpasswd_file" "$LOCAL_REGISTRY_USERNAME" <<<"$LOCAL_REGISTRY_PASSWORD" 2>/dev/null
fi

# 3. Our own config (written only when its content changes).
config="$regdir/config.yml"
new_config="$(cat <<YAML
# Written by scripts/start-registry.sh; edits are overwritten.
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $regdir/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: true
      age: 24h
      interval: 24h
      dryrun: false
http:
  addr: $CP_REGISTRY_HOST:$CP_REGISTRY_PORT
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: connector-pipelines-local-registry
    path: $htpasswd_file
YAML
)"
config_changed=0
if [[ ! -f "$config" ]] || [[ "$(cat "$config")" != "$new_config" ]]; then
    printf '%s\n' "$new_config" >"$config"
    config_changed=1
fi

url="http://$CP_REGISTRY_HOST:$CP_REGISTRY_PORT/v2/"
status="$(http_status "$url")"
pidfile="$regdir/registry.pid"
if [[ "$status" == 401 ]] && ((config_changed)) && [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "config changed: restarting our registry (pid $(cat "$pidfile"))"
    kill "$(cat "$pidfile")"
    wait_for "the old registry to stop" 15 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' $url) == 000 ]]"
    status=000
fi

# 4. Start it when nothing answers on the port.
case "$status" in
    401)
        log "registry already running on $CP_REGISTRY_HOST:$CP_REGISTRY_PORT"
        ;;
    000)
        [[ -x /usr/bin/docker-registry ]] || die "no /usr/bin/docker-registry: run scripts/install-deps.sh"
        log "starting docker-registry on $CP_REGISTRY_HOST:$CP_REGISTRY_PORT, data in $regdir/data, log: $regdir/registry.log"
        setsid nohup /usr/bin/docker-registry serve "$config" >>"$regdir/registry.log" 2>&1 </dev/null &
        echo $! >"$pidfile"
        start=$SECONDS
        wait_for "the registry to answer 401 on $url (see $regdir/registry.log)" 30 \
            bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' $url) == 401 ]]"
        log "registry ready after $((SECONDS - start))s"
        ;;
    *)
        die "something else answers $status on $url (expected 401 from an htpasswd-protected registry)"
        ;;
esac

status="$(http_status "$url" -u "$LOCAL_REGISTRY_USERNAME:$LOCAL_REGISTRY_PASSWORD")"
[[ "$status" == 200 ]] || die "registry refused our credentials ($status): another registry with other credentials on the port?"

# 5. docker login, unless ~/.docker/config.json already holds exactly these credentials.
logged_in() {
    python3 - "$LOCAL_REGISTRY" <<'PY'
import base64, json, os, sys
path = os.path.join(os.environ.get("DOCKER_CONFIG", os.path.expanduser("~/.docker")), "config.json")
try:
    auths = json.load(open(path)).get("auths", {})
except (OSError, ValueError):
    sys.exit(1)
want = base64.b64encode(
    f"{os.environ['LOCAL_REGISTRY_USERNAME']}:{os.environ['LOCAL_REGISTRY_PASSWORD']}".encode()
).decode()
sys.exit(0 if auths.get(sys.argv[1], {}).get("auth") == want else 1)
PY
}
if logged_in; then
    log "docker already logged in to $LOCAL_REGISTRY"
else
    log "docker login $LOCAL_REGISTRY as $LOCAL_REGISTRY_USERNAME"
    docker login "$LOCAL_REGISTRY" -u "$LOCAL_REGISTRY_USERNAME" --password-stdin \
        <<<"$LOCAL_REGISTRY_PASSWORD" >/dev/null 2>&1 || die "docker login $LOCAL_REGISTRY failed"
fi
log "done: $LOCAL_REGISTRY (credentials in $CP_REGISTRY_CREDENTIALS)"
