#!/usr/bin/env python3
"""table_report.py - the table of `make bench` (tools/bench/table.sh) from the
raw results it left in one directory: printed as text, and written as
markdown for BENCHMARKS.md.  It reads and formats; it measures nothing and
never fails on a figure that misses its target.

usage: table_report.py RESULTS_DIR ROUNDS OUT.md [PART...]

PARTs (offline, memory, policy, attrib, live; default all): the rows of the others
are left out.

Every row: measure | outgate | reference | ratio | target | met?.  A figure
that could not be measured says why (from RESULTS_DIR/why.*) instead.
Exits 0 when every row has its figure, 1 otherwise.
"""
import glob
import json
import os
import re
import statistics
import sys

T, ROUNDS, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]
PARTS = set(sys.argv[4:]) or {"offline", "memory", "policy", "attrib", "live"}


def read(name, default=""):
    try:
        with open(os.path.join(T, name)) as f:
            return f.read()
    except OSError:
        return default


def kv(text):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", text)}


def why(*keys):
    for k in keys:
        w = read("why." + k).strip()
        if w:
            return w.splitlines()[0]
    return None


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


# ------------------------------------------------------------ raw figures

def replay_pps(kind):
    pps, extra = [], {}
    for path in sorted(glob.glob(os.path.join(T, "replay.%s.*" % kind))):
        with open(path) as f:
            text = f.read()
        m = re.search(r"pps=([0-9.]+)", text)
        if m:
            pps.append(float(m.group(1)))
        m = re.search(r"by_reason=(\S+)", text)
        if m:
            extra["by_reason"] = m.group(1)
        m = re.search(r"packets=(\d+)", text)
        if m:
            extra["packets"] = int(m.group(1))
    return med(pps), extra


def bare_pps():
    v = [kv(line).get("pps") for line in read("bare.out").splitlines() if line.startswith("packets=")]
    return med(v)


def gbps(path):
    try:
        with open(path) as f:
            return json.load(f)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (OSError, ValueError, KeyError, TypeError):
        return None


live = {}
for key in "abcdefg":
    per = {"tput": [], "rr50": [], "rr99": [], "conn": [], "c50": [], "c99": [], "failed": []}
    for r in range(1, ROUNDS + 1):
        base = "%s.%d" % (key, r)
        rr, conn = kv(read(base + ".rr")), kv(read(base + ".conn"))
        per["tput"].append(gbps(os.path.join(T, base + ".iperf3.json")))
        per["rr50"].append(rr.get("p50_us"))
        per["rr99"].append(rr.get("p99_us"))
        if conn.get("conns", 0) > 0:
            per["conn"].append(conn.get("conn_per_s"))
            per["c50"].append(conn.get("p50_us"))
            per["c99"].append(conn.get("p99_us"))
        per["failed"].append(conn.get("failed"))
    live[key] = {k: med(v) for k, v in per.items()}
    live[key]["all_conn"] = [x for x in per["conn"] if x is not None]
    live[key]["all_tput"] = [x for x in per["tput"] if x is not None]
    live[key]["failed_sum"] = sum(x for x in per["failed"] if x is not None)
    live[key]["hwm"] = kv(read(key + ".hwm")).get("VmHWM")

LABEL = {
    "a": "no gateway",
    "b": "accept-all",
    "c": "outgate, address/port policy, --no-attrib",
    "d": "outgate, address/port policy, attribution on",
    "e": "outgate, DNS-by-name policy",
    "f": "outgate, 1,000 rules + 10,000 names",
    "g": "OpenSnitch 1.5 (default allow)",
}
SHORT = {"a": "no gateway", "b": "accept-all", "c": "outgate (addr)", "d": "outgate (attrib)",
         "e": "outgate (names)", "f": "outgate (1k rules)", "g": "OpenSnitch"}

# ------------------------------------------------------------ the rows

rows = []        # (section, measure, value, reference, ratio, target, met)
missing = []


def fmt(v, f):
    return "-" if v is None else f % v


def add(part, section, measure, val, vfmt, ref, rfmt, refname, kind=None, target=None,
        why_text=None):
    """kind: 'x' ratio val/ref, 'dx' ratio and difference (latency);
    target: ('ge', x) ratio >= x, ('le', x) ratio <= x, ('add', us) val - ref <= us,
    ('max', v) val <= v."""
    if part not in PARTS:
        return
    if isinstance(why_text, tuple):
        why_text, ref_why = why_text
    else:
        ref_why = why_text
    if val is None:
        w = why_text or "not measured"
        rows.append((section, measure, "not run: " + w, fmt(ref, rfmt) + refname if ref is not None else "-",
                     "-", target_text(target), "not run"))
        missing.append(measure)
        return
    if kind is not None and ref is None:
        # the figure without its reference: shown, with why the reference is not
        w = ref_why or "not measured"
        rows.append((section, measure, fmt(val, vfmt), "not run: " + w, "-", target_text(target),
                     "not run" if target is not None else "-"))
        missing.append(measure + " (its reference)")
        return
    ratio = None
    if kind in ("x", "dx") and ref:
        ratio = val / ref
    rtext = "-"
    if kind == "x" and ratio is not None:
        rtext = "%.2fx" % ratio
    elif kind == "dx" and ratio is not None:
        rtext = "%.2fx (%+.1f us)" % (ratio, val - ref)
    met = "-"
    if target is not None and ratio is not None:
        op, lim = target
        if op == "ge":
            ok = ratio >= lim
        elif op == "le":
            ok = ratio <= lim
        elif op == "add":
            ok = val - ref <= lim
        else:
            ok = val <= lim
        met = "met" if ok else "NOT met"
    elif target is not None and target[0] == "max":
        met = "met" if val <= target[1] else "NOT met"
    rows.append((section, measure, fmt(val, vfmt),
                 (fmt(ref, rfmt) + refname) if ref is not None else refname or "-",
                 rtext, target_text(target), met))


