#!/bin/sh
# fuzz_regress.sh OUTGATE - every fuzz target (gw/fuzz/, built without
# libFuzzer into BUILD/fuzz-regress/ by `make fuzz-regress`) run over its
# committed corpus gw/fuzz/corpus/TARGET/: the inputs fuzzing found worth
# keeping and every crash it found.  One ok line per target.
set -u
OG=${1:-build/outgate}
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$(dirname "$OG")/fuzz-regress
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# the input that failed (the driver names each before it runs it), and why
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	grep -a '^driver: ' "$2" | tail -n 1 | sed 's/^/#   /'
	grep -aE 'ERROR|SUMMARY|invariant|runtime error|policy error' "$2" | head -n 6 |
	    sed 's/^/#   /'
}

if ! ls "$BIN"/* >/dev/null 2>&1; then
	echo "# skipped: no fuzz regression binaries in $BIN (make fuzz-regress)"
	exit 0
fi
export OUTGATE_TOP="$TOP"
export OUTGATE_LUA_DIR="${OUTGATE_LUA_DIR:-$TOP/lua}"
for dir in "$TOP"/gw/fuzz/corpus/*/; do
	dir=${dir%/}
	t=$(basename "$dir")
	if [ ! -x "$BIN/$t" ]; then
		echo "not ok $((n + 1)) - fuzz $t: no $BIN/$t"
		n=$((n + 1))
		continue
	fi
	if (cd "$TOP" && timeout 300 "$BIN/$t" "$dir") >"$T/$t.out" 2>&1; then
		ok "fuzz $t: $(grep -a '^[0-9]* inputs$' "$T/$t.out") of gw/fuzz/corpus/$t"
	else
		notok "fuzz $t: gw/fuzz/corpus/$t" "$T/$t.out"
	fi
done
[ "$n" -gt 0 ] || echo "not ok 1 - no corpus in gw/fuzz/corpus"
