-- 51-names-ttl-one: HTTPS to *.example.com by name; no floor, no grace.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { min_ttl = 0, grace = 0 },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
