-- 44-names-ignored: HTTPS to *.example.com by name; unknown egress is rejected.
return {
  unknown_egress = "reject",
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
