#!/bin/sh
# unit_verify.sh SRCDIR
# meson install with a prefix of its own gives a service systemd accepts: the unit, the man
# page and the hooks are generated from the build's paths (the unit named /usr/sbin/dnsexfild
# and the hooks /etc/dnsexfild whatever the prefix). Builds without tests into a temporary
# prefix, installs, runs systemd-analyze verify on the installed unit, and applies the
# installed sysusers.d and tmpfiles.d files to an empty root. Skips (77) without systemd.
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
for h in route53-dns-firewall isolate-instance; do
	grep -q "^envfile=.*:-$tmp/p/etc/dnsexfild/" "$tmp/p/libexec/dnsexfild/$h" ||
		{ echo "FAIL the hook $h does not name the prefix's env file"; exit 1; }
done
grep -q "^Type=notify" "$unit" && grep -q "^WatchdogSec=" "$unit" ||
	{ echo "FAIL the unit is not Type=notify with a watchdog"; exit 1; }
systemd-analyze verify --man=no "$unit" || { echo "FAIL systemd-analyze verify"; exit 1; }
echo "ok   meson install --prefix: the unit, the man page and the hooks name $tmp/p; systemd-analyze verify accepts the unit"
# the user and the state directory from the installed files, in an empty root
mkdir -p "$tmp/root/etc"
systemd-sysusers --root="$tmp/root" "$tmp/p/lib/sysusers.d/dnsexfild.conf" >/dev/null 2>&1 &&
	systemd-tmpfiles --root="$tmp/root" --create "$tmp/p/lib/tmpfiles.d/dnsexfild.conf" ||
	{ echo "FAIL systemd-sysusers or systemd-tmpfiles refused the installed files"; exit 1; }
uid=$(sed -n 's/^dnsexfild:x:\([0-9]*\):.*:\/var\/lib\/dnsexfild:\/usr\/sbin\/nologin$/\1/p' "$tmp/root/etc/passwd")
[ -n "$uid" ] && [ "$(stat -c '%u %a' "$tmp/root/var/lib/dnsexfild")" = "$uid 750" ] ||
	{ echo "FAIL user or state directory: $(cat "$tmp/root/etc/passwd") $(stat -c '%u %a' "$tmp/root/var/lib/dnsexfild")"; exit 1; }
echo "ok   sysusers.d makes the system user dnsexfild ($uid), tmpfiles.d its state directory (0750)"
