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

skip() {
	echo "# skipped: $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "not root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"
if ! err=$(ip netns add "$PFX-chk" 2>&1); then
	skip "ip netns does not work: $err"
fi
ip netns del "$PFX-chk" 2>/dev/null
for c in iptables iptables-save ip6tables ip6tables-save timeout awk; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not found"
done
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3) || skip "python3 not found"; fi
export LAB_PYTHON="$PY"
if [ -x "$OG" ] && "$OG" run --help 2>&1 | grep -q 'unknown command'; then
	skip "$OG has no run command yet"
fi

alive() {
	s=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
	[ -n "$s" ] && [ "$s" != Z ]
}

# stop_pid PID: TERM, then KILL after 3 s; reap it
stop_pid() {
	[ -n "$1" ] || return 0
	if alive "$1"; then
		kill -TERM "$1" 2>/dev/null
		i=0
		while [ "$i" -lt 30 ] && alive "$1"; do sleep 0.1; i=$((i + 1)); done
		alive "$1" && kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
}

cleanup() {
	trap - EXIT INT TERM
	stop_pid "$SESSPID"
	stop_pid "$OGPID"
	sh "$LAB" down "$PFX" >/dev/null 2>&1
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T=$(mktemp -d) || skip "mktemp failed"

# ------------------------------------------------------------------ reporting
n=0
sfail=0
SC=""
pass() {
	n=$((n + 1))
	echo "ok $n - $SC: $1"
}
fail() {
	n=$((n + 1))
	sfail=$((sfail + 1))
	echo "not ok $n - $SC: $1"
}
diag() { sed 's/^/#   /' | head -n "${1:-20}"; }
begin() {
	SC=$1
	sfail=0
	NAME=$2
}
# end: when a test of the scenario failed, show its decision log and stderr
end() {
	[ "$sfail" -eq 0 ] && return 0
	for f in "$T/$NAME".*.err "$T/$NAME".*.log; do
		[ -f "$f" ] || continue
		echo "# --- $(basename "$f") (first 40 lines)"
		diag 40 <"$f"
	done
	echo "# --- outgate rules in $LAB_APP now"
	{ ip netns exec "$LAB_APP" iptables-save; ip netns exec "$LAB_APP" ip6tables-save; } 2>&1 |
	    grep -i 'outgate\|nfqueue' | diag 30
}

# ------------------------------------------------------------------ the lab
lab() { sh "$LAB" "$@"; }
SC=lab
if ! out=$(lab up "$PFX" 2>&1); then
	fail "tools/lab.sh up builds the lab"
	printf '%s\n' "$out" | diag
	exit 0
fi
eval "$(lab env "$PFX")"
# the xt NFQUEUE target, inside the lab only
if ! err=$(ip netns exec "$LAB_APP" iptables -A OUTPUT -p udp --dport 9 -j NFQUEUE --queue-num 0 2>&1); then
	echo "# skipped: the NFQUEUE target does not work: $err"
	exit 0
fi
ip netns exec "$LAB_APP" iptables -D OUTPUT -p udp --dport 9 -j NFQUEUE --queue-num 0

# expect_ok DESC CMD...: CMD must exit 0
expect_ok() {
	d=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$d"
	else
		fail "$d ($out)"
	fi
}
# expect_fail DESC CMD...: CMD must exit 1 (2 is a usage error, not a refusal)
expect_fail() {
	d=$1
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ]; then
		pass "$d ($out)"
	else
		fail "$d (exit $rc: $out)"
	fi
}
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

tcp() { lab client "$PFX" tcp "$@"; }
udp() { lab client "$PFX" udp "$@"; }
icmp() { lab ping "$PFX" "$@"; }
probe() { lab probe "$PFX" "$@"; }
# rules FAMILY: how many lines of ours (rules, chains) iptables-save shows
rules() {
	if [ "$1" = 6 ]; then c=ip6tables-save; else c=iptables-save; fi
	ip netns exec "$LAB_APP" "$c" 2>/dev/null | grep -ci outgate
}

# log_has DESC KEY=VALUE...: a record of the current log holds all of them
LOGQ='
import json, sys
want = [a.split("=", 1) for a in sys.argv[2:]]
n = 0
try:
    lines = open(sys.argv[1]).readlines()
except OSError:
    lines = []
for line in lines:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if isinstance(r, dict) and all(("null" if r.get(k) is None else str(r.get(k))) == v for k, v in want):
        n += 1
