-- 52-evasion-frag-header: TCP/443 and UDP/9000 out, IPv4 and IPv6; nothing else.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "api",  proto = "tcp", port = 443,  to = { "198.51.100.0/24", "2001:db8::/32" } },
    { name = "bulk", proto = "udp", port = 9000, to = { "198.51.100.0/24", "2001:db8::/32" } },
  },
}
