#!/bin/sh
# learn.sh OUTGATE - `outgate learn` round trips (issue 7): traffic replayed
# in monitor mode under a policy that allows nothing gives a decision log;
# learn turns it into a draft; `outgate check` accepts the draft; the same
# traffic replayed in enforce mode under the draft drops nothing.  Also: a
# draft by name where the flows had DNS provenance, strings from the log
# quoted (never code), and the errors.  Needs no root.
set -u
OG=${1:-build/outgate}
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && sed 's/^/#   /' "$2" | head -n 8; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# roundtrip NAME CAPTURE LOCAL...: monitor under nothing, learn, check, enforce
roundtrip() {
	name=$1 cap=$2
	shift 2
	loc="" pol="return { mode = \"monitor\", local_nets = {"
	for l in "$@"; do loc="$loc --local $l"; pol="$pol \"$l\","; done
	echo "$pol } }" >"$T/none.lua"
	# shellcheck disable=SC2086
	if ! "$OG" replay --quiet --policy "$T/none.lua" --log "$T/$name.log" "$cap" 2>"$T/err"; then
		notok "$name: replay in monitor mode writes a log" "$T/err"
		return
	fi
	if "$OG" learn "$T/$name.log" >"$T/$name.lua" 2>"$T/err"; then
		ok "$name: learn writes a draft ($(grep -c 'name = "learnt_' "$T/$name.lua") rules)"
	else
		notok "$name: learn writes a draft" "$T/err"
		return
	fi
	if "$OG" check --policy "$T/$name.lua" >"$T/err" 2>&1; then
		ok "$name: outgate check accepts the draft"
	else
		notok "$name: outgate check accepts the draft" "$T/err"
	fi
	# shellcheck disable=SC2086
	out=$("$OG" replay --quiet --mode enforce $loc --policy "$T/$name.lua" "$cap" 2>&1)
	case "$out" in
	*" dropped=0 rejected=0 "*) ok "$name: the same traffic under the draft, enforced, drops nothing" ;;
	*) echo "$out" >"$T/err"; notok "$name: the same traffic under the draft, enforced, drops nothing" "$T/err" ;;
	esac
}

"$PY" "$TOP/tools/gen_mixed_pcap.py" 3000 "$T/mixed.pcap" || { echo "# skipped: cannot make a capture"; exit 0; }
roundtrip mixed "$T/mixed.pcap" 10.1.0.0/16 fd00:1::/64
roundtrip names "$TOP/pcap-tests/40-names-provenance/capture.pcap" 10.1.0.0/16 fd00:1::/64
if grep -q 'host = "www.example.com"' "$T/names.lua" && grep -q 'any_name = true' "$T/names.lua"; then
	ok "names: a flow with DNS provenance is learnt by name (and its DNS keeps passing)"
else
	notok "names: a flow with DNS provenance is learnt by name" "$T/names.lua"
fi
if grep -q '^    -- seen [0-9]* times\{0,1\}, 20' "$T/mixed.lua"; then
	ok "each rule says how often and when it was seen"
else
	notok "each rule says how often and when it was seen" "$T/mixed.lua"
fi

# a log whose strings try to be code: quoted, the draft still checks
printf '%s\n' '{"ts":"2026-01-01T00:00:00.000000Z","event":"decision","verdict":"accept","would":"drop","reason":"unknown_egress","rule":null,"mode":"monitor","policy_hash":"0123456789abcdef","dir":"out","proto":"tcp","src":"10.0.0.1","sport":1,"dst":"192.0.2.1","dport":443,"exe":"/tmp/x\" }, os.execute(\"id\") --"}' >"$T/evil.log"
if "$OG" learn "$T/evil.log" >"$T/evil.lua" 2>"$T/err" && "$OG" check --policy "$T/evil.lua" >/dev/null 2>&1 &&
    grep -q 'exe = "/tmp/x\\" }, os.execute(\\"id\\") --"' "$T/evil.lua"; then
	ok "strings from the log are Lua string literals in the draft, never code"
else
	notok "strings from the log are Lua string literals in the draft, never code" "$T/evil.lua"
fi
printf 'not json\n{"event":"flow_end"}\n' >"$T/junk.log"
"$OG" learn "$T/junk.log" >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "no flow decisions" "$T/err"; then
	ok "a log without flow decisions: one error line, exit 2"
else
	notok "a log without flow decisions: one error line, exit 2 (exit $rc)" "$T/err"
fi
"$OG" learn "$T/none.log" >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "a missing log: one error line, exit 2"
else notok "a missing log: one error line, exit 2 (exit $rc)" "$T/err"; fi
