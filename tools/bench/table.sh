#!/bin/sh
# table.sh BUILD [PART...] - `make bench` (issue 9): one table from one run,
# each figure with its reference, ratio and target.  It must never touch the
# machine's own interfaces or firewall, nor fail because a target is missed.
#
# PARTs (default all, in this order):
#   offline  replay of a generated 2,000,000-frame mixed capture (cached as
#            BUILD/mixed-2m.pcap) with tools/bench/mixed_policy.lua and with
#            mixed_checks_policy.lua, against bare_read.c, a bare libpcap
#            loop over the same file (3 interleaved runs each, median)
#   memory   bytes per flow with 1,000,000 flows in the table (flow_mem.c)
#   policy   the decision for a new flow at 10 to 10,000 rules (policy_cost.c)
#   attrib   attribution per new flow, 2,000 idle processes (attrib_cost.c, as
#            outgate run sets it: no command line): a new process per
#            connection, and one long-lived client; over loopback in a lab
#            namespace entered with nsenter, which keeps the machine's /sys
#            (its cgroup2 mount names sockets' cgroups)
#   live     seven namespace labs (tools/lab.sh), up at the same time:
#              (a) no gateway; (b) tools/bench/accept_all.c on NFQUEUE 0 for
#              conntrack NEW; outgate with (c) tools/bench/lab_policy.lua and
#              --no-attrib, (d) the same with attribution on, (e)
#              tools/bench/names_policy.lua (DNS by name, a resolver of ours in
#              net), (f) 1,000 rules and 10,000 names (gen_policy.py), the
#              latter two with --no-attrib (c to f entered with nsenter
#              --net, which keeps the machine's /sys and its cgroup2 mount);
#              (g) OpenSnitch's opensnitchd,
#              default action allow, process lookup through /proc
#            ROUNDS (7; BENCH_ROUNDS=N) interleaved rounds, the order rotating;
#            each round: iperf3 1 s after 1 s unmeasured (a and c), tcp_rr
#            (64 B round trips on one connection), conn_rate 1 s (sequential
#            new connections); each figure the median of the rounds.  The
#            daemons' peak RSS (VmHWM) is read just before they are stopped.
# The table goes to stdout and, as markdown, to BUILD/bench-table.md.
#
# BENCH_KEEP=1 keeps the raw results (its directory is named on exit).
# A benchmark, not a test: a missed target is printed, never fatal.  Exits 0
# when every figure was measured, 1 when one could not be (the row says why).
# Every address is inside the labs' namespaces; the machine's own interfaces
# and firewall are never touched (OpenSnitch runs inside its lab with its own
# /etc/opensnitchd bound over in a mount namespace of its own).  Everything
# started here is stopped and the labs torn down on exit, failure or Ctrl-C.
# Under 4 minutes on 2 cores, plus about 10 s the first time to write the
# capture.
# shellcheck disable=SC2317 # cleanup, listening, ready_in: run by trap and wait_for
set -u
BUILD=${1:-build}
[ $# -gt 0 ] && shift
PARTS=${*:-offline memory policy attrib live}
OG=$BUILD/outgate
B=$BUILD/bench
PCAP=$BUILD/mixed-2m.pcap
FRAMES=2000000
BIG_RULES=1000
BIG_NAMES=10000
LAB=ogtab$$
PIDS=""		# every background process of ours still running
LABS=""		# the labs that are up
SETUPS="a b c d e f g"

ROUNDS=${BENCH_ROUNDS:-7}
IPERF_SECS=1
IPERF_OMIT=1
RR_TOTAL=20000		# round trips over all rounds
CONN_SECS=1		# per round
PORT_IPERF=5201
PORT_RR=7001
PORT_CONN=7002
LIFETIME=600		# servers and gateways end by themselves after this
NAME=bench.lab.test
# the interpreter lab.sh runs its servers with
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

say() { printf '%s\n' "$*" >&2; }

case $ROUNDS in
[1-9] | 1[0-9] | 20) ;;
*) say "bench: BENCH_ROUNDS must be 1 to 20"; exit 1 ;;
esac
for p in $PARTS; do
	case $p in offline | memory | policy | attrib | live) ;;
	*) say "usage: table.sh BUILD [offline] [memory] [policy] [attrib] [live]"; exit 2 ;;
	esac
