#!/bin/sh
# flood.sh [BUILD_DIR] [NAMES] [APEXES]
# The hardening benchmarks, run by hand (not a test; figures, not pass/fail timings):
#  1. bounded memory: a random-subdomain flood of NAMES unique names (10,000,000) under APEXES
#     random apexes (1,000,000) from 4,096 clients at 100,000 queries/s of packet time, with a
#     real iodine session mixed in 30 s after the start, replayed with the default
#     configuration. Prints wall and CPU time, messages/s, peak RSS against the bound the
#     sensor computes from its configuration, the eviction counters, and the tunnel's
#     alerts.
#  2. hash flooding: 1,000,000 queries under 8,192 apexes crafted so that their hash under
#     the published replay key has 16 low zero bits (one slot of a table indexed by
#     hash & mask, the apex table's size at the default max_apexes), against 8,192 ordinary
#     apexes; alternating, ROUNDS (5) runs each, medians, and the ratio crafted / ordinary.
#   tests/bench/flood.sh build
set -eu
build=${1:-build}
names=${2:-10000000}
apexes=${3:-1000000}
rounds=${ROUNDS:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${BENCH_DIR:-/tmp/dnsexfild-bench}
mkdir -p "$dir"
bin=$build/sensor/dnsexfild
mk=$build/tests/bench/mkflood
[ -x "$bin" ] && [ -x "$mk" ] || { echo "build first: meson setup $build && ninja -C $build"; exit 1; }
tunnel=${DX_SHARED:-$root/../shared}/pcaps/lab/iodine_txt_base64.pcap
tapex=lab.example
[ -f "$tunnel" ] || { tunnel=$root/pcaps/iodine-pirate-sea.pcap; tapex=pirate.sea; }

# measure CMD...: "wall_s cpu_s maxrss_kb" of one run, its stderr kept in $dir/err
measure() {
	python3 -c '
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
_, status, ru = os.wait4(p.pid, 0)
w = time.perf_counter() - t
print("%.4f %.4f %d" % (w, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))' "$dir/err" "$@"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "== 1. random-subdomain flood: $names names under $apexes apexes, $(basename "$tunnel") mixed in"
f=$dir/flood-$names-$apexes.pcap
[ -f "$f" ] || "$mk" -n "$names" -a "$apexes" -m "$tunnel" -t 30 -o "$f"
rm -f "$dir"/flood.db*
set -- $(measure "$bin" -r "$f" -d "$dir/flood.db")
grep -v notice "$dir/err" | grep -e '^detection' -e 'peak RSS' -e 'DNS messages'
msgs=$(sed -n 's/^\([0-9]*\) DNS messages.*/\1/p' "$dir/err")
bound=$(sed -n 's/.*(bound \([0-9]*\) MiB).*/\1/p' "$dir/err")
awk -v w="$1" -v c="$2" -v r="$3" -v m="$msgs" -v b="$bound" 'BEGIN{
	printf "wall %.2f s, CPU %.2f s, %.0f messages/s, peak RSS %.0f MiB of a %d MiB bound (%.0f%%)\n",
	       w, c, m / w, r / 1024, b, 100 * r / 1024 / b }'
echo "the tunnel ($tapex):"
sqlite3 "$dir/flood.db" "select '  ' || severity || ' ' || threat_type || ' raised ' ||
	printf('%.1f', detected_ts - (select min(first_ts) from alerts where apex = '$tapex')) ||
	' s into the tunnel; ' || query_count || ' queries in the episode, ' || status
	from alerts where apex = '$tapex' order by detected_ts"

echo "== 2. hash flooding: 1,000,000 queries under 8,192 crafted vs 8,192 ordinary apexes"
# crafted against the hash mkflood was linked with: made again whenever mkflood is newer
[ "$dir/crafted.pcap" -nt "$mk" ] || "$mk" -n 1000000 -a 8192 -c 16 -o "$dir/crafted.pcap"
[ -f "$dir/ordinary.pcap" ] || "$mk" -n 1000000 -a 8192 -o "$dir/ordinary.pcap"
: >"$dir/crafted.txt"
: >"$dir/ordinary.txt"
i=0
while [ $i -lt "$rounds" ]; do
	for kind in crafted ordinary; do
		rm -f "$dir"/hf.db*
		measure "$bin" -r "$dir/$kind.pcap" -d "$dir/hf.db" >>"$dir/$kind.txt"
	done
	i=$((i + 1))
done
cw=$(cut -d' ' -f1 "$dir/crafted.txt" | median)
ow=$(cut -d' ' -f1 "$dir/ordinary.txt" | median)
awk -v c="$cw" -v o="$ow" -v n="$rounds" 'BEGIN{
	printf "median of %d: crafted %.3f s, ordinary %.3f s, crafted / ordinary %.2fx\n", n, c, o, c / o }'
