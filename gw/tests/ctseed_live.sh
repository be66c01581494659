#!/bin/sh
# ctseed_live.sh - ctseed_dump against a real kernel: TCP, UDP and echo flows in a
# namespace pair of our own, IPv4 and IPv6.  Never touches the host's firewall or network.
# Prints "ok N - what" / "not ok N - what" lines and exits 0; "# skipped: why" alone when
# not root or namespaces are unusable.  CTSEED_LIVE_SHOW=1 prints a's dump.
set -u
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
NA=og-ct-a
NB=og-ct-b
VA=og-ct-va
VB=og-ct-vb
A4=10.97.0.1 B4=10.97.0.2
A6=fd97::1 B6=fd97::2
MARK=0x20000000
TCP_PORT=5501 UDP_PORT=5502
TCP_SPORT=40001 UDP_SPORT=40002
ICMP_ID=16962		# 0x4242
ICMP6_ID=17219		# 0x4343
TCP_ESTABLISHED=3	# TCP_CONNTRACK_ESTABLISHED
IPS_SEEN_REPLY=2
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
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: not root (namespaces and ctnetlink need CAP_NET_ADMIN)"
	exit 0
fi
for tool in ip iptables ip6tables python3 cc pkg-config timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "# skipped: $tool not found"
		exit 0
	fi
done
PY=$(command -v python3)
T=$(mktemp -d)

# shellcheck source=SCRIPTDIR/lib/pair.sh
. "$TOP/gw/tests/lib/pair.sh"
# shellcheck disable=SC2119
pair_up

# ok DESC / notok DESC [FILE]
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ $# -gt 1 ] && [ -f "$2" ] && sed 's/^/#   /' "$2" | head -n 8
}

# 1. the driver, built from this tree; the libraries split into words on purpose
# shellcheck disable=SC2046
if cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$TOP/gw" -o "$T/driver" \
    "$TOP/gw/tests/ctseed_driver.c" "$TOP/gw/ctseed.c" "$TOP/gw/addr.c" \
    $(pkg-config --libs libmnl) 2>"$T/err"; then
	ok "driver builds"
else
	notok "driver builds" "$T/err"
	exit 0
fi
# shellcheck disable=SC2086 # no MAX: no argument at all
dump() {	# dump NS OUT [MAX]
	ip netns exec "$1" timeout 10 "$T/driver" ${3:-} >"$2" 2>"$2.err"
}

# 2. before any rule: the dump works and, as conntrack hooks in a namespace
# only once a rule needs them, traffic sent now is not tracked
inA "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"early", ("'"$B4"'", 9))' 2>/dev/null
if dump "$NA" "$T/pre"; then
	ok "dump with no rule loaded succeeds"
	echo "# with no rule: $(grep -c '^proto=' "$T/pre") entries ($(grep -c "dport=9 " "$T/pre") of a datagram sent before any rule)"
else
	notok "dump with no rule loaded succeeds" "$T/pre.err"
fi

# 3. conntrack on in both namespaces, a connmark on what a sends to b
if { inA iptables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT &&
    inA ip6tables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT &&
    inA iptables -t mangle -A OUTPUT -d "$B4" -j CONNMARK --set-mark "$MARK" &&
    inA ip6tables -t mangle -A OUTPUT -d "$B6" -j CONNMARK --set-mark "$MARK" &&
    inB iptables -A INPUT -m conntrack --ctstate NEW -j ACCEPT &&
    inB ip6tables -A INPUT -m conntrack --ctstate NEW -j ACCEPT; } 2>"$T/err"; then
	ok "rules loaded inside the namespaces"
else
	notok "rules loaded inside the namespaces" "$T/err"
	exit 0
fi

# 4. servers in b: TCP holds each connection open, UDP echoes; 60 s at most
# started directly, not through inB: $! must be timeout itself (ip execs it), which
# passes our kill on to python; a function would leave them orphaned
ip netns exec "$NB" timeout 60 "$PY" -c '
import select, socket, sys
socks, conns = [], []
for fam, addr in ((socket.AF_INET, "'"$B4"'"), (socket.AF_INET6, "'"$B6"'")):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, '"$TCP_PORT"')); t.listen(4)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, '"$UDP_PORT"'))
    socks += [t, u]
