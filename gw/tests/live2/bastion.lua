-- Live tests 2: the bastion of live2.sh.  A router namespace forwards between
-- the clients (10.66.1.0/24, fd66:1::/64, the inside) and net (10.66.2.0/24,
-- fd66:2::/64); the clients may reach TCP 80 anywhere, chosen by source.
return {
  unknown_egress = "drop",
  local_nets = { "10.66.1.0/24", "fd66:1::/64" },
  egress = {
    { name = "office",  src = "10.66.1.0/24", proto = "tcp", port = 80 },
    { name = "office6", src = "fd66:1::/64",  proto = "tcp", port = 80 },
  },
}