done
RR_PER_ROUND=$(((RR_TOTAL + ROUNDS - 1) / ROUNDS))

T=$(mktemp -d "${TMPDIR:-/tmp}/outgate-table.XXXXXX") || exit 1
chmod 755 "$T"

# not_run KEY WHY: the rows that need KEY say why they have no figure
not_run() {
	[ -s "$T/why.$1" ] || printf '%s\n' "$2" >"$T/why.$1"
	say "bench: $1: $2"
}

wants() {
	case " $PARTS " in *" $1 "*) return 0 ;; esac
	return 1
}

# stop_pids PID...: TERM, then KILL after about $GRACE tenths of a second
# (default 30); bounded
stop_pids() {
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	i=0
	while [ "$i" -lt "${GRACE:-30}" ]; do
		alive=""
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && alive="$alive $p"
		done
		[ -n "$alive" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	for p in "$@"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
	return 0
}

cleanup() {
	trap '' INT TERM HUP
	# shellcheck disable=SC2086
	stop_pids $PIDS
	PIDS=""
	for l in $LABS; do
		sh tools/lab.sh down "$l" >/dev/null 2>&1
	done
	LABS=""
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "bench: raw results kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'say "bench: interrupted"; exit 130' INT TERM HUP

# bg NAME CMD...: start CMD in the background, its output in $T/NAME.{out,err}
bg() {
	name=$1
	shift
	"$@" </dev/null >"$T/$name.out" 2>"$T/$name.err" &
	LAST=$!
	PIDS="$PIDS $LAST"
}

# wait_for WHAT TENTHS CMD...: until CMD succeeds, at most TENTHS/10 s
wait_for() {
	what=$1 n=$2
	shift 2
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt "$n" ]; then
			say "bench: $what did not come up"
			return 1
		fi
		sleep 0.1
	done
}

listening() {	# listening NS PORT [udp]
	if [ "${3:-}" = udp ]; then
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q .
	else
		ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN
	fi
}

ready_in() {	# ready_in FILE PID
	grep -q ready "$1" && kill -0 "$2"
}

# ---------------------------------------------------------------- helpers

build_helpers() {
	cc=${CC:-cc}
	old="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"	# as live.sh builds its clients
	new="$old -g -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2"
	mkdir -p "$B" || return 1
	# shellcheck disable=SC2086 # the flags split on purpose
	$cc $old -o "$B/tcp_rr" tools/bench/tcp_rr.c || return 1
	# shellcheck disable=SC2086
	$cc $old -o "$B/conn_rate" tools/bench/conn_rate.c || return 1
	# shellcheck disable=SC2046,SC2086
	$cc $old $(pkg-config --cflags libmnl libnetfilter_queue) -o "$B/accept_all" \
	    tools/bench/accept_all.c $(pkg-config --libs libmnl libnetfilter_queue) || return 1
	# shellcheck disable=SC2046,SC2086
	$cc $new $(pkg-config --cflags libpcap) -o "$B/bare_read" tools/bench/bare_read.c \
	    $(pkg-config --libs libpcap) || return 1
	# shellcheck disable=SC2086
	$cc $new -Igw -o "$B/flow_mem" tools/bench/flow_mem.c gw/flow.c gw/addr.c || return 1
	# shellcheck disable=SC2086
	$cc $new -Igw -o "$B/attrib_cost" tools/bench/attrib_cost.c gw/attrib.c \
	    gw/cgroupid.c gw/addr.c || return 1
	# policy_cost links the objects `make` built for outgate (all but main)
	objs=""
	for s in gw/*.c; do
		o=$(basename "$s" .c)
		[ "$o" = main ] && continue
		[ -f "$BUILD/gw/$o.o" ] || { say "bench: $BUILD/gw/$o.o is missing (make BUILD=$BUILD)"; return 1; }
		objs="$objs $BUILD/gw/$o.o"
	done
	pk="lua5.4 libpcap libmnl libnetfilter_queue libseccomp"
	# shellcheck disable=SC2046,SC2086
	$cc $new -fPIE $(pkg-config --cflags $pk) -Igw -pie -o "$B/policy_cost" \
	    tools/bench/policy_cost.c $objs $(pkg-config --libs $pk) -lm || return 1
}

machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "outgate bench table, $(date -u '+%Y-%m-%d %H:%M UTC'), $("$OG" version 2>/dev/null | head -n 1)"
	echo "machine: $(nproc) CPUs ($cpu), $(grep MemTotal /proc/meminfo | awk '{ printf "%.1f GiB", $2 / 1048576 }'), kernel $(uname -r)"
	echo "load average (1, 5, 15 min) at the start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	wants live && echo "rounds: $ROUNDS interleaved; per setup and round: conn_rate $CONN_SECS s, tcp_rr $RR_PER_ROUND x 64 B, iperf3 $IPERF_SECS s after $IPERF_OMIT s (a, c only)"
}

# ---------------------------------------------------------------- offline

offline() {
	if [ ! -s "$PCAP" ]; then
		say "bench: writing $PCAP ($FRAMES frames, once)"
		if ! python3 tools/gen_mixed_pcap.py $FRAMES "$PCAP.tmp" || ! mv "$PCAP.tmp" "$PCAP"; then
			rm -f "$PCAP.tmp"
			not_run offline "gen_mixed_pcap.py could not write $PCAP"
			return
		fi
	fi
	say "bench: replay and bare read, 3 interleaved runs"
	cat "$PCAP" >/dev/null	# in the page cache for all
	for r in 1 2 3; do
		timeout 120 "$B/bare_read" "$PCAP" 1 >>"$T/bare.out" 2>"$T/bare.err" ||
		    not_run bare "bare_read failed: $(head -c 200 "$T/bare.err")"
		for kind in plain checks; do
			pol=tools/bench/mixed_policy.lua
			[ $kind = checks ] && pol=tools/bench/mixed_checks_policy.lua
			timeout 300 "$OG" replay --quiet --policy "$pol" "$PCAP" \
			    >"$T/replay.$kind.$r" 2>&1 ||
			    not_run "replay.$kind" "outgate replay failed: $(head -c 200 "$T/replay.$kind.$r")"
		done
	done
	n=$(sed -n 's/.*check_error:\([0-9]*\).*/\1/p' "$T/replay.checks.1")
	[ -n "$n" ] && echo "note: the replay with checks dropped $n of $FRAMES frames as check_error; see BENCHMARKS.md" >>"$T/notes"
}

# ---------------------------------------------------------------- live

label() {
	case $1 in
	a) echo "no gateway" ;;
	b) echo "accept_all on NFQUEUE 0 (conntrack NEW on app0, OUTPUT and INPUT)" ;;
	c) echo "outgate run --policy tools/bench/lab_policy.lua --no-attrib" ;;
	d) echo "outgate run --policy tools/bench/lab_policy.lua" ;;
	e) echo "outgate run --policy tools/bench/names_policy.lua --no-attrib" ;;
	f) echo "outgate run --policy ($BIG_RULES rules, $BIG_NAMES names) --no-attrib" ;;
	g) echo "opensnitchd (default action allow, /proc)" ;;
	esac
}

