#!/bin/sh
# fwrules_live.sh - the kernel rules of gw/fwrules.c installed, refused, replaced
# and removed, and what they do to packets, in network namespaces of its own.
# Never touches the machine's own firewall.  Prints "ok N - what" / "not ok N -
# what" lines and exits 0; not root or no `ip netns`: one "# skipped: why" line.
set -u

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: not root"
	exit 0
fi
if ! command -v ip >/dev/null 2>&1; then
	echo "# skipped: no ip command (iproute2)"
	exit 0
fi
NS=og-fw-$$
PEER=og-fwp-$$
if ! ip netns add "$NS" 2>/dev/null; then
	echo "# skipped: ip netns add failed (no network namespaces here)"
	exit 0
fi

TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$PEER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
n=0

X() { ip netns exec "$NS" "$@"; }
P() { ip netns exec "$PEER" "$@"; }
FWD() { X "$T/fwd" "$@"; }

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && [ -s "$2" ] && sed 's/^/#   /' "$2" | head -n 20
	return 0
}
# check DESC CMD...: ok when CMD exits 0
check() {
	desc=$1
	shift
	if "$@" >"$T/out" 2>"$T/err"; then pass "$desc"; else cat "$T/out" >>"$T/err"; fail "$desc" "$T/err"; fi
}

# the namespace's whole ruleset, both families, without counters or comments
save() {
	{
		X iptables-save 2>/dev/null
		echo "# ---- ip6"
		X ip6tables-save 2>/dev/null
	} | grep -v '^# [GC]' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'
}

# rules as `iptables -S` prints them, from our rendered restore input
as_listing() {
	sed -e '/^\*filter$/d' -e '/^COMMIT$/d' -e 's/^:\([A-Z_]*\) - \[0:0\]$/-N \1/' \
	    -e 's/^-I \([A-Z]*\) 1 /-A \1 /' -e 's/--comment "outgate"/--comment outgate/'
}

# same_file A B DESC
same_file() {
	if diff "$1" "$2" >"$T/diff" 2>&1; then pass "$3"; else fail "$3" "$T/diff"; fi
}

# ours_exactly FAMILY(4|6) DESC DRIVER-OPTIONS...: what the listing gained since
# $T/before.FAMILY is exactly the rendered rules, and it lost nothing
ours_exactly() {
	fam=$1
	desc=$2
	shift 2
	ipt=iptables
	[ "$fam" = 6 ] && ipt=ip6tables
	X "$ipt" -S 2>/dev/null | sort >"$T/now"
	"$T/fwd" "render$fam" "$@" | as_listing | sort >"$T/want"
	sort "$T/before.$fam" >"$T/was"
	comm -13 "$T/was" "$T/now" >"$T/gained"
	comm -23 "$T/was" "$T/now" >"$T/lost"
	if cmp -s "$T/gained" "$T/want" && [ ! -s "$T/lost" ]; then
		pass "$desc"
	else
		{ echo "gained vs rendered:"; diff "$T/want" "$T/gained"; echo "lost:"; cat "$T/lost"; } >"$T/diff"
		fail "$desc" "$T/diff"
	fi
}

# first_rule FAMILY CHAIN WANT: our jump is the first rule of CHAIN
first_rule() {
	ipt=iptables
	[ "$1" = 6 ] && ipt=ip6tables
	got=$(X "$ipt" -S "$2" 2>/dev/null | sed -n 2p)
	if [ "$got" = "-A $2 -m comment --comment outgate -j $3" ]; then
		pass "IPv$1: the jump to $3 is the first rule of $2"
	else
		echo "$got" >"$T/diff"
		fail "IPv$1: the jump to $3 is the first rule of $2" "$T/diff"
	fi
}

# counter FAMILY PATTERN: packets counted by the one rule matching PATTERN
counter() {
	ipt=iptables-save
	[ "$1" = 6 ] && ipt=ip6tables-save
	X "$ipt" -c 2>/dev/null | grep -F -- "$2" | sed -n 's/^\[\([0-9]*\):.*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }'
}

