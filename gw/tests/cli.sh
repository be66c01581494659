#!/bin/sh
# cli.sh OUTGATE - the command line's contract: exit codes (0 fine, 1 a check
# failed, 2 bad usage or bad input), one-line errors, the replay output keys.
# Prints "ok N - what" / "not ok N - what" lines.
set -u
OG=${1:-build/outgate}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
n=0

# expect_rc WANT DESC CMD...: run CMD, compare its exit code, keep its output
expect_rc() {
	want=$1; desc=$2; shift 2
	n=$((n + 1))
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $rc, wanted $want)"
		sed 's/^/#   /' "$T/err" | head -n 5
	fi
}

# expect_grep FILE PATTERN DESC
expect_grep() {
	n=$((n + 1))
	if grep -q -- "$2" "$1"; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3 (no \"$2\" in output)"
		sed 's/^/#   /' "$1" | head -n 5
	fi
}

one_line_err() {
	n=$((n + 1))
	if [ "$(wc -l <"$T/err")" -eq 1 ]; then
		echo "ok $n - $1: one error line"
	else
		echo "not ok $n - $1: $(wc -l <"$T/err") error lines"
		sed 's/^/#   /' "$T/err" | head -n 5
	fi
}

# a tiny capture: Ethernet/IPv4/TCP SYN 10.1.0.5:40000 -> 198.51.100.10:443
python3 - "$T" <<'PY'
import struct, sys
d = sys.argv[1]
syn = (bytes.fromhex("020000000002020000000001") + b"\x08\x00" +
       struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0x4000, 64, 6, 0,
                   bytes((10, 1, 0, 5)), bytes((198, 51, 100, 10))) +
       struct.pack("!HHIIBBHHH", 40000, 443, 1, 0, 0x50, 0x02, 65535, 0, 0))
def pcap(path, link, frames, cut=0):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, link))
        blob = b""
        for i, fr in enumerate(frames):
            blob += struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr
        f.write(blob[:len(blob) - cut] if cut else blob)
pcap(d + "/syn.pcap", 1, [syn])
pcap(d + "/user0.pcap", 147, [syn])
pcap(d + "/cut.pcap", 1, [syn, syn, syn], cut=10)
open(d + "/junk.pcap", "wb").write(b"this is not a capture file at all\n")
PY
cat >"$T/allow.lua" <<'LUA'
return {
  local_nets = { "10.1.0.0/16" },
  egress = { { name = "https", proto = "tcp", port = 443, to = "198.51.100.0/24" } },
}
LUA
printf 'return {\n  egress = {\n    { name = "x", port = 70000 },\n  },\n}\n' >"$T/bad.lua"
printf 'return { local_nets = { "10.1.0.0/16" }, egress = { { name = "web", proto = "tcp", port = 80 } } }\n' >"$T/deny.lua"
printf '1 accept allowed https\n' >"$T/good.expect"
printf '1 drop unknown_egress\n' >"$T/wrong.expect"

expect_rc 2 "no command" "$OG"
expect_rc 2 "unknown command" "$OG" frobnicate
one_line_err "unknown command"
expect_rc 0 "help" "$OG" help
expect_rc 0 "version" "$OG" version
expect_rc 2 "replay without --policy" "$OG" replay "$T/syn.pcap"
expect_rc 2 "replay without a capture" "$OG" replay --policy "$T/allow.lua"
expect_rc 2 "replay of a missing capture" "$OG" replay --policy "$T/allow.lua" "$T/nope.pcap"
one_line_err "missing capture"
expect_grep "$T/err" "nope.pcap" "missing capture: the error names the file"
expect_rc 2 "replay of a file that is not a capture" "$OG" replay --policy "$T/allow.lua" "$T/junk.pcap"
one_line_err "not a capture"
expect_rc 2 "replay of an unsupported link type" "$OG" replay --policy "$T/allow.lua" "$T/user0.pcap"
expect_grep "$T/err" "link type 147" "unsupported link type: named in the error"
one_line_err "unsupported link type"
expect_rc 2 "replay with a bad policy" "$OG" replay --policy "$T/bad.lua" "$T/syn.pcap"
expect_grep "$T/err" "bad.lua:3:" "bad policy: FILE:LINE in the error"
one_line_err "bad policy"
expect_rc 2 "replay with a missing policy" "$OG" replay --policy "$T/none.lua" "$T/syn.pcap"
expect_rc 2 "replay --mode bogus" "$OG" replay --mode bogus --policy "$T/allow.lua" "$T/syn.pcap"
expect_rc 2 "replay --local bogus" "$OG" replay --local 10.0.0.300/8 --policy "$T/allow.lua" "$T/syn.pcap"
expect_rc 2 "replay --flows 0" "$OG" replay --flows 0 --policy "$T/allow.lua" "$T/syn.pcap"
expect_rc 2 "replay with an unknown flag" "$OG" replay --frobnicate --policy "$T/allow.lua" "$T/syn.pcap"
one_line_err "unknown flag"
expect_rc 2 "replay without a capture" "$OG" replay --policy "$T/allow.lua"
one_line_err "no capture"

