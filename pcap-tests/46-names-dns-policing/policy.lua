-- 46-names-dns-policing: names in host rules may be asked for, A and AAAA only.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "dnstcp", proto = "tcp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443,
      host = { "*.example.com", "api.example.org", "**.corp.example.net" } },
  },
}
