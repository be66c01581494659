#!/bin/sh
# bastion_image.sh OUTGATE - the bastion image (issue 8, part 4):
# tools/deploy/bastion/build-image.sh makes a Debian root filesystem with
# `make deb`'s package installed; under chroot the binary says its version
# and checks the bastion policy; the unit is enabled with its --forward
# drop-in, passes `systemd-analyze verify --root=` where that exists; the man
# pages are there and no compiler is.  Needs root, debootstrap and the
# Debian mirror (the base system is cached under the build directory, so a
# second run downloads nothing).
set -u
# the image is its own system: this tree's module folder means nothing in it
unset OUTGATE_LUA_DIR
OG=${1:-build/outgate}
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# BUILD as given (make's targets and the compiler's .d files name it so);
# ABUILD for the files this test reads and writes there
BUILD=$(dirname "$OG")
ABUILD=$(cd "$BUILD" && pwd) || exit 1
SCRIPT=$TOP/tools/deploy/bastion/build-image.sh
CACHE=$ABUILD/bastion-cache
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && sed 's/^/#   /' "$2" | head -n 8; }

[ "$(id -u)" -eq 0 ] || { echo "# skipped: the bastion image needs root (debootstrap, chroot)"; exit 0; }
command -v debootstrap >/dev/null 2>&1 || { echo "# skipped: debootstrap not found (apt-get install debootstrap)"; exit 0; }
command -v dpkg-deb >/dev/null 2>&1 || { echo "# skipped: dpkg-deb not found"; exit 0; }
# a sanitizer build (make asan) needs its runtime, which the image has not
if ldd "$OG" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	echo "# skipped: $OG is a sanitizer build; the image is tested by the plain make test"
	exit 0
