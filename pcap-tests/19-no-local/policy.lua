-- 19-no-local: TCP/443 out to 198.51.100.0/24; no local_nets: the capture is read as taken on the inside host.
return {
  egress = {
    { name = "api", proto = "tcp", port = 443, to = "198.51.100.0/24" },
  },
}
