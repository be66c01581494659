-- 16b-reject-monitor: unknown egress is rejected (fail fast); monitor mode.
return {
  mode = "monitor",
  unknown_egress = "reject",
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
