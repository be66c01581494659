#!/bin/sh
# live2.sh OUTGATE - more of the live daemon, in namespaces of its own: two
# queues with --queue-balance, a bastion (--forward) between three namespaces,
# monitor mode, --replace after a SIGKILL, the connection-mark bits of others
# kept, and a restart that keeps a connection made while no gateway ran only
# because the conntrack table was read at start (--no-seed cuts it).
#
# Prints "ok N - what" / "not ok N - what" lines and "# ..." diagnostics
# (with a scenario's decision log when one of its tests fails), and exits 0.
# Not root, or no working `ip netns`: one line "# skipped: why" and nothing else.
# Runs with sh (dash); every wait is bounded; everything it made is torn down
# and everything it started is ended on any exit.  Nothing outside its own
# namespaces is addressed or changed (no firewall of the machine's own).
# shellcheck disable=SC2317  # functions called through traps and wrappers
set -u
OG=${1:-build/outgate}
case "$OG" in /*) ;; *) OG=$(pwd)/$OG ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../../tools/lab.sh"
POL="$HERE/live2"
PFX=og2-$$
# the bastion's three namespaces
BC=$PFX-bc
BR=$PFX-br
BN=$PFX-bn
T=""
OGPID=""
SESSPID=""
BSRV=""

# shellcheck source=SCRIPTDIR/lib/live.sh
. "$HERE/lib/live.sh"

preflight
# the lab's servers end by themselves after this long, whatever happens to us
export LAB_LIFETIME=300
[ -x "$OG" ] || skip "$OG is not built"
if "$OG" run --help 2>&1 | grep -q 'unknown command'; then
	skip "$OG has no run command yet"
fi

# kill_ns NS: end what still runs in one of our namespaces (all of it ours), bounded
kill_ns() {
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	i=0
	while [ "$i" -lt 20 ] && [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pids=$(ip netns pids "$1" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	return 0
}

bastion_down() {
	for p in $BSRV; do stop_pid "$p"; done
	BSRV=""
	for ns in "$BC" "$BR" "$BN"; do
		ns_exists "$ns" || continue
		kill_ns "$ns"
		ip netns del "$ns" 2>/dev/null
	done
}

CLEANUP_MORE=bastion_down
STOP_SAYS_NS=1
arm_cleanup
lab_start
APP=$LAB_APP
NET=$LAB_NET

A4=$LAB_APP4 N4=$LAB_NET4 O4=$LAB_OTHER4 A6=$LAB_APP6 N6=$LAB_NET6
LP=$LAB_APP_PORT UP=$LAB_UDP_PORT

# ------------------------------------------------------------------ 0. the policies
begin setup setup "$APP"
for p in web nothing bastion; do
	expect_ok "outgate check accepts live2/$p.lua" "$OG" check --policy "$POL/$p.lua"
done

# ------------------------------------------------------------------ 1. two queues
# The kernel's --queue-balance hash takes the address pair and the protocol,
# not the ports: all connections between two addresses reach one queue.  So
# the short connections come from several source addresses of app (extra
# addresses on app0, 10.77.0.33 up, inside the lab), 5 each, each from a port
# of its own.
# MANY ADDR PORT COUNT SRC...: COUNT short TCP connections one after another,
# round robin over the SRC addresses, each echoing; prints the local ports
# that worked, then "ok N" or "fail: ..."
MANY='
import socket, sys
addr, port, count, srcs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
good, bad = [], []
for i in range(count):
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.bind((srcs[i % len(srcs)], 0))
        s.connect((addr, port))
        lp = s.getsockname()[1]
        msg = b"many %d\n" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            more = s.recv(4096)
            if not more:
                break
            got += more
        (good if got == msg else bad).append(lp)
    except OSError as e:
        bad.append(str(e))
    finally:
        s.close()
print(" ".join(map(str, good)))
print(("ok %d" % len(good)) if not bad else "fail: %d of %d: %s" % (len(bad), count, bad[:3]))
'
# LOGPORTS LOG DST DPORT PORT...: how many of the source ports have an accept
# record by rule web to DST:DPORT
LOGPORTS='
import json, sys
log, dst, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = set(int(p) for p in sys.argv[4:])
seen = set()
for line in open(log):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if (r.get("verdict") == "accept" and r.get("reason") == "allowed" and r.get("rule") == "web"
            and r.get("dst") == dst and r.get("dport") == dport and r.get("dir") == "out"):
        seen.add(r.get("sport"))
print(len(want & seen))
'
# queue_seq Q: id_sequence of queue Q in app (empty when it is not bound)
queue_seq() {
	ip netns exec "$APP" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
	    awk -v q="$1" '$1 == q { print $8 }'
}
s1() {
	begin "two queues" s1 "$APP"
	flush_ns "$APP"
	start_og a web.lua --queues 0:1 || return
	r=$(ip netns exec "$APP" iptables-save 2>/dev/null | grep -c -- '--queue-balance 0:1')
	if [ "$r" -gt 0 ]; then pass "the queue rules use --queue-balance 0:1"; else fail "the queue rules use --queue-balance 0:1"; fi
	q0=$(queue_seq 0)
	q1=$(queue_seq 1)
	if [ -n "$q0" ] && [ -n "$q1" ]; then
		pass "queues 0 and 1 are bound in $APP"
	else
		fail "queues 0 and 1 are bound in $APP (0: ${q0:-none}, 1: ${q1:-none})"
		ip netns exec "$APP" cat /proc/net/netfilter/nfnetlink_queue 2>&1 | diag
	fi
	total=0 okc=0 round=0 ports="" srcs="" h=33
	while [ "$round" -lt 3 ]; do
		round=$((round + 1))
		# 8 more source addresses for this round
		k=0
		while [ "$k" -lt 8 ]; do
			ip -n "$APP" addr add "10.77.0.$h/24" dev app0 2>/dev/null
			srcs="$srcs 10.77.0.$h"
			h=$((h + 1))
			k=$((k + 1))
		done
		# shellcheck disable=SC2086
		out=$(timeout 60 ip netns exec "$APP" "$PY" -c "$MANY" "$N4" 80 40 $srcs 2>&1)
		total=$((total + 40))
		p=$(printf '%s\n' "$out" | sed -n 1p)
		st=$(printf '%s\n' "$out" | sed -n 2p)
		ports="$ports $p"
		case "$st" in
		ok*) okc=$((okc + 40)) ;;
		*) fail "40 short tcp connections to $N4:80 all echo ($st)"; break ;;
		esac
		q0=$(queue_seq 0)
		q1=$(queue_seq 1)
		[ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ] && break
		echo "# round $round: one queue saw nothing yet (0: ${q0:-none}, 1: ${q1:-none}); more source addresses"
	done
	# shellcheck disable=SC2086
	ns=$(echo $srcs | wc -w)
	[ "$okc" -eq "$total" ] && pass "$total short tcp connections to $N4:80 (from $ns source addresses, each its own port) all echo"
	if [ "${q0:-0}" -gt 0 ] && [ "${q1:-0}" -gt 0 ]; then
		pass "both queues saw packets (id_sequence 0: $q0, 1: $q1)"
	else
		fail "both queues saw packets (id_sequence 0: ${q0:-none}, 1: ${q1:-none})"
	fi
	# shellcheck disable=SC2086
	# distinct ports: two of the source addresses may pick the same port
	np=$(echo $ports | tr ' ' '\n' | sort -u | grep -c .)
	i=0
	while [ "$i" -lt 20 ]; do
		# shellcheck disable=SC2086
		c=$("$PY" -c "$LOGPORTS" "$LOG" "$N4" 80 $ports 2>/dev/null)
		[ "${c:-0}" -ge "$np" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$np" -gt 0 ] && [ "${c:-0}" -eq "$np" ]; then
		pass "each of the $np connections has its accept decision (rule web) in the log"
	else
		fail "each of the $np connections has its accept decision (rule web) in the log (${c:-0} have)"
	fi
	expect_ok "tcp [$N6]:80 connects and echoes" tcp "$N6" 80
	expect_fail "tcp to $O4:80 (not in the policy) still fails" tcp "$O4" 80 1
	expect_fail "tcp to $N4:8080 (port not in the policy) still fails" tcp "$N4" 8080 1
	expect_fail "inbound probe to $A4:$LP still fails" probe "$A4" "$LP" 1
	log_has "log: tcp $O4:80 dropped as unknown_egress" verdict=drop reason=unknown_egress dir=out dst="$O4" dport=80
	stop_og
	w=$(grep -c 'stopped: queue=[01] packets=[1-9]' "$ERR")
	if [ "$w" -eq 2 ]; then
		pass "both workers decided packets (its stderr: $(grep 'stopped: queue=' "$ERR" | sed 's/.*stopped: //' | tr '\n' ';'))"
	else
		fail "both workers decided packets ($(grep 'stopped:' "$ERR" | tr '\n' ';'))"
	fi
	q=$(ip netns exec "$APP" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk '$1 == 0 || $1 == 1' | wc -l)
	if [ "$q" -eq 0 ]; then pass "after the stop neither queue is bound"; else fail "after the stop neither queue is bound ($q still are)"; fi
	expect_ok "after the stop, tcp $O4:80 works again" tcp "$O4" 80
	for a in $srcs; do ip -n "$APP" addr del "$a/24" dev app0 2>/dev/null; done
}
s1
end

# ------------------------------------------------------------------ 2. bastion
C4=10.66.1.2 R4C=10.66.1.1 R4N=10.66.2.1 S4=10.66.2.2
C6=fd66:1::2 R6C=fd66:1::1 R6N=fd66:2::1 S6=fd66:2::2

# the bastion's servers: server.py READYFILE LIFETIME ADDR:PORT... (TCP echo)
BSERVER='
import os, socket, sys, threading, time
def conn(c):
    try:
        c.settimeout(60)
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    finally:
        c.close()
def loop(s):
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            continue
        threading.Thread(target=conn, args=(c,), daemon=True).start()
for spec in sys.argv[3:]:
    addr, port = spec.rsplit(":", 1)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    threading.Thread(target=loop, args=(s,), daemon=True).start()
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % os.getpid())
time.sleep(float(sys.argv[2]))
os._exit(0)
'
# a TCP echo client: nsc NS ADDR PORT TIMEOUT; prints ok / fail: why, exit 0 / 1
NSC='
import socket, sys, time
addr, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0 = time.monotonic()
def done(ok, what):
    print("%s (%.3f s)" % ("ok" if ok else "fail: " + what, time.monotonic() - t0))
    sys.exit(0 if ok else 1)
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
try:
    s.settimeout(tmo)
    s.connect((addr, port))
    msg = b"bastion %d\n" % int(time.time() * 1000)
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        more = s.recv(4096)
        if not more:
            done(False, "closed")
        got += more
    done(got == msg, "wrong reply")
except socket.timeout:
    done(False, "timed out")
except OSError as e:
    done(False, e.strerror or str(e))
'
nsc() {
	timeout -k 1 $(($4 * 2 + 2)) ip netns exec "$1" "$PY" -c "$NSC" "$2" "$3" "$4" ||
	    { rc=$?; [ "$rc" -eq 1 ] || echo "fail: client exit $rc"; return 1; }
}

# bsrv NS NAME SPEC...: a server in NS, wait (bounded) until it listens
bsrv() {
	ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$PY" -c "$BSERVER" "$T/$name.ready" 300 "$@" </dev/null >"$T/$name.srv" 2>&1 &
	pid=$!
	BSRV="$BSRV $pid"
	i=0
	while [ "$i" -lt 50 ]; do
		[ -s "$T/$name.ready" ] && return 0
		alive "$pid" || break
		sleep 0.1
		i=$((i + 1))
	done
	head -n 3 "$T/$name.srv" >&2
	return 1
}

bastion_setup() {
	for ns in "$BC" "$BR" "$BN"; do
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.disable_ipv6=0 \
		    net.ipv6.conf.default.disable_ipv6=0 >/dev/null || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip netns exec "$BR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	    >/dev/null || return 1
	ip -n "$BR" link add rc0 type veth peer name c0 netns "$BC" || return 1
	ip -n "$BR" link add rn0 type veth peer name n0 netns "$BN" || return 1
	ip -n "$BR" addr add "$R4C/24" dev rc0 || return 1
	ip -n "$BR" addr add "$R6C/64" dev rc0 nodad || return 1
	ip -n "$BR" addr add "$R4N/24" dev rn0 || return 1
	ip -n "$BR" addr add "$R6N/64" dev rn0 nodad || return 1
	ip -n "$BC" addr add "$C4/24" dev c0 || return 1
	ip -n "$BC" addr add "$C6/64" dev c0 nodad || return 1
	ip -n "$BN" addr add "$S4/24" dev n0 || return 1
	ip -n "$BN" addr add "$S6/64" dev n0 nodad || return 1
	for l in "$BR rc0" "$BR rn0" "$BC c0" "$BN n0"; do
		# shellcheck disable=SC2086
		set -- $l
		ip -n "$1" link set "$2" up || return 1
	done
	ip -n "$BC" route add default via "$R4C" || return 1
	ip -n "$BC" -6 route add default via "$R6C" || return 1
	ip -n "$BN" route add default via "$R4N" || return 1
	ip -n "$BN" -6 route add default via "$R6N" || return 1
	bsrv "$BN" bnet "$S4:80" "$S4:8080" "$S6:80" "$S6:8080" || return 1
	bsrv "$BC" bcli "$C4:2222" "$C6:2222" || return 1
	# routed both ways before we go on (bounded)
	i=0
	while [ "$i" -lt 30 ]; do
		if nsc "$BC" "$S4" 80 1 >/dev/null 2>&1 && nsc "$BC" "$S6" 80 1 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "the clients do not reach net through the router" >&2
	return 1
}

s2() {
	begin "bastion" s2 "$BR"
	if ! out=$(bastion_setup 2>&1); then
		fail "three namespaces, clients - router - net, are built ($out)"
		return
	fi
	pass "three namespaces, clients - router - net, are built and route"
	expect_ok "no gateway: net reaches clients $C4:2222" nsc "$BN" "$C4" 2222 2
	start_og a bastion.lua --forward || return
	f=$(ip netns exec "$BR" iptables-save 2>/dev/null | grep -c '^-A FORWARD .*OUTGATE_FWD')
	o=$(ip netns exec "$BR" iptables-save 2>/dev/null | grep -c '^-A \(OUTPUT\|INPUT\) .*outgate')
	if [ "$f" -eq 1 ] && [ "$o" -eq 0 ]; then
		pass "the router hooks FORWARD, not OUTPUT or INPUT"
	else
		fail "the router hooks FORWARD, not OUTPUT or INPUT (FORWARD jumps $f, OUTPUT/INPUT $o)"
	fi
	expect_ok "clients $C4 -> $S4:80 connects and echoes" nsc "$BC" "$S4" 80 2
	expect_ok "clients $C6 -> [$S6]:80 connects and echoes" nsc "$BC" "$S6" 80 2
	expect_fail "clients -> $S4:8080 (port of no rule) fails" nsc "$BC" "$S4" 8080 1
	expect_fail "clients -> [$S6]:8080 (port of no rule) fails" nsc "$BC" "$S6" 8080 1
	expect_fail "net -> clients $C4:2222 (unsolicited inbound) fails" nsc "$BN" "$C4" 2222 1
	expect_fail "net -> clients [$C6]:2222 (unsolicited inbound) fails" nsc "$BN" "$C6" 2222 1
	log_has "log: $C4 -> $S4:80 accepted by rule office, dir out" verdict=accept reason=allowed rule=office dir=out src="$C4" dst="$S4" dport=80
	cmac=$(ip -n "$BC" link show c0 | awk '/link\/ether/ { print $2 }')
	log_has "log: the forwarded flow names its source host's MAC ($cmac)" rule=office src="$C4" mac="$cmac" attr="forwarded: source host"
	log_has "log: $C6 -> [$S6]:80 accepted by rule office6, dir out" verdict=accept reason=allowed rule=office6 dir=out src="$C6" dst="$S6" dport=80
	log_has "log: $C4 -> $S4:8080 dropped as unknown_egress, dir out" verdict=drop reason=unknown_egress dir=out src="$C4" dst="$S4" dport=8080
	log_has "log: [$C6] -> [$S6]:8080 dropped as unknown_egress, dir out" verdict=drop reason=unknown_egress dir=out src="$C6" dst="$S6" dport=8080
	log_has "log: $S4 -> $C4:2222 dropped as unsolicited_inbound, dir in" verdict=drop reason=unsolicited_inbound dir=in src="$S4" dst="$C4" dport=2222
	log_has "log: [$S6] -> [$C6]:2222 dropped as unsolicited_inbound, dir in" verdict=drop reason=unsolicited_inbound dir=in src="$S6" dst="$C6" dport=2222
	stop_og
	expect_ok "after the stop, clients -> $S4:8080 works again" nsc "$BC" "$S4" 8080 2
	expect_ok "after the stop, net -> clients [$C6]:2222 works again" nsc "$BN" "$C6" 2222 2
}
s2
end
bastion_down

# ------------------------------------------------------------------ 3. monitor mode
s3() {
	begin "monitor" s3 "$APP"
	flush_ns "$APP"
	start_og a nothing.lua --mode monitor || return
	if grep -q 'ready:.*mode=monitor' "$ERR"; then
		pass "the ready line says mode=monitor"
	else
		fail "the ready line says mode=monitor ($(grep ready "$ERR"))"
	fi
	expect_ok "tcp $N4:80 (no rule allows it) connects and echoes" tcp "$N4" 80
	expect_ok "tcp [$N6]:8080 (no rule allows it) connects and echoes" tcp "$N6" 8080
	expect_ok "udp $N4:$UP (no rule allows it) echoes" udp "$N4" "$UP"
	expect_ok "inbound probe to $A4:$LP (no rule allows it) connects" probe "$A4" "$LP"
	expect_ok "inbound probe to [$A6]:$LP (no rule allows it) connects" probe "$A6" "$LP"
	log_has "log: tcp $N4:80 accept, would drop, unknown_egress" verdict=accept would=drop reason=unknown_egress dir=out mode=monitor dst="$N4" dport=80
	log_has "log: tcp [$N6]:8080 accept, would drop, unknown_egress" verdict=accept would=drop reason=unknown_egress dir=out dst="$N6" dport=8080
	log_has "log: udp $N4:$UP accept, would drop, unknown_egress" verdict=accept would=drop reason=unknown_egress proto=udp dst="$N4" dport="$UP"
	log_has "log: inbound $A4:$LP accept, would drop, unsolicited_inbound" verdict=accept would=drop reason=unsolicited_inbound dir=in dst="$A4" dport="$LP"
	log_has "log: inbound [$A6]:$LP accept, would drop, unsolicited_inbound" verdict=accept would=drop reason=unsolicited_inbound dir=in dst="$A6" dport="$LP"
	stop_og
}
s3
end

# ------------------------------------------------------------------ 4. --replace
s4() {
	begin "replace" s4 "$APP"
	flush_ns "$APP"
	start_og a web.lua || return
	expect_ok "tcp $N4:80 connects" tcp "$N4" 80
	kill_og
	r4=$(rules "$APP" 4)
	if [ "$r4" -gt 0 ]; then pass "after SIGKILL its rules stay ($r4 lines)"; else fail "after SIGKILL its rules stay"; fi
	cp "$POL/web.lua" "$T/policy.lua"
	timeout -k 1 10 ip netns exec "$APP" "$OG" run --policy "$T/policy.lua" --log "$T/s4.b.log" \
	    </dev/null >"$T/s4.b.out" 2>"$T/s4.b.err"
	rc=$?
	lines=$(wc -l <"$T/s4.b.err")
	msg=$(head -n 1 "$T/s4.b.err")
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ]; then
		pass "a plain restart over the stale rules refuses (exit $rc)"
	else
		fail "a plain restart over the stale rules refuses (exit $rc: $msg)"
	fi
	case "$msg" in
	*OUTGATE_*replace* | *replace*OUTGATE_*)
		if [ "$lines" -eq 1 ]; then
			pass "its error is one line naming the stale rules ($msg)"
		else
			fail "its error is one line naming the stale rules ($lines lines: $msg)"
		fi
		;;
	*) fail "its error is one line naming the stale rules and --replace ($lines lines: $msg)" ;;
	esac
	r4=$(rules "$APP" 4)
	r6=$(rules "$APP" 6)
	if [ "$r4" -gt 0 ] && [ "$r6" -gt 0 ]; then pass "the refused start left the stale rules alone"; else fail "the refused start left the stale rules alone ($r4 + $r6 lines)"; fi
	start_og c web.lua --replace || return
	j=$(ip netns exec "$APP" iptables-save 2>/dev/null | grep -c '^-A OUTPUT .*OUTGATE_OUT')
	k=$(ip netns exec "$APP" ip6tables-save 2>/dev/null | grep -c '^-A INPUT .*OUTGATE_IN')
	if [ "$j" -eq 1 ] && [ "$k" -eq 1 ]; then pass "after --replace one jump each, not two"; else fail "after --replace one jump each, not two (OUTPUT $j, INPUT6 $k)"; fi
	expect_ok "under --replace tcp $N4:80 connects" tcp "$N4" 80
	expect_ok "under --replace tcp [$N6]:80 connects" tcp "$N6" 80
	expect_fail "under --replace tcp $O4:80 fails" tcp "$O4" 80 1
	log_has "log: tcp $N4:80 accepted by rule web" verdict=accept reason=allowed rule=web dst="$N4" dport=80
	stop_og
	expect_ok "after the stop, tcp $O4:80 works again" tcp "$O4" 80
}
s4
end

# ------------------------------------------------------------------ 5. the mark bits of others
# CTMARK PROTO ADDR DPORT SPORT: the connection mark of that flow in
# /proc/net/nf_conntrack, in hex ("none" when there is no such entry)
CTMARK='
import sys
proto, dst, dport, sport = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
for line in open("/proc/net/nf_conntrack"):
    f = line.split()
    kv = [x.split("=", 1) for x in f if "=" in x]
    first = {}
    for k, v in kv:
        first.setdefault(k, v)
    if proto in f and first.get("dst") == dst and first.get("dport") == dport and first.get("sport") == sport:
        print("0x%x" % int(first.get("mark", "0")))
        sys.exit(0)
print("none")
'
s5() {
	begin "marks of others" s5 "$APP"
	flush_ns "$APP"
	ok=1
	for r in "-A OUTPUT -p tcp -d $N4 --dport 80 -j MARK --set-xmark 0x1/0x1" \
	    "-A OUTPUT -p tcp -d $N4 --dport 80 -j CONNMARK --save-mark --mask 0x1" \
	    "-A POSTROUTING -p tcp -d $N4 --dport 80 -m connmark --mark 0x20000001/0x60000001"; do
		# shellcheck disable=SC2086
		err=$(ip netns exec "$APP" iptables -t mangle $r 2>&1) || { ok=""; fail "mangle rule $r ($err)"; }
	done
	[ -n "$ok" ] || return
	pass "the user's mangle rules (mark 0x1, CONNMARK --save-mark --mask 0x1) are in"
	start_og a web.lua || return
	session_start s5sess "$N4" 80
	session_ok 1 "a tcp connection to $N4:80 echoes"
	sp=$(cat "$SD/port" 2>/dev/null)
	if [ -r /proc/net/nf_conntrack ]; then
		m=$(ip netns exec "$APP" "$PY" -c "$CTMARK" tcp "$N4" 80 "${sp:-0}" 2>&1)
		case "$m" in
		0x*)
			v=$((m & 0x60000001))
			if [ "$v" -eq $((0x20000001)) ]; then
				pass "its connection mark $m holds our accept bit 0x20000000 and the user's 0x1"
			else
				fail "its connection mark $m holds our accept bit 0x20000000 and the user's 0x1"
			fi
			;;
		*) fail "its conntrack entry is in /proc/net/nf_conntrack ($m)" ;;
		esac
	else
		echo "# /proc/net/nf_conntrack is missing; the rule counter alone decides"
	fi
	session_ok 2 "a second exchange on it echoes"
	c=$(ip netns exec "$APP" iptables -t mangle -L POSTROUTING -n -v -x 2>/dev/null |
	    awk '/connmark match/ { print $1; exit }')
	if [ "${c:-0}" -gt 0 ]; then
		pass "a rule matching connmark 0x20000001/0x60000001 counts its packets ($c)"
	else
		fail "a rule matching connmark 0x20000001/0x60000001 counts its packets (${c:-no counter})"
	fi
	session_stop
	stop_og
	flush_ns "$APP"
}
s5
end

# ------------------------------------------------------------------ 6. seeding from conntrack
s6() {
	begin "seed" s6 "$APP"
	flush_ns "$APP"
	if ! err=$(ip netns exec "$APP" iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT 2>&1); then
		fail "a conntrack rule in $APP turns tracking on ($err)"
		return
	fi
	session_start s6a "$N4" 80
	session_ok 1 "no gateway: a tcp connection to $N4:80 echoes"
	start_og a web.lua || return
	seeded=$(sed -n 's/.*ready:.* seeded=\([0-9]*\).*/\1/p' "$ERR" | head -n 1)
	if [ "${seeded:-0}" -ge 1 ]; then
		pass "the ready line reports seeded=$seeded"
	else
		fail "the ready line reports seeded >= 1 ($(grep ready "$ERR"))"
	fi
	session_ok 2 "under outgate the connection made before it still echoes"
	session_ok 3 "and a third exchange echoes too"
	expect_fail "the gateway enforces: tcp $O4:80 fails" tcp "$O4" 80 1
	session_stop
	stop_og

	session_start s6b "$N4" 80
	session_ok 1 "no gateway again: a second tcp connection to $N4:80 echoes"
	start_og b web.lua --no-seed || return
	if grep -q 'ready:.* seeded=0' "$ERR"; then pass "with --no-seed the ready line says seeded=0"; else fail "with --no-seed the ready line says seeded=0 ($(grep ready "$ERR"))"; fi
	session_fails 2 "with --no-seed that connection is cut"
	sp=$(cat "$SD/port" 2>/dev/null)
	log_has "log: its next packet dropped as midstream" verdict=drop reason=midstream dir=out dst="$N4" dport=80 sport="${sp:-0}"
	session_stop
	stop_og
	flush_ns "$APP"
}
s6
end

