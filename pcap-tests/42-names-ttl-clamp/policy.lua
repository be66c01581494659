-- 42-names-ttl-clamp: HTTPS to *.example.com by name; DNS timings set.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { min_ttl = 20, max_ttl = 60, grace = 10 },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