# ---- build the driver ---------------------------------------------------
CC=${CC:-cc}
if $CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/gw" \
    "$TOP/gw/tests/fwrules_driver.c" "$TOP/gw/fwrules.c" "$TOP/gw/diag.c" -o "$T/fwd" 2>"$T/err"; then
	pass "the test driver builds"
else
	fail "the test driver builds" "$T/err"
	exit 0
fi

# ---- rules of others, which must come through untouched -------------------
X ip link set lo up
user_rules() {
	X "$1" -A OUTPUT -j ACCEPT &&
	X "$1" -A OUTPUT -m comment --comment outgate-user -j ACCEPT &&
	X "$1" -A INPUT -m mark --mark 0x1/0x1 -j ACCEPT &&
	X "$1" -N USERCHAIN &&
	X "$1" -A USERCHAIN -m comment --comment "not outgate" -j RETURN &&
	X "$1" -A FORWARD -j USERCHAIN &&
	X "$1" -t mangle -A OUTPUT -j MARK --set-xmark 0x1/0x1
}
if ! user_rules iptables 2>"$T/err" || ! user_rules ip6tables 2>>"$T/err"; then
	fail "rules of others set up" "$T/err"
	exit 0
fi
save >"$T/save.before"
X iptables -S >"$T/before.4"
X ip6tables -S >"$T/before.6"

# ---- detection and the nft backend --------------------------------------
be=$(FWD detect)
case "$be" in
iptables | nft) pass "detect resolves auto to \"$be\"" ;;
*) echo "$be" >"$T/err"; fail "detect resolves auto" "$T/err" ;;
esac
if [ "$be" = iptables ]; then
	echo "# the kernel has no nftables queue expression"
	if ! FWD install --rules nft 2>"$T/err" &&
	    grep -q "nftables queue is not available in this kernel; use --rules iptables" "$T/err"; then
		pass "--rules nft fails with a clear error"
	else
		fail "--rules nft fails with a clear error" "$T/err"
	fi
fi
save >"$T/save.now"
same_file "$T/save.before" "$T/save.now" "detection leaves no table behind"
check "--rules none installs nothing" FWD install --rules none
out=$(FWD present 2>&1)
[ "$out" = 0 ] && pass "present: 0 before install" || { echo "$out" >"$T/err"; fail "present: 0 before install" "$T/err"; }

# ---- install, refuse, replace, remove -------------------------------------
check "install (host mode, one queue)" FWD install --queue 0
ours_exactly 4 "IPv4: exactly our chains and jumps were added"
ours_exactly 6 "IPv6: exactly our chains and jumps were added"
first_rule 4 OUTPUT OUTGATE_OUT
first_rule 4 INPUT OUTGATE_IN
first_rule 6 OUTPUT OUTGATE_OUT
first_rule 6 INPUT OUTGATE_IN
out=$(FWD present 2>&1)
[ "$out" = 1 ] && pass "present: 1 after install" || { echo "$out" >"$T/err"; fail "present: 1 after install" "$T/err"; }

save >"$T/save.installed"
if ! FWD install --queue 0 2>"$T/err" && grep -q "already exist.*OUTGATE_" "$T/err" &&
    [ "$(wc -l <"$T/err")" -eq 1 ]; then
	pass "install over ours is refused with one line naming the chain"
else
	fail "install over ours is refused with one line naming the chain" "$T/err"
fi
save >"$T/save.now"
same_file "$T/save.installed" "$T/save.now" "a refused install changes nothing"

