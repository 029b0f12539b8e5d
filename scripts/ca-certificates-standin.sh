#!/bin/sh
# Stand-in for a foreign root filesystem's /usr/sbin/update-ca-certificates while dpkg configures
# packages, put there (and taken away) by dpkg-native-unpack.sh: asks native-requests.sh, which
# runs on the building machine beside dpkg, to run the real script natively on this tree, and
# exits with its status. (Under emulation the real script starts a thousand processes, each
# slow to start: most of a foreign root filesystem's build time.)
set -eu
reply="/run/cp-native/reply.$$"
mkfifo "$reply"
printf '%s\n' "$@" >"/run/cp-native/args.$$" # one a line: an argument may be empty (--hooksdir "")
echo "$$ update-ca-certificates" >/run/cp-native/requests
read -r status <"$reply"
rm -f "$reply"
exit "$status"
