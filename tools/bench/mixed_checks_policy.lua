-- mixed_policy.lua with a Lua check on the HTTPS rule: every TCP 443 flow
-- of tools/gen_mixed_pcap.py's traffic then runs checks.no_ech once, on its
-- first data segment (`make bench-replay`, the "with checks" line).
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "https", proto = "tcp", port = 443, to = { "198.51.100.0/24", "2001:db8::/32" },
      check = "checks.no_ech" },
    { name = "dns",   proto = "udp", port = 53,  to = "203.0.113.5" },
    { name = "ping",  proto = "icmp", to = "198.51.100.0/24" },
  },
}
