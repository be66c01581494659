#!/bin/sh
# nfq_live.sh - gw/nfq.c against a real kernel queue, in a namespace pair of our own:
# verdicts, marks, repeat, uid, bypass, fail-open, batching, GSO.  Never touches the
# host's firewall or network.  Prints "ok N - what" / "not ok N - what" lines and exits 0;
# "# skipped: why" alone when not root or namespaces are unusable.
# NFQ_LIVE_CFLAGS adds compiler flags to the driver (e.g. -fsanitize=address,undefined).
set -u
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# names of this run alone: two runs at once must not share namespaces (veth names <= 15)
S=$(($$ % 100000))
NA=og-nfq$S-a
NB=og-nfq$S-b
VA=ognfq$S-a
VB=ognfq$S-b
A4=10.98.0.1 B4=10.98.0.2
A6=fd98::1 B6=fd98::2
Q=3
MARK=0x20000000
RMASK=0x60000000
REJ=0x40000000
BURST=2000
n=0
DPID=""
SPID=""
T=""

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	for p in $DPID $SPID; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: not root (namespaces and NFQUEUE need CAP_NET_ADMIN)"
	exit 0
fi
for tool in ip iptables ip6tables ping setpriv cc pkg-config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "# skipped: $tool not found"
		exit 0
	fi
done
T=$(mktemp -d)

DRV=$T/nfq_driver
# shellcheck disable=SC2046,SC2086 # flags and pkg-config's words are meant to split
if ! cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wshadow -Wstrict-prototypes \
    -Wmissing-prototypes -Wformat=2 -Werror -D_FORTIFY_SOURCE=3 -I"$TOP/gw" \
    ${NFQ_LIVE_CFLAGS:-} \
    -o "$DRV" "$TOP/gw/tests/nfq_driver.c" "$TOP/gw/nfq.c" "$TOP/gw/diag.c" \
    $(pkg-config --cflags --libs libnetfilter_queue libmnl) 2>"$T/cc.err"; then
	echo "not ok 1 - build nfq_driver"
	sed 's/^/#   /' "$T/cc.err" | head -n 20
	exit 0
fi

# shellcheck source=SCRIPTDIR/lib/pair.sh
. "$TOP/gw/tests/lib/pair.sh"
pair_up sysctl -qw net.ipv4.ping_group_range="0 2147483647"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ $# -gt 1 ] && [ -f "$2" ] && sed 's/^/#   /' "$2" | head -n 8
}
# check COND-EXIT DESC [FILE]
check() {
	if [ "$1" -eq 0 ]; then ok "$2"; else notok "$2" "${3:-}"; fi
}

# Our namespace's rules only.
fw_reset() {
	for t in filter mangle; do
		inA iptables -t $t -F
		inA ip6tables -t $t -F
	done
}
# counter TABLE CHAIN COMMENT [ip6tables]: packets of the rule tagged COMMENT
counter() {
	inA "${4:-iptables}" -t "$1" -L "$2" -v -x -n |
	    awk -v c="/* $3 */" 'index($0, c) { print $1; exit }'
}

# start_driver NAME ARGS...: the driver in a, answering queue Q; waits until bound
start_driver() {
	name=$1
	shift
	# not through inA: $! must be the driver itself (ip netns exec execs it)
	ip netns exec "$NA" "$DRV" run --queue "$Q" --seconds 25 "$@" \
	    >"$T/$name.out" 2>"$T/$name.err" &
	DPID=$!
	i=0
	while [ $i -lt 50 ] && ! grep -q '^ready' "$T/$name.out"; do
		if ! kill -0 "$DPID" 2>/dev/null; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	grep -q '^ready' "$T/$name.out"
}
stop_driver() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=""
}
# st NAME KEY: a counter from the driver's last line
st() {
	tail -n 1 "$T/$1.out" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
# received PINGOUTPUT: replies ping counted
received() {
	sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"
}
ping4() { inA ping -n -q "$@" "$B4" >"$T/ping.out" 2>&1; }

# 1. accept: replies come back, each request passed once through the queue, uid 0
fw_reset
inA iptables -A OUTPUT -o "$VA" -p icmp -j NFQUEUE --queue-num $Q
if start_driver accept --policy accept; then
	ping4 -c 3 -i 0.2 -W 1
	stop_driver
	check "$([ "$(received "$T/ping.out")" = 3 ]; echo $?)" "accept: 3 of 3 echo replies" "$T/ping.out"
	check "$([ "$(st accept packets)" = 3 ] && [ "$(st accept verdicts)" = 3 ] &&
	    [ "$(st accept parse_errors)" = 0 ] && [ "$(st accept kernel_errors)" = 0 ]; echo $?)" \
	    "accept: driver saw 3 packets, sent 3 verdicts, no errors" "$T/accept.out"
	check "$([ "$(st accept uids)" = "0:3" ]; echo $?)" "accept: uid 0 on every packet" "$T/accept.out"
