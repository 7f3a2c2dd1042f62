#!/bin/sh
# live.sh [BUILD_DIR] [FORM] [RATES]
# Live capture rate: the mkcorpus 1M-query capture (FORM plain or vxlan) offered over a veth
# pair between two network namespaces this script creates and removes; dnsexfild captures
# the far end (full pipeline, database on). For each rate in RATES (packets/s, or "top": as
# fast as the sender goes) one fresh run; prints the rate the sender achieved, what the
# kernel handed to the filter, kernel drops, ring drops and DNS messages decoded. A rate is
# lossless when every frame sent reached the filter and no drop of either kind was counted;
# the highest lossless rate is the figure README quotes. Needs root and ip.
# The sender is tests/bench/blast (sendmmsg on an AF_PACKET socket, the file loaded first);
# SENDER=tcpreplay uses tcpreplay --preload-pcap instead, which sends a frame per system call
# and tops out near 300,000 packets/s on a 2-vCPU machine. On a 2-core machine the sender,
# the kernel's receive path (run on the sender's core) and the sensor's three threads share
# the cores.
#   tests/bench/live.sh build plain "250000 500000 750000 1000000 1250000 top"
set -eu
build=${1:-build}
form=${2:-plain}
rates=${3:-250000 500000 750000 1000000 1250000 top}
sender=${SENDER:-blast}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${BENCH_DIR:-/tmp/dnsexfild-bench}
mkdir -p "$dir"
bin=$(cd "$build/sensor" && pwd)/dnsexfild
blast=$(cd "$build/tests/bench" && pwd)/blast
command -v ip >/dev/null || { echo "ip is not installed"; exit 1; }
if [ "$sender" = tcpreplay ]; then
	command -v tcpreplay >/dev/null || { echo "tcpreplay is not installed"; exit 1; }
else
	[ -x "$blast" ] || { echo "build first: ninja -C $build"; exit 1; }
fi
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

frames=$("$build/tests/bench/readfloor" "$f" | sed -n 's/^\([0-9]*\) packets.*/\1/p')
echo "sender: $sender; $frames frames a run"
printf '%-9s %12s %12s %12s %12s %12s %10s\n' rate sent_pps received kernel_drop ring_drops \
	messages result
for r in $rates; do
	rm -f "$dir"/live.db*
	ip netns exec "$b" "$bin" -q -i dxl1 -d "$dir/live.db" 2>"$dir/live.err" &
	echo $! >"$dir/live.pid"
	sleep 1.5
	if [ "$sender" = tcpreplay ]; then
		if [ "$r" = top ]; then opt=--topspeed; else opt=--pps=$r; fi
		# --preload-pcap: the file is read into memory first, so disk and stdio do not
		# limit the rate offered
		sent=$(ip netns exec "$a" tcpreplay --preload-pcap -i dxl0 $opt "$f" 2>&1 |
			sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p')
	else
		if [ "$r" = top ]; then opt=""; else opt="-p $r"; fi
		sent=$(ip netns exec "$a" "$blast" -i dxl0 $opt "$f" |
			sed -n 's/.*s: \([0-9]*\) pps.*/\1/p')
	fi
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
	[ "${kdrop:-1}" = 0 ] && [ "$rd" = "0+0" ] && [ "${recv:-0}" = "$frames" ] || ok=drops
	printf '%-9s %12.0f %12s %12s %12s %12s %10s\n' "$r" "${sent:-0}" "${recv:-?}" "${kdrop:-?}" \
		"${rd:-?}" "${msgs:-?}" "$ok"
done
