-- 53-evasion-frag-payload: HTTPS by SNI and DNS under checks; DNS policed
-- (the policy names hosts); a TCP service with no check.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = { "198.51.100.0/24", "2001:db8::/32" },
      host = { "*.example.com" }, check = "checks.sni_matches_host" },
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5", check = "no_tunnel" },
    { name = "dns2", proto = "udp", port = 53, to = "203.0.113.6" },
    { name = "api", proto = "tcp", port = 8443, to = "198.51.100.0/24" },
  },
  checks = { no_tunnel = c.dns_no_tunnel{} },
}
