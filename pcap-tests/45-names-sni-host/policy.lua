-- 45-names-sni-host: web and HTTPS to *.example.com, ssh to git.example.com,
-- by name.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
    { name = "web", proto = "tcp", port = { 80, 443 }, host = { "*.example.com" } },
    { name = "ssh", proto = "tcp", port = 22, host = { "git.example.com" } },
  },
}
