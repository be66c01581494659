#!/bin/sh
# demo.sh OUTGATE - replay a built-in example through the engine and show
# each frame's decision as a table.  Until the live daemon exists this is the
# main job on a built-in example: pcap-tests/00-demo, under its own policy.
set -eu
OG=${1:-build/outgate}
CASE=pcap-tests/00-demo
echo "outgate demo: replaying $CASE/capture.pcap under $CASE/policy.lua"
echo
"$OG" replay --policy "$CASE/policy.lua" "$CASE/capture.pcap" 2>"${TMPDIR:-/tmp}/outgate-demo.err" |
python3 -c '
import json, sys
print("%5s  %-3s  %-6s  %-40s  %-6s  %-20s  %s" % ("frame", "dir", "proto", "from -> to", "verdict", "reason", "rule"))
for line in sys.stdin:
    r = json.loads(line)
    def ep(a, p):
        if a is None: return "-"
        a = "[%s]" % a if ":" in a and p is not None else a
        return "%s:%s" % (a, p) if p is not None else a
    path = "%s -> %s" % (ep(r.get("src"), r.get("sport")), ep(r.get("dst"), r.get("dport")))
    print("%5d  %-3s  %-6s  %-40s  %-6s  %-20s  %s" % (r["frame"], r.get("dir") or "-",
        r.get("proto", "-"), path, r["verdict"], r["reason"], r.get("rule") or "-"))
'
echo
cat "${TMPDIR:-/tmp}/outgate-demo.err"
