-- 14-monitor: TCP/443 out to 198.51.100.0/24; monitor mode.
return {
  mode = "monitor",
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
