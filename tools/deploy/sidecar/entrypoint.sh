#!/bin/sh
# entrypoint.sh - the outgate sidecar's process 1: the rules in the pod's
# network namespace, the daemon as its own user, the policy reloaded when its
# file changes, the rules removed on a deliberate stop.
#
# Fail-closed: the rules queue the pod's traffic whether or not the daemon
# runs, so while it is down (a crash, a restart of the container) no new
# flow leaves the pod; established flows are decided in the kernel and go
# on.  The rules come out only when this script is told to stop (SIGTERM,
# SIGINT): the pod is going away.  When the daemon dies on its own, the
# script exits with its status and leaves them in for the next start.
#
# Settings (environment):
#   OUTGATE_POLICY       the policy (default /etc/outgate/policy.lua)
#   OUTGATE_USER         the daemon's user, name or UID[:GID] (default outgate);
#                        its traffic is never queued (--exempt-uid)
#   OUTGATE_CONTROL      the control socket (default /run/outgate/control.sock):
#                        `outgate health --control` is the startup probe
#   OUTGATE_READY_FILE   a file made once the daemon answers ok, removed on
#                        exit (default none)
#   OUTGATE_QUEUE        the queue number (default 0)
#   OUTGATE_EXEMPT_MARK  a socket mark never queued, MARK[/MASK] (default none)
#   OUTGATE_RULES_ARGS   more flags for `outgate rules install` (default none)
#   OUTGATE_ARGS         more flags for `outgate run` (default: --log -)
#   OUTGATE_WATCH        seconds between looks at the policy file; a change
#                        that passes `outgate check` is reloaded (SIGHUP),
#                        one that fails is reported and the old policy stays
#                        (default 10; 0: never)
#   OUTGATE_BIN          the binary (default outgate on PATH)
# Exit: 0 after a deliberate stop; the daemon's status when it died; 2 when
# it could not start (bad policy, rules refused).
#
# `entrypoint.sh health` is the probe: `outgate health` against the control
# socket, run as the socket's owner (the daemon's user) when called as root,
# since root without CAP_DAC_OVERRIDE, as in the container, may not connect
# to the daemon's socket (mode 0600).  Exit 0 when the daemon says ok.
set -u

OG=${OUTGATE_BIN:-outgate}
POLICY=${OUTGATE_POLICY:-/etc/outgate/policy.lua}
USER_SPEC=${OUTGATE_USER:-outgate}
CONTROL=${OUTGATE_CONTROL:-/run/outgate/control.sock}
READY=${OUTGATE_READY_FILE:-}
QUEUE=${OUTGATE_QUEUE:-0}
WATCH=${OUTGATE_WATCH:-10}
RUN_ARGS=${OUTGATE_ARGS:---log -}
RULES_ARGS=${OUTGATE_RULES_ARGS:-}
[ -n "${OUTGATE_EXEMPT_MARK:-}" ] && RULES_ARGS="$RULES_ARGS --exempt-mark $OUTGATE_EXEMPT_MARK"

say() { echo "entrypoint: $*" >&2; }

# health: outgate health, as the control socket's owner
health() {
	if [ "$(id -u)" -eq 0 ] && owner=$(stat -c %u:%g "$CONTROL" 2>/dev/null) &&
	    [ "${owner%%:*}" -ne 0 ]; then
		setpriv --reuid="${owner%%:*}" --regid="${owner#*:}" --clear-groups \
		    "$OG" health --control "$CONTROL"
	else
		"$OG" health --control "$CONTROL"
	fi
}
if [ "${1:-}" = health ]; then
	health
	exit
fi
die() {
	say "$*"
	exit 2
}

case "$WATCH" in '' | *[!0-9]*) die "OUTGATE_WATCH=\"$WATCH\" is not a number of seconds" ;; esac
case "$QUEUE" in '' | *[!0-9]*) die "OUTGATE_QUEUE=\"$QUEUE\" is not a queue number" ;; esac
command -v "$OG" >/dev/null 2>&1 || die "$OG not found"
"$OG" check --policy "$POLICY" >/dev/null || die "$POLICY: refused by outgate check; not starting"
# the daemon makes its socket as its user: a folder we make is the user's
cdir=$(dirname "$CONTROL")
if [ ! -d "$cdir" ]; then
	mkdir -p "$cdir" && chown "$USER_SPEC" "$cdir" || die "cannot make $cdir for $USER_SPEC"
fi
if [ -n "$READY" ]; then
	rm -f "$READY"
fi

# the rules: in place from an earlier run (fail-closed meanwhile), replaced
# in one transaction
# shellcheck disable=SC2086  # the *_ARGS are lists of flags
"$OG" rules install --replace --queue "$QUEUE" --exempt-uid "$USER_SPEC" $RULES_ARGS ||
	die "the rules could not be installed"

PID=""
STOPPING=""
# the daemon runs (a child that ended stays a zombie until waited for)
running() {
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$PID/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}
# signal SIG: to the daemon; when root may not (no CAP_KILL, as in the
# container: the daemon runs as another user), as the daemon's own user
signal() {
	kill -"$1" "$PID" 2>/dev/null && return 0
	ids=$(awk '$1 == "Uid:" { u = $2 } $1 == "Gid:" { g = $2 } END { print u ":" g }' \
	    "/proc/$PID/status" 2>/dev/null) || return 1
	setpriv --reuid="${ids%%:*}" --regid="${ids#*:}" --clear-groups \
	    sh -c 'kill -"$1" "$2"' sh "$1" "$PID"
}
stop() {
	STOPPING=1
	[ -n "$PID" ] && signal TERM
}
trap stop TERM INT

# shellcheck disable=SC2086
"$OG" run --policy "$POLICY" --queue "$QUEUE" --rules none --user "$USER_SPEC" \
    --control "$CONTROL" $RUN_ARGS &
PID=$!

# ready: once the daemon answers ok (its queue bound, its worker running)
if [ -n "$READY" ]; then
	i=0
	while [ -z "$STOPPING" ] && [ "$i" -lt 300 ] && running; do
		if health >/dev/null 2>&1; then
			: >"$READY"
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
fi

sum() { cksum <"$POLICY" 2>/dev/null; }
last=$(sum)
elapsed=0
# wait in steps of a second, so that a signal is seen and the policy looked at
while [ -z "$STOPPING" ] && running; do
	sleep 1 &
	wait $! 2>/dev/null
	[ "$WATCH" -gt 0 ] || continue
	elapsed=$((elapsed + 1))
	[ "$elapsed" -ge "$WATCH" ] || continue
	elapsed=0
	now=$(sum)
	[ "$now" = "$last" ] && continue
	last=$now
	if out=$("$OG" check --policy "$POLICY" 2>&1); then
		say "$POLICY changed: reloading"
		signal HUP || say "the daemon could not be told to reload"
	else
		say "$POLICY changed but is refused, the running policy stays: $out"
	fi
done

wait "$PID"
rc=$?
[ -n "$READY" ] && rm -f "$READY"
if [ -n "$STOPPING" ]; then
	# a deliberate stop: the pod is going away; leave nothing behind
	# shellcheck disable=SC2086
	"$OG" rules remove --queue "$QUEUE" --exempt-uid "$USER_SPEC" $RULES_ARGS ||
		say "the rules could not be removed"
	exit 0
fi
say "the daemon ended (status $rc): rules left in place, the pod stays closed"
[ "$rc" -eq 0 ] && rc=1
exit "$rc"