check "install --replace in forward mode" FWD install --replace --forward --queues 2:5 --fail-open
ours_exactly 4 "IPv4 after --replace: only the forward chain and its jump" --forward --queues 2:5 --fail-open
ours_exactly 6 "IPv6 after --replace: only the forward chain and its jump" --forward --queues 2:5 --fail-open
first_rule 4 FORWARD OUTGATE_FWD
check "install --replace back to host mode" FWD install --replace --queue 3 --inbound
ours_exactly 4 "IPv4 after the second --replace" --queue 3 --inbound
ours_exactly 6 "IPv6 after the second --replace" --queue 3 --inbound

check "remove" FWD remove
save >"$T/save.now"
same_file "$T/save.before" "$T/save.now" "remove leaves every table as it was before"
check "remove again (nothing of ours) is fine" FWD remove
save >"$T/save.now"
same_file "$T/save.before" "$T/save.now" "the second remove changes nothing"
out=$(FWD present 2>&1)
[ "$out" = 0 ] && pass "present: 0 after remove" || { echo "$out" >"$T/err"; fail "present: 0 after remove" "$T/err"; }

# a stale jump of ours whose chain is gone, and a chain with no jump
X iptables -N OUTGATE_IN
X ip6tables -I OUTPUT -m comment --comment outgate -j ACCEPT
out=$(FWD present 2>&1)
[ "$out" = 1 ] && pass "present: 1 for a lone chain or rule of ours" || { echo "$out" >"$T/err"; fail "present: 1 for a lone chain or rule of ours" "$T/err"; }
check "remove clears a lone chain and a lone tagged rule" FWD remove
save >"$T/save.now"
same_file "$T/save.before" "$T/save.now" "... and leaves the rest as it was"

# ---- failures: IPv6 fails after IPv4 succeeded; ip6tables unusable ---------
mkdir "$T/fake6" "$T/broken6"
printf '#!/bin/sh\ncat >/dev/null\necho "fake ip6tables-restore: refused" >&2\nexit 1\n' >"$T/fake6/ip6tables-restore"
printf '#!/bin/sh\necho "ip6tables: fake: IPv6 is disabled" >&2\nexit 1\n' >"$T/broken6/ip6tables"
chmod +x "$T/fake6/ip6tables-restore" "$T/broken6/ip6tables"
if ! PATH="$T/fake6:$PATH" FWD install 2>"$T/err" && grep -q "IPv6.*refused.*IPv4 rules were removed again" "$T/err"; then
	pass "an IPv6 failure after IPv4 fails the install and says IPv4 was undone"
else
	fail "an IPv6 failure after IPv4 fails the install and says IPv4 was undone" "$T/err"
fi
save >"$T/save.now"
same_file "$T/save.before" "$T/save.now" "... and the IPv4 rules are gone again"
if ! PATH="$T/broken6:$PATH" FWD install 2>"$T/err" && grep -q "ip6tables is unusable" "$T/err"; then
	pass "an unusable ip6tables is said plainly"
else
	fail "an unusable ip6tables is said plainly" "$T/err"
fi
save >"$T/save.now"
same_file "$T/save.before" "$T/save.now" "... and nothing was installed"

# ---- what the rules do to packets ----------------------------------------
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
	echo "# packet checks skipped: no python3"
	exit 0
fi
cat >"$T/net.py" <<'PY'
# net.py serve PORT... | tcp ADDR PORT [TIMEOUT] | udp ADDR PORT [TIMEOUT]
# serve: TCP accept, say "hi", close; UDP echo; on [::] (v4 too); gone after 120 s.
# tcp/udp: one attempt, prints "ok", "refused" or "timeout", then the milliseconds.
import select, socket, sys, time
mode = sys.argv[1]
if mode == "serve":
    socks = []
    for p in map(int, sys.argv[2:]):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET6, kind)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", p))
            if kind == socket.SOCK_STREAM:
                s.listen(16)
            socks.append(s)
    print("ready", flush=True)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 1)
        for s in r:
            if s.type == socket.SOCK_STREAM:
                c, _ = s.accept()
                c.sendall(b"hi")
                c.close()
            else:
                d, a = s.recvfrom(2048)
                s.sendto(d, a)
    sys.exit(0)
