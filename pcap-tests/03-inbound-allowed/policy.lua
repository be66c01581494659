-- 03-inbound-allowed: ssh may come in from 192.0.2.0/24 only.
return {
  local_nets = { "10.1.0.0/16" },
  inbound = {
    { name = "ssh", proto = "tcp", port = 22, from = "192.0.2.0/24" },
  },
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },  -- unused here
  },
}
