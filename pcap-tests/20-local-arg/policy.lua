-- 20-local-arg: TCP/443 out to 198.51.100.0/24; no local_nets: the inside comes from args (--local).
return {
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
