-- 09-sll2: TCP/443 out to 198.51.100.0/24 and 2001:db8::/32.
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "api",  proto = "tcp", port = 443, to = "198.51.100.0/24" },
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8::/32" },
  },
}
