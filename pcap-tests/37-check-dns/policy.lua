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
