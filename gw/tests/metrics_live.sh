#!/bin/sh
# metrics_live.sh OUTGATE - the control socket and the metrics endpoint of the
# live daemon (issue 7): `outgate stats --control` and GET /metrics on
# --metrics 127.0.0.1:PORT (in the lab's app namespace) give counters equal
# to the traffic sent: 5 allowed connections, 3 refused; the socket is 0600
# and goes away on a clean stop.
#
# Prints "ok N - what" / "not ok N - what" and "# ..." diagnostics, exits 0;
# "# skipped: why" when not root or namespaces do not work.  Bounded waits;
# the lab and everything started are removed on any exit.
# shellcheck disable=SC2317  # functions called through traps
set -u
OG=${1:-build/outgate}
case "$OG" in /*) ;; *) OG=$(pwd)/$OG ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../../tools/lab.sh"
PFX=og7-$$
T=""
OGPID=""
SESSPID=""

# shellcheck source=SCRIPTDIR/lib/live.sh
. "$HERE/lib/live.sh"

preflight
export LAB_LIFETIME=300
[ -x "$OG" ] || skip "$OG is not built"
arm_cleanup
lab_start
APP=$LAB_APP
N4=$LAB_NET4

# metric VALUE_OF NAME{LABELS} in file F
metric() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
FETCH='
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
'

begin setup metrics "$APP"
chmod 755 "$T"
cat >"$T/metrics.lua" <<POLICY
return { egress = { { name = "web", proto = "tcp", port = 80, to = "$N4" } } }
POLICY
POL=$T
expect_ok "outgate check accepts the policy" "$OG" check --policy "$T/metrics.lua"
end

begin "metrics" metrics "$APP"
if start_og a metrics.lua --control "$T/ctl.sock" --metrics 127.0.0.1:9477; then
	mode=$(stat -c %a "$T/ctl.sock" 2>/dev/null)
	if [ "$mode" = 600 ]; then pass "the control socket is mode 0600"
	else fail "the control socket is mode 0600 (${mode:-missing})"; fi
	i=0
	while [ "$i" -lt 5 ]; do tcp "$N4" 80 >/dev/null 2>&1; i=$((i + 1)); done
	i=0
	while [ "$i" -lt 3 ]; do tcp "$N4" 8080 1 >/dev/null 2>&1; i=$((i + 1)); done
	sleep 0.5	# a worker publishes its counters every 100 ms
	if "$OG" stats --control "$T/ctl.sock" >"$T/stats.txt" 2>"$T/stats.err"; then
		pass "outgate stats --control reads the socket"
	else
		fail "outgate stats --control reads the socket ($(head -n 1 "$T/stats.err"))"
	fi
	a=$(metric 'outgate_decisions_total{verdict="accept",reason="allowed"}' "$T/stats.txt")
	d=$(metric 'outgate_decisions_total{verdict="drop",reason="unknown_egress"}' "$T/stats.txt")
	if [ "${a:-0}" -eq 5 ]; then pass "5 allowed connections: decisions_total{accept,allowed} = 5"
	else fail "5 allowed connections: decisions_total{accept,allowed} = 5 (${a:-none})"; diag 20 <"$T/stats.txt"; fi
	# a refused SYN never confirms its conntrack entry, so a retransmission
	# comes to the queue again and is decided again (the same way)
	if [ "${d:-0}" -ge 3 ] && [ "${d:-0}" -le 6 ]; then
		pass "3 refused connections: decisions_total{drop,unknown_egress} = $d (3, and a retransmitted SYN each at most)"
	else
		fail "3 refused connections: decisions_total{drop,unknown_egress} 3 to 6 (${d:-none})"
	fi
	n8080=$(grep -c '"event":"decision".*"dport":8080' "$LOG")
	if [ "$n8080" -eq 3 ]; then pass "the log has one decision record per refused connection"
	else fail "the log has one decision record per refused connection ($n8080)"; fi
	c=$(metric 'outgate_verdict_latency_seconds_count{queue="0"}' "$T/stats.txt")
	q=$(metric 'outgate_queue_packets_total{queue="0"}' "$T/stats.txt")
	if [ -n "$c" ] && [ "$c" = "$q" ] && [ "$c" -ge 8 ]; then
		pass "the latency histogram counts every queued packet ($c)"
	else
		fail "the latency histogram counts every queued packet (count ${c:-none}, packets ${q:-none})"
	fi
	if ip netns exec "$APP" "$PY" -c "$FETCH" 9477 >"$T/http.txt" 2>&1 &&
	    grep -q '^HTTP/1.0 200' "$T/http.txt" &&
	    grep -q 'outgate_decisions_total{verdict="accept",reason="allowed"} 5' "$T/http.txt"; then
		pass "GET /metrics on 127.0.0.1:9477 serves the same counters"
	else
		fail "GET /metrics on 127.0.0.1:9477 serves the same counters"
		diag 5 <"$T/http.txt"
	fi
	if "$OG" top --control "$T/ctl.sock" --count 2 --interval 0.2 >"$T/top.txt" 2>&1 &&
	    grep -q 'decisions: accept' "$T/top.txt" &&
	    grep -q "allowed.*web.*tcp.*$N4:80" "$T/top.txt" &&
	    grep -q "drop.*unknown_egress.*$N4:8080" "$T/top.txt" &&
	    grep -q 'a second: accept' "$T/top.txt"; then
		pass "outgate top shows the counts, their rates and the latest decisions"
	else
		fail "outgate top shows the counts, their rates and the latest decisions"
		diag 12 <"$T/top.txt"
	fi
	# the flows seen last: the accepted ones carried on in the kernel, the
	# refused ones with their reason, each with its owner and packets
	if grep -q '^proto .*pkts o/i' "$T/top.txt" &&
	    grep -q "^tcp .*$N4:80 .*accept .*allowed .*pid [0-9].* in the kernel" "$T/top.txt" &&
	    grep -q "^tcp .*$N4:8080 .*drop .*unknown_egress" "$T/top.txt"; then
		pass "outgate top lists the flows seen last (accepted ones in the kernel, refused ones)"
	else
		fail "outgate top lists the flows seen last"
		diag 40 <"$T/top.txt"
	fi
	# a flow the kernel carried on ends when its connection does, with the
	# kernel's totals (the gateway saw its SYN alone).  An expired entry may
	# wait up to a minute for conntrack's garbage collector, so the test
	# ends the lab's port-80 connections itself (conntrack -D: the same
	# destroy event)
	lab client "$PFX" http "$N4" 80 >/dev/null 2>&1
	if command -v conntrack >/dev/null 2>&1; then
		ip netns exec "$APP" conntrack -D -p tcp --dport 80 >/dev/null 2>&1
	fi
	CTEND='
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if (r.get("event") == "flow_end" and r.get("dport") == 80 and
            r.get("counts") == "conntrack" and r.get("offloaded") and
            r["packets_out"] >= 4 and r["packets_in"] >= 3 and
            r["bytes_in"] > r["packets_in"] * 40):
        print("%d/%d packets, %d/%d bytes" % (r["packets_out"], r["packets_in"],
              r["bytes_out"], r["bytes_in"]))
        break
'
	i=0
	got=""
	while [ "$i" -lt 150 ] && [ -z "$got" ]; do
		sleep 0.1
		got=$("$PY" -c "$CTEND" "$LOG" 2>/dev/null)
		i=$((i + 1))
	done
	if [ -n "$got" ]; then
		pass "an offloaded flow ends with the kernel's totals, \"counts\":\"conntrack\" ($got out/in)"
	else
		fail "an offloaded flow ends with the kernel's totals (no such flow_end within 15 s)"
		grep flow_end "$LOG" | diag 5
	fi
	i=0
	ce=0
	while [ "$i" -lt 20 ] && [ "${ce:-0}" -lt 1 ]; do	# published every 100 ms
		sleep 0.1
		ce=$("$OG" stats --control "$T/ctl.sock" 2>/dev/null |
		    awk '$1 == "outgate_conntrack_events_total{queue=\"0\",result=\"flow_ended\"}" { print $2 }')
		i=$((i + 1))
	done
	[ "${ce:-0}" -ge 1 ] && pass "outgate_conntrack_events_total counts it ($ce)" ||
	    fail "outgate_conntrack_events_total counts it (${ce:-none})"
	stop_og
	if [ ! -e "$T/ctl.sock" ]; then pass "a clean stop removes the control socket"
	else fail "a clean stop removes the control socket"; fi
fi
end

# ------------------------------------------------------------------ systemd's notify protocol
NOTIFYD='
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.monotonic() + 60
with open(sys.argv[2], "a") as out:
    while time.monotonic() < end:
        try:
            out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
            out.flush()
        except socket.timeout:
            pass
'
begin "sd_notify" notify "$APP"
"$PY" -c "$NOTIFYD" "$T/notify.sock" "$T/notify.txt" </dev/null >/dev/null 2>&1 &
NPID=$!
i=0
while [ "$i" -lt 30 ] && [ ! -S "$T/notify.sock" ]; do sleep 0.1; i=$((i + 1)); done
export NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000
if start_og a metrics.lua; then
	unset NOTIFY_SOCKET WATCHDOG_USEC
	i=0
	while [ "$i" -lt 30 ] && ! grep -q 'WATCHDOG=1' "$T/notify.txt" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	if grep -q '^READY=1 STATUS=queues 0:0, policy_hash ' "$T/notify.txt"; then pass "READY=1 with a status once ready"
	else fail "READY=1 with a status once ready"; diag 5 <"$T/notify.txt"; fi
	if grep -q '^WATCHDOG=1$' "$T/notify.txt"; then pass "WATCHDOG=1 within the watchdog period"
	else fail "WATCHDOG=1 within the watchdog period"; diag 5 <"$T/notify.txt"; fi
	kill -HUP "$OGPID"
	i=0
	while [ "$i" -lt 30 ] && ! grep -q 'reload ok' "$ERR"; do sleep 0.1; i=$((i + 1)); done
	sleep 0.2
	if grep -A1 '^RELOADING=1$' "$T/notify.txt" | grep -q '^READY=1$'; then pass "SIGHUP: RELOADING=1, then READY=1"
	else fail "SIGHUP: RELOADING=1, then READY=1"; diag 8 <"$T/notify.txt"; fi
	stop_og
	sleep 0.2
	if grep -q '^STOPPING=1$' "$T/notify.txt"; then pass "SIGTERM: STOPPING=1"
	else fail "SIGTERM: STOPPING=1"; diag 8 <"$T/notify.txt"; fi
fi
unset NOTIFY_SOCKET WATCHDOG_USEC
kill "$NPID" 2>/dev/null
wait "$NPID" 2>/dev/null
end