def target_text(t):
    if t is None:
        return "-"
    op, lim = t
    return {"ge": ">= %gx" % lim, "le": "<= %gx" % lim, "add": "+<= %g us" % lim,
            "max": "<= %g" % lim}[op]


# offline
S = "replay (offline)"
bare = bare_pps()
for kind, name in (("plain", "replay pkts/s, mixed_policy.lua"),
                   ("checks", "replay pkts/s, mixed_checks_policy.lua (Lua check)")):
    v, extra = replay_pps(kind)
    add("offline", S, name, None if v is None else v / 1e6, "%.2f M", None if bare is None else bare / 1e6,
        "%.2f M", " bare read", "x", ("ge", 0.5), why("offline", "replay." + kind, "bare"))

# live
S = "bulk TCP (iperf3)"
live_why = why("live")


def lw(vkey, rkey):
    """Why the figure of setup vkey, and why that of its reference rkey, are missing."""
    return (why(vkey) or live_why, why(rkey) or live_why)


add("live", S, "Gbit/s, %s" % LABEL["c"], live["c"]["tput"], "%.2f", live["a"]["tput"], "%.2f",
    " no gateway", "x", ("ge", 0.95), lw("c", "a"))

S = "new TCP connections/s (sequential: connect, 1 B each way, close)"
add("live", S, "conn/s, accept-all vs no gateway", live["b"]["conn"], "%.0f", live["a"]["conn"], "%.0f",
    " no gateway", "x", None, lw("b", "a"))
for key, tgt in (("c", 0.8), ("d", 0.6), ("e", 0.8), ("f", 0.8)):
    add("live", S, "conn/s, %s" % LABEL[key], live[key]["conn"], "%.0f", live["b"]["conn"], "%.0f",
        " accept-all", "x", ("ge", tgt), lw(key, "b"))
add("live", S, "conn/s, attribution on / off (d / c)", live["d"]["conn"], "%.0f", live["c"]["conn"], "%.0f",
    " --no-attrib", "x", None, lw("d", "c"))
add("live", S, "conn/s, 1,000 rules + 10,000 names / DNS-by-name (f / e)", live["f"]["conn"], "%.0f",
    live["e"]["conn"], "%.0f", " DNS-by-name", "x", None, lw("f", "e"))
add("live", S, "conn/s, %s" % LABEL["g"], live["g"]["conn"], "%.0f", live["b"]["conn"], "%.0f",
    " accept-all", "x", None, lw("g", "b"))
add("live", S, "conn/s, outgate (attribution on) vs OpenSnitch", live["d"]["conn"], "%.0f",
    live["g"]["conn"], "%.0f", " OpenSnitch", "x", ("ge", 5), lw("d", "g"))

for field, title in (("c", "new-connection latency, us (connect + 1 B each way + close)"),
                     ("rr", "request/response latency, us (64 B on one open connection)")):
    S = title
    for pct in ("50", "99"):
        f = field + pct
        add("live", S, "p%s, accept-all vs no gateway" % pct, live["b"][f], "%.1f", live["a"][f], "%.1f",
            " no gateway", "dx", None, lw("b", "a"))
        for key in "cdefg":
            tgt = ("add", 50) if pct == "99" and key != "g" else None
            add("live", S, "p%s, %s" % (pct, LABEL[key]), live[key][f], "%.1f", live["b"][f], "%.1f",
                " accept-all", "dx", tgt, lw(key, "b"))

S = "memory"
fm = kv(read("flow_mem.out"))
add("memory", S, "bytes per flow, 1,000,000 flows in the table", fm.get("bytes_per_flow"), "%.1f",
    fm.get("sizeof_flow"), "%.0f", " sizeof(struct flow)", "x", ("max", 256), why("memory"))
for key in "cdef":
    add("live", S, "peak RSS (VmHWM) KiB, %s" % LABEL[key], live[key]["hwm"], "%.0f",
        live["g"]["hwm"], "%.0f", " OpenSnitch", "x", None, (why(key + ".hwm", key) or live_why, why("g.hwm", "g") or live_why))

S = "policy: decide a new flow (engine_decide of a SYN), median ns"
pc = {}
for line in read("policy_cost.out").splitlines():
    d = kv(line)
    if "rules" in d:
        pc[int(d["rules"])] = d
