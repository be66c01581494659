#!/usr/bin/python3
"""mkpcaps.py - write the pcap replay cases under pcap-tests/.

Run with Debian's python3 (it has python3-scapy):

    /usr/bin/python3 tools/mkpcaps.py [OUTDIR]

OUTDIR defaults to pcap-tests/ next to this script's parent.  Each case is a
folder NN-name/ with capture.pcap, policy.lua, expect and (when needed) args;
see pcap-tests/README.md for what they mean.

Reproducible by construction: every address, port, sequence number, IP id and
timestamp is fixed here, nothing is random, and the pcap files are written by
write_pcap() below (classic pcap, microsecond timestamps, any link type), so
two runs give byte-identical files.

The expected verdicts are NOT produced by running outgate.  Each one is
written literally next to the frame that gets it, with the reason it follows
from pcap-tests/README.md (and DESIGN.md), so that the replay tests check the
engine against the spec rather than against itself.
"""

import base64
import hashlib
import ipaddress
import os
import re
import struct
import sys

import logging
import math
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.layers.inet import IP, TCP, UDP, ICMP          # noqa: E402
from scapy.layers.inet6 import (                           # noqa: E402
    IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting, IPv6ExtHdrFragment, ICMPv6EchoRequest,
    ICMPv6EchoReply, ICMPv6PacketTooBig, ICMPv6DestUnreach, ICMPv6ND_RS,
    ICMPv6ND_RA, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_Redirect,
    ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr)
from scapy.layers.l2 import (                              # noqa: E402
    Ether, ARP, Dot1Q, Dot1AD, CookedLinux, CookedLinuxV2)
from scapy.layers.dns import DNS, DNSQR, DNSRR             # noqa: E402
from scapy.packet import Raw                               # noqa: E402

# ---------------------------------------------------------------------------
# Fixed values

T0_US = 1700000000 * 1000000      # first frame of every capture
STEP_US = 1000                    # default gap between frames: 1 ms

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

INSIDE = [ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("fd00:1::/64")]

HOST_MAC = "02:00:00:01:00:05"    # the inside host (or the bastion's inside leg)
GW_MAC = "02:00:00:01:00:01"      # the next hop on the outside

H4 = "10.1.0.5"                   # the inside host
H6 = "fd00:1::5"
API4 = "198.51.100.10"            # an allowed TCP service
API6 = "2001:db8::10"
DNS4 = "203.0.113.5"              # an allowed resolver
EVIL4 = "203.0.113.9"             # somebody on the net
EVIL6 = "2001:db8:3::9"

HEADER = """\
# {name}: expected verdicts, one line per frame (see pcap-tests/README.md).
# Written by tools/mkpcaps.py from rules derived by hand from the spec,
# not by running outgate.  Regenerate with: /usr/bin/python3 tools/mkpcaps.py
# frame verdict reason [rule|-] [would=V] [dir=in|out]   # why
"""


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def is_inside(addr):
    """Only used to pick link-layer cosmetics (MACs, packet types)."""
    a = ipaddress.ip_address(addr)
    return any(a in n for n in INSIDE)


def l3_src(b):
    """Source address of raw IPv4/IPv6 bytes (for link-layer cosmetics)."""
    if b[0] >> 4 == 6:
        return str(ipaddress.IPv6Address(b[8:24]))
    return str(ipaddress.IPv4Address(b[12:16]))


def l3_ethertype(b):
    return 0x86DD if b[0] >> 4 == 6 else 0x0800


def inet_cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix_ip4_cksum(b, hlen=20):
    """Recompute the IPv4 header checksum of raw bytes over hlen bytes."""
    b = bytearray(b)
    b[10:12] = b"\0\0"
    b[10:12] = struct.pack("!H", inet_cksum(bytes(b[:hlen])))
    return bytes(b)


# ---------------------------------------------------------------------------
# pcap writer: classic format, little-endian, microseconds.  Written by hand so
# that any link type (276 included) comes out and nothing depends on the clock.

def write_pcap(path, linktype, snaplen, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for ts_us, data, wirelen in records:
            f.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000,
                                len(data), wirelen))
            f.write(data)


# ---------------------------------------------------------------------------
# Link layers

def wrap(link, l3, out=None):
    """Put raw L3 bytes in a frame of the given link kind."""
    if out is None:
        out = is_inside(l3_src(l3))
    src, dst = (HOST_MAC, GW_MAC) if out else (GW_MAC, HOST_MAC)
    et = l3_ethertype(l3)
    if link == "eth":
        return bytes(Ether(src=src, dst=dst, type=et) / Raw(l3))
    if link == "dot1q":           # one 802.1Q tag, VLAN 100
        return bytes(Ether(src=src, dst=dst, type=0x8100) /
                     Dot1Q(prio=0, vlan=100, type=et) / Raw(l3))
    if link == "qinq":            # 802.1ad S-tag 200, then 802.1Q C-tag 100
        return bytes(Ether(src=src, dst=dst, type=0x88A8) /
                     Dot1AD(prio=0, vlan=200, type=0x8100) /
                     Dot1Q(prio=0, vlan=100, type=et) / Raw(l3))
    if link == "sll2":            # Linux cooked v2: 4 = outgoing, 0 = to us
        return bytes(CookedLinuxV2(proto=et, reserved=0, ifindex=2, lladdrtype=1,
                                   pkttype=4 if out else 0, lladdrlen=6,
                                   src=mac_bytes(src) + b"\0\0") / Raw(l3))
    if link == "sll":             # Linux cooked v1
        return bytes(CookedLinux(pkttype=4 if out else 0, lladdrtype=1,
                                 lladdrlen=6, src=mac_bytes(src) + b"\0\0",
                                 proto=et) / Raw(l3))
    if link == "raw":
        return bytes(l3)
    raise ValueError(link)


LINKTYPES = {"eth": LINKTYPE_ETHERNET, "dot1q": LINKTYPE_ETHERNET,
             "qinq": LINKTYPE_ETHERNET, "sll2": LINKTYPE_LINUX_SLL2,
             "sll": LINKTYPE_LINUX_SLL, "raw": LINKTYPE_RAW}


# ---------------------------------------------------------------------------
# A case

class Case:
    def __init__(self, name, policy, link="eth", args=None, snaplen=65535,
                 about=""):
        self.name = name
        self.policy = policy
        self.link = link
        self.linktype = LINKTYPES[link]
        self.args = args
        self.snaplen = snaplen
        self.about = about
        self.records = []        # (ts_us, captured bytes, wirelen)
        self.lines = []          # expect lines
        self.now_us = None
        self.ipid = 0x1000       # IPv4 ids count up from here, per case

    # -- packet helpers (addresses fixed by the caller) --

    def ip4(self, src, dst, **kw):
        """IPv4 header with a fixed, increasing id and a TTL by side."""
        kw.setdefault("id", self.next_id())
        kw.setdefault("ttl", 64 if is_inside(src) else 52)
        return IP(src=src, dst=dst, **kw)

    def ip6(self, src, dst, **kw):
        kw.setdefault("hlim", 64 if is_inside(src) else 52)
        return IPv6(src=src, dst=dst, fl=0, tc=0, **kw)

    def ip(self, src, dst, **kw):
        return (self.ip6 if ":" in src else self.ip4)(src, dst, **kw)

    def next_id(self):
        self.ipid += 1
        return self.ipid

    # -- frames --

    def add(self, pkt, expect, why, at=None, dt=None, link=None, l2=False,
            pad=False, wirelen=None, out=None):
        """Append one frame.

        pkt: an L3 scapy packet or raw L3 bytes (wrapped in the case's link
        layer, or `link`), or with l2=True a whole frame.
        expect: the expected line without the frame number, literally.
        why: the reason, from the spec, that the frame gets that verdict.
        at: seconds after T0 (absolute); dt: seconds after the previous frame.
        pad: pad an Ethernet frame to the 60-byte minimum.
        out: which way the link layer shows it (MACs, packet type), when the
        source address cannot be read from the packet; cosmetic only.
        """
        if at is not None:
            ts = T0_US + int(round(at * 1000000))
        elif self.now_us is None:
            ts = T0_US
        else:
            ts = self.now_us + (int(round(dt * 1000000)) if dt is not None else STEP_US)
        assert self.now_us is None or ts > self.now_us, "timestamps must increase"
        self.now_us = ts
        if not isinstance(pkt, (bytes, bytearray)):
            pkt.time = ts / 1000000.0       # for scapy's sake; the writer uses ts
            data = bytes(pkt)
        else:
            data = bytes(pkt)
        if not l2:
            data = wrap(link or self.link, data, out)
        if pad and len(data) < 60:
            data += b"\0" * (60 - len(data))
        wl = len(data) if wirelen is None else wirelen
        if wirelen is not None:
            assert wirelen >= len(data)
        data = data[:self.snaplen]
        self.records.append((ts, data, wl))
        n = len(self.records)
        # a check's reason in the comment's {...} is checked too (detail=)
        m = re.match(r"\{[^}]*\bdetail=([a-z_]+)[ }]", why)
        if m:
            expect += " detail=" + m.group(1)
        self.lines.append("%-3d %-46s # %s" % (n, expect, why))

    def write(self, outdir):
        d = os.path.join(outdir, self.name)
        os.makedirs(d, exist_ok=True)
        write_pcap(os.path.join(d, "capture.pcap"), self.linktype, self.snaplen,
                   self.records)
        with open(os.path.join(d, "policy.lua"), "w") as f:
            f.write(self.policy.strip("\n") + "\n")
        with open(os.path.join(d, "expect"), "w") as f:
            f.write(HEADER.format(name=self.name))
            for ln in self.about.strip("\n").splitlines():
                f.write("# " + ln + "\n" if ln else "#\n")
            f.write("\n")
            for ln in self.lines:
                f.write(ln.rstrip() + "\n")
        ap = os.path.join(d, "args")
        if self.args:
            with open(ap, "w") as f:
                f.write(self.args + "\n")
        elif os.path.exists(ap):
            os.remove(ap)
        return len(self.records)


class Tcp:
    """One TCP connection with fixed ISNs; keeps seq/ack right both ways.

    c = client (the initiator), s = server.  Each call returns an L3 packet.
    """

    def __init__(self, case, caddr, cport, saddr, sport, cisn=1000, sisn=5000):
        self.case = case
        self.ep = {"c": (caddr, cport), "s": (saddr, sport)}
        self.nxt = {"c": cisn, "s": sisn}
        self.cisn = cisn
        self.opts = [("MSS", 1460)]

    def pkt(self, side, flags, data=b"", ack=True, seq=None):
        other = "s" if side == "c" else "c"
        (sa, sp), (da, dp) = self.ep[side], self.ep[other]
        s = self.nxt[side] if seq is None else seq
        a = self.nxt[other] if ("A" in flags and ack) else 0
        opts = self.opts if "S" in flags else []
        kw = {} if ":" in sa else {"flags": "DF"}
        p = self.case.ip(sa, da, **kw) / TCP(sport=sp, dport=dp, seq=s, ack=a,
                                             flags=flags, window=64240,
                                             options=opts)
        if data:
            p = p / Raw(data)
        if seq is None:
            self.nxt[side] = s + len(data) + (1 if ("S" in flags or "F" in flags) else 0)
        return p

    def syn(self):
        return self.pkt("c", "S")

    def syn_retx(self):
        """The client's SYN again, same ISN (a retransmission)."""
        return self.pkt("c", "S", seq=self.cisn)

    def synack(self):
        return self.pkt("s", "SA")


def udp(case, src, sport, dst, dport, payload):
    return case.ip(src, dst) / UDP(sport=sport, dport=dport) / Raw(payload)


def dns_query(case, src, sport, dst, qid, name):
    return case.ip(src, dst) / UDP(sport=sport, dport=53) / DNS(
        id=qid, rd=1, qd=DNSQR(qname=name, qtype="A"))


def dns_reply(case, src, dst, dport, qid, name, addr):
    return case.ip(src, dst) / UDP(sport=53, dport=dport) / DNS(
        id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype="A"),
        an=DNSRR(rrname=name, type="A", ttl=300, rdata=addr))


def arp_request(link="eth"):
    """ARP who-has 10.1.0.1 tell 10.1.0.5, as a whole frame."""
    arp = ARP(hwtype=1, ptype=0x0800, op=1, hwsrc=HOST_MAC, psrc=H4,
              hwdst="00:00:00:00:00:00", pdst="10.1.0.1")
    if link == "eth":
        return bytes(Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff", type=0x0806) / arp)
    if link == "dot1q":
        return bytes(Ether(src=HOST_MAC, dst="ff:ff:ff:ff:ff:ff", type=0x8100) /
                     Dot1Q(vlan=100, type=0x0806) / arp)
    if link == "sll2":
        return bytes(CookedLinuxV2(proto=0x0806, ifindex=2, lladdrtype=1, pkttype=4,
                                   lladdrlen=6, src=mac_bytes(HOST_MAC) + b"\0\0") / arp)
    if link == "sll":
        return bytes(CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6,
                                 src=mac_bytes(HOST_MAC) + b"\0\0", proto=0x0806) / arp)
    raise ValueError(link)


def lldp_frame():
    """A minimal LLDPDU: chassis id (MAC), port id (ifname), TTL, end."""
    tlv = b""
    tlv += struct.pack("!H", (1 << 9) | 7) + b"\x04" + mac_bytes(HOST_MAC)
    tlv += struct.pack("!H", (2 << 9) | 5) + b"\x05eth0"
    tlv += struct.pack("!H", (3 << 9) | 2) + struct.pack("!H", 120)
    tlv += struct.pack("!H", 0)
    return bytes(Ether(src=HOST_MAC, dst="01:80:c2:00:00:0e", type=0x88CC) / Raw(tlv))


# ---------------------------------------------------------------------------
# Policies shared by several cases

POLICY_API = """
-- {name}: one TCP service may be reached; nothing may come in unsolicited.
return {{
  local_nets = {{ "10.1.0.0/16", "fd00:1::/64" }},   -- the inside
  egress = {{
    {{ name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" }},
  }},
}}
"""


# ---------------------------------------------------------------------------
# The cases

def case00():
    """The demo (make demo): a tour under rules/default.lua itself."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "rules", "default.lua")) as f:
        pol = f.read()
    c = Case("00-demo", pol, about="""
The demo that `make demo` shows: an inside host 10.0.0.15 under
rules/default.lua (policy.lua is a link to it): DNS, HTTPS, ping and NTP out,
ssh in from the admin net, HTTPS by name after a lookup, and what the policy
refuses (SMTP, an address no lookup led to, DNS over HTTPS, a DNS tunnel).""")
    host, res, web = "10.0.0.15", "10.0.0.2", "198.51.100.20"
    c.add(dns_query(c, host, 53001, res, 0x1234, "www.example.com"),
          "accept allowed dns dir=out",
          "DNS to the resolver: rule dns; its check (dns_no_tunnel) passes the name")
    c.add(dns_reply(c, res, host, 53001, 0x1234, "www.example.com", web),
          "accept established dns dir=in", "its answer")
    t = Tcp(c, host, 40010, web, 443)
    c.add(t.syn(), "accept allowed https dir=out",
          "HTTPS to 198.51.100.0/24: rule https; its check (no_doh) waits for the first bytes")
    c.add(t.synack(), "accept allowed https dir=in", "SYN-ACK: the check has not run yet")
    c.add(t.pkt("c", "A"), "accept allowed https dir=out", "ACK: nor yet")
    c.add(t.pkt("c", "PA", b"\x16\x03\x01\x00\x05hello"),
          "accept allowed https dir=out",
          "data out, not a ClientHello: no_doh has no name to refuse, the flow is accepted")
    c.add(c.ip(host, "192.0.2.1") / ICMP(type=8, id=0x77, seq=1) / Raw(b"ping"),
          "accept allowed ping dir=out", "echo request: rule ping")
    c.add(c.ip("192.0.2.1", host) / ICMP(type=0, id=0x77, seq=1) / Raw(b"ping"),
          "accept established ping dir=in", "echo reply")
    c.add(udp(c, host, 40123, "203.0.113.123", 123, b"\x23" + b"\0" * 47),
          "accept allowed ntp dir=out", "NTP to any address: rule ntp")
    a = Tcp(c, "192.0.2.50", 50500, host, 22)
    c.add(a.syn(), "accept allowed ssh dir=in", "ssh in from the admin net: rule ssh")
    c.add(a.synack(), "accept established ssh dir=out", "our SYN-ACK back")
    x = Tcp(c, "203.0.113.66", 50501, host, 22)
    c.add(x.syn(), "drop unsolicited_inbound - dir=in",
          "ssh from outside the admin net: no inbound rule holds")
    m = Tcp(c, host, 40011, "203.0.113.80", 25)
    c.add(m.syn(), "reject unknown_egress - dir=out",
          "SMTP out: no egress rule; the policy rejects unknown egress")
    c.add(Tcp(c, "203.0.113.80", 25, host, 40012).pkt("c", "PA", b"220 hi\r\n"),
          "drop unsolicited_inbound - dir=in", "TCP data from outside with no flow")
    # by name: a lookup, then HTTPS to the answer with that name in the hello
    api = "203.0.113.10"
    c.add(dns_query(c, host, 53002, res, 0x2345, "api.example.com"),
          "accept allowed dns dir=out", "a lookup of api.example.com")
    c.add(dns_reply(c, res, host, 53002, 0x2345, "api.example.com", api),
          "accept established dns dir=in", "its answer, learnt: api.example.com is 203.0.113.10")
    n = Tcp(c, host, 40013, api, 443)
    c.add(n.syn(), "accept allowed web dir=out",
          "HTTPS to the address just resolved: rule web, by name; the SNI is read first")
    c.add(n.synack(), "accept allowed web dir=in", "SYN-ACK, still reading")
    c.add(n.pkt("c", "PA", tls_records(client_hello(sni="api.example.com", seed="00-a"))),
          "accept allowed web dir=out", "the ClientHello names api.example.com: accepted")
    o = Tcp(c, host, 40014, "203.0.113.11", 443)
    c.add(o.syn(), "reject no_dns_provenance - dir=out",
          "HTTPS to an address nobody resolved: a host rule would hold, but no lookup led here")
    d = Tcp(c, host, 40015, "198.51.100.30", 443)
    c.add(d.syn(), "accept allowed https dir=out", "HTTPS to the /24 again: rule https")
    c.add(d.synack(), "accept allowed https dir=in", "SYN-ACK")
    c.add(d.pkt("c", "PA", tls_records(client_hello(sni="dns.google", seed="00-b"))),
          "drop check https dir=out", tag(detail="doh") +
          "a ClientHello for dns.google: DNS over HTTPS past the DNS rule, no_doh drops it")
    c.add(dns_query(c, host, 53004, "8.8.8.8", 0x4567, "www.example.com"),
          "reject unknown_egress - dir=out",
          "DNS to another resolver: the dns rule names only 10.0.0.2, so no rule holds")
    c.add(Tcp(c, host, 40016, "198.51.100.40", 853).syn(), "reject unknown_egress - dir=out",
          "DNS over TLS (853) to the /24: no rule names port 853")
    tunnel = base64.b32encode(det_bytes("00-tunnel", 40)).decode().rstrip("=")[:48].lower()
    c.add(dns_query(c, host, 53003, res, 0x3456, tunnel + ".example.com"),
          "drop check dns dir=out", tag(detail="dns_entropy") +
          "a query whose first label is 48 random base32 characters: a DNS tunnel")
    return c


def case01():
    c = Case("01-tcp-out-replies", POLICY_API.format(name="01-tcp-out-replies"), about="""
A full TCP connection out to the allowed api (198.51.100.10:443), both ways,
then a SYN to a port no rule allows.""")
    t = Tcp(c, H4, 40001, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out",
          "first packet, from inside; rule api matches tcp/443 to 198.51.100.0/24")
    c.add(t.synack(), "accept established api dir=in", "reply within the accepted flow")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "handshake ACK")
    c.add(t.pkt("c", "PA", b"GET / HTTP/1.1\r\nHost: api\r\n\r\n"),
          "accept established api dir=out", "data out")
    c.add(t.pkt("s", "PA", b"HTTP/1.1 204 No Content\r\n\r\n"),
          "accept established api dir=in", "data back")
    c.add(t.pkt("c", "A"), "accept established api", "ACK of the data")
    c.add(t.pkt("c", "FA"), "accept established api dir=out", "client FIN")
    c.add(t.pkt("s", "FA"), "accept established api dir=in", "server FIN")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "last ACK")
    t2 = Tcp(c, H4, 40002, API4, 8443)
    c.add(t2.syn(), "drop unknown_egress - dir=out",
          "new flow from inside; api allows port 443 only, no other egress rule")
    c.add(t2.syn_retx(), "drop unknown_egress - dir=out",
          "retransmission: a later packet of a dropped flow keeps its verdict and reason")
    return c


def case02():
    c = Case("02-unsolicited-syn", POLICY_API.format(name="02-unsolicited-syn"), about="""
Packets from outside to the inside host with no flow and no inbound rule.""")
    t = Tcp(c, EVIL4, 51000, H4, 8080)
    c.add(t.syn(), "drop unsolicited_inbound - dir=in",
          "dst inside, src outside, no flow, the policy has no inbound rule")
    c.add(t.syn_retx(), "drop unsolicited_inbound - dir=in",
          "its retransmission: same verdict and reason")
    t2 = Tcp(c, EVIL4, 51001, H4, 8080, cisn=7000, sisn=9000)
    c.add(t2.pkt("c", "A", ack=True), "drop unsolicited_inbound - dir=in",
          "a bare ACK from outside with no flow (midstream applies to outbound only)")
    t3 = Tcp(c, EVIL4, 443, H4, 40100, cisn=7000, sisn=9000)
    c.add(t3.pkt("c", "SA"), "drop unsolicited_inbound - dir=in",
          "SYN-ACK backscatter: no outbound SYN made a flow for it")
    t4 = Tcp(c, EVIL4, 51002, H4, 8080, cisn=7000, sisn=9000)
    c.add(t4.pkt("c", "R", ack=False), "drop unsolicited_inbound - dir=in",
          "a RST from outside with no flow")
    return c


def case03():
    pol = """
-- 03-inbound-allowed: ssh may come in from 192.0.2.0/24 only.
return {
  local_nets = { "10.1.0.0/16" },
  inbound = {
    { name = "ssh", proto = "tcp", port = 22, from = "192.0.2.0/24" },
  },
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },  -- unused here
  },
}
"""
    c = Case("03-inbound-allowed", pol, about="""
An inbound rule admits ssh from 192.0.2.0/24; the inside host's replies belong
to that flow.  ssh from elsewhere, or to another port, is unsolicited.""")
    t = Tcp(c, "192.0.2.7", 50000, H4, 22)
    c.add(t.syn(), "accept allowed ssh dir=in",
          "from outside to inside tcp/22, src in the rule's from 192.0.2.0/24")
    c.add(t.synack(), "accept established ssh dir=out",
          "the inside answers within the inbound flow (not a new egress flow)")
    c.add(t.pkt("c", "A"), "accept established ssh dir=in", "handshake ACK")
    c.add(t.pkt("s", "PA", b"SSH-2.0-OpenSSH_9.2\r\n"), "accept established ssh dir=out",
          "server banner")
    c.add(t.pkt("c", "PA", b"SSH-2.0-OpenSSH_9.6\r\n"), "accept established ssh dir=in",
          "client banner")
    t2 = Tcp(c, EVIL4, 50001, H4, 22)
    c.add(t2.syn(), "drop unsolicited_inbound - dir=in",
          "tcp/22 but 203.0.113.9 is not in from = 192.0.2.0/24")
    t3 = Tcp(c, "192.0.2.7", 50002, H4, 23)
    c.add(t3.syn(), "drop unsolicited_inbound - dir=in",
          "right source, but port 23: ssh names port 22 only")
    return c


def case04():
    pol = """
-- 04-udp: DNS to one resolver; nothing inbound.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
  },
}
"""
    c = Case("04-udp", pol, about="""
