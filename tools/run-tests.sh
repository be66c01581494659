#!/bin/sh
# run-tests.sh BUILD - run every test outgate has and end with one plain line
# "N passed, N failed".  Called by `make test` after the build.
#   1. cmocka unit tests (build/tests/test_*), one count per test case
#   2. pcap-tests/*: replay each case against its expect file, and its
#      decision log against tools/log-schema.json
#   3. every capture in ../shared/pcaps replayed in monitor mode: no crash,
#      exit 0, one JSON line per frame; and what it decodes held against
#      Wireshark's decoding beside it (tools/wireshark_diff.py)
#   4. shell tests (gw/tests/*.sh): the command line, and live tests in
#      network namespaces of their own
#   5. no allocation per packet (valgrind's heap count, 2,000 vs 20,000 frames),
#      without and with Lua checks
set -u
BUILD=${1:-build}
OUTGATE=$BUILD/outgate
TOP=$(pwd)
SHARED=${OUTGATE_SHARED_PCAPS:-$TOP/../shared/pcaps}
# modules for `require`: this tree's, wherever the binary was built
export OUTGATE_LUA_DIR="${OUTGATE_LUA_DIR:-$TOP/lua}"
pass=0
fail=0
skip=0
failed_names=""

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	failed_names="$failed_names $1"
	echo "FAIL: $1" >&2
}

