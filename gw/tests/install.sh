#!/bin/sh
# install.sh OUTGATE - `make install` and `make deb` (issue 8, part): PREFIX and DESTDIR, the
# binary, lua/, rules/, the systemd unit, the man pages, /etc/outgate's
# policy (not overwritten); the installed binary finds its lua/ and checks
# the installed policy; the man pages format without warnings; the unit
# passes `systemd-analyze verify` where that exists.  Needs no root.
set -u
OG=${1:-build/outgate}
TOP=${OUTGATE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(dirname "$OG")
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && sed 's/^/#   /' "$2" | head -n 8; }
R=$T/root

if make -C "$TOP" -s --no-print-directory install BUILD="$BUILD" PREFIX=/usr \
    DESTDIR="$R" >"$T/make.out" 2>&1; then
	ok "make install PREFIX=/usr DESTDIR=..."
else
	notok "make install PREFIX=/usr DESTDIR=..." "$T/make.out"
	exit 0
fi
missing=""
for f in usr/sbin/outgate usr/share/outgate/lua/checks.lua usr/share/outgate/lua/outgate.lua \
    usr/share/outgate/rules/default.lua lib/systemd/system/outgate.service \
    usr/share/man/man8/outgate.8 usr/share/man/man5/outgate-policy.5 etc/outgate/policy.lua; do
	[ -f "$R/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "every file in its place"; else echo "#  $missing" >"$T/m"; notok "every file in its place" "$T/m"; fi
if [ -x "$R/usr/sbin/outgate" ] && [ "$(stat -c %a "$R/etc/outgate/policy.lua")" = 640 ]; then
	ok "the binary is executable, the policy 0640"
else
	notok "the binary is executable, the policy 0640"
fi
if grep -q '^ExecStart=/usr/sbin/outgate run ' "$R/lib/systemd/system/outgate.service" &&
    ! grep -q '@' "$R/lib/systemd/system/outgate.service"; then
	ok "the unit names the installed binary"
else
	notok "the unit names the installed binary" "$R/lib/systemd/system/outgate.service"
fi
if env -u OUTGATE_LUA_DIR "$R/usr/sbin/outgate" check --policy "$R/etc/outgate/policy.lua" >"$T/c" 2>&1; then
	ok "the installed binary finds its lua/ and checks the installed policy"
else
	notok "the installed binary finds its lua/ and checks the installed policy" "$T/c"
fi
echo "-- mine" >"$R/etc/outgate/policy.lua"
make -C "$TOP" -s --no-print-directory install BUILD="$BUILD" PREFIX=/usr DESTDIR="$R" >/dev/null 2>&1
if [ "$(cat "$R/etc/outgate/policy.lua")" = "-- mine" ]; then
	ok "a second install keeps the policy that is there"
else
	notok "a second install keeps the policy that is there"
fi
if command -v man >/dev/null 2>&1; then
	for m in man8/outgate.8 man5/outgate-policy.5; do
		if out=$(MANWIDTH=80 man --warnings -l "$R/usr/share/man/$m" 2>&1 >/dev/null) && [ -z "$out" ]; then
			ok "man $m formats without warnings"
		else
			echo "$out" >"$T/w"
			notok "man $m formats without warnings" "$T/w"
		fi
	done
else
	echo "# man not found: the man page checks are left out"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit as installed, pointed at the binary in the test's tree
	sed "s|/usr/sbin/outgate|$R/usr/sbin/outgate|g" "$R/lib/systemd/system/outgate.service" \
	    >"$T/outgate.service"
	if systemd-analyze verify --man=no "$T/outgate.service" >"$T/v" 2>&1; then
		ok "systemd-analyze verify accepts the unit"
	else
		notok "systemd-analyze verify accepts the unit" "$T/v"
	fi
else
	echo "# systemd-analyze not found: the unit check is left out"
fi

# make deb: the same tree as a Debian package
if command -v dpkg-deb >/dev/null 2>&1; then
	if make -C "$TOP" -s --no-print-directory deb BUILD="$BUILD" >"$T/deb.out" 2>&1 &&
	    deb=$(ls "$BUILD"/outgate_*.deb 2>/dev/null | head -n 1) && [ -n "$deb" ]; then
		ok "make deb builds $(basename "$deb")"
	else
		notok "make deb builds a package" "$T/deb.out"
		exit 0
	fi
	dpkg-deb --info "$deb" >"$T/info" 2>&1
	if grep -q '^ Package: outgate$' "$T/info" && grep -q '^ Depends: .*libnetfilter-queue1' "$T/info" &&
	    [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" = /etc/outgate/policy.lua ]; then
		ok "the package names itself, its dependencies and its conffile"
	else
		notok "the package names itself, its dependencies and its conffile" "$T/info"
	fi
	# a removal stops the service (a clean stop takes the rules out); a purge forgets it
	dpkg-deb --ctrl-tarfile "$deb" | tar -tf - >"$T/ctrl" 2>&1
	if grep -qx './prerm' "$T/ctrl" && grep -qx './postrm' "$T/ctrl" &&
	    dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./prerm | grep -q 'systemctl stop outgate.service' &&
	    grep -q '^ Depends: .*procps' "$T/info"; then
		ok "the package stops the service on removal (prerm, postrm) and depends on procps (ExecReload's kill)"
	else
		notok "the package has prerm and postrm, and depends on procps" "$T/ctrl"
	fi
	dpkg-deb -x "$deb" "$T/x"
	v=$("$T/x/usr/sbin/outgate" version 2>&1)
	if [ -f "$T/x/lib/systemd/system/outgate.service" ] && [ -f "$T/x/usr/share/man/man8/outgate.8.gz" ] &&
	    [ "$v" = "outgate $(sed -n 's/^#define OUTGATE_VERSION[[:space:]]*"\(.*\)"/\1/p' "$TOP/gw/main.c")" ] &&
	    env -u OUTGATE_LUA_DIR "$T/x/usr/sbin/outgate" check --policy "$T/x/etc/outgate/policy.lua" >/dev/null 2>&1; then
		ok "unpacked, its binary says its version and checks its policy ($v)"
	else
		echo "$v" >"$T/v2"
		notok "unpacked, its binary says its version and checks its policy" "$T/v2"
	fi
else
	echo "# dpkg-deb not found: the package checks are left out"
fi
