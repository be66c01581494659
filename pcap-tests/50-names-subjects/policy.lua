-- 50-names-subjects: names are learnt per owner (owners from --meta).
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "www.example.com" } },
    { name = "aonly", exe = "/usr/bin/a", proto = "tcp", port = 8443,
      host = { "api.example.com" } },
  },
}