# A DNS server for the names labs: A records NAME=ADDR..., TTL 300,
# NXDOMAIN otherwise; ends by itself after LIFETIME s.
DNS_SERVER='
import socket, struct, sys, time
addr, life = sys.argv[1], float(sys.argv[2])
table = dict(a.split("=") for a in sys.argv[3:])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
s.settimeout(1)
end = time.monotonic() + life
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
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(table[name])
    s.sendto(hdr + q[12:qend] + ans, peer)
'
# resolve SERVER NAME: one A query, prints "ok ADDR" or "fail: why"
RESOLVE='
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
for l in name.split("."):
    q += bytes([len(l)]) + l.encode()
q += b"\x00" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.sendto(q, (server, 53))
    r = s.recv(2048)
    if struct.unpack("!H", r[6:8])[0] < 1:
        raise OSError("no answer (rcode %d)" % (r[3] & 15))
    print("ok " + socket.inet_ntoa(r[-4:]))
except Exception as e:
    print("fail: %s" % e)
    sys.exit(1)
'

# The configuration OpenSnitch reads from /etc/opensnitchd, in $T/osn/etc:
# allow what no rule names, decide each connection once (no rule is made),
# find processes through /proc (no eBPF), iptables rules (in the lab), a UI
# socket nobody listens on.
osn_config() {
	mkdir -p "$T/osn/etc" "$T/osn/rules" || return 1
	cat >"$T/osn/etc/default-config.json" <<EOF
{
    "Server": { "Address": "unix://$T/osn/ui.sock", "LogFile": "$T/osn/daemon.log" },
    "DefaultAction": "allow",
    "DefaultDuration": "once",
    "InterceptUnknown": false,
    "ProcMonitorMethod": "proc",
    "LogLevel": 2,
    "Firewall": "iptables",
    "Stats": { "MaxEvents": 150, "MaxStats": 25 }
}
EOF
	if [ -f /etc/opensnitchd/system-fw.json ]; then
		cp /etc/opensnitchd/system-fw.json "$T/osn/etc/" || return 1
	fi
}