base = pc.get(10, {})
add("policy", S, "decide, 10 rules", base.get("decide_ns"), "%.0f", None, "", "", None, None,
    why("policy"))
for n in (100, 1000, 10000):
    d = pc.get(n, {})
    add("policy", S, "decide, %s rules" % format(n, ","), d.get("decide_ns"), "%.0f", base.get("decide_ns"),
        "%.0f", " 10 rules", "x", ("le", 1.2), why("policy"))
d = pc.get(10000, {})
if d.get("decide_ns") and base.get("decide_ns") and d["decide_ns"] / base["decide_ns"] > 1.2:
    with open(os.path.join(T, "notes"), "a") as f:
        f.write("policy lookup is not flat: gw/policy_index.c gives the rules filed under the "
                "flow's destination prefixes and port, then gw/policy.c:match() runs every check "
                "on each of them in turn (rules under one prefix and port, rules with more than "
                "16 ports, and host rules' DNS table lookups are linear)\n")
add("policy", S, "policy_match alone, 10,000 rules", d.get("match_ns"), "%.0f", base.get("match_ns"), "%.0f",
    " 10 rules", "x", ("le", 1.2), why("policy"))

S = "attribution per new flow, 2,000 idle processes, us (attrib_cost)"
for c, label in (("short", "a new process per connection"), ("long", "one long-lived client")):
    a = kv(read("attrib.%s.out" % c))
    w = why("attrib." + c, "attrib")
    if a and (a.get("wrong", 0) > 0 or a.get("right", 0) == 0):
        w = "wrong owners: %s" % read("attrib.%s.out" % c).strip()
        a = {}
    add("attrib", S, "p50, %s" % label, a.get("p50_us"), "%.1f", None, "", "", None, None, w)
    add("attrib", S, "p99, %s" % label, a.get("p99_us"), "%.1f", None, "", "", None, ("max", 50), w)

# ------------------------------------------------------------ output

head = read("machine").rstrip("\n")
notes = read("notes").rstrip("\n")
cols = ("measure", "outgate", "reference", "ratio", "target", "met?")

widths = [max(len(cols[i]), *(len(r[i + 1]) for r in rows)) for i in range(6)]
out = [head, ""]
sec = None
line = "  ".join("%-*s" % (widths[i], cols[i]) for i in range(6))
out.append(line)
out.append("-" * len(line))
for r in rows:
    if r[0] != sec:
        sec = r[0]
        out.append("[%s]" % sec)
    out.append("  ".join("%-*s" % (widths[i], r[i + 1]) for i in range(6)))
out.append("")
met = sum(1 for r in rows if r[6] == "met")
notmet = [r[1] for r in rows if r[6] == "NOT met"]
out.append("targets: %d met, %d NOT met%s" % (met, len(notmet), (": " + "; ".join(notmet)) if notmet else ""))
if missing:
    out.append("not measured: " + "; ".join(missing))
# every round, so a burst of load from elsewhere shows
rnd = []
for key in "abcdefg":
    if live[key]["all_conn"]:
        rnd.append("(%s) %s: %s" % (key, SHORT[key], " ".join("%.0f" % x for x in live[key]["all_conn"])))
if rnd:
    out.append("conn/s in every round:")
    out.extend("  " + x for x in rnd)
for key in "ac":
    if live[key]["all_tput"]:
        out.append("Gbit/s in every round, (%s) %s: %s" % (key, SHORT[key],
                   " ".join("%.1f" % x for x in live[key]["all_tput"])))
if notes:
    out.append(notes)
text = "\n".join(out)
print(text)

md = []
for l in head.splitlines():
    l = re.sub(r"\bus\b", "\u00b5s", l)
    md.append(l + "  ")
md.append("")
md.append("| " + " | ".join(cols) + " |")
md.append("|" + "---|" * 6)
sec = None
for r in rows:
    if r[0] != sec:
        sec = r[0]
        md.append("| **%s** | | | | | |" % re.sub(r"\bus\b", "\u00b5s", sec))
    md.append("| " + " | ".join(re.sub(r"\bus\b", "\u00b5s", x.replace("|", "/")) for x in r[1:]) + " |")
md.append("")
md.append("targets: %d met, %d NOT met%s  " % (met, len(notmet), (": " + "; ".join(notmet)) if notmet else ""))
if missing:
    md.append("not measured: " + "; ".join(missing) + "  ")
if rnd:
    md.append("conn/s in every round: " + "; ".join(rnd) + "  ")
for key in "ac":
    if live[key]["all_tput"]:
        md.append("Gbit/s in every round, (%s) %s: %s  " % (key, SHORT[key],
                  " ".join("%.1f" % x for x in live[key]["all_tput"])))
if notes:
    for l in notes.splitlines():
        md.append(re.sub(r"\bus\b", "\u00b5s", l) + "  ")
with open(OUT, "w") as f:
    f.write("\n".join(md) + "\n")
sys.exit(1 if missing else 0)
