-- 48-names-resolvers: DNS (and DoT) to one resolver only.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { resolvers = { "203.0.113.5" } },
  egress = {
    { name = "dns", proto = "udp", port = 53 },
    { name = "dnstcp", proto = "tcp", port = { 53, 853 } },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
