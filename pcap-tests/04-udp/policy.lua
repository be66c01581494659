-- 04-udp: DNS to one resolver; nothing inbound.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "203.0.113.5" },
  },
}
