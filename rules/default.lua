-- default.lua - the demo policy, and a tour of the format.
--
-- A policy is a Lua file that returns one table.  It runs once, at load, in a
-- sandbox (no io, os, load or dofile; `require` serves only lua/), and what it
-- returns is checked strictly: an unknown key or a bad value is an error
-- "FILE:LINE: message".  Check it with:  outgate check --policy rules/default.lua

-- Ready-made checks (lua/checks.lua), run once per flow on its first bytes.
local c = require "checks"

return {
  -- "enforce" (the default) drops what no rule allows; "monitor" lets it pass
  -- and logs what enforce would have done.
  mode = "enforce",

  -- What a flow that the inside starts and no egress rule allows gets:
  -- "drop" (the default) or "reject" (a TCP reset or an ICMP error, so that
  -- clients fail fast instead of timing out).
  unknown_egress = "reject",

  -- The inside: the addresses this gateway protects.  A packet whose source is
  -- inside goes "out"; anything else comes "in".  One prefix or a list.
  local_nets = { "10.0.0.0/8", "fd00::/8" },

  -- Unsolicited inbound that may pass.  Everything else that starts outside is
  -- dropped; replies to flows the inside started always pass.
  inbound = {
    -- `from` is the sending host (outside); `port` is our listening port.
    { name = "ssh", proto = "tcp", port = 22, from = { "192.0.2.0/24", "2001:db8:ad::/48" } },
  },

  -- What the inside may start.  Rules only allow; the first that holds
  -- decides, and its name goes into every decision about the flow.
  egress = {
    -- DNS to the resolvers, over UDP and TCP (`proto = "any"` with a port
    -- means TCP and UDP).  `to` takes addresses, prefixes, or a list of both.
    -- Its check drops queries whose names look like a tunnel (long or
    -- random labels), on every query of the flow.
    { name = "dns", proto = "any", port = 53, to = { "10.0.0.2", "fd00::2" },
      check = "no_tunnel" },

    -- HTTPS to one /24.  A port is a number, a "lo-hi" range, or a list.
    -- Its check drops DNS over HTTPS to the public resolvers (by SNI), which
    -- would resolve names past the DNS rule above.
    { name = "https", proto = "tcp", port = { 443, "8443-8444" }, to = "198.51.100.0/24",
      check = "checks.no_doh" },

    -- Ping out, IPv4 and IPv6.  ICMP has no ports: a `port` here is an error.
    { name = "ping",  proto = "icmp",   to = "0.0.0.0/0" },
    { name = "ping6", proto = "icmpv6", to = "::/0" },

    -- NTP, without naming servers: any address, one port.
    { name = "ntp", proto = "udp", port = 123 },

    -- By name: HTTPS to what the inside resolved under example.com through
    -- the DNS rule above, and only with that name in the ClientHello.
    -- DNS over TLS (853) matches no rule: it is dropped like any unknown egress.
    { name = "web", proto = "tcp", port = 443, host = { "example.com", "*.example.com" } },
  },

  -- The checks the rules above name: name = function(ctx) ... end, or a
  -- ready one from lua/checks.lua.
  checks = {
    no_tunnel = c.dns_no_tunnel{},
  },
}
