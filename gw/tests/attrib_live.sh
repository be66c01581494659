#!/bin/sh
# attrib_live.sh - attrib_lookup against a real kernel, in a namespace of our own: TCP over
# IPv4 and IPv6, connected UDP, a tuple with no socket, a client run as uid 65534.
# Prints "ok N - what" / "not ok N - what" and exits 0; "# skipped: why" when it cannot run.
set -u
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
NS=og-at-$$
TCP_PORT=5601 UDP_PORT=5602
C4_PORT=41001 C6_PORT=41002 CU_PORT=41003 CN_PORT=41004
n=0
pids=""
T=""

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: not root (a namespace of our own needs CAP_SYS_ADMIN)"
	exit 0
fi
for tool in ip python3 cc setpriv timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "# skipped: $tool not found"
		exit 0
	fi
done
# a real interpreter, not a wrapper script: its exe is what we check, and
# uid 65534 must be able to run it
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T=$(mktemp -d)
chmod 755 "$T"

if ! ip netns add "$NS" 2>"$T/err"; then
	echo "# skipped: network namespaces unusable: $(head -n 1 "$T/err")"
	exit 0
fi
if ! ip netns exec "$NS" ip link set lo up 2>"$T/err"; then
	echo "# skipped: cannot bring up lo: $(head -n 1 "$T/err")"
	exit 0
fi

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ $# -gt 1 ] && [ -f "$2" ] && sed 's/^/#   /' "$2" | head -n 8
}

if cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$TOP/gw" -o "$T/driver" \
    "$TOP/gw/attrib.c" "$TOP/gw/cgroupid.c" "$TOP/gw/addr.c" "$TOP/gw/tests/attrib_driver.c" 2>"$T/err"; then
	ok "driver builds"
else
	notok "driver builds" "$T/err"
	exit 0
fi

# wait_ready FILE PID: up to 5 s for "ready" in FILE
wait_ready() {
	i=0
	while [ $i -lt 50 ] && ! grep -q '^ready' "$1" 2>/dev/null; do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	grep -q '^ready' "$1" 2>/dev/null
}

# the server: TCP on both loopbacks (accepting, so it holds sockets too), UDP on 127.0.0.1
ip netns exec "$NS" timeout 60 "$PY" -c '
import os, select, socket
ls = []
for fam, a in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((a, '"$TCP_PORT"')); t.listen(8); ls.append(t)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", '"$UDP_PORT"'))
print("ready", os.getpid(), flush=True)
conns = []
while True:
    r, _, _ = select.select(ls + [u], [], [], 1)
    for s in r:
        if s is u: u.recvfrom(64)
        else: conns.append(s.accept()[0])
' >"$T/server.out" 2>"$T/server.err" &
pids="$pids $!"
if ! wait_ready "$T/server.out" $!; then
	notok "server starts" "$T/server.err"
	exit 0
fi

# client PORT4 PORT6 PORTU OUT [setpriv args]: TCP v4 and v6, connected UDP, from fixed ports
client() {
	out=$1; shift
	ip netns exec "$NS" timeout 60 "$@" "$PY" -c '
import os, socket, sys, time
p4, p6, pu = (int(x) for x in sys.argv[1:4])
a = socket.socket(socket.AF_INET, socket.SOCK_STREAM); a.bind(("127.0.0.1", p4))
a.connect(("127.0.0.1", '"$TCP_PORT"'))
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); b.bind(("::1", p6))
b.connect(("::1", '"$TCP_PORT"'))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", pu))
u.connect(("127.0.0.1", '"$UDP_PORT"')); u.send(b"x")
print("ready", os.getpid(), flush=True)
time.sleep(60)
' "$C4_PORT" "$C6_PORT" "$CU_PORT" >"$out" 2>"$out.err" &
	pids="$pids $!"
	wait_ready "$out" $!
}

# check DESC PROTO LADDR LPORT RADDR RPORT PID UID: the driver names that pid, its exe, that uid
check() {
	desc=$1 want_pid=$7 want_uid=$8
	ip netns exec "$NS" timeout 10 "$T/driver" "$2" "$3" "$4" "$5" "$6" \
	    >"$T/d.out" 2>"$T/d.err"
	want_exe=$(readlink "/proc/$want_pid/exe")
	line=$(head -n 1 "$T/d.out")
	case "$line" in
	"found=1 how=sock_diag pid=$want_pid uid=$want_uid "*" exe=$want_exe cgroup="*)
		ok "$desc: pid $want_pid uid $want_uid exe $want_exe" ;;
	*)
		echo "# wanted pid=$want_pid uid=$want_uid exe=$want_exe" >>"$T/d.out"
		cat "$T/d.err" >>"$T/d.out"
		notok "$desc" "$T/d.out" ;;
	esac
}

if client "$T/c.out"; then
	cpid=$(sed -n 's/^ready //p' "$T/c.out")
	check "TCP IPv4 client" tcp 127.0.0.1 "$C4_PORT" 127.0.0.1 "$TCP_PORT" "$cpid" 0
	check "TCP IPv6 client" tcp ::1 "$C6_PORT" ::1 "$TCP_PORT" "$cpid" 0
	check "UDP connected client" udp 127.0.0.1 "$CU_PORT" 127.0.0.1 "$UDP_PORT" "$cpid" 0
	spid=$(sed -n 's/^ready //p' "$T/server.out")
	check "UDP server's unconnected socket" udp 127.0.0.1 "$UDP_PORT" 127.0.0.1 "$CU_PORT" "$spid" 0
	check "TCP listener for a new peer" tcp 127.0.0.1 "$TCP_PORT" 127.0.0.1 "$CN_PORT" "$spid" 0
else
	notok "client connects" "$T/c.out.err"
fi

# no socket at all: not found, and why
ip netns exec "$NS" timeout 10 "$T/driver" tcp 127.0.0.1 "$CN_PORT" 127.0.0.1 9 >"$T/d.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '^found=0 why="no socket"' "$T/d.out"; then
	ok "a tuple with no socket: not found, why=\"no socket\""
else
	notok "a tuple with no socket (exit $rc)" "$T/d.out"
fi

# the same client as uid 65534, from other ports
C4_PORT=42001 C6_PORT=42002 CU_PORT=42003
if client "$T/n.out" setpriv --reuid 65534 --regid 65534 --clear-groups; then
	npid=$(sed -n 's/^ready //p' "$T/n.out")
	check "TCP IPv4 client as 65534" tcp 127.0.0.1 "$C4_PORT" 127.0.0.1 "$TCP_PORT" "$npid" 65534
	check "UDP client as 65534" udp 127.0.0.1 "$CU_PORT" 127.0.0.1 "$UDP_PORT" "$npid" 65534
else
	notok "client runs as uid 65534" "$T/n.out.err"
fi
exit 0
