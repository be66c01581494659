-- 56-evasion-http-host: plain HTTP to *.example.com, by name.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 80, host = { "*.example.com" } },
  },
}