else
	notok "accept: driver did not bind" "$T/accept.err"
fi

# 2. uid of an unprivileged sender
if start_driver uid --policy accept; then
	inA setpriv --reuid 65534 --regid 65534 --clear-groups \
	    ping -n -q -c 3 -i 0.2 -W 1 "$B4" >"$T/ping.out" 2>&1
	stop_driver
	check "$([ "$(received "$T/ping.out")" = 3 ] && [ "$(st uid uids)" = "65534:3" ]; echo $?)" \
	    "uid: ping as 65534 seen as uid 65534" "$T/uid.out"
else
	notok "uid: driver did not bind" "$T/uid.err"
fi

# 3. the queue is ours alone while the driver holds it
if start_driver holder --policy accept; then
	inA "$DRV" busy $Q >"$T/busy.out" 2>&1
	rc=$?
	stop_driver
	check "$([ $rc -eq 0 ] && grep -q 'bound by another program' "$T/busy.out"; echo $?)" \
	    "busy: a second open of queue $Q fails with a clear error ($(cut -c8- "$T/busy.out"))" \
	    "$T/busy.out"
else
	notok "busy: driver did not bind" "$T/holder.err"
fi

inA setpriv --bounding-set=-net_admin --inh-caps=-net_admin "$DRV" busy $Q >"$T/nocap.out" 2>&1
check "$(grep -q 'no CAP_NET_ADMIN' "$T/nocap.out"; echo $?)" \
    "no CAP_NET_ADMIN: a clear error ($(cut -c8- "$T/nocap.out"))" "$T/nocap.out"

# 4. drop
if start_driver drop --policy drop; then
	ping4 -c 3 -i 0.2 -W 1
	stop_driver
	check "$([ "$(received "$T/ping.out")" = 0 ] && [ "$(st drop packets)" = 3 ]; echo $?)" \
	    "drop: 0 of 3 replies, 3 packets dropped" "$T/ping.out"
else
	notok "drop: driver did not bind" "$T/drop.err"
fi

# 5. an invalid verdict from the callback fails closed
if start_driver bogus --policy bogus; then
	ping4 -c 2 -i 0.2 -W 1
	stop_driver
	check "$([ "$(received "$T/ping.out")" = 0 ] && [ "$(st bogus bad_verdicts)" = 2 ]; echo $?)" \
	    "bogus verdict: counted and dropped" "$T/bogus.out"
else
	notok "bogus: driver did not bind" "$T/bogus.err"
fi

# 6. accept with a mark: seen later in POSTROUTING
inA iptables -t mangle -A POSTROUTING -o "$VA" -p icmp -m mark --mark $MARK/$RMASK \
    -m comment --comment ogmark
if start_driver mark --policy mark:$MARK; then
	ping4 -c 3 -i 0.2 -W 1
	stop_driver
	c=$(counter mangle POSTROUTING ogmark)
	check "$([ "$(received "$T/ping.out")" = 3 ] && [ "$c" = 3 ]; echo $?)" \
	    "mark: 3 replies, mark $MARK/$RMASK counted $c times after the verdict" "$T/mark.out"
else
	notok "mark: driver did not bind" "$T/mark.err"
fi

# 7. repeat with a mark: the packet walks OUTPUT again, skips the queue, hits the counter
fw_reset
inA iptables -A OUTPUT -o "$VA" -p icmp -m mark ! --mark $MARK/$MARK -j NFQUEUE --queue-num $Q
inA iptables -A OUTPUT -o "$VA" -p icmp -m mark --mark $MARK/$RMASK -m comment --comment ogrep
if start_driver repeat --policy repeat:$MARK; then
	ping4 -c 3 -i 0.2 -W 1
	stop_driver
	c=$(counter filter OUTPUT ogrep)
	check "$([ "$(received "$T/ping.out")" = 3 ] && [ "$c" = 3 ] &&
	    [ "$(st repeat packets)" = 3 ] && [ "$(st repeat repeats)" = 3 ]; echo $?)" \
	    "repeat: 3 replies, each packet queued once and counted once after NF_REPEAT" \
	    "$T/repeat.out"
