#!/bin/sh
# build-image.sh DEB OUTDIR - a minimal Debian root filesystem for a bastion
# appliance (issue 8, part 4): debootstrap --variant=minbase of the suite and
# mirror this machine's apt uses, the runtime libraries the package DEB
# depends on, systemd as init, DEB installed, /etc/outgate/policy.lua the
# bastion example beside this script, outgate.service enabled with a drop-in
# that runs it with --forward, and IP forwarding on.  Needs root.
#
#   build-image.sh --print-source    the mirror and suite it would use
#
# Environment:
#   BASTION_CACHE=DIR      keep the downloaded base system in DIR (a tarball
#                          of debootstrap --make-tarball, one per suite, arch
#                          and package list): a second run downloads nothing
#   BASTION_MIRROR=URL     the Debian mirror     } default: the first Debian
#   BASTION_SUITE=NAME     the suite (bookworm)  } source of /etc/apt
#   BASTION_PACKAGES="A B" more packages for the image (openssh-server, a
#                          kernel and a boot loader for a disk, ...)
#
# Exit codes: 0 built, 1 a step failed, 2 bad usage.  OUTDIR must be absent
# or empty; on failure whatever was mounted under it is unmounted and the
# half-built tree removed.
set -eu
# the image is its own system: this tree's module folder means nothing in it
unset OUTGATE_LUA_DIR
ME=build-image.sh
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "$ME: $*" >&2; exit 1; }
usage() { echo "$ME: $* (usage: $ME DEB OUTDIR)" >&2; exit 2; }

# The Debian sources apt uses here, one "URI SUITE" line each, in apt's
# order: sources.list, then sources.list.d/*.list and *.sources (deb822).
apt_sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
		[ -f "$f" ] || continue
		case "$f" in
		*.list)
			awk '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if (i + 1 <= NF) print $i, $(i + 1)
			}' "$f" ;;
		*.sources)
			awk 'function flush(  i, j, nu, ns, u, s) {
				if (types ~ /(^| )deb( |$)/ && enabled != "no") {
					nu = split(uris, u, " "); ns = split(suites, s, " ")
					for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
				}
				types = uris = suites = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				k = tolower($1); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types:") types = v
				else if (k == "uris:") uris = v
				else if (k == "suites:") suites = v
				else if (k == "enabled:") enabled = tolower(v)
			}
			END { flush() }' "$f" ;;
		esac
	done
}

