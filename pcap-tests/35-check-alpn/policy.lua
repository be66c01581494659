-- 35-check-alpn: HTTPS offering h2 only; the second rule also demands ALPN.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "h2", proto = "tcp", port = 443, to = "198.51.100.0/24", check = "h2_only" },
    { name = "h2req", proto = "tcp", port = 8443, to = "198.51.100.0/24", check = "h2_required" },
  },
  checks = {
    h2_only = c.alpn{ "h2" },
    h2_required = c.alpn{ "h2", required = true },
  },
}
