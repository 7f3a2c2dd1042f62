#!/bin/sh
# mklab-wan.sh OUT.pcap iodine|dns2tcp [KIB]
# A lab capture of a real tunnel across an emulated WAN: a client namespace runs the tunnel
# client through a real unbound resolver that delegates t.wan-lab.net to the tunnel server's
# namespace, where tests/tools/wanrelay.py stands for the internet between them (80 ms more
# round trip, 1 % loss each way: this kernel has no netem) in front of iodined or dns2tcpd.
# KIB (default 64) KiB of random bytes go up the tunnel with nc; ordinary lookups of
# www.corp.example run beside it. The client's veth is captured with tcpdump. Prints the
# bytes the server received. Needs root, ip netns, /dev/net/tun for iodine, unbound, dig,
# tcpdump, nc, python3 and the tool; exits 77 if one is missing.
set -u
out=$1 tool=$2 kib=${3:-64}
case $tool in
iodine) need="iodine iodined" ;;
dns2tcp) need="dns2tcpc dns2tcpd" ;;
*) echo "usage: mklab-wan.sh OUT.pcap iodine|dns2tcp [KIB]"; exit 2 ;;
esac
for t in ip unbound dig tcpdump nc python3 $need; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
[ $tool = dns2tcp ] || [ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/unbound_conf.sh"
. "$root/tests/netns.sh"
lab_hosts w 96
set -e

mkdir -p "$dir/res"
{ lab_resolver_conf; cat <<CONF
	harden-referral-path: no
	domain-insecure: "wan-lab.net."
stub-zone:
	name: "t.wan-lab.net."
	stub-addr: 10.97.0.2
CONF
} >"$dir/res/unbound.conf"
ip -n $res link set r1 up
ip netns exec $res sysctl -qw net.ipv4.ip_forward=1
ip -n $auth route add 10.96.0.0/24 via 10.97.0.1

# the WAN: the relay answers on the server's address, the tunnel server on its loopback
ip netns exec $auth python3 "$root/tests/tools/wanrelay.py" 10.97.0.2 53 127.0.0.1 5300 40 1 &
echo $! >"$dir/relay.pid"
if [ $tool = iodine ]; then
	ip netns exec $auth iodined -f -c -P dxlabpass -p 5300 -l 127.0.0.1 10.98.0.1/24 t.wan-lab.net >"$dir/server.log" 2>&1 &
else
	cat >"$dir/dns2tcpd.conf" <<CONF
listen = 127.0.0.1
port = 5300
user = nobody
chroot = /tmp
domain = t.wan-lab.net
resources = data:127.0.0.1:9000
CONF
	ip netns exec $auth dns2tcpd -F -f "$dir/dns2tcpd.conf" >"$dir/server.log" 2>&1 &
fi
echo $! >"$dir/server.pid"
set +e
lab_start
( while :; do
	ip netns exec $cli dig +short +tries=1 +time=1 @10.96.0.1 www.corp.example >/dev/null 2>&1
	sleep 0.5
done ) &
echo $! >"$dir/benign.pid"

head -c $((kib * 1024)) /dev/urandom >"$dir/send.bin"
if [ $tool = iodine ]; then
	ip netns exec $cli iodine -f -P dxlabpass -r 10.96.0.1 t.wan-lab.net >"$dir/client.log" 2>&1 &
	echo $! >"$dir/client.pid"
	for i in $(seq 150); do
		ip netns exec $cli ip addr show dns0 2>/dev/null | grep -q 10.98.0 && break
		sleep 0.2
	done
	ip netns exec $auth sh -c "nc -l 10.98.0.1 9000 >'$dir/recv.bin'" &
	echo $! >"$dir/nc.pid"
	sleep 0.5
	ip netns exec $cli timeout 120 nc -q 3 10.98.0.1 9000 <"$dir/send.bin"
else
	ip netns exec $auth sh -c "nc -l 127.0.0.1 9000 >'$dir/recv.bin'" &
	echo $! >"$dir/nc.pid"
	ip netns exec $cli dns2tcpc -z t.wan-lab.net -r data -l 4000 10.96.0.1 >"$dir/client.log" 2>&1 &
	echo $! >"$dir/client.pid"
	sleep 2
	ip netns exec $cli timeout 120 nc -q 3 127.0.0.1 4000 <"$dir/send.bin"
fi
sleep 1
kill "$(cat "$dir/benign.pid")" 2>/dev/null
lab_finish "$out"
echo "mklab-wan $tool: $(wc -c <"$dir/recv.bin" 2>/dev/null || echo 0) of $((kib * 1024)) bytes received, $(tcpdump -r "$out" 2>/dev/null | wc -l) packets -> $out"
