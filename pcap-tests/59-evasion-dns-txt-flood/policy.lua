-- 59-evasion-dns-txt-flood: two resolvers; one's queries must look like names
-- (dns_no_tunnel), the other's must also be of a listed type (dns_qtypes first).
local c = require "checks"
local qtypes = c.dns_qtypes{ "A", "AAAA", "HTTPS" }
local no_tunnel = c.dns_no_tunnel{}
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "names", proto = "udp", port = 53, to = "203.0.113.6", check = "names" },
    { name = "dns",   proto = "udp", port = 53, to = "203.0.113.5", check = "sane" },
  },
  checks = {
    names = no_tunnel,
    sane = function(ctx)
      local v, r = qtypes(ctx)
      if v then return v, r end
      return no_tunnel(ctx)
    end,
  },
}