# 1. unit tests, TAP output so each case counts
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	name=$(basename "$t")
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
	rc=$?
	n_ok=$(printf '%s\n' "$out" | grep -c '^ok ')
	# cmocka's skip() prints "not ok N # SKIP name": a skip, said why below
	n_skip=$(printf '%s\n' "$out" | grep -c '^not ok [0-9]* # SKIP')
	n_bad=$(($(printf '%s\n' "$out" | grep -c '^not ok ') - n_skip))
	pass=$((pass + n_ok))
	skip=$((skip + n_skip))
	[ "$n_skip" -gt 0 ] && printf '%s\n' "$out" | grep '^not ok [0-9]* # SKIP' |
	    sed "s/^not ok [0-9]* # SKIP/$name: skipped:/" >&2
	if [ "$n_bad" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$n_ok" -eq 0 ]; then
		printf '%s\n' "$out" | grep -v '^ok ' >&2
		[ "$n_bad" -gt 0 ] || n_bad=1
		fail=$((fail + n_bad))
		failed_names="$failed_names $name"
		echo "FAIL: $name (exit $rc)" >&2
	fi
done

# 2. pcap cases
for dir in pcap-tests/*/; do
	dir=${dir%/}
	[ -f "$dir/expect" ] || continue
	cap=$(ls "$dir"/capture.* 2>/dev/null | head -n 1)
	args=""
	[ -f "$dir/args" ] && args=$(cat "$dir/args")
	# shellcheck disable=SC2086
	if out=$("$OUTGATE" replay --quiet --policy "$dir/policy.lua" $args \
	    --expect "$dir/expect" "$cap" 2>&1); then
		ok
	else
		printf '%s\n' "$out" >&2
		bad "pcap-tests/$(basename "$dir")"
	fi
done

# 2b. the decision log of every pcap case matches tools/log-schema.json
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	mkdir -p "$BUILD/logs"
	rm -f "$BUILD"/logs/*.jsonl
	for dir in pcap-tests/*/; do
		dir=${dir%/}
		[ -f "$dir/expect" ] || continue
		cap=$(ls "$dir"/capture.* 2>/dev/null | head -n 1)
		args=""
		[ -f "$dir/args" ] && args=$(cat "$dir/args")
		# shellcheck disable=SC2086
		"$OUTGATE" replay --quiet --policy "$dir/policy.lua" $args \
		    --log "$BUILD/logs/$(basename "$dir").jsonl" "$cap" >/dev/null 2>&1
	done
	out=$(/usr/bin/python3 tools/check_log.py tools/log-schema.json "$BUILD"/logs/*.jsonl 2>&1)
	n_ok=$(printf '%s\n' "$out" | grep -c '^ok ')
	n_bad=$(printf '%s\n' "$out" | grep -c '^not ok')
	pass=$((pass + n_ok))
	if [ "$n_bad" -gt 0 ] || [ "$n_ok" -eq 0 ]; then
		printf '%s\n' "$out" | grep -v '^ok ' >&2
		[ "$n_bad" -gt 0 ] || n_bad=1
		fail=$((fail + n_bad))
		failed_names="$failed_names log-schema"
	fi
else
	echo "note: python3-jsonschema not found; log schema check skipped" >&2
	skip=$((skip + 1))
fi

# 3. third-party captures: monitor mode must read them all
if [ -d "$SHARED" ]; then
	for cap in "$SHARED"/*.pcap "$SHARED"/*.pcapng; do
		[ -f "$cap" ] || continue
		name=shared/$(basename "$cap")
		"$OUTGATE" replay --mode monitor --policy rules/default.lua \
		    "$cap" >"$BUILD/replay.out" 2>"$BUILD/replay.err"
		rc=$?
		lines=$(wc -l <"$BUILD/replay.out")
		frames=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' "$BUILD/replay.err")
		if [ "$rc" -eq 0 ] && [ -n "$frames" ] && [ "$lines" -eq "$frames" ] &&
		    ! grep -q 'Sanitizer\|runtime error' "$BUILD/replay.err"; then
			ok
		else
			cat "$BUILD/replay.err" >&2
			bad "$name (exit $rc, $lines lines for ${frames:-?} frames)"
		fi
	done
	# 3b. what outgate decodes (DNS names, TLS SNI, HTTP Host and method)
	#     against what Wireshark decodes, beside each capture
	out=$(python3 tools/wireshark_diff.py "$OUTGATE" tools/fidelity_policy.lua \
	    pcap-tests/wireshark-exceptions "$SHARED"/*.pcap "$SHARED"/*.pcapng 2>&1)
	n_ok=$(printf '%s\n' "$out" | grep -c '^ok ')
	n_bad=$(printf '%s\n' "$out" | grep -c '^not ok')
	pass=$((pass + n_ok))
	if [ "$n_bad" -gt 0 ] || [ "$n_ok" -eq 0 ]; then
		printf '%s\n' "$out" | grep -v '^ok ' >&2
		[ "$n_bad" -gt 0 ] || n_bad=1
		fail=$((fail + n_bad))
		failed_names="$failed_names wireshark_diff"
	fi
else
	echo "note: $SHARED not found; third-party captures skipped" >&2
	skip=$((skip + 1))
fi

# 4. shell tests: the command line, and the live tests that build their own
#    network namespaces (each prints ok/not ok lines, or "# skipped: why")
for t in gw/tests/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	out=$(OUTGATE_TOP="$TOP" timeout 600 sh "$t" "$OUTGATE" 2>&1)
	rc=$?
	n_ok=$(printf '%s\n' "$out" | grep -c '^ok ')
	n_bad=$(printf '%s\n' "$out" | grep -c '^not ok ')
	pass=$((pass + n_ok))
	if printf '%s\n' "$out" | grep -q '^# skipped'; then
		printf '%s\n' "$out" | grep '^# skipped' | sed "s/^/$name: /" >&2
		skip=$((skip + 1))
	elif [ "$n_bad" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$n_ok" -eq 0 ]; then
		printf '%s\n' "$out" | grep '^not ok\|^#' >&2
		[ "$n_bad" -gt 0 ] || n_bad=1
		fail=$((fail + n_bad))
		failed_names="$failed_names $name"
	fi
done

# 5. allocation does not grow with the packet count, nor (the checks policy:
#    about 1,900 Lua checks in 20,000 frames) with the checks run
if command -v valgrind >/dev/null 2>&1; then
	allocs() {
		valgrind --tool=memcheck --leak-check=no "$OUTGATE" replay --quiet \
		    --flows 4096 --policy "tools/bench/$1.lua" "$2" 2>&1 |
		    sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
	}
	python3 tools/gen_mixed_pcap.py 2000 "$BUILD/alloc-2k.pcap" &&
	python3 tools/gen_mixed_pcap.py 20000 "$BUILD/alloc-20k.pcap"
	for pol in mixed_policy mixed_checks_policy; do
		a=$(allocs $pol "$BUILD/alloc-2k.pcap")
		b=$(allocs $pol "$BUILD/alloc-20k.pcap")
		if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -eq "$b" ]; then
			ok
		else
			bad "no allocation per packet, $pol (2,000 frames: ${a:-?} allocs; 20,000 frames: ${b:-?})"
		fi
	done
else
	echo "note: valgrind not found; allocation test skipped" >&2
	skip=$((skip + 1))
fi

[ -n "$failed_names" ] && echo "failed:$failed_names" >&2
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
