-- checks.lua - ready-made per-flow checks on the parsed handshake (DNS, TLS,
-- HTTP) for policies to name.  Runs in the sandbox: no I/O, no globals, no
-- allocation per call where it can be avoided, no state but caches.
--
-- Two kinds of entries:
--
--   * checks, named directly by a rule as "checks.NAME":
--       sni_matches_host   the TLS SNI is one of the rule's `host` names
--       no_ech             no Encrypted Client Hello
--       no_doh             not a public DNS-over-HTTPS resolver (by SNI or Host)
--
--       egress = {
--         { name = "web", proto = "tcp", port = 443,
--           host = { "example.com", "*.example.com" },
--           check = "checks.sni_matches_host" },
--       }
--
--   * factories, called once at load with their settings; each returns a
--     check to put in the policy's `checks` table and name by its key:
--       http_methods{ "GET", "HEAD" }
--       dns_no_tunnel{ max_label = 63, max_name = 253, max_entropy = 4.0 }
--       dns_qtypes{ "A", "AAAA", "HTTPS" }
--       alpn{ "h2", "http/1.1", required = true }
--       icmp_no_tunnel{ max_len = 128, fill = true }
--
--       local c = require "checks"
--       return {
--         egress = {
--           { name = "api", proto = "tcp", port = 80, to = "198.51.100.0/24",
--             check = "get_only" },
--           { name = "dns", proto = "udp", port = 53, to = "203.0.113.5",
--             check = "dns_sane" },
--         },
--         checks = {
--           get_only = c.http_methods{ "GET", "HEAD" },
--           dns_sane = c.dns_no_tunnel{ max_entropy = 3.8 },
--         },
--       }
--
--     A factory named directly as a rule's check ("checks.http_methods")
--     loads, but fails at its first flow with a message that says so (a
--     check_error): write it in `checks` as above.  Bad settings are an error
--     at the factory's call, so `outgate check` reports the policy's FILE:LINE.
--
-- Every check returns nothing (accept) or "drop" and a stable reason code:
--   rule_has_no_host, not_tls, tls_unreadable, no_sni, sni_mismatch   sni_matches_host
--   ech, tls_unreadable                                no_ech
--   doh                                                no_doh
--   (tls_unreadable: TLS whose ClientHello could not be read whole, ctx.tls.error
--   says why: too big for the 16 KiB buffer, malformed, or cut short)
--   not_http, http_method                              http_methods
--   dns_long_name, dns_long_label, dns_entropy         dns_no_tunnel
--   dns_qtype                                          dns_qtypes
--   not_tls, tls_unreadable, no_alpn, alpn             alpn
--   icmp_long, icmp_payload                            icmp_no_tunnel
-- http_methods says "http_method", not "method_<M>": reasons stay a fixed set
-- (the method is the client's bytes, and the decision log has http_method).
--
-- A check that is about one protocol lets other traffic pass when it only
-- forbids something (no_ech, dns_no_tunnel, dns_qtypes, icmp_no_tunnel,
-- alpn without `required`), and drops it when it demands something
-- (sni_matches_host, http_methods, alpn with `required`): compose them with
-- the rule's `proto` and `port`.

local byte, find, lower, sub, upper = string.byte, string.find, string.lower,
  string.sub, string.upper
local type, pairs, tostring, tonumber, error, setmetatable = type, pairs,
  tostring, tonumber, error, setmetatable
local mlog = math.log
local mtype = math.type
local mmin = math.min

local M = {}

local DOT = 46          -- "."

-- A rule's host list compiled once, by the list's identity (weak keys: it
-- goes with the list): exact names as a set, "*." suffixes as a set, "**."
-- suffixes as a list; lower-case, no trailing dot, wildcard suffixes with
-- their leading dot.  The engine hands the same ctx.rule.host table for a
-- rule on every call; a new table each call would be compiled each call.
local compiled = setmetatable({}, { __mode = "k" })

-- Lower-case, one trailing dot off.
local function norm_name(s)
  s = lower(s)
  if byte(s, -1) == DOT then s = sub(s, 1, -2) end
  return s
end

local function compile_hosts(hosts)
  local list = hosts
  if type(hosts) == "string" then
    list = { hosts }
  elseif type(hosts) ~= "table" then
    error("checks.sni_matches_host: ctx.rule.host is a " .. type(hosts) ..
      ", not a list of host names")
  end
  local exact, one, multi, n = {}, nil, nil, #list
  for i = 1, n do
    local p = list[i]
    if type(p) ~= "string" then
      error("checks.sni_matches_host: ctx.rule.host[" .. i .. "] is a " ..
        type(p) .. ", not a host name")
    end
    p = norm_name(p)
    if sub(p, 1, 3) == "**." then
      multi = multi or {}
      multi[#multi + 1] = sub(p, 3)
    elseif sub(p, 1, 2) == "*." then
      one = one or {}
      one[sub(p, 2)] = true
    else
      exact[p] = true
    end
  end
  local cm = { n = n, exact = exact, one = one, multi = multi }
  compiled[hosts] = cm
  return cm
end

-- Whether name s matches the compiled host list cm.  A wildcard needs a
-- non-empty label in front of its suffix (the apex never matches) and no
-- empty label anywhere; the suffixes, from the policy, have none.
local function host_match(cm, s)
  if cm.exact[s] then
    return true
  end
  local one, multi = cm.one, cm.multi
  if one == nil and multi == nil then
    return false
  end
  local d = find(s, ".", 1, true)
  if d == nil or d == 1 then
    return false
  end
  if one ~= nil and one[sub(s, d)] then
    return true
  end
  if multi ~= nil then
    local n = #s
    for i = 1, #multi do
      local suf = multi[i]
      local st = n - #suf + 1
      -- a suffix starts with its dot, so a match starts at d or later
      if st >= d and find(s, suf, st, true) == st then
        -- one label in front has no dot; more may hold an empty one
        return st == d or find(s, "..", 1, true) == nil
      end
    end
  end
  return false
end

--- sni_matches_host(ctx): the TLS SNI is one of ctx.rule.host.
-- Case-insensitive, one trailing dot ignored on either side; "*." is exactly
-- one label, "**." one or more, and the apex is never implied.
function M.sni_matches_host(ctx)
  local rule = ctx.rule
  local hosts = rule and rule.host
  if hosts == nil then
    return "drop", "rule_has_no_host"
  end
  local cm = compiled[hosts] or compile_hosts(hosts)
  if cm.n == 0 then
    return "drop", "rule_has_no_host"
  end
  local tls = ctx.tls
  if tls == nil then
    return "drop", "not_tls"
  end
  if tls.error ~= nil then
    return "drop", "tls_unreadable"
  end
  local sni = tls.sni
  if sni == nil or sni == "" then
    return "drop", "no_sni"
  end
  -- the engine's SNI is lower-case already: normalize only on a miss
  if host_match(cm, sni) then
    return
  end
  local s = norm_name(sni)
  if s ~= sni and host_match(cm, s) then
    return
  end
  return "drop", "sni_mismatch"
end

--- no_ech(ctx): the ClientHello carries no Encrypted Client Hello extension
-- (with ECH the SNI seen is the outer, public one).  Not TLS: accept.
function M.no_ech(ctx)
  local tls = ctx.tls
  if tls ~= nil then
    if tls.error ~= nil then
      return "drop", "tls_unreadable"     -- cannot tell: do not pass it
    end
    if tls.ech then
      return "drop", "ech"
    end
  end
end

-- The public DNS-over-HTTPS resolvers a client could use to resolve past
-- the gateway's DNS (names it could then reach by address).  Lower-case.
M.doh_names = {
  "dns.google", "dns.google.com", "dns64.dns.google", "cloudflare-dns.com",
  "mozilla.cloudflare-dns.com", "chrome.cloudflare-dns.com",
  "security.cloudflare-dns.com", "family.cloudflare-dns.com",
  "1dot1dot1dot1.cloudflare-dns.com", "one.one.one.one", "dns.quad9.net",
  "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net", "doh.opendns.com",
  "doh.familyshield.opendns.com", "dns.adguard.com", "dns.adguard-dns.com",
  "dns.nextdns.io", "doh.cleanbrowsing.org", "doh.dns.sb", "dns.alidns.com",
  "doh.pub", "dns.controld.com", "doh.mullvad.net", "dns.mullvad.net",
  "freedns.controld.com", "doh.xfinity.com",
}
local doh_set = {}
for _, n in ipairs(M.doh_names) do doh_set[n] = true end

--- no_doh(ctx): the flow is not DNS over HTTPS to a public resolver: its
-- TLS SNI, or its HTTP Host, is none of M.doh_names.  Anything else passes.
function M.no_doh(ctx)
  local tls = ctx.tls
  local name = tls and tls.sni
  if name == nil then
    local http = ctx.http
    name = http and http.host
  end
  if name ~= nil and doh_set[norm_name(name)] then
    return "drop", "doh"
  end
end

-- Factories: arguments checked here, at load.  Each helper returns a message
-- or nil; the factory raises it at level 2, the policy's line.

-- A table that looks like a flow's ctx: a factory named as a check.
local function is_ctx(t)
  return type(t) == "table" and (t.flow ~= nil or t.subject ~= nil or
    t.rule ~= nil)
end

local function factory_misuse(fname)
  return "checks." .. fname .. " makes a check: call it in the policy's " ..
    "`checks` table (checks = { mine = require(\"checks\")." .. fname ..
    "{...} }) and name that key in the rule"
end

-- The list part of t (1..#t, every element a string accepted by ok) and the
-- named keys, each of which must be in names.  Returns the list's length, or
-- nil and a message.
local function check_list(fname, t, what, ok, names)
  if is_ctx(t) then
    return nil, factory_misuse(fname)
  end
  if type(t) ~= "table" then
    return nil, "checks." .. fname .. ": expected a list of " .. what ..
      ", got " .. (t == nil and "nothing" or type(t))
  end
  local n = #t
  -- by index, not by pairs: #t may count a nil inside a constructor
  -- ({ nil, "A" }), which pairs never visits
  for i = 1, n do
    local v = t[i]
    if type(v) ~= "string" then
      return nil, "checks." .. fname .. ": element " .. i .. " is a " ..
        type(v) .. ", not one of " .. what
    end
    local why = ok(v)
    if why then
      return nil, "checks." .. fname .. ": \"" .. v .. "\" " .. why
    end
  end
  for k in pairs(t) do
    if mtype(k) == "integer" and k >= 1 and k <= n then
      -- an element, read above
    elseif type(k) ~= "string" or names == nil or names[k] == nil then
      return nil, "checks." .. fname .. ": unknown key " .. tostring(k) ..
        (type(k) == "number" and " (the list has a gap)" or "")
    end
  end
  if n == 0 then
    return nil, "checks." .. fname .. ": the list of " .. what .. " is empty"
  end
  return n
end

local function token_ok(v)
  -- RFC 9110 token characters
  if not find(v, "^[%w!#%$%%&'%*%+%-%.%^_`|~]+$") then
    return "is not an HTTP method (a token)"
  end
end

--- http_methods{ "GET", "HEAD", ... }: a check that drops "http_method" for
-- a request whose method is not listed (methods are case-sensitive: write
-- them upper-case), and "not_http" for a flow that is not HTTP.
function M.http_methods(list)
  local n, msg = check_list("http_methods", list, "HTTP methods", token_ok)
  if not n then error(msg, 2) end
  local set = {}
  for i = 1, n do set[list[i]] = true end
  return function(ctx)
    local http = ctx.http
    if http == nil then
      return "drop", "not_http"
    end
    if not set[http.method] then
      return "drop", "http_method"
    end
  end
end

-- A positive integer setting, or nil and a message.
local function want_count(fname, opts, key, default, limit)
  local v = opts[key]
  if v == nil then return default end
  if mtype(v) ~= "integer" and not (mtype(v) == "float" and v % 1 == 0) then
    return nil, "checks." .. fname .. ": " .. key .. " must be a whole " ..
      "number, got " .. (type(v) == "number" and tostring(v) or type(v))
  end
  if v < 1 or v > limit then
    return nil, "checks." .. fname .. ": " .. key .. " must be 1 to " ..
      limit .. ", got " .. tostring(v)
  end
  return v // 1
end

local DNS_NO_TUNNEL_KEYS = { max_label = true, max_name = true,
  max_entropy = true, entropy_min_len = true }

-- For the counts of a name of at most 253 bytes: H = log2(n) - (1/n) *
-- sum(c * log2(c)), the sum kept as each count goes up by one (DELTA[c]: what
-- c * log2(c) gains from c to c + 1); no math.log per call.
local LOG2, DELTA = {}, { [0] = 0 }
for i = 1, 253 do
  LOG2[i] = mlog(i, 2)
  DELTA[i] = (i + 1) * mlog(i + 1, 2) - i * LOG2[i]
end

--- dns_no_tunnel{ max_label = 63, max_name = 253, max_entropy = 4.0,
--                 entropy_min_len = 20 }: every field optional (the values
-- shown are the defaults; dns_no_tunnel() takes them all).  A check on the
-- query name that drops, in this order:
--   "dns_long_name"   the name longer than max_name bytes (no trailing dot);
--   "dns_long_label"  a label longer than max_label bytes;
--   "dns_entropy"     the Shannon entropy, in bits per character, of the
--                     labels in front of the registered domain is above
--                     max_entropy.  The registered domain is taken to be the
--                     last two labels (no public suffix list: for
--                     x.example.co.uk the "example" label is counted too),
--                     dots are not counted, and the entropy is computed only
--                     when those labels hold at least entropy_min_len
--                     characters: short names have too few to say anything
--                     (n characters have at most log2(n) bits each).
-- A flow that is not DNS is accepted: the check is about DNS alone.
-- Cost: a name whose labels in front of the registered domain are shorter
-- than entropy_min_len takes no allocation; a longer one takes one table (its
-- bytes, read in one call: cheaper than a call per byte).
function M.dns_no_tunnel(opts)
  local F = "dns_no_tunnel"
  if is_ctx(opts) then error(factory_misuse(F), 2) end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error("checks." .. F .. ": expected a table of settings, got " ..
      type(opts), 2)
  end
  for k in pairs(opts) do
    if not DNS_NO_TUNNEL_KEYS[k] then
      error("checks." .. F .. ": unknown setting " .. tostring(k) ..
        " (max_label, max_name, max_entropy, entropy_min_len)", 2)
    end
  end
  local max_label, m1 = want_count(F, opts, "max_label", 63, 63)
  if not max_label then error(m1, 2) end
  local max_name, m2 = want_count(F, opts, "max_name", 253, 253)
  if not max_name then error(m2, 2) end
  local min_len, m3 = want_count(F, opts, "entropy_min_len", 20, 253)
  if not min_len then error(m3, 2) end
  local max_entropy = opts.max_entropy
  if max_entropy == nil then
    max_entropy = 4.0
  elseif type(max_entropy) ~= "number" or max_entropy ~= max_entropy then
    error("checks." .. F .. ": max_entropy must be a number (bits per " ..
      "character), got " .. type(max_entropy), 2)
  elseif max_entropy <= 0 or max_entropy > 8 then
    error("checks." .. F .. ": max_entropy must be above 0 and at most " ..
      "8 bits per character, got " .. tostring(max_entropy), 2)
  end
  -- counts by byte value, all zero between calls; dirty: a call was cut
  -- short (by the budget) before it zeroed them again
  local counts, dirty = {}, false
  for i = 0, 255 do counts[i] = 0 end

  return function(ctx)
    local dns = ctx.dns
    local q = dns and dns.qname
    if type(q) ~= "string" then
      return
    end
    local n = #q
    if byte(q, n) == DOT then n = n - 1 end
    if n > max_name then
      return "drop", "dns_long_name"
    end
    -- nothing to walk for: no label can be too long, no entropy to take
    if n <= max_label and n < min_len + 4 then
      return
    end
    -- the labels, by their dots; r: the second-to-last dot, where the
    -- registered domain starts
    local start, r, last = 1, nil, nil
    while true do
      local d = find(q, ".", start, true)
      if d == nil or d > n then
        if n + 1 - start > max_label then
          return "drop", "dns_long_label"
        end
        break
      end
      if d - start > max_label then
        return "drop", "dns_long_label"
      end
      r, last = last, d
      start = d + 1
    end
    -- at least min_len bytes in front of it
    if r == nil or r <= min_len then
      return
    end
    local t = { byte(q, 1, r - 1) }
    local cnt, delta = counts, DELTA
    if dirty then
      for i = 0, 255 do cnt[i] = 0 end
    end
    dirty = true
    local chars, sum = 0, 0
    for i = 1, r - 1 do
      local b = t[i]
      if b ~= DOT then
        local c = cnt[b]
        sum = sum + delta[c]
        cnt[b] = c + 1
        chars = chars + 1
      end
    end
    for i = 1, r - 1 do
      cnt[t[i]] = 0
    end
    dirty = false
    if chars >= min_len and LOG2[chars] - sum / chars > max_entropy then
      return "drop", "dns_entropy"
    end
  end
end

-- DNS types by name (RFC 1035, 3596, 2782, 4034, 6844, 9460 and others).
local QTYPE = {
  A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16,
  AAAA = 28, LOC = 29, SRV = 33, NAPTR = 35, DS = 43, SSHFP = 44,
  RRSIG = 46, NSEC = 47, DNSKEY = 48, NSEC3 = 50, TLSA = 52, CDS = 59,
  CDNSKEY = 60, SVCB = 64, HTTPS = 65, SPF = 99, AXFR = 252, IXFR = 251,
  ANY = 255, CAA = 257,
}

local function qtype_ok(v)
  if not find(v, "^%a[%w%-]*$") then
    return "is not a DNS type name (A, AAAA, HTTPS, TYPE65, ...)"
  end
end

--- dns_qtypes{ "A", "AAAA", "HTTPS", ... }: a check that drops "dns_qtype"
-- for a query of a type not listed.  Names are case-insensitive; "TYPE65"
-- and "HTTPS" are the same type, and so are names the engine reports as
-- TYPEnn.  A flow that is not DNS is accepted.
function M.dns_qtypes(list)
  local n, msg = check_list("dns_qtypes", list, "DNS type names", qtype_ok)
  if not n then error(msg, 2) end
  local names, nums = {}, {}
  for i = 1, n do
    local t = upper(list[i])
    local num = QTYPE[t]
    local digits = find(t, "^TYPE%d+$") and sub(t, 5)
    if num == nil and digits then
      num = tonumber(digits)
      if num > 65535 then
        error("checks.dns_qtypes: \"" .. list[i] .. "\" is not a DNS " ..
          "type (TYPE0 to TYPE65535)", 2)
      end
    end
    -- an unknown mnemonic is kept by name: the engine may know it
    names[t] = true
    if num ~= nil then
      nums[num] = true
      names["TYPE" .. num] = true
    end
  end
  return function(ctx)
    local dns = ctx.dns
    if dns == nil then
      return
    end
    local num = dns.qtype_num
    if (num ~= nil and nums[num]) or names[dns.qtype] then
      return
    end
    return "drop", "dns_qtype"
  end
end

local ICMP_NO_TUNNEL_KEYS = { max_len = true, fill = true }
local WINDOWS_FILL = { byte("abcdefghijklmnopqrstuvw", 1, -1) }

-- Whether echo data d looks like what ping programs send: past a timestamp
-- of up to 16 bytes, bytes that count up by one (iputils, BSD and macOS
-- ping), or a pattern of at most 16 bytes repeated at least twice (ping -p,
-- zeros); or Windows' "abcdefghijklmnopqrstuvw" over and over.  Up to 17
-- bytes hold too little to tell.
local function ping_fill(d)
  local n = #d
  if n <= 17 then
    return true
  end
  local b = { byte(d, 1, n) }
  local i = 1
  while i <= n and b[i] == WINDOWS_FILL[(i - 1) % 23 + 1] do i = i + 1 end
  if i > n then
    return true
  end
  i = 18
  while i <= n and b[i] == (b[i - 1] + 1) % 256 do i = i + 1 end
  if i > n then
    return true
  end
  for p = 1, mmin(16, (n - 16) // 2) do
    i = 17 + p
    while i <= n and b[i] == b[i - p] do i = i + 1 end
    if i > n then
      return true
    end
  end
  return false
end

--- icmp_no_tunnel{ max_len = 128, fill = true }: a check for a rule with
-- proto = "icmp" or "icmpv6", which the engine runs on every echo request of
-- the flow (ctx.icmp: type, code, id, seq, len; ctx.payload: the first 256
-- bytes of the data).  It drops an echo request:
--   "icmp_long"     whose data is longer than max_len bytes (1 to 65535; a
--                   ping sends 56 by default, Windows 32);
--   "icmp_payload"  with fill = true (the default), whose data is not a
--                   ping's usual fill (ping_fill above: counting bytes, a
--                   short repeated pattern, Windows' alphabet); only the
--                   first 256 bytes are looked at.
-- Tunnels (ptunnel, icmptunnel, hans) carry other packets or ciphertext in
-- the data.  Other ICMP, and other protocols, are accepted.
function M.icmp_no_tunnel(opts)
  local F = "icmp_no_tunnel"
  if is_ctx(opts) then error(factory_misuse(F), 2) end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error("checks." .. F .. ": expected a table of settings, got " ..
      type(opts), 2)
  end
  for k in pairs(opts) do
    if not ICMP_NO_TUNNEL_KEYS[k] then
      error("checks." .. F .. ": unknown setting " .. tostring(k) ..
        " (max_len, fill)", 2)
    end
  end
  local max_len, m1 = want_count(F, opts, "max_len", 128, 65535)
  if not max_len then error(m1, 2) end
  local fill = opts.fill
  if fill == nil then
    fill = true
  elseif type(fill) ~= "boolean" then
    error("checks." .. F .. ": fill must be true or false, got " ..
      type(fill), 2)
  end
  return function(ctx)
    local icmp = ctx.icmp
    if icmp == nil then
      return
    end
    local flow = ctx.flow
    if icmp.type ~= (flow and flow.proto == "icmpv6" and 128 or 8) then
      return      -- not an echo request
    end
    if icmp.len > max_len then
      return "drop", "icmp_long"
    end
    if fill and not ping_fill(ctx.payload or "") then
      return "drop", "icmp_payload"
    end
  end
end

local function alpn_ok(v)
  if #v == 0 or #v > 255 then
    return "is not an ALPN protocol id (1 to 255 bytes)"
  end
end

--- alpn{ "h2", "http/1.1", required = false }: a check that drops "alpn"
-- when the ClientHello offers a protocol not listed (ids compare exactly,
-- RFC 7301).  Without ALPN, or without TLS, it accepts; with required = true
-- it drops those with "no_alpn" and "not_tls".
function M.alpn(list)
  local n, msg = check_list("alpn", list, "ALPN protocol ids", alpn_ok,
    { required = true })
  if not n then error(msg, 2) end
  local required = list.required
  if required ~= nil and type(required) ~= "boolean" then
    error("checks.alpn: required must be true or false, got " ..
      type(required), 2)
  end
  local set = {}
  for i = 1, n do set[list[i]] = true end
  return function(ctx)
    local tls = ctx.tls
    if tls == nil then
      if required then return "drop", "not_tls" end
      return
    end
    if tls.error ~= nil then return "drop", "tls_unreadable" end
    local offered = tls.alpn
    if offered == nil or offered[1] == nil then
      if required then return "drop", "no_alpn" end
      return
    end
    for i = 1, #offered do
      if not set[offered[i]] then
        return "drop", "alpn"
      end
    end
  end
end

return M
