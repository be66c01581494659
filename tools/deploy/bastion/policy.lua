-- policy.lua - /etc/outgate/policy.lua of the bastion image: the policy of
-- `outgate run --forward` on a host that routes a clients segment (the
-- inside, `local_nets`) to an upstream network.  A forwarded packet belongs
-- to the host that sent it, so rules select by `src`.  Edit the addresses to
-- yours, then `outgate check --policy /etc/outgate/policy.lua` and
-- `systemctl reload outgate`.  See outgate-policy(5).

local og = require "outgate"

local clients   = { "10.30.0.0/24", "fd00:30::/64" }     -- the segment behind the bastion
local admins    = { "10.30.0.0/28", "fd00:30::/124" }    -- a few hosts of it with more rights
local resolvers = { "10.30.0.53", "9.9.9.9", "2620:fe::fe" }

return {
  mode = "enforce",
  -- a refused connection fails at once (TCP reset, ICMP unreachable)
  unknown_egress = "reject",
  local_nets = clients,

  -- nothing from the upstream side reaches a client unless it asked:
  -- no inbound rule, so every unsolicited packet is dropped
  inbound = {},

  egress = {
    -- every client: DNS to the resolvers, HTTPS anywhere, time
    { name = "dns", src = clients, proto = "any", port = og.port.dns, to = resolvers },
    { name = "https", src = clients, proto = "tcp", port = og.port.https },
    { name = "ntp", src = clients, proto = "udp", port = og.port.ntp },

    -- plain HTTP only to the Debian mirrors (apt), by name: a client must have
    -- resolved one of these names to the address, and its HTTP Host must match
    { name = "apt", src = clients, proto = "tcp", port = og.port.http,
      host = { "deb.debian.org", "security.debian.org" } },

    -- the admins may SSH anywhere upstream and ping anything
    { name = "admin-ssh", src = admins, proto = "tcp", port = og.port.ssh },
    { name = "admin-ping", src = admins, proto = "icmp" },
    { name = "admin-ping6", src = admins, proto = "icmpv6" },
  },
}
