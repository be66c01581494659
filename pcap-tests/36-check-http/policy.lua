-- 36-check-http: HTTP to 198.51.100.0/24, GET and HEAD only.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 80, to = "198.51.100.0/24", check = "get_only" },
  },
  checks = {
    get_only = c.http_methods{ "GET", "HEAD" },
  },
}
