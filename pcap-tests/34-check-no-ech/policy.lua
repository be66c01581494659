-- 34-check-no-ech: HTTPS to 198.51.100.0/24 without Encrypted Client Hello.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = "198.51.100.0/24",
      check = "checks.no_ech" },
  },
}
