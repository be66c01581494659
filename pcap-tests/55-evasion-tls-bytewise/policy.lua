-- 55-evasion-tls-bytewise: HTTPS to 198.51.100.0/24 when the SNI is one label under example.com.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "web", proto = "tcp", port = 443, to = "198.51.100.0/24",
      host = { "*.example.com" }, check = "checks.sni_matches_host" },
  },
}
