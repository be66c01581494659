#!/bin/sh
# demo.sh OUTGATE - the main job on a built-in example.
#
# As root: build the namespace lab (tools/lab.sh), run `outgate run` with
# rules/default.lua in the "app" namespace, show an allowed request, a
# refused one and an inbound probe, print the decisions as a table, and tear
# everything down.  Without root or network namespaces: replay the built-in
# capture pcap-tests/00-demo under the same policy instead.
set -u
OG=${1:-build/outgate}
POLICY=rules/default.lua
LAB=ogdemo$$
T=$(mktemp -d)
OGPID=""

table() {
	# decision log (JSON lines) -> a readable table
	python3 -c '
import json, sys
print("%-3s  %-6s  %-44s  %-7s  %-20s  %s" % ("dir", "proto", "from -> to", "verdict", "reason", "rule"))
for line in sys.stdin:
    r = json.loads(line)
    def ep(a, p):
        if a is None: return "-"
        a = "[%s]" % a if ":" in a and p is not None else a
        return "%s:%s" % (a, p) if p is not None else a
    path = "%s -> %s" % (ep(r.get("src"), r.get("sport")), ep(r.get("dst"), r.get("dport")))
    print("%-3s  %-6s  %-44s  %-7s  %-20s  %s" % (r.get("dir") or "-", r.get("proto", "-"),
        path, r["verdict"], r["reason"], r.get("rule") or "-"))
'
}

replay_demo() {
	echo "outgate demo (replay: $1): pcap-tests/00-demo/capture.pcap under $POLICY"
	echo
	"$OG" replay --quiet --log - --policy "$POLICY" pcap-tests/00-demo/capture.pcap \
	    2>"$T/err" | table
	echo
	cat "$T/err"
	echo
	echo "(run it as root, e.g. sudo make demo, to see the live gateway)"
	rm -rf "$T"
	exit 0
}

cleanup() {
	[ -n "$OGPID" ] && kill "$OGPID" 2>/dev/null && sleep 0.5
	sh tools/lab.sh down "$LAB" >/dev/null 2>&1
	rm -rf "$T"
}

[ "$(id -u)" -eq 0 ] || replay_demo "not root"
ip netns add "$LAB-probe" 2>/dev/null || replay_demo "network namespaces unusable here"
ip netns del "$LAB-probe"
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "outgate demo: a lab of two network namespaces, the gateway in \"app\""
sh tools/lab.sh up "$LAB" || exit 1
eval "$(sh tools/lab.sh env "$LAB")"
echo "  app $LAB_APP4 (outgate runs here)  <->  net $LAB_NET4, web server $LAB_WEB4:$LAB_WEB_PORT"
echo

ip netns exec "$LAB_APP" "$OG" run --policy "$POLICY" --log "$T/decisions.log" 2>"$T/outgate.err" &
OGPID=$!
i=0
until grep -q ready "$T/outgate.err" 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 50 ] || ! kill -0 "$OGPID" 2>/dev/null; then
		echo "outgate did not start:"; cat "$T/outgate.err"; exit 1
	fi
	sleep 0.1
done
sed 's/^/  /' "$T/outgate.err"
echo

show() {
	printf '  %-58s ' "$1"
	shift
	"$@" 2>&1 | head -n 1
}
show "HTTPS to $LAB_WEB4 (rule https allows it):" \
    sh tools/lab.sh client "$LAB" http "$LAB_WEB4" "$LAB_WEB_PORT"
show "ping $LAB_NET4 (rule ping allows it):" sh tools/lab.sh ping "$LAB" "$LAB_NET4"
show "HTTP to $LAB_NET4:80 (no rule: rejected at once):" \
    sh tools/lab.sh client "$LAB" tcp "$LAB_NET4" 80
show "inbound probe from net to app:$LAB_APP_PORT (silently dropped):" \
    sh tools/lab.sh probe "$LAB" "$LAB_APP4" "$LAB_APP_PORT" 1
echo

kill "$OGPID"
wait "$OGPID" 2>/dev/null
OGPID=""
echo "the decisions outgate logged (one line per flow; $POLICY):"
echo
table <"$T/decisions.log"
echo
tail -n 2 "$T/outgate.err" | sed 's/^/  /'
left=$(ip netns exec "$LAB_APP" iptables-save 2>/dev/null | grep -c outgate)
echo "  rules of ours left after the stop: $left"
