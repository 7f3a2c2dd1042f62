#!/bin/sh
# icmp_lab.sh BIN [CAPTURE]
# End to end on a real ICMP tunnel: a client namespace, a router and a server namespace; the
# client moves 100 KiB of random data over TCP through ptunnel-ng (Debian's, run with a magic
# number of its own so the verdict cannot lean on the tool's marker) to a TCP server beside
# the proxy, while benign ICMP runs all along: ping (56 bytes) to the router, over IPv4 and
# IPv6, `ping -s 1400 -p a5`, path-MTU probes `ping -M do -s 1472`, fping of 20 hosts every
# second, and ICMP traceroute (`traceroute -I`) across the router. The client's traffic is
# mirrored with tc into a Linux vxlan device (VNI 77) whose underlay reaches a sensor
# namespace, where dnsexfild runs live with [capture] icmp = yes, --dry-run and a notify hook.
# Asserts: ICMP_TUNNEL HIGH (or CRITICAL) for the proxy's address with the client as source,
# within 300 of the pair's echoes; nothing at HIGH for any benign pair; no block requested
# (refused as not_dns); the notify hook got the incident as ICMP_TUNNEL; the capture replayed
# gives the same rows. Prints echoes to HIGH and est_bytes against the bytes moved. With
# CAPTURE, the client's own capture (tcpdump on its veth) is copied there (pcaps/README).
# Skips (77) without namespaces or the tools.
set -u
. "$(dirname "$0")/../netns.sh"
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
keep=${2:-}
for t in ip tc ptunnel-ng ping fping traceroute nc sqlite3 tcpdump; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
id=$(($$ % 10000))
cli=dxicli$id rtr=dxirtr$id srv=dxisrv$id sen=dxisen$id
ns_lab $cli $rtr $srv $sen
set -e
pair $cli c0 10.84.0.2 $rtr r0 10.84.0.1
pair $rtr r1 10.85.0.1 $srv s0 10.85.0.2
pair $cli m0 10.86.0.1 $sen m1 10.86.0.2
ip -n $cli addr add fd00:84::2/64 dev c0 nodad
ip -n $rtr addr add fd00:84::1/64 dev r0 nodad
# the proxy at .2; one address per benign pattern, so each is a pair of its own
for a in 3 4 5; do ip -n $srv addr add 10.85.0.$a/24 dev s0; done
for a in $(seq 10 29); do ip -n $srv addr add 10.85.0.$a/24 dev s0; done
ip -n $cli route add 10.85.0.0/24 via 10.84.0.1
ip -n $srv route add 10.84.0.0/24 via 10.85.0.1
ip netns exec $rtr sysctl -qw net.ipv4.ip_forward=1
# the mirror's underlay carries whole 1500-byte frames plus the VXLAN header
ip -n $cli link set m0 mtu 9000
ip -n $sen link set m1 mtu 9000
ip -n $cli link add vx type vxlan id 77 dstport 4789 local 10.86.0.1 remote 10.86.0.2 dev m0
ip -n $cli link set vx mtu 8950 up
ip netns exec $cli tc qdisc add dev c0 clsact
ip netns exec $cli tc filter add dev c0 egress protocol all u32 match u32 0 0 action mirred egress mirror dev vx
ip netns exec $cli tc filter add dev c0 ingress protocol all u32 match u32 0 0 action mirred egress mirror dev vx
set +e

cat >"$dir/notify" <<HOOK
#!/bin/sh
cat >>"$dir/events.json"
HOOK
chmod +x "$dir/notify"
printf '[capture]\nicmp = yes\n[store]\nstats_interval_sec = 3600\n[notify]\nhook = %s\nmin_severity = HIGH\n' \
	"$dir/notify" >"$dir/sensor.ini"
ip netns exec $sen "$bin" -c "$dir/sensor.ini" -i m1 -d "$dir/live.db" --dry-run \
	-w "$dir/mirror.pcap" >"$dir/sensor.out" 2>"$dir/sensor.err" &
echo $! >"$dir/sensor.pid"
# the same traffic without mirroring: a second sensor on the client's veth, through the live
# default filter (which [capture] icmp widens to icmp or icmp6)
ip netns exec $cli "$bin" -c "$dir/sensor.ini" -i c0 -d "$dir/direct.db" --dry-run \
	>/dev/null 2>"$dir/direct.err" &
echo $! >"$dir/direct.pid"
ip netns exec $cli tcpdump -i c0 -w "$dir/client.pcap" -U -s 0 icmp or icmp6 2>"$dir/tcpdump.err" &
echo $! >"$dir/tcpdump.pid"
sleep 1.5

# benign ICMP, all along (about 25 s)
bg() { "$@" >/dev/null 2>&1 & echo $! >>"$dir/benign.pid"; }
bg ip netns exec $cli ping -q -c 125 -i 0.2 10.84.0.1
bg ip netns exec $cli ping -q -6 -c 125 -i 0.2 fd00:84::1
bg ip netns exec $cli ping -q -c 125 -i 0.2 -s 1400 -p a5 10.85.0.3
bg ip netns exec $cli ping -q -c 125 -i 0.2 -M "do" -s 1472 10.85.0.4
bg ip netns exec $cli timeout 25 fping -q -l -p 1000 -i 10 $(seq -f 10.85.0.%g 10 29)
bg ip netns exec $cli sh -c 'for i in $(seq 25); do traceroute -I -n -q 3 -w 1 10.85.0.5; sleep 1; done'

