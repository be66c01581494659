# shellcheck shell=sh
# lib/live.sh - what the live tests (gw/tests/live.sh, live2.sh) share.
# Sourced, never run: it sits below gw/tests so that tools/run-tests.sh's
# `gw/tests/*.sh` does not take it for a test.
#
# The script sets, before sourcing: OG (the binary), LAB (tools/lab.sh), POL
# (its policies), PFX (the lab's prefix), T="" OGPID="" SESSPID=""; then calls
# preflight, arm_cleanup and lab_start.  Here: the checks that skip, the
# reporting (pass, fail, begin, end), the lab and the commands run in it,
# outgate started and stopped in the current scenario's namespace $NS, and a
# long TCP session from app.
# shellcheck disable=SC2034,SC2317  # variables read by the scripts; functions called through traps

skip() {
	echo "# skipped: $*"
	exit 0
}

# preflight: skip unless root with working `ip netns`, the tools and python3
preflight() {
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
}

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

ns_exists() {
	[ -e "/run/netns/$1" ] || ip netns list 2>/dev/null | grep -q "^$1\( \|\$\)"
}

# cleanup: once, on any exit; CLEANUP_MORE (a command, may be empty) runs
# after outgate is stopped and before the lab goes down
DONE=""
CLEANUP_MORE=""
cleanup() {
	[ -n "$DONE" ] && return 0
	DONE=1
	trap - EXIT INT TERM
	stop_pid "$SESSPID"
	stop_pid "$OGPID"
	[ -n "$CLEANUP_MORE" ] && $CLEANUP_MORE
	sh "$LAB" down "$PFX" >/dev/null 2>&1
	[ -n "$T" ] && rm -rf "$T"
}
# arm_cleanup: cleanup on any exit, and the scratch folder $T
arm_cleanup() {
	trap cleanup EXIT
	trap 'cleanup; exit 130' INT
	trap 'cleanup; exit 143' TERM
	T=$(mktemp -d) || skip "mktemp failed"
}

# ------------------------------------------------------------------ reporting
n=0
sfail=0
SC=""
NAME=""
NS=""
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
# begin SCENARIO NAME [NS]: NS is where outgate runs (the lab's app by default)
begin() {
	SC=$1
	sfail=0
	NAME=$2
	NS=${3:-$LAB_APP}
}
# end: when a test of the scenario failed, show its decision log and stderr
end() {
	[ "$sfail" -eq 0 ] && return 0
	for f in "$T/$NAME".*.err "$T/$NAME".*.log; do
		[ -f "$f" ] || continue
		echo "# --- $(basename "$f") (first 40 lines)"
		diag 40 <"$f"
	done
	for f in "$T/$NAME".*.log; do
		[ -f "$f" ] || continue
		echo "# --- $(basename "$f"): records that are not accept (first 20)"
		grep -v '"verdict":"accept"' "$f" | diag 20
	done
	if ns_exists "$NS"; then
		echo "# --- outgate rules in $NS now"
		{ ip netns exec "$NS" iptables-save; ip netns exec "$NS" ip6tables-save; } 2>&1 |
		    grep -i 'outgate\|nfqueue' | diag 30
	fi
}

# ------------------------------------------------------------------ the lab
lab() { sh "$LAB" "$@"; }
# lab_start: the lab up, its LAB_* variables set, the NFQUEUE target checked
lab_start() {
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
}

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

tcp() { lab client "$PFX" tcp "$@"; }
udp() { lab client "$PFX" udp "$@"; }
probe() { lab probe "$PFX" "$@"; }

# rules NS FAMILY: how many lines of ours (rules, chains) iptables-save shows in NS
rules() {
	if [ "$2" = 6 ]; then c=ip6tables-save; else c=iptables-save; fi
	ip netns exec "$1" "$c" 2>/dev/null | grep -ci outgate
}

