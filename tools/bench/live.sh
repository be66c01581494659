#!/bin/sh
# live.sh BUILD - the live benchmark (`make bench`): what the gateway costs.
#
# Three namespace labs (tools/lab.sh), up at the same time, one per setup:
#   (a) no gateway: no rules, no queue (and so no conntrack in app);
#   (b) accept-all: tools/bench/accept_all.c on queue 0 behind the rules
#       outgate's amount to, "only what needs a decision": conntrack NEW on
#       app0, OUTPUT and INPUT, to NFQUEUE 0;
#   (c) outgate run with tools/bench/lab_policy.lua;
#   (d) the same with --no-attrib (owners from the packet's uid alone).
# From app to C/iperf3 servers in net: bulk TCP throughput (iperf3), TCP
# request/response latency on one persistent connection (tcp_rr, 64-byte
# messages, p50/p99) and sequential new TCP connections per second
# (conn_rate: connect, a byte each way, close).  The setups are measured in
# ROUNDS (7; BENCH_ROUNDS=N) interleaved rounds, the order rotating each
# round, so that a burst of load from elsewhere on the machine hits one round
# rather than one setup; each figure is the median over the rounds, and the
# table lists every round's throughput and conn/s too.  Per setup, in all
# (7 rounds): 7 s of iperf3 (each second after 1 s of warm-up), 20000 round
# trips and 3.5 s of connections.  Prints one table with the ratios and issue
# 3's targets, then attribution alone (attrib_cost, set as outgate run sets it:
# the cost of finding the process of each of 1000 loopback connections while
# 2000 idle processes run, once from 1000 short-lived clients, once from one
# long-lived client).  A benchmark, not a test: it exits 0 whenever it ran,
# met or not; 1 when it could not run.
#
# Every address is inside the labs' namespaces; the machine's own interfaces
# and firewall are never touched.  Everything started here is stopped, and the
# labs torn down, on exit, failure or Ctrl-C.  About 80 seconds.
# shellcheck disable=SC2317 # cleanup, listening, ready_in: run by trap and wait_for
set -u
BUILD=${1:-build}
OG=$BUILD/outgate
B=$BUILD/bench
POLICY=tools/bench/lab_policy.lua
LAB=ogbench$$
PIDS=""		# every background process of ours still running
LABS=""		# the labs that are up
SETUPS="a b c d"

ROUNDS=${BENCH_ROUNDS:-7}	# 1 to 20
IPERF_SECS=1		# per round, after IPERF_OMIT s not counted
IPERF_OMIT=1
RR_TOTAL=20000		# 64-byte round trips over all rounds (each round: 200 untimed first)
CONN_SECS=0.5		# per round
PORT_IPERF=5201
PORT_RR=7001
PORT_CONN=7002
LIFETIME=600		# servers and gateways end by themselves after this

say() { printf '%s\n' "$*" >&2; }

case $ROUNDS in
[1-9] | 1[0-9] | 20) ;;
*) say "bench: BENCH_ROUNDS must be 1 to 20"; exit 1 ;;
esac
RR_PER_ROUND=$(((RR_TOTAL + ROUNDS - 1) / ROUNDS))

# stop_pids PID...: TERM, then KILL after about 2 s; bounded
stop_pids() {
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	i=0
	while [ "$i" -lt 20 ]; do
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

T=$(mktemp -d "${TMPDIR:-/tmp}/outgate-bench.XXXXXX") || exit 1
cleanup() {
	trap '' INT TERM HUP
	# shellcheck disable=SC2086
	stop_pids $PIDS
	PIDS=""
	for l in $LABS; do
		sh tools/lab.sh down "$l" >/dev/null 2>&1
	done
	LABS=""
	rm -rf "$T"
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

listening() {	# listening NS PORT
	ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN
}

ready_in() {	# ready_in FILE PID
	grep -q ready "$1" && kill -0 "$2"
}

build_helpers() {
	cc=${CC:-cc}
	flags="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
	mkdir -p "$B" || return 1
	# shellcheck disable=SC2086 # $cc and $flags split on purpose
	$cc $flags -o "$B/tcp_rr" tools/bench/tcp_rr.c || return 1
	# shellcheck disable=SC2086
	$cc $flags -o "$B/conn_rate" tools/bench/conn_rate.c || return 1
	# shellcheck disable=SC2086
	$cc $flags -Igw -o "$B/attrib_cost" tools/bench/attrib_cost.c gw/attrib.c gw/cgroupid.c gw/addr.c ||
	    return 1
	# shellcheck disable=SC2046,SC2086
	$cc $flags $(pkg-config --cflags libmnl libnetfilter_queue) -o "$B/accept_all" \
	    tools/bench/accept_all.c $(pkg-config --libs libmnl libnetfilter_queue) || return 1
}

label() {
	case $1 in
	a) echo "no gateway" ;;
	b) echo "accept_all on NFQUEUE 0 (conntrack NEW on app0, OUTPUT and INPUT)" ;;
	c) echo "outgate run --policy $POLICY" ;;
	d) echo "outgate run --policy $POLICY --no-attrib" ;;
	esac
}

