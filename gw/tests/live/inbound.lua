-- Live tests: base.lua plus an inbound rule for the listener in app on 2222,
-- loaded by a SIGHUP reload.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  inbound = {
    { name = "app-listener", proto = "tcp", port = 2222, from = { "10.77.0.0/24", "fd77::/64" } },
  },
  egress = {
    { name = "web",   proto = "tcp",    port = 80,   to = { "10.77.0.1", "fd77::1" } },
    { name = "echo",  proto = "udp",    port = 5353, to = { "10.77.0.1", "fd77::1" } },
    { name = "ping",  proto = "icmp",   to = "10.77.0.1" },
    { name = "ping6", proto = "icmpv6", to = "fd77::1" },
  },
}