# MIRROR SUITE: the first source that is the main archive (not security,
# updates, backports), unless BASTION_MIRROR and BASTION_SUITE say.
pick_source() {
	src=$(apt_sources | awk '$1 !~ /security/ && $2 !~ /[-\/]/ { sub(/\/+$/, "", $1); print $1, $2; exit }')
	MIRROR=${BASTION_MIRROR:-${src%% *}}
	SUITE=${BASTION_SUITE:-${src#* }}
	[ -n "$MIRROR" ] && [ -n "$SUITE" ] ||
	    die "no Debian source in /etc/apt (set BASTION_MIRROR and BASTION_SUITE)"
	# the security archive too, when apt here has one, for the image's own apt
	SECURITY=$(apt_sources | awk -v s="$SUITE-security" '$2 == s { sub(/\/+$/, "", $1); print $1; exit }')
}

if [ "${1:-}" = --print-source ]; then
	[ $# -eq 1 ] || usage "--print-source takes no argument"
	pick_source
	echo "$MIRROR $SUITE"
	exit 0
fi
[ $# -eq 2 ] || usage "two arguments needed, got $#"
DEB=$1
OUT=$2
case "$DEB" in -*) usage "unknown option $DEB" ;; esac
[ -f "$DEB" ] && [ -r "$DEB" ] || usage "$DEB: no such package file"
[ "$(dpkg-deb -f "$DEB" Package 2>/dev/null)" = outgate ] || usage "$DEB: not an outgate package"
[ -z "$OUT" ] || [ "$OUT" = / ] && usage "OUTDIR must be a directory other than /"
if [ -e "$OUT" ]; then
	[ -d "$OUT" ] || usage "$OUT exists and is not a directory"
	[ -z "$(ls -A "$OUT")" ] || usage "$OUT is not empty"
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (apt-get install debootstrap)"
command -v chroot >/dev/null 2>&1 || die "chroot not found"

ARCH=$(dpkg --print-architecture)
DEBARCH=$(dpkg-deb -f "$DEB" Architecture)
[ "$DEBARCH" = "$ARCH" ] || [ "$DEBARCH" = all ] ||
    die "$DEB is for $DEBARCH, this machine is $ARCH (no foreign images)"
pick_source

# What the image holds beyond minbase: the package's Depends (the first of
# each alternative, versions left to dpkg), systemd as init, procps for the
# unit's ExecReload=/bin/kill (the package does not depend on it), iproute2
# to wire the interfaces, and whatever BASTION_PACKAGES adds.
DEPENDS=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' |
    sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' | grep -v '^$')
# shellcheck disable=SC2086 # word splitting wanted: lists of names
PKGS=$(printf '%s\n' $DEPENDS systemd systemd-sysv procps iproute2 ${BASTION_PACKAGES:-} |
    tr ',' '\n' | sed '/^$/d' | sort -u | tr '\n' , | sed 's/,$//')

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ "$OUT" != / ] || usage "OUTDIR must be a directory other than /"
done_ok=0
WORK=""

# Every mount point under OUT (not OUT itself: that may be the disk the
# image goes to), deepest first.
mounts_under() {
	awk -v d="$OUT" 'index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	[ -z "$WORK" ] || rm -rf --one-file-system "$WORK" "$WORK.tgz"
	if [ "$done_ok" -ne 1 ]; then
		for m in $(mounts_under); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
		if [ -n "$(mounts_under)" ]; then
			echo "$ME: could not unmount everything under $OUT; left in place" >&2
		else
			rm -rf --one-file-system "$OUT" 2>/dev/null || true
		fi
		[ "$rc" -ne 0 ] || rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

LOG=$OUT.debootstrap.log
step() { echo "$ME: $*"; }

# 1. the base system: from the cache when it has this suite, arch and list
step "base: $SUITE ($ARCH) from $MIRROR, with $PKGS"
set -- --variant=minbase --arch="$ARCH" --include="$PKGS"
if [ -n "${BASTION_CACHE:-}" ]; then
	mkdir -p "$BASTION_CACHE" || die "cannot make BASTION_CACHE $BASTION_CACHE"
	key=$(printf '%s %s %s %s\n' "$MIRROR" "$SUITE" "$ARCH" "$PKGS" | cksum | cut -d' ' -f1)
	TARBALL=$(cd "$BASTION_CACHE" && pwd)/debootstrap-$SUITE-$ARCH-$key.tgz
	if [ -s "$TARBALL" ]; then
		step "cache: hit: $TARBALL"
	else
		step "cache: miss: downloading into $TARBALL"
		WORK=$(mktemp -d "$TARBALL.work.XXXXXX")
		debootstrap "$@" --make-tarball="$WORK.tgz" "$SUITE" "$WORK/root" "$MIRROR" \
		    >"$LOG" 2>&1 || { tail -n 5 "$LOG" >&2; rm -f "$WORK.tgz"; die "debootstrap --make-tarball failed (log: $LOG)"; }
		mv "$WORK.tgz" "$TARBALL"
		rm -rf --one-file-system "$WORK"
		WORK=""
	fi
	set -- "$@" --unpack-tarball="$TARBALL"
fi
debootstrap "$@" "$SUITE" "$OUT" "$MIRROR" >"$LOG" 2>&1 ||
    { tail -n 5 "$LOG" >&2; die "debootstrap failed (log: $LOG)"; }
rm -f "$LOG"
[ -z "$(mounts_under)" ] || die "debootstrap left mounts under $OUT"

# 2. the package, with no service started while the image is built
step "install: $(basename "$DEB")"
printf '#!/bin/sh\nexit 101\n' >"$OUT/usr/sbin/policy-rc.d"
chmod 0755 "$OUT/usr/sbin/policy-rc.d"
cp "$DEB" "$OUT/tmp/outgate.deb"
chroot "$OUT" dpkg -i /tmp/outgate.deb >"$OUT/tmp/dpkg.log" 2>&1 ||
    { tail -n 5 "$OUT/tmp/dpkg.log" >&2; die "dpkg -i $(basename "$DEB") failed in the image"; }
rm -f "$OUT/tmp/outgate.deb" "$OUT/tmp/dpkg.log" "$OUT/usr/sbin/policy-rc.d"

# 3. the bastion: its policy, the unit in forward mode, IP forwarding
step "configure: policy, unit drop-in, forwarding"
install -m 0640 "$HERE/policy.lua" "$OUT/etc/outgate/policy.lua"
chroot "$OUT" /usr/sbin/outgate check --forward --policy /etc/outgate/policy.lua >/dev/null ||
    die "the bastion policy does not load in the image"
mkdir -p "$OUT/etc/systemd/system/outgate.service.d"
cat >"$OUT/etc/systemd/system/outgate.service.d/bastion.conf" <<'EOF'
# bastion.conf - outgate on a bastion: it governs the traffic it forwards
# between the clients (local_nets in /etc/outgate/policy.lua) and the
# upstream network, by source host (--forward hooks FORWARD, not OUTPUT and
# INPUT).  Forwarded packets belong to their source host, not to a local
# process, so there is no process attribution (--no-attrib) and no need for
# the capabilities it takes.  Written by tools/deploy/bastion/build-image.sh.
[Service]
Environment=OUTGATE_ARGS="--forward --no-attrib"
CapabilityBoundingSet=
CapabilityBoundingSet=CAP_NET_ADMIN
EOF
cat >"$OUT/etc/sysctl.d/60-outgate-bastion.conf" <<'EOF'
# The bastion routes between its clients and the upstream network; outgate
# (outgate.service, --forward) decides what it forwards.
net.ipv4.ip_forward = 1
net.ipv6.conf.all.forwarding = 1
EOF
chroot "$OUT" systemctl enable outgate.service >/dev/null 2>&1 ||
    die "systemctl enable outgate.service failed in the image"
echo bastion >"$OUT/etc/hostname"
[ -s "$OUT/etc/hosts" ] ||
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tbastion\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$OUT/etc/hosts"
# debootstrap copied this machine's resolver; the bastion's is its own
rm -f "$OUT/etc/resolv.conf"
echo "# the bastion's resolvers: nameserver ADDRESS" >"$OUT/etc/resolv.conf"
# a new machine id at first boot, not this build's
: >"$OUT/etc/machine-id"
rm -f "$OUT/var/lib/dbus/machine-id"
# the image's own apt: the same archive, its updates and security
{
	printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$MIRROR" "$SUITE" "$SUITE"
	printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
	[ -z "$SECURITY" ] ||
	    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
	    "$SECURITY" "$SUITE"
} >"$OUT/etc/apt/sources.list.d/debian.sources"
rm -f "$OUT/etc/apt/sources.list"
chroot "$OUT" apt-get clean >/dev/null 2>&1 || true
rm -rf "$OUT"/var/lib/apt/lists/*_* "$OUT"/var/log/bootstrap.log

done_ok=1
size=$(du -sh --one-file-system "$OUT" | cut -f1)
echo "$ME: built $OUT: $(chroot "$OUT" /usr/sbin/outgate version), $SUITE, $size"
