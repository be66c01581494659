-- 58-evasion-icmp-tunnel: ping out, each echo request held to a ping's shape.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16", "fd00:1::/64" },
  egress = {
    { name = "ping",  proto = "icmp",   to = "198.51.100.0/24", check = "no_tunnel" },
    { name = "ping6", proto = "icmpv6", to = "2001:db8::/32",   check = "no_tunnel" },
    { name = "mtu",   proto = "icmp",   to = "203.0.113.0/24",  check = "mtu_probe" },
  },
  checks = {
    no_tunnel = c.icmp_no_tunnel{},                   -- data up to 128 bytes
    mtu_probe = c.icmp_no_tunnel{ max_len = 1472 },   -- ping -s 1472 -M do
  },
}
