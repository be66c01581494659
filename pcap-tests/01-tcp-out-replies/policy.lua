-- 01-tcp-out-replies: one TCP service may be reached; nothing may come in unsolicited.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },   -- the inside
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
