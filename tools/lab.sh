#!/bin/sh
# lab.sh - a two-namespace lab for outgate's live tests and demo.
#
#   tools/lab.sh up     [PREFIX]   build it (fails if its namespaces exist)
#   tools/lab.sh down   [PREFIX]   tear it down (idempotent; kills what runs inside)
#   tools/lab.sh env    [PREFIX]   print its names and addresses as shell assignments
#   tools/lab.sh client PREFIX tcp|udp|http ADDR PORT [TIMEOUT]   from app
#   tools/lab.sh probe  PREFIX ADDR PORT [TIMEOUT]                from net to app (TCP)
#   tools/lab.sh ping   PREFIX ADDR [TIMEOUT]                     ICMP echo from app
#
# PREFIX (default "og") names two namespaces, PREFIX-app (where outgate runs)
# and PREFIX-net (the servers), joined by a veth pair made inside them:
#
#   PREFIX-app  app0  10.77.0.2/24  fd77::2/64
#   PREFIX-net  net0  10.77.0.1/24  fd77::1/64   and 10.77.0.11, fd77::11
#
# Every address lives only inside these namespaces; nothing of the calling
# namespace (interfaces, routes, firewall) is touched.  `up` starts, in net, a
# TCP server on ports 80 and 8080 (an HTTP request gets "200 OK", anything
# else is echoed) and a UDP echo on 5353, on each of the four addresses; and in
# app a TCP echo on 2222 (10.77.0.2 and fd77::2) for inbound probes.
# client/probe/ping print "ok" or "fail: why" and exit 0 or 1 (2: bad usage);
# TIMEOUT is seconds (default 2) for connect + send + read back.  With
# LAB_UID set, the client runs as that uid (and gid).
#
# The servers are python3 (standard library only); they exit by themselves
# after LAB_LIFETIME seconds (default 3600).  Set LAB_PYTHON to choose the
# interpreter (default /usr/bin/python3 when present, else python3 on PATH).
set -u

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() {
	echo "lab.sh: $*" >&2
	exit 2
}

APP4=10.77.0.2
NET4=10.77.0.1
OTHER4=10.77.0.11
# a "public" web server for the demo policy (rules/default.lua allows HTTPS to
# 198.51.100.0/24): a documentation address that exists only in the lab
WEB4=198.51.100.10
WEB_PORT=443
APP6=fd77::2
NET6=fd77::1
OTHER6=fd77::11
TCP_PORTS="80 8080"
UDP_PORT=5353
APP_PORT=2222

pick_python() {
	if [ -n "${LAB_PYTHON:-}" ]; then
		PY=$LAB_PYTHON
	elif [ -x /usr/bin/python3 ]; then
		PY=/usr/bin/python3
	else
		PY=$(command -v python3) || die "python3 not found"
	fi
}

# names PREFIX: set every name that depends on the prefix
names() {
	P=$1
	case "$P" in
	"" | *[!A-Za-z0-9_-]*) die "bad prefix \"$P\" (letters, digits, _ and - only)" ;;
	esac
	[ "${#P}" -le 40 ] || die "prefix \"$P\" is too long (40 at most)"
	APP=$P-app
	NET=$P-net
	if [ -w /run ] || [ "$(id -u)" -eq 0 ]; then
		STATE=/run/outgate-lab/$P
	else
		STATE=${TMPDIR:-/tmp}/outgate-lab/$P
	fi
}

ns_exists() {
	[ -e "/run/netns/$1" ] || ip netns list 2>/dev/null | grep -q "^$1\( \|\$\)"
}

# seconds TIMEOUT: check a timeout, print the outer bound for `timeout`
check_timeout() {
	case "$1" in
	"" | *[!0-9.]* | .* | *.*.*) die "bad timeout \"$1\"" ;;
	esac
}
outer() { awk -v t="$1" 'BEGIN { printf "%g", t * 2 + 2 }'; }

# ---------------------------------------------------------------- python parts