addr, port = sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
t0 = time.monotonic()
s = socket.socket(fam, socket.SOCK_STREAM if mode == "tcp" else socket.SOCK_DGRAM)
s.settimeout(float(sys.argv[4]) if len(sys.argv) > 4 else 1.5)
try:
    s.connect((addr, port))
    if mode == "udp":
        try:
            s.send(b"ping")
        except PermissionError:
            # dropped in the sending call (our REJECT ran synchronously, as with
            # the mangle stand-in here); the ICMP error still reaches the socket
            pass
    res = "ok" if s.recv(16) else "closed"
except ConnectionRefusedError:
    res = "refused"
except (socket.timeout, TimeoutError):
    res = "timeout"
except OSError as e:
    res = "error:" + e.__class__.__name__
print(res, int((time.monotonic() - t0) * 1000))
PY

ip netns add "$PEER" || { fail "peer namespace" ; exit 0; }
ip link add og-fw-a netns "$NS" type veth peer name og-fw-b netns "$PEER" 2>"$T/err" ||
    { fail "veth pair between the namespaces" "$T/err"; exit 0; }
X ip addr add 192.0.2.1/24 dev og-fw-a
P ip addr add 192.0.2.2/24 dev og-fw-b
X ip addr add fd00:6f67::1/64 dev og-fw-a nodad
P ip addr add fd00:6f67::2/64 dev og-fw-b nodad
X ip link set og-fw-a up
P ip link set og-fw-b up
P ip link set lo up

# serve PEER|NS PORT...: a server in the background, waited for (bounded)
serve() {
	where=$1
	shift
	ip netns exec "$where" "$PY" "$T/net.py" serve "$@" >"$T/serve.$where" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ "$i" -lt 50 ] && ! grep -q ready "$T/serve.$where" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}
serve "$PEER" 7000 7001 7002 7003 7004
serve "$NS" 7000

# expect RESULT DESC NSFUNC tcp|udp ADDR PORT
expect() {
	want=$1
	desc=$2
	shift 2
	# what should pass gets time for a first neighbour resolution; what
	# should be held is given up on sooner
	wait=1.5
	[ "$want" = ok ] && wait=5
	got=$("$1" "$PY" "$T/net.py" "$2" "$3" "$4" "$wait" 2>&1)
	case "$got" in
	"$want "*) pass "$desc ($got ms)" ;;
	*) echo "$got" >"$T/err"; fail "$desc (wanted $want)" "$T/err" ;;
	esac
}

expect ok "no rules: TCP to the peer works" X tcp 192.0.2.2 7000
expect ok "no rules: TCP over IPv6 to the peer works" X tcp fd00:6f67::2 7000

# fail-closed, no inbound rule, nobody reading the queue
X ip neigh flush dev og-fw-a
X ip -6 neigh flush dev og-fw-a
P ip -6 neigh flush dev og-fw-b
check "install fail-closed" FWD install --queue 0
expect timeout "fail-closed, queue unread: outbound TCP is held" X tcp 192.0.2.2 7000
expect timeout "fail-closed, queue unread: outbound TCP over IPv6 is held" X tcp fd00:6f67::2 7000
expect ok "loopback is not ours: TCP to 127.0.0.1 works" X tcp 127.0.0.1 7000
expect ok "loopback is not ours: TCP to ::1 works" X tcp ::1 7000
expect timeout "inbound NEW is dropped" P tcp 192.0.2.1 7000
c=$(counter 4 "-A OUTGATE_IN -m conntrack --ctstate NEW")
[ "$c" -gt 0 ] && pass "... by the kernel rule, before the queue ($c packets)" ||
    { echo "count $c" >"$T/err"; fail "... by the kernel rule, before the queue" "$T/err"; }

