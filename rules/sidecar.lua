-- sidecar.lua - an example for a Kubernetes pod: outgate shares the pod's
-- network namespace and guards every container in it.
--
-- The pod runs a web app (uid 1000) that talks to its database, to one payment
-- API by name, and to the cluster DNS; a metrics agent is scraped from inside
-- the cluster.  Nothing else leaves the pod, and nothing else gets in.

local og = require "outgate"

local cluster_dns = { "10.96.0.10", "fd00:10:96::a" }
local pod_net     = { "10.244.0.0/16", "fd00:10:244::/56" }

return {
  mode = "enforce",
  unknown_egress = "reject",          -- fail fast: an app sees ECONNREFUSED, not a hang
  local_nets = pod_net,

  inbound = {
    -- the app's own port, from the cluster's ingress controllers
    { name = "app-http", proto = "tcp", port = 8080, from = "10.244.0.0/16" },
    -- Prometheus scrapes the metrics agent from the monitoring namespace
    { name = "metrics", proto = "tcp", port = og.port.metrics, from = "10.244.8.0/24" },
  },

  egress = {
    { name = "dns", proto = "any", port = og.port.dns, to = cluster_dns },

    -- the Kubernetes API, for the service account's token review only
    { name = "kube-api", proto = "tcp", port = og.port.https, to = "10.96.0.1",
      cgroup = "/kubepods" },

    -- the database, from the app's process only
    { name = "db", proto = "tcp", port = og.port.postgres, to = "10.244.32.0/20",
      exe = "/app/bin/server", uid = 1000 },

    -- the payment API, by name; what the TLS handshake names must agree
    { name = "payments", proto = "tcp", port = og.port.https,
      host = { "api.payments.example", "*.api.payments.example" },
      uid = 1000, check = "no_plain_post" },

    -- object storage for uploads: any bucket host of the provider
    { name = "uploads", proto = "tcp", port = og.ports("https", "9000-9001"),
      host = "**.storage.example", uid = 1000 },
  },

  -- Checks run per flow on the parsed handshake; they return a verdict and a
  -- reason, or nothing to accept.
  checks = {
    no_plain_post = function(ctx)
      if ctx.http and ctx.http.method == "POST" then
        return "drop", "post without tls"
      end
    end,
  },
}
