#!/bin/sh
# consul_lab.sh BIN CAPTURE
# Service discovery under internal names, on a capture made with real tools
# (pcaps/mklab-consul.sh: dig through a real unbound to Consul-style answers, about 15 lookups
# a second, most of a fixed set, one in eight a hex-encoded 10/8 or fd00::/8 address under
# addr.dc1.consul): nothing above LOW (volume alone is LOW, address labels carry no data), and
# no block requested (consul never leaves the site: the site_local refusal). It once reached
# HIGH_FREQUENCY CRITICAL and ENCODED_SUBDOMAIN HIGH and was block-requested.
set -u
bin=$1 cap=$2
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
"$bin" -r "$cap" -d "$dir/c.db" --dry-run -q 2>/dev/null
q() { sqlite3 "$dir/c.db" "$1"; }
n=$(q "select count(*) from alerts where severity != 'LOW'")
low=$(q "select count(*) from alerts")
[ "$n" = 0 ] && echo "ok   service discovery: no alert above LOW ($low LOW)" ||
	{ echo "FAIL $n alerts above LOW:"; q "select apex, threat_type, severity from alerts"; fails=$((fails + 1)); }
[ "$(q "select count(*) from blocks")" = 0 ] && echo "ok   no block requested" || { echo "FAIL blocks requested"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