write_server() {
	cat >"$1" <<'PY'
# outgate lab server: server.py READYFILE LIFETIME SPEC...
# SPEC is tcp:ADDR:PORT or udp:ADDR:PORT.  TCP: an HTTP request gets a short
# "200 OK" and the connection closes; any other bytes are echoed until EOF.
# UDP: every datagram is sent back from the address it came to.
import os, socket, sys, threading, time

IDLE = 120.0

def tcp_conn(c, addr, port):
    try:
        c.settimeout(IDLE)
        data = c.recv(4096)
        if data.split(b" ", 1)[0] in (b"GET", b"HEAD", b"POST", b"PUT"):
            while b"\r\n\r\n" not in data and len(data) < 8192:
                more = c.recv(4096)
                if not more:
                    break
                data += more
            body = ("outgate-lab %s %d\n" % (addr, port)).encode()
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            return
        while data:
            c.sendall(data)
            data = c.recv(65536)
    except OSError:
        pass
    finally:
        c.close()

def tcp_loop(s, addr, port):
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            continue
        threading.Thread(target=tcp_conn, args=(c, addr, port), daemon=True).start()

def udp_loop(s):
    while True:
        try:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
        except OSError:
            pass

def main():
    ready, lifetime = sys.argv[1], float(sys.argv[2])
    for spec in sys.argv[3:]:
        proto, rest = spec.split(":", 1)
        addr, port = rest.rsplit(":", 1)
        port = int(port)
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        if proto == "tcp":
            s.listen(128)
            t = threading.Thread(target=tcp_loop, args=(s, addr, port), daemon=True)
        else:
            t = threading.Thread(target=udp_loop, args=(s,), daemon=True)
        t.start()
    with open(ready, "w") as f:
        f.write("%d\n" % os.getpid())
    time.sleep(lifetime)
    os._exit(0)

main()
PY
}

# the client: one exchange, prints ok / fail: why
CLIENT='
import socket, sys, time
proto, addr, port, tmo = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
t0 = time.monotonic()
end = t0 + tmo
def left():
    return max(end - time.monotonic(), 0.001)
def done(ok, what):
    head = ("ok " + what if what else "ok") if ok else "fail: " + what
    print("%s (%.3f s)" % (head, time.monotonic() - t0))
    sys.exit(0 if ok else 1)
msg = b"outgate-lab %d\n" % int(time.time() * 1000)
s = socket.socket(fam, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
try:
    s.settimeout(left())
    s.connect((addr, port))
    if proto == "udp":
        s.send(msg)
        s.settimeout(left())
        got = s.recv(65535)
        if got != msg:
            done(False, "wrong reply")
        done(True, "")
    if proto == "http":
        s.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % addr.encode())
        got = b""
        while b"\n" not in got:
            s.settimeout(left())
            more = s.recv(4096)
            if not more:
                break
            got += more
        line = got.split(b"\r\n", 1)[0].decode("latin-1")
        done(line.startswith("HTTP/") and " 200 " in line + " ", line or "no status line")
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        s.settimeout(left())
        more = s.recv(4096)
        if not more:
            done(False, "closed")
        got += more
    done(got == msg, "" if got == msg else "wrong reply")
except socket.timeout:
    done(False, "timed out")
except ConnectionRefusedError:
    done(False, "refused")
except ConnectionResetError:
    done(False, "reset")
except OSError as e:
    done(False, e.strerror or str(e))
'

# ICMP echo over a raw socket, for machines without ping
PINGER='
import os, socket, struct, sys, time, select
addr, tmo = sys.argv[1], float(sys.argv[2])
v6 = ":" in addr
t0 = time.monotonic()
def done(ok, what):
    head = ("ok " + what if what else "ok") if ok else "fail: " + what
    print("%s (%.3f s)" % (head, time.monotonic() - t0))
    sys.exit(0 if ok else 1)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
ident, seq = os.getpid() & 0xffff, 1
payload = b"outgate-lab-ping"
try:
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        pkt = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload
    s.sendto(pkt, (addr, 0))
    end = t0 + tmo
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], end - time.monotonic())
        if not r:
            break
        data = s.recv(65535)
        if not v6:
            data = data[(data[0] & 15) * 4:]
        if len(data) < 8:
            continue
        typ, _, _, i, q = struct.unpack("!BBHHH", data[:8])
        if typ == (129 if v6 else 0) and i == ident and q == seq:
            done(True, "")
    done(False, "timed out")
