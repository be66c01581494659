-- 12-expiry: DNS and TCP/443 out; the timeouts do the work.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53,  to = "203.0.113.5" },
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