A DNS query out to the allowed resolver and its reply; unsolicited UDP in; a
reply from the wrong source port; a query to another resolver.""")
    c.add(dns_query(c, H4, 33333, DNS4, 0x1111, "example.com"),
          "accept allowed dns dir=out", "udp/53 to 203.0.113.5: rule dns")
    c.add(dns_reply(c, DNS4, H4, 33333, 0x1111, "example.com", "198.51.100.80"),
          "accept established dns dir=in", "reply: reversed 5-tuple of the accepted flow")
    c.add(udp(c, "198.51.100.20", 40000, H4, 5000, b"hello"),
          "drop unsolicited_inbound - dir=in", "UDP in to 10.1.0.5:5000, no flow, no inbound rule")
    c.add(c.ip4(DNS4, H4) / UDP(sport=5353, dport=33333) /
          DNS(id=0x1111, qr=1, qd=DNSQR(qname="example.com", qtype="A")),
          "drop unsolicited_inbound - dir=in",
          "from the resolver but sport 5353: not the flow's 5-tuple")
    c.add(dns_query(c, H4, 33334, "203.0.113.6", 0x2222, "example.com"),
          "drop unknown_egress - dir=out", "udp/53 but to 203.0.113.6: rule dns names .5 only")
    return c


def case05():
    pol = """
-- 05-icmp-echo: ping out to 198.51.100.0/24 and 2001:db8::/32; nothing inbound.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "ping",  proto = "icmp",   to = "198.51.100.0/24" },
    { name = "ping6", proto = "icmpv6", to = "2001:db8::/32" },
  },
}
"""
    c = Case("05-icmp-echo", pol, about="""
Echo out and back (the flow is keyed on the echo id); echo requests from
outside; an echo reply whose id no request used.""")
    c.add(c.ip4(H4, API4) / ICMP(type=8, code=0, id=0x1234, seq=1) / Raw(b"ping-0001"),
          "accept allowed ping dir=out", "echo request out, rule ping (icmp to 198.51.100.0/24)")
    c.add(c.ip4(API4, H4) / ICMP(type=0, code=0, id=0x1234, seq=1) / Raw(b"ping-0001"),
          "accept established ping dir=in", "echo reply, same id: the flow's reply")
    c.add(c.ip4(H4, API4) / ICMP(type=8, code=0, id=0x1234, seq=2) / Raw(b"ping-0002"),
          "accept established ping dir=out", "second request, same id: same flow")
    c.add(c.ip4(API4, H4) / ICMP(type=0, code=0, id=0x1234, seq=2) / Raw(b"ping-0002"),
          "accept established ping dir=in", "its reply")
    c.add(c.ip4(EVIL4, H4) / ICMP(type=8, code=0, id=0x4321, seq=1) / Raw(b"probe"),
          "drop unsolicited_inbound - dir=in", "echo request from outside, no inbound rule")
    c.add(c.ip4(API4, H4) / ICMP(type=0, code=0, id=0x9999, seq=1) / Raw(b"ping-9999"),
          "drop unsolicited_inbound - dir=in", "echo reply with id 0x9999: no request made that flow")
    c.add(c.ip6(H6, API6) / ICMPv6EchoRequest(id=0x2345, seq=1, data=b"ping6"),
          "accept allowed ping6 dir=out", "ICMPv6 echo request out, rule ping6")
    c.add(c.ip6(API6, H6) / ICMPv6EchoReply(id=0x2345, seq=1, data=b"ping6"),
          "accept established ping6 dir=in", "its reply")
    c.add(c.ip6(EVIL6, H6) / ICMPv6EchoRequest(id=0x5432, seq=1, data=b"probe6"),
          "drop unsolicited_inbound - dir=in", "ICMPv6 echo request from outside")
    return c


def case06():
    pol = """
-- 06-icmp-errors: DNS over UDP and TCP/443 over IPv6 go out; errors about them come back.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "dns",  proto = "udp", port = 53,  to = "203.0.113.5" },
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8::/32" },
  },
}
"""
    c = Case("06-icmp-errors", pol, about="""
ICMP/ICMPv6 errors: related when they quote a packet of an accepted flow,
unrelated_icmp when they quote no accepted flow.  Quotes come in the lengths
real senders use: the whole datagram (Linux), IP header + 8 bytes (RFC 792
routers), or as much as fits in 1280 bytes (ICMPv6, so the quoted IPv6 payload
length claims more than is quoted).  The related lines give no rule: the
README does not say which rule a related packet names.""")
    q = dns_query(c, H4, 33333, DNS4, 0x3333, "example.org")
    c.add(q, "accept allowed dns dir=out", "udp/53 to 203.0.113.5: rule dns")
    c.add(c.ip4(DNS4, H4) / ICMP(type=3, code=3) / Raw(bytes(q)),
          "accept related dir=in",
          "port unreachable quoting frame 1 whole: a packet of an accepted flow")
    c.add(c.ip4("192.0.2.254", H4) / ICMP(type=11, code=0) / Raw(bytes(q)[:28]),
          "accept related dir=in",
          "time exceeded from a router quoting IP header + 8 bytes of frame 1")
    never = c.ip4(H4, "198.51.100.99") / UDP(sport=44444, dport=53) / Raw(b"\x00" * 29)
    c.add(c.ip4("198.51.100.1", H4) / ICMP(type=3, code=1) / Raw(bytes(never)[:28]),
          "drop unrelated_icmp - dir=in",
          "host unreachable quoting 10.1.0.5:44444 -> 198.51.100.99:53, never sent")
    bad = dns_query(c, H4, 33334, "203.0.113.6", 0x4444, "example.org")
    c.add(bad, "drop unknown_egress - dir=out", "udp/53 to 203.0.113.6: no rule")
    c.add(c.ip4("203.0.113.6", H4) / ICMP(type=3, code=3) / Raw(bytes(bad)),
          "drop unrelated_icmp - dir=in",
          "quotes frame 5, whose flow was dropped: not an accepted flow")
    t = Tcp(c, H6, 40000, API6, 443)
    c.add(t.syn(), "accept allowed api6 dir=out", "v6 tcp/443 to 2001:db8::/32: rule api6")
    c.add(t.synack(), "accept established api6 dir=in", "SYN-ACK")
    c.add(t.pkt("c", "A"), "accept established api6 dir=out", "ACK")
    big = t.pkt("c", "PA", bytes((i * 7) & 0xFF for i in range(1400)))
    c.add(big, "accept established api6 dir=out", "1460-byte v6 packet out")
    quote = bytes(big)[:1280 - 40 - 8]
    c.add(c.ip6("2001:db8::1", H6) / ICMPv6PacketTooBig(mtu=1280) / Raw(quote),
          "accept related dir=in",
          "packet too big from a router quoting the first 1232 bytes of frame 10")
    nev6 = c.ip6(H6, "2001:db8::99") / TCP(sport=40001, dport=443, seq=1, flags="S",
                                           window=64240)
    c.add(c.ip6("2001:db8::1", H6) / ICMPv6DestUnreach(code=3) / Raw(bytes(nev6)),
          "drop unrelated_icmp - dir=in",
          "address unreachable quoting a v6 SYN that was never sent")
    return c


def case07():
    pol = """
-- 07-ipv6-ext: TCP/443 to 2001:db8:1::/48 only.
return {
  local_nets = { "fd00:1::/64" },
  egress = {
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8:1::/48" },
  },
}
"""
    c = Case("07-ipv6-ext", pol, about="""
IPv6 with extension headers in front of TCP: the engine must walk the chain
to find the transport header.  Routing headers have segments left 0, so the
IPv6 destination is the final one.  Then no-next-header packets from outside,
and a SYN to a prefix no rule allows.""")
    D = "2001:db8:1::10"
    t = Tcp(c, H6, 40000, D, 443)

    def ext(p, *hdrs):
        """Insert extension headers between the IPv6 header and TCP."""
        ip6, l4 = p, p.payload
        ip6.remove_payload()
        for h in hdrs:
            ip6 = ip6 / h
        return ip6 / l4

    c.add(ext(t.syn(), IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(),
              IPv6ExtHdrRouting(type=0, segleft=0, addresses=[])),
          "accept allowed api6 dir=out",
          "SYN behind hop-by-hop + dest options + routing type 0 (segleft 0); rule api6")
    c.add(t.synack(), "accept established api6 dir=in", "plain SYN-ACK")
    c.add(ext(t.pkt("c", "A"), IPv6ExtHdrDestOpt()),
          "accept established api6 dir=out", "ACK behind destination options")
    c.add(ext(t.pkt("c", "PA", b"\x16\x03\x01\x00\x05hello"),
              IPv6ExtHdrSegmentRouting(addresses=[D], segleft=0, lastentry=0)),
          "accept established api6 dir=out", "data behind a type 4 SRH, segleft 0")
    c.add(ext(t.pkt("s", "PA", b"\x16\x03\x03\x00\x05howdy"), IPv6ExtHdrHopByHop(),
              IPv6ExtHdrDestOpt()),
          "accept established api6 dir=in", "data back behind hop-by-hop + dest options")
    c.add(c.ip6(EVIL6, H6, nh=59), "drop unsolicited_inbound - dir=in",
          "next header 59 from outside: no flow for proto 59, no inbound rule")
    c.add(c.ip6(EVIL6, H6) / IPv6ExtHdrDestOpt(nh=59),
          "drop unsolicited_inbound - dir=in", "dest options then no next header, same")
    t2 = Tcp(c, H6, 40001, "2001:db8:2::20", 443)
    c.add(t2.syn(), "drop unknown_egress - dir=out",
          "tcp/443 but to 2001:db8:2::/48: outside api6's 2001:db8:1::/48")
    c.add(ext(Tcp(c, H6, 40002, "2001:db8:2::20", 443).syn(), IPv6ExtHdrHopByHop()),
          "drop unknown_egress - dir=out", "same, behind hop-by-hop")
    return c


POLICY_VLAN = """
-- {name}: TCP/443 out to 198.51.100.0/24 and 2001:db8::/32.
return {{
  local_nets = {{ "10.1.0.0/16", "fd00:1::/64" }},
  egress = {{
    {{ name = "api",  proto = "tcp", port = 443, to = "198.51.100.0/24" }},
    {{ name = "api6", proto = "tcp", port = 443, to = "2001:db8::/32" }},
  }},
}}
"""


def case08():
    c = Case("08-vlan", POLICY_VLAN.format(name="08-vlan"), about="""
Ethernet with an 802.1Q tag (VLAN 100) and QinQ (802.1ad S-tag 200 over
802.1Q C-tag 100); ARP and LLDP frames are not IP.""")
    c.add(arp_request("eth"), "accept not_ip -", "ARP, untagged", l2=True)
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "802.1Q: SYN to api:443", link="dot1q")
    c.add(t.synack(), "accept established api dir=in", "802.1Q: SYN-ACK", link="dot1q")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "802.1Q: ACK", link="dot1q")
    c.add(Tcp(c, H4, 40001, API4, 25).syn(), "drop unknown_egress - dir=out",
          "802.1Q: SYN to port 25, no rule", link="dot1q")
    c.add(arp_request("dot1q"), "accept not_ip -", "ARP inside an 802.1Q tag", l2=True)
    t2 = Tcp(c, "10.1.0.6", 40000, "198.51.100.11", 443)
    c.add(t2.syn(), "accept allowed api dir=out", "QinQ: SYN to api:443", link="qinq")
    c.add(t2.synack(), "accept established api dir=in", "QinQ: SYN-ACK", link="qinq")
    c.add(t2.pkt("c", "A"), "accept established api dir=out", "QinQ: ACK", link="qinq")
    c.add(Tcp(c, "10.1.0.6", 40001, "198.51.100.11", 80).syn(),
          "drop unknown_egress - dir=out", "QinQ: SYN to port 80, no rule", link="qinq")
    t3 = Tcp(c, H6, 40000, API6, 443)
    c.add(t3.syn(), "accept allowed api6 dir=out", "QinQ: v6 SYN, rule api6", link="qinq")
    c.add(t3.synack(), "accept established api6 dir=in", "QinQ: v6 SYN-ACK", link="qinq")
    c.add(lldp_frame(), "accept not_ip -", "LLDP (ethertype 0x88cc)", l2=True)
    return c


def cooked(name, link):
    c = Case(name, POLICY_VLAN.format(name=name), link=link, about="""
Linux cooked capture (%s): an allowed flow v4 and v6, a disallowed SYN, an
ARP frame.  Direction comes from the addresses, not the packet type field.""" % (
        "SLL2, LINKTYPE 276" if link == "sll2" else "SLL v1, LINKTYPE 113"))
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "SYN to api:443")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "ACK")
    c.add(t.pkt("c", "PA", b"ping"), "accept established api dir=out", "data")
    c.add(t.pkt("s", "PA", b"pong"), "accept established api dir=in", "data back")
    c.add(Tcp(c, H4, 40001, API4, 8080).syn(), "drop unknown_egress - dir=out",
          "SYN to 8080, no rule")
    c.add(arp_request(link), "accept not_ip -", "ARP (protocol 0x0806)", l2=True)
    t6 = Tcp(c, H6, 40000, API6, 443)
    c.add(t6.syn(), "accept allowed api6 dir=out", "v6 SYN, rule api6")
    c.add(t6.synack(), "accept established api6 dir=in", "v6 SYN-ACK")
    c.add(Tcp(c, EVIL4, 50000, H4, 22).syn(), "drop unsolicited_inbound - dir=in",
          "inbound SYN, no inbound rule")
    return c


def case09():
    return cooked("09-sll2", "sll2")


def case09b():
    return cooked("09b-sll", "sll")


def frags4(src, sport, dst, dport, ipid, size, fragsize):
    """A UDP datagram of `size` payload bytes split into IPv4 fragments."""
    payload = bytes((i * 13 + 1) & 0xFF for i in range(size))
    whole = bytes(IP(src=src, dst=dst, id=ipid, ttl=64) /
                  UDP(sport=sport, dport=dport) / Raw(payload))
    data = whole[20:]
    out = []
    for off in range(0, len(data), fragsize):
        chunk = data[off:off + fragsize]
        mf = off + fragsize < len(data)
        out.append(IP(src=src, dst=dst, id=ipid, ttl=64, proto=17,
                      flags="MF" if mf else 0, frag=off // 8) / Raw(chunk))
    return out


def frags6(src, sport, dst, dport, fid, size, fragsize):
    """A UDP datagram split into IPv6 fragments (fragment header after IPv6)."""
    payload = bytes((i * 17 + 3) & 0xFF for i in range(size))
    whole = bytes(IPv6(src=src, dst=dst, hlim=64, fl=0) /
                  UDP(sport=sport, dport=dport) / Raw(payload))
    data = whole[40:]
    out = []
    for off in range(0, len(data), fragsize):
        chunk = data[off:off + fragsize]
        m = 1 if off + fragsize < len(data) else 0
        out.append(IPv6(src=src, dst=dst, hlim=64, fl=0) /
                   IPv6ExtHdrFragment(nh=17, offset=off // 8, m=m, id=fid) / Raw(chunk))
    return out


def case10():
    pol = """
-- 10-fragments: UDP port 9000 out to 198.51.100.0/24 and 2001:db8::/32.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "bulk",  proto = "udp", port = 9000, to = "198.51.100.0/24" },
    { name = "bulk6", proto = "udp", port = 9000, to = "2001:db8::/32" },
  },
}
"""
    c = Case("10-fragments", pol, about="""
Fragmented UDP datagrams, IPv4 and IPv6 (2400 bytes of UDP in fragments of
1000 bytes; the first holds the UDP header).  Non-first fragments take the
verdict of their first; a non-first fragment whose first was never seen is an
orphan.""")
    f = frags4(H4, 40000, API4, 9000, 0x2001, 2392, 1000)
    c.add(f[0], "accept allowed bulk dir=out", "first fragment (MF, offset 0): udp/9000, rule bulk")
    c.add(f[1], "accept established bulk dir=out", "second fragment: its first was accepted")
    c.add(f[2], "accept established bulk dir=out", "last fragment: same")
    g = frags4(H4, 40001, API4, 9001, 0x2002, 2392, 1000)
    c.add(g[0], "drop unknown_egress - dir=out", "first fragment of udp/9001: no rule")
    c.add(g[1], "drop unknown_egress - dir=out", "later fragment: the verdict of its first")
    c.add(g[2], "drop unknown_egress - dir=out", "last fragment: same")
    o = frags4(H4, 40002, API4, 9000, 0x2003, 2392, 1000)
    c.add(o[1], "drop orphan_fragment - dir=out",
          "offset 1000 of id 0x2003, whose first fragment never came")
    c.add(udp(c, API4, 9000, H4, 40000, b"ack"), "accept established bulk dir=in",
          "unfragmented reply on the flow of frames 1-3")
    f6 = frags6(H6, 40000, API6, 9000, 0x11223344, 2392, 1000)
    c.add(f6[0], "accept allowed bulk6 dir=out", "v6 first fragment: udp/9000, rule bulk6")
    c.add(f6[1], "accept established bulk6 dir=out", "v6 second fragment")
    c.add(f6[2], "accept established bulk6 dir=out", "v6 last fragment")
    g6 = frags6(H6, 40001, API6, 9001, 0x11223345, 1992, 1000)
    c.add(g6[0], "drop unknown_egress - dir=out", "v6 first fragment of udp/9001: no rule")
    c.add(g6[1], "drop unknown_egress - dir=out", "its last fragment: same verdict")
    o6 = frags6(H6, 40002, API6, 9000, 0x11223346, 2392, 1000)
    c.add(o6[2], "drop orphan_fragment - dir=out", "v6 last fragment of an id never begun")
    c.add(udp(c, API6, 9000, H6, 40000, b"ack6"), "accept established bulk6 dir=in",
          "v6 reply on the flow of frames 9-11")
    return c


def case11():
    pol = """
-- 11-truncated: TCP/443 and DNS allowed, so that only the defects can drop.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "api",  proto = "tcp", port = 443, to = "198.51.100.0/24" },
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8::/32" },
    { name = "dns",  proto = "udp", port = 53,  to = "203.0.113.5" },
  },
}
"""
    c = Case("11-truncated", pol, about="""
Malformed packets, each to a destination a rule allows (so the defect is the
only reason to drop) and each on its own source port (so none can be taken for
another's flow); then good packets to show the engine carries on.  Every frame
is captured whole (caplen == wire length): these are defects, not snaplen cuts.""")
    syn = lambda sport, **kw: (c.ip4(H4, API4, flags="DF", **kw) /  # noqa: E731
                               TCP(sport=sport, dport=443, seq=1000, flags="S",
                                   window=64240))
    c.add(syn(40000, len=200), "drop malformed - dir=out",
          "IPv4 total length 200, the frame holds 40 bytes of IP")
    b = bytearray(bytes(syn(40001)))
    b[0] = 0x43
    c.add(fix_ip4_cksum(bytes(b)), "drop malformed -", "IPv4 IHL 3 (< 5): the addresses lie outside the declared header, so no dir")
    c.add(c.ip4(H4, DNS4) / UDP(sport=40002, dport=53, len=8 + 16 + 100, chksum=0) /
          Raw(b"\x12\x34\x01\x00" + b"\x00" * 12),
          "drop malformed - dir=out", "UDP length 124, the datagram holds 24 bytes")
    c.add(c.ip4(H4, API4, flags="DF") / TCP(sport=40003, dport=443, seq=1000, flags="S",
                                            dataofs=3, window=64240),
          "drop malformed - dir=out", "TCP data offset 3 (< 5)")
    c.add(c.ip4(H4, API4, flags="DF") / TCP(sport=40004, dport=443, seq=1000, flags="S",
                                            dataofs=15, window=64240),
          "drop malformed - dir=out", "TCP data offset 15: 60 bytes of header, 20 present")
    c.add(syn(40005, len=16), "drop malformed - dir=out",
          "IPv4 total length 16, less than its 20-byte header")
    c.add(bytes(syn(40006))[:12], "drop malformed -",
          "IPv4 header cut after 12 bytes (the frame ends there)", out=True)
    c.add(c.ip6(H6, API6, plen=200) / TCP(sport=40007, dport=443, seq=1000, flags="S",
                                          window=64240),
          "drop malformed - dir=out", "IPv6 payload length 200, 20 bytes follow")
    c.add(c.ip6(H6, API6, nh=0) / Raw(bytes([6, 2, 1, 4, 0, 0, 0, 0])),
          "drop malformed - dir=out",
          "hop-by-hop header says 24 bytes, the packet ends after 8")
    t = Tcp(c, H4, 40010, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "a good SYN: rule api")
    c.add(t.synack(), "accept established api dir=in",
          "SYN-ACK in a frame padded to 60 bytes: padding past the IP length is fine",
          pad=True)
    c.add(Tcp(c, H6, 40011, API6, 443).syn(), "accept allowed api6 dir=out",
          "a good v6 SYN: rule api6")
    return c


def case12():
    pol = """
-- 12-expiry: DNS and TCP/443 out; the timeouts do the work.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53,  to = "203.0.113.5" },
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
"""
    c = Case("12-expiry", pol, about="""
Flow expiry on the packet clock (times are seconds after the first frame).
Assumed timeouts (the brief's): unreplied UDP 30 s, TCP SYN_SENT 30 s.  Every
margin is wide, no packet falls near a boundary.  No 5-tuple is reused after a
drop.""")
    c.add(dns_query(c, H4, 33001, DNS4, 0x0001, "a.example.com"),
          "accept allowed dns dir=out", "t=0: query, rule dns", at=0)
    c.add(dns_reply(c, DNS4, H4, 33001, 0x0001, "a.example.com", "198.51.100.1"),
          "accept established dns dir=in", "t=10: reply within 30 s", at=10)
    c.add(dns_query(c, H4, 33002, DNS4, 0x0002, "b.example.com"),
          "accept allowed dns dir=out", "t=20: a new query on a new port", at=20)
    c.add(dns_reply(c, DNS4, H4, 33002, 0x0002, "b.example.com", "198.51.100.2"),
          "drop unsolicited_inbound - dir=in",
          "t=200: the unreplied flow expired at t=50; inbound, no flow, no rule", at=200)
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "t=210: SYN, rule api", at=210)
    c.add(t.synack(), "drop unsolicited_inbound - dir=in",
          "t=250: SYN-ACK 40 s later; SYN_SENT expired at t=240", at=250)
    return c


def case13():
    pol = """
-- 13-bastion-src: a bastion forwards the inside; hosts of 10.1.2.0/24 may go anywhere.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "office", src = "10.1.2.0/24", proto = "any", to = "0.0.0.0/0" },
  },
}
"""
    c = Case("13-bastion-src", pol, about="""
