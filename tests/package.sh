#!/bin/sh
# package.sh [SRCDIR]
# The Debian package, as a packager and an operator meet it: builds it with
# dpkg-buildpackage -us -uc -b from a copy of the tracked files, runs lintian (no error may be
# reported), installs it with apt-get, and checks what was installed: the binary and its
# version, the man page, the configuration and the allowlist as conffiles, the hooks, the
# SQL files, the unit (systemd-analyze verify; not enabled), the system user and its state
# directory; then replays a capture as that user with the installed configuration and reads
# the alerts with report, and purges the package (and removes the user if it made it). Skips (77) when not root, without
# dpkg-buildpackage or lintian, or when a dnsexfild package is already installed (it is
# never replaced). Prints "ok"/"FAIL" lines; exit 1 on a failure.
set -u
src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: not root"; exit 77; }
for t in dpkg-buildpackage lintian apt-get git; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
if dpkg-query -W -f='${Status}' dnsexfild 2>/dev/null | grep -q "installed"; then
	echo "SKIP: a dnsexfild package is installed here already; not touching it"
	exit 77
fi
tmp=$(mktemp -d)
installed=0
# the package's postinst makes the system user, and purge leaves it (as Debian does); a user
# this test made goes again, so later live tests here are not run as it
had_user=0
getent passwd dnsexfild >/dev/null && had_user=1
cleanup() {
	[ $installed = 1 ] && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq dnsexfild >/dev/null 2>&1
	if [ $had_user = 0 ] && getent passwd dnsexfild >/dev/null; then
		deluser --system --quiet dnsexfild >/dev/null 2>&1
		delgroup --system --quiet dnsexfild >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
ver=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$src/meson.build")
tree=$tmp/dnsexfild-$ver
mkdir -p "$tree"
(cd "$src" && git ls-files) | (cd "$src" && tar -cf - -T -) | tar -xf - -C "$tree"
(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
	{ bad "dpkg-buildpackage failed"; tail -30 "$tmp/build.log"; exit 1; }
deb=$(ls "$tmp"/dnsexfild_"$ver"_*.deb)
ok "dpkg-buildpackage -us -uc -b: $(basename "$deb") ($(grep -c '^ *[0-9]*/[0-9]* .* OK ' "$tmp/build.log") unit suites passed in the build)"
lintian --fail-on error "$tmp"/dnsexfild_"$ver"_*.changes >"$tmp/lintian" 2>&1 &&
	! grep -q "^E:" "$tmp/lintian" && ok "lintian: no error ($(grep -c '^[WI]:' "$tmp/lintian") warnings or notes)" ||
	{ bad "lintian reports errors"; grep "^E:" "$tmp/lintian"; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$tmp/install.log" 2>&1 &&
	installed=1 && ok "apt-get install ./$(basename "$deb")" ||
	{ bad "apt-get install failed"; tail -20 "$tmp/install.log"; exit 1; }
for f in /usr/sbin/dnsexfild /usr/share/man/man8/dnsexfild.8.gz /etc/dnsexfild/dnsexfild.ini \
	/etc/dnsexfild/allowlist.txt /usr/libexec/dnsexfild/route53-dns-firewall \
	/usr/libexec/dnsexfild/route53-dns-firewall-setup /usr/libexec/dnsexfild/unbound-block \
	/usr/libexec/dnsexfild/isolate-instance /usr/share/dnsexfild/sql/open_high_alerts.sql \
	/lib/systemd/system/dnsexfild.service /usr/lib/sysusers.d/dnsexfild.conf \
	/usr/lib/tmpfiles.d/dnsexfild.conf /etc/logrotate.d/dnsexfild \
	/usr/libexec/dnsexfild/notify/securityhub /usr/libexec/dnsexfild/notify/eventbridge \
	/usr/libexec/dnsexfild/notify/sns /usr/libexec/dnsexfild/notify/slack \
	/usr/libexec/dnsexfild/notify/notify_common.py; do
	[ -e "$f" ] || bad "not installed: $f"
done
[ $fails = 0 ] && ok "installed: binary, man page, configuration, allowlist, four hooks, four notifiers, SQL, unit, sysusers, tmpfiles and logrotate entries"
/usr/sbin/dnsexfild --version | grep -q "^dnsexfild $ver$" && ok "dnsexfild --version: $ver" || bad "--version"
conf=$(dpkg-query -W -f='${Conffiles}' dnsexfild)
echo "$conf" | grep -q "/etc/dnsexfild/dnsexfild.ini" && echo "$conf" | grep -q "/etc/dnsexfild/allowlist.txt" &&
	ok "the configuration and the allowlist are conffiles" || bad "conffiles: $conf"
grep -q "^envfile=.*:-/etc/dnsexfild/route53.env}" /usr/libexec/dnsexfild/route53-dns-firewall &&
	ok "the Route 53 hook reads /etc/dnsexfild/route53.env" || bad "the hook's env file"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify --man=no /lib/systemd/system/dnsexfild.service >"$tmp/verify" 2>&1 &&
		grep -q "^ExecStart=/usr/sbin/dnsexfild -c /etc/dnsexfild/dnsexfild.ini" /lib/systemd/system/dnsexfild.service &&
		ok "systemd-analyze verify accepts the installed unit" || { bad "the unit"; cat "$tmp/verify"; }
fi
[ -f /etc/systemd/system/multi-user.target.wants/dnsexfild.service ] &&
	bad "the service was enabled on install (it needs its interface configured first)" ||
	ok "the service is not enabled on install"
getent passwd dnsexfild | grep -q ":/var/lib/dnsexfild:/usr/sbin/nologin$" &&
	[ "$(stat -c '%U %a' /var/lib/dnsexfild)" = "dnsexfild 750" ] &&
	ok "the system user dnsexfild and /var/lib/dnsexfild (0750)" || bad "user or state directory"
# a replay as the service's user, with the installed configuration, into its state directory
cp "$src/pcaps/iodine-pirate-sea.pcap" "$tmp/" && chmod 755 "$tmp" && chmod 644 "$tmp/iodine-pirate-sea.pcap"
if runuser -u dnsexfild -- /usr/sbin/dnsexfild -c /etc/dnsexfild/dnsexfild.ini -q \
	-r "$tmp/iodine-pirate-sea.pcap" -d /var/lib/dnsexfild/pkg.db 2>"$tmp/e" &&
	runuser -u dnsexfild -- /usr/sbin/dnsexfild report -d /var/lib/dnsexfild/pkg.db >"$tmp/r" &&
	grep -q "pirate.sea" "$tmp/r"; then
	ok "a replay as dnsexfild with the installed configuration: $(grep -c pirate.sea "$tmp/r") alert(s) for pirate.sea in report"
else
	bad "replay with the installed package"; cat "$tmp/e" "$tmp/r"
fi
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq dnsexfild >/dev/null 2>&1 && installed=0
[ ! -e /usr/sbin/dnsexfild ] && [ ! -e /etc/dnsexfild ] && [ ! -e /var/lib/dnsexfild ] &&
	ok "apt-get purge removes the files, the configuration and the state directory" || bad "purge left files"
[ $fails = 0 ]