# the tunnel: ptunnel-ng proxy beside a TCP server; the client's forwarded port carries nc
magic=0x1badcafe
ip netns exec $srv sh -c "nc -l -p 9000 -s 10.85.0.2 >'$dir/recv.bin'" &
echo $! >"$dir/nc.pid"
ip netns exec $srv ptunnel-ng -v -1 -m $magic -r10.85.0.2 -R9000 >"$dir/proxy.log" 2>&1 &
echo $! >"$dir/proxy.pid"
sleep 3
ip netns exec $cli ptunnel-ng -v -1 -m $magic -p10.85.0.2 -l2222 -r10.85.0.2 -R9000 >"$dir/client.log" 2>&1 &
echo $! >"$dir/client.pid"
sleep 1
head -c 102400 /dev/urandom >"$dir/send.bin"
ip netns exec $cli timeout 30 nc -q 2 127.0.0.1 2222 <"$dir/send.bin"
for p in $(cat "$dir/benign.pid"); do
	t=0
	while kill -0 "$p" 2>/dev/null && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
done
sleep 1
kill "$(cat "$dir/tcpdump.pid")" "$(cat "$dir/sensor.pid")" "$(cat "$dir/direct.pid")"
wait "$(cat "$dir/sensor.pid")" "$(cat "$dir/direct.pid")" 2>/dev/null

fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
got=$(wc -c <"$dir/recv.bin" 2>/dev/null || echo 0)
[ "$got" -eq 102400 ] && ok "100 KiB went through the ICMP tunnel" || bad "the tunnel moved $got bytes"
db=$dir/live.db
hi=$(sqlite3 "$db" "select count(*) from alerts where threat_type = 'ICMP_TUNNEL' and apex = '10.85.0.2' and severity in ('HIGH','CRITICAL') and sources = '[\"10.84.0.2\"]'")
[ "${hi:-0}" -ge 1 ] && ok "ICMP_TUNNEL HIGH for 10.85.0.2, source 10.84.0.2" || { bad "no HIGH for the tunnel"; sqlite3 "$db" "select apex, severity, details from alerts"; tail -5 "$dir/sensor.err"; }
ben=$(sqlite3 "$db" "select group_concat(apex || ' ' || severity, ', ') from alerts where apex != '10.85.0.2' and severity in ('HIGH','CRITICAL')")
[ -z "$ben" ] && ok "no benign pair at HIGH ($(sqlite3 "$db" "select count(*) from alerts where apex != '10.85.0.2'") lower alerts)" || bad "benign pairs at HIGH: $ben"
# every benign pattern was judged: each of its pairs saw at least icmp_min_echoes echoes
"$bin" -c "$dir/sensor.ini" -q -r "$dir/mirror.pcap" -d "$dir/replay.db" --dump >"$dir/dump.txt" 2>"$dir/replay.err"
for peer in 10.84.0.1 fd00:84::1 10.85.0.3 10.85.0.4 10.85.0.5 10.85.0.10 10.85.0.29; do
	n=$(awk -v p="$peer" '($2 == p || $4 == p) && / icmp6? echo /' "$dir/dump.txt" | wc -l)
	[ "$n" -ge 40 ] && ok "benign pair to $peer: $n echoes seen" || bad "benign pair to $peer: only $n echoes"
done
blocks=$(sqlite3 "$db" "select count(*) from blocks")
grep -q "not_dns [1-9]" "$dir/sensor.err" && [ "$blocks" -eq 0 ] && ok "no block requested (refused: not_dns)" || { bad "blocks: $blocks"; grep response: "$dir/sensor.err"; }
grep -q '"threat":"ICMP_TUNNEL"' "$dir/events.json" 2>/dev/null && grep -q '"apex":"10.85.0.2"' "$dir/events.json" && ok "the notify hook got the ICMP_TUNNEL incident" || bad "notify: $(head -c 300 "$dir/events.json" 2>/dev/null)"
qs="select apex || ' ' || threat_type || ' ' || severity from alerts order by 1"
[ -n "$(sqlite3 "$db" "$qs")" ] && [ "$(sqlite3 "$db" "$qs")" = "$(sqlite3 "$dir/direct.db" "$qs")" ] &&
	ok "without mirroring (the client's veth, the live filter): the same alerts" ||
	bad "direct: [$(sqlite3 "$dir/direct.db" "$qs")] [$(sqlite3 "$db" "$qs")]"
q="select apex, threat_type, severity, first_ts, detected_ts, query_count, est_bytes from alerts order by id"
[ "$(sqlite3 "$db" "$q")" = "$(sqlite3 "$dir/replay.db" "$q")" ] && ok "the capture replayed gives the same rows" || { bad "replay differs"; sqlite3 "$db" "$q"; echo ---; sqlite3 "$dir/replay.db" "$q"; }
# echoes of the pair from its first to the one that raised HIGH
hi_ts=$(sqlite3 "$db" "select min(json_extract(details, '\$.raised.HIGH')) from alerts where apex = '10.85.0.2'")
n=$(python3 "$(dirname "$0")/../tools/echoes_to.py" "$dir/dump.txt" 10.84.0.2 10.85.0.2 "$hi_ts")
est=$(sqlite3 "$db" "select max(est_bytes) from alerts where apex = '10.85.0.2'")
echo "     echoes from the tunnel's first to HIGH: $n; est_bytes $est for 102400 bytes moved"
[ "${n:-999}" -le 300 ] && ok "HIGH within 300 echoes ($n)" || bad "HIGH after $n echoes"
[ -n "$keep" ] && cp "$dir/client.pcap" "$keep"
echo "e2e icmp: $fails failed"
[ $fails -eq 0 ]
