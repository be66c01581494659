-- Live tests 2, scenario 8: DNS to the net host, and UDP 5353 beside it.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  egress = {
    { name = "dns",  proto = "udp", port = 53,   to = "10.77.0.1" },
    { name = "mdns", proto = "udp", port = 5353, to = "10.77.0.1" },
  },
}
