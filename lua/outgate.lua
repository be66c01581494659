-- outgate.lua - small helpers for policy files: named address blocks and list
-- builders.  Runs in the load sandbox: pure functions, no I/O, no global state.
--
--   local og = require "outgate"
--   local_nets = og.list(og.rfc1918, og.ula),
--   port = og.ports(80, 443, "8000-8099"),

local M = {}

-- Address blocks (RFC 1918, RFC 4193, RFC 6598, RFC 3927/4291, RFC 1122/4291).
M.rfc1918    = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16" }
M.ula        = { "fc00::/7" }
M.cgnat      = { "100.64.0.0/10" }
M.link_local = { "169.254.0.0/16", "fe80::/10" }
M.loopback   = { "127.0.0.0/8", "::1/128" }
M.any        = { "0.0.0.0/0", "::/0" }

-- Well-known ports, by the service names people say.
M.port = {
  dns = 53, http = 80, https = 443, ntp = 123, ssh = 22, smtp = 25,
  submission = 587, imaps = 993, ldaps = 636, postgres = 5432, mysql = 3306,
  redis = 6379, kube_api = 6443, metrics = 9090,
}

-- Join strings and lists into one new list: list("10.0.0.0/8", M.ula, {...}).
-- The loader checks every element; this only flattens one level.
function M.list(...)
  local out = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "table" then
      for _, x in ipairs(v) do out[#out + 1] = x end
    elseif v ~= nil then
      out[#out + 1] = v
    end
  end
  return out
end

-- A port list from numbers, "lo-hi" strings, service names of M.port, and
-- lists of those.  A bad element is an error at the caller's line.
function M.ports(...)
  local out = {}
  for _, v in ipairs(M.list(...)) do
    if type(v) == "number" or (type(v) == "string" and v:match("^%d+%-%d+$")) then
      out[#out + 1] = v
    elseif type(v) == "string" and M.port[v] then
      out[#out + 1] = M.port[v]
    else
      error("outgate.ports: " .. tostring(v) .. " is not a port, a range or a service name", 2)
    end
  end
  if #out == 0 then
    error("outgate.ports: no ports given", 2)
  end
  return out
end

return M
