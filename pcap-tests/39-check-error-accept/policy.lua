-- 39-check-error-accept: a check that never returns, and others that fail; on_check_error = "accept".
local c = require "checks"
return {
  on_check_error = "accept",
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "spin", proto = "tcp", port = 80, to = "198.51.100.0/24", check = "spin" },
    { name = "broken", proto = "tcp", port = 8080, to = "198.51.100.0/24", check = "broken" },
    { name = "junk", proto = "tcp", port = 8081, to = "198.51.100.0/24", check = "junk" },
    { name = "get", proto = "tcp", port = 8000, to = "198.51.100.0/24", check = "get_only" },
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
  checks = {
    spin = function(ctx) while true do end end,
    broken = function(ctx) return ctx.tls.sni end,    -- no ctx.tls on HTTP: an error
    junk = function(ctx) return "maybe" end,          -- not a verdict
    get_only = c.http_methods{ "GET" },
  },
}