print(n)
'
log_has() {
	d=$1
	shift
	i=0
	while [ "$i" -lt 20 ]; do
		c=$("$PY" -c "$LOGQ" "$LOG" "$@")
		[ "${c:-0}" -gt 0 ] && { pass "$d"; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	fail "$d (no record with $*)"
}

# fresh: a scenario starts with no rule of ours, whatever the last one left
fresh() {
	[ "$(rules 4)" -eq 0 ] && [ "$(rules 6)" -eq 0 ] && return 0
	echo "# $SC: flushing the rules an earlier scenario left in $LAB_APP"
	for c in iptables ip6tables; do
		for t in raw mangle nat filter; do
			ip netns exec "$LAB_APP" "$c" -t "$t" -F 2>/dev/null
			ip netns exec "$LAB_APP" "$c" -t "$t" -X 2>/dev/null
		done
	done
}

# start_og TAG POLICY [ARGS...]: outgate run in app under a copy of POLICY
start_og() {
	tag=$1
	[ "$tag" = a ] && fresh
	cp "$POL/$2" "$T/policy.lua"
	shift 2
	LOG=$T/$NAME.$tag.log
	ERR=$T/$NAME.$tag.err
	ip netns exec "$LAB_APP" "$OG" run --policy "$T/policy.lua" --log "$LOG" "$@" \
	    </dev/null >"$T/$NAME.$tag.out" 2>"$ERR" &
	OGPID=$!
	i=0
	while [ "$i" -lt 100 ]; do
		if grep -q ready "$ERR" 2>/dev/null; then
			pass "outgate run${*:+ $*} starts and says ready"
			return 0
		fi
		alive "$OGPID" || break
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$OGPID"; then
		fail "outgate run${*:+ $*} starts and says ready (nothing in 10 s)"
		stop_pid "$OGPID"
	else
		wait "$OGPID"
		fail "outgate run${*:+ $*} starts and says ready (exit $?)"
	fi
	OGPID=""
	return 1
}

# stop_og: SIGTERM; it must exit 0 within 5 s and leave no rule
stop_og() {
	kill -TERM "$OGPID" 2>/dev/null
	i=0
	while [ "$i" -lt 50 ] && alive "$OGPID"; do sleep 0.1; i=$((i + 1)); done
	if alive "$OGPID"; then
		kill -KILL "$OGPID" 2>/dev/null
		wait "$OGPID"
		fail "SIGTERM stops outgate within 5 s"
	else
		wait "$OGPID"
		rc=$?
		if [ "$rc" -eq 0 ]; then pass "SIGTERM: outgate exits 0"; else fail "SIGTERM: outgate exits 0 (exit $rc)"; fi
	fi
	OGPID=""
	r4=$(rules 4)
	r6=$(rules 6)
	if [ "$r4" -eq 0 ]; then pass "no iptables rule or chain of ours left"; else fail "no iptables rule or chain of ours left ($r4 lines)"; fi
	if [ "$r6" -eq 0 ]; then pass "no ip6tables rule or chain of ours left"; else fail "no ip6tables rule or chain of ours left ($r6 lines)"; fi
}

# kill_og: SIGKILL, reaped
kill_og() {
	kill -KILL "$OGPID" 2>/dev/null
	i=0
	while [ "$i" -lt 50 ] && alive "$OGPID"; do sleep 0.1; i=$((i + 1)); done
	wait "$OGPID" 2>/dev/null
	OGPID=""
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
	r4=$(rules 4)
	r6=$(rules 6)
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
if [ $? -eq 1 ]; then pass "outgate check refuses live/broken.lua"; else fail "outgate check refuses live/broken.lua ($out)"; fi
expect_ok "no gateway: app reaches $O4:80" tcp "$O4" 80
expect_ok "no gateway: net reaches app $A4:$LP" probe "$A4" "$LP"

# ------------------------------------------------------------------ 1. drop policy, reloads, clean stop
s1() {
	begin "drop policy" s1
	start_og a base.lua || return
	r4=$(rules 4)
	r6=$(rules 6)
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
	start_og a base.lua || return
	expect_ok "allowed tcp $N4:80 connects" tcp "$N4" 80
	kill_og
	r4=$(rules 4)
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
SESSION='
import os, socket, sys, time
addr, port, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def put(name, text):
    with open(os.path.join(d, name + ".tmp"), "w") as f:
        f.write(text + "\n")
    os.rename(os.path.join(d, name + ".tmp"), os.path.join(d, name))
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
def exchange(i):
    msg = b"session %d\n" % i
    s.settimeout(3)
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        more = s.recv(4096)
        if not more:
            raise OSError("closed by the server")
        got += more
    if got != msg:
        raise OSError("wrong reply")
for i in (1, 2, 3):
    if i > 1:
        end = time.monotonic() + 60
        while not os.path.exists(os.path.join(d, "go%d" % i)):
            if time.monotonic() > end:
                put(str(i), "fail: no go within 60 s")
                sys.exit(1)
            time.sleep(0.05)
    try:
        if i == 1:
            s.settimeout(3)
            s.connect((addr, port))
        exchange(i)
        put(str(i), "ok (local port %d)" % s.getsockname()[1])
    except Exception as e:
        put(str(i), "fail: %s" % e)
        sys.exit(1)
'
# session_step I DESC: let exchange I run (I > 1) and wait for its result
session_step() {
	[ "$1" -gt 1 ] && : >"$T/sess/go$1"
	i=0
	while [ "$i" -lt 100 ] && [ ! -f "$T/sess/$1" ]; do sleep 0.1; i=$((i + 1)); done
	r=$(cat "$T/sess/$1" 2>/dev/null)
	case "$r" in
	ok*) pass "$2 ($r)" ;;
	*) fail "$2 (${r:-no result in 10 s})" ;;
	esac
}
s5() {
	begin "restart" s5
	start_og a base.lua || return
	mkdir -p "$T/sess"
	timeout 120 ip netns exec "$LAB_APP" "$PY" -c "$SESSION" "$N4" 80 "$T/sess" </dev/null >"$T/sess/out" 2>&1 &
	SESSPID=$!
	session_step 1 "a tcp connection to $N4:80 echoes under outgate"
	stop_og
	start_og b base.lua || return
	session_step 2 "after stop and start, the established connection still echoes"
	expect_fail "the restarted outgate enforces: tcp $O4:80 fails" tcp "$O4" 80 1
	session_step 3 "and a third exchange echoes too"
	stop_og
	stop_pid "$SESSPID"
	SESSPID=""
}
s5
end

echo "# live: $n tests"
exit 0
