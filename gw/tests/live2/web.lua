-- Live tests 2 (gw/tests/live2.sh): the lab of tools/lab.sh.  The app
-- namespace is the inside (10.77.0.2, fd77::2, and 10.77.0.33 up that the
-- two-queue scenario adds: the kernel's --queue-balance hash spreads flows by
-- address pair only, not by port); net serves TCP 80 and 8080 on .1/::1 and
-- .11/::11.  Only TCP 80 on .1/::1 is allowed; no inbound rule.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "10.77.0.32/27", "fd77::2/128" },
  egress = {
    { name = "web", proto = "tcp", port = 80, to = { "10.77.0.1", "fd77::1" } },
  },
}
