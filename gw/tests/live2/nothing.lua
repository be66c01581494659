-- Live tests 2: a policy that allows nothing, run with --mode monitor: every
-- packet passes and the log says what enforce mode would have done.
return {
  unknown_egress = "drop",
  local_nets = { "10.77.0.2/32", "fd77::2/128" },
  egress = {},
}
