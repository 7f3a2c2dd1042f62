#!/bin/sh
# bench.sh [BUILD_DIR] [QUERIES]
# Also times `tshark -r FILE -T fields -e dns.qry.name` once per corpus (NO_TSHARK=1 skips).
# Throughput of dnsexfild -r (full pipeline: decoding, detection, a fresh SQLite database per
# run) against the bare libpcap read loop (readfloor) on the same file,
# measured alternately in one run (ROUNDS, 7, each; medians), on mkcorpus captures: plain,
# --vxlan and --responses, and a random-subdomain flood of the same size (tests/bench/mkflood:
# QUERIES unique names under QUERIES/10 random apexes). Prints wall time, CPU time, peak RSS,
# messages/s, the ratio to the floor (the median of each round's ratio to the floor run just
# before it), and tshark / dnsexfild. "events on" is the same replay writing the EVE file
# (every incident event, from LOW) and running a notify hook (/bin/true) at the default
# min_severity; its cost is printed as a share of the plain replay's wall time (README
# "Sending events"). "icmp on" is the same replay with [capture] icmp = yes: the DNS path's
# cost of decoding ICMP echo too (README "ICMP tunnels"). Not a test: run it by hand on a quiet machine.
#   tests/bench/bench.sh build 1000000
set -eu
build=${1:-build}
n=${2:-1000000}
rounds=${ROUNDS:-7}
root=$(cd "$(dirname "$0")/../.." && pwd)
mk=${DX_SHARED:-$root/../shared}/tools/mkcorpus.py
forms=${FORMS:-plain vxlan responses flood}
dir=${BENCH_DIR:-/tmp/dnsexfild-bench}
mkdir -p "$dir"
printf '[output]\neve = %s\n[notify]\nhook = /bin/true\n' \
	"$dir/eve.json" >"$dir/events.ini"
printf '[capture]\nicmp = yes\n' >"$dir/icmp.ini"
bin=$build/sensor/dnsexfild
floor=$build/tests/bench/readfloor
[ -x "$bin" ] && [ -x "$floor" ] || { echo "build first: meson setup $build && ninja -C $build"; exit 1; }

for form in $forms; do
	f=$dir/q$n-$form.pcap
	if [ $form = flood ]; then
		[ -f "$f" ] || "$build/tests/bench/mkflood" -n "$n" -a $((n / 10)) -o "$f" 2>/dev/null
	elif [ ! -f "$f" ]; then
		opt=""
		[ $form = vxlan ] && opt=--vxlan
		[ $form = responses ] && opt=--responses
		python3 "$mk" --queries "$n" --seed 1 $opt -o "$f" >/dev/null
	fi
done

# measure CMD...: prints "wall_s cpu_s maxrss_kb" of one run (stdout discarded), timed with
# a monotonic clock and wait4's rusage (GNU time only has 10 ms resolution).
measure() {
	python3 -c '
import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
w = time.perf_counter() - t
print("%.4f %.4f %d" % (w, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))' "$@"
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

printf '%-10s %-22s %8s %8s %8s %12s %7s\n' corpus tool wall_s cpu_s rss_MiB msgs_per_s ratio
for form in $forms; do
	f=$dir/q$n-$form.pcap
	msgs=$("$bin" -r "$f" -d "$dir/bench.db" 2>&1 | sed -n 's/^\([0-9]*\) DNS messages.*/\1/p')
	: >"$dir/floor.txt"; : >"$dir/dx.txt"; : >"$dir/dump.txt"; : >"$dir/events.txt"; : >"$dir/icmp.txt"
	i=0
	while [ $i -lt "$rounds" ]; do
		measure "$floor" "$f" >>"$dir/floor.txt"
		rm -f "$dir"/bench.db*
		measure "$bin" -r "$f" -d "$dir/bench.db" >>"$dir/dx.txt"
		rm -f "$dir"/bench.db*
		measure "$bin" -r "$f" -d "$dir/bench.db" --dump >>"$dir/dump.txt"
		rm -f "$dir"/bench.db* "$dir/eve.json"
		measure "$bin" -c "$dir/events.ini" -r "$f" -d "$dir/bench.db" >>"$dir/events.txt"
		rm -f "$dir"/bench.db*
		measure "$bin" -c "$dir/icmp.ini" -r "$f" -d "$dir/bench.db" >>"$dir/icmp.txt"
		i=$((i + 1))
	done
	fw=$(cut -d' ' -f1 "$dir/floor.txt" | median)
	# tshark, the tool an analyst would reach for: once (it takes far longer than the rest)
	: >"$dir/tshark.txt"
	if command -v tshark >/dev/null 2>&1 && [ -z "${NO_TSHARK:-}" ]; then
		measure tshark -r "$f" -T fields -e dns.qry.name >>"$dir/tshark.txt"
	fi
	for t in floor dx dump events tshark; do
		[ -s "$dir/$t.txt" ] || continue
		w=$(cut -d' ' -f1 "$dir/$t.txt" | median)
		c=$(cut -d' ' -f2 "$dir/$t.txt" | median)
		r=$(cut -d' ' -f3 "$dir/$t.txt" | median)
		name=$t
		[ $t = floor ] && name="readfloor (libpcap)"
		[ $t = dx ] && name="dnsexfild -r"
		[ $t = dump ] && name="dnsexfild -r --dump"
		[ $t = events ] && name="dnsexfild -r, events on"
		[ $t = tshark ] && name="tshark -T fields (1 run)"
		# the ratio: the median of each round's own ratio to the floor measured just
		# before it, so that a slow minute of the machine affects both sides
		if [ $t = tshark ]; then
			ratio=$(awk -v w=$w -v fw=$fw 'BEGIN{print (fw > 0 ? w / fw : 0)}')
		else
			ratio=$(paste -d' ' "$dir/$t.txt" "$dir/floor.txt" |
				awk '{print ($4 > 0 ? $1 / $4 : 0)}' | median)
		fi
		awk -v form=$form -v name="$name" -v w=$w -v c=$c -v r=$r -v m=$msgs -v q=$ratio 'BEGIN{
			printf "%-10s %-22s %8.3f %8.3f %8.1f %12.0f %6.2fx\n", form, name, w, c, r/1024,
			       (w > 0 ? m / w : 0), q }'
	done
	# what writing events costs: each round's events-on run against its plain run
	paste -d' ' "$dir/events.txt" "$dir/dx.txt" | awk '{print ($4 > 0 ? $1 / $4 : 0)}' |
		median | awk -v form=$form -v l="$(wc -l <"$dir/eve.json")" '{
		printf "%-10s events on / dnsexfild -r: %+.1f%% wall (%d EVE lines)\n", form,
		       ($1 - 1) * 100, l }'
	# and decoding ICMP too, on the same DNS capture: within noise of nothing
	paste -d' ' "$dir/icmp.txt" "$dir/dx.txt" | awk '{print ($4 > 0 ? $1 / $4 : 0)}' |
		median | awk -v form=$form '{
		printf "%-10s icmp on / dnsexfild -r: %+.1f%% wall\n", form, ($1 - 1) * 100 }'
	if [ -s "$dir/tshark.txt" ]; then
		tw=$(cut -d' ' -f1 "$dir/tshark.txt" | median)
		dw=$(cut -d' ' -f1 "$dir/dx.txt" | median)
		awk -v form=$form -v t=$tw -v d=$dw 'BEGIN{
			printf "%-10s tshark / dnsexfild -r: %.0fx\n", form, t / d }'
	fi
done
