-- 13-bastion-src: a bastion forwards the inside; hosts of 10.1.2.0/24 may go anywhere.
return {
  local_nets = { "10.1.0.0/16" },
  egress = {
    { name = "office", src = "10.1.2.0/24", proto = "any", to = "0.0.0.0/0" },
  },
}
