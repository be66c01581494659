-- Live tests: base.lua with unknown_egress = "reject", so that a connection
-- the policy lacks fails at once instead of timing out.
return {
  unknown_egress = "reject",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  egress = {
    { name = "web",   proto = "tcp",    port = 80,   to = { "10.77.0.1", "fd77::1" } },
    { name = "echo",  proto = "udp",    port = 5353, to = { "10.77.0.1", "fd77::1" } },
    { name = "ping",  proto = "icmp",   to = "10.77.0.1" },
    { name = "ping6", proto = "icmpv6", to = "fd77::1" },
  },
}