# start KEY: lab $LAB$KEY with its servers and its gateway (none, b or c)
start() {
	key=$1
	lab=$LAB$key
	say "bench: ($key) $(label "$key")"
	LABS="$LABS $lab"	# before it is up: down is idempotent
	LAB_LIFETIME=$LIFETIME sh tools/lab.sh up "$lab" >"$T/lab.err" 2>&1 ||
	    { cat "$T/lab.err" >&2; return 1; }
	eval "$(sh tools/lab.sh env "$lab")"
	app=$LAB_APP net=$LAB_NET dst=$LAB_NET4

	bg "$key.iperf3-s" ip netns exec "$net" timeout $LIFETIME iperf3 -s -B "$dst" -p $PORT_IPERF
	bg "$key.rr-s" ip netns exec "$net" "$B/tcp_rr" -s -t $LIFETIME "$dst" $PORT_RR
	bg "$key.conn-s" ip netns exec "$net" "$B/conn_rate" -s -t $LIFETIME "$dst" $PORT_CONN
	for p in $PORT_IPERF $PORT_RR $PORT_CONN; do
		wait_for "the server on port $p" 50 listening "$net" "$p" || return 1
	done

	case $key in
	b)
		bg "$key.gw" ip netns exec "$app" "$B/accept_all" -q 0 -t $LIFETIME
		echo "$LAST" >"$T/$key.gwpid"
		wait_for "accept_all" 50 ready_in "$T/$key.gw.err" "$LAST" ||
		    { cat "$T/$key.gw.err" >&2; return 1; }
		ip netns exec "$app" iptables -w 5 -A OUTPUT -o "$LAB_APP_IF" \
		    -m conntrack --ctstate NEW -j NFQUEUE --queue-num 0 || return 1
		ip netns exec "$app" iptables -w 5 -A INPUT -i "$LAB_APP_IF" \
		    -m conntrack --ctstate NEW -j NFQUEUE --queue-num 0 || return 1
		;;
	c | d)
		noattr=""
		[ "$key" = d ] && noattr=--no-attrib
		# shellcheck disable=SC2086 # empty or one flag
		bg "$key.gw" ip netns exec "$app" timeout -s TERM $LIFETIME \
		    "$OG" run --policy "$POLICY" --log /dev/null $noattr
		echo "$LAST" >"$T/$key.gwpid"
		wait_for "outgate" 100 ready_in "$T/$key.gw.err" "$LAST" ||
		    { cat "$T/$key.gw.err" >&2; return 1; }
		;;
	esac
	return 0
}

# measure KEY ROUND: one round of the three measurements in lab $LAB$KEY
measure() {
	key=$1 r=$2
	app=$LAB${key}-app
	dst=$LAB_NET4
	if ! timeout --foreground -k 2 20 ip netns exec "$app" iperf3 -J -c "$dst" -p $PORT_IPERF \
	    -t $IPERF_SECS -O $IPERF_OMIT >"$T/$key.$r.iperf3.json" 2>"$T/$key.iperf3.err"; then
		say "bench: ($key) iperf3 failed: $(head -c 300 "$T/$key.iperf3.err" "$T/$key.$r.iperf3.json")"
	fi
	timeout --foreground -k 2 20 ip netns exec "$app" "$B/tcp_rr" -n $RR_PER_ROUND -m 64 -T 10 "$dst" $PORT_RR \
	    >"$T/$key.$r.rr" 2>&1 || say "bench: ($key) tcp_rr failed: $(cat "$T/$key.$r.rr")"
	timeout --foreground -k 2 20 ip netns exec "$app" "$B/conn_rate" -d $CONN_SECS "$dst" $PORT_CONN \
	    >"$T/$key.$r.conn" 2>&1 || say "bench: ($key) conn_rate failed: $(cat "$T/$key.$r.conn")"
}