expect_rc 0 "replay of a good capture" "$OG" replay --policy "$T/allow.lua" "$T/syn.pcap"
for key in '"frame":1' '"verdict":"accept"' '"reason":"allowed"' '"rule":"https"' '"dir":"out"' '"flow":1'; do
	expect_grep "$T/out" "$key" "replay output has $key"
done
expect_grep "$T/err" "packets=1 " "replay summary counts packets"
expect_grep "$T/err" "pps=" "replay summary shows packets per second"
expect_rc 0 "replay --mode monitor of a disallowed flow" "$OG" replay --mode monitor --policy "$T/deny.lua" "$T/syn.pcap"
expect_grep "$T/out" '"verdict":"accept","reason":"unknown_egress"' "monitor: accepted, with enforce's reason"
expect_grep "$T/out" '"would":"drop"' "monitor: would says what enforce does"
expect_rc 0 "replay of a disallowed flow" "$OG" replay --policy "$T/deny.lua" "$T/syn.pcap"
expect_grep "$T/out" '"verdict":"drop","reason":"unknown_egress","rule":null' "enforce: dropped, rule null"
expect_rc 0 "replay with --expect that matches" "$OG" replay --policy "$T/allow.lua" --expect "$T/good.expect" "$T/syn.pcap"
expect_rc 1 "replay with --expect that differs" "$OG" replay --policy "$T/allow.lua" --expect "$T/wrong.expect" "$T/syn.pcap"
expect_grep "$T/err" "frame 1: expected drop unknown_egress, got accept allowed" "the difference is readable"
printf '1 accept allowed https\n2 accept allowed https\n' >"$T/long.expect"
expect_rc 1 "replay with --expect listing a frame the capture lacks" "$OG" replay --policy "$T/allow.lua" --expect "$T/long.expect" "$T/syn.pcap"
printf '1 accept allowd\n' >"$T/typo.expect"
expect_rc 2 "replay with a bad --expect file" "$OG" replay --policy "$T/allow.lua" --expect "$T/typo.expect" "$T/syn.pcap"
expect_grep "$T/err" "typo.expect:1:" "bad --expect: FILE:LINE in the error"
expect_rc 2 "replay of a capture cut mid-record" "$OG" replay --policy "$T/allow.lua" "$T/cut.pcap"
n=$((n + 1))
if [ "$(wc -l <"$T/out")" -eq 2 ]; then echo "ok $n - cut capture: the whole frames before the cut are decided"
else echo "not ok $n - cut capture: $(wc -l <"$T/out") lines, wanted 2"; fi
expect_grep "$T/err" "after frame 2" "cut capture: the error says where"

expect_rc 0 "replay --log writes the decision log" "$OG" replay --quiet --log "$T/dec.log" --policy "$T/allow.lua" "$T/syn.pcap"
for key in '"event":"decision"' '"verdict":"accept"' '"reason":"allowed"' '"rule":"https"' '"mode":"enforce"' '"policy_hash":"' '"flow_id":1' '"pcap_frame":1' '"dport":443' '"ts":"2023-11-14T22:13:20.000000Z"'; do
	expect_grep "$T/dec.log" "$key" "decision log has $key"
done
printf 'tcp 10.1.0.5 40000 198.51.100.10 443 exe=relative/path\n' >"$T/bad.meta"
expect_rc 2 "replay with a bad --meta file" "$OG" replay --quiet --meta "$T/bad.meta" --policy "$T/allow.lua" "$T/syn.pcap"
expect_grep "$T/err" "bad.meta:1:" "bad --meta: FILE:LINE in the error"
one_line_err "bad --meta"
expect_rc 2 "replay with a missing --meta file" "$OG" replay --quiet --meta "$T/none.meta" --policy "$T/allow.lua" "$T/syn.pcap"
expect_rc 2 "replay --log to a place it cannot write" "$OG" replay --quiet --log "$T/no/such/dir/x.log" --policy "$T/allow.lua" "$T/syn.pcap"
one_line_err "unwritable log"

