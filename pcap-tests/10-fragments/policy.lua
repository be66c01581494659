-- 10-fragments: UDP port 9000 out to 198.51.100.0/24 and 2001:db8::/32.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "bulk",  proto = "udp", port = 9000, to = "198.51.100.0/24" },
    { name = "bulk6", proto = "udp", port = 9000, to = "2001:db8::/32" },
  },
}
