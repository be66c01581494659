-- 06-icmp-errors: DNS over UDP and TCP/443 over IPv6 go out; errors about them come back.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "dns",  proto = "udp", port = 53,  to = "203.0.113.5" },
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8::/32" },
  },
}