osn_queueing() {	# osn_queueing NS: opensnitchd's NFQUEUE rule is in place
	ip netns exec "$1" iptables -w 5 -t mangle -S OUTPUT 2>/dev/null | grep -q NFQUEUE
}

# start KEY: lab $LAB$KEY with its servers and its gateway; 1 (and why.KEY) if not
start() {
	key=$1
	lab=$LAB$key
	say "bench: ($key) $(label "$key")"
	if [ "$key" = g ]; then
		command -v opensnitchd >/dev/null 2>&1 ||
		    { not_run g "opensnitchd is not installed (Debian: apt-get install opensnitch)"; return 1; }
		command -v unshare >/dev/null 2>&1 ||
		    { not_run g "unshare(1) is missing: OpenSnitch's /etc/opensnitchd cannot be set aside"; return 1; }
	fi
	LABS="$LABS $lab"	# before it is up: down is idempotent
	LAB_LIFETIME=$LIFETIME sh tools/lab.sh up "$lab" >"$T/lab.err" 2>&1 ||
	    { not_run "$key" "lab up failed: $(head -c 200 "$T/lab.err")"; return 1; }
	eval "$(sh tools/lab.sh env "$lab")"
	app=$LAB_APP net=$LAB_NET dst=$LAB_NET4

	bg "$key.iperf3-s" ip netns exec "$net" timeout $LIFETIME iperf3 -s -B "$dst" -p $PORT_IPERF
	bg "$key.rr-s" ip netns exec "$net" "$B/tcp_rr" -s -t $LIFETIME "$dst" $PORT_RR
	bg "$key.conn-s" ip netns exec "$net" "$B/conn_rate" -s -t $LIFETIME "$dst" $PORT_CONN
	for p in $PORT_IPERF $PORT_RR $PORT_CONN; do
		wait_for "the server on port $p" 50 listening "$net" "$p" ||
		    { not_run "$key" "the server on port $p did not start"; return 1; }
	done

	case $key in
	b)
		bg "$key.gw" ip netns exec "$app" "$B/accept_all" -q 0 -t $LIFETIME
		echo "$LAST" >"$T/$key.gwpid"
		wait_for "accept_all" 50 ready_in "$T/$key.gw.err" "$LAST" ||
		    { not_run b "accept_all did not start: $(head -c 200 "$T/$key.gw.err")"; return 1; }
		if ! ip netns exec "$app" iptables -w 5 -A OUTPUT -o "$LAB_APP_IF" \
		    -m conntrack --ctstate NEW -j NFQUEUE --queue-num 0 ||
		    ! ip netns exec "$app" iptables -w 5 -A INPUT -i "$LAB_APP_IF" \
		    -m conntrack --ctstate NEW -j NFQUEUE --queue-num 0; then
			not_run b "iptables in the lab failed"
			return 1
		fi
		;;
	c | d | e | f)
		flags=--no-attrib
		pol=tools/bench/lab_policy.lua
		case $key in
		d) flags="" ;;
		e) pol=tools/bench/names_policy.lua ;;
		f) pol=$T/big_policy.lua ;;
		esac
		if [ "$key" = e ] || [ "$key" = f ]; then
			bg "$key.dns" ip netns exec "$net" "$PY" -c "$DNS_SERVER" "$dst" $LIFETIME "$NAME=$dst"
			wait_for "the DNS server" 50 listening "$net" 53 udp ||
			    { not_run "$key" "the lab's DNS server did not start: $(head -c 200 "$T/$key.dns.err")"; return 1; }
		fi
		# nsenter, not ip netns exec: the daemon keeps the machine's /sys,
		# whose cgroup2 mount names sockets' cgroups (as on a host or in a
		# pod); ip netns exec mounts a /sys of its own without it
		# shellcheck disable=SC2086 # empty or one flag
		bg "$key.gw" nsenter --net="/run/netns/$app" timeout -s TERM $LIFETIME \
		    "$OG" run --policy "$pol" --log /dev/null $flags
		echo "$LAST" >"$T/$key.gwpid"
		wait_for "outgate" 100 ready_in "$T/$key.gw.err" "$LAST" ||
		    { not_run "$key" "outgate did not start: $(head -c 300 "$T/$key.gw.err")"; return 1; }
		;;
	g)
		osn_config || { not_run g "cannot write OpenSnitch's configuration"; return 1; }
		# its own mount namespace: /etc/opensnitchd is ours there only
		# shellcheck disable=SC2016 # expanded by that sh
		bg "$key.gw" ip netns exec "$app" timeout -s TERM $LIFETIME unshare -m sh -c \
		    'mount --bind "$1" /etc/opensnitchd && exec opensnitchd -rules-path "$2" -log-file "$3" -process-monitor-method proc -queue-num 0' \
		    sh "$T/osn/etc" "$T/osn/rules" "$T/osn/daemon.log"
		echo "$LAST" >"$T/$key.gwpid"
		wait_for "opensnitchd" 150 osn_queueing "$app" ||
		    { not_run g "opensnitchd did not queue: $(head -c 300 "$T/$key.gw.err" "$T/$key.gw.out" 2>/dev/null | tr '\n' ' ')"; return 1; }
		;;
	esac
	return 0
}