print("ready", flush=True)
while True:
    r, _, _ = select.select(socks + conns, [], [], 1)
    for s in r:
        if s in conns:
            if not s.recv(4096):
                conns.remove(s); s.close()
        elif s.type == socket.SOCK_STREAM:
            c, _ = s.accept(); conns.append(c)
        else:
            d, peer = s.recvfrom(4096); s.sendto(d, peer)
' >"$T/server.out" 2>"$T/server.err" &
pids="$pids $!"
i=0
while [ $i -lt 50 ] && ! grep -q ready "$T/server.out" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done

# 5. the client in a: a TCP connection kept open, a UDP exchange, an echo, each family
ip netns exec "$NA" timeout 60 "$PY" -c '
import socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def echo(fam, dst, ident):
    if fam == socket.AF_INET:
        s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP); req, rep = 8, 0
    else:
        s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); req, rep = 128, 129
    body = struct.pack("!HH", ident, 1) + b"outgate"
    c = csum(struct.pack("!BBH", req, 0, 0) + body) if fam == socket.AF_INET else 0
    s.sendto(struct.pack("!BBH", req, 0, c) + body, (dst, 0))
    s.settimeout(0.5); end = time.time() + 3
    while time.time() < end:
        try: d = s.recv(2048)
        except socket.timeout: continue
        if fam == socket.AF_INET: d = d[(d[0] & 15) * 4:]
        if d[0] == rep and struct.unpack("!H", d[4:6])[0] == ident: return
    sys.exit("no echo reply from %s" % dst)
keep = []
for fam, src, dst, ident in ((socket.AF_INET, "'"$A4"'", "'"$B4"'", '"$ICMP_ID"'),
                             (socket.AF_INET6, "'"$A6"'", "'"$B6"'", '"$ICMP6_ID"')):
    t = socket.socket(fam, socket.SOCK_STREAM); t.settimeout(3)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((src, '"$TCP_SPORT"')); t.connect((dst, '"$TCP_PORT"')); t.sendall(b"hello")
    keep.append(t)
    u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(3)
    u.bind((src, '"$UDP_SPORT"')); u.sendto(b"ping", (dst, '"$UDP_PORT"')); u.recv(64)
    echo(fam, dst, ident)
print("ready", flush=True)
time.sleep(60)
' >"$T/client.out" 2>"$T/client.err" &
pids="$pids $!"
i=0
while [ $i -lt 100 ] && ! grep -q ready "$T/client.out" 2>/dev/null; do
	kill -0 $! 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
if grep -q ready "$T/client.out"; then
	ok "TCP, UDP and echo exchanged over IPv4 and IPv6"
else
	cat "$T/server.err" >>"$T/client.err"
	notok "TCP, UDP and echo exchanged over IPv4 and IPv6" "$T/client.err"
fi

# 6. the dump, in a
if dump "$NA" "$T/a"; then
	ok "dump in $NA succeeds ($(grep -c '^proto=' "$T/a") entries)"
else
	notok "dump in $NA succeeds" "$T/a.err"
fi
if grep -q '^# entries=.* malformed=0 ' "$T/a"; then
	ok "no entry malformed"
else
	notok "no entry malformed" "$T/a"
fi