# ------------------------------------------- 7. a full table of offloaded flows
# Flows whose decision the kernel holds (their connection mark) must give
# way: a table of 4 slots filled by 6 finished outbound connections still
# admits an allowed inbound one.
s7() {
	begin "offloaded flows give way" s7 "$APP"
	flush_ns "$APP"
	start_og a small.lua --flows 4 || return
	i=1
	while [ "$i" -le 6 ]; do
		expect_ok "outbound tcp $N4:80 number $i connects (table of 4)" tcp "$N4" 80
		i=$((i + 1))
	done
	expect_ok "then an allowed inbound probe to $A4:$LP still connects" probe "$A4" "$LP"
	log_has "log: the inbound flow was allowed" verdict=accept reason=allowed dir=in dst="$A4" dport="$LP"
	stop_og
	flush_ns "$APP"
}
s7
end

# ------------------------------------------------ 8. DNS stays under inspection
# Every packet of a DNS flow keeps visiting the gateway (later issues learn
# names from the answers); any other decided flow visits it once.
udp_burst() {
	# udp_burst PORT COUNT: COUNT request/answer pairs on one socket, from app
	ip netns exec "$APP" timeout 10 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
for i in range(int(sys.argv[3])):
    s.send(b"q%d" % i)
    s.recv(100)
print("ok")
' "$N4" "$1" "$2" 2>&1
}

