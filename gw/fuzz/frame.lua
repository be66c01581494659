-- frame.lua - the policy of the frame and capture fuzz targets: every kind of
-- rule and check, so that fuzzed frames reach each branch of the engine.
-- The inside is the private ranges that pcap-tests/ and ../shared/pcaps use.
local c = require "checks"

-- Reads every field a check can see, so that building ctx is fuzzed too.
local function touch_all(ctx)
  local f, s, r = ctx.flow, ctx.subject, ctx.rule
  local n = #f.src + #f.dst + f.sport + f.dport + #r.name
  if s.known and s.exe then n = n + #s.exe end
  if ctx.dns then
    n = n + #(ctx.dns.qname or "") + #ctx.dns.answers
    for _, a in ipairs(ctx.dns.answers) do n = n + #a.name + #a.data + a.ttl end
  end
  if ctx.tls then
    n = n + #(ctx.tls.sni or "") + #(ctx.tls.error or "")
    for _, v in ipairs(ctx.tls.alpn or {}) do n = n + #v end
    for _, v in ipairs(ctx.tls.versions or {}) do n = n + #v end
  end
  if ctx.http then
    n = n + #ctx.http.method + #ctx.http.target + #(ctx.http.host or "") + #ctx.http.version
  end
  if ctx.payload then n = n + #ctx.payload end
  if ctx.quic then n = n + 1 end
  if n % 7 == 3 then return "drop", "fuzz" end
end

return {
  mode = "enforce",
  unknown_egress = "reject",
  on_check_error = "drop",
  local_nets = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8",
    "fe80::/10" },
  dns = {
    resolvers = { "10.0.0.2", "203.0.113.5", "8.8.8.8", "fd00::2" },
    min_ttl = 1, max_ttl = 60, grace = 5,
    qtypes = { "HTTPS", "TXT", "MX" },
  },
  inbound = {
    { name = "ssh", proto = "tcp", port = 22, from = { "192.0.2.0/24", "2001:db8::/32" } },
    { name = "web_in", proto = "tcp", port = { 80, 443 }, check = "touch" },
    { name = "ping_in", proto = "icmp" },
  },
  egress = {
    { name = "dns", proto = "any", port = { 53, 5353 }, check = "no_tunnel" },
    { name = "dns_types", proto = "udp", port = 5355, check = "qtypes" },
    { name = "by_name", proto = "tcp", port = 443, host = { "example.com", "*.example.com",
      "**.example.org" }, check = "checks.sni_matches_host" },
    { name = "https", proto = "tcp", port = { 443, "8443-8444" }, to = "198.51.100.0/24",
      check = "checks.no_doh" },
    { name = "ech", proto = "tcp", port = 443, to = "203.0.113.0/24", check = "checks.no_ech" },
    { name = "alpn", proto = "tcp", port = 443, to = "192.0.2.0/24", check = "h2" },
    { name = "tls_any", proto = "tcp", port = 443, check = "touch" },
    { name = "http", proto = "tcp", port = { 80, 8080, 3128 }, check = "get_only" },
    { name = "quic", proto = "udp", port = 443, check = "touch" },
    { name = "ping", proto = "icmp" },
    { name = "ping6", proto = "icmpv6" },
    { name = "private", proto = "tcp", port = 8000, host = { "*.internal.example" },
      private = true },
    { name = "lan", src = "10.9.0.0/16", proto = "any", to = "0.0.0.0/0", check = "touch" },
  },
  checks = {
    no_tunnel = c.dns_no_tunnel{},
    qtypes = c.dns_qtypes{ "A", "AAAA", "HTTPS" },
    h2 = c.alpn{ "h2", "http/1.1", required = true },
    get_only = c.http_methods{ "GET", "HEAD", "CONNECT" },
    touch = touch_all,
  },
}