else
	notok "repeat: driver did not bind" "$T/repeat.err"
fi

# 8. reject in the kernel: NF_REPEAT with a mark into a REJECT rule fails a connect at once
fw_reset
inA iptables -A OUTPUT -o "$VA" -p tcp --dport 5002 -m mark ! --mark $REJ/$REJ \
    -j NFQUEUE --queue-num $Q
inA iptables -A OUTPUT -o "$VA" -p tcp -m mark --mark $REJ/$REJ -j REJECT --reject-with tcp-reset
if start_driver reject --policy repeat:$REJ; then
	t0=$(date +%s%N)
	inA "$DRV" tcpsend "$B4" 5002 10 >"$T/send.out" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	stop_driver
	check "$([ $rc -ne 0 ] && grep -q 'refused' "$T/send.out" && [ $ms -lt 1000 ]; echo $?)" \
	    "reject: connect refused in ${ms} ms" "$T/send.out"
else
	notok "reject: driver did not bind" "$T/reject.err"
fi

# 9. with the consumer killed, queued traffic stops (no --queue-bypass)
fw_reset
inA iptables -A OUTPUT -o "$VA" -p icmp -j NFQUEUE --queue-num $Q
if start_driver killed --policy accept; then
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	ping4 -c 2 -i 0.2 -W 1
	check "$([ "$(received "$T/ping.out")" = 0 ]; echo $?)" "killed consumer: traffic stops" \
	    "$T/ping.out"
else
	notok "killed: driver did not bind" "$T/killed.err"
fi

# 10. ... and flows with --queue-bypass
fw_reset
inA iptables -A OUTPUT -o "$VA" -p icmp -j NFQUEUE --queue-num $Q --queue-bypass
ping4 -c 2 -i 0.2 -W 1
check "$([ "$(received "$T/ping.out")" = 2 ]; echo $?)" "no consumer, --queue-bypass: traffic flows" \
    "$T/ping.out"

# 11. a full queue drops (counted by the kernel), or accepts with fail-open
fw_reset
inA iptables -A OUTPUT -o "$VA" -p icmp -j NFQUEUE --queue-num $Q
if start_driver full --policy accept --maxlen 2 --stall 2500 --seconds 4; then
	ping4 -c 6 -i 0.2 -W 1
	wait "$DPID" 2>/dev/null
	DPID=""
	check "$([ "$(st full kernel_known)" = 1 ] && [ "$(st full queue_dropped)" -ge 3 ] &&
	    [ "$(st full packets)" = 2 ]; echo $?)" \
	    "full queue: kernel dropped $(st full queue_dropped), we got $(st full packets)" \
	    "$T/full.out"
else
	notok "full: driver did not bind" "$T/full.err"
fi
if start_driver failopen --policy accept --maxlen 2 --stall 2500 --seconds 4 --fail-open; then
	ping4 -c 6 -i 0.2 -W 1
	wait "$DPID" 2>/dev/null
	DPID=""
	r=$(received "$T/ping.out")
	check "$([ "${r:-0}" -ge 4 ] && [ "$(st failopen queue_dropped)" = 0 ]; echo $?)" \
	    "fail-open: full queue accepts ($r of 6 replies in time)" "$T/ping.out"
else
	notok "failopen: driver did not bind" "$T/failopen.err"
fi

# 12. a burst: many packets, few sends.  The driver waits 500 ms before it reads, so the
# whole burst is queued (how much batching happens without it depends on the scheduler).
fw_reset
inA iptables -A OUTPUT -o "$VA" -p udp --dport 9999 -j NFQUEUE --queue-num $Q
inB iptables -F INPUT
inB iptables -A INPUT -p udp --dport 9999 -m comment --comment ogburst
if start_driver burst --policy accept --stall 500; then
	inA "$DRV" blast "$B4" 9999 $BURST >"$T/blast.out" 2>&1
	i=0
	while [ $i -lt 50 ] && [ "$(inB iptables -L INPUT -v -x -n |
	    awk '/ogburst/ { print $1 }')" != $BURST ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_driver
	c=$(inB iptables -L INPUT -v -x -n | awk '/ogburst/ { print $1 }')
	p=$(st burst packets) s=$(st burst sends) b=$(st burst batch_msgs) v=$(st burst verdict_msgs)
	echo "# burst: $p packets, $(st burst recvs) receives, $s sends, $b batch + $v single verdict messages, largest batch $(st burst max_batch), $c arrived"
	check "$([ "$p" = $BURST ] && [ "$(st burst verdicts)" = $BURST ] && [ "$c" = $BURST ] &&
	    [ "$(st burst user_dropped)" = 0 ] && [ "$(st burst queue_dropped)" = 0 ]; echo $?)" \
	    "burst: $BURST datagrams queued and all arrived" "$T/burst.out"
	# how much waits for a receive depends on the machine's load: the
	# property is that waiting packets share sends, not a ratio to reach
	check "$([ "$s" -le $((BURST / 4)) ] && [ "$b" -ge 1 ]; echo $?)" \
	    "burst: batched ($s sends for $p packets)" "$T/burst.out"
