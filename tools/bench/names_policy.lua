-- names_policy.lua - the DNS-by-name policy of `make bench` (tools/bench/table.sh)
-- in the namespace lab: the bench's TCP ports are allowed only to an address
-- the client resolved bench.lab.test to, through the lab's resolver in net.
return {
  unknown_egress = "reject",
  local_nets = { "10.77.0.2/32" },
  dns = { resolvers = { "10.77.0.1" } },
  egress = {
    { name = "dns", proto = "udp", port = 53, to = "10.77.0.1" },
    -- private: the lab's server has a private address, which a name may
    -- otherwise never lead to
    { name = "bench", proto = "tcp", port = { 5201, 7001, 7002 },
      host = { "bench.lab.test" }, private = true },
  },
}
