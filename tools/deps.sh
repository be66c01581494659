#!/bin/sh
# deps.sh - install from Debian's packages what building and testing outgate need.
# Idempotent: installs only what is missing and prints nothing when all is there.
set -eu

PKGS="build-essential pkg-config
libnetfilter-queue-dev libmnl-dev libpcap-dev liblua5.4-dev libseccomp-dev libcmocka-dev
iptables conntrack iproute2 iputils-ping python3 python3-scapy python3-jsonschema python3-yaml valgrind iperf3 debootstrap
chromium"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root, or install them)" >&2
	exit 2
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists are absent or the install fails on them
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
