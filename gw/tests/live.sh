#!/bin/sh
# live.sh OUTGATE - the live daemon in a namespace lab (tools/lab.sh): what the
# policy allows flows and its replies come back, what it lacks fails (at once
# with reject), inbound fails until a reload names it, a broken reload keeps
# the old policy, nothing of ours is left after a stop, SIGKILL fails closed
# (or open with --fail-open), an established connection survives a restart.
#
# Prints "ok N - what" / "not ok N - what" lines and "# ..." diagnostics
# (with a scenario's decision log when one of its tests fails), and exits 0.
# Not root, or no working `ip netns`: one line "# skipped: why" and nothing else.
# Runs with sh (dash); every wait is bounded; the lab is torn down on any exit.
# shellcheck disable=SC2317  # functions called through traps and wrappers
set -u
OG=${1:-build/outgate}
case "$OG" in /*) ;; *) OG=$(pwd)/$OG ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../../tools/lab.sh"
POL="$HERE/live"
PFX=og-t$$
T=""
OGPID=""
SESSPID=""

# shellcheck source=SCRIPTDIR/lib/live.sh
. "$HERE/lib/live.sh"

preflight
if [ -x "$OG" ] && "$OG" run --help 2>&1 | grep -q 'unknown command'; then
	skip "$OG has no run command yet"
fi
arm_cleanup
lab_start

# expect_fast_fail DESC CMD...: CMD must exit 1 within FAST_MS (wall clock)
FAST_MS=500
expect_fast_fail() {
	d=$1
	shift
	t0=$(date +%s%N)
	out=$("$@" 2>&1)
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" -eq 1 ] && [ "$ms" -lt "$FAST_MS" ]; then
		pass "$d in ${ms} ms"
	else
		fail "$d: exit $rc after ${ms} ms, wanted 1 within $FAST_MS ms ($out)"
	fi
}

icmp() { lab ping "$PFX" "$@"; }

# fresh: a scenario starts with no rule of ours, whatever the last one left
fresh() {
	[ "$(rules "$LAB_APP" 4)" -eq 0 ] && [ "$(rules "$LAB_APP" 6)" -eq 0 ] && return 0
	echo "# $SC: flushing the rules an earlier scenario left in $LAB_APP"
	flush_ns "$LAB_APP"
}

# reload POLICY WORD: copy POLICY in place, SIGHUP, wait for "reload WORD"
reload() {
	before=$(grep -c "reload $2" "$ERR")
	cp "$POL/$1" "$T/policy.lua"
	kill -HUP "$OGPID"
	i=0
	while [ "$i" -lt 50 ]; do
		[ "$(grep -c "reload $2" "$ERR")" -gt "$before" ] && { pass "SIGHUP with $1: stderr says reload $2"; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	fail "SIGHUP with $1: stderr says reload $2 (not within 5 s)"
}

rules_remove() {
	out=$(timeout 10 ip netns exec "$LAB_APP" "$OG" rules remove 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then pass "outgate rules remove exits 0"; else fail "outgate rules remove exits 0 (exit $rc: $out)"; fi
	r4=$(rules "$LAB_APP" 4)
	r6=$(rules "$LAB_APP" 6)
	if [ "$r4" -eq 0 ] && [ "$r6" -eq 0 ]; then
		pass "after rules remove no rule of ours is left"
	else
		fail "after rules remove no rule of ours is left ($r4 + $r6 lines)"
	fi
}

A4=$LAB_APP4 N4=$LAB_NET4 O4=$LAB_OTHER4 A6=$LAB_APP6 N6=$LAB_NET6 O6=$LAB_OTHER6
LP=$LAB_APP_PORT UP=$LAB_UDP_PORT

# ------------------------------------------------------------------ 0. the policies and the bare lab
begin setup setup
for p in base reject inbound; do
	expect_ok "outgate check accepts live/$p.lua" "$OG" check --policy "$POL/$p.lua"
done
out=$("$OG" check --policy "$POL/broken.lua" 2>&1)
if [ $? -eq 2 ]; then pass "outgate check refuses live/broken.lua (exit 2)"; else fail "outgate check refuses live/broken.lua ($out)"; fi
expect_ok "no gateway: app reaches $O4:80" tcp "$O4" 80
expect_ok "no gateway: net reaches app $A4:$LP" probe "$A4" "$LP"

# ------------------------------------------------------------------ 1. drop policy, reloads, clean stop
s1() {
	begin "drop policy" s1
	fresh
	start_og a base.lua || return
	r4=$(rules "$LAB_APP" 4)
	r6=$(rules "$LAB_APP" 6)
	if [ "$r4" -gt 0 ] && [ "$r6" -gt 0 ]; then
		pass "its rules are installed (iptables $r4, ip6tables $r6 lines)"
	else
		fail "its rules are installed (iptables $r4, ip6tables $r6 lines)"
	fi
	expect_ok "allowed tcp $N4:80 connects and echoes" tcp "$N4" 80
	expect_ok "allowed udp $N4:$UP echoes" udp "$N4" "$UP"
	expect_ok "allowed ping $N4 gets its reply" icmp "$N4"
	expect_ok "allowed tcp [$N6]:80 connects and echoes" tcp "$N6" 80
	expect_ok "allowed udp [$N6]:$UP echoes" udp "$N6" "$UP"
	expect_ok "allowed ping $N6 gets its reply" icmp "$N6"
	expect_fail "tcp to $O4:80 (not in the policy) fails" tcp "$O4" 80 1
	expect_fail "tcp to $N4:8080 (port not in the policy) fails" tcp "$N4" 8080 1
	expect_fail "udp to $O4:$UP fails" udp "$O4" "$UP" 1
	expect_fail "tcp to [$O6]:80 fails" tcp "$O6" 80 1
	expect_fail "tcp to [$N6]:8080 fails" tcp "$N6" 8080 1
	expect_fail "inbound probe to $A4:$LP fails (no inbound rule)" probe "$A4" "$LP" 1
	expect_fail "inbound probe to [$A6]:$LP fails (no inbound rule)" probe "$A6" "$LP" 1
	log_has "log: tcp $N4:80 accepted by rule web" verdict=accept reason=allowed rule=web dir=out proto=tcp dst="$N4" dport=80
	log_has "log: udp $N4:$UP accepted by rule echo" verdict=accept reason=allowed rule=echo proto=udp dst="$N4" dport="$UP"
	log_has "log: tcp [$N6]:80 accepted by rule web" verdict=accept reason=allowed rule=web dst="$N6" dport=80
	log_has "log: tcp $O4:80 dropped as unknown_egress" verdict=drop reason=unknown_egress dir=out dst="$O4" dport=80
	log_has "log: tcp $N4:8080 dropped as unknown_egress" verdict=drop reason=unknown_egress dst="$N4" dport=8080

	reload inbound.lua ok
	expect_ok "after the reload, inbound probe to $A4:$LP connects" probe "$A4" "$LP"
	expect_ok "after the reload, inbound probe to [$A6]:$LP connects" probe "$A6" "$LP"
	log_has "log: inbound $A4:$LP accepted by rule app-listener" verdict=accept reason=allowed rule=app-listener dir=in dst="$A4" dport="$LP"
	expect_ok "after the reload, tcp $N4:80 still connects" tcp "$N4" 80
	expect_fail "after the reload, tcp $O4:80 still fails" tcp "$O4" 80 1

	reload broken.lua failed
	if alive "$OGPID"; then pass "a broken policy does not stop outgate"; else fail "a broken policy does not stop outgate"; fi
	expect_ok "old policy kept: inbound probe to $A4:$LP still connects" probe "$A4" "$LP"
	expect_ok "old policy kept: tcp $N4:80 still connects" tcp "$N4" 80
	expect_fail "old policy kept: tcp $O4:80 still fails" tcp "$O4" 80 1

	stop_og
	expect_ok "after the stop, tcp $O4:80 works again" tcp "$O4" 80
	expect_ok "after the stop, tcp [$O6]:8080 works again" tcp "$O6" 8080
	expect_ok "after the stop, ping $N4 works" icmp "$N4"
}
s1
end

# ------------------------------------------------------------------ 2. reject: fail at once
s2() {
	begin "reject policy" s2
	fresh
	start_og a reject.lua || return
	expect_ok "allowed tcp $N4:80 connects" tcp "$N4" 80
	expect_fast_fail "tcp to $O4:80 is refused" tcp "$O4" 80 3
	expect_fast_fail "tcp to $N4:8080 is refused" tcp "$N4" 8080 3
	expect_fast_fail "tcp to [$O6]:80 is refused" tcp "$O6" 80 3
	expect_fast_fail "udp to $O4:$UP is refused" udp "$O4" "$UP" 3
	log_has "log: tcp $O4:80 rejected as unknown_egress" verdict=reject reason=unknown_egress dst="$O4" dport=80
	out=$(probe "$A4" "$LP" 1 2>&1)
	case "$out" in
	*"timed out"*) pass "inbound probe to $A4:$LP is a silent drop ($out)" ;;
	*) fail "inbound probe to $A4:$LP is a silent drop ($out)" ;;
	esac
	stop_og
}
s2
end

# ------------------------------------------------------------------ 3. SIGKILL fails closed
s3() {
	begin "fail-closed" s3
	fresh
	start_og a base.lua || return
	expect_ok "allowed tcp $N4:80 connects" tcp "$N4" 80
	kill_og
	r4=$(rules "$LAB_APP" 4)
	if [ "$r4" -gt 0 ]; then pass "after SIGKILL its rules stay ($r4 lines)"; else fail "after SIGKILL its rules stay"; fi
	expect_fail "after SIGKILL a new tcp connect to $N4:80 fails" tcp "$N4" 80 1
	expect_fail "after SIGKILL a new tcp connect to [$N6]:80 fails" tcp "$N6" 80 1
	rules_remove
	expect_ok "after rules remove, tcp $N4:80 connects" tcp "$N4" 80
}
s3
end

# ------------------------------------------------------------------ 4. --fail-open
s4() {
	begin "fail-open" s4
	fresh
	start_og a base.lua --fail-open || return
	expect_ok "allowed tcp $N4:80 connects" tcp "$N4" 80
	expect_fail "tcp to $O4:80 still fails while outgate runs" tcp "$O4" 80 1
	b=$(ip netns exec "$LAB_APP" iptables-save 2>/dev/null | grep -c -- '--queue-bypass')
	if [ "$b" -gt 0 ]; then pass "the queue rule has --queue-bypass"; else fail "the queue rule has --queue-bypass"; fi
	kill_og
	expect_ok "after SIGKILL a new tcp connect to $N4:80 works" tcp "$N4" 80
	expect_ok "after SIGKILL a new tcp connect to [$N6]:80 works" tcp "$N6" 80
	expect_ok "after SIGKILL udp $N4:$UP works" udp "$N4" "$UP"
	rules_remove
}
s4
end

# ------------------------------------------------------------------ 5. an established connection survives a restart
s5() {
	begin "restart" s5
	fresh
	start_og a base.lua || return
	session_start sess "$N4" 80
	session_ok 1 "a tcp connection to $N4:80 echoes under outgate"
	stop_og
	start_og b base.lua || return
	session_ok 2 "after stop and start, the established connection still echoes"
	expect_fail "the restarted outgate enforces: tcp $O4:80 fails" tcp "$O4" 80 1
	session_ok 3 "and a third exchange echoes too"
	stop_og
	session_stop
}
s5
end

echo "# live: $n tests"
exit 0
