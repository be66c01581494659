-- The policy that tools/gen_mixed_pcap.py's traffic is replayed under:
-- HTTPS and ICMP echo out to 198.51.100.0/24, DNS to one resolver, HTTPS over
-- IPv6; everything else (the unsolicited inbound, port 8080) is dropped.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "https", proto = "tcp", port = 443, to = { "198.51.100.0/24", "2001:db8::/32" } },
    { name = "dns",   proto = "udp", port = 53,  to = "203.0.113.5" },
    { name = "ping",  proto = "icmp", to = "198.51.100.0/24" },
  },
}
