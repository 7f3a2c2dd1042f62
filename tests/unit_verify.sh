#!/bin/sh
# unit_verify.sh SRCDIR
# meson install with a prefix of its own gives a service systemd accepts: the unit, the man
# page and the example config are generated from the build's paths (the unit named
# /usr/sbin/dnsexfild whatever the prefix). Builds without tests into a temporary prefix,
# installs, and runs systemd-analyze verify on the installed unit. Skips (77) without it.
set -u
src=$1
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson setup "$tmp/b" "$src" --prefix="$tmp/p" -Dtests=disabled >"$tmp/log" 2>&1 &&
	ninja -C "$tmp/b" >>"$tmp/log" 2>&1 && meson install -C "$tmp/b" >>"$tmp/log" 2>&1 ||
	{ echo "FAIL build and install"; tail -20 "$tmp/log"; exit 1; }
unit=$tmp/p/lib/systemd/system/dnsexfild.service
[ -f "$unit" ] || { echo "FAIL no unit under the prefix"; exit 1; }
grep -q "^ExecStart=$tmp/p/sbin/dnsexfild -c $tmp/p/etc/dnsexfild/dnsexfild.ini" "$unit" ||
	{ echo "FAIL the unit does not name the prefix's paths"; grep ExecStart "$unit"; exit 1; }
grep -q "$tmp/p/etc/dnsexfild/dnsexfild.ini" "$tmp/p/share/man/man8/dnsexfild.8" ||
	{ echo "FAIL the man page does not name the prefix's paths"; exit 1; }
systemd-analyze verify --man=no "$unit" || { echo "FAIL systemd-analyze verify"; exit 1; }
echo "ok   meson install --prefix: the unit names $tmp/p and systemd-analyze verify accepts it"