# flush_ns NS: no rule at all in NS, whatever an earlier scenario left
flush_ns() {
	for c in iptables ip6tables; do
		for t in raw mangle nat filter; do
			ip netns exec "$1" "$c" -t "$t" -F 2>/dev/null
			ip netns exec "$1" "$c" -t "$t" -X 2>/dev/null
		done
	done
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

# ------------------------------------------------------------------ outgate
# start_og TAG POLICY [ARGS...]: outgate run in $NS under a copy of POLICY
start_og() {
	tag=$1
	cp "$POL/$2" "$T/policy.lua"
	shift 2
	LOG=$T/$NAME.$tag.log
	ERR=$T/$NAME.$tag.err
	logarg="--log"
	[ -n "${START_NOLOG:-}" ] && logarg="--log-rate"	# "--log-rate N": the caller's flags say where
	[ -n "${START_NOLOG:-}" ] && LOG=50
	# START_NSENTER: into the namespace's network alone, keeping this mount
	# namespace's /sys (ip netns exec mounts one of its own, without cgroups)
	if [ -n "${START_NSENTER:-}" ]; then
		nsenter --net="/run/netns/$NS" "$OG" run --policy "$T/policy.lua" "$logarg" "$LOG" "$@" \
		    </dev/null >"$T/$NAME.$tag.out" 2>"$ERR" &
	else
		ip netns exec "$NS" "$OG" run --policy "$T/policy.lua" "$logarg" "$LOG" "$@" \
		    </dev/null >"$T/$NAME.$tag.out" 2>"$ERR" &
	fi
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
		fail "outgate run${*:+ $*} starts and says ready (exit $?: $(head -n 1 "$ERR"))"
	fi
	OGPID=""
	return 1
}

# stop_og: SIGTERM; it must exit 0 within 5 s and leave no rule in $NS
# (the descriptions name $NS when STOP_SAYS_NS is set)
STOP_SAYS_NS=""
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
	if [ -z "${START_NOLOG:-}" ] && [ -s "$LOG" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		if out=$(/usr/bin/python3 "$HERE/../../tools/check_log.py" \
		    "$HERE/../../tools/log-schema.json" "$LOG" 2>&1); then
			pass "its decision log matches tools/log-schema.json"
		else
			fail "its decision log matches tools/log-schema.json"
			printf '%s\n' "$out" | diag 5
		fi
	fi
	w=""
	[ -n "$STOP_SAYS_NS" ] && w=" in $NS"
	r4=$(rules "$NS" 4)
	r6=$(rules "$NS" 6)
	if [ "$r4" -eq 0 ]; then pass "no iptables rule or chain of ours left$w"; else fail "no iptables rule or chain of ours left$w ($r4 lines)"; fi
	if [ "$r6" -eq 0 ]; then pass "no ip6tables rule or chain of ours left$w"; else fail "no ip6tables rule or chain of ours left$w ($r6 lines)"; fi
}

# kill_og: SIGKILL, reaped
kill_og() {
	kill -KILL "$OGPID" 2>/dev/null
	i=0
	while [ "$i" -lt 50 ] && alive "$OGPID"; do sleep 0.1; i=$((i + 1)); done
	wait "$OGPID" 2>/dev/null
	OGPID=""
}

# ------------------------------------------------------------------ a long session
# A long TCP session from app, step by step: exchange 1 connects and echoes;
# exchange I > 1 waits for the file goI.  Each result goes to a file named I.
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
            put("port", str(s.getsockname()[1]))
        exchange(i)
        put(str(i), "ok (local port %d)" % s.getsockname()[1])
    except Exception as e:
        put(str(i), "fail: %s" % (e.strerror if isinstance(e, OSError) and e.strerror else e or type(e).__name__))
        sys.exit(1)
'
# session_start DIR ADDR PORT: a session in app, results in $T/DIR
session_start() {
	SD=$T/$1
	mkdir -p "$SD"
	timeout 120 ip netns exec "$LAB_APP" "$PY" -c "$SESSION" "$2" "$3" "$SD" </dev/null >"$SD/out" 2>&1 &
	SESSPID=$!
}
# session_step I: let exchange I run (I > 1), wait for it; its result in $SR
session_step() {
	[ "$1" -gt 1 ] && : >"$SD/go$1"
	i=0
	while [ "$i" -lt 100 ] && [ ! -f "$SD/$1" ]; do sleep 0.1; i=$((i + 1)); done
	SR=$(cat "$SD/$1" 2>/dev/null)
	[ -n "$SR" ] || SR="fail: no result in 10 s"
}
# session_ok I DESC / session_fails I DESC
session_ok() {
	session_step "$1"
	case "$SR" in ok*) pass "$2 ($SR)" ;; *) fail "$2 ($SR)" ;; esac
}
session_fails() {
	session_step "$1"
	case "$SR" in fail*) pass "$2 ($SR)" ;; *) fail "$2 ($SR)" ;; esac
}
session_stop() {
	stop_pid "$SESSPID"
	SESSPID=""
}
