-- 07-ipv6-ext: TCP/443 to 2001:db8:1::/48 only.
return {
  local_nets = { "fd00:1::/64" },
  egress = {
    { name = "api6", proto = "tcp", port = 443, to = "2001:db8:1::/48" },
  },
}
