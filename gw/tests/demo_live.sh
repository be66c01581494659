#!/bin/sh
# demo_live.sh OUTGATE - `make demo` does what the README says: as root, the
# live lab shows an allowed request, a rejected one and a dropped probe, logs
# them, and leaves no rule behind.  Prints ok/not ok lines, or "# skipped".
set -u
OG=${1:-build/outgate}
if [ "$(id -u)" -ne 0 ]; then echo "# skipped: not root"; exit 0; fi
if ! ip netns add "ogdemo-check$$" 2>/dev/null; then
	echo "# skipped: network namespaces unusable"; exit 0
fi
ip netns del "ogdemo-check$$"
out=$(timeout 60 sh tools/demo.sh "$OG" 2>&1)
n=0
check() {
	n=$((n + 1))
	if printf '%s\n' "$out" | grep -q -- "$1"; then
		echo "ok $n - demo: $2"
	else
		echo "not ok $n - demo: $2 (no \"$1\")"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}
check "ready: queues=0:0" "the gateway starts in the lab"
check "allows it):.*ok HTTP/1.0 200 OK" "the allowed HTTPS request succeeds"
check "rule ping allows it):.*ok" "the allowed ping succeeds"
check "rejected at once):.*fail: refused" "the refused request fails at once"
check "silently dropped):.*fail: timed out" "the inbound probe is dropped"
check "accept   allowed               https" "the log shows the allowed flow and its rule"
check "reject   unknown_egress" "the log shows the rejected flow"
check "drop     unsolicited_inbound" "the log shows the dropped probe"
check "rules of ours left after the stop: 0" "no rule is left behind"
