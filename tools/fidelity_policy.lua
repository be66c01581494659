-- fidelity_policy.lua - for tools/wireshark_diff.py: watch everything, block
-- nothing, pick up TCP flows whose handshake the capture missed, so that every
-- handshake in a capture reaches the dissectors.
return {
  mode = "monitor",
  tcp_midstream = "allow",
  egress = { { name = "any", proto = "any" } },
  inbound = { { name = "any_in", proto = "any" } },
}
