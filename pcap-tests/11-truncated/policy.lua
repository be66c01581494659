-- 11-truncated: TCP/443 and DNS allowed, so that only the defects can drop.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "api",  proto = "tcp", port = 443, to = "198.51.100.0/24" },
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8::/32" },
    { name = "dns",  proto = "udp", port = 53,  to = "203.0.113.5" },
  },
}
