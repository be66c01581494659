-- Live tests 2, scenario 7: web.lua plus an inbound rule for the app's
-- listener on 2222, run with a flow table of 4 slots.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  inbound = {
    { name = "app-listener", proto = "tcp", port = 2222 },
  },
  egress = {
    { name = "web", proto = "tcp", port = 80, to = { "10.77.0.1", "fd77::1" } },
  },
}
