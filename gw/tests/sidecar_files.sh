#!/bin/sh
# sidecar_files.sh OUTGATE - what tools/deploy/sidecar holds, checked without
# a container engine: the entrypoint parses and refuses bad settings with one
# line; the Kubernetes example is a native sidecar with a startup probe on
# `outgate health`, least capabilities, apps without NET_ADMIN or NET_RAW, a
# policy that `outgate check` accepts, a default-deny NetworkPolicy; every
# file the Dockerfile copies exists.  (The entrypoint at work: sidecar_live.sh.)
set -u
OG=${1:-build/outgate}
D=tools/deploy/sidecar
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }

if sh -n "$D/entrypoint.sh" 2>"$T/err"; then ok "entrypoint.sh parses"; else notok "entrypoint.sh parses"; fi

# bad settings: exit 2, one line, before anything is installed
mkdir "$T/bin" && ln -s "$(cd "$(dirname "$OG")" && pwd)/$(basename "$OG")" "$T/bin/outgate"
printf 'return { egress = {\n' >"$T/bad.lua"
try() {
	desc=$1
	shift
	env PATH="$T/bin:$PATH" "$@" sh "$D/entrypoint.sh" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(grep -c '^entrypoint:' "$T/err")" -eq 1 ]; then
		ok "$desc: exit 2 with one line ($(grep '^entrypoint:' "$T/err"))"
	else
		notok "$desc: exit $rc"
		sed 's/^/#   /' "$T/err" | head -n 5
	fi
}
try "OUTGATE_WATCH=soon" OUTGATE_WATCH=soon
try "OUTGATE_QUEUE=-1" OUTGATE_QUEUE=-1
try "a policy outgate check refuses" OUTGATE_POLICY="$T/bad.lua"
try "no outgate binary" OUTGATE_BIN=/nonexistent/outgate

if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	/usr/bin/python3 - "$D/k8s/example.yaml" "$T/policy.lua" >"$T/k8s.out" 2>&1 <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
def say(ok, what):
    print(("ok " if ok else "not ok ") + what)
cm, pod, np = kinds.get("ConfigMap"), kinds.get("Pod"), kinds.get("NetworkPolicy")
say(cm is not None and pod is not None and np is not None,
    "the example has a ConfigMap, a Pod and a NetworkPolicy")
open(sys.argv[2], "w").write(cm["data"]["policy.lua"])
spec = pod["spec"]
side = [c for c in spec.get("initContainers", []) if c["name"] == "outgate"]
say(len(side) == 1 and side[0].get("restartPolicy") == "Always",
    "outgate is a native sidecar (an init container with restartPolicy Always)")
s = side[0]
probe = s.get("startupProbe", {}).get("exec", {}).get("command", [])
say(probe == ["/usr/sbin/outgate-sidecar", "health"],
    "its startup probe is the entrypoint's health (outgate health as the daemon's user)")
caps = s["securityContext"]["capabilities"]
say(caps.get("drop") == ["ALL"] and set(caps.get("add", [])) <=
    {"NET_ADMIN", "SETUID", "SETGID", "SYS_PTRACE", "DAC_READ_SEARCH"} and
    "NET_ADMIN" in caps.get("add", []),
    "it drops all capabilities but NET_ADMIN, SETUID, SETGID (%s)" % caps.get("add"))
say(s["securityContext"].get("allowPrivilegeEscalation") is False,
    "it runs with allowPrivilegeEscalation false")
mounts = {m["name"]: m for m in s.get("volumeMounts", [])}
vols = {v["name"]: v for v in spec.get("volumes", [])}
pm = [m for m in mounts.values() if "configMap" in vols.get(m["name"], {})]
say(len(pm) == 1 and "subPath" not in pm[0] and pm[0]["mountPath"] == "/etc/outgate",
    "the policy is a ConfigMap mounted as a folder at /etc/outgate (no subPath)")
run = [m for m in mounts.values() if m["mountPath"] == "/run/outgate"]
say(len(run) == 1 and "emptyDir" in vols.get(run[0]["name"], {}),
    "/run/outgate (the control socket) is an emptyDir")
apps = spec["containers"]
bad = [c["name"] for c in apps
       if set(c.get("securityContext", {}).get("capabilities", {}).get("add", [])) &
       {"NET_ADMIN", "NET_RAW", "SYS_ADMIN"} or
       c.get("securityContext", {}).get("capabilities", {}).get("drop") != ["ALL"] or
       c.get("securityContext", {}).get("runAsUser") in (None, 0, 2999)]
say(apps and not bad, "app containers drop ALL, get no NET_ADMIN or NET_RAW, and "
    "run as their own uid (bad: %s)" % bad)
npspec = np["spec"]
say(sorted(npspec.get("policyTypes", [])) == ["Egress", "Ingress"] and
    npspec["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(),
    "the NetworkPolicy covers the pod, ingress and egress")
PY
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) notok "${line#not ok }" ;;
		*) notok "k8s/example.yaml: $line" ;;
		esac
	done <"$T/k8s.out"
	if "$OG" check --policy "$T/policy.lua" >"$T/out" 2>&1; then
		ok "the ConfigMap's policy passes outgate check"
	else
		notok "the ConfigMap's policy passes outgate check ($(cat "$T/out"))"
	fi
else
	echo "# python3-yaml not found: the Kubernetes example is not checked"
fi

# health without a daemon: not ready, exit 1
env PATH="$T/bin:$PATH" OUTGATE_CONTROL="$T/none.sock" sh "$D/entrypoint.sh" health >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "not ready" "$T/err" && ok "entrypoint.sh health with no daemon: exit 1, not ready" ||
    notok "entrypoint.sh health with no daemon: exit $rc"

# every COPY source of the Dockerfile is in the tree (--from= copies aside)
missing=""
for src in $(awk '$1 == "COPY" && $2 !~ /^--from=/ { for (i = 2; i < NF; i++) print $i }' "$D/Dockerfile"); do
	[ -e "$src" ] || missing="$missing $src"
done
[ -z "$missing" ] && ok "every file the Dockerfile copies exists" ||
    notok "the Dockerfile copies what is not there:$missing"
grep -q '^ENTRYPOINT \["/usr/sbin/outgate-sidecar"\]' "$D/Dockerfile" &&
    grep -q 'entrypoint.sh /usr/sbin/outgate-sidecar' "$D/Dockerfile" &&
    ok "the Dockerfile's entrypoint is entrypoint.sh" ||
    notok "the Dockerfile's entrypoint is entrypoint.sh"
# the runtime stage installs the libraries the Debian package depends on, and iptables
deps=$(sed -n 's/^Depends: //p' tools/deploy/debian/control.in | sed 's/([^)]*)//g' |
    tr -d ' ' | tr , '\n' | grep '^lib\|^iptables$' | grep -v '^libc6$')
lack=""
for p in $deps; do
	grep -q "[[:space:]]$p\([[:space:]]\|\$\)" "$D/Dockerfile" || lack="$lack $p"
done
[ -z "$lack" ] && ok "the image installs the package's runtime dependencies" ||
    notok "the image lacks runtime dependencies:$lack"
exit 0