s8() {
	begin "dns under inspection" s8 "$APP"
	flush_ns "$APP"
	ip netns exec "$NET" timeout 60 "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 53))
while True:
    d, a = s.recvfrom(512)
    s.sendto(d, a)
' </dev/null >/dev/null 2>&1 &
	DNSPID=$!
	start_og a dns.lua || { stop_pid "$DNSPID"; return; }
	if [ "$(udp_burst 53 5)" = ok ]; then pass "5 DNS exchanges on one flow"; else fail "5 DNS exchanges on one flow"; fi
	if [ "$(udp_burst 5353 5)" = ok ]; then pass "5 UDP 5353 exchanges on one flow"; else fail "5 UDP 5353 exchanges on one flow"; fi
	stop_og
	stop_pid "$DNSPID"
	p=$(sed -n 's/.*stopped: queue=0 packets=\([0-9]*\).*/\1/p' "$ERR")
	# DNS: 5 queries and 5 answers; 5353: its first packet only
	if [ "${p:-0}" -ge 11 ] && [ "${p:-0}" -le 14 ]; then
		pass "the gateway saw every DNS packet and one of the other flow (packets=$p)"
	else
		fail "the gateway saw every DNS packet and one of the other flow (packets=${p:-?}, wanted 11)"
	fi
	flush_ns "$APP"
}
s8
end

echo "# live2: $n tests"
exit 0