# measure KEY ROUND: one round of the measurements in lab $LAB$KEY
measure() {
	key=$1 r=$2
	app=$LAB${key}-app
	dst=$LAB_NET4
	if [ "$key" = e ] || [ "$key" = f ]; then
		# the client resolves the name first: its flows are allowed by it
		out=$(timeout -k 2 10 ip netns exec "$app" "$PY" -c "$RESOLVE" "$dst" "$NAME" 2>&1)
		case $out in
		"ok $dst") ;;
		*) not_run "$key" "resolving $NAME through the gateway failed: $out" ;;
		esac
	fi
	case $key in
	a | c)
		if ! timeout --foreground -k 2 20 ip netns exec "$app" iperf3 -J -c "$dst" -p $PORT_IPERF \
		    -t $IPERF_SECS -O $IPERF_OMIT >"$T/$key.$r.iperf3.json" 2>"$T/$key.iperf3.err"; then
			say "bench: ($key) iperf3 failed: $(head -c 300 "$T/$key.iperf3.err" "$T/$key.$r.iperf3.json")"
		fi
		;;
	esac
	timeout --foreground -k 2 30 ip netns exec "$app" "$B/tcp_rr" -n $RR_PER_ROUND -m 64 -T 20 "$dst" $PORT_RR \
	    >"$T/$key.$r.rr" 2>&1 || say "bench: ($key) tcp_rr failed: $(cat "$T/$key.$r.rr")"
	timeout --foreground -k 2 20 ip netns exec "$app" "$B/conn_rate" -d $CONN_SECS "$dst" $PORT_CONN \
	    >"$T/$key.$r.conn" 2>&1 || say "bench: ($key) conn_rate failed: $(cat "$T/$key.$r.conn")"
}