fi
src=$(sh "$SCRIPT" --print-source 2>&1) || { echo "# skipped: $src"; exit 0; }
mirror=${src% *}
suite=${src#* }
if ! ls "$CACHE"/debootstrap-*.tgz >/dev/null 2>&1 &&
    ! wget -q -T 10 -t 1 -O /dev/null "$mirror/dists/$suite/Release" 2>/dev/null; then
	echo "# skipped: the mirror $mirror is unreachable and nothing is cached in $CACHE"
	exit 0
fi

T=$(mktemp -d) || exit 1
R=$T/img
# whatever is left under $T: unmounted first, then removed, on any exit
cleanup() {
	for m in $(awk -v d="$T" 'index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# bad arguments: one line, exit 2, nothing touched
sh "$SCRIPT" /nonexistent.deb "$T/x" >"$T/e" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] && [ ! -e "$T/x" ]; then
	ok "a missing package file is one error line, exit 2 ($(cat "$T/e"))"
else
	notok "a missing package file is one error line, exit 2 (exit $rc)" "$T/e"
fi

ver=$(sed -n 's/^#define OUTGATE_VERSION[[:space:]]*"\(.*\)"/\1/p' "$TOP/gw/main.c")
deb=$ABUILD/outgate_${ver}_$(dpkg --print-architecture).deb
if make -C "$TOP" -s --no-print-directory deb BUILD="$BUILD" >"$T/deb.out" 2>&1 && [ -f "$deb" ]; then
	ok "make deb builds $(basename "$deb")"
else
	notok "make deb builds $(basename "$deb")" "$T/deb.out"
	exit 0
fi

mkdir -p "$T/full" && echo keep >"$T/full/f"
sh "$SCRIPT" "$deb" "$T/full" >"$T/e" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] && [ "$(cat "$T/full/f")" = keep ]; then
	ok "an OUTDIR that is not empty is refused and left alone"
else
	notok "an OUTDIR that is not empty is refused and left alone (exit $rc)" "$T/e"
fi

# a mirror that does not answer: exit 1, and no half-built tree left behind
env -u BASTION_CACHE BASTION_MIRROR=http://127.0.0.1:9/debian sh "$SCRIPT" "$deb" "$T/bad" >"$T/e" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ ! -e "$T/bad" ] && ! grep -q " $T/bad" /proc/self/mounts; then
	ok "a failed debootstrap exits 1 and leaves no tree and no mount"
else
	notok "a failed debootstrap exits 1 and leaves no tree and no mount (exit $rc)" "$T/e"
fi

t0=$(date +%s)
if BASTION_CACHE=$CACHE sh "$SCRIPT" "$deb" "$R" >"$T/build.out" 2>&1; then
	cached=$(sed -n 's/^build-image.sh: cache: \([a-z]*\): .*/\1/p' "$T/build.out")
	ok "build-image.sh builds the image in $(($(date +%s) - t0)) s (cache ${cached:-?}): $(tail -n 1 "$T/build.out" | sed 's/.*: //')"
else
	notok "build-image.sh builds the image" "$T/build.out"
	exit 0
fi

want="outgate $ver"
v=$(chroot "$R" /usr/sbin/outgate --version 2>&1)
if [ "$v" = "$want" ]; then
	ok "under chroot, /usr/sbin/outgate --version says $v"
else
	echo "$v" >"$T/v"
	notok "under chroot, /usr/sbin/outgate --version says $want" "$T/v"
fi
if chroot "$R" sh -c 'ldd /usr/sbin/outgate' >"$T/ldd" 2>&1 && ! grep -q 'not found' "$T/ldd"; then
	ok "every library the binary needs is in the image"
else
	notok "every library the binary needs is in the image" "$T/ldd"
fi
if chroot "$R" /usr/sbin/outgate check --forward --policy /etc/outgate/policy.lua >"$T/c" 2>&1 &&
    cmp -s "$R/etc/outgate/policy.lua" "$TOP/tools/deploy/bastion/policy.lua"; then
	ok "under chroot, outgate check passes the bastion policy, which names the inside"
else
	notok "under chroot, outgate check passes the bastion policy, which names the inside" "$T/c"
fi

unit=""
for u in "$R/lib/systemd/system/outgate.service" "$R/usr/lib/systemd/system/outgate.service"; do
	[ -f "$u" ] && unit=$u && break
done
e=$(systemctl --root="$R" is-enabled outgate.service 2>&1)
if [ -n "$unit" ] && { [ "$e" = enabled ] || [ -L "$R/etc/systemd/system/multi-user.target.wants/outgate.service" ]; }; then
	ok "the unit is in place and enabled (${unit#"$R"}: $e)"
else
	echo "$e" >"$T/e"
	notok "the unit is in place and enabled" "$T/e"
fi
d=$R/etc/systemd/system/outgate.service.d/bastion.conf
if [ -f "$d" ] && grep -q '^Environment=OUTGATE_ARGS=".*--forward' "$d" &&
    grep -q '^ExecStart=.*outgate run .*\$OUTGATE_ARGS' "$R/lib/systemd/system/outgate.service" &&
    grep -q '^net.ipv4.ip_forward = 1' "$R/etc/sysctl.d/60-outgate-bastion.conf" &&
    grep -q '^net.ipv6.conf.all.forwarding = 1' "$R/etc/sysctl.d/60-outgate-bastion.conf"; then
	ok "the drop-in runs the gateway with --forward, and forwarding is on"
else
	notok "the drop-in runs the gateway with --forward, and forwarding is on" "$d"
fi
if command -v systemd-analyze >/dev/null 2>&1 && systemd-analyze verify --help 2>&1 | grep -q -- '--root'; then
	# the unit and its drop-in as the image has them: every command they
	# name (/usr/sbin/outgate, /bin/kill) must be there
	if systemd-analyze verify --man=no --root="$R" outgate.service >"$T/sa" 2>&1 && [ ! -s "$T/sa" ]; then
		ok "systemd-analyze verify --root= accepts the unit with its drop-in"
	else
		notok "systemd-analyze verify --root= accepts the unit with its drop-in" "$T/sa"
	fi
else
	echo "# systemd-analyze verify --root= not available: the unit check is left out"
fi
init=$(chroot "$R" readlink -f /sbin/init 2>&1)
if [ "$init" = "$(chroot "$R" readlink -f /lib/systemd/systemd 2>&1)" ] && [ -x "$R$init" ]; then
	ok "systemd is the image's init ($init)"
else
	notok "systemd is the image's init"
fi
if [ -f "$R/usr/share/man/man8/outgate.8.gz" ] && [ -f "$R/usr/share/man/man5/outgate-policy.5.gz" ]; then
	ok "the man pages are installed"
else
	notok "the man pages are installed"
fi
tools=""
for p in cc gcc c99 cpp make ld as; do
	for dir in usr/bin usr/local/bin bin; do
		[ -e "$R/$dir/$p" ] && tools="$tools $dir/$p"
	done
done
# shellcheck disable=SC2016 # dpkg-query's field, not the shell's
chroot "$R" dpkg-query -W -f '${Package}\n' >"$T/pkgs" 2>/dev/null
dev=$(grep -E '^(gcc(-[0-9]+)?|cpp(-[0-9]+)?|binutils|make|libc6-dev|build-essential|.*-dev)$' "$T/pkgs" | tr '\n' ' ')
if [ -z "$tools" ] && [ -z "$dev" ] && [ -s "$T/pkgs" ]; then
	ok "no build tools in the image ($(wc -l <"$T/pkgs") packages)"
else
	echo "#  $tools $dev" >"$T/m"
	notok "no build tools in the image" "$T/m"
fi
# the tarball this run used stays; those of older package lists go
used=$(sed -n 's/^build-image.sh: cache: [a-z]*: .* into \(.*\)$/\1/p; s/^build-image.sh: cache: hit: \(.*\)$/\1/p' "$T/build.out")
if [ -n "$used" ] && [ -s "$used" ]; then
	for f in "$CACHE"/debootstrap-*.tgz; do
		[ "$f" = "$used" ] || rm -f "$f"
	done
	ok "the base system is cached for the next run ($(du -sh "$used" | cut -f1) in ${used#"$TOP"/})"
else
	notok "the base system is cached for the next run"
fi
