-- 41-names-expiry: HTTPS to *.example.com by name; the default DNS timings
-- (min_ttl 5, max_ttl 300, grace 30).
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
