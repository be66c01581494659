#!/usr/bin/env python3
"""gen_mixed_pcap.py - write a deterministic capture of mixed traffic for
benchmarks and the allocation test: N frames of Ethernet/IPv4/IPv6 with TCP
connections (handshake, data, close), UDP request/response, ICMP echo,
unsolicited inbound SYNs and UDP, and disallowed egress.

usage: gen_mixed_pcap.py FRAMES OUT.pcap

Plain Python (no scapy), so any python3 runs it; checksums are left zero
because outgate does not verify them.  Pairs with tools/bench/mixed_policy.lua
(inside 10.1.0.0/16 and fd00:1::/64).
"""
import struct
import sys

ETH_SRC = bytes.fromhex("020000000001")
ETH_DST = bytes.fromhex("020000000002")


def ipv4(src, dst, proto, payload, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xffff,
                      0x4000, 64, proto, 0, src, dst)
    return ETH_DST + ETH_SRC + b"\x08\x00" + hdr + payload


def ipv6(src, dst, proto, payload):
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, src, dst)
    return ETH_DST + ETH_SRC + b"\x86\xdd" + hdr + payload


def tcp(sport, dport, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                       65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def icmp_echo(typ, ident, seq):
    return struct.pack("!BBHHH", typ, 0, 0, ident, seq) + b"x" * 32


def v4(a, b, c, d):
    return bytes((a, b, c, d))


def v6(last):
    return bytes.fromhex("fd000001000000000000000000000000")[:14] + struct.pack("!H", last)


OUT6 = bytes.fromhex("20010db8000000000000000000000001")


def conversation(i):
    """One unit of traffic; returns a list of frames."""
    kind = i % 10
    host = v4(10, 1, (i >> 8) & 0xff, i & 0xff or 1)
    server = v4(198, 51, 100, 10 + (i % 50))
    sport = 1024 + (i % 60000)
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    if kind <= 4:   # allowed TCP 443: handshake, request, response, close
        a, b = 1000, 5000
        return [
            ipv4(host, server, 6, tcp(sport, 443, a, 0, SYN)),
            ipv4(server, host, 6, tcp(443, sport, b, a + 1, SYN | ACK)),
            ipv4(host, server, 6, tcp(sport, 443, a + 1, b + 1, ACK)),
            ipv4(host, server, 6, tcp(sport, 443, a + 1, b + 1, PSH | ACK, b"G" * 200)),
            ipv4(server, host, 6, tcp(443, sport, b + 1, a + 201, PSH | ACK, b"R" * 1200)),
            ipv4(host, server, 6, tcp(sport, 443, a + 201, b + 1201, FIN | ACK)),
            ipv4(server, host, 6, tcp(443, sport, b + 1201, a + 202, FIN | ACK)),
            ipv4(host, server, 6, tcp(sport, 443, a + 202, b + 1202, ACK)),
        ]
    if kind == 5:   # DNS over UDP to the resolver and its answer
        res = v4(203, 0, 113, 5)
        return [ipv4(host, res, 17, udp(sport, 53, b"q" * 30)),
                ipv4(res, host, 17, udp(53, sport, b"a" * 60))]
    if kind == 6:   # ICMP echo out and back
        dst = v4(198, 51, 100, 1)
        return [ipv4(host, dst, 1, icmp_echo(8, i & 0xffff, 1)),
                ipv4(dst, host, 1, icmp_echo(0, i & 0xffff, 1))]
    if kind == 7:   # unsolicited inbound: a SYN and a UDP datagram
        scan = v4(192, 0, 2, i % 250 + 1)
        return [ipv4(scan, host, 6, tcp(40000 + i % 1000, 22 + i % 5, 7, 0, SYN)),
                ipv4(scan, host, 17, udp(40000 + i % 1000, 5000, b"junk"))]
    if kind == 8:   # disallowed egress, retransmitted once
        bad = v4(203, 0, 113, 66)
        return [ipv4(host, bad, 6, tcp(sport, 8080, 1, 0, SYN)),
                ipv4(host, bad, 6, tcp(sport, 8080, 1, 0, SYN))]
    # IPv6 TCP 443 short exchange
    h6 = v6(i & 0xffff or 1)
    return [ipv6(h6, OUT6, 6, tcp(sport, 443, 1, 0, SYN)),
            ipv6(OUT6, h6, 6, tcp(443, sport, 9, 2, SYN | ACK)),
            ipv6(h6, OUT6, 6, tcp(sport, 443, 2, 10, ACK)),
            ipv6(h6, OUT6, 6, tcp(sport, 443, 2, 10, 0x04))]


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen_mixed_pcap.py FRAMES OUT.pcap\n")
        return 2
    want = int(sys.argv[1])
    t = 1700000000 * 1000000
    n = 0
    i = 0
    with open(sys.argv[2], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        while n < want:
            for frame in conversation(i):
                if n == want:
                    break
                t += 20     # 50,000 frames a second of packet clock
                f.write(struct.pack("<IIII", t // 1000000, t % 1000000,
                                    len(frame), len(frame)))
                f.write(frame)
                n += 1
            i += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
