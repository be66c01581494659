#!/usr/bin/env python3
"""wireshark_diff.py OUTGATE POLICY EXCEPTIONS CAPTURE...

Hold what `outgate replay` decodes against what Wireshark decodes (the
CAPTURE.tshark.tsv beside each capture; columns in ../shared/pcaps/MANIFEST.md).
What is compared, as MANIFEST.md says is fair:
  dns   the first query name of each frame on port 53 (not mDNS), except
        inside an ICMP error; Wireshark's "<...>" texts mean "no name"
  sni   the first TLS SNI of each TCP stream
  host  the first HTTP Host of each TCP stream
  method the first HTTP method of each TCP stream
A difference fails unless EXCEPTIONS has a line "CAPTURE KIND KEY  # why"
(KEY: the frame for dns, the tcp.stream for the others) saying why Wireshark
is the one that is wrong (or decodes what outgate is not asked to).

Prints one line per capture, "ok - NAME (N compared)" or "not ok - NAME" with
each difference below as "#   ...", and exits 0 when all are ok, 1 otherwise.
Standard library only.
"""
import json
import os
import subprocess
import sys


def load_exceptions(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                body = line.split("#", 1)
                words = body[0].split()
                if not words:
                    continue
                if len(words) != 3 or len(body) < 2 or not body[1].strip():
                    sys.exit("%s: each line is CAPTURE KIND KEY  # why: %r" % (path, line))
                out[tuple(words)] = body[1].strip()
    except OSError:
        pass
    return out


def first(v):
    return v.split(",")[0] if v else ""


def tshark(path):
    rows = {}
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            cols += [""] * (len(head) - len(cols))
            r = dict(zip(head, cols))
            rows[int(r["frame.number"])] = r
    return rows


def ours(outgate, policy, cap):
    p = subprocess.run([outgate, "replay", "--policy", policy, cap],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    frames = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if "frame" in r:
            frames[r["frame"]] = r
    return p.returncode, frames


def ports(v):
    return {int(x) for x in v.split(",") if x.isdigit()}


def compare(name, ws, og):
    diffs, n = [], 0
    # dns, per frame
    for fr, r in sorted(ws.items()):
        pp = ports(r.get("udp.port", "")) | ports(r.get("tcp.port", ""))
        if 53 not in pp or 5353 in pp or r.get("icmp.type") or r.get("icmpv6.type"):
            continue
        want = first(r.get("dns.qry.name", ""))
        if want == "<Root>":
            want = ""
        elif want.startswith("<") and want.endswith(">"):
            want = None         # Wireshark's words for "no name"
        elif want == "":
            want = None
        o = og.get(fr, {})
        got = o.get("dns_qname")
        n += 1
        if want != got:
            diffs.append(("dns", str(fr), "wireshark %r, outgate %r" % (want, got)))
    # tls and http, the first of each tcp stream
    for kind, col, key in (("sni", "tls.handshake.extensions_server_name", "tls_sni"),
                           ("host", "http.host", "http_host"),
                           ("method", "http.request.method", "http_method")):
        want, got = {}, {}
        for fr, r in sorted(ws.items()):
            st = r.get("tcp.stream", "")
            if st == "" or r.get("icmp.type") or r.get("icmpv6.type"):
                continue
            v = first(r.get(col, ""))
            if v and st not in want:
                want[st] = (v, fr)
            g = og.get(fr, {}).get(key)
            if g is not None and st not in got:
                got[st] = (g, fr)
        for st in sorted(set(want) | set(got), key=int):
            n += 1
            w = want.get(st, (None, None))[0]
            g = got.get(st, (None, None))[0]
            if w != g:
                diffs.append((kind, st, "stream %s: wireshark %r (frame %s), outgate %r (frame %s)"
                              % (st, w, want.get(st, (0, "-"))[1], g, got.get(st, (0, "-"))[1])))
    return n, diffs


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    outgate, policy, exc_path = sys.argv[1:4]
    exc = load_exceptions(exc_path)
    used = set()
    bad = 0
    for cap in sys.argv[4:]:
        name = os.path.basename(cap)
        tsv = cap + ".tshark.tsv"
        if not os.path.exists(tsv):
            continue
        rc, og = ours(outgate, policy, cap)
        n, diffs = compare(name, tshark(tsv), og)
        left = []
        for kind, key, text in diffs:
            if (name, kind, key) in exc:
                used.add((name, kind, key))
            else:
                left.append("%s %s: %s" % (kind, key, text))
        if rc != 0:
            left.append("outgate replay exited %d" % rc)
        if left:
            bad += 1
            print("not ok - %s (%d compared, %d differ)" % (name, n, len(left)))
            for t in left[:20]:
                print("#   " + t)
        else:
            print("ok - %s (%d compared, %d explained)" % (name, n, len(diffs)))
    stale = [k for k in exc if k not in used and os.path.join(os.path.dirname(sys.argv[4]), k[0]) in sys.argv[4:]]
    for k in stale:
        bad += 1
        print("not ok - exception %s %s %s explains no difference any more" % k)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
