#!/bin/sh
# sidecar_live.sh OUTGATE - the sidecar played in the lab (issue 8): the
# lab's app namespace is the pod; the gateway starts through
# tools/deploy/sidecar/entrypoint.sh, the daemon as uid 2999; app processes
# run as uids 2001 and 2002.  App traffic is governed; the gateway's own
# uid and socket mark are never queued; readiness comes only with a bound
# queue; a policy change is reloaded and a broken one refused; while the
# daemon is down the pod stays closed and a live connection goes on, and
# after the restart it still does; a deliberate stop removes every rule.
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
EP="$HERE/../../tools/deploy/sidecar/entrypoint.sh"
PFX=og8-$$
T=""
OGPID=""
SESSPID=""

# shellcheck source=SCRIPTDIR/lib/live.sh
. "$HERE/lib/live.sh"

preflight
export LAB_LIFETIME=300
[ -x "$OG" ] || skip "$OG is not built"
command -v setpriv >/dev/null 2>&1 || skip "setpriv not found"
arm_cleanup
lab_start
APP=$LAB_APP
N4=$LAB_NET4 O4=$LAB_OTHER4
GWUID=2999

chmod 755 "$T"
mkdir "$T/bin"
# a copy, not a link: the gateway's user must reach it, and the tree may sit
# in a folder only root can enter (a CI clone in mktemp -d)
cp "$OG" "$T/bin/outgate" && chmod 755 "$T/bin" "$T/bin/outgate"
CTL=$T/run/control.sock
mkdir -m 0777 "$T/run" "$T/logs"	# as the example's emptyDirs give them
READY=$T/ready
POL=$T/policy.lua
write_policy() {
	cat >"$POL.new" <<EOP
-- the pod: uid 2001 may reach the web on net; the session (root) port 8080
return {
  egress = {
    { name = "web", uid = 2001, proto = "tcp", port = 80, to = "$N4" },
    { name = "session", uid = 0, proto = "tcp", port = 8080, to = "$N4" },
$1
  },
}
EOP
	chmod 644 "$POL.new"
	mv "$POL.new" "$POL"
}
write_policy ""

# ep_start NAME: the entrypoint in the pod, as a container runtime would
# start it for k8s/example.yaml: root with NET_ADMIN, SETUID and SETGID
# alone, and no_new_privs (allowPrivilegeEscalation: false)
ep_start() {
	OGPID=""
	PATH="$T/bin:$PATH" OUTGATE_POLICY=$POL OUTGATE_USER=$GWUID OUTGATE_CONTROL=$CTL \
	    OUTGATE_READY_FILE=$READY OUTGATE_WATCH=1 OUTGATE_EXEMPT_MARK=0x100 \
	    OUTGATE_ARGS="--log $T/logs/$1.log" \
	    ip netns exec "$APP" setpriv --bounding-set=-all,+net_admin,+setuid,+setgid \
	    --inh-caps=-all --no-new-privs sh "$EP" >"$T/$1.ep.out" 2>"$T/$1.ep.err" &
	OGPID=$!
}
# wait_ready: the readiness file, within 10 s
wait_ready() {
	i=0
	while [ "$i" -lt 100 ] && [ ! -f "$READY" ] && alive "$OGPID"; do sleep 0.1; i=$((i + 1)); done
	[ -f "$READY" ]
}
# the daemon: the child of the entrypoint
daemon_pid() { pgrep -P "$OGPID" -f "outgate run" | head -n 1; }
as() { LAB_UID=$1 lab client "$PFX" tcp "$2" "$3"; }
metric() { "$OG" stats --control "$CTL" 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }

# ------------------------------------------------------------------ 1. start
begin "start through the entrypoint" ep1 "$APP"
ep_start ep1
if wait_ready; then
	pass "the readiness file appears"
else
	fail "the readiness file appears"
	diag <"$T/ep1.ep.err"
	end
	exit 0