# gw_pid KEY: the gateway's own pid (outgate and opensnitchd run under timeout(1))
gw_pid() {
	[ -f "$T/$1.gwpid" ] || return 1
	pid=$(cat "$T/$1.gwpid")
	case $1 in c | d | e | f | g) pid=$(pgrep -P "$pid" | head -n 1) ;; esac
	[ -n "$pid" ] && echo "$pid"
}

# stop_gateway KEY: its peak RSS and user CPU, then SIGTERM; its last words kept
stop_gateway() {
	[ -f "$T/$1.gwpid" ] || return 0
	if pid=$(gw_pid "$1"); then
		awk '$1 == "VmHWM:" { print "VmHWM=" $2 }' "/proc/$pid/status" >"$T/$1.hwm" 2>/dev/null
		awk '{ print "utime_ticks=" $14 }' "/proc/$pid/stat" >"$T/$1.cpu" 2>/dev/null
	fi
	[ -s "$T/$1.hwm" ] || not_run "$1.hwm" "the gateway was not running at the end"
	# the daemon alone: its wrapper (timeout) would signal the daemon's
	# whole process group, the iptables it runs to remove its rules too;
	# the wrapper ends when the daemon has, and reaps it
	# shellcheck disable=SC2046 # none or one pid
	GRACE=100 stop_pids $(gw_pid "$1")
	stop_pids "$(cat "$T/$1.gwpid")"
	grep -h 'packets=' "$T/$1.gw.err" >"$T/$1.visits" 2>/dev/null
	grep -h 'dns_learnt=' "$T/$1.gw.err" >"$T/$1.dns" 2>/dev/null
}

live_notes() {
	hz=$(getconf CLK_TCK)
	for key in b c d e f; do
		v=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' "$T/$key.visits" 2>/dev/null | head -n 1)
		u=$(sed -n 's/utime_ticks=//p' "$T/$key.cpu" 2>/dev/null)
		[ -n "$v" ] || continue
		[ "$v" -gt 0 ] || continue
		# connections made in that lab: conn_rate's, tcp_rr's one a round
		# and, in (c), iperf3's two a round
		n=$(cat "$T"/"$key".*.conn 2>/dev/null | sed -n 's/^conns=\([0-9]*\).*/\1/p' |
		    awk -v r="$ROUNDS" -v k="$key" '{ s += $1 } END { print s + r + (k == "c" ? 2 * r : 0) }')
		cpu="-"
		[ -n "$u" ] && cpu=$(awk -v u="$u" -v hz="$hz" -v n="$v" 'BEGIN { printf "%.1f us", u / hz * 1e6 / n }')
		per=$(awk -v v="$v" -v n="$n" 'BEGIN { printf "%.2f", v / n }')
		echo "queue visits ($key): $v packets for $n connections ($per a connection)," \
		    "user CPU $cpu a packet"
		case $key in e | f)
			awk -v p="$per" 'BEGIN { exit !(p > 1.5) }' &&
			    echo "  ($key) a flow allowed by name stays in the queue until its" \
			    "client's first bytes are read (the rule's built-in SNI/Host check);" \
			    "conn_rate's 1-byte message reads as the start of an HTTP method" \
			    "(HTTP_MORE), so it is decided at the server's answer; the packets" \
			    "each side sends before that verdict lands come to the queue too"
		esac
	done >>"$T/notes"
	for key in e f; do
		[ -s "$T/$key.dns" ] && echo "($key) $(sed 's/.*stopped: //' "$T/$key.dns" | head -n 1)" >>"$T/notes"
	done
	for key in a b c d e f g; do
		f=$(cat "$T"/"$key".*.conn 2>/dev/null | sed -n 's/.*failed=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
		[ "$f" -gt 0 ] && echo "($key) conn_rate: $f connections failed in all rounds" >>"$T/notes"
	done
	return 0
}

