-- bastion.lua - an example for a bastion appliance that forwards the traffic
-- of one office segment.  The "owner" of a forwarded packet is the host that
-- sent it, so rules select by `src`, the sending host's address.

local og = require "outgate"

local office     = "10.20.0.0/16"
local build_farm = "10.20.40.0/24"
local admins     = { "10.20.1.0/28", "fd00:20:1::/64" }

return {
  mode = "enforce",
  unknown_egress = "reject",
  local_nets = { office, "fd00:20::/48" },

  inbound = {
    -- the bastion's own SSH, for the admins' VPN pool only
    { name = "ssh-in", proto = "tcp", port = og.port.ssh, from = "192.0.2.64/26" },
  },

  egress = {
    -- every office host: DNS to the office resolvers, and the web
    { name = "dns", src = office, proto = "any", port = og.port.dns,
      to = { "10.20.0.53", "10.20.0.54" } },
    { name = "web", src = { office, "fd00:20::/48" }, proto = "tcp",
      port = og.ports("http", "https") },
    { name = "ntp", src = office, proto = "udp", port = og.port.ntp, to = "10.20.0.123" },

    -- the build farm fetches packages from the mirrors, and pushes images
    { name = "mirrors", src = build_farm, proto = "tcp", port = og.ports("http", "https"),
      to = { "203.0.113.0/25", "2001:db8:77::/48" } },
    { name = "registry", src = build_farm, proto = "tcp", port = 5000, to = "203.0.113.200" },

    -- admins may SSH anywhere outside and ping anything
    { name = "admin-ssh", src = admins, proto = "tcp", port = og.port.ssh },
    { name = "admin-ping", src = admins, proto = "icmp" },
    { name = "admin-ping6", src = admins, proto = "icmpv6" },

    -- mail only through the relay, never straight to the Internet
    { name = "mail", src = office, proto = "tcp", port = og.ports("submission", "imaps"),
      to = "10.20.0.25" },
  },
}