# stop_gateway KEY: its user CPU time, then SIGTERM; its last words in $T/KEY.visits
stop_gateway() {
	[ -f "$T/$1.gwpid" ] || return 0
	pid=$(cat "$T/$1.gwpid")
	# outgate runs under timeout(1): its child is the daemon
	case $1 in c | d) pid=$(pgrep -P "$pid" | head -n 1) ;; esac
	[ -n "$pid" ] && awk '{ print "utime_ticks=" $14 }' "/proc/$pid/stat" >"$T/$1.cpu" 2>/dev/null
	stop_pids "$(cat "$T/$1.gwpid")"
	grep -h 'packets=' "$T/$1.gw.err" >"$T/$1.visits" 2>/dev/null
	grep -h 'attrib lookups=' "$T/$1.gw.err" >"$T/$1.attrib" 2>/dev/null
}

report() {
	python3 - "$T" "$ROUNDS" "$(getconf CLK_TCK)" <<'PY'
import json, os, re, statistics, sys

T, rounds, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keys = ("a", "b", "c")
allkeys = keys + ("d",)

def kv(path):
    try:
        with open(path) as f:
            return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", f.read())}
    except OSError:
        return {}

def gbps(path):
    try:
        with open(path) as f:
            return json.load(f)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (OSError, ValueError, KeyError, TypeError):
        return None

per = {k: {"tput": [], "p50": [], "p99": [], "conn": []} for k in allkeys}
for k in allkeys:
    for r in range(1, rounds + 1):
        base = os.path.join(T, "%s.%d" % (k, r))
        rr, conn = kv(base + ".rr"), kv(base + ".conn")
        for field, v in (("tput", gbps(base + ".iperf3.json")), ("p50", rr.get("p50_us")),
                         ("p99", rr.get("p99_us")), ("conn", conn.get("conn_per_s"))):
            if v is not None:
                per[k][field].append(v)
val = {k: {f: (statistics.median(v) if v else None) for f, v in per[k].items()} for k in allkeys}

def num(v, fmt):
    return "-" if v is None else fmt % v

def ratio(x, y):
    return None if x is None or not y else x / y

def diff(x, y):
    return None if x is None or y is None else x - y

head = "%-24s %11s %11s %11s %9s %9s   %s"
line = "-" * 104
print(head % ("", "(a) none", "(b) acc-all", "(c) outgate", "c vs a", "c vs b", "target"))
print(line)

def row(name, field, fmt, cmp, target=None):
    a, b, c = (val[k][field] for k in keys)
    if cmp == "ratio":
        ca, cb = ratio(c, a), ratio(c, b)
        sa, sb = num(ca, "%.3fx"), num(cb, "%.3fx")
    else:
        ca, cb = diff(c, a), diff(c, b)
        sa, sb = num(ca, "%+.1f"), num(cb, "%+.1f")
    t = ""
    if target:
        which, lim, text = target
        got = ca if which == "a" else cb
        t = "%s: %s" % (text, "-" if got is None else ("met" if got >= lim else "NOT met"))
    print(head % (name, num(a, fmt), num(b, fmt), num(c, fmt), sa, sb, t))

row("TCP throughput, Gbit/s", "tput", "%.2f", "ratio", ("a", 0.95, "c/a >= 0.95"))
row("TCP RR p50, us", "p50", "%.1f", "diff")
row("TCP RR p99, us", "p99", "%.1f", "diff")
row("new TCP conn/s", "conn", "%.0f", "ratio", ("b", 0.8, "c/b >= 0.8"))
print(line)
print("added p99 latency of outgate: %s us over no gateway, %s us over accept-all"
      % (num(diff(val["c"]["p99"], val["a"]["p99"]), "%+.1f"),
         num(diff(val["c"]["p99"], val["b"]["p99"]), "%+.1f")))
cd, cc_, cb = val["d"]["conn"], val["c"]["conn"], val["b"]["conn"]
print("new TCP conn/s, (d) outgate --no-attrib: %s; attribution on/off (c/d): %s; "
      "c vs b with attribution on: %s (target >= 0.6: %s)"
      % (num(cd, "%.0f"), num(ratio(cc_, cd), "%.3fx"), num(ratio(cc_, cb), "%.3fx"),
         "-" if ratio(cc_, cb) is None else ("met" if ratio(cc_, cb) >= 0.6 else "NOT met")))
at = kv(os.path.join(T, "c.attrib"))
if at:
    print("outgate (c) attribution in the daemon: %d lookups, %d found, p50 %d us, p99 %d us"
          % (at.get("lookups", 0), at.get("found", 0), at.get("p50_us", 0), at.get("p99_us", 0)))
print("medians of %d interleaved rounds; every round:" % rounds)
for field, name, fmt in (("tput", "Gbit/s", "%.1f"), ("conn", "conn/s", "%.0f")):
    print("  %-7s %s" % (name, "   ".join("(%s) %s" % (k, " ".join(fmt % v for v in per[k][field]))
                                        for k in allkeys)))
for k, name in (("b", "accept_all"), ("c", "outgate"), ("d", "no-attrib")):
    vis, cpu = kv(os.path.join(T, k + ".visits")), kv(os.path.join(T, k + ".cpu"))
    pk = vis.get("packets")
    if pk is None:
        continue
    us = "%.1f us" % (cpu["utime_ticks"] / hz * 1e6 / pk) if pk and "utime_ticks" in cpu else "-"
    print("queue visits, %-10s %6d packets (one per new connection), user CPU %s a packet"
          % (name + ":", pk, us))
PY
}