# decisions as the daemon leaves them: our bits in the packet mark (here set
# by a mangle rule standing in for NF_REPEAT), plus a bit of someone else's
# in the connmark, which must survive
X iptables -t mangle -A OUTPUT -p tcp --dport 7001 -j CONNMARK --set-xmark 0x1/0x1
X iptables -t mangle -A OUTPUT -p tcp --dport 7001 -j MARK --set-xmark 0x20000000/0x60000000
X iptables -t mangle -A OUTPUT -p tcp --dport 7002 -j MARK --set-xmark 0x40000000/0x60000000
X iptables -t mangle -A OUTPUT -p tcp --dport 7003 -j MARK --set-xmark 0x60000000/0x60000000
X iptables -t mangle -A OUTPUT -p udp --dport 7004 -j MARK --set-xmark 0x60000000/0x60000000
X iptables -A OUTPUT -p tcp --dport 7001 -m connmark --mark 0x20000001/0x60000001 -j ACCEPT
X iptables -A INPUT -p tcp --sport 7001 -m connmark --mark 0x20000001/0x60000001 -j ACCEPT
X ip6tables -t mangle -A OUTPUT -p tcp --dport 7001 -j MARK --set-xmark 0x20000000/0x60000000
X ip6tables -t mangle -A OUTPUT -p tcp --dport 7003 -j MARK --set-xmark 0x60000000/0x60000000
expect ok "accept mark: the flow passes without the queue" X tcp 192.0.2.2 7001
c=$(counter 4 "-A INPUT -p tcp -m tcp --sport 7001 -m connmark --mark 0x20000001/0x60000001")
[ "$c" -gt 0 ] && pass "... its replies carry our bits and the other bit in the connmark ($c packets)" ||
    { echo "count $c" >"$T/err"; fail "... its replies carry our bits and the other bit in the connmark" "$T/err"; }
expect timeout "drop mark: the flow is dropped" X tcp 192.0.2.2 7002
c=$(counter 4 "-A OUTGATE_OUT -m connmark --mark 0x40000000/0x60000000")
[ "$c" -gt 0 ] && pass "... by our connmark DROP rule ($c packets)" ||
    { echo "count $c" >"$T/err"; fail "... by our connmark DROP rule" "$T/err"; }
expect refused "reject mark: TCP fails at once with a reset" X tcp 192.0.2.2 7003
expect refused "reject mark: UDP fails at once with port unreachable" X udp 192.0.2.2 7004
expect ok "IPv6 accept mark: the flow passes" X tcp fd00:6f67::2 7001
expect refused "IPv6 reject mark: TCP fails at once with a reset" X tcp fd00:6f67::2 7003
c=$(counter 6 "--icmpv6-type 135 -m hl --hl-eq 255")
c2=$(counter 6 "--icmpv6-type 136 -m hl --hl-eq 255")
[ "$c" -gt 0 ] && [ "$c2" -gt 0 ] && pass "neighbour discovery passes our rules (NS $c, NA $c2 packets)" ||
    { echo "NS $c NA $c2" >"$T/err"; fail "neighbour discovery passes our rules" "$T/err"; }

# fail-open with an inbound rule possible: the unread queue lets packets by
check "install --replace --fail-open --inbound" FWD install --replace --queues 0:1 --fail-open --inbound
expect ok "fail-open, queue unread: outbound TCP passes" X tcp 192.0.2.2 7000
expect ok "fail-open, queue unread: outbound UDP passes" X udp 192.0.2.2 7000
expect ok "fail-open, queue unread: outbound TCP over IPv6 passes" X tcp fd00:6f67::2 7000
expect ok "fail-open, inbound possible: inbound TCP reaches the queue and passes" P tcp 192.0.2.1 7000
check "remove at the end" FWD remove
out=$(FWD present 2>&1)
[ "$out" = 0 ] && pass "present: 0 at the end" || { echo "$out" >"$T/err"; fail "present: 0 at the end" "$T/err"; }
exit 0