A source-host rule: anything from 10.1.2.0/24, to any IPv4 address.  Other
inside hosts may not go out; nothing may come in; forwarded traffic between
two outside hosts is read as coming from outside.""")
    B = "10.1.2.20"
    t = Tcp(c, B, 40000, API4, 443)
    c.add(t.syn(), "accept allowed office dir=out", "TCP from 10.1.2.20: in src, proto any")
    c.add(t.synack(), "accept established office dir=in", "its SYN-ACK")
    c.add(dns_query(c, B, 33000, DNS4, 0x0505, "example.net"),
          "accept allowed office dir=out", "UDP from 10.1.2.20: proto any")
    c.add(c.ip4(B, API4) / ICMP(type=8, id=0x0042, seq=1) / Raw(b"office"),
          "accept allowed office dir=out", "ICMP echo from 10.1.2.20: proto any")
    c.add(Tcp(c, "10.1.3.20", 40000, API4, 443).syn(), "drop unknown_egress - dir=out",
          "10.1.3.20 is inside but not in src 10.1.2.0/24")
    c.add(Tcp(c, EVIL4, 50000, B, 22).syn(), "drop unsolicited_inbound - dir=in",
          "from the net to the client, no flow, no inbound rule")
    c.add(udp(c, "192.0.2.50", 1000, "203.0.113.60", 2000, b"transit"),
          "drop unsolicited_inbound - dir=in",
          "neither end inside: read as coming from outside, no inbound rule")
    return c


POLICY_MON = """
-- {name}: TCP/443 out to 198.51.100.0/24; {what}
return {{
  {mode}local_nets = {{ "10.1.0.0/16" }},
  egress = {{
    {{ name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" }},
  }},
}}
"""


def monitor_case(name, policy, args, about):
    c = Case(name, policy, args=args, about=about)
    c.add(Tcp(c, H4, 40001, API4, 25).syn(), "accept unknown_egress - would=drop dir=out",
          "disallowed SYN: enforce would drop; monitor accepts")
    c.add(Tcp(c, EVIL4, 50000, H4, 8080).syn(), "accept unsolicited_inbound - would=drop dir=in",
          "unsolicited inbound SYN: enforce would drop")
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "allowed SYN: no would (nothing to override)")
    c.add(t.synack(), "accept established api dir=in", "its SYN-ACK")
    c.add(Tcp(c, H4, 40001, API4, 25).syn_retx(), "accept unknown_egress - would=drop dir=out",
          "retransmission of frame 1: same reason")
    c.add(Tcp(c, H4, 40002, API4, 443, cisn=8000, sisn=9000).pkt("c", "PA", b"late"),
          "accept midstream - would=drop dir=out", "outbound data with no flow")
    c.add(c.ip4(H4, API4, len=200) / TCP(sport=40003, dport=443, seq=1, flags="S",
                                         window=64240),
          "accept malformed - would=drop dir=out",
          "IPv4 total length past the frame; monitor accepts every frame")
    return c


def case14():
    return monitor_case("14-monitor", POLICY_MON.format(
        name="14-monitor", what="monitor mode.", mode='mode = "monitor",\n  '),
        None, """
Monitor mode from the policy: every verdict accept; would-be drops keep their
reason and say would=drop.""")


def case14b():
    return monitor_case("14b-monitor-args", POLICY_MON.format(
        name="14b-monitor-args", what="enforce here, but args has --mode monitor.", mode=""),
        "--mode monitor", """
Monitor mode from the command line (args: --mode monitor) over an enforce
policy: the same verdicts as 14-monitor.""")


def midstream_case(name, policy, allow):
    c = Case(name, policy, about="""
Outbound TCP packets with no flow and no SYN (the gateway started after the
connection did).  %s""" % (
        'tcp_midstream = "allow": the first such packet is taken as the flow\'s\n'
        "first packet and checked against the egress rules." if allow else
        "Default: dropped as midstream."))
    t = Tcp(c, H4, 40000, API4, 443, cisn=100000, sisn=200000)
    c.add(t.pkt("c", "PA", b"GET /more HTTP/1.1\r\n\r\n"),
          "accept allowed api dir=out" if allow else "drop midstream - dir=out",
          "picked up mid-stream; tcp/443 to api matches rule api" if allow else
          "outbound ACK+data with no flow")
    c.add(t.pkt("c", "PA", b"GET /again HTTP/1.1\r\n\r\n"),
          "accept established api dir=out" if allow else "drop midstream - dir=out",
          "second packet of the picked-up flow" if allow else
          "same 5-tuple again: same verdict and reason as its first")
    t2 = Tcp(c, H4, 40001, API4, 8443, cisn=300000, sisn=400000)
    c.add(t2.pkt("c", "A"),
          "drop unknown_egress - dir=out" if allow else "drop midstream - dir=out",
          "taken as a first packet: no rule allows port 8443" if allow else
          "outbound ACK with no flow (not a SYN, so it starts no flow to check)")
    return c


def case15():
    return midstream_case("15-midstream", POLICY_MON.format(
        name="15-midstream", what="mid-stream TCP is dropped (the default).", mode=""),
        False)


def case15b():
    return midstream_case("15b-midstream-allow", POLICY_MON.format(
        name="15b-midstream-allow", what="mid-stream TCP is picked up.",
        mode='tcp_midstream = "allow",\n  '), True)


def reject_case(name, monitor):
    pol = """
-- %s: unknown egress is rejected (fail fast)%s
return {
  %sunknown_egress = "reject",
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
""" % (name, "; monitor mode." if monitor else ".", 'mode = "monitor",\n  ' if monitor else "")
    c = Case(name, pol, about="""
unknown_egress = "reject"%s""" % (
        ": in monitor mode the would-be rejects accept with would=reject." if monitor else
        ": disallowed egress gets reject; unsolicited inbound still drop."))
    R = "accept unknown_egress - would=reject" if monitor else "reject unknown_egress -"
    c.add(Tcp(c, H4, 40001, API4, 25).syn(), R + " dir=out", "SYN to port 25: no rule")
    c.add(Tcp(c, H4, 40001, API4, 25).syn_retx(), R + " dir=out",
          "its retransmission: same verdict and reason")
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "SYN to api:443")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(Tcp(c, EVIL4, 50000, H4, 8080).syn(),
          ("accept unsolicited_inbound - would=drop" if monitor else
           "drop unsolicited_inbound -") + " dir=in",
          "reject applies to unknown egress only; inbound is dropped")
    c.add(udp(c, H4, 40123, DNS4, 123, b"\x23" + b"\0" * 47), R + " dir=out",
          "UDP to 203.0.113.5:123: no rule")
    return c


def case16():
    return reject_case("16-reject", False)


def case16b():
    return reject_case("16b-reject-monitor", True)


def case17():
    c = Case("17-ndp", POLICY_API.format(name="17-ndp"), about="""
IPv6 neighbor/router discovery (ICMPv6 133-137) with hop limit 255 is
accepted as ndp whatever its addresses; a neighbor solicitation with hop limit
64 is not NDP (a router forwarded it) and is an ordinary unsolicited packet.""")
    hm = ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)
    gm = ICMPv6NDOptSrcLLAddr(lladdr=GW_MAC)
    c.add(IPv6(src="fe80::5", dst="ff02::2", hlim=255, fl=0) / ICMPv6ND_RS() / hm,
          "accept ndp -", "router solicitation, hop limit 255")
    c.add(IPv6(src="fe80::1", dst="ff02::1", hlim=255, fl=0) /
          ICMPv6ND_RA(chlim=64, routerlifetime=1800) / gm,
          "accept ndp -", "router advertisement, hop limit 255")
    c.add(IPv6(src=H6, dst="ff02::1:ff00:1", hlim=255, fl=0) /
          ICMPv6ND_NS(tgt="fd00:1::1") / hm,
          "accept ndp -", "neighbor solicitation from the host, hop limit 255")
    c.add(IPv6(src="fd00:1::1", dst=H6, hlim=255, fl=0) /
          ICMPv6ND_NA(R=1, S=1, O=1, tgt="fd00:1::1") /
          ICMPv6NDOptDstLLAddr(lladdr=GW_MAC),
          "accept ndp -", "neighbor advertisement from the router, hop limit 255",
          out=False)
    c.add(IPv6(src="fe80::1", dst="fe80::5", hlim=255, fl=0) /
          ICMPv6ND_Redirect(tgt="fe80::2", dst="2001:db8::10"),
          "accept ndp -", "redirect (137), hop limit 255")
    c.add(IPv6(src="2001:db8::66", dst=H6, hlim=64, fl=0) / ICMPv6ND_NS(tgt=H6),
          "drop unsolicited_inbound - dir=in",
          "NS with hop limit 64 from outside: not ndp; no flow, no inbound rule")
    return c


def case18():
    c = Case("18-snaplen", POLICY_API.format(name="18-snaplen"), snaplen=128, about="""
A capture taken with snaplen 128: big packets are cut by the capture (caplen <
wire length).  That is not a defect (gw/pkt.h: bytes the capture cut are not
a defect; only a header that was itself cut is): the headers are all there,
so these frames are judged as usual.""")
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "SYN, rule api")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "ACK")
    c.add(t.pkt("c", "PA", bytes(range(256)) * 5 + bytes(120)),
          "accept established api dir=out", "1400 bytes of data out, 128 captured")
    c.add(t.pkt("s", "PA", bytes(1400)),
          "accept established api dir=in", "1400 bytes back, 128 captured")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "ACK")
    return c


POLICY_NOLOCAL = """
-- {name}: TCP/443 out to 198.51.100.0/24; no local_nets{what}
return {{
  egress = {{
    {{ name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" }},
  }},
}}
"""


def nolocal_case(name, args):
    c = Case(name, POLICY_NOLOCAL.format(
        name=name, what=": the inside comes from args (--local)." if args else
        ": the capture is read as taken on the inside host."), args=args, about=(
        """
The policy names no inside and args gives --local 10.1.0.0/16: direction
from the addresses as usual.""" if args else """
No inside at all (no local_nets, no --local): the first packet of each flow
is out, so even a SYN from 203.0.113.9 starts an outbound flow, which no
egress rule allows."""))
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "SYN to api:443")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(Tcp(c, H4, 40001, API4, 25).syn(), "drop unknown_egress - dir=out",
          "SYN to port 25: no rule")
    c.add(Tcp(c, EVIL4, 50000, H4, 22).syn(),
          "drop unsolicited_inbound - dir=in" if args else "drop unknown_egress - dir=out",
          "from outside to the inside 10.1.0.5" if args else
          "first packet of its flow, so out; no egress rule allows 10.1.0.5:22")
    return c


def case19():
    return nolocal_case("19-no-local", None)


def case20():
    return nolocal_case("20-local-arg", "--local 10.1.0.0/16")


def case21():
    c = Case("21-raw", POLICY_VLAN.format(name="21-raw"), link="raw", about="""
LINKTYPE_RAW (101): frames start at the IP header, IPv4 and IPv6.""")
    t = Tcp(c, H4, 40000, API4, 443)
    c.add(t.syn(), "accept allowed api dir=out", "SYN, rule api")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    t6 = Tcp(c, H6, 40000, API6, 443)
    c.add(t6.syn(), "accept allowed api6 dir=out", "v6 SYN, rule api6")
    c.add(t6.synack(), "accept established api6 dir=in", "v6 SYN-ACK")
    c.add(Tcp(c, H6, 40001, API6, 22).syn(), "drop unknown_egress - dir=out",
          "v6 SYN to port 22: no rule")
    c.add(Tcp(c, EVIL6, 50000, H6, 22).syn(), "drop unsolicited_inbound - dir=in",
          "v6 SYN from outside")
    return c


def case22():
    """Owners from a --meta file: rules that name processes, offline."""
    pol = """
-- 22-meta: only /usr/bin/backup may reach the API; root may use 8443.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "backup", exe = "/usr/bin/backup", proto = "tcp", port = 443, to = "198.51.100.0/24" },
    { name = "root-tls", uid = 0, proto = "tcp", port = 8443 },
  },
}"""
    c = Case("22-meta", pol, args="--meta pcap-tests/22-meta/meta", about="""
The same host and server, told apart by the owners in pcap-tests/22-meta/meta
(the --meta file): the backup process may connect, curl may not, a flow the
file does not name is unknown, and a line outside its time window does not
apply.""")
    t = Tcp(c, H4, 40001, API4, 443)
    c.add(t.syn(), "accept allowed backup dir=out", "meta: pid 100 /usr/bin/backup uid 1000")
    c.add(t.synack(), "accept established backup dir=in", "its reply")
    c.add(Tcp(c, H4, 40002, API4, 443).syn(), "drop unknown_egress - dir=out",
          "meta: /usr/bin/curl: the backup rule names another exe")
    c.add(Tcp(c, H4, 40003, API4, 443).syn(), "drop unknown_egress - dir=out",
          "no meta line: the owner is unknown, so no rule with exe can match")
    c.add(Tcp(c, "10.1.0.6", 40004, API4, 8443).syn(), "accept allowed root-tls dir=out",
          "meta: uid 0 on a wildcard source port")
    c.add(Tcp(c, H4, 40005, API4, 443).syn(), "drop unknown_egress - dir=out",
          "the backup line for this tuple starts 100 s later (from=)")
    c.extra = {"meta": """# proto src sport dst dport [from=T] [to=T] owner fields (pcap-tests/README.md)
tcp 10.1.0.5 40001 198.51.100.10 443 pid=100 exe=/usr/bin/backup uid=1000 gid=1000
tcp 10.1.0.5 40002 198.51.100.10 443 pid=101 exe=/usr/bin/curl uid=1000 gid=1000
tcp 10.1.0.6 * 198.51.100.10 8443 pid=1 exe=/usr/sbin/agent uid=0 gid=0
tcp 10.1.0.5 40005 198.51.100.10 443 from=%d pid=102 exe=/usr/bin/backup uid=1000
""" % (T0_US // 1000000 + 100)}
    return c


# ---------------------------------------------------------------------------
# Checks and dissectors (cases 30-39): rules with a `check`, read by the TLS,
# HTTP and DNS dissectors.  The engine's rules for them, by which every line
# below is derived:
#   - a new flow whose rule has a check is accepted for now: accept, reason
#     allowed, the rule, and "pending" on every packet until the check runs;
#   - the check runs on the packet that completes what it needs (the whole
#     ClientHello, the HTTP request head through its empty line, the first DNS
#     query), or on the first client bytes that are none of those, or when the
#     server speaks first, or on a FIN/RST;
#   - that packet gets the check's verdict: nothing or "accept" -> accept
#     allowed; "drop"/"reject" -> reason check, the check's reason in detail;
#     an error, a budget overrun or a non-verdict -> on_check_error (default
#     drop), reason check_error;
#   - the verdict sticks: later packets get established when accepted, else
#     the flow's verdict and reason;
#   - while a checked flow is read: a segment that rewrites bytes already seen
#     is tcp_overlap; an HTTP head with a second Host, an obs-fold line or
#     "Host :" is http_duplicate_host, http_obs_fold, http_space_before_colon.
#
# The expect format holds verdict, reason, rule, would, dir and detail (a
# check's one-word reason, taken from the braces below).  What it cannot say
# is written at the start of the comment in braces, for a reader: {pending}, {detail=...},
# {tls_sni=...}, {tls_alpn=...}, {http_host=...}, {http_method=...},
# {dns_qname=...} (the output fields of that frame; a value with spaces is
# quoted, and a check_error detail is given as a part of the message).

def det_bytes(label, n):
    """n bytes that look random, the same on every run (SHA-256 of a label)."""
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(("%s/%d" % (label, i)).encode()).digest()
        i += 1
    return out[:n]


def tls_ext(etype, body):
    return struct.pack("!HH", etype, len(body)) + body


def client_hello(sni=None, alpn=(), versions=(0x0304, 0x0303), ech=False,
                 seed="hello", size=None):
    """A TLS 1.3-style ClientHello handshake message (type 1), built by hand.

    sni: the host_name to offer, or None for no server_name extension.
    alpn: protocol ids for the ALPN extension (none: no extension).
    versions: supported_versions entries (empty: no extension).
    ech: add an encrypted_client_hello (0xfe0d) extension, outer form.
    size: pad (padding extension, RFC 7685) so that the hello in one record,
    record header included, is exactly this many bytes.
    Random, session id, key share and ECH payload come from det_bytes(seed).
    """
    exts = b""
    if sni is not None:
        name = sni.encode()
        entry = b"\x00" + struct.pack("!H", len(name)) + name
        exts += tls_ext(0x0000, struct.pack("!H", len(entry)) + entry)
    exts += tls_ext(0x000a, struct.pack("!HHHH", 6, 0x001d, 0x0017, 0x0018))
    exts += tls_ext(0x000b, b"\x01\x00")
    sigs = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
    sb = b"".join(struct.pack("!H", s) for s in sigs)
    exts += tls_ext(0x000d, struct.pack("!H", len(sb)) + sb)
    if alpn:
        lst = b"".join(bytes([len(a)]) + a.encode() for a in alpn)
        exts += tls_ext(0x0010, struct.pack("!H", len(lst)) + lst)
    if versions:
        vb = b"".join(struct.pack("!H", v) for v in versions)
        exts += tls_ext(0x002b, bytes([len(vb)]) + vb)
    exts += tls_ext(0x002d, b"\x01\x01")
    ks = struct.pack("!HH", 0x001d, 32) + det_bytes(seed + "/key_share", 32)
    exts += tls_ext(0x0033, struct.pack("!H", len(ks)) + ks)
    if ech:
        # ECHClientHello, outer: type 0, HPKE suite (HKDF-SHA256,
        # AES-128-GCM), config_id, enc<0..2^16-1>, payload<1..2^16-1>
        enc = det_bytes(seed + "/ech_enc", 32)
        payload = det_bytes(seed + "/ech_payload", 128)
        exts += tls_ext(0xfe0d, b"\x00" + struct.pack("!HHB", 1, 1, 0x2a) +
                        struct.pack("!H", len(enc)) + enc +
                        struct.pack("!H", len(payload)) + payload)
    suites = (0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9)

    def body_of(exts):
        return (struct.pack("!H", 0x0303) + det_bytes(seed + "/random", 32) +
                b"\x20" + det_bytes(seed + "/session_id", 32) +
                struct.pack("!H", 2 * len(suites)) +
                b"".join(struct.pack("!H", s) for s in suites) +
                b"\x01\x00" + struct.pack("!H", len(exts)) + exts)

    if size is not None:
        # record header 5 + handshake header 4 + body; padding header 4
        pad = size - (5 + 4 + len(body_of(exts)) + 4)
        assert pad >= 0, "hello already longer than %d" % size
        exts += tls_ext(0x0015, bytes(pad))
    body = body_of(exts)
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def tls_records(hs, cuts=()):
    """The handshake message hs in TLS records (type 22, version 3.1), a new
    record at each offset of cuts."""
    out, prev = b"", 0
    for cut in list(cuts) + [len(hs)]:
        frag = hs[prev:cut]
        out += b"\x16\x03\x01" + struct.pack("!H", len(frag)) + frag
        prev = cut
    return out


# What a server sends back: a ServerHello record's first bytes (not parsed).
SERVER_HELLO = b"\x16\x03\x03\x00\x30\x02\x00\x00\x2c\x03\x03" + det_bytes("sh", 43)


def tag(**kw):
    """The {...} part of a comment: fields the expect format cannot check."""
    parts = []
    for k in ("pending", "detail", "tls_sni", "tls_alpn", "http_host",
              "http_method", "dns_qname"):
        if k in kw and kw[k] is not None:
            v = kw[k]
            if v is not True and (" " in v or '"' in v):
                v = '"%s"' % v.replace('"', '\\"')
            parts.append(k if v is True else "%s=%s" % (k, v))
    return "{%s} " % " ".join(parts) if parts else ""


def open_checked(c, t, rule, what="the check"):
    """SYN, SYN-ACK, ACK of a flow whose rule has a check: all pending."""
    c.add(t.syn(), "accept allowed %s dir=out" % rule,
          tag(pending=True) + "SYN: rule %s has a check; accepted for now" % rule)
    c.add(t.synack(), "accept allowed %s dir=in" % rule,
          tag(pending=True) + "SYN-ACK: %s has not run yet" % what)
    c.add(t.pkt("c", "A"), "accept allowed %s dir=out" % rule,
          tag(pending=True) + "ACK: no client bytes yet")


def client_data(t, data, off=None):
    """Client bytes at stream offset off (default: next); nxt is not moved
    when off is given."""
    if off is None:
        return t.pkt("c", "PA", data)
    return t.pkt("c", "PA", data, seq=t.cisn + 1 + off)


def after_verdict(c, t, rule, accepted, reason, data, off, why=""):
    """One more frame after the check: the server's answer when the flow was
    accepted, else the client's retransmission of its data (the server never
    got it)."""
    if accepted:
        c.add(t.pkt("s", "PA", SERVER_HELLO if not data or data[:1] == b"\x16" else
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
              "accept established %s dir=in" % rule,
              "the server answers: the flow was accepted, its verdict sticks" + why)
    else:
        c.add(client_data(t, data, off), "drop %s %s dir=out" % (reason, rule),
              "the client sends it again: the drop sticks, same reason" + why)


POLICY_SNI = """
-- {name}: HTTPS to 198.51.100.0/24 when the SNI is one label under example.com.
return {{
  local_nets = {{ "10.1.0.0/16" }},
  egress = {{
    {{ name = "web", proto = "tcp", port = 443, to = "198.51.100.0/24",
      host = {{ "*.example.com" }}, check = "checks.sni_matches_host" }},
  }},
}}
"""


def case30():
    c = Case("30-check-sni", POLICY_SNI.format(name="30-check-sni"), about="""
checks.sni_matches_host on a rule with `to` and host = { "*.example.com" }:
the addresses match the rule, then the ClientHello's SNI must be one label
under example.com (lua/checks.lua: case-insensitive, one trailing dot
ignored, "*." exactly one label, the apex never implied).  Each flow is
pending until its whole ClientHello (one segment here) is read; that frame
gets the check's verdict, which then sticks.""")
    flows = [
        ("api.example.com", True, None, "one label under example.com"),
        ("evil.test", False, "sni_mismatch", "not under example.com"),
        (None, False, "no_sni", "no server_name extension at all"),
        ("Api.Example.COM.", True, None,
         "same name in other case with a trailing dot: both ignored"),
        ("a.b.example.com", False, "sni_mismatch", "two labels: *. is exactly one"),
        ("example.com", False, "sni_mismatch", "the apex: *. never implies it"),
    ]
    for i, (sni, ok, why, prose) in enumerate(flows):
        t = Tcp(c, H4, 40001 + i, API4, 443, cisn=1000 * (i + 1), sisn=50000 + i)
        open_checked(c, t, "web")
        hello = tls_records(client_hello(sni=sni, alpn=("h2", "http/1.1"),
                                         seed="30-%d" % i))
        c.add(client_data(t, hello),
              ("accept allowed web" if ok else "drop check web") + " dir=out",
              tag(detail=why, tls_sni=sni, tls_alpn="h2,http/1.1") +
              "the whole ClientHello: the check runs; SNI %s: %s" % (sni, prose))
        after_verdict(c, t, "web", ok, "check", hello, 0)
    # HTTP on the TLS rule: the first bytes are not TLS, so the check runs then
    t = Tcp(c, H4, 40010, API4, 443, cisn=9000, sisn=59000)
    open_checked(c, t, "web")
    req = b"GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    c.add(client_data(t, req), "drop check web dir=out",
          tag(detail="not_tls", http_host="api.example.com", http_method="GET") +
          "plain HTTP to 443: not TLS, and sni_matches_host demands TLS")
    after_verdict(c, t, "web", False, "check", req, 0)
    return c