# run and rules: only what fails before touching a queue or a rule (this
# runs in the machine's own namespace; the live tests make their own)
expect_rc 2 "run without --policy" "$OG" run
expect_rc 2 "run with a bad policy" "$OG" run --policy "$T/bad.lua"
expect_grep "$T/err" "bad.lua:3:" "run: a bad policy is FILE:LINE"
one_line_err "run with a bad policy"
expect_rc 2 "run --queues 5:2" "$OG" run --policy "$T/allow.lua" --queues 5:2
expect_rc 2 "run --syslog with --log" "$OG" run --policy "$T/allow.lua" --syslog --log "$T/x.log"
one_line_err "run --syslog --log"
expect_rc 2 "run --log-rate -1" "$OG" run --policy "$T/allow.lua" --log-rate -1
expect_rc 2 "run --log-rate 2000000" "$OG" run --policy "$T/allow.lua" --log-rate 2000000
one_line_err "run --log-rate 2000000"
one_line_err "run --queues 5:2"
expect_rc 2 "run --queue 70000" "$OG" run --policy "$T/allow.lua" --queue 70000
expect_rc 2 "run --mark-mask of one bit" "$OG" run --policy "$T/allow.lua" --mark-mask 0x1
expect_rc 2 "run --mark-mask of split bits" "$OG" run --policy "$T/allow.lua" --mark-mask 0x5
expect_rc 2 "run --rules bogus" "$OG" run --policy "$T/allow.lua" --rules bogus
expect_rc 2 "run --mode bogus" "$OG" run --policy "$T/allow.lua" --mode bogus
printf 'return { egress = { { name = "web", proto = "tcp", port = 80 } } }\n' >"$T/noinside.lua"
expect_rc 2 "run --forward with a policy that names no inside" "$OG" run --forward --policy "$T/noinside.lua"
expect_grep "$T/err" "forward needs local_nets" "run --forward: says local_nets is needed"
one_line_err "run --forward without local_nets"
expect_rc 2 "run --user of no one" "$OG" run --policy "$T/allow.lua" --user no-such-user-here
expect_grep "$T/err" "no such user" "run --user: says there is no such user"
one_line_err "run --user no-such-user-here"
expect_rc 2 "run --user 12x" "$OG" run --policy "$T/allow.lua" --user 12x
expect_rc 2 "rules install --exempt-uid of no one" "$OG" rules install --exempt-uid no-such-user-here
one_line_err "rules install --exempt-uid no-such-user-here"
expect_rc 2 "rules install --exempt-mark 0" "$OG" rules install --exempt-mark 0
expect_rc 2 "rules install --exempt-mark outside its mask" "$OG" rules install --exempt-mark 0x300/0x100
expect_rc 2 "rules install --exempt-mark junk" "$OG" rules install --exempt-mark 1x
one_line_err "rules install --exempt-mark 1x"
expect_rc 2 "health without --control" "$OG" health
expect_rc 1 "health of a socket no daemon serves" "$OG" health --control "$T/none.sock"
expect_grep "$T/err" "not ready" "health: says not ready"
one_line_err "health of a missing socket"
expect_rc 2 "rules without install or remove" "$OG" rules
expect_rc 2 "rules frobnicate" "$OG" rules frobnicate
one_line_err "rules frobnicate"
expect_rc 2 "rules install with a flag of run" "$OG" rules install --log x
one_line_err "rules install --log"

expect_rc 0 "check of a good policy" "$OG" check --policy "$T/allow.lua"
expect_rc 2 "check of a bad policy" "$OG" check --policy "$T/bad.lua"
expect_grep "$T/err" "bad.lua:3:" "check: FILE:LINE in the error"
one_line_err "check of a bad policy"
printf 'local s = string.rep("a", 40)\nlocal m = s:find(string.rep("a*", 12) .. "b")\nreturn {}\n' >"$T/backtrack.lua"
expect_rc 2 "check of a policy whose pattern backtracks without end" "$OG" check --policy "$T/backtrack.lua"
expect_grep "$T/err" "backtrack.lua:2: instruction budget" "check: the pattern stops at the budget"
one_line_err "check of a backtracking pattern"
expect_rc 2 "check --forward of a policy without local_nets" "$OG" check --forward --policy "$T/noinside.lua"
expect_grep "$T/err" "needs local_nets" "check --forward: why"
one_line_err "check --forward without local_nets"
expect_rc 0 "check of the same without --forward" "$OG" check --policy "$T/noinside.lua"
expect_rc 0 "check --forward of the bastion policy" "$OG" check --forward --policy rules/bastion.lua
expect_rc 2 "check of a missing policy" "$OG" check --policy "$T/none.lua"
expect_rc 2 "check without --policy" "$OG" check
for p in rules/*.lua tools/bench/*.lua pcap-tests/*/policy.lua; do
	[ -f "$p" ] || continue
	expect_rc 0 "check $p" "$OG" check --policy "$p"
done