# ---------------------------------------------------------------- main

if [ "$(id -u)" -ne 0 ]; then
	say "bench: needs root (network namespaces, iptables inside them): sudo make bench"
	exit 1
fi
for tool in iperf3 python3 ss pkg-config timeout; do
	command -v "$tool" >/dev/null 2>&1 || { say "bench: $tool is missing (tools/deps.sh installs it)"; exit 1; }
done
[ -x "$OG" ] || { say "bench: $OG is not built"; exit 1; }
build_helpers || { say "bench: cannot build the helpers"; exit 1; }
"$OG" check --policy "$POLICY" >/dev/null || exit 1

t0=$(date +%s)
for key in $SETUPS; do
	start "$key" || { say "bench: setup ($key) failed"; exit 1; }
done
r=1
order=$SETUPS
while [ "$r" -le "$ROUNDS" ]; do
	say "bench: round $r of $ROUNDS ($order)"
	for key in $order; do
		measure "$key" "$r"
	done
	# rotate: a b c, b c a, c a b, ...
	# shellcheck disable=SC2086
	set -- $order
	first=$1
	shift
	order="$* $first"
	r=$((r + 1))
done
for key in $SETUPS; do
	stop_gateway "$key"
done

echo
echo "outgate live bench: app -> net over a veth pair, $(nproc) CPUs;" \
    "per setup: iperf3 $((ROUNDS * IPERF_SECS)) s," \
    "tcp_rr $((ROUNDS * RR_PER_ROUND)) x 64 B, conn_rate $ROUNDS x $CONN_SECS s sequential"
echo
report
echo
# attribution alone, loopback in a lab namespace (the processes are the machine's);
# -n: no command line, as outgate run
for clients in "" -l; do
	# shellcheck disable=SC2086 # $clients empty or one flag
	ip netns exec "${LAB}a-app" "$B/attrib_cost" -n $clients 2000 1000 2>&1 ||
	    say "bench: attrib_cost $clients failed"
done
echo "  (attribution per new flow, target p99 <= 50 us)"
echo
echo "($(($(date +%s) - t0)) s; a benchmark, not a test: targets are reported, not enforced)"
exit 0