fi
h=$("$OG" health --control "$CTL" 2>&1)
case "$h" in ok*) pass "outgate health says ok ($h)" ;; *) fail "outgate health says ok ($h)" ;; esac
h=$(setpriv --reuid=$GWUID --regid=$GWUID --clear-groups "$T/bin/outgate" health --control "$CTL" 2>&1)
case "$h" in ok*) pass "and does so as the gateway's user" ;;
*) fail "health as the gateway's user ($h)" ;; esac
# the probe of k8s/example.yaml, run as the container runs it
h=$(PATH="$T/bin:$PATH" OUTGATE_CONTROL=$CTL ip netns exec "$APP" setpriv \
    --bounding-set=-all,+net_admin,+setuid,+setgid --inh-caps=-all --no-new-privs \
    sh "$EP" health 2>&1)
case "$h" in ok*) pass "the container's probe (entrypoint.sh health, root without DAC_OVERRIDE) says ok" ;;
*) fail "the container's probe says ok ($h)" ;; esac
DP=$(daemon_pid)
if [ -n "$DP" ]; then
	st=$(cat "/proc/$DP/status")
	uid=$(printf '%s\n' "$st" | awk '$1 == "Uid:" { print $2 $3 $4 $5 }')
	eff=$(printf '%s\n' "$st" | awk '$1 == "CapEff:" { print $2 }')
	bnd=$(printf '%s\n' "$st" | awk '$1 == "CapBnd:" { print $2 }')
	nnp=$(printf '%s\n' "$st" | awk '$1 == "NoNewPrivs:" { print $2 }')
	prm=$(printf '%s\n' "$st" | awk '$1 == "CapPrm:" { print $2 }')
	# CAP_NET_ADMIN (12) alone: the container gives no CAP_SYS_PTRACE for attribution
	if [ "$uid" = "$GWUID$GWUID$GWUID$GWUID" ] && [ "$eff" = 0000000000001000 ] &&
	    [ "$prm" = 0000000000001000 ] && [ "$nnp" = 1 ]; then
		pass "the daemon runs as uid $GWUID with CAP_NET_ADMIN alone (CapEff=CapPrm=$eff, CapBnd=$bnd) and no_new_privs"
	else
		fail "the daemon's user and capabilities (uid $uid eff $eff prm $prm bnd $bnd nnp $nnp)"
	fi
	# the threads that touch packets and clients run under the seccomp allowlist
	nthr=0 nsec=0
	for t in /proc/"$DP"/task/*; do
		[ "$t" = "/proc/$DP/task/$DP" ] && continue
		nthr=$((nthr + 1))
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")" = 2 ] && nsec=$((nsec + 1))
	done
	if [ "$nthr" -ge 2 ] && [ "$nsec" -eq "$nthr" ]; then
		pass "its $nthr worker and control threads run under seccomp (mode 2)"
	else
		fail "its threads run under seccomp ($nsec of $nthr)"
	fi
else
	fail "the daemon runs under the entrypoint"
fi
end

# ------------------------------------------------------------------ 2. governed
begin "app traffic is governed" ep1 "$APP"
expect_ok "uid 2001 reaches net:80" as 2001 "$N4" 80
expect_fail "uid 2002 does not" as 2002 "$N4" 80
expect_fail "nor does uid 2001 reach other:80" as 2001 "$O4" 80
before=$(metric 'outgate_queue_packets_total{queue="0"}')
expect_ok "the gateway's uid reaches other:8080, which no rule allows" as $GWUID "$O4" 8080
MARKED='
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, 36, 0x100)   # SO_MARK
s.settimeout(2)
s.connect((sys.argv[1], 8080))
s.sendall(b"marked\n")
print("ok" if s.recv(100) == b"marked\n" else "fail: wrong echo")
'
out=$(timeout 5 ip netns exec "$APP" "$PY" -c "$MARKED" "$O4" 2>&1)
case "$out" in ok*) pass "a socket with the exempt mark 0x100 reaches other:8080" ;;
*) fail "a socket with the exempt mark reaches other:8080 ($out)" ;; esac
after=$(metric 'outgate_queue_packets_total{queue="0"}')
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	pass "and neither was queued (queue packets $before before, $after after)"
else
	fail "the exempt traffic was not queued (queue packets ${before:-?} before, ${after:-?} after)"
fi
end

# ------------------------------------------------------------------ 3. reload
begin "the policy follows its file" ep1 "$APP"
write_policy '    { name = "web2", uid = 2002, proto = "tcp", port = 80, to = "'"$N4"'" },'
i=0
while [ "$i" -lt 50 ] && [ "$(metric 'outgate_reloads_total{result="ok"}')" != 1 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect_ok "after a change, uid 2002 reaches net:80" as 2002 "$N4" 80
printf 'return { egress = {\n' >"$POL.new" && chmod 644 "$POL.new" && mv "$POL.new" "$POL"
i=0
while [ "$i" -lt 50 ] && ! grep -q "refused, the running policy stays" "$T/ep1.ep.err"; do
	sleep 0.1
	i=$((i + 1))
done
if grep -q "refused, the running policy stays" "$T/ep1.ep.err"; then
	pass "a broken policy is refused by the entrypoint"
else
	fail "a broken policy is refused by the entrypoint"
fi
expect_ok "and the running one stays: uid 2002 still reaches net:80" as 2002 "$N4" 80
write_policy ""
end

# ------------------------------------------------------------------ 4. restart
begin "fail-closed across a restart" ep1 "$APP"
session_start sess "$N4" 8080
session_ok 1 "a live connection to net:8080"
DP=$(daemon_pid)
kill -KILL "$DP" 2>/dev/null
i=0
while [ "$i" -lt 50 ] && alive "$OGPID"; do sleep 0.1; i=$((i + 1)); done
if alive "$OGPID"; then
	fail "the entrypoint ends when its daemon dies"
else
	wait "$OGPID"
	rc=$?
	[ "$rc" -ne 0 ] && pass "the entrypoint ends when its daemon dies (status $rc)" ||
	    fail "the entrypoint ends with a failure status (status $rc)"
fi
OGPID=""
[ "$(rules "$APP" 4)" -gt 0 ] && pass "the rules stay while the gateway is down" ||
    fail "the rules stay while the gateway is down"
[ ! -f "$READY" ] && pass "the readiness file is gone" || fail "the readiness file is gone"
expect_fail "while down, uid 2001 cannot open a new connection (fail-closed)" as 2001 "$N4" 80
expect_fail "nor can root" lab client "$PFX" tcp "$N4" 8080
session_ok 2 "the live connection goes on while the gateway is down"
ep_start ep2
if wait_ready; then
	pass "the gateway starts again"
else
	fail "the gateway starts again"
fi
expect_ok "after the restart uid 2001 reaches net:80" as 2001 "$N4" 80
session_ok 3 "the live connection survived the restart"
session_stop
end

# ------------------------------------------------------------------ 5. stop
begin "a deliberate stop" ep2 "$APP"
kill -TERM "$OGPID"
i=0
while [ "$i" -lt 50 ] && alive "$OGPID"; do sleep 0.1; i=$((i + 1)); done
wait "$OGPID"
rc=$?
OGPID=""
[ "$rc" -eq 0 ] && pass "SIGTERM: the entrypoint exits 0" || fail "SIGTERM: the entrypoint exits 0 (status $rc)"
n4=$(rules "$APP" 4)
n6=$(rules "$APP" 6)
[ "$n4" -eq 0 ] && [ "$n6" -eq 0 ] && pass "no rule of ours is left" ||
    fail "no rule of ours is left ($n4 IPv4, $n6 IPv6)"
[ ! -f "$READY" ] && pass "the readiness file is gone" || fail "the readiness file is gone"
expect_ok "the pod is open again (no gateway, no rules)" as 2002 "$O4" 80
if /usr/bin/python3 "$HERE/../../tools/check_log.py" "$HERE/../../tools/log-schema.json" \
    "$T/logs/ep1.log" "$T/logs/ep2.log" >"$T/schema.out" 2>&1; then
	pass "the decision logs match the schema"
else
	fail "the decision logs match the schema"
	diag <"$T/schema.out"
fi
end
exit 0
