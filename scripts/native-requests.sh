#!/bin/sh
# Serve the requests of the stand-ins dpkg-native-unpack.sh puts in a foreign root filesystem
# ROOT, on this machine (natively), while dpkg configures its packages:
#
#     native-requests.sh ROOT        # until a "stop" request; run by dpkg-native-unpack.sh
#     native-requests.sh --can-serve # exit 0 when this machine has what serving needs
#
# Requests arrive on the FIFO ROOT/run/cp-native/requests as "ID COMMAND" lines, with the
# arguments in ROOT/run/cp-native/args.ID (one a line); the exit status goes back on the FIFO
# ROOT/run/cp-native/reply.ID, which the stand-in made.
#
# update-ca-certificates ARGS: the target's own script (it is arch-independent shell), run by
# this machine's shell and tools in a private mount namespace where the target's certificate
# folders are bind-mounted over this machine's, so every path it reads or writes, and every
# symlink it makes, is the one it would see inside the target. Its hooks (e.g.
# ca-certificates-java's, which runs Java) still run inside the target, chrooted, with the same
# input, through one small wrapper per hook in a temporary --hooksdir.
set -eu
CA_PATHS="/etc/ssl/certs /usr/share/ca-certificates /usr/local/share/ca-certificates /etc/ca-certificates.conf"

if [ "$1" = --can-serve ]; then
    for path in $CA_PATHS; do [ -e "$path" ] || exit 1; done
    for tool in unshare mount chroot openssl run-parts sed find mktemp readlink; do
        command -v "$tool" >/dev/null 2>&1 || exit 1
    done
    exit 0
fi

root="$1"
dir="$root/run/cp-native"

# update_ca_certificates ARGS: the target's update-ca-certificates with ARGS, natively (see above).
# Its --hooksdir (default /etc/ca-certificates/update.d; "" for none, as the package's postinst
# asks) becomes a temporary folder of wrappers that run the target's hooks inside the target.
update_ca_certificates() {
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/cp-ca-hooks.XXXXXX")"
    mkdir "$tmp/empty" "$tmp/hooks"
    hooksdir=/etc/ca-certificates/update.d
    for arg in "$@"; do
        shift
        if [ "${previous:-}" = --hooksdir ]; then
            hooksdir="$arg"
        elif [ "$arg" != --hooksdir ]; then
            set -- "$@" "$arg"
        fi
        previous="$arg"
    done
    previous=""
    if [ -n "$hooksdir" ]; then
        for hook in "$root$hooksdir"/*; do
            [ -f "$hook" ] && [ -x "$hook" ] || continue
            name="${hook##*/}"
            printf '#!/bin/sh\nexec chroot "%s" "%s/%s" "$@"\n' "$root" "$hooksdir" "$name" >"$tmp/hooks/$name"
            chmod 755 "$tmp/hooks/$name"
        done
        set -- "$@" --hooksdir "$tmp/hooks"
    else
        set -- "$@" --hooksdir ""
    fi
    code=0
    # shellcheck disable=SC2016 # expanded by the inner shell
    unshare --mount --propagation private sh -c '
        root="$1" empty="$2"
        shift 2
        for path in '"$CA_PATHS"'; do
            if [ -e "$root$path" ]; then
                mount --bind "$root$path" "$path"
            elif [ -d "$path" ]; then
                mount --bind "$empty" "$path" # as absent: the script finds nothing there
            else
                mount --bind /dev/null "$path"
            fi
        done
        exec sh "$root/usr/sbin/update-ca-certificates.cp-real" "$@"' \
        sh "$root" "$tmp/empty" "$@" || code=$?
    rm -rf "$tmp"
    return "$code"
}

# Should this server stop unexpectedly, a stand-in waiting for its reply gets a failure rather
# than waiting forever (the timeout: a reply FIFO nobody reads any more would block the write).
trap 'for reply in "$dir"/reply.*; do [ -p "$reply" ] && timeout 5 sh -c "echo 1 >\"\$1\"" sh "$reply"; done' EXIT

exec 3<>"$dir/requests" # read and write: no end of file between two stand-in calls
while read -r id command <&3; do
    [ "$id" != stop ] || exit 0
    status=0
    set --
    if [ -f "$dir/args.$id" ]; then
        while IFS= read -r arg; do set -- "$@" "$arg"; done <"$dir/args.$id"
        rm -f "$dir/args.$id"
    fi
    case "$command" in
        update-ca-certificates) update_ca_certificates "$@" || status=$? ;;
        *) echo "native-requests.sh: unknown request: $command" >&2 && status=1 ;;
    esac
    echo "$status" >"$dir/reply.$id"
done
