# shellcheck shell=sh
# lib/pair.sh - sourced by live tests that need two namespaces joined by a
# veth pair (ctseed_live.sh, nfq_live.sh).  Not a test itself.
#
# pair_up: with NA NB VA VB A4 B4 A6 B6 and T set, make namespaces NA and
# NB (removing leftovers of a run killed hard), the pair VA (in NA) - VB (in
# NB), the addresses A4/24 A6/64 and B4/24 B6/64, and define inA and inB.
# Prints "# skipped: ..." and exits 0 when the machine cannot do it.  Extra
# set-up commands for NA may follow as arguments (run with inA).

inA() { ip netns exec "$NA" "$@"; }
inB() { ip netns exec "$NB" "$@"; }

pair_up() {
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	if ! ip netns add "$NA" 2>"$T/err" || ! ip netns add "$NB" 2>>"$T/err"; then
		echo "# skipped: network namespaces unusable: $(head -n 1 "$T/err")"
		exit 0
	fi
	if ! { ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB" &&
	    inA ip link set lo up && inB ip link set lo up &&
	    inA ip addr add "$A4/24" dev "$VA" && inB ip addr add "$B4/24" dev "$VB" &&
	    inA ip -6 addr add "$A6/64" dev "$VA" nodad &&
	    inB ip -6 addr add "$B6/64" dev "$VB" nodad &&
	    inA ip link set "$VA" up && inB ip link set "$VB" up &&
	    { [ $# -eq 0 ] || inA "$@"; }; } 2>"$T/err"; then
		echo "# skipped: cannot build the veth pair: $(head -n 1 "$T/err")"
		exit 0
	fi
}
