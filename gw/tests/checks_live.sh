#!/bin/sh
# checks_live.sh OUTGATE - Lua checks in the live daemon (issue 5): a rule
# with checks.sni_matches_host lets a ClientHello for an allowed name through
# and stops one for another name before the server sees it; a rule with
# http_methods{"GET"} lets GET through and stops POST; the check's verdict
# sticks (the rest of an accepted flow flows); the log has one record per
# checked flow, with tls_sni / http_host and the check's reason.
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
PFX=og5-$$
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

# A client that sends a first message (a ClientHello or an HTTP request),
# then a second one, and says what came back: the lab's servers echo
# anything that is not an HTTP request, and answer an HTTP request.
CLIENT='
import socket, struct, sys
kind, addr, port, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def hello(sni):
    name = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    ext += struct.pack("!HHB", 43, 3, 2) + b"\x03\x04"
    body = b"\x03\x03" + b"\x42" * 32 + b"\x00" + struct.pack("!H", 2) + b"\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
s = socket.create_connection((addr, port), timeout=2)
sp = s.getsockname()[1]
try:
    if kind == "tls":
        msg = hello(arg)
    else:
        msg = ("%s / HTTP/1.1\r\nHost: web.example.com\r\nContent-Length: 0\r\n\r\n" % arg).encode()
    s.sendall(msg)
    got = s.recv(65536)
    if not got:
        raise OSError("closed")
    if kind == "tls":
        s.sendall(b"more bytes\n")
        more = s.recv(4096)
        if not more:
            raise OSError("closed after the hello")
    print("ok %d" % sp)
except Exception as e:
    print("fail %d: %s" % (sp, e))
    sys.exit(1)
'
client() { timeout 10 ip netns exec "$APP" "$PY" -c "$CLIENT" "$@" 2>&1; }

begin setup checks "$APP"
chmod 755 "$T"
cat >"$T/checks.lua" <<POLICY
local c = require "checks"
return {
  egress = {
    { name = "tls", proto = "tcp", port = 8080, to = "$N4",
      host = { "*.example.com" }, check = "checks.sni_matches_host" },
    { name = "web", proto = "tcp", port = 80, to = "$N4", check = "get_only" },
  },
  checks = { get_only = c.http_methods{ "GET" } },
}
POLICY
POL=$T
expect_ok "outgate check accepts the policy" "$OG" check --policy "$T/checks.lua"
end

begin "checks" checks "$APP"
if start_og a checks.lua; then
	out=$(client tls "$N4" 8080 api.example.com)
	case "$out" in ok*) pass "a ClientHello for api.example.com passes, and the flow goes on" ;;
	*) fail "a ClientHello for api.example.com passes ($out)" ;; esac
	out=$(client tls "$N4" 8080 evil.test)
	case "$out" in fail*) pass "a ClientHello for evil.test is stopped ($out)" ;;
	*) fail "a ClientHello for evil.test is stopped ($out)" ;; esac
	out=$(client http "$N4" 80 GET)
	case "$out" in ok*) pass "GET passes the http_methods check" ;;
	*) fail "GET passes the http_methods check ($out)" ;; esac
	out=$(client http "$N4" 80 POST)
	case "$out" in fail*) pass "POST is stopped ($out)" ;;
	*) fail "POST is stopped ($out)" ;; esac
	log_has "log: the allowed hello, with its SNI" verdict=accept reason=allowed rule=tls tls_sni=api.example.com
	log_has "log: the refused hello, reason check, detail sni_mismatch" verdict=drop reason=check detail=sni_mismatch rule=tls tls_sni=evil.test
	log_has "log: GET accepted with its host" verdict=accept rule=web http_method=GET http_host=web.example.com
	log_has "log: POST dropped, detail http_method" verdict=drop reason=check detail=http_method rule=web http_method=POST
	cnt=$(grep -c '"rule":"tls"' "$LOG")
	if [ "$cnt" -eq 2 ]; then pass "one record per checked flow (2 for rule tls)"
	else fail "one record per checked flow (2 for rule tls, got $cnt)"; fi
	# logrotate: the file moves, SIGUSR1, the next records go to a new file
	mv "$LOG" "$LOG.1"
	kill -USR1 "$OGPID"
	i=0
	while [ "$i" -lt 30 ] && ! grep -q "log reopened" "$ERR"; do sleep 0.1; i=$((i + 1)); done
	out=$(client http "$N4" 80 GET)
	log_has "SIGUSR1 reopens the log: a new file has the next decision" verdict=accept rule=web http_method=GET
	stop_og
fi
end

# ------------------------------------------------------------------ a rule's own mode
sed 's/check = "get_only" }/check = "get_only", mode = "monitor" }/' "$T/checks.lua" >"$T/watched.lua"
begin "a watched rule" watched "$APP"
if start_og a watched.lua; then
	out=$(client http "$N4" 80 POST)
	case "$out" in ok*) pass "POST passes: the rule is in monitor mode, the policy enforces" ;;
	*) fail "POST passes: the rule is in monitor mode ($out)" ;; esac
	log_has "log: POST accepted, would drop, reason check" verdict=accept would=drop reason=check rule=web http_method=POST
	out=$(client tls "$N4" 8080 evil.test)
	case "$out" in fail*) pass "the other rule is still enforced: evil.test stopped" ;;
	*) fail "the other rule is still enforced: evil.test stopped ($out)" ;; esac
	stop_og
fi
end

# ------------------------------------------------------------------ syslog
SYSLOGD='
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.monotonic() + 60
with open(sys.argv[2], "a") as out:
    while time.monotonic() < end:
        try:
            out.write(s.recv(8192).decode("utf-8", "replace") + "\n")
            out.flush()
        except socket.timeout:
            pass
'
begin "syslog" syslog "$APP"
"$PY" -c "$SYSLOGD" "$T/syslog.sock" "$T/syslog.txt" </dev/null >/dev/null 2>&1 &
SLPID=$!
i=0
while [ "$i" -lt 30 ] && [ ! -S "$T/syslog.sock" ]; do sleep 0.1; i=$((i + 1)); done
START_NOLOG=1
if start_og a checks.lua --syslog="$T/syslog.sock"; then
	out=$(client http "$N4" 80 GET)
	i=0
	while [ "$i" -lt 30 ] && ! grep -q '"http_method":"GET"' "$T/syslog.txt" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if grep -q '^<30>outgate\[[0-9]*\]: {"ts":.*"verdict":"accept".*"http_method":"GET"' "$T/syslog.txt"; then
		pass "--syslog: the decision goes to the syslog socket, daemon.info, tagged outgate[PID]"
	else
		fail "--syslog: the decision goes to the syslog socket"
		diag 5 <"$T/syslog.txt"
	fi
	stop_og
fi
START_NOLOG=""
kill "$SLPID" 2>/dev/null
wait "$SLPID" 2>/dev/null
end
