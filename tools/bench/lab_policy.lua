-- lab_policy.lua - the policy `make bench` (tools/bench/live.sh) runs outgate
-- with in the namespace lab: the app address is the inside, and it may start
-- TCP to the net address on the bench's ports (iperf3, request/response,
-- connection rate).  Nothing else is allowed.
return {
  unknown_egress = "reject",
  local_nets = { "10.77.0.2/32" },
  egress = {
    { name = "bench", proto = "tcp", port = { 5201, 7001, 7002 }, to = "10.77.0.1" },
  },
}