live() {
	if [ "$(id -u)" -ne 0 ]; then
		not_run live "needs root (network namespaces, iptables inside them): sudo make bench"
		return
	fi
	for tool in iperf3 ss timeout pgrep iptables; do
		command -v "$tool" >/dev/null 2>&1 ||
		    { not_run live "$tool is missing (tools/deps.sh installs it)"; return; }
	done
	python3 tools/bench/gen_policy.py $BIG_RULES $BIG_NAMES "$T/big_policy.lua" || not_run f "gen_policy.py failed"
	for pol in tools/bench/lab_policy.lua tools/bench/names_policy.lua "$T/big_policy.lua"; do
		"$OG" check --policy "$pol" >/dev/null 2>"$T/check.err" ||
		    { not_run live "outgate check --policy $pol: $(head -c 200 "$T/check.err")"; return; }
	done
	up=""
	for key in $SETUPS; do
		if start "$key"; then
			up="$up $key"
		elif [ "$key" = a ] || [ "$key" = b ]; then
			not_run live "the reference lab ($key) did not come up: $(cat "$T/why.$key")"
			return
		fi
	done
	r=1
	order=$up
	while [ "$r" -le "$ROUNDS" ]; do
		say "bench: round $r of $ROUNDS ($order)"
		for key in $order; do
			measure "$key" "$r"
		done
		# shellcheck disable=SC2086
		set -- $order
		first=$1
		shift
		order="$* $first"
		r=$((r + 1))
	done
	for key in $up; do
		stop_gateway "$key"
	done
	live_notes
}

# ---------------------------------------------------------------- main

[ -x "$OG" ] || { say "bench: $OG is not built (make BUILD=$BUILD)"; exit 1; }
for tool in python3 pkg-config; do
	command -v "$tool" >/dev/null 2>&1 || { say "bench: $tool is missing"; exit 1; }
done
build_helpers || { say "bench: cannot build the helpers"; exit 1; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)

wants offline && offline
if wants memory; then
	timeout 60 "$B/flow_mem" 1000000 >"$T/flow_mem.out" 2>&1 ||
	    not_run memory "flow_mem failed: $(head -c 200 "$T/flow_mem.out")"
fi
if wants policy; then
	say "bench: policy lookup cost, 10 to 10,000 rules"
	timeout 120 "$B/policy_cost" >"$T/policy_cost.out" 2>"$T/policy_cost.err" ||
	    not_run policy "policy_cost failed: $(head -c 200 "$T/policy_cost.err")"
fi
if wants attrib; then
	say "bench: attribution per new flow, 2,000 idle processes"
	LABS="$LABS ${LAB}at"	# before it is up: down is idempotent
	if LAB_LIFETIME=900 sh tools/lab.sh up "${LAB}at" >"$T/attrib.lab" 2>&1; then
		for c in short long; do
			fl=""
			[ "$c" = long ] && fl=-l
			# shellcheck disable=SC2086 # $fl: empty or one flag
			timeout 300 nsenter --net="/run/netns/${LAB}at-app" "$B/attrib_cost" -n $fl \
			    2000 2000 >"$T/attrib.$c.out" 2>&1 ||
			    not_run "attrib.$c" "attrib_cost failed: $(head -c 200 "$T/attrib.$c.out")"
		done
	else
		not_run attrib "lab: $(head -c 200 "$T/attrib.lab")"
	fi
fi
wants live && live
# the labs go before the table is printed
# shellcheck disable=SC2086
stop_pids $PIDS
PIDS=""
for l in $LABS; do
	sh tools/lab.sh down "$l" >/dev/null 2>&1
done
LABS=""

machine >"$T/machine"
echo "($(($(date +%s) - t0)) s)" >>"$T/notes"
echo
# shellcheck disable=SC2086 # one argument a part
python3 tools/bench/table_report.py "$T" "$ROUNDS" "$BUILD/bench-table.md" $PARTS
rc=$?
echo
echo "markdown: $BUILD/bench-table.md"
exit $rc
