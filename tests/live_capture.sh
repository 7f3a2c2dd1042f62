#!/bin/sh
# live_capture.sh BIN
# Live capture in network namespaces this test creates and removes: a client veth talking to
# a real unbound in its own namespace; one dnsexfild on the client's veth, a second one in a
# "sensor" namespace receiving the same traffic mirrored through tc into a Linux vxlan device
# (VNI 123, UDP 4789), the framing AWS Traffic Mirroring uses. Asserts the decoded records and
# the VNI, then SIGUSR1 (a stats row and the metrics file), SIGHUP (reload observed, and a bad
# reload keeps the old configuration), SIGTERM (exit 0, summary, database intact).
# Skips (77) without network namespaces, unbound or dig. Traffic stays inside the namespaces
# and their veth pairs (10.77.0.0/24, 10.78.0.0/24).
set -u
. "$(dirname "$0")/unbound_conf.sh"
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
for t in ip tc unbound dig sqlite3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
id=$$
srv=dxsrv$id sen=dxsen$id
c0=dxc0$id c1=dxc1$id m0=dxm0$id m1=dxm1$id vx=dxvx$id
# interface names are at most 15 characters
c0=$(echo $c0 | cut -c1-15) c1=$(echo $c1 | cut -c1-15) m0=$(echo $m0 | cut -c1-15)
m1=$(echo $m1 | cut -c1-15) vx=$(echo $vx | cut -c1-15)
dir=$(mktemp -d)
cleanup() {
	for p in $(cat "$dir"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done
	ip link del "$c0" 2>/dev/null
	ip link del "$m0" 2>/dev/null
	ip link del "$vx" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$sen" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$srv" 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip netns add "$sen" || exit 1
set -e
# client (this namespace) <-> resolver namespace
ip link add "$c0" type veth peer name "$c1"
ip link set "$c1" netns "$srv"
ip addr add 10.77.0.2/24 dev "$c0"
ip link set "$c0" up
ip -n "$srv" addr add 10.77.0.1/24 dev "$c1"
ip -n "$srv" link set "$c1" up
ip -n "$srv" link set lo up
# mirror underlay: this namespace <-> sensor namespace, and the vxlan device on it
ip link add "$m0" type veth peer name "$m1"
ip link set "$m1" netns "$sen"
ip addr add 10.78.0.1/24 dev "$m0"
ip link set "$m0" up
ip -n "$sen" addr add 10.78.0.2/24 dev "$m1"
ip -n "$sen" link set "$m1" up
ip -n "$sen" link set lo up
ip link add "$vx" type vxlan id 123 dstport 4789 local 10.78.0.1 remote 10.78.0.2 dev "$m0"
ip link set "$vx" up
tc qdisc add dev "$c0" clsact
tc filter add dev "$c0" egress protocol all u32 match u32 0 0 action mirred egress mirror dev "$vx"
tc filter add dev "$c0" ingress protocol all u32 match u32 0 0 action mirred egress mirror dev "$vx"
set +e

{ unbound_server "$dir" 10.77.0.1 53 10.77.0.0/24; cat <<CONF
	local-zone: "lab.test." static
	local-data: "www.lab.test. 60 IN A 10.0.0.1"
	local-data: "mail.lab.test. 60 IN A 10.0.0.2"
CONF
} >"$dir/unbound.conf"
ip netns exec "$srv" unbound -d -c "$dir/unbound.conf" &
echo $! >"$dir/unbound.pid"

printf 'allowed-one.example\n' >"$dir/allow.txt"
cat >"$dir/sensor.ini" <<CONF
[detect]
allowlist = $dir/allow.txt
[store]
stats_interval_sec = 3600
[log]
metrics_file = $dir/metrics.prom
CONF
cat >"$dir/hook" <<'HOOK'
#!/bin/sh
echo "$*" >>"${0%/*}/hook.log"
HOOK
chmod +x "$dir/hook"
"$bin" -c "$dir/sensor.ini" -i "$c0" -d "$dir/a.db" --hook "$dir/hook" --dump >"$dir/a.out" 2>"$dir/a.err" &
echo $! >"$dir/a.pid"
printf '[log]\nmetrics_file = %s/b.prom\n' "$dir" >"$dir/b.ini"
ip netns exec "$sen" "$bin" -c "$dir/b.ini" -i "$m1" -d "$dir/b.db" --dump >"$dir/b.out" 2>"$dir/b.err" &
echo $! >"$dir/b.pid"
for i in $(seq 50); do
	[ "$(dig +short +tries=1 +time=1 @10.77.0.1 www.lab.test)" = 10.0.0.1 ] && break
	sleep 0.2
done
sleep 1 # both sensors have opened their interfaces by now
for i in $(seq 10); do
	dig +short +tries=1 +time=2 @10.77.0.1 "q$i.lab.test" >/dev/null
	dig +short +tries=1 +time=2 @10.77.0.1 www.lab.test TXT >/dev/null
done
dig +tcp +short +tries=1 +time=2 @10.77.0.1 mail.lab.test >/dev/null
# the recipe's burst, against another zone: random hex names, HIGH at the 51st, then the hook
for i in $(seq 60); do
	dig +short +tries=1 +time=1 @10.77.0.1 "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n').burst.example" >/dev/null
done
sleep 1.5

fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
a=$(cat "$dir/a.pid") b=$(cat "$dir/b.pid")
kill -USR1 "$a"
sleep 1.5
[ -s "$dir/metrics.prom" ] && grep -q '^dnsexfild_dns_messages_total{kind="query"} [1-9]' "$dir/metrics.prom" &&
	ok "SIGUSR1: metrics file written" || bad "no metrics after SIGUSR1"
[ "$(sqlite3 "$dir/a.db" 'select count(*) from sensor_stats')" -ge 1 ] && ok "SIGUSR1: a sensor_stats row" || bad "no stats row"
printf 'allowed-one.example\nallowed-two.example\n' >"$dir/allow.txt"
# the built-in entries and the file's two, as --check-config counts them
want=$("$bin" -c "$dir/sensor.ini" -i lo --check-config 2>&1 >/dev/null | sed -n 's/.*allowlist: \([0-9]*\) entries.*/\1/p')
kill -HUP "$a"
sleep 1.5
grep -q "configuration reloaded ($want allowlist entries)" "$dir/a.err" && [ "$want" -gt 2 ] && ok "SIGHUP: reloaded ($want allowlist entries)" || { bad "no reload"; cat "$dir/a.err"; }
printf 'bad line!\n' >"$dir/allow.txt"
kill -HUP "$a"
sleep 1
grep -q "SIGHUP: .*allow.txt:1: 'bad\\\\032line!' is not a host name.*; keeping the configuration" "$dir/a.err" &&
	ok "SIGHUP with a bad allowlist: old configuration kept" || bad "bad reload not reported"
# SIGHUP judges the file as start does: an order of thresholds start would refuse is
# refused (it was applied, and the next restart then failed); a key only a restart can change
# is named in one warning, the reloadable ones applied
printf 'allowed-one.example\n' >"$dir/allow.txt"
cp "$dir/sensor.ini" "$dir/sensor.ini.good"
printf '[detect]\nhf_medium = 3000\n' >>"$dir/sensor.ini"
kill -HUP "$a"
sleep 1
grep -q "SIGHUP: .*sensor.ini:$(wc -l <"$dir/sensor.ini"): \[detect\] hf_medium: hf_medium (3000) must be below hf_high (50).*; keeping the configuration" "$dir/a.err" &&
	ok "SIGHUP: thresholds start refuses are refused" || { bad "SIGHUP accepted hf_medium = 3000"; tail -3 "$dir/a.err"; }
cp "$dir/sensor.ini.good" "$dir/sensor.ini"
printf '[capture]\nsnaplen = 1500\n' >>"$dir/sensor.ini"
kill -HUP "$a"
sleep 1
grep -q "SIGHUP: \[capture\] snaplen changed: only a restart applies that" "$dir/a.err" &&
	ok "SIGHUP: a key that needs a restart is named" || { bad "no restart warning"; tail -3 "$dir/a.err"; }
cp "$dir/sensor.ini.good" "$dir/sensor.ini"
kill -TERM "$a" "$b"
wait "$a"; ra=$?
wait "$b"; rb=$?
[ $ra -eq 0 ] && [ $rb -eq 0 ] && ok "SIGTERM: both exit 0" || bad "exit statuses $ra $rb"
grep -q "SIGTERM: stopping" "$dir/a.err" && grep -q "received by filter" "$dir/a.err" &&
	ok "summary with libpcap counters" || bad "no summary"
qa=$(grep -c ' q QUERY NOERROR A q[0-9]*.lab.test$' "$dir/a.out")
ra_=$(grep -c ' r QUERY NXDOMAIN A q[0-9]*.lab.test an 0$' "$dir/a.out")
[ "$qa" -eq 10 ] && [ "$ra_" -eq 10 ] && ok "direct: 10 queries and 10 NXDOMAIN responses decoded" || bad "direct: $qa queries, $ra_ responses"
grep -q '10.77.0.2.[0-9]* > 10.77.0.1.53 tcp id [0-9]* q QUERY NOERROR A mail.lab.test$' "$dir/a.out" && ok "DNS over TCP decoded live" || bad "no TCP query"
qb=$(grep -c '10.77.0.2.[0-9]* > 10.77.0.1.53 vni 123 udp id [0-9]* q QUERY NOERROR A q[0-9]*.lab.test$' "$dir/b.out")
[ "$qb" -eq 10 ] && ok "mirrored over VXLAN: 10 queries, VNI 123, inner addresses" || { bad "vxlan: $qb queries"; head -5 "$dir/b.out"; cat "$dir/b.err"; }
grep -q 'vni 123 udp id [0-9]* r QUERY NOERROR TXT www.lab.test an 0$' "$dir/b.out" && ok "mirrored responses too" || bad "no mirrored responses"
grep -q '^vni 123: [0-9]* packets, [1-9][0-9]* queries' "$dir/b.err" && grep -q '^dnsexfild_vni_dns_messages_total{vni="123",kind="query"} [1-9]' "$dir/b.prom" &&
	ok "per-session (VNI) counters in the summary and the metrics" || { bad "no per-VNI stats"; grep vni "$dir/b.err" "$dir/b.prom"; }
grep -qx "add burst.example \*.burst.example" "$dir/hook.log" 2>/dev/null && ok "live burst blocked through the hook" || bad "no hook run for the burst"
lat=$(sqlite3 "$dir/a.db" "select round(max(latency_ms), 1) from blocks where apex = 'burst.example'")
echo "     threshold-crossing packet to hook exec, live: $lat ms"
[ -n "$lat" ] && [ "$(echo "$lat < 1000" | bc 2>/dev/null || python3 -c "print(int($lat < 1000))")" = 1 ] && ok "latency under a second" || bad "latency '$lat' ms"
for db in a b; do
	[ "$(sqlite3 "$dir/$db.db" 'pragma integrity_check')" = ok ] &&
		[ "$(sqlite3 "$dir/$db.db" 'select count(*) from runs where end_wall is not null')" = 1 ] &&
		ok "$db.db intact, run ended" || bad "$db.db"
done
echo "live capture: $fails failed"
[ $fails -eq 0 ]
