-- 05-icmp-echo: ping out to 198.51.100.0/24 and 2001:db8::/32; nothing inbound.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "ping",  proto = "icmp",   to = "198.51.100.0/24" },
    { name = "ping6", proto = "icmpv6", to = "2001:db8::/32" },
  },
}
