#!/bin/sh
# flood.sh BIN MKFLOOD TUNNEL_PCAP SANITIZE
# The limits under hostile load, on captures made by tests/bench/mkflood:
#  1. a random-subdomain flood (1,000,000 unique names under 200,000 random apexes from 4,096
#     clients) with a real iodine session mixed in, against small tables: the tables evict
#     (counted), the peak RSS stays under the bound the sensor computes from its configuration
#     (not checked under sanitizers, whose shadow memory is not ours), and the tunnel is
#     still HIGH;
#  2. a 50,000-query burst from one client while the same tunnel runs 20 times slower from
#     another: the tunnel is still HIGH.
# The full-size flood (10 million names, 1 million apexes) is tests/bench/flood.sh.
set -u
bin=$1 mk=$2 tunnel=$3 sanitize=${4:-none}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

cat >"$dir/small.ini" <<'EOF'
[capture]
ring_a_mb = 4
ring_b_slots = 4096
[detect]
max_apexes = 4096
max_subdomains = 65536
max_clients = 1024
cache_entries = 4096
EOF

tunnel_sev() {
	sqlite3 "$1" "select max(case severity when 'CRITICAL' then 4 when 'HIGH' then 3
		when 'MEDIUM' then 2 when 'LOW' then 1 else 0 end) from alerts where apex = 'pirate.sea'"
}

# 1. the flood
"$mk" -n 1000000 -a 200000 -k 4096 -m "$tunnel" -t 5 -o "$dir/flood.pcap" 2>/dev/null ||
	{ echo "mkflood failed"; exit 1; }
"$bin" -c "$dir/small.ini" -r "$dir/flood.pcap" -d "$dir/flood.db" 2>"$dir/flood.err" ||
	{ cat "$dir/flood.err"; exit 1; }
grep -v notice "$dir/flood.err" | tail -n 7
line=$(grep '^detection: ' "$dir/flood.err")
ev_apex=$(echo "$line" | sed -n 's/.*evicted \([0-9]*\) apexes.*/\1/p')
ev_name=$(echo "$line" | sed -n 's/.*apexes, \([0-9]*\) names.*/\1/p')
[ "${ev_apex:-0}" -gt 100000 ] || no "apex evictions $ev_apex"
[ "${ev_name:-0}" -gt 100000 ] || no "name evictions $ev_name"
rss=$(sed -n 's/.*peak RSS \([0-9]*\) MiB (bound \([0-9]*\) MiB).*/\1/p' "$dir/flood.err")
bound=$(sed -n 's/.*peak RSS \([0-9]*\) MiB (bound \([0-9]*\) MiB).*/\2/p' "$dir/flood.err")
if [ "$sanitize" = none ]; then
	[ -n "$rss" ] && [ "$rss" -le "$bound" ] || no "peak RSS $rss MiB over the bound $bound MiB"
fi
[ "$(tunnel_sev "$dir/flood.db")" -ge 3 ] || no "the tunnel in the flood is not HIGH"

# 2. the burst
"$mk" -n 50000 -a 1000 -k 1 -q 10000 -m "$tunnel" -t -60 -x 20 -o "$dir/burst.pcap" \
	2>/dev/null || { echo "mkflood failed"; exit 1; }
"$bin" -r "$dir/burst.pcap" -d "$dir/burst.db" 2>"$dir/burst.err" ||
	{ cat "$dir/burst.err"; exit 1; }
[ "$(tunnel_sev "$dir/burst.db")" -ge 3 ] || no "the slow tunnel beside the burst is not HIGH"

[ $fail = 0 ] && echo "flood: evicted $ev_apex apexes and $ev_name names, peak RSS $rss MiB" \
	"(bound $bound MiB), tunnel HIGH in the flood and beside the burst"
exit $fail
