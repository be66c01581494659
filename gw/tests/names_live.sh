#!/bin/sh
# names_live.sh OUTGATE - rules by host name in the live daemon (issue 6): a
# DNS server of our own in the lab's net namespace; a client in app that
# resolves and connects by name.  An allowed name works; the address of an
# allowed name without a lookup fails (no_dns_provenance); another name fails
# at DNS (dns_denied); DNS to a server the policy does not name fails
# (dns_denied); a ClientHello for another name on a resolved address fails
# (sni_mismatch).
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
PFX=og6-$$
T=""
OGPID=""
SESSPID=""
DNSPID=""

# shellcheck source=SCRIPTDIR/lib/live.sh
. "$HERE/lib/live.sh"

preflight
export LAB_LIFETIME=300
[ -x "$OG" ] || skip "$OG is not built"
dns_down() { stop_pid "$DNSPID"; DNSPID=""; }
CLEANUP_MORE=dns_down
arm_cleanup
lab_start
APP=$LAB_APP
NET=$LAB_NET
N4=$LAB_NET4 O4=$LAB_OTHER4 W4=$LAB_WEB4

# A DNS server: A records from the command line (name=addr ...), NXDOMAIN
# otherwise; TTL 60.  It ends by itself after 120 s.
SERVER='
import socket, struct, sys, time
addr = sys.argv[1]
table = dict(a.split("=") for a in sys.argv[2:])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
s.settimeout(1)
end = time.monotonic() + 120
while time.monotonic() < end:
    try:
        q, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    qend = i + 5
    name = ".".join(labels).lower()
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if len(q) >= qend else 0
    hit = name in table and qtype == 1
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180 if hit else 0x8183, 1, 1 if hit else 0, 0, 0)
    ans = b""
    if hit:
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(table[name])
    s.sendto(hdr + q[12:qend] + ans, peer)
'
# The client: resolve NAME at SERVER (or "-": connect to ADDR without a
# lookup), then connect to port 443 of the answer and send a ClientHello
# for SNI; the lab's server there echoes.  Prints ok or fail: why.
CLIENT='
import socket, struct, sys
server, name, addr, sni = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def query(name):
    q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    q += b"\x00" + struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q, (server, 53))
    r = s.recv(2048)
    if struct.unpack("!H", r[6:8])[0] < 1:
        raise OSError("no answer (rcode %d)" % (r[3] & 15))
    return socket.inet_ntoa(r[-4:])
def hello(sni):
    n = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(n) + 5, len(n) + 3, 0, len(n)) + n
    body = b"\x03\x03" + b"\x42" * 32 + b"\x00" + struct.pack("!H", 2) + b"\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs
try:
    if name != "-":
        addr = query(name)
    c = socket.create_connection((addr, 443), timeout=2)
    c.sendall(hello(sni))
    if not c.recv(4096):
        raise OSError("closed")
    print("ok " + addr)
except Exception as e:
    print("fail: %s" % e)
    sys.exit(1)
'
client() { timeout 10 ip netns exec "$APP" "$PY" -c "$CLIENT" "$@" 2>&1; }

begin setup names "$APP"
chmod 755 "$T"
ip netns exec "$NET" "$PY" -c "$SERVER" "$N4" web.example.com="$W4" other.test="$W4" \
    </dev/null >"$T/dns.out" 2>&1 &
DNSPID=$!
ip netns exec "$NET" "$PY" -c "$SERVER" "$O4" web.example.com="$W4" </dev/null >"$T/dns2.out" 2>&1 &
DNSPID="$DNSPID $!"
cat >"$T/names.lua" <<POLICY
return {
  dns = { resolvers = { "$N4" } },
  egress = {
    { name = "dns", proto = "udp", port = 53 },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
POLICY
POL=$T
expect_ok "outgate check accepts the policy" "$OG" check --policy "$T/names.lua"
sleep 0.3
out=$(client "$N4" web.example.com - web.example.com)
case "$out" in ok*) pass "no gateway: the client resolves and connects ($out)" ;;
*) fail "no gateway: the client resolves and connects ($out)" ;; esac
end

begin "names" names "$APP"
if start_og a names.lua; then
	out=$(client "$N4" - "$W4" web.example.com)
	case "$out" in fail*) pass "the address of an allowed name, without a lookup, fails ($out)" ;;
	*) fail "the address of an allowed name, without a lookup, fails ($out)" ;; esac
	out=$(client "$N4" web.example.com - web.example.com)
	case "$out" in ok*) pass "web.example.com resolves and connects ($out)" ;;
	*) fail "web.example.com resolves and connects ($out)" ;; esac
	out=$(client "$N4" other.test - other.test)
	case "$out" in fail*) pass "other.test fails at DNS ($out)" ;;
	*) fail "other.test fails at DNS ($out)" ;; esac
	out=$(client "$O4" web.example.com - web.example.com)
	case "$out" in fail*) pass "DNS to a server the policy does not name fails ($out)" ;;
	*) fail "DNS to a server the policy does not name fails ($out)" ;; esac
	out=$(client "$N4" web.example.com - evil.example.org)
	case "$out" in fail*) pass "a ClientHello for another name on the resolved address fails ($out)" ;;
	*) fail "a ClientHello for another name on the resolved address fails ($out)" ;; esac
	log_has "log: the first connection dropped, no_dns_provenance" verdict=drop reason=no_dns_provenance dst="$W4" dport=443
	log_has "log: the connection by name accepted, rule web, with its SNI" verdict=accept rule=web tls_sni=web.example.com
	log_has "log: the query for other.test dropped, dns_denied" verdict=drop reason=dns_denied dns_qname=other.test
	log_has "log: DNS to $O4 dropped, dns_denied" verdict=drop reason=dns_denied dst="$O4" dport=53
	log_has "log: the other SNI dropped, sni_mismatch" verdict=drop reason=sni_mismatch tls_sni=evil.example.org
	stop_og
fi
end