def case31():
    c = Case("31-tls-split", POLICY_SNI.format(name="31-tls-split"), about="""
ClientHellos that do not come in one piece: over three TCP segments, over
two TLS records (one segment each), two records in one segment, and three
segments out of order.  Every frame before the one that completes the hello
is pending; that frame carries tls_sni and the check's verdict.""")
    # 1: one record, three segments
    hs = client_hello(sni="api.example.com", alpn=("h2",), seed="31-a")
    rec = tls_records(hs)
    t = Tcp(c, H4, 40001, API4, 443, cisn=1000, sisn=51000)
    open_checked(c, t, "web")
    a, b = 3, 100          # cut inside the record header, then inside the SNI
    c.add(client_data(t, rec[:a]), "accept allowed web dir=out",
          tag(pending=True) + "segment 1 of 3: the first 3 bytes of the record header")
    c.add(client_data(t, rec[a:b]), "accept allowed web dir=out",
          tag(pending=True) + "segment 2 of 3: up to byte 100 of %d" % len(rec))
    c.add(client_data(t, rec[b:]), "accept allowed web dir=out",
          tag(tls_sni="api.example.com", tls_alpn="h2") +
          "segment 3 of 3 completes the hello: SNI under *.example.com")
    after_verdict(c, t, "web", True, None, None, None)
    # 2: two records, one segment each; the SNI is not allowed
    hs = client_hello(sni="evil.test", alpn=("h2",), seed="31-b")
    rec = tls_records(hs, cuts=(60,))
    t = Tcp(c, H4, 40002, API4, 443, cisn=2000, sisn=52000)
    open_checked(c, t, "web")
    r1 = 5 + 60
    c.add(client_data(t, rec[:r1]), "accept allowed web dir=out",
          tag(pending=True) + "record 1 of 2: 60 bytes of the handshake message")
    c.add(client_data(t, rec[r1:]), "drop check web dir=out",
          tag(detail="sni_mismatch", tls_sni="evil.test", tls_alpn="h2") +
          "record 2 of 2 completes the hello: evil.test is not under example.com")
    after_verdict(c, t, "web", False, "check", rec[r1:], r1)
    # 3: two records in one segment
    hs = client_hello(sni="www.example.com", seed="31-c")
    rec = tls_records(hs, cuts=(4,))
    t = Tcp(c, H4, 40003, API4, 443, cisn=3000, sisn=53000)
    open_checked(c, t, "web")
    c.add(client_data(t, rec), "accept allowed web dir=out",
          tag(tls_sni="www.example.com") +
          "both records in one segment (the first holds the handshake header only)")
    after_verdict(c, t, "web", True, None, rec, 0)
    # 4: three segments, the third sent before the second
    hs = client_hello(sni="cdn.example.com", alpn=("h2", "http/1.1"), seed="31-d")
    rec = tls_records(hs)
    t = Tcp(c, H4, 40004, API4, 443, cisn=4000, sisn=54000)
    open_checked(c, t, "web")
    a, b = 80, 160
    c.add(client_data(t, rec[:a], 0), "accept allowed web dir=out",
          tag(pending=True) + "bytes 0-79")
    c.add(client_data(t, rec[b:], b), "accept allowed web dir=out",
          tag(pending=True) + "bytes 160-end, before 80-159: held, the hello has a gap")
    c.add(client_data(t, rec[a:b], a), "accept allowed web dir=out",
          tag(tls_sni="cdn.example.com", tls_alpn="h2,http/1.1") +
          "bytes 80-159 fill the gap: the hello is whole, the check runs")
    t.nxt["c"] = t.cisn + 1 + len(rec)
    after_verdict(c, t, "web", True, None, rec, 0)
    return c


def case32():
    c = Case("32-tcp-overlap", POLICY_SNI.format(name="32-tcp-overlap"), about="""
Overlapping TCP segments inside a ClientHello on a checked flow.  A segment
that carries again bytes already seen, but different, is an evasion (the
gateway and the server could each keep another copy): drop, tcp_overlap, on
that segment, and the drop sticks.  Overlaps that repeat the same bytes are
ordinary retransmissions and change nothing.""")
    good = tls_records(client_hello(sni="api.example.com", seed="32"))
    # the same hello for a name of the same length: only the SNI bytes differ
    evil = tls_records(client_hello(sni="www.evilsite.io", seed="32"))
    assert len(good) == len(evil)
    sni_at = good.find(b"api.example.com")
    assert good[:sni_at] == evil[:sni_at] and good[sni_at + 15:] == evil[sni_at + 15:]
    # 1: the SNI comes in segment 1, and a second segment rewrites it
    t = Tcp(c, H4, 40001, API4, 443, cisn=1000, sisn=51000)
    open_checked(c, t, "web")
    cut = sni_at + 15 + 10
    c.add(client_data(t, good[:cut], 0), "accept allowed web dir=out",
          tag(pending=True) + "bytes 0-%d, SNI api.example.com among them" % (cut - 1))
    c.add(client_data(t, evil[sni_at - 5:], sni_at - 5), "drop tcp_overlap web dir=out",
          "from byte %d to the end, but the SNI bytes now say www.evilsite.io: "
          "bytes already seen, rewritten" % (sni_at - 5))
    c.add(client_data(t, good[cut:], cut), "drop tcp_overlap web dir=out",
          "the honest rest of the hello: the flow is dropped already")
    # 2: the rewrite comes first, out of order; the segment that overlaps it
    #    afterwards is the one that differs
    t = Tcp(c, H4, 40002, API4, 443, cisn=2000, sisn=52000)
    open_checked(c, t, "web")
    c.add(client_data(t, evil[sni_at:], sni_at), "accept allowed web dir=out",
          tag(pending=True) + "bytes %d-end first (out of order): a gap before them" % sni_at)
    c.add(client_data(t, good[:sni_at + 4], 0), "drop tcp_overlap web dir=out",
          "bytes 0-%d: its last 4 bytes overlap the held ones and differ" % (sni_at + 3))
    # 3: retransmissions of the same bytes: no evasion
    t = Tcp(c, H4, 40003, API4, 443, cisn=3000, sisn=53000)
    open_checked(c, t, "web")
    c.add(client_data(t, good[:120], 0), "accept allowed web dir=out",
          tag(pending=True) + "bytes 0-119")
    c.add(client_data(t, good[:120], 0), "accept allowed web dir=out",
          tag(pending=True) + "bytes 0-119 again, the same: a retransmission")
    c.add(client_data(t, good[100:], 100), "accept allowed web dir=out",
          tag(tls_sni="api.example.com") +
          "bytes 100-end: 20 bytes overlap and are the same; the hello is whole")
    t.nxt["c"] = t.cisn + 1 + len(good)
    after_verdict(c, t, "web", True, None, None, None)
    return c


def case33():
    c = Case("33-tls-bytewise", POLICY_SNI.format(name="33-tls-bytewise"), about="""
A 300-byte ClientHello sent one byte per TCP segment: every segment before
the last is pending, the last completes the hello and gets the check's
verdict (accept: api.example.com is under *.example.com).""")
    rec = tls_records(client_hello(sni="api.example.com", alpn=("h2",),
                                   seed="33", size=300))
    assert len(rec) == 300
    t = Tcp(c, H4, 40001, API4, 443, cisn=1000, sisn=51000)
    open_checked(c, t, "web")
    for i in range(len(rec)):
        last = i == len(rec) - 1
        c.add(client_data(t, rec[i:i + 1]), "accept allowed web dir=out",
              (tag(tls_sni="api.example.com", tls_alpn="h2") +
               "byte 300 of 300 completes the hello: the check accepts") if last else
              (tag(pending=True) + "byte %d of 300" % (i + 1)))
    after_verdict(c, t, "web", True, None, None, None)
    return c


def case34():
    pol = """
-- 34-check-no-ech: HTTPS to 198.51.100.0/24 without Encrypted Client Hello.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = "198.51.100.0/24",
      check = "checks.no_ech" },
  },
}
"""
    c = Case("34-check-no-ech", pol, about="""
checks.no_ech: a ClientHello offering encrypted_client_hello (extension
0xfe0d, with a public SNI outside) is dropped with reason ech; one without is
accepted; a flow that is not TLS is accepted (no_ech only forbids).""")
    cases = [
        (True, "public.example.com", "offers ECH (0xfe0d): the SNI seen is only the outer one"),
        (False, "api.example.com", "no ECH extension"),
    ]
    for i, (ech, sni, prose) in enumerate(cases):
        t = Tcp(c, H4, 40001 + i, API4, 443, cisn=1000 * (i + 1), sisn=51000 + i)
        open_checked(c, t, "web")
        hello = tls_records(client_hello(sni=sni, alpn=("h2",), ech=ech,
                                         seed="34-%d" % i))
        c.add(client_data(t, hello),
              ("drop check web" if ech else "accept allowed web") + " dir=out",
              tag(detail="ech" if ech else None, tls_sni=sni, tls_alpn="h2") +
              "the whole ClientHello: " + prose)
        after_verdict(c, t, "web", not ech, "check", hello, 0)
    t = Tcp(c, H4, 40003, API4, 443, cisn=3000, sisn=53000)
    open_checked(c, t, "web")
    req = b"GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    c.add(client_data(t, req), "accept allowed web dir=out",
          tag(http_host="api.example.com", http_method="GET") +
          "not TLS: no_ech has nothing to forbid")
    after_verdict(c, t, "web", True, None, req, 0)
    return c


def case35():
    pol = """
-- 35-check-alpn: HTTPS offering h2 only; the second rule also demands ALPN.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "h2", proto = "tcp", port = 443, to = "198.51.100.0/24", check = "h2_only" },
    { name = "h2req", proto = "tcp", port = 8443, to = "198.51.100.0/24", check = "h2_required" },
  },
  checks = {
    h2_only = c.alpn{ "h2" },
    h2_required = c.alpn{ "h2", required = true },
  },
}
"""
    c = Case("35-check-alpn", pol, about="""
alpn{"h2"}: a ClientHello offering a protocol not listed (http/1.1 beside h2)
is dropped with reason alpn; one offering h2 only is accepted; one without
ALPN is accepted (not required).  alpn{"h2", required = true} drops a hello
without ALPN (no_alpn).""")
    flows = [
        ("h2", 443, ("h2", "http/1.1"), False, "alpn", "offers http/1.1, not listed"),
        ("h2", 443, ("h2",), True, None, "offers h2 only"),
        ("h2", 443, (), True, None, "no ALPN extension: accepted unless required"),
        ("h2req", 8443, (), False, "no_alpn", "no ALPN extension, and the check requires one"),
        ("h2req", 8443, ("h2",), True, None, "offers h2 only"),
    ]
    for i, (rule, port, alpn, ok, why, prose) in enumerate(flows):
        t = Tcp(c, H4, 40001 + i, API4, port, cisn=1000 * (i + 1), sisn=51000 + i)
        open_checked(c, t, rule)
        hello = tls_records(client_hello(sni="api.example.com", alpn=alpn,
                                         seed="35-%d" % i))
        c.add(client_data(t, hello),
              ("accept allowed %s" if ok else "drop check %s") % rule + " dir=out",
              tag(detail=why, tls_sni="api.example.com",
                  tls_alpn=",".join(alpn) or None) +
              "the whole ClientHello: " + prose)
        after_verdict(c, t, rule, ok, "check", hello, 0)
    return c


def case36():
    pol = """
-- 36-check-http: HTTP to 198.51.100.0/24, GET and HEAD only.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 80, to = "198.51.100.0/24", check = "get_only" },
  },
  checks = {
    get_only = c.http_methods{ "GET", "HEAD" },
  },
}
"""
    c = Case("36-check-http", pol, about="""
http_methods{"GET", "HEAD"} on plain HTTP.  The check runs once the request
head is read through its empty line.  GET and HEAD pass, POST is dropped
(http_method); a head that servers may read differently is dropped whatever
its method: a second Host (http_duplicate_host), an obs-fold line
(http_obs_fold), "Host :" (http_space_before_colon).  A field name in mixed
case is no anomaly, and neither is a bare LF.  Flows that are not HTTP are
dropped (not_http): client bytes of another protocol, a server that speaks
first, a FIN before any byte.""")
    H = b"Host: api.example.com\r\n"
    port = [40000]

    def flow():
        port[0] += 1
        n = port[0] - 40000
        t = Tcp(c, H4, port[0], API4, 80, cisn=1000 * n, sisn=50000 + n)
        open_checked(c, t, "web")
        return t

    def one(req, ok, reason, tags, prose):
        t = flow()
        c.add(client_data(t, req),
              ("accept allowed web" if ok else "drop %s web" % reason) + " dir=out",
              tag(**tags) + prose)
        after_verdict(c, t, "web", ok, reason, req, 0)

    one(b"GET /index.html HTTP/1.1\r\n" + H + b"Accept: */*\r\n\r\n", True, None,
        dict(http_host="api.example.com", http_method="GET"), "GET: listed")
    one(b"POST /upload HTTP/1.1\r\n" + H + b"Content-Length: 4\r\n\r\ndata", False,
        "check", dict(detail="http_method", http_host="api.example.com",
                      http_method="POST"), "POST: not listed")
    # HEAD, the head over two segments
    t = flow()
    req = b"HEAD / HTTP/1.1\r\n" + H + b"User-Agent: x\r\n\r\n"
    c.add(client_data(t, req[:20]), "accept allowed web dir=out",
          tag(pending=True) + "the request line and 3 bytes of Host: the head goes on")
    c.add(client_data(t, req[20:]), "accept allowed web dir=out",
          tag(http_host="api.example.com", http_method="HEAD") +
          "the rest through the empty line: HEAD is listed")
    after_verdict(c, t, "web", True, None, req, 0)
    one(b"GET / HTTP/1.1\r\n" + H + b"Host: evil.test\r\n\r\n", False,
        "http_duplicate_host", dict(http_host="api.example.com", http_method="GET"),
        "GET with a second Host: an evasion, dropped before any check")
    one(b"GET / HTTP/1.1\r\nhOsT: api.example.com\r\n\r\n", True, None,
        dict(http_host="api.example.com", http_method="GET"),
        "field names are case-insensitive: hOsT is the Host")
    one(b"GET / HTTP/1.1\r\n" + H + b"X-Note: a\r\n  folded\r\n\r\n", False,
        "http_obs_fold", dict(http_host="api.example.com", http_method="GET"),
        "a line starting with spaces (obs-fold)")
    one(b"GET / HTTP/1.1\r\nHost : api.example.com\r\n\r\n", False,
        "http_space_before_colon", dict(http_host="api.example.com", http_method="GET"),
        "\"Host :\", space before the colon")
    one(b"GET / HTTP/1.1\nHost: api.example.com\n\n", True, None,
        dict(http_host="api.example.com", http_method="GET"),
        "bare LF line ends: servers read them alike, not an evasion")
    one(b"SSH-2.0-OpenSSH_9.6\r\n", False, "check", dict(detail="not_http"),
        "an SSH banner: the first bytes are neither TLS nor HTTP")
    # the server speaks first
    t = flow()
    c.add(t.pkt("s", "PA", b"220 mail.example.com ESMTP\r\n"), "drop check web dir=in",
          tag(detail="not_http") +
          "the server speaks first: no request will come, the check runs now")
    c.add(t.pkt("c", "PA", b"EHLO client\r\n"), "drop check web dir=out",
          "the client's answer: the drop sticks")
    # a FIN before any byte
    t = flow()
    c.add(t.pkt("c", "FA"), "drop check web dir=out",
          tag(detail="not_http") + "FIN with no client bytes: the check runs on it")
    c.add(t.pkt("s", "FA"), "drop check web dir=in", "the server's FIN: the drop sticks")
    return c


def shannon(s):
    """Bits per character of s (as lua/checks.lua's dns_no_tunnel counts)."""
    n = len(s)
    return -sum(s.count(ch) / n * math.log2(s.count(ch) / n) for ch in set(s))


def dns_q(case, src, sport, dst, qid, name, qtype="A"):
    return case.ip(src, dst) / UDP(sport=sport, dport=53) / DNS(
        id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))


def case37():
    pol = """
-- 37-check-dns: DNS to two resolvers, each under a check.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5", check = "no_tunnel" },
    { name = "dns2", proto = "udp", port = 53, to = "203.0.113.6", check = "a_only" },
  },
  checks = {
    no_tunnel = c.dns_no_tunnel{},
    a_only = c.dns_qtypes{ "A", "AAAA" },
  },
}
"""
    tunnel = base64.b32encode(det_bytes("37-tunnel", 40)).decode().rstrip("=")[:50]
    tname = tunnel + ".example.com"
    h = shannon(tunnel.lower())
    assert h > 4.0, h
    flat = "a" * 24 + "b" * 24 + ".example.com"
    assert shannon(flat.split(".")[0]) <= 4.0
    c = Case("37-check-dns", pol, about="""
DNS checks on UDP/53 rules; a DNS flow's check runs on its first packet, the
query.  dns_no_tunnel{} (defaults: labels up to 63, entropy up to 4.0 bits
per character over the labels before the last two, counted from 20
characters): a plain name passes, a 50-character base32 label under
example.com (%.2f bits per character) is dropped (dns_entropy), a 48-byte
label of two letters is long but flat and passes.  dns_qtypes{"A", "AAAA"}:
A and AAAA pass, TXT is dropped (dns_qtype), also when a socket that asked a
harmless A question first asks it next (every query of a checked DNS flow is
checked).  A dropped query's reply is dropped with it.""" % h)
    R1, R2 = DNS4, "203.0.113.6"
    c.add(dns_q(c, H4, 33001, R1, 0x0001, "www.example.com"), "accept allowed dns dir=out",
          tag(dns_qname="www.example.com") + "A www.example.com: short, nothing to drop")
    c.add(dns_reply(c, R1, H4, 33001, 0x0001, "www.example.com", "198.51.100.80"),
          "accept established dns dir=in", tag(dns_qname="www.example.com") + "its answer")
    c.add(dns_q(c, H4, 33002, R1, 0x0002, tname), "drop check dns dir=out",
          tag(detail="dns_entropy", dns_qname=tname) +
          "50-char base32 label: %.2f bits per character > 4.0" % h)
    c.add(dns_reply(c, R1, H4, 33002, 0x0002, tname, "198.51.100.81"),
          "drop check dns dir=in", tag(dns_qname=tname) +
          "the answer to the dropped query: the flow's verdict")
    c.add(dns_q(c, H4, 33003, R1, 0x0003, flat), "accept allowed dns dir=out",
          tag(dns_qname=flat) + "48-byte label of a and b: 1 bit per character")
    c.add(dns_q(c, H4, 33004, R2, 0x0004, "www.example.com"), "accept allowed dns2 dir=out",
          tag(dns_qname="www.example.com") + "A: listed")
    c.add(dns_q(c, H4, 33005, R2, 0x0005, "www.example.com", "AAAA"),
          "accept allowed dns2 dir=out", tag(dns_qname="www.example.com") + "AAAA: listed")
    c.add(dns_q(c, H4, 33006, R2, 0x0006, "www.example.com", "TXT"),
          "drop check dns2 dir=out",
          tag(detail="dns_qtype", dns_qname="www.example.com") + "TXT: not listed")
    c.add(dns_q(c, H4, 33006, R2, 0x0006, "www.example.com", "TXT"),
          "drop check dns2 dir=out", tag(dns_qname="www.example.com") +
          "the same query again on the same port: the drop sticks")
    c.add(dns_q(c, H4, 33007, R2, 0x0007, "api.example.com"), "accept allowed dns2 dir=out",
          tag(dns_qname="api.example.com") + "a new socket asks for an A: listed")
    c.add(dns_reply(c, R2, H4, 33007, 0x0007, "api.example.com", "198.51.100.82"),
          "accept established dns2 dir=in", tag(dns_qname="api.example.com") + "its answer")
    c.add(dns_q(c, H4, 33007, R2, 0x0008, "api.example.com", "TXT"),
          "drop check dns2 dir=out",
          tag(detail="dns_qtype", dns_qname="api.example.com") +
          "the same socket then asks for TXT: every query of a checked DNS flow is checked")
    c.add(dns_q(c, H4, 33007, R2, 0x0009, "api.example.com"), "drop check dns2 dir=out",
          tag(dns_qname="api.example.com") + "after that the socket's flow stays dropped")
    return c


POLICY_LOOP = """
-- {name}: a check that never returns, and others that fail{what}
local c = require "checks"
return {{
  {onerr}local_nets = {{ "10.1.0.0/16" }},
  egress = {{
    {{ name = "spin", proto = "tcp", port = 80, to = "198.51.100.0/24", check = "spin" }},
    {{ name = "broken", proto = "tcp", port = 8080, to = "198.51.100.0/24", check = "broken" }},
    {{ name = "junk", proto = "tcp", port = 8081, to = "198.51.100.0/24", check = "junk" }},
    {{ name = "get", proto = "tcp", port = 8000, to = "198.51.100.0/24", check = "get_only" }},
    {{ name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" }},
  }},
  checks = {{
    spin = function(ctx) while true do end end,
    broken = function(ctx) return ctx.tls.sni end,    -- no ctx.tls on HTTP: an error
    junk = function(ctx) return "maybe" end,          -- not a verdict
    get_only = c.http_methods{{ "GET" }},
  }},
}}
"""


