-- 49-names-private: names may not lead inside, unless a rule says so.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "10.96.0.10" },
    { name = "web", proto = "tcp", port = 443, host = { "*.example.com" } },
    { name = "corp", proto = "tcp", port = 8443, host = { "*.corp.example.com" },
      private = true },
  },
}
