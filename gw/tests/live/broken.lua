-- Live tests: a policy that must not load (an unknown key); a reload to it
-- keeps the policy that was running.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  egress = {
    { name = "everything", proto = "any", to = "0.0.0.0/0", no_such_key = true },
  },
}