# expect_flow FILE DESC PROTO SRC SPORT DST DPORT MARK [TCP_STATE]: one entry with
# that orig tuple, the reversed reply tuple (no NAT here), the mark, SEEN_REPLY
# and a timeout left; the TCP state when given
expect_flow() {
	f=$1 desc=$2 proto=$3 src=$4 sport=$5 dst=$6 dport=$7 mark=$8 state=${9:-}
	line=$(grep "^proto=$proto src=$src sport=$sport dst=$dst dport=$dport rsrc=$dst rsport=$dport rdst=$src rdport=$sport " "$f" | head -n 1)
	why=""
	if [ -z "$line" ]; then
		why="no such entry"
	else
		st=$(printf '%s\n' "$line" | sed -n 's/.* status=\(0x[0-9a-f]*\).*/\1/p')
		mk=$(printf '%s\n' "$line" | sed -n 's/.* mark=\(0x[0-9a-f]*\).*/\1/p')
		to=$(printf '%s\n' "$line" | sed -n 's/.* timeout=\([0-9]*\).*/\1/p')
		ts=$(printf '%s\n' "$line" | sed -n 's/.* tcp_state=\([0-9]*\).*/\1/p')
		[ $((st & IPS_SEEN_REPLY)) -ne 0 ] || why="$why status=$st lacks SEEN_REPLY;"
		[ $((mk)) -eq $((mark)) ] || why="$why mark=$mk;"
		[ "$to" -gt 0 ] || why="$why timeout=$to;"
		[ -z "$state" ] || [ "$ts" = "$state" ] || why="$why tcp_state=$ts;"
	fi
	if [ -z "$why" ]; then
		ok "$desc"
	else
		if [ -n "$line" ]; then
			printf '%s\n' "$line" >"$T/why"
			notok "$desc:$why" "$T/why"
		else
			notok "$desc: $why" "$f"
		fi
	fi
}

expect_flow "$T/a" "IPv4 TCP, established, marked" 6 "$A4" $TCP_SPORT "$B4" $TCP_PORT $MARK $TCP_ESTABLISHED
expect_flow "$T/a" "IPv4 UDP, replied, marked" 17 "$A4" $UDP_SPORT "$B4" $UDP_PORT $MARK
expect_flow "$T/a" "IPv4 ICMP echo, id in both ports, marked" 1 "$A4" $ICMP_ID "$B4" $ICMP_ID $MARK
expect_flow "$T/a" "IPv6 TCP, established, marked" 6 "$A6" $TCP_SPORT "$B6" $TCP_PORT $MARK $TCP_ESTABLISHED
expect_flow "$T/a" "IPv6 UDP, replied, marked" 17 "$A6" $UDP_SPORT "$B6" $UDP_PORT $MARK
expect_flow "$T/a" "IPv6 ICMPv6 echo, id in both ports, marked" 58 "$A6" $ICMP6_ID "$B6" $ICMP6_ID $MARK

if [ "${CTSEED_LIVE_SHOW:-}" = 1 ]; then
	sed 's/^/# a: /' "$T/a"
fi

# 7. b's table is its own: the same flows, seen from b, without a's mark
if dump "$NB" "$T/b"; then
	ok "dump in $NB succeeds ($(grep -c '^proto=' "$T/b") entries)"
else
	notok "dump in $NB succeeds" "$T/b.err"
fi
expect_flow "$T/b" "conntrack is per namespace: b has the IPv4 TCP flow, unmarked" 6 "$A4" $TCP_SPORT "$B4" $TCP_PORT 0 $TCP_ESTABLISHED
expect_flow "$T/b" "conntrack is per namespace: b has the IPv6 TCP flow, unmarked" 6 "$A6" $TCP_SPORT "$B6" $TCP_PORT 0 $TCP_ESTABLISHED

# 8. the callback stops the dump
if dump "$NA" "$T/one" 1 && [ "$(grep -c '^proto=' "$T/one")" -eq 1 ] &&
    grep -q '^# entries=1 ' "$T/one"; then
	ok "a callback returning -1 stops the dump after one entry"
else
	notok "a callback returning -1 stops the dump after one entry" "$T/one"
fi

# 9. without CAP_NET_ADMIN: one line, no crash
if command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T" "$T/driver"
	inA setpriv --reuid=65534 --regid=65534 --clear-groups \
	    timeout 10 "$T/driver" >"$T/np" 2>"$T/np.err"
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/np.err")" -eq 1 ] &&
	    grep -q '^conntrack: permission denied' "$T/np.err"; then
		ok "unprivileged: exit 1 with \"$(cat "$T/np.err")\""
	else
		notok "unprivileged: exit 1 with one permission line (exit $rc)" "$T/np.err"
	fi
fi

echo "1..$n"
exit 0
