#!/bin/sh
# live.sh [BUILD_DIR] [FORM] [RATES]
# Live capture rate: the mkcorpus 1M-query capture (FORM plain or vxlan) replayed with
# tcpreplay over a veth pair between two network namespaces this script creates and removes;
# dnsexfild captures the far end (full pipeline, database on). For each rate in RATES
# (packets/s, or "top" for --topspeed) one fresh run; prints what tcpreplay achieved, what
# the kernel handed to the filter, kernel drops and ring drops. The highest rate with no
# drop of either kind is the figure README quotes. Needs root, ip and tcpreplay. On a
# 2-core machine tcpreplay and the sensor's three threads share the cores.
#   tests/bench/live.sh build plain "100000 250000 500000 750000 1000000 top"
set -eu
build=${1:-build}
form=${2:-plain}
rates=${3:-100000 250000 500000 750000 1000000 top}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${BENCH_DIR:-/tmp/dnsexfild-bench}
mkdir -p "$dir"
bin=$(cd "$build/sensor" && pwd)/dnsexfild
for t in ip tcpreplay; do
	command -v $t >/dev/null || { echo "$t is not installed"; exit 1; }
done
f=$dir/q1000000-$form.pcap
if [ ! -f "$f" ]; then
	opt=""
	[ "$form" = vxlan ] && opt=--vxlan
	python3 "${DX_SHARED:-$root/../shared}/tools/mkcorpus.py" --queries 1000000 --seed 1 $opt \
		-o "$f" >/dev/null
fi
a=dxlA$$ b=dxlB$$
cleanup() {
	[ -f "$dir/live.pid" ] && kill "$(cat "$dir/live.pid")" 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	rm -f "$dir/live.pid"
}
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add dxl0 netns "$a" type veth peer name dxl1 netns "$b"
ip -n "$a" link set dxl0 up mtu 9000
ip -n "$b" link set dxl1 up mtu 9000

printf '%-9s %12s %12s %12s %12s %12s %10s\n' rate sent_pps received kernel_drop ring_drops \
	messages result
for r in $rates; do
	rm -f "$dir"/live.db*
	ip netns exec "$b" "$bin" -q -i dxl1 -d "$dir/live.db" 2>"$dir/live.err" &
	echo $! >"$dir/live.pid"
	sleep 1.5
	if [ "$r" = top ]; then opt=--topspeed; else opt=--pps=$r; fi
	# --preload-pcap: the sender reads the file into memory first, so disk and stdio do not
	# limit the rate it can offer
	sent=$(ip netns exec "$a" tcpreplay --preload-pcap -i dxl0 $opt "$f" 2>&1 |
		sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p')
	sleep 1.5
	kill -INT "$(cat "$dir/live.pid")"
	wait "$(cat "$dir/live.pid")" || true
	rm -f "$dir/live.pid"
	recv=$(sed -n 's/.*, \([0-9]*\) received by filter.*/\1/p' "$dir/live.err")
	kdrop=$(sed -n 's/.*, \([0-9]*\) dropped by kernel.*/\1/p' "$dir/live.err")
	rd=$(sed -n 's/^ring full: capture->parser \([0-9]*\), parser->detector \([0-9]*\).*/\1+\2/p' \
		"$dir/live.err")
	msgs=$(sed -n 's/^\([0-9]*\) DNS messages.*/\1/p' "$dir/live.err")
	ok=lossless
	[ "${kdrop:-1}" = 0 ] && [ "$rd" = "0+0" ] || ok=drops
	printf '%-9s %12.0f %12s %12s %12s %12s %10s\n' "$r" "${sent:-0}" "${recv:-?}" "${kdrop:-?}" \
		"${rd:-?}" "${msgs:-?}" "$ok"
done
