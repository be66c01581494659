-- Live tests (gw/tests/live.sh): the lab of tools/lab.sh.  The app namespace
-- is the inside (10.77.0.2, fd77::2); net has the servers on .1/::1 and a
-- second address, .11/::11, that this policy does not name.  No inbound rule.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  egress = {
    { name = "web",   proto = "tcp",    port = 80,   to = { "10.77.0.1", "fd77::1" } },
    { name = "echo",  proto = "udp",    port = 5353, to = { "10.77.0.1", "fd77::1" } },
    { name = "ping",  proto = "icmp",   to = "10.77.0.1" },
    { name = "ping6", proto = "icmpv6", to = "fd77::1" },
  },
}
