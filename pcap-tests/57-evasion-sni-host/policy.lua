-- 57-evasion-sni-host: HTTPS to 198.51.100.0/24 for *.example.com, by SNI;
-- port 8443 also refuses Encrypted Client Hello.
local c = require "checks"
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = "198.51.100.0/24",
      host = { "*.example.com" }, check = "checks.sni_matches_host" },
    { name = "strict", proto = "tcp", port = 8443, to = "198.51.100.0/24",
      host = { "*.example.com" }, check = "sni_no_ech" },
  },
  checks = {
    sni_no_ech = function(ctx)
      local v, r = c.no_ech(ctx)
      if v then return v, r end
      return c.sni_matches_host(ctx)
    end,
  },
}
