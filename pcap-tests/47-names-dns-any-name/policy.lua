-- 47-names-dns-any-name: any name may be asked for; TXT too.
return {
  local_nets = { "10.1.0.0/16" },
  dns = { any_name = true, qtypes = { "TXT" } },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
  },
}
