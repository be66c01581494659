-- 40-names-provenance: HTTPS to names, by what DNS told the host; an
-- intranet service by address (its names are for checks only).
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "dnstcp", proto = "tcp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "www.example.com", "**.svc.example.net" } },
    { name = "intra", proto = "tcp", port = 8080, to = "198.51.100.128/25",
      host = { "intra.example.com" } },
  },
}
