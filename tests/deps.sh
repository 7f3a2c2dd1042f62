#!/bin/sh
# deps.sh: install what building and testing dnsexfild needs on Debian 12 (run as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	gcc clang libc6-dev meson ninja-build pkg-config python3 \
	libpcap-dev libpsl-dev publicsuffix libsqlite3-dev sqlite3 libinih-dev libcjson-dev zlib1g-dev libcunit1-dev libldns-dev valgrind \
	tshark tcpdump clang-format awscli unbound dnsutils iodine dns2tcp ptunnel-ng fping traceroute iputils-ping netcat-openbsd iproute2 strace curl logrotate \
	build-essential debhelper lintian >/dev/null
# unbound's own service is not wanted: the tests start their own on loopback
systemctl disable --now unbound >/dev/null 2>&1 || true