else
	notok "burst: driver did not bind" "$T/burst.err"
fi

# 13. mixed verdicts and marks in each send: runs of accept (marked or not) and single drops
fw_reset
inA iptables -A OUTPUT -o "$VA" -p udp --dport 9999 -j NFQUEUE --queue-num $Q
inA iptables -t mangle -A POSTROUTING -o "$VA" -p udp -m mark --mark $MARK/$RMASK \
    -m comment --comment ogsplit
inB iptables -Z INPUT
if start_driver split --policy split:10 --stall 500; then
	inA "$DRV" blast "$B4" 9999 $BURST >"$T/blast.out" 2>&1
	want=$((BURST - BURST / 10))
	i=0
	while [ $i -lt 50 ] && [ "$(inB iptables -L INPUT -v -x -n |
	    awk '/ogburst/ { print $1 }')" != $want ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_driver
	c=$(inB iptables -L INPUT -v -x -n | awk '/ogburst/ { print $1 }')
	mk=$(counter mangle POSTROUTING ogsplit)
	echo "# split: $(st split packets) packets, $(st split sends) sends, $(st split batch_msgs) batch + $(st split verdict_msgs) single verdict messages; $c arrived, $mk marked"
	check "$([ "$c" = $want ] && [ "$mk" = "$(st split marked)" ] &&
	    [ "$(st split kernel_errors)" = 0 ] && [ "$(st split verdicts)" = $BURST ]; echo $?)" \
	    "mixed runs: $want of $BURST arrived, $mk marked as decided" "$T/split.out"
else
	notok "split: driver did not bind" "$T/split.err"
fi

# 14. GSO: TCP bulk through the queue arrives whole; super-packets are cut at the copy range
fw_reset
inA iptables -A OUTPUT -o "$VA" -p tcp --dport 5001 -j NFQUEUE --queue-num $Q
ip netns exec "$NB" "$DRV" tcpsink 5001 10 >"$T/sink.out" 2>&1 &
SPID=$!
i=0
while [ $i -lt 50 ] && ! grep -q listening "$T/sink.out"; do
	sleep 0.1
	i=$((i + 1))
done
if start_driver gso --policy accept; then
	inA "$DRV" tcpsend "$B4" 5001 4194304 >"$T/send.out" 2>&1
	wait "$SPID" 2>/dev/null
	SPID=""
	stop_driver
	echo "# gso: $(st gso packets) packets, $(st gso gso) GSO, $(st gso cut) cut, largest $(st gso max_wirelen) bytes, copied at most $(st gso max_caplen)"
	check "$(grep -q 'received=4194304' "$T/sink.out"; echo $?)" \
	    "gso: 4 MiB TCP through the queue arrived whole" "$T/sink.out"
	check "$([ "$(st gso gso)" -ge 1 ] && [ "$(st gso cut)" -ge 1 ] &&
	    [ "$(st gso max_wirelen)" -gt 1500 ] && [ "$(st gso max_caplen)" -le 4096 ] &&
	    [ "$(st gso parse_errors)" = 0 ]; echo $?)" \
	    "gso: super-packets seen, cut at the copy range" "$T/gso.out"
else
	notok "gso: driver did not bind" "$T/gso.err"
fi

# 15. IPv6
fw_reset
inA ip6tables -A OUTPUT -o "$VA" -p icmpv6 --icmpv6-type echo-request -j NFQUEUE --queue-num $Q
if start_driver v6 --policy mark:$MARK; then
	inA ping -6 -n -q -c 3 -i 0.2 -W 1 "$B6" >"$T/ping.out" 2>&1
	stop_driver
	check "$([ "$(received "$T/ping.out")" = 3 ] && [ "$(st v6 packets)" = 3 ]; echo $?)" \
	    "ipv6: 3 echo requests through the queue, 3 replies" "$T/ping.out"
else
	notok "v6: driver did not bind" "$T/v6.err"
fi
exit 0
