#!/bin/sh
# logs.sh [BUILD_DIR] [RECORDS]
# Route 53 query logs (README "Route 53 query logs"): reading a gzip log of RECORDS records
# (1,000,000) with full detection and a fresh database, against `zcat FILE > /dev/null` on the
# same file (the floor: decompression alone) and `jq -c .query_name` (what an analyst would
# reach for), alternately in one run, ROUNDS (5) times each; medians, and each round's ratio
# to the zcat run just before it. The log is made once (BENCH_DIR, /tmp/dnsexfild-bench) from
# a mkcorpus capture with responses by tests/tools/pcap2r53.py. Not a test: run it by hand.
#   tests/bench/logs.sh build 1000000
set -eu
build=${1:-build}
n=${2:-1000000}
rounds=${ROUNDS:-5}
root=$(cd "$(dirname "$0")/../.." && pwd)
mk=${DX_SHARED:-$root/../shared}/tools/mkcorpus.py
dir=${BENCH_DIR:-/tmp/dnsexfild-bench}
mkdir -p "$dir"
bin=$build/sensor/dnsexfild
[ -x "$bin" ] || { echo "build first: meson setup $build && ninja -C $build"; exit 1; }
cap=$dir/q$n-responses.pcap
log=$dir/r$n.log.gz
[ -f "$cap" ] || python3 "$mk" --queries "$n" --seed 1 --responses -o "$cap" >/dev/null
[ -f "$log" ] || python3 "$root/tests/tools/pcap2r53.py" --gzip --no-cache "$cap" "$log"
recs=$(zcat "$log" | wc -l)

measure() {
	python3 -c '
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
print("%.4f %.4f %d" % (time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))' "$@"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

: >"$dir/zcat.txt"; : >"$dir/dxlog.txt"; : >"$dir/jq.txt"
i=0
while [ $i -lt "$rounds" ]; do
	measure sh -c 'zcat "$1" >/dev/null' sh "$log" >>"$dir/zcat.txt"
	rm -f "$dir"/logs.db*
	measure "$bin" -r "$log" -d "$dir/logs.db" >>"$dir/dxlog.txt"
	if command -v jq >/dev/null 2>&1 && [ $i -eq 0 ]; then
		measure sh -c 'zcat "$1" | jq -c .query_name >/dev/null' sh "$log" >>"$dir/jq.txt"
	fi
	i=$((i + 1))
done
printf '%-34s %8s %8s %8s %12s %7s\n' tool wall_s cpu_s rss_MiB records_per_s ratio
zw=$(cut -d' ' -f1 "$dir/zcat.txt" | median)
for t in zcat dxlog jq; do
	[ -s "$dir/$t.txt" ] || continue
	w=$(cut -d' ' -f1 "$dir/$t.txt" | median)
	c=$(cut -d' ' -f2 "$dir/$t.txt" | median)
	r=$(cut -d' ' -f3 "$dir/$t.txt" | median)
	case $t in
	zcat) name="zcat FILE > /dev/null"; ratio=1 ;;
	dxlog) name="dnsexfild -r FILE (detection, db)"
		ratio=$(paste -d' ' "$dir/dxlog.txt" "$dir/zcat.txt" | awk '{print $1 / $4}' | median) ;;
	jq) name="zcat | jq -c .query_name (1 run)"; ratio=$(awk -v w=$w -v z=$zw 'BEGIN{print w / z}') ;;
	esac
	awk -v name="$name" -v w=$w -v c=$c -v r=$r -v n=$recs -v q=$ratio 'BEGIN{
		printf "%-34s %8.3f %8.3f %8.1f %12.0f %6.2fx\n", name, w, c, r / 1024, n / w, q }'
done