except OSError as e:
    done(False, e.strerror or str(e))
'

# ---------------------------------------------------------------- commands

cmd_env() {
	cat <<EOF
LAB_PREFIX='$P'
LAB_APP='$APP'
LAB_NET='$NET'
LAB_APP_IF='app0'
LAB_NET_IF='net0'
LAB_APP4='$APP4'
LAB_NET4='$NET4'
LAB_OTHER4='$OTHER4'
LAB_WEB4='$WEB4'
LAB_WEB_PORT='$WEB_PORT'
LAB_APP6='$APP6'
LAB_NET6='$NET6'
LAB_OTHER6='$OTHER6'
LAB_NET4_CIDR='10.77.0.0/24'
LAB_NET6_CIDR='fd77::/64'
LAB_TCP_PORTS='$TCP_PORTS'
LAB_UDP_PORT='$UDP_PORT'
LAB_APP_PORT='$APP_PORT'
LAB_STATE='$STATE'
EOF
}

# kill_ns NS: end every process in namespace NS, TERM then KILL, bounded
kill_ns() {
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	i=0
	while [ "$i" -lt 20 ]; do
		pids=$(ip netns pids "$1" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	i=0
	while [ "$i" -lt 20 ] && [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

cmd_down() {
	rc=0
	for ns in "$APP" "$NET"; do
		ns_exists "$ns" || continue
		kill_ns "$ns"
		ip netns del "$ns" 2>/dev/null || { echo "lab.sh: cannot delete namespace $ns" >&2; rc=1; }
	done
	rm -rf "$STATE"
	rmdir "$(dirname "$STATE")" 2>/dev/null
	return $rc
}

# start_server NS NAME SPEC...: a server in the background, wait for it to bind
start_server() {
	ns=$1 name=$2
	shift 2
	rm -f "$STATE/$name.ready"
	ip netns exec "$ns" "$PY" "$STATE/server.py" "$STATE/$name.ready" "${LAB_LIFETIME:-3600}" "$@" \
	    </dev/null >"$STATE/$name.log" 2>&1 &
	echo $! >"$STATE/$name.pid"
	i=0
	while [ "$i" -lt 50 ]; do
		[ -s "$STATE/$name.ready" ] && return 0
		kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "lab.sh: the $name server in $ns did not start:" >&2
	sed 's/^/  /' "$STATE/$name.log" >&2
	return 1
}

setup() {
	mkdir -p "$STATE" || return 1
	ip netns add "$APP" || return 1
	ip netns add "$NET" || return 1
	for ns in "$APP" "$NET"; do
		# addresses usable at once: no duplicate address detection, also
		# not for the link-local addresses the veth gets
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.disable_ipv6=0 \
		    net.ipv6.conf.default.disable_ipv6=0 >/dev/null || return 1
		ip -n "$ns" link set lo up || return 1
	done
	# the pair is made inside app, its peer goes straight into net
	ip -n "$APP" link add app0 type veth peer name net0 netns "$NET" || return 1
	ip -n "$APP" addr add "$APP4/24" dev app0 || return 1
	ip -n "$APP" addr add "$APP6/64" dev app0 nodad || return 1
	ip -n "$NET" addr add "$NET4/24" dev net0 || return 1
	ip -n "$NET" addr add "$OTHER4/24" dev net0 || return 1
	ip -n "$NET" addr add "$WEB4/32" dev net0 || return 1
	ip -n "$NET" addr add "$NET6/64" dev net0 nodad || return 1
	ip -n "$NET" addr add "$OTHER6/64" dev net0 nodad || return 1
	ip -n "$APP" link set app0 up || return 1
	ip -n "$NET" link set net0 up || return 1
	ip -n "$APP" route add "$WEB4/32" via "$NET4" dev app0 || return 1
	write_server "$STATE/server.py" || return 1
	specs=""
	for a in "$NET4" "$OTHER4" "$NET6" "$OTHER6"; do
		for p in $TCP_PORTS; do
			specs="$specs tcp:$a:$p"
		done
		specs="$specs udp:$a:$UDP_PORT"
	done
	specs="$specs tcp:$WEB4:$WEB_PORT"
	# shellcheck disable=SC2086
	start_server "$NET" net $specs || return 1
	start_server "$APP" app "tcp:$APP4:$APP_PORT" "tcp:$APP6:$APP_PORT" || return 1
	# both links up and answering before we say so (bounded)
	i=0
	while [ "$i" -lt 30 ]; do
		if ip netns exec "$APP" "$PY" -c "$CLIENT" tcp "$NET4" 80 0.5 >/dev/null 2>&1 &&
		    ip netns exec "$APP" "$PY" -c "$CLIENT" tcp "$NET6" 80 0.5 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "lab.sh: the link between $APP and $NET does not carry traffic" >&2
	return 1
}

cmd_up() {
	for ns in "$APP" "$NET"; do
		if ns_exists "$ns"; then
			echo "lab.sh: namespace $ns exists already (tools/lab.sh down $P removes it)" >&2
			return 1
		fi
	done
	if ! setup; then
		echo "lab.sh: up failed; tearing down what was made" >&2
		cmd_down
		return 1
	fi
	return 0
}

need_ns() {
	ns_exists "$1" || die "namespace $1 does not exist (tools/lab.sh up $P)"
}

cmd_client() {
	if [ $# -lt 3 ] || [ $# -gt 4 ]; then usage; fi
	case "$1" in tcp | udp | http) ;; *) usage ;; esac
	t=${4:-2}
	check_timeout "$t"
	need_ns "$APP"
	as=""
	[ -n "${LAB_UID:-}" ] && as="setpriv --reuid=$LAB_UID --regid=$LAB_UID --clear-groups"
	# shellcheck disable=SC2086  # $as: a command and its flags, or nothing
	timeout -k 1 "$(outer "$t")" ip netns exec "$APP" $as "$PY" -c "$CLIENT" "$1" "$2" "$3" "$t" ||
	    { rc=$?; [ "$rc" -eq 1 ] || echo "fail: client exit $rc"; return 1; }
}

cmd_probe() {
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
	t=${3:-2}
	check_timeout "$t"
	need_ns "$NET"
	timeout -k 1 "$(outer "$t")" ip netns exec "$NET" "$PY" -c "$CLIENT" tcp "$1" "$2" "$t" ||
	    { rc=$?; [ "$rc" -eq 1 ] || echo "fail: client exit $rc"; return 1; }
}

cmd_ping() {
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
	t=${2:-2}
	check_timeout "$t"
	need_ns "$APP"
	if command -v ping >/dev/null 2>&1; then
		w=$(awk -v t="$t" 'BEGIN { w = int(t + 0.999); print w < 1 ? 1 : w }')
		if timeout -k 1 "$(outer "$t")" ip netns exec "$APP" ping -n -q -c 1 -W "$w" "$1" >/dev/null 2>&1; then
			echo ok
			return 0
		fi
		echo "fail: no reply"
		return 1
	fi
	timeout -k 1 "$(outer "$t")" ip netns exec "$APP" "$PY" -c "$PINGER" "$1" "$t" ||
	    { rc=$?; [ "$rc" -eq 1 ] || echo "fail: pinger exit $rc"; return 1; }
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
up | down | env)
	[ $# -le 1 ] || usage
	names "${1:-og}"
	pick_python
	case "$cmd" in
	up)
		[ "$(id -u)" -eq 0 ] || die "up needs root"
		cmd_up
		;;
	down) cmd_down ;;
	env) cmd_env ;;
	esac
	;;
client | probe | ping)
	[ $# -ge 1 ] || usage
	names "$1"
	shift
	pick_python
	"cmd_$cmd" "$@"
	;;
-h | --help | help) usage ;;
*) usage ;;
esac