def loop_case(name, accept):
    c = Case(name, POLICY_LOOP.format(
        name=name, onerr='on_check_error = "accept",\n  ' if accept else "",
        what="; on_check_error = \"accept\"." if accept else "."), about="""
A check that loops forever (while true do end) runs out of its instruction
budget: the replay goes on, and the flow gets on_check_error, reason
check_error (%s).  So do a check that raises an error and one that answers
something that is not a verdict.  Flows under other rules are unaffected,
including one whose check runs after the loop (the Lua state is sound) and
one that was open while the check looped.%s""" % (
        'on_check_error = "accept": accept, and later packets established'
        if accept else "default drop, sticky",
        "  A check's own drop is still a drop." if accept else ""))
    E = "accept check_error %s" if accept else "drop check_error %s"
    GET = b"GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    api = Tcp(c, H4, 40100, API4, 443, cisn=100000, sisn=200000)
    c.add(api.syn(), "accept allowed api dir=out", "a flow with no check, opened first")
    c.add(api.synack(), "accept established api dir=in", "its SYN-ACK")
    t = Tcp(c, H4, 40001, API4, 80, cisn=1000, sisn=51000)
    open_checked(c, t, "spin")
    c.add(client_data(t, GET), E % "spin" + " dir=out",
          tag(detail="instruction budget", http_host="api.example.com", http_method="GET") +
          "the request head: the check loops until its budget ends")
    if accept:
        c.add(t.pkt("s", "PA", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
              "accept established spin dir=in", "accepted by on_check_error: it sticks")
    else:
        c.add(client_data(t, GET, 0), "drop check_error spin dir=out",
              "the client sends it again: the drop sticks")
    c.add(api.pkt("c", "A"), "accept established api dir=out", "the open flow goes on")
    c.add(api.pkt("c", "PA", tls_records(client_hello(sni="api.example.com", seed=name))),
          "accept established api dir=out",
          tag(tls_sni="api.example.com") +
          "its data: no check, nothing to wait for (replay still shows the SNI)")
    g = Tcp(c, H4, 40002, API4, 8000, cisn=2000, sisn=52000)
    open_checked(c, g, "get")
    c.add(client_data(g, GET), "accept allowed get dir=out",
          tag(http_host="api.example.com", http_method="GET") +
          "another rule's check, after the loop: GET is listed")
    g2 = Tcp(c, H4, 40003, API4, 8000, cisn=3000, sisn=53000)
    open_checked(c, g2, "get")
    post = b"POST / HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\n\r\n"
    c.add(client_data(g2, post), "drop check get dir=out",
          tag(detail="http_method", http_host="api.example.com", http_method="POST") +
          "POST: the check's own drop, whatever on_check_error says")
    t2 = Tcp(c, H4, 40004, API4, 80, cisn=4000, sisn=54000)
    open_checked(c, t2, "spin")
    c.add(client_data(t2, GET), E % "spin" + " dir=out",
          tag(detail="instruction budget", http_host="api.example.com", http_method="GET") +
          "a second flow on the looping rule: the same")
    b = Tcp(c, H4, 40005, API4, 8080, cisn=5000, sisn=55000)
    open_checked(c, b, "broken")
    c.add(client_data(b, GET), E % "broken" + " dir=out",
          tag(detail="attempt to index a nil value", http_host="api.example.com",
              http_method="GET") + "ctx.tls is nil on HTTP: the check errs")
    j = Tcp(c, H4, 40006, API4, 8081, cisn=6000, sisn=56000)
    open_checked(c, j, "junk")
    c.add(client_data(j, GET), E % "junk" + " dir=out",
          tag(detail='returned "maybe"', http_host="api.example.com", http_method="GET") +
          "\"maybe\" is not accept, drop or reject")
    return c


def case38():
    return loop_case("38-check-loop", False)


def case39():
    return loop_case("39-check-error-accept", True)


# ---------------------------------------------------------------------------
# Rules by host name: DNS provenance (cases 40-50).  The engine's rules for
# them (README "Names"), by which every line below is derived:
#   - every DNS answer on a flow the inside started to port 53 (the reply
#     way, on an accepted flow, UDP or TCP) is learnt for the flow's owner
#     (from --meta; with none, "the host", one owner for every flow): each
#     address in it for the QUESTION name.  CNAME chains are followed from the
#     question, at most 4 deep; the lowest TTL along the chain counts, clamped
#     to dns.min_ttl..dns.max_ttl (5 and 300 s by default; TTL 0 counts as
#     1 s).  An answer with an A/AAAA/CNAME record off the chain is ignored
#     whole; so is one with an rcode other than 0.  Packet clock throughout;
#   - a `host` rule without `to` matches a new flow only if its owner resolved
#     a name the rule names to the destination and the entry is live, or
#     expired less than dns.grace (30 s) ago while that owner still has a flow
#     allowed by name to that address.  Else, if such a rule held in every
#     other way (proto, port, subject): drop (reject under unknown_egress =
#     "reject") no_dns_provenance (never resolved) or dns_expired; else the
#     usual unknown_egress.  No rule is named on those drops;
#   - a rule with `host` and `to` matches by address alone;
#   - a flow allowed by name to a private, loopback, link-local or CGNAT
#     address: drop private_address, unless the rule says private = true;
#   - a TCP flow allowed by name is pending (accept allowed, "pending") until
#     its first bytes are read: over TLS the SNI, over HTTP the Host (lower-
#     cased, port stripped) must be a name its owner resolved to this address
#     and one the rule names, else drop sni_mismatch / host_mismatch on the
#     packet that completes the ClientHello or the request head; neither TLS
#     nor HTTP (the server speaks first, say): accepted.  The verdict sticks;
#   - DNS is policed once a policy has `host` rules or a `dns` table: a query
#     of a type other than A, AAAA and dns.qtypes, or (unless dns.any_name)
#     for a name no `host` rule names, is dropped dns_denied, that packet
#     only: the resolver flow goes on.  With dns.resolvers, a new flow to
#     port 53 or 853 (UDP or TCP) to any other address is dropped dns_denied,
#     the whole flow.
# A dns_denied, sni_mismatch, host_mismatch or private_address detail is a
# sentence: it is not checked (the expect format takes one word).

WWW4 = "198.51.100.20"            # what www.example.com resolves to


def dns_rr(name, rtype, ttl, rdata):
    return DNSRR(rrname=name, type=rtype, rclass="IN", ttl=ttl, rdata=rdata)


def dns_answer(case, src, dst, dport, qid, qname, records, qtype="A", rcode=0,
               ns=(), ar=()):
    """A DNS answer (UDP from port 53) to qname/qtype.  records, ns, ar:
    (name, type, ttl, rdata) tuples for the answer, authority and additional
    sections, in that order."""
    return case.ip(src, dst) / UDP(sport=53, dport=dport) / dns_msg(
        qid, qname, qtype, records, rcode, ns, ar)


def dns_msg(qid, qname, qtype="A", records=(), rcode=0, ns=(), ar=()):
    """The DNS message of an answer (or, with records None, of a query)."""
    if records is None:
        return DNS(id=qid, rd=1, qd=DNSQR(qname=qname, qtype=qtype))

    def chain(rrs):
        out = None
        for r in rrs:
            rr = dns_rr(*r)
            out = rr if out is None else out / rr
        return out

    kw = {}
    if records:
        kw["an"] = chain(records)
    if ns:
        kw["ns"] = chain(ns)
    if ar:
        kw["ar"] = chain(ar)
    return DNS(id=qid, qr=1, rd=1, ra=1, rcode=rcode,
               qd=DNSQR(qname=qname, qtype=qtype), **kw)


def cname_chain(qname, targets, rtype, addr, ttls):
    """Answer records: qname CNAME targets[0] CNAME ... targets[-1] A/AAAA
    addr, with ttls[i] on the i-th record (len(targets) + 1 of them)."""
    names = [qname] + list(targets)
    assert len(ttls) == len(names)
    recs = [(names[i], "CNAME", ttls[i], names[i + 1]) for i in range(len(targets))]
    return recs + [(names[-1], rtype, ttls[-1], addr)]


def dns_tcp(msg):
    """A DNS message over TCP: two bytes of length first (RFC 1035 4.2.2)."""
    b = bytes(msg)
    return struct.pack("!H", len(b)) + b


def lookup(c, sport, qid, name, addr, ttl, qtype="A", res=DNS4, at=None,
           rule="dns", first=True, records=None, prose="",
           ask="a name a host rule names"):
    """A query from the inside host (or H6's resolver socket: always H4) and
    its answer; two frames.  first: the query opens its flow (allowed) or
    goes on one (established)."""
    c.add(dns_q(c, H4, sport, res, qid, name, qtype),
          "accept %s %s dir=out" % ("allowed" if first else "established", rule),
          tag(dns_qname=name) + "%s %s: %s%s" % (
              qtype, name, ask, "" if first else ", on the socket's flow"), at=at)
    recs = records if records is not None else [(name, qtype, ttl, addr)]
    c.add(dns_answer(c, res, H4, sport, qid, name, recs, qtype),
          "accept established %s dir=in" % rule, tag(dns_qname=name) +
          "its answer, learnt: %s" % (prose or "%s -> %s, TTL %d" % (name, addr, ttl)))


def open_named(c, t, rule, at=None, why="allowed by name"):
    """SYN, SYN-ACK, ACK of a TCP flow allowed by name: all pending."""
    c.add(t.syn(), "accept allowed %s dir=out" % rule,
          tag(pending=True) + "SYN: %s (rule %s); pending until its first bytes "
          "are read" % (why, rule), at=at)
    c.add(t.synack(), "accept allowed %s dir=in" % rule,
          tag(pending=True) + "SYN-ACK: no client bytes read yet")
    c.add(t.pkt("c", "A"), "accept allowed %s dir=out" % rule,
          tag(pending=True) + "ACK: still nothing to read a name from")


def tls_named(c, t, rule, sni, ok, prose, at=None, seed=None, why="allowed by name"):
    """A TLS flow allowed by name: handshake (pending), the ClientHello in one
    segment (its SNI decides), one frame after."""
    open_named(c, t, rule, at=at, why=why)
    hello = tls_records(client_hello(sni=sni, alpn=("h2",),
                                     seed=seed or "%s-%d" % (c.name, t.ep["c"][1])))
    c.add(client_data(t, hello),
          ("accept allowed %s" if ok else "drop sni_mismatch %s") % rule + " dir=out",
          tag(tls_sni=sni, tls_alpn="h2") +
          "the whole ClientHello: " + prose)
    after_verdict(c, t, rule, ok, "sni_mismatch", hello, 0)


def syn_denied(c, t, verdict, reason, prose, at=None, retx=False):
    c.add(t.syn(), "%s %s - dir=out" % (verdict, reason), prose, at=at)
    if retx:
        c.add(t.syn_retx(), "%s %s - dir=out" % (verdict, reason),
              "its retransmission: a later packet of a dropped flow keeps its "
              "verdict and reason")


def close_rst(c, t, rule, at=None):
    c.add(t.pkt("c", "RA"), "accept established %s dir=out" % rule,
          "the client resets the flow (closed: gone 10 s later)", at=at)


def close_fin(c, t, rule, at=None):
    c.add(t.pkt("c", "FA"), "accept established %s dir=out" % rule, "client FIN", at=at)
    c.add(t.pkt("s", "FA"), "accept established %s dir=in" % rule, "server FIN")
    c.add(t.pkt("c", "A"), "accept established %s dir=out" % rule,
          "the last ACK: closed, gone 10 s later")


def case40():
    pol = """
-- 40-names-provenance: HTTPS to names, by what DNS told the host; an
-- intranet service by address (its names are for checks only).
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "dnstcp", proto = "tcp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "www.example.com", "**.svc.example.net" } },
    { name = "intra", proto = "tcp", port = 8080, to = "198.51.100.128/25",
      host = { "intra.example.com" } },
  },
}
"""
    c = Case("40-names-provenance", pol, about="""
DNS provenance with no --meta: every flow's owner is the host.  A and AAAA
answers for www.example.com (TTL 60) open 198.51.100.20 and 2001:db8::20 to
rule web, pending until the ClientHello's SNI (www.example.com) is read; an
answer over TCP/53 for a.b.svc.example.net (**. = one or more labels) opens
198.51.100.23.  An address nobody resolved gets no_dns_provenance; the
resolved address on a port no host rule names, or another address and port,
get unknown_egress.  Rule intra has host and to: the address decides, a
lookup neither opens another address nor is needed.""")
    A6 = "2001:db8::20"
    lookup(c, 33001, 0x0001, "www.example.com", WWW4, 60)
    lookup(c, 33001, 0x0002, "www.example.com", A6, 60, qtype="AAAA", first=False)
    tls_named(c, Tcp(c, H4, 40001, WWW4, 443, cisn=1000, sisn=51000), "web",
              "www.example.com", True,
              "SNI www.example.com, a name the host resolved to 198.51.100.20")
    syn_denied(c, Tcp(c, H4, 40002, "198.51.100.21", 443), "drop", "no_dns_provenance",
               "tcp/443 to 198.51.100.21: rule web would hold, but nobody resolved a "
               "name of it to this address (an address literal)", retx=True)
    syn_denied(c, Tcp(c, H4, 40003, EVIL4, 8443), "drop", "unknown_egress",
               "tcp/8443 to 203.0.113.9: no rule, by name or otherwise")
    syn_denied(c, Tcp(c, H4, 40004, WWW4, 8443), "drop", "unknown_egress",
               "the resolved 198.51.100.20, but on 8443: web names port 443 only, "
               "so no host rule holds in every other way")
    tls_named(c, Tcp(c, H6, 40005, A6, 443, cisn=2000, sisn=52000), "web",
              "www.example.com", True,
              "over IPv6, to the AAAA answer's 2001:db8::20")
    syn_denied(c, Tcp(c, H6, 40006, "2001:db8::21", 443), "drop", "no_dns_provenance",
               "v6 tcp/443 to 2001:db8::21: never resolved")
    # DNS over TCP
    d = Tcp(c, H4, 40010, DNS4, 53, cisn=3000, sisn=53000)
    name = "a.b.svc.example.net"
    c.add(d.syn(), "accept allowed dnstcp dir=out", "DNS over TCP: rule dnstcp (by address)")
    c.add(d.synack(), "accept established dnstcp dir=in", "SYN-ACK")
    c.add(d.pkt("c", "A"), "accept established dnstcp dir=out", "ACK")
    c.add(d.pkt("c", "PA", dns_tcp(dns_msg(0x0003, name, "A", None))),
          "accept established dnstcp dir=out",
          tag(dns_qname=name) + "A a.b.svc.example.net: **.svc.example.net names it")
    c.add(d.pkt("s", "PA", dns_tcp(dns_msg(0x0003, name, "A",
                                           [(name, "A", 60, "198.51.100.23")]))),
          "accept established dnstcp dir=in",
          tag(dns_qname=name) + "the answer over TCP, learnt: -> 198.51.100.23, TTL 60")
    tls_named(c, Tcp(c, H4, 40011, "198.51.100.23", 443, cisn=4000, sisn=54000), "web",
              name, True, "SNI a.b.svc.example.net: resolved to 198.51.100.23 over TCP")
    # host + to: the addresses decide
    t = Tcp(c, H4, 40020, "198.51.100.200", 8080, cisn=5000, sisn=55000)
    c.add(t.syn(), "accept allowed intra dir=out",
          "tcp/8080 to 198.51.100.200, in intra's to: allowed by address, though "
          "nothing resolved to it; no check, so not pending")
    c.add(t.synack(), "accept established intra dir=in", "SYN-ACK")
    lookup(c, 33002, 0x0004, "intra.example.com", "198.51.100.30", 60)
    syn_denied(c, Tcp(c, H4, 40021, "198.51.100.30", 8080), "drop", "unknown_egress",
               "intra.example.com -> 198.51.100.30, outside intra's to: a rule with to "
               "matches by address only, and no rule without to names port 8080")
    return c


def case41():
    pol = """
-- 41-names-expiry: HTTPS to *.example.com by name; the default DNS timings
-- (min_ttl 5, max_ttl 300, grace 30).
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
"""
    c = Case("41-names-expiry", pol, about="""
Names expire on the packet clock (times: seconds after the first frame).
a.example.com TTL 10 at t=0: a flow at t=5 is allowed (live); at t=15 the
entry has expired but is in its grace (30 s) and the t=5 flow is open:
allowed.  Both close by t=17 (gone at t=27); at t=30, still inside the grace
but with no flow of the owner to the address: dns_expired; at t=60, after the
grace: dns_expired.  TTL 0 (b.example.com, t=100) counts as 1 s and is
raised to min_ttl 5: allowed at t=103, expired at t=140.  TTL 86400
(c.example.com, t=200) is cut to max_ttl 300: allowed at t=480, expired at
t=560.  A flow dropped for its SNI (d.example.com, t=600) does not keep the
name in its grace: at t=620 dns_expired.""")
    P = "198.51.100.%d"
    lookup(c, 33001, 0x0001, "a.example.com", P % 20, 10, at=0)
    a = Tcp(c, H4, 40001, P % 20, 443, cisn=1000, sisn=51000)
    tls_named(c, a, "web", "a.example.com", True,
              "SNI a.example.com; the entry lives until t=10", at=5)
    b = Tcp(c, H4, 40002, P % 20, 443, cisn=2000, sisn=52000)
    tls_named(c, b, "web", "a.example.com", True,
              "t=15: expired at t=10, in its grace until t=40, and the owner's "
              "flow of frame 3 to 198.51.100.20 is open", at=15,
              why="t=15, expired 5 s ago, in grace while the t=5 flow is open")
    close_fin(c, a, "web", at=16)
    close_rst(c, b, "web", at=17)
    syn_denied(c, Tcp(c, H4, 40003, P % 20, 443), "drop", "dns_expired",
               "t=30: in the grace window, but both flows to 198.51.100.20 closed "
               "(gone at t=26 and t=27): no flow keeps the name", at=30)
    syn_denied(c, Tcp(c, H4, 40004, P % 20, 443), "drop", "dns_expired",
               "t=60: expired at t=10, grace over at t=40", at=60, retx=True)
    # TTL 0 -> 1 s -> min_ttl 5
    lookup(c, 33002, 0x0002, "b.example.com", P % 21, 0, at=100,
           prose="b.example.com -> 198.51.100.21, TTL 0: 1 s, raised to min_ttl 5")
    t = Tcp(c, H4, 40005, P % 21, 443, cisn=3000, sisn=53000)
    tls_named(c, t, "web", "b.example.com", True,
              "SNI b.example.com at t=103: live until t=105 (min_ttl)", at=103,
              why="t=103: TTL 0 raised to 5 s, live")
    close_rst(c, t, "web")
    syn_denied(c, Tcp(c, H4, 40006, P % 21, 443), "drop", "dns_expired",
               "t=140: expired at t=105, grace over at t=135", at=140)
    # TTL 86400 -> max_ttl 300
    lookup(c, 33003, 0x0003, "c.example.com", P % 22, 86400, at=200,
           prose="c.example.com -> 198.51.100.22, TTL 86400: cut to max_ttl 300")
    t = Tcp(c, H4, 40007, P % 22, 443, cisn=4000, sisn=54000)
    tls_named(c, t, "web", "c.example.com", True,
              "SNI c.example.com at t=480: live until t=500", at=480,
              why="t=480, 280 s after the answer: live")
    close_rst(c, t, "web")
    syn_denied(c, Tcp(c, H4, 40008, P % 22, 443), "drop", "dns_expired",
               "t=560: 360 s after the answer; max_ttl 300 and the grace are over "
               "(the TTL of 86400 would still hold)", at=560)
    # a dropped flow is not a flow allowed by name
    lookup(c, 33004, 0x0004, "d.example.com", P % 24, 10, at=600)
    t = Tcp(c, H4, 40009, P % 24, 443, cisn=5000, sisn=55000)
    tls_named(c, t, "web", "e.example.com", False,
              "SNI e.example.com: nobody resolved it to 198.51.100.24 (sni_mismatch)",
              at=601)
    syn_denied(c, Tcp(c, H4, 40010, P % 24, 443), "drop", "dns_expired",
               "t=620: expired at t=610, in the grace window; the only flow to "
               "198.51.100.24 was dropped, it is not one allowed by name", at=620)
    return c


def case42():
    pol = """
-- 42-names-ttl-clamp: HTTPS to *.example.com by name; DNS timings set.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { min_ttl = 20, max_ttl = 60, grace = 10 },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
"""
    c = Case("42-names-ttl-clamp", pol, about="""
The DNS timings from the policy: dns = { min_ttl = 20, max_ttl = 60,
grace = 10 } (times: seconds after the first frame).  TTL 0 (x.example.com,
t=0) is raised to 20 s: allowed at t=15, expired at t=40.  TTL 3600
(y.example.com, t=100) is cut to 60 s: allowed at t=150, expired at t=175.
TTL 30 (z.example.com, t=200) is kept: a flow at t=220 (live) stays open; at
t=235 the entry is in its 10 s grace with that flow open: allowed; at t=245
the grace is over, open flow or not: dns_expired.""")
    P = "198.51.100.%d"
    lookup(c, 33001, 0x0001, "x.example.com", P % 20, 0, at=0,
           prose="x.example.com -> 198.51.100.20, TTL 0: raised to min_ttl 20")
    t = Tcp(c, H4, 40001, P % 20, 443, cisn=1000, sisn=51000)
    tls_named(c, t, "web", "x.example.com", True,
              "SNI x.example.com at t=15: live until t=20", at=15,
              why="t=15: live under min_ttl 20 (expired with the default 5)")
    close_rst(c, t, "web")
    syn_denied(c, Tcp(c, H4, 40002, P % 20, 443), "drop", "dns_expired",
               "t=40: expired at t=20, grace (10 s) over at t=30", at=40)
    lookup(c, 33002, 0x0002, "y.example.com", P % 21, 3600, at=100,
           prose="y.example.com -> 198.51.100.21, TTL 3600: cut to max_ttl 60")
    t = Tcp(c, H4, 40003, P % 21, 443, cisn=2000, sisn=52000)
    tls_named(c, t, "web", "y.example.com", True,
              "SNI y.example.com at t=150: live until t=160", at=150,
              why="t=150: live under max_ttl 60")
    close_rst(c, t, "web")
    syn_denied(c, Tcp(c, H4, 40004, P % 21, 443), "drop", "dns_expired",
               "t=175: expired at t=160, grace over at t=170 (TTL 3600 would hold)",
               at=175)
    lookup(c, 33003, 0x0003, "z.example.com", P % 22, 30, at=200)
    a = Tcp(c, H4, 40005, P % 22, 443, cisn=3000, sisn=53000)
    tls_named(c, a, "web", "z.example.com", True,
              "SNI z.example.com at t=220: live until t=230", at=220,
              why="t=220: live")
    b = Tcp(c, H4, 40006, P % 22, 443, cisn=4000, sisn=54000)
    tls_named(c, b, "web", "z.example.com", True,
              "t=235: expired at t=230, in its 10 s grace, the t=220 flow open",
              at=235, why="t=235: in grace while the t=220 flow is open")
    syn_denied(c, Tcp(c, H4, 40007, P % 22, 443), "drop", "dns_expired",
               "t=245: the grace ended at t=240, though two flows to "
               "198.51.100.22 are open", at=245)
    c.add(a.pkt("c", "PA", b"\x17\x03\x03\x00\x05later"), "accept established web dir=out",
          "the t=220 flow goes on: an expired name ends no open flow")
    return c


POLICY_NAMES = """
-- {name}: HTTPS to *.example.com by name{what}
return {{
  {extra}local_nets = {{ "10.1.0.0/16" }},
  egress = {{
    {{ name = "dns", proto = "udp", port = 53, to = "203.0.113.5" }},
    {{ name = "web", proto = "tcp", port = 443, host = {{ "*.example.com" }} }},
  }},
}}
"""


def case43():
    c = Case("43-names-cname", POLICY_NAMES.format(
        name="43-names-cname", what=".", extra=""), about="""
CNAME chains (times: seconds after the first frame).  www2.example.com CNAME
edge.cdn.net (TTL 300) CNAME e1.cdn.net (60) A 198.51.100.30 (120) is learnt
for the question, www2.example.com, with the lowest TTL, 60: a flow at t=30
is allowed; a ClientHello naming the chain's end, e1.cdn.net, is not the name
resolved (sni_mismatch); at t=100 (expired at 60, grace over at 90)
dns_expired.  A chain of 4 CNAMEs is followed; one of 5 is too deep and the
answer is ignored: no_dns_provenance.""")
    P = "198.51.100.%d"
    q = "www2.example.com"
    lookup(c, 33001, 0x0001, q, None, None, at=0,
           records=cname_chain(q, ["edge.cdn.net", "e1.cdn.net"], "A", P % 30,
                               [300, 60, 120]),
           prose="www2.example.com CNAME edge.cdn.net (300) CNAME e1.cdn.net (60) "
           "A 198.51.100.30 (120): www2.example.com -> 198.51.100.30, TTL 60")
    t = Tcp(c, H4, 40001, P % 30, 443, cisn=1000, sisn=51000)
    tls_named(c, t, "web", q, True,
              "SNI www2.example.com, the question of the chain", at=30,
              why="t=30: www2.example.com, live until t=60")
    close_rst(c, t, "web")
    t = Tcp(c, H4, 40002, P % 30, 443, cisn=2000, sisn=52000)
    tls_named(c, t, "web", "e1.cdn.net", False,
              "SNI e1.cdn.net: the address was learnt for the question only "
              "(and *.example.com does not name it)", at=32)
    syn_denied(c, Tcp(c, H4, 40003, P % 30, 443), "drop", "dns_expired",
               "t=100: the chain's TTL is 60 (not 120, the A record's): expired at "
               "t=60, grace over at t=90", at=100)
    # 4 CNAMEs: followed
    q = "q4.example.com"
    lookup(c, 33002, 0x0002, q, None, None, at=200,
           records=cname_chain(q, ["c%d.cdn.net" % i for i in range(1, 5)], "A",
                               P % 31, [60] * 5),
           prose="q4.example.com CNAME c1 .. c4.cdn.net (4 CNAMEs) A 198.51.100.31: "
           "4 deep, followed")
    tls_named(c, Tcp(c, H4, 40004, P % 31, 443, cisn=3000, sisn=53000), "web", q, True,
              "SNI q4.example.com, learnt through 4 CNAMEs")
    # 5 CNAMEs: ignored
    q = "q5.example.com"
    c.add(dns_q(c, H4, 33003, DNS4, 0x0003, q), "accept allowed dns dir=out",
          tag(dns_qname=q) + "A q5.example.com")
    c.add(dns_answer(c, DNS4, H4, 33003, 0x0003, q,
                     cname_chain(q, ["d%d.cdn.net" % i for i in range(1, 6)], "A",
                                 P % 32, [60] * 6)),
          "accept established dns dir=in", tag(dns_qname=q) +
          "q5.example.com CNAME d1 .. d5.cdn.net (5 CNAMEs) A 198.51.100.32: deeper "
          "than 4, the answer is ignored (the packet still passes)")
    syn_denied(c, Tcp(c, H4, 40005, P % 32, 443), "drop", "no_dns_provenance",
               "198.51.100.32: the answer that named it was ignored")
    return c


def case44():
    c = Case("44-names-ignored", POLICY_NAMES.format(
        name="44-names-ignored", what="; unknown egress is rejected.",
        extra='unknown_egress = "reject",\n  '), about="""
Answers that teach nothing.  An answer to www3.example.com that also carries
an A record for evil.example.com (off the chain from the question) is
ignored whole: neither address is open.  So is one with a CNAME off the
chain (other.example.net CNAME www5.example.com), one with rcode SERVFAIL
that carries an A record, an answer from outside that no query asked for
(unsolicited), and the answer to a query that was dropped (to a resolver no
rule allows).  An answer whose authority and additional sections hold other
names (NS and its glue) is learnt: those are not the answer.  unknown_egress
= "reject": the drops for want of provenance are rejects too.""")
    P = "198.51.100.%d"
    R = "reject no_dns_provenance - dir=out"
    q = "www3.example.com"
    c.add(dns_q(c, H4, 33001, DNS4, 0x0001, q), "accept allowed dns dir=out",
          tag(dns_qname=q) + "A www3.example.com")
    c.add(dns_answer(c, DNS4, H4, 33001, 0x0001, q,
                     [(q, "A", 60, P % 40), ("evil.example.com", "A", 60, P % 41)]),
          "accept established dns dir=in", tag(dns_qname=q) +
          "www3 A 198.51.100.40 and evil.example.com A 198.51.100.41: a record off "
          "the chain, the whole answer is ignored")
    c.add(Tcp(c, H4, 40001, P % 40, 443).syn(), R,
          "198.51.100.40: the answer naming it was ignored; the policy rejects")
    c.add(Tcp(c, H4, 40002, P % 41, 443).syn(), R,
          "198.51.100.41: the same, also under its smuggled name")
    q = "www5.example.com"
    c.add(dns_q(c, H4, 33002, DNS4, 0x0002, q), "accept allowed dns dir=out",
          tag(dns_qname=q) + "A www5.example.com")
    c.add(dns_answer(c, DNS4, H4, 33002, 0x0002, q,
                     [("other.example.net", "CNAME", 60, q), (q, "A", 60, P % 42)]),
          "accept established dns dir=in", tag(dns_qname=q) +
          "other.example.net CNAME www5.example.com, then www5 A 198.51.100.42: "
          "the CNAME does not start from the question, off the chain: ignored")
    c.add(Tcp(c, H4, 40003, P % 42, 443).syn(), R, "198.51.100.42: ignored answer")
    q = "www6.example.com"
    c.add(dns_q(c, H4, 33003, DNS4, 0x0003, q), "accept allowed dns dir=out",
          tag(dns_qname=q) + "A www6.example.com")
    c.add(dns_answer(c, DNS4, H4, 33003, 0x0003, q, [(q, "A", 60, P % 43)], rcode=2),
          "accept established dns dir=in", tag(dns_qname=q) +
          "rcode 2 (SERVFAIL) with an A record 198.51.100.43: only rcode 0 teaches")
    c.add(Tcp(c, H4, 40004, P % 43, 443).syn(), R, "198.51.100.43: not learnt")
    q = "www7.example.com"
    c.add(dns_answer(c, DNS4, H4, 33999, 0x0004, q, [(q, "A", 60, P % 44)]),
          "drop unsolicited_inbound - dir=in",
          "www7.example.com A 198.51.100.44, a forged answer from 203.0.113.5:53 to a port no query used: no flow, "
          "not learnt")
    c.add(Tcp(c, H4, 40005, P % 44, 443).syn(), R, "198.51.100.44: not learnt")
    q = "www9.example.com"
    c.add(dns_q(c, H4, 33004, "203.0.113.66", 0x0005, q),
          "reject unknown_egress - dir=out", tag(dns_qname=q) +
          "a query to 203.0.113.66: rule dns names 203.0.113.5 only")
    c.add(dns_answer(c, "203.0.113.66", H4, 33004, 0x0005, q, [(q, "A", 60, P % 46)]),
          "reject unknown_egress - dir=in", tag(dns_qname=q) +
          "its answer: a packet of a refused flow keeps its verdict, and is not learnt")
    c.add(Tcp(c, H4, 40006, P % 46, 443).syn(), R, "198.51.100.46: not learnt")
    q = "www8.example.com"
    c.add(dns_q(c, H4, 33005, DNS4, 0x0006, q), "accept allowed dns dir=out",
          tag(dns_qname=q) + "A www8.example.com")
    c.add(dns_answer(c, DNS4, H4, 33005, 0x0006, q, [(q, "A", 60, P % 45)],
                     ns=[("example.com", "NS", 3600, "ns1.example.net")],
                     ar=[("ns1.example.net", "A", 3600, "192.0.2.53")]),
          "accept established dns dir=in", tag(dns_qname=q) +
          "www8 A 198.51.100.45, with NS example.com and glue ns1.example.net A "
          "192.0.2.53 in the authority and additional sections: learnt")
    tls_named(c, Tcp(c, H4, 40007, P % 45, 443, cisn=1000, sisn=51000), "web", q, True,
              "SNI www8.example.com: learnt")
    c.add(Tcp(c, H4, 40008, "192.0.2.53", 443).syn(), R,
          "192.0.2.53, the glue address: additional records teach nothing")
    return c


def case45():
    pol = """
-- 45-names-sni-host: web and HTTPS to *.example.com, ssh to git.example.com,
-- by name.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = { 80, 443 }, host = { "*.example.com" } },
    { name = "ssh", proto = "tcp", port = 22, host = { "git.example.com" } },
  },
}
"""
    c = Case("45-names-sni-host", pol, about="""
A flow allowed by name must then say a name its owner resolved to that
address: over TLS the SNI, over HTTP the Host (lower-cased, port stripped).
www.example.com and cdn.example.com both resolve to 198.51.100.20 (a shared
CDN address), other.example.com to 198.51.100.21.  To 198.51.100.20: SNI www
or cdn (in any case) is allowed; SNI other.example.com (resolved, but to
another address) and a ClientHello without SNI are sni_mismatch, on the
segment that completes the hello.  Over HTTP on port 80: Host www (and
"WWW.Example.COM:80") is allowed, Host other.example.com or no Host at all
is host_mismatch.  Neither TLS nor HTTP is accepted: ssh to git.example.com,
whether the server or the client speaks first.""")
    W, O, G = WWW4, "198.51.100.21", "198.51.100.22"
    lookup(c, 33001, 0x0001, "www.example.com", W, 300)
    lookup(c, 33001, 0x0002, "cdn.example.com", W, 300, first=False)
    lookup(c, 33001, 0x0003, "other.example.com", O, 300, first=False)
    lookup(c, 33001, 0x0004, "git.example.com", G, 300, first=False)
    port = [40000]

    def flow(dst, dport):
        port[0] += 1
        n = port[0] - 40000
        return Tcp(c, H4, port[0], dst, dport, cisn=1000 * n, sisn=50000 + n)

    tls_named(c, flow(W, 443), "web", "www.example.com", True,
              "SNI www.example.com, resolved to 198.51.100.20")
    tls_named(c, flow(W, 443), "web", "cdn.example.com", True,
              "SNI cdn.example.com, also resolved to 198.51.100.20")
    tls_named(c, flow(W, 443), "web", "WWW.Example.COM", True,
              "SNI WWW.Example.COM: names are compared without case")
    # other.example.com, the hello over two segments
    t = flow(W, 443)
    open_named(c, t, "web")
    hello = tls_records(client_hello(sni="other.example.com", alpn=("h2",), seed="45-o"))
    c.add(client_data(t, hello[:90]), "accept allowed web dir=out",
          tag(pending=True) + "the first 90 bytes of the ClientHello: the SNI is "
          "not read yet")
    c.add(client_data(t, hello[90:]), "drop sni_mismatch web dir=out",
          tag(tls_sni="other.example.com", tls_alpn="h2") +
          "the rest completes the hello: other.example.com was resolved to "
          "198.51.100.21, not to this address")
    after_verdict(c, t, "web", False, "sni_mismatch", hello[90:], 90)
    tls_named(c, flow(W, 443), "web", None, False,
              "no server_name extension: no name to hold the flow to")
    tls_named(c, flow(O, 443), "web", "other.example.com", True,
              "SNI other.example.com to 198.51.100.21, the address it resolved to")

    def http(dst, req, ok, host, prose):
        t = flow(dst, 80)
        open_named(c, t, "web")
        c.add(client_data(t, req),
              ("accept allowed web" if ok else "drop host_mismatch web") + " dir=out",
              tag(http_host=host, http_method="GET") + prose)
        after_verdict(c, t, "web", ok, "host_mismatch", req, 0)

    http(W, b"GET / HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n", True,
         "www.example.com", "the request head: Host www.example.com")
    http(W, b"GET / HTTP/1.1\r\nHost: WWW.Example.COM:80\r\n\r\n", True,
         "WWW.Example.COM:80", "Host WWW.Example.COM:80: lower-cased, port stripped")
    http(W, b"GET / HTTP/1.1\r\nHost: other.example.com\r\n\r\n", False,
         "other.example.com", "Host other.example.com: resolved, but to 198.51.100.21")
    http(W, b"GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", False, None,
         "HTTP/1.0 without a Host: no name to hold the flow to")
    # ssh: neither TLS nor HTTP
    t = flow(G, 22)
    open_named(c, t, "ssh")
    c.add(t.pkt("s", "PA", b"SSH-2.0-OpenSSH_9.2\r\n"), "accept allowed ssh dir=in",
          "the server speaks first: no TLS or HTTP will come, nothing to hold a "
          "name to: accepted")
    c.add(t.pkt("c", "PA", b"SSH-2.0-OpenSSH_9.6\r\n"), "accept established ssh dir=out",
          "the client's banner")
    t = flow(G, 22)
    open_named(c, t, "ssh")
    c.add(client_data(t, b"SSH-2.0-OpenSSH_9.6\r\n"), "accept allowed ssh dir=out",
          "the client speaks first, an ssh banner: neither TLS nor HTTP, accepted")
    c.add(t.pkt("s", "PA", b"SSH-2.0-OpenSSH_9.2\r\n"), "accept established ssh dir=in",
          "the server's banner")
    syn_denied(c, flow(W, 22), "drop", "no_dns_provenance",
               "tcp/22 to 198.51.100.20: resolved, but for www and cdn, which rule "
               "ssh does not name")
    return c


def case46():
    pol = """
-- 46-names-dns-policing: names in host rules may be asked for, A and AAAA only.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "dnstcp", proto = "tcp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443,
      host = { "*.example.com", "api.example.org", "**.corp.example.net" } },
  },
}
"""
    c = Case("46-names-dns-policing", pol, about="""
DNS policing (the policy has host rules, no dns table): a query must be of
type A or AAAA and for a name some host rule names (*. one label, **. one or
more, the apex never implied, no case).  A query that is not is dropped,
dns_denied, that query alone: the socket's flow goes on, established, also
when the refused query was its first packet.  Over TCP the same, per
message.""")
    S = 33001
    lookup(c, S, 0x0001, "www.example.com", WWW4, 60)
    c.add(dns_q(c, H4, S, DNS4, 0x0002, "www.example.com", "TXT"),
          "drop dns_denied dns dir=out", tag(dns_qname="www.example.com") +
          "TXT: not A or AAAA, and the policy has no dns.qtypes")
    c.add(dns_q(c, H4, S, DNS4, 0x0003, "api.example.org"),
          "accept established dns dir=out", tag(dns_qname="api.example.org") +
          "an A query on the same socket: the flow went on")
    c.add(dns_q(c, H4, S, DNS4, 0x0004, "www.example.com", "AAAA"),
          "accept established dns dir=out", tag(dns_qname="www.example.com") + "AAAA")
    # a refused first query, then the socket goes on
    c.add(dns_q(c, H4, 33002, DNS4, 0x0005, "www.example.com", "MX"),
          "drop dns_denied dns dir=out", tag(dns_qname="www.example.com") +
          "MX as a new socket's first query: refused, but the flow is rule dns's")
    lookup(c, 33002, 0x0006, "www.example.com", WWW4, 60, first=False)
    denied = [
        ("evil.test", "A", "no host rule names evil.test"),
        ("example.com", "A", "the apex: *.example.com does not imply it"),
        ("a.b.example.com", "A", "two labels: *. is exactly one"),
        ("corp.example.net", "A", "the apex: **.corp.example.net does not imply it"),
        ("www.example.com", "HTTPS", "HTTPS (65): not in dns.qtypes"),
        ("www.example.com", 255, "ANY (255)"),
    ]
    qid = 0x0010
    for i, (name, qt, prose) in enumerate(denied):
        qid += 1
        c.add(dns_q(c, H4, 33010 + i, DNS4, qid, name, qt),
              "drop dns_denied dns dir=out", tag(dns_qname=name) + "%s %s: %s" % (
                  "ANY" if qt == 255 else qt, name, prose))
    allowed = [
        ("WWW.Example.COM", "A", "names are compared without case"),
        ("a.b.corp.example.net", "A", "**. takes two labels"),
        ("x.corp.example.net", "AAAA", "**. takes one"),
    ]
    for i, (name, qt, prose) in enumerate(allowed):
        qid += 1
        c.add(dns_q(c, H4, 33020 + i, DNS4, qid, name, qt),
              "accept allowed dns dir=out", tag(dns_qname=name) +
              "%s %s: %s" % (qt, name, prose))
    # over TCP
    d = Tcp(c, H4, 40001, DNS4, 53, cisn=1000, sisn=51000)
    c.add(d.syn(), "accept allowed dnstcp dir=out", "DNS over TCP: rule dnstcp")
    c.add(d.synack(), "accept established dnstcp dir=in", "SYN-ACK")
    c.add(d.pkt("c", "A"), "accept established dnstcp dir=out", "ACK")
    c.add(d.pkt("c", "PA", dns_tcp(dns_msg(0x0100, "api.example.org", "A", None))),
          "accept established dnstcp dir=out", tag(dns_qname="api.example.org") +
          "A api.example.org: named")
    c.add(d.pkt("s", "PA", dns_tcp(dns_msg(0x0100, "api.example.org", "A",
                                           [("api.example.org", "A", 60,
                                             "198.51.100.25")]))),
          "accept established dnstcp dir=in", tag(dns_qname="api.example.org") +
          "its answer")
    c.add(d.pkt("c", "PA", dns_tcp(dns_msg(0x0101, "evil.test", "A", None))),
          "drop dns_denied dnstcp dir=out", tag(dns_qname="evil.test") +
          "A evil.test on the same connection: refused, this segment only")
    return c


def case47():
    pol = """
-- 47-names-dns-any-name: any name may be asked for; TXT too.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { any_name = true, qtypes = { "TXT" } },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
"""
    c = Case("47-names-dns-any-name", pol, about="""
dns = { any_name = true, qtypes = { "TXT" } }: a query for a name no host
rule names may go, and TXT queries too; other types (MX) are still refused
(dns_denied).  What an unnamed name resolves to opens nothing: a rule
matches only when its owner resolved a name the rule names (no_dns_provenance
for www.example.org's address).""")
    lookup(c, 33001, 0x0001, "www.example.org", "198.51.100.50", 60,
           ask="no host rule names it, but dns.any_name lets it go", prose="www.example.org -> 198.51.100.50 (a name no rule names)")
    syn_denied(c, Tcp(c, H4, 40001, "198.51.100.50", 443), "drop", "no_dns_provenance",
               "198.51.100.50: resolved, but for www.example.org, which rule web does "
               "not name")
    q = "www.example.com"
    c.add(dns_q(c, H4, 33002, DNS4, 0x0002, q, "TXT"), "accept allowed dns dir=out",
          tag(dns_qname=q) + "TXT www.example.com: listed in dns.qtypes")
    c.add(dns_answer(c, DNS4, H4, 33002, 0x0002, q, [(q, "TXT", 60, ["v=spf1 -all"])],
                     qtype="TXT"),
          "accept established dns dir=in", tag(dns_qname=q) +
          "its answer: a TXT record, no address to learn")
    c.add(dns_q(c, H4, 33002, DNS4, 0x0003, q, "MX"), "drop dns_denied dns dir=out",
          tag(dns_qname=q) + "MX: not A, AAAA or TXT (any_name lifts the name rule only)")
    lookup(c, 33002, 0x0004, q, "198.51.100.51", 60, first=False)
    tls_named(c, Tcp(c, H4, 40002, "198.51.100.51", 443, cisn=1000, sisn=51000), "web",
              q, True, "SNI www.example.com, resolved to 198.51.100.51")
    return c


def case48():
    pol = """
-- 48-names-resolvers: DNS (and DoT) to one resolver only.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { resolvers = { "203.0.113.5" } },
  egress = {
    { name = "dns", proto = "udp", port = 53 },
    { name = "dnstcp", proto = "tcp", port = { 53, 853 } },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
"""
    c = Case("48-names-resolvers", pol, about="""
dns.resolvers = { "203.0.113.5" }: the rules let DNS go to any address on
53 (UDP, TCP) and 853 (DoT), but a new flow to those ports to any other
address is dropped dns_denied, the whole flow.  The resolver's own flows are
policed as usual.""")
    lookup(c, 33001, 0x0001, "www.example.com", WWW4, 60)
    tls_named(c, Tcp(c, H4, 40001, WWW4, 443, cisn=1000, sisn=51000), "web",
              "www.example.com", True, "SNI www.example.com")
    O = "203.0.113.77"
    c.add(dns_q(c, H4, 33002, O, 0x0002, "www.example.com"), "drop dns_denied dns dir=out",
          tag(dns_qname="www.example.com") +
          "udp/53 to 203.0.113.77: rule dns holds, but it is not a listed resolver")
    c.add(dns_q(c, H4, 33002, O, 0x0003, "www.example.com"), "drop dns_denied dns dir=out",
          tag(dns_qname="www.example.com") +
          "the same socket again: the whole flow was refused")
    c.add(Tcp(c, H4, 40002, O, 53).syn(), "drop dns_denied dnstcp dir=out",
          "tcp/53 to 203.0.113.77: not a listed resolver")
    t = Tcp(c, H4, 40003, "203.0.113.78", 853)
    c.add(t.syn(), "drop dns_denied dnstcp dir=out",
          "DoT (tcp/853) to 203.0.113.78: not a listed resolver")
    c.add(t.syn_retx(), "drop dns_denied dnstcp dir=out", "its retransmission: the same")
    t = Tcp(c, H4, 40004, DNS4, 853, cisn=2000, sisn=52000)
    c.add(t.syn(), "accept allowed dnstcp dir=out", "DoT to 203.0.113.5, the resolver")
    c.add(t.synack(), "accept established dnstcp dir=in", "SYN-ACK")
    c.add(dns_q(c, H4, 33003, DNS4, 0x0004, "evil.test"), "drop dns_denied dns dir=out",
          tag(dns_qname="evil.test") +
          "to the resolver, but for a name no host rule names")
    return c


def case49():
    pol = """
-- 49-names-private: names may not lead inside, unless a rule says so.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "10.96.0.10" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
    { name = "corp", proto = "tcp", port = 8443, host = { "*.corp.example.com" },
      private = true },
  },
}
"""
    c = Case("49-names-private", pol, about="""
A name that leads to a private (10/8, 172.16/12, 192.168/16, fc00::/7),
loopback, link-local (169.254/16, the cloud metadata address) or CGNAT
(100.64/10) address is refused on rule web: private_address.  Rule corp
says private = true: app.corp.example.com -> 10.0.0.7 is allowed.  The
resolver itself is private (10.96.0.10) but reached by address (to): no
private check.  172.32.0.1 is outside 172.16/12: allowed.""")
    R = "10.96.0.10"
    k = [0]

    def look(name, addr, qtype="A"):
        k[0] += 1
        lookup(c, 33001, k[0], name, addr, 60, qtype=qtype, res=R, first=k[0] == 1)

    refused = [
        ("internal.example.com", "10.0.0.5", "10/8"),
        ("metadata.example.com", "169.254.169.254", "link-local, the metadata address"),
        ("lo.example.com", "127.0.0.1", "loopback"),
        ("cgnat.example.com", "100.64.1.1", "CGNAT 100.64/10"),
        ("rfc.example.com", "172.16.5.5", "172.16/12"),
        ("home.example.com", "192.168.1.1", "192.168/16"),
    ]
    for i, (name, addr, what) in enumerate(refused):
        look(name, addr)
        t = Tcp(c, H4, 40001 + i, addr, 443)
        c.add(t.syn(), "drop private_address web dir=out",
              "tcp/443 to %s, resolved for %s, allowed by name: %s" % (addr, name, what))
        if i == 0:
            c.add(t.syn_retx(), "drop private_address web dir=out",
                  "its retransmission: the same")
    look("internal.example.com", "fd00::5", "AAAA")
    c.add(Tcp(c, H6, 40010, "fd00::5", 443).syn(), "drop private_address web dir=out",
          "v6 tcp/443 to fd00::5 (ULA fc00::/7), resolved for internal.example.com")
    look("edge.example.com", "172.32.0.1")
    tls_named(c, Tcp(c, H4, 40011, "172.32.0.1", 443, cisn=1000, sisn=51000), "web",
              "edge.example.com", True, "172.32.0.1 is not private (172.16/12 ends at "
              "172.31.255.255)")
    look("app.corp.example.com", "10.0.0.7")
    tls_named(c, Tcp(c, H4, 40012, "10.0.0.7", 8443, cisn=2000, sisn=52000), "corp",
              "app.corp.example.com", True, "rule corp has private = true",
              why="tcp/8443 to 10.0.0.7, resolved for app.corp.example.com; corp "
              "says private = true")
    syn_denied(c, Tcp(c, H4, 40013, "10.0.0.5", 8443), "drop", "no_dns_provenance",
               "10.0.0.5:8443: resolved, but for internal.example.com, which corp "
               "does not name")
    return c


def case50():
    pol = """
-- 50-names-subjects: names are learnt per owner (owners from --meta).
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "www.example.com" } },
    { name = "aonly", exe = "/usr/bin/a", proto = "tcp", port = 8443,
      host = { "api.example.com" } },
  },
}
"""
    c = Case("50-names-subjects", pol, args="--meta pcap-tests/50-names-subjects/meta",
             about="""
What DNS told one owner opens nothing to another (owners from the --meta
file, pcap-tests/50-names-subjects/meta; the owner is the cgroup, else the
program, else the uid).  /usr/bin/a resolves www.example.com and connects;
/usr/bin/b (same uid) connects to the same address without a lookup of its
own: no_dns_provenance, and so does a flow the file does not name (the host).
Once b resolves it itself, it may.  Rule aonly holds for /usr/bin/a only: b
gets unknown_egress there, its own lookup or not.  Two programs in one
cgroup (/kubepods/pod1) share their lookups.""")
    P = "198.51.100.%d"
    lookup(c, 33001, 0x0001, "www.example.com", WWW4, 60,
           prose="www.example.com -> 198.51.100.20, for /usr/bin/a (meta)")
    tls_named(c, Tcp(c, H4, 40001, WWW4, 443, cisn=1000, sisn=51000), "web",
              "www.example.com", True, "SNI www.example.com, resolved by a",
              why="/usr/bin/a, which resolved www.example.com to it")
    syn_denied(c, Tcp(c, H4, 40002, WWW4, 443), "drop", "no_dns_provenance",
               "/usr/bin/b to 198.51.100.20: a resolved it, b did not", retx=True)
    syn_denied(c, Tcp(c, H4, 40003, WWW4, 443), "drop", "no_dns_provenance",
               "no meta line: the owner is the host, which resolved nothing")
    lookup(c, 33001, 0x0002, "api.example.com", P % 25, 60, first=False,
           prose="api.example.com -> 198.51.100.25, for a")
    tls_named(c, Tcp(c, H4, 40004, P % 25, 8443, cisn=2000, sisn=52000), "aonly",
              "api.example.com", True, "SNI api.example.com",
              why="/usr/bin/a, which resolved api.example.com to it")
    syn_denied(c, Tcp(c, H4, 40005, P % 25, 8443), "drop", "unknown_egress",
               "/usr/bin/b to 198.51.100.25:8443: aonly's exe does not hold, so no "
               "host rule holds in every other way")
    lookup(c, 33002, 0x0003, "www.example.com", WWW4, 60,
           prose="www.example.com -> 198.51.100.20, for /usr/bin/b now")
    tls_named(c, Tcp(c, H4, 40006, WWW4, 443, cisn=3000, sisn=53000), "web",
              "www.example.com", True, "SNI www.example.com, resolved by b",
              why="/usr/bin/b, after its own lookup")
    lookup(c, 33002, 0x0004, "api.example.com", P % 25, 60, first=False,
           prose="api.example.com -> 198.51.100.25, for b")
    syn_denied(c, Tcp(c, H4, 40007, P % 25, 8443), "drop", "unknown_egress",
               "/usr/bin/b to 198.51.100.25:8443, resolved by b now: aonly is a's alone")
    lookup(c, 33003, 0x0005, "www.example.com", P % 26, 60,
           prose="www.example.com -> 198.51.100.26, for /usr/bin/c in /kubepods/pod1")
    tls_named(c, Tcp(c, H4, 40008, P % 26, 443, cisn=4000, sisn=54000), "web",
              "www.example.com", True, "SNI www.example.com, resolved by c",
              why="/usr/bin/d, in c's cgroup /kubepods/pod1: one owner")
    syn_denied(c, Tcp(c, H4, 40009, P % 26, 443), "drop", "no_dns_provenance",
               "/usr/bin/a to 198.51.100.26: only pod1 resolved a name to it")
    c.extra = {"meta": """# proto src sport dst dport [from=T] [to=T] owner fields (pcap-tests/README.md)
# a and b: one uid, two programs; c and d: one cgroup.  40003 has no line.
udp 10.1.0.5 33001 203.0.113.5 53 pid=201 exe=/usr/bin/a uid=1000 gid=1000
tcp 10.1.0.5 40001 198.51.100.20 443 pid=201 exe=/usr/bin/a uid=1000 gid=1000
tcp 10.1.0.5 40002 198.51.100.20 443 pid=202 exe=/usr/bin/b uid=1000 gid=1000
tcp 10.1.0.5 40004 198.51.100.25 8443 pid=201 exe=/usr/bin/a uid=1000 gid=1000
tcp 10.1.0.5 40005 198.51.100.25 8443 pid=202 exe=/usr/bin/b uid=1000 gid=1000
udp 10.1.0.5 33002 203.0.113.5 53 pid=202 exe=/usr/bin/b uid=1000 gid=1000
tcp 10.1.0.5 40006 198.51.100.20 443 pid=202 exe=/usr/bin/b uid=1000 gid=1000
tcp 10.1.0.5 40007 198.51.100.25 8443 pid=202 exe=/usr/bin/b uid=1000 gid=1000
udp 10.1.0.5 33003 203.0.113.5 53 pid=301 exe=/usr/bin/c uid=2000 cgroup=/kubepods/pod1
tcp 10.1.0.5 40008 198.51.100.26 443 pid=302 exe=/usr/bin/d uid=2001 cgroup=/kubepods/pod1
tcp 10.1.0.5 40009 198.51.100.26 443 pid=201 exe=/usr/bin/a uid=1000 gid=1000
"""}
    return c


def case51():
    pol = """
-- 51-names-ttl-one: HTTPS to *.example.com by name; no floor, no grace.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { min_ttl = 0, grace = 0 },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
"""
    c = Case("51-names-ttl-one", pol, about="""
dns = { min_ttl = 0, grace = 0 }: nothing raises a TTL of 0, which counts
as 1 s.  www.example.com TTL 0 at t=0 (times: seconds after the first
frame): a flow at t=0.5 is allowed; at t=3 the name has expired and, with no
grace, the open t=0.5 flow does not keep it: dns_expired.""")
    lookup(c, 33001, 0x0001, "www.example.com", WWW4, 0, at=0,
           prose="www.example.com -> 198.51.100.20, TTL 0: 1 s")
    tls_named(c, Tcp(c, H4, 40001, WWW4, 443, cisn=1000, sisn=51000), "web",
              "www.example.com", True, "SNI www.example.com", at=0.5,
              why="t=0.5: within the 1 s that TTL 0 counts for")
    syn_denied(c, Tcp(c, H4, 40002, WWW4, 443), "drop", "dns_expired",
               "t=3: expired after 1 s; grace 0, so the open flow of frame 3 "
               "does not keep the name", at=3)
    return c


# ---------------------------------------------------------------------------
# Evasions (cases 52-59): traffic shaped so that the gateway and the host
# behind it could read it differently.  The rules each follows from, besides
# those above (README "Checks", pcap-tests/README.md):
#   - IP fragments are not reassembled.  A first fragment must hold the whole
#     transport header (TCP with its options): else malformed.  A TCP
#     fragment at offset 8 (RFC 1858; RFC 5722 for IPv6) is malformed.  A
#     non-first fragment takes the decision of the last first fragment seen
#     of its datagram (src, dst, IP id, protocol); none: orphan_fragment (a
#     malformed first fragment leaves none);
#   - a client's first fragment on a flow whose check reads its bytes (TCP,
#     DNS, ICMP) and has not run yet, or is still watched, is a check that
#     cannot run: on_check_error (drop by default), reason check_error; a DNS
#     query in fragments where DNS is policed: dns_denied, that query only;
#   - an accepted TCP flow's client bytes are compared until the server
#     answers: a copy that differs is tcp_overlap;
#   - a check on an ICMP rule runs on every echo request of the flow; an
#     accepted one is a new decision (reason allowed); a refusal sticks.

def frag_at(src, dst, proto, fid, off, chunk, more):
    """One IP fragment of datagram fid: chunk at offset off (a multiple of
    8), more fragments after it or not; IPv6 when src has a colon."""
    if ":" in src:
        return (IPv6(src=src, dst=dst, hlim=64 if is_inside(src) else 52, fl=0, tc=0) /
                IPv6ExtHdrFragment(nh=proto, offset=off // 8, m=int(more), id=fid) /
                Raw(chunk))
    return (IP(src=src, dst=dst, id=fid, ttl=64 if is_inside(src) else 52, proto=proto,
               flags="MF" if more else 0, frag=off // 8) / Raw(chunk))


def ip_frags(src, dst, proto, l4, cuts, fid):
    """The transport bytes l4 in fragments of datagram fid, cut at the
    offsets in cuts."""
    ends = list(cuts) + [len(l4)]
    starts = [0] + list(cuts)
    return [frag_at(src, dst, proto, fid, a, l4[a:b], b != len(l4))
            for a, b in zip(starts, ends)]


def l4_bytes(pkt):
    """The transport bytes of an L3 scapy packet (checksums computed)."""
    b = bytes(pkt)
    return b[40:] if b[0] >> 4 == 6 else b[(b[0] & 15) * 4:]


def case52():
    pol = """
-- 52-evasion-frag-header: TCP/443 and UDP/9000 out, IPv4 and IPv6; nothing else.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "api",  proto = "tcp", port = 443,  to = { "198.51.100.0/24", "2001:db8::/32" } },
    { name = "bulk", proto = "udp", port = 9000, to = { "198.51.100.0/24", "2001:db8::/32" } },
  },
}
"""
    c = Case("52-evasion-frag-header", pol, about="""
IP fragments that split or rewrite the transport header, to a port no rule
allows (22, 9001) or on flows the policy allows.  A first fragment too
short for the whole TCP header (8 bytes: the ports; 16: not the flags; 24 of
a 40-byte header with options) is malformed, and so is a TCP fragment at
offset 8, which would rewrite the flags and the data offset (RFC 1858, RFC
5722); the fragments after a malformed first one are orphans.  Overlapping
first fragments that say other ports are each decided on their own ports:
the host behind only ever gets first fragments whose ports a rule allows,
and the later fragments follow the last first fragment seen.  IPv6 the same,
and an IPv6 first fragment that holds only a destination options header.""")
    A4, A6 = API4, API6

    # 1: a SYN to port 22, first fragment of 8 bytes (ports, sequence)
    syn = l4_bytes(c.ip4(H4, A4) / TCP(sport=40001, dport=22, seq=1000, flags="S",
                                       window=64240, options=[("MSS", 1460)]))
    f = ip_frags(H4, A4, 6, syn, [8], 0x5201)
    c.add(f[0], "drop malformed - dir=out",
          "first fragment with 8 bytes of TCP: ports, no flags; the first must "
          "hold the whole transport header")
    c.add(f[1], "drop malformed - dir=out",
          "the rest of that header at offset 8: a TCP fragment at offset 8 "
          "(RFC 1858)")
    # 2: 16 bytes: up to the acknowledgment number, not the offset and flags
    f = ip_frags(H4, A4, 6, syn, [16], 0x5202)
    c.add(f[0], "drop malformed - dir=out",
          "first fragment with 16 bytes of TCP: no data offset, no flags")
    c.add(f[1], "drop orphan_fragment - dir=out",
          "the rest at offset 16: its first fragment was malformed, no "
          "decision to follow")
    # 3: a 40-byte header (options, as Linux sends), 24 bytes in the first
    syn40 = l4_bytes(c.ip4(H4, A4) / TCP(
        sport=40002, dport=22, seq=2000, flags="S", window=64240,
        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                 ("NOP", None), ("WScale", 7)]))
    assert len(syn40) == 40
    f = ip_frags(H4, A4, 6, syn40, [24], 0x5203)
    c.add(f[0], "drop malformed - dir=out",
          "first fragment with 24 of the 40 header bytes: flags there, options "
          "cut: the whole header must be in it")
    c.add(f[1], "drop orphan_fragment - dir=out", "the options, at offset 24: an orphan")
    # 4: an allowed flow whose data segment is fragmented with an overlap
    t = Tcp(c, H4, 40003, A4, 443, cisn=3000, sisn=53000)
    c.add(t.syn(), "accept allowed api dir=out", "SYN to tcp/443: rule api")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "ACK")
    seg = l4_bytes(t.pkt("c", "PA", bytes(range(48))))
    f = ip_frags(H4, A4, 6, seg, [32], 0x5204)
    c.add(f[0], "accept established api dir=out",
          "a data segment's first fragment: header and 12 bytes, on the flow")
    rewrite = bytearray(seg[8:24])
    rewrite[4] = 0x50
    rewrite[5] = 0x04                     # RST, where the header said PSH ACK
    c.add(frag_at(H4, A4, 6, 0x5204, 8, bytes(rewrite), True),
          "drop malformed - dir=out",
          "a fragment at offset 8 that would rewrite the flags to RST: RFC 1858")
    c.add(f[1], "accept established api dir=out",
          "the segment's last fragment: its first was accepted")
    # 5: overlapping first fragments, UDP: 9000 (allowed) then 9001
    u = lambda sport, dport: l4_bytes(  # noqa: E731
        c.ip4(H4, A4) / UDP(sport=sport, dport=dport) / Raw(bytes(40)))
    fa = ip_frags(H4, A4, 17, u(40010, 9000), [16], 0x5205)
    fb = ip_frags(H4, A4, 17, u(40010, 9001), [16], 0x5205)
    c.add(fa[0], "accept allowed bulk dir=out", "first fragment of id 0x5205: udp/9000, rule bulk")
    c.add(fb[0], "drop unknown_egress - dir=out",
          "another first fragment of id 0x5205 saying udp/9001: decided on its "
          "own ports, no rule")
    c.add(fa[1], "drop unknown_egress - dir=out",
          "the datagram's last fragment: it follows the last first fragment "
          "seen (9001, dropped)")
    # and the other order: the refused ports first
    fc = ip_frags(H4, A4, 17, u(40011, 9001), [16], 0x5206)
    fd = ip_frags(H4, A4, 17, u(40011, 9000), [16], 0x5206)
    c.add(fc[0], "drop unknown_egress - dir=out", "first fragment of id 0x5206: udp/9001, no rule")
    c.add(fd[0], "accept allowed bulk dir=out",
          "another first fragment of it saying udp/9000: rule bulk")
    c.add(fc[1], "accept established bulk dir=out",
          "the last fragment follows the 9000 one: the host gets only that "
          "first fragment, so a 9000 datagram")
    # IPv6: an 8-byte first fragment, and its offset-8 rest
    syn6 = l4_bytes(c.ip6(H6, A6) / TCP(sport=40020, dport=22, seq=1000, flags="S",
                                        window=64240, options=[("MSS", 1440)]))
    f = ip_frags(H6, A6, 6, syn6, [8], 0x52000001)
    c.add(f[0], "drop malformed - dir=out", "IPv6 first fragment with 8 bytes of TCP")
    c.add(f[1], "drop malformed - dir=out", "IPv6 TCP fragment at offset 8 (RFC 5722: "
          "it overlaps the header the first must hold)")
    # an allowed IPv6 flow, a data segment with an overlap at offset 8
    t = Tcp(c, H6, 40021, A6, 443, cisn=4000, sisn=54000)
    c.add(t.syn(), "accept allowed api dir=out", "v6 SYN to tcp/443: rule api")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "ACK")
    seg = l4_bytes(t.pkt("c", "PA", bytes(range(48))))
    f = ip_frags(H6, A6, 6, seg, [32], 0x52000002)
    c.add(f[0], "accept established api dir=out", "the first fragment of a data segment")
    rewrite = bytearray(seg[8:24])
    rewrite[5] = 0x04
    c.add(frag_at(H6, A6, 6, 0x52000002, 8, bytes(rewrite), True),
          "drop malformed - dir=out", "a v6 fragment at offset 8 rewriting the flags")
    c.add(f[1], "accept established api dir=out", "the segment's last fragment")
    # IPv6: the header chain split: destination options in the first
    # fragment, TCP in the second
    dst_opts = bytes(IPv6ExtHdrDestOpt(nh=6))
    assert len(dst_opts) == 8
    syn6b = l4_bytes(c.ip6(H6, A6) / TCP(sport=40022, dport=22, seq=1000, flags="S",
                                         window=64240))
    f = ip_frags(H6, A6, 60, dst_opts + syn6b, [8], 0x52000003)
    c.add(f[0], "drop malformed - dir=out",
          "IPv6 first fragment holding a destination options header and no "
          "TCP (RFC 7112: the whole chain must be in it)")
    c.add(f[1], "drop orphan_fragment - dir=out", "the TCP header, at offset 8: an orphan")
    # IPv6 overlapping first fragments: 9000 then 9001
    u6 = lambda sport, dport: l4_bytes(  # noqa: E731
        c.ip6(H6, A6) / UDP(sport=sport, dport=dport) / Raw(bytes(40)))
    fa = ip_frags(H6, A6, 17, u6(40023, 9000), [16], 0x52000004)
    fb = ip_frags(H6, A6, 17, u6(40023, 9001), [16], 0x52000004)
    c.add(fa[0], "accept allowed bulk dir=out", "v6 first fragment: udp/9000, rule bulk")
    c.add(fb[0], "drop unknown_egress - dir=out",
          "another first fragment of that datagram saying udp/9001: no rule")
    c.add(fa[1], "drop unknown_egress - dir=out",
          "the last fragment follows the last first fragment seen")
    return c


def case53():
    pol = """
-- 53-evasion-frag-payload: HTTPS by SNI and DNS under checks; DNS policed
-- (the policy names hosts); a TCP service with no check.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = { "198.51.100.0/24", "2001:db8::/32" },
      host = { "*.example.com" }, check = "checks.sni_matches_host" },
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5", check = "no_tunnel" },
    { name = "dns2", proto = "udp", port = 53, to = "203.0.113.6" },
    { name = "api", proto = "tcp", port = 8443, to = "198.51.100.0/24" },
  },
  checks = { no_tunnel = c.dns_no_tunnel{} },
}
"""
    tunnel = base64.b32encode(det_bytes("53-tunnel", 40)).decode().rstrip("=")[:50].lower()
    tname = tunnel + ".example.com"
    assert shannon(tunnel) > 4.0
    c = Case("53-evasion-frag-payload", pol, about="""
The bytes a check reads, sent in IP fragments: a ClientHello whose SNI is in
the second fragment of its segment, a DNS query whose name is.  IP is not
reassembled, so the check cannot run: on_check_error (drop), reason
check_error, on the first fragment, whatever the name (an allowed SNI too);
the other fragments and the client's unfragmented resend keep that verdict.
A DNS query in fragments on a resolver with no check, where DNS is policed,
is dropped dns_denied, that query alone.  A flow with no check is not read:
its fragments pass.  A fragmented DNS answer is not a client's bytes: it
passes.""")
    W4, W6 = API4, API6
    n = [0]

    def hello_in_fragments(dst, sni, fid):
        n[0] += 1
        t = Tcp(c, H4 if ":" not in dst else H6, 40000 + n[0], dst, 443,
                cisn=1000 * n[0], sisn=50000 + n[0])
        open_checked(c, t, "web")
        hello = tls_records(client_hello(sni=sni, alpn=("h2",), seed="53-%d" % n[0]))
        seg = l4_bytes(t.pkt("c", "PA", hello))
        assert seg.find(sni.encode()) > 72
        f = ip_frags(t.ep["c"][0], dst, 6, seg, [72], fid)
        c.add(f[0], "drop check_error web dir=out", tag(detail="ip fragments") +
              "first fragment: the TCP header and 52 bytes of the ClientHello, "
              "the SNI (%s) in the next fragment: the check cannot read it" % sni)
        c.add(f[1], "drop check_error web dir=out",
              "the second fragment: the verdict of its first")
        c.add(client_data(t, hello, 0), "drop check_error web dir=out",
              "the client sends the segment again, whole: the flow's verdict sticks")

    hello_in_fragments(W4, "evil.test", 0x5301)
    hello_in_fragments(W4, "api.example.com", 0x5302)
    hello_in_fragments(W6, "evil.test", 0x53000003)
    # no check: not read, fragments pass
    t = Tcp(c, H4, 40010, W4, 8443, cisn=9000, sisn=59000)
    c.add(t.syn(), "accept allowed api dir=out", "tcp/8443: rule api, no check")
    c.add(t.synack(), "accept established api dir=in", "SYN-ACK")
    c.add(t.pkt("c", "A"), "accept established api dir=out", "ACK")
    seg = l4_bytes(t.pkt("c", "PA", tls_records(client_hello(sni="evil.test", seed="53-api"))))
    f = ip_frags(H4, W4, 6, seg, [72], 0x5304)
    c.add(f[0], "accept established api dir=out",
          "a fragmented ClientHello on a flow no check reads: its first fragment")
    c.add(f[1], "accept established api dir=out", "and the rest")
    # DNS under a check: the tunnel name in the second fragment
    q = l4_bytes(dns_q(c, H4, 33001, DNS4, 0x0001, tname))
    f = ip_frags(H4, DNS4, 17, q, [24], 0x5305)
    c.add(f[0], "drop check_error dns dir=out", tag(detail="ip fragments") +
          "a query's first fragment: UDP header and the DNS header, the name "
          "in the next one: no_tunnel cannot read it")
    c.add(f[1], "drop check_error dns dir=out", "the name (50 base32 characters): its first's verdict")
    c.add(dns_q(c, H4, 33002, DNS4, 0x0002, "www.example.com"), "accept allowed dns dir=out",
          tag(dns_qname="www.example.com") + "a whole query from another socket: checked, passes")
    # DNS policed, no check: a fragmented query is refused, the flow goes on
    q = l4_bytes(dns_q(c, H4, 33003, "203.0.113.6", 0x0003, "www.example.com"))
    f = ip_frags(H4, "203.0.113.6", 17, q, [16], 0x5306)
    c.add(f[0], "drop dns_denied dns2 dir=out",
          "a query in fragments to a resolver with no check: DNS is policed "
          "(the policy names hosts) and this query cannot be read")
    c.add(f[1], "drop dns_denied dns2 dir=out", "its second fragment: the same")
    c.add(dns_q(c, H4, 33003, "203.0.113.6", 0x0004, "www.example.com"),
          "accept established dns2 dir=out", tag(dns_qname="www.example.com") +
          "the same socket asks again, whole: a name a host rule names; the "
          "resolver flow was allowed, only the query was refused")
    # a big answer comes in fragments: not a client's bytes
    recs = [("www.example.com", "A", 300, "198.51.100.%d" % (i + 1)) for i in range(120)]
    ans = l4_bytes(dns_answer(c, "203.0.113.6", H4, 33003, 0x0004, "www.example.com", recs))
    assert len(ans) > 1480
    f = ip_frags("203.0.113.6", H4, 17, ans, [1480], 0x5307)
    c.add(f[0], "accept established dns2 dir=in",
          "its answer, 120 addresses, in two fragments: the first")
    c.add(f[1], "accept established dns2 dir=in", "and the second")
    return c


def case54():
    c = Case("54-evasion-tcp-overlap-sni", POLICY_SNI.format(name="54-evasion-tcp-overlap-sni"),
             about="""
A ClientHello whose SNI a second copy of the same TCP bytes changes: the
gateway and the server could each keep another copy (a decoy with a low TTL
that never reaches the server, or a server that keeps the last copy).  Case
32 rewrites part of a segment; here whole segments are sent again.  While
the hello is being read (pending) and after the check accepted it, until the
server answers, a copy that differs is tcp_overlap, the drop sticks, the
server's answer too; the same bytes again are a plain retransmission.  A
copy that comes after the server answered is not compared: the server
acknowledged those bytes and drops a copy of them.  A hello whose first copy
names a refused SNI is dropped by the check, and a second, allowed, copy
changes nothing.""")
    good = tls_records(client_hello(sni="api.example.com", alpn=("h2",), seed="54"))
    evil = tls_records(client_hello(sni="www.evilsite.io", alpn=("h2",), seed="54"))
    assert len(good) == len(evil)
    n = [0]

    def flow():
        n[0] += 1
        t = Tcp(c, H4, 40000 + n[0], API4, 443, cisn=1000 * n[0], sisn=50000 + n[0])
        open_checked(c, t, "web")
        return t

    # 1: accepted, then the whole segment again with another SNI
    t = flow()
    c.add(client_data(t, good, 0), "accept allowed web dir=out",
          tag(tls_sni="api.example.com", tls_alpn="h2") +
          "the ClientHello in one segment: SNI api.example.com, the check accepts")
    c.add(client_data(t, evil, 0), "drop tcp_overlap web dir=out",
          "the same segment again, the SNI now www.evilsite.io: before the "
          "server answered, the bytes are still compared")
    c.add(t.pkt("s", "PA", SERVER_HELLO), "drop tcp_overlap web dir=in",
          "the server's answer: the drop sticks")
    # 2: the first segment of two sent again, other SNI, while pending
    t = flow()
    cut = good.find(b"api.example.com") + 40
    c.add(client_data(t, good[:cut], 0), "accept allowed web dir=out",
          tag(pending=True) + "segment 1 of 2, the SNI api.example.com in it")
    c.add(client_data(t, evil[:cut], 0), "drop tcp_overlap web dir=out",
          "segment 1 again, the SNI now www.evilsite.io")
    c.add(client_data(t, good[cut:], cut), "drop tcp_overlap web dir=out",
          "segment 2: the flow is dropped already")
    # 3: a refused SNI first, then the allowed one
    t = flow()
    c.add(client_data(t, evil, 0), "drop check web dir=out",
          tag(detail="sni_mismatch", tls_sni="www.evilsite.io", tls_alpn="h2") +
          "the hello names www.evilsite.io: the check drops it")
    c.add(client_data(t, good, 0), "drop check web dir=out",
          "the same segment with an allowed SNI: the verdict sticks")
    # 4: the same bytes again, then the server answers, then other bytes
    t = flow()
    c.add(client_data(t, good, 0), "accept allowed web dir=out",
          tag(tls_sni="api.example.com", tls_alpn="h2") + "the hello: accepted")
    c.add(client_data(t, good, 0), "accept established web dir=out",
          "the same segment again: a retransmission")
    t.nxt["c"] = t.cisn + 1 + len(good)
    c.add(t.pkt("s", "PA", SERVER_HELLO), "accept established web dir=in",
          "the server answers: it has the hello; nothing more to compare")
    c.add(client_data(t, evil, 0), "accept established web dir=out",
          "a copy with another SNI after that: not compared (the server "
          "acknowledged those bytes and drops a copy)")
    return c


def case55():
    c = Case("55-evasion-tls-bytewise", POLICY_SNI.format(name="55-evasion-tls-bytewise"),
             about="""
ClientHellos cut as small as they go (case 33 sends an allowed one byte per
TCP segment): a refused SNI one byte per segment, dropped by the check on
the byte that completes the hello; the handshake message in TLS records of
one byte each, all in two segments (allowed) or one record per segment
(refused).  Reassembly over segments and records reads the SNI whole.""")
    # 1: one byte per segment, refused
    rec = tls_records(client_hello(sni="evil.test", alpn=("h2",), seed="55-a", size=300))
    assert len(rec) == 300
    t = Tcp(c, H4, 40001, API4, 443, cisn=1000, sisn=51000)
    open_checked(c, t, "web")
    for i in range(len(rec)):
        last = i == len(rec) - 1
        if last:
            c.add(client_data(t, rec[i:i + 1]), "drop check web dir=out",
                  tag(detail="sni_mismatch", tls_sni="evil.test", tls_alpn="h2") +
                  "byte 300 of 300 completes the hello: evil.test is not under "
                  "example.com")
        else:
            c.add(client_data(t, rec[i:i + 1]), "accept allowed web dir=out",
                  tag(pending=True) + "byte %d of 300" % (i + 1))
    after_verdict(c, t, "web", False, "check", rec[-1:], len(rec) - 1)
    # 2: one-byte records, two segments, allowed
    hs = client_hello(sni="api.example.com", alpn=("h2",), seed="55-b")
    recs = tls_records(hs, cuts=range(1, len(hs)))
    assert len(recs) == 6 * len(hs)
    half = 6 * (len(hs) // 2)
    t = Tcp(c, H4, 40002, API4, 443, cisn=2000, sisn=52000)
    open_checked(c, t, "web")
    c.add(client_data(t, recs[:half]), "accept allowed web dir=out",
          tag(pending=True) + "%d records of one byte each: the first half of "
          "the %d-byte handshake message" % (len(hs) // 2, len(hs)))
    c.add(client_data(t, recs[half:]), "accept allowed web dir=out",
          tag(tls_sni="api.example.com", tls_alpn="h2") +
          "the other half: the hello is whole, SNI api.example.com")
    after_verdict(c, t, "web", True, None, None, None)
    # 3: one record of one byte per segment, refused
    hs = client_hello(sni="evil.test", seed="55-c")
    t = Tcp(c, H4, 40003, API4, 443, cisn=3000, sisn=53000)
    open_checked(c, t, "web")
    for i in range(len(hs)):
        r = tls_records(hs[i:i + 1])
        if i == len(hs) - 1:
            c.add(client_data(t, r), "drop check web dir=out",
                  tag(detail="sni_mismatch", tls_sni="evil.test") +
                  "the last record completes the hello: evil.test, refused")
        else:
            c.add(client_data(t, r), "accept allowed web dir=out",
                  tag(pending=True) + "record %d of %d, one byte" % (i + 1, len(hs)))
    after_verdict(c, t, "web", False, "check", r, 6 * (len(hs) - 1))
    return c


def case56():
    pol = """
-- 56-evasion-http-host: plain HTTP to *.example.com, by name.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 80, host = { "*.example.com" } },
  },
}
"""
    c = Case("56-evasion-http-host", pol, about="""
The Host of a flow allowed by name, written the ways servers accept: the
field name in any case (hOsT, HOST), the name in any case, with one
trailing dot, with a port, with no space or a tab before it.  Each is the
name www.example.com, which the host resolved to 198.51.100.20: allowed.
Two trailing dots, a percent-encoded dot, or another resolved name are
not that name: host_mismatch.  And heads that servers may read differently
are dropped whatever their Host says: a second Host field in other case
(http_duplicate_host), an absolute target naming another host
(http_host_mismatch), userinfo in the Host (http_bad_host), a first field
line starting with a space (http_obs_fold).""")
    W, O = WWW4, "198.51.100.21"
    lookup(c, 33001, 0x0001, "www.example.com", W, 300)
    lookup(c, 33001, 0x0002, "other.example.com", O, 300, first=False)
    port = [40000]

    def http(req, reason, host, prose):
        port[0] += 1
        n = port[0] - 40000
        t = Tcp(c, H4, port[0], W, 80, cisn=1000 * n, sisn=50000 + n)
        open_named(c, t, "web")
        ok = reason is None
        c.add(client_data(t, req),
              ("accept allowed web" if ok else "drop %s web" % reason) + " dir=out",
              tag(http_host=host, http_method="GET") + prose)
        after_verdict(c, t, "web", ok, reason, req, 0)

    G = b"GET / HTTP/1.1\r\n"
    http(G + b"hOsT: www.example.com\r\n\r\n", None, "www.example.com",
         "\"hOsT:\": field names are case-insensitive")
    http(G + b"HOST: WWW.EXAMPLE.COM\r\n\r\n", None, "WWW.EXAMPLE.COM",
         "\"HOST: WWW.EXAMPLE.COM\": the name is compared lower-cased")
    http(G + b"Host: www.example.com.\r\n\r\n", None, "www.example.com.",
         "a trailing dot: the same name, fully qualified")
    http(G + b"Host: WWW.Example.Com.:8080\r\n\r\n", None, "WWW.Example.Com.:8080",
         "upper case, a trailing dot and a port: the port is taken off")
    http(G + b"Host:www.example.com\r\n\r\n", None, "www.example.com",
         "no space after the colon (it is optional)")
    http(G + b"Host:\twww.example.com \r\n\r\n", None, "www.example.com",
         "a tab before the name, a space after it: trimmed")
    http(G + b"Host: www.example.com..\r\n\r\n", "host_mismatch", "www.example.com..",
         "two trailing dots: only one is taken off, www.example.com. was not resolved")
    http(G + b"Host: www%2eexample.com\r\n\r\n", "host_mismatch", "www%2eexample.com",
         "a percent-encoded dot: not the name as resolved")
    http(G + b"hOsT: other.example.com\r\n\r\n", "host_mismatch", "other.example.com",
         "other.example.com: resolved, but to 198.51.100.21")
    http(G + b"Host: www.example.com\r\nhOsT: evil.test\r\n\r\n", "http_duplicate_host",
         "www.example.com", "a second Host field, in other case")
    http(b"GET http://evil.test/ HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
         "http_host_mismatch", "www.example.com",
         "an absolute target naming evil.test: a server goes by the target")
    http(G + b"Host: www.example.com@evil.test\r\n\r\n", "http_bad_host",
         "www.example.com@evil.test", "userinfo in the Host: not a host name")
    http(G + b" Host: evil.test\r\nHost: www.example.com\r\n\r\n", "http_obs_fold",
         "www.example.com", "a first field line starting with a space: some "
         "servers join it to the request line, some read a Host")
    return c


def case57():
    pol = """
-- 57-evasion-sni-host: HTTPS to 198.51.100.0/24 for *.example.com, by SNI;
-- port 8443 also refuses Encrypted Client Hello.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = "198.51.100.0/24",
      host = { "*.example.com" }, check = "checks.sni_matches_host" },
    { name = "strict", proto = "tcp", port = 8443, to = "198.51.100.0/24",
      host = { "*.example.com" }, check = "sni_no_ech" },
  },
  checks = {
    sni_no_ech = function(ctx)
      local v, r = c.no_ech(ctx)
      if v then return v, r end
      return c.sni_matches_host(ctx)
    end,
  },
}
"""
    c = Case("57-evasion-sni-host", pol, about="""
A ClientHello whose SNI is allowed, for a request that names another host
later.  checks.sni_matches_host holds the SNI against the rule's host names,
and nothing else: the HTTP Host travels inside TLS, which the gateway does
not decrypt, so a request for evil.test behind an allowed SNI (domain
fronting) passes, and so does a hello whose real name is in an Encrypted
Client Hello behind an allowed outer SNI.  A check that also refuses ECH
(no_ech, then sni_matches_host, on port 8443) closes the second; only the
server can refuse the first.  A refused SNI, and plain HTTP on the TLS rule
(not_tls), are dropped whatever the Host says.""")
    n = [0]

    def flow(port, rule):
        n[0] += 1
        t = Tcp(c, H4, 40000 + n[0], API4, port, cisn=1000 * n[0], sisn=50000 + n[0])
        open_checked(c, t, rule)
        return t

    def hello(t, rule, sni, ech, ok, detail, prose):
        h = tls_records(client_hello(sni=sni, alpn=("h2",), ech=ech,
                                     seed="57-%d" % n[0]))
        c.add(client_data(t, h),
              ("accept allowed %s" if ok else "drop check %s") % rule + " dir=out",
              tag(detail=detail, tls_sni=sni, tls_alpn="h2") + prose)
        return h

    # domain fronting: the SNI allowed, the Host inside TLS another
    t = flow(443, "web")
    hello(t, "web", "api.example.com", False, True, None,
          "SNI api.example.com: under *.example.com, accepted")
    c.add(t.pkt("s", "PA", SERVER_HELLO), "accept established web dir=in",
          "the server answers")
    inner = b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n"
    c.add(t.pkt("c", "PA", b"\x17\x03\x03" + struct.pack("!H", len(inner) + 17) +
                det_bytes("57-appdata", len(inner) + 17)),
          "accept established web dir=out",
          "application data: a request for Host evil.test, encrypted; the "
          "gateway read the SNI, it cannot read this")
    t = flow(443, "web")
    h = hello(t, "web", "evil.test", False, False, "sni_mismatch",
              "SNI evil.test, whatever the Host inside will say")
    after_verdict(c, t, "web", False, "check", h, 0)
    # Encrypted Client Hello: an allowed outer SNI, the real name encrypted
    t = flow(443, "web")
    h = hello(t, "web", "api.example.com", True, True, None,
              "an allowed outer SNI and an ECH extension: the real name is in "
              "it, encrypted; sni_matches_host reads the outer one")
    after_verdict(c, t, "web", True, None, h, 0)
    t = flow(8443, "strict")
    h = hello(t, "strict", "api.example.com", True, False, "ech",
              "the same hello on port 8443: no_ech refuses it first")
    after_verdict(c, t, "strict", False, "check", h, 0)
    t = flow(8443, "strict")
    h = hello(t, "strict", "api.example.com", False, True, None,
              "without ECH: the SNI decides, accepted")
    after_verdict(c, t, "strict", True, None, h, 0)
    t = flow(8443, "strict")
    h = hello(t, "strict", "evil.test", False, False, "sni_mismatch",
              "without ECH, SNI evil.test: refused")
    after_verdict(c, t, "strict", False, "check", h, 0)
    # plain HTTP on the TLS rule: a Host, no SNI
    t = flow(443, "web")
    req = b"GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
    c.add(client_data(t, req), "drop check web dir=out",
          tag(detail="not_tls", http_host="api.example.com", http_method="GET") +
          "plain HTTP whose Host is allowed: sni_matches_host needs an SNI, "
          "not a Host")
    after_verdict(c, t, "web", False, "check", req, 0)
    return c


def ping_data(kind, size=56, seed=""):
    """Echo data as ping programs fill it (fixed timestamps)."""
    if kind == "iputils":        # Linux: a 16-byte timeval, then 0x10, 0x11, ...
        return (struct.pack("<QQ", 1700000000, 123456) +
                bytes(i & 0xFF for i in range(16, size)))[:size]
    if kind == "bsd":            # BSD and macOS: 8 bytes of time, then 0x08, ...
        return (struct.pack("<II", 1700000000, 123456) +
                bytes(i & 0xFF for i in range(8, size)))[:size]
    if kind == "windows":        # "abcdefghijklmnopqrstuvw" over and over
        return bytes(ord("a") + i % 23 for i in range(size))
    if kind == "pattern":        # ping -p ff
        return struct.pack("<QQ", 1700000000, 123456) + b"\xff" * (size - 16)
    if kind == "random":         # a tunnel: another packet, or ciphertext
        return det_bytes("58-" + seed, size)
    raise ValueError(kind)


def case58():
    pol = """
-- 58-evasion-icmp-tunnel: ping out, each echo request held to a ping's shape.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "ping",  proto = "icmp",   to = "198.51.100.0/24", check = "no_tunnel" },
    { name = "ping6", proto = "icmpv6", to = "2001:db8::/32",   check = "no_tunnel" },
    { name = "mtu",   proto = "icmp",   to = "203.0.113.0/24",  check = "mtu_probe" },
  },
  checks = {
    no_tunnel = c.icmp_no_tunnel{},                   -- data up to 128 bytes
    mtu_probe = c.icmp_no_tunnel{ max_len = 1472 },   -- ping -s 1472 -M do
  },
}
"""
    c = Case("58-evasion-icmp-tunnel", pol, about="""
checks.icmp_no_tunnel on ICMP rules: the engine runs a check on every echo
request of the flow (an accepted one: reason allowed, a new decision), with
ctx.icmp (type, code, id, seq, len) and ctx.payload (the data's first 256
bytes).  Echo requests as Linux, BSD/macOS and Windows ping fill them, and
ping -p, pass; data longer than max_len (128 here; 1472 on the mtu rule) is
icmp_long, data of another shape (a tunnel's packets or ciphertext) is
icmp_payload; the refusal sticks to the flow (its echo id), also for a
flow that started with plain pings.  Replies are not checked.  A large
ping in IP fragments cannot be checked: check_error.""")
    A = API4

    def echo(src, dst, eid, seq, data, reply=False):
        if ":" in src:
            cls = ICMPv6EchoReply if reply else ICMPv6EchoRequest
            return c.ip6(src, dst) / cls(id=eid, seq=seq, data=data)
        return c.ip4(src, dst) / ICMP(type=0 if reply else 8, id=eid, seq=seq) / Raw(data)

    d = ping_data("iputils")
    c.add(echo(H4, A, 0x1001, 1, d), "accept allowed ping dir=out",
          "Linux ping, 56 bytes: the check runs, a timestamp then counting bytes")
    c.add(echo(A, H4, 0x1001, 1, d, True), "accept established ping dir=in",
          "its reply: not checked")
    c.add(echo(H4, A, 0x1001, 2, d), "accept allowed ping dir=out",
          "the next echo request: checked again, accepted again")
    c.add(echo(A, H4, 0x1001, 2, d, True), "accept established ping dir=in", "its reply")
    c.add(echo(H4, A, 0x1002, 1, ping_data("windows", 32)), "accept allowed ping dir=out",
          "Windows ping, 32 bytes of abcdefghijklmnopqrstuvwabcdefghi")
    c.add(echo(H4, A, 0x1003, 1, ping_data("bsd")), "accept allowed ping dir=out",
          "macOS ping: 8 bytes of time, then counting bytes")
    c.add(echo(H4, A, 0x1004, 1, ping_data("pattern")), "accept allowed ping dir=out",
          "ping -p ff: the pattern repeated")
    c.add(echo(H4, A, 0x2001, 1, ping_data("random", 1000, "a")), "drop check ping dir=out",
          tag(detail="icmp_long") + "1000 bytes of data: more than max_len 128")
    c.add(echo(H4, A, 0x2001, 2, d), "drop check ping dir=out",
          "a plain ping on that echo id: the flow's drop sticks")
    c.add(echo(H4, A, 0x2002, 1, ping_data("random", 56, "b")), "drop check ping dir=out",
          tag(detail="icmp_payload") + "56 bytes, the size of a ping, but "
          "random-looking: not a ping's fill")
    c.add(echo(H4, A, 0x2003, 1, d), "accept allowed ping dir=out",
          "a flow that starts as a plain ping")
    c.add(echo(H4, A, 0x2003, 2, ping_data("random", 120, "c")), "drop check ping dir=out",
          tag(detail="icmp_payload") + "then 120 bytes of another shape, same "
          "echo id: every echo request is checked")
    c.add(echo(H4, A, 0x2003, 3, d), "drop check ping dir=out",
          "a plain one after that: the drop sticks")
    c.add(echo(A, H4, 0x2003, 2, d, True), "drop check ping dir=in",
          "a reply on that flow: the flow's verdict")
    # IPv6
    c.add(echo(H6, API6, 0x3001, 1, d), "accept allowed ping6 dir=out",
          "ping6 from Linux: the same fill")
    c.add(echo(H6, API6, 0x3002, 1, ping_data("random", 64, "d")), "drop check ping6 dir=out",
          tag(detail="icmp_payload") + "64 random-looking bytes over ICMPv6")
    # the MTU probe rule: large, but a ping's fill
    M = "203.0.113.50"
    c.add(echo(H4, M, 0x4001, 1, ping_data("iputils", 1472)), "accept allowed mtu dir=out",
          "ping -s 1472: 1472 bytes, max_len 1472, counting bytes")
    c.add(echo(H4, M, 0x4002, 1, ping_data("random", 1472, "e")), "drop check mtu dir=out",
          tag(detail="icmp_payload") + "1472 random-looking bytes")
    # a ping too large for one packet, in fragments
    big = l4_bytes(c.ip4(H4, A) / ICMP(type=8, id=0x5001, seq=1) /
                   Raw(ping_data("iputils", 3000)))
    f = ip_frags(H4, A, 1, big, [1480, 2960], 0x5801)
    c.add(f[0], "drop check_error ping dir=out", tag(detail="ip fragments") +
          "ping -s 3000 in three fragments: the first holds 1472 of the 3000 "
          "bytes; IP is not reassembled, the check cannot run")
    c.add(f[1], "drop check_error ping dir=out", "the second: its first's verdict")
    c.add(f[2], "drop check_error ping dir=out", "the third: the same")
    return c


def case59():
    pol = """
-- 59-evasion-dns-txt-flood: two resolvers; one's queries must look like names
-- (dns_no_tunnel), the other's must also be of a listed type (dns_qtypes first).
local c = require "checks"
local qtypes = c.dns_qtypes{ "A", "AAAA", "HTTPS" }
local no_tunnel = c.dns_no_tunnel{}
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "names", proto = "udp", port = 53, to = "203.0.113.6", check = "names" },
    { name = "dns",   proto = "udp", port = 53, to = "203.0.113.5", check = "sane" },
  },
  checks = {
    names = no_tunnel,
    sane = function(ctx)
      local v, r = qtypes(ctx)
      if v then return v, r end
      return no_tunnel(ctx)
    end,
  },
}
"""
    def b32(label, n):
        return base64.b32encode(det_bytes(label, 40)).decode().rstrip("=")[:n].lower()

    def hexl(label, n):
        return det_bytes(label, n).hex()[:n]

    D = "t.example.com"
    h_b32 = shannon(b32("59-x", 63))
    h_hex = shannon(hexl("59-y", 63))
    assert h_b32 > 4.0 and h_hex <= 4.0, (h_b32, h_hex)
    c = Case("59-evasion-dns-txt-flood", pol, about="""
A DNS tunnel's traffic: a flood of TXT queries, each for another long
random-looking name under one domain (t.example.com), iodine-style base32
(about %.2f bits per character) and dnscat2-style hex (at most 4 bits per
character, about %.2f here).  Every query of a checked DNS flow is checked.
Resolver 203.0.113.6 runs dns_no_tunnel{} alone: base32 labels are
dns_entropy, a socket's refusal sticks to it; but hex labels, and labels
shorter than 20 characters, pass: entropy cannot tell them from names.
Resolver 203.0.113.5 runs dns_qtypes{A, AAAA, HTTPS} first: every TXT
query is dns_qtype, whatever its name; then A queries for base32 names are
dns_entropy and hex ones still pass.  Legitimate lookups pass on both.""" % (h_b32, h_hex))
    R1, R2 = "203.0.113.6", DNS4

    def q(sport, qid, name, qtype, expect, prose, res=None):
        rule = "names" if res == R1 else "dns"
        m = re.match(r"\{detail=([a-z_]+)\} ", prose)
        c.add(dns_q(c, H4, sport, res, qid, name, qtype),
              expect % rule + " dir=out",
              tag(detail=m and m.group(1), dns_qname=name) + prose[m.end() if m else 0:])

    # the flood from one socket (a tunnel keeps its socket), resolver R1
    for i in range(6):
        name = "%s.%s" % (b32("59-a%d" % i, 63), D)
        if i == 0:
            c.add(dns_q(c, H4, 34000, R1, 0x100 + i, name, "TXT"), "drop check names dir=out",
                  tag(detail="dns_entropy", dns_qname=name) +
                  "TXT, a 63-character base32 label: dns_entropy")
        else:
            c.add(dns_q(c, H4, 34000, R1, 0x100 + i, name, "TXT"), "drop check names dir=out",
                  tag(dns_qname=name) + "the next query of the flood on the same "
                  "socket: the flow's drop sticks")
    # one socket a query (as dig does), resolver R1
    for i in range(3):
        name = "%s.%s.%s" % (b32("59-b%d" % i, 60), b32("59-c%d" % i, 60), D)
        q(34100 + i, 0x200 + i, name, "TXT", "drop check %s",
          "{detail=dns_entropy} TXT, two 60-character base32 labels, a new socket",
          res=R1)
    for i in range(3):
        name = "%s.%s" % (hexl("59-d%d" % i, 63), D)
        q(34200 + i, 0x300 + i, name, "TXT", "accept allowed %s",
          "TXT, a 63-character hex label: %.2f bits per character, not above "
          "4.0: passes" % shannon(name.split(".")[0]), res=R1)
    name = "%s.%s" % (b32("59-e", 16), D)
    q(34300, 0x400, name, "TXT", "accept allowed %s",
      "TXT, a 16-character base32 label: shorter than entropy_min_len 20, "
      "not measured", res=R1)
    q(34301, 0x401, "_dmarc.example.com", "TXT", "accept allowed %s",
      "TXT _dmarc.example.com: a real TXT lookup", res=R1)
    q(34302, 0x402, "www.example.com", "A", "accept allowed %s", "A www.example.com",
      res=R1)
    # resolver R2: dns_qtypes first
    for i in range(3):
        name = "%s.%s" % (b32("59-f%d" % i, 63), D)
        q(35000 + i, 0x500 + i, name, "TXT", "drop check %s",
          "{detail=dns_qtype} TXT, base32: not a listed type", res=R2)
    for i in range(3):
        name = "%s.%s" % (hexl("59-g%d" % i, 63), D)
        q(35100 + i, 0x600 + i, name, "TXT", "drop check %s",
          "{detail=dns_qtype} TXT, hex: not a listed type, whatever the name",
          res=R2)
    q(35200, 0x700, "_dmarc.example.com", "TXT", "drop check %s",
      "{detail=dns_qtype} TXT _dmarc.example.com: a real TXT lookup is refused too",
      res=R2)
    name = "%s.%s" % (b32("59-h", 63), D)
    q(35201, 0x701, name, "A", "drop check %s",
      "{detail=dns_entropy} A, a base32 label: a listed type, then dns_entropy",
      res=R2)
    name = "%s.%s" % (hexl("59-i", 63), D)
    q(35202, 0x702, name, "A", "accept allowed %s",
      "A, a hex label: a listed type, and entropy cannot tell it", res=R2)
    q(35203, 0x703, "www.example.com", "HTTPS", "accept allowed %s",
      "HTTPS www.example.com: listed", res=R2)
    q(35204, 0x704, "www.example.com", "AAAA", "accept allowed %s",
      "AAAA www.example.com", res=R2)
    return c


CASES = [case00, case01, case02, case03, case04, case05, case06, case07, case08, case09,
         case09b, case10, case11, case12, case13, case14, case14b, case15, case15b,
         case16, case16b, case17, case18, case19, case20, case21, case22,
         case30, case31, case32, case33, case34, case35, case36, case37, case38,
         case39, case40, case41, case42, case43, case44, case45, case46, case47,
         case48, case49, case50, case51, case52, case53, case54, case55, case56,
         case57, case58, case59]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "pcap-tests")
    outdir = os.path.normpath(outdir)
    for mk in CASES:
        c = mk()
        n = c.write(outdir)
        for fname, text in getattr(c, "extra", {}).items():
            with open(os.path.join(outdir, c.name, fname), "w") as f:
                f.write(text)
        if c.name == "00-demo":
            # the demo runs the shipped policy itself, not a copy of it
            p = os.path.join(outdir, c.name, "policy.lua")
            os.remove(p)
            os.symlink(os.path.join("..", "..", "rules", "default.lua"), p)
        print("%-22s %3d frames" % (c.name, n))


if __name__ == "__main__":
    main()
