-- 22-meta: only /usr/bin/backup may reach the API; root may use 8443.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "backup", exe = "/usr/bin/backup", proto = "tcp", port = 443, to = "198.51.100.0/24" },
    { name = "root-tls", uid = 0, proto = "tcp", port = 8443 },
  },
}
