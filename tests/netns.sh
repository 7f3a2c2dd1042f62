# netns.sh: sourced by the scripts that build test hosts in network namespaces.
# pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces, a /24 address on
# each end, both up.
pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# ns_lab NS...: network namespaces, lo up in each, and a temporary directory in $dir; all
# removed at exit (the processes whose pids are in $dir/*.pid first, then whatever is left in
# the namespaces). Exits 77 if namespaces cannot be made.
ns_lab() {
	ns_all="$*"
	dir=$(mktemp -d)
	trap ns_lab_remove EXIT
	for _n in "$@"; do
		ip netns add "$_n" 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
		ip -n "$_n" link set lo up
	done
}

ns_lab_remove() {
	for _p in $(cat "$dir"/*.pid 2>/dev/null); do kill "$_p" 2>/dev/null; done
	sleep 0.2
	for _n in $ns_all; do ip netns pids "$_n" 2>/dev/null | xargs -r kill -9 2>/dev/null; done
	for _n in $ns_all; do ip netns del "$_n" 2>/dev/null; done
	rm -rf "$dir"
}

# lab_hosts TAG NET: the three hosts of a lab capture (pcaps/mklab-*.sh): a client, its
# resolver and the zones' own server, in namespaces named after TAG and this shell's pid,
# lo up, joined by veth pairs (client 10.NET.0.2 - resolver 10.NET.0.1, resolver
# 10.NET+1.0.1 - server 10.NET+1.0.2); a temporary directory in $dir. Everything is removed at
# exit (the processes whose pids are in $dir/*.pid first). Sets cli, res, auth, dir; exits 77
# if namespaces cannot be made.
lab_hosts() {
	_id=$(($$ % 10000)) _net=$2
	cli=dx${1}cli$_id res=dx${1}res$_id auth=dx${1}auth$_id
	dir=$(mktemp -d)
	trap lab_hosts_remove EXIT
	ip netns add $cli 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
	ip netns add $res || exit 1
	ip netns add $auth || exit 1
	for _n in $cli $res $auth; do ip -n $_n link set lo up; done
	pair $cli c0 10.$2.0.2 $res r0 10.$2.0.1 || exit 1
	pair $res r1 10.$(($2 + 1)).0.1 $auth a0 10.$(($2 + 1)).0.2 || exit 1
}

lab_hosts_remove() {
	for _p in $(cat "$dir"/*.pid 2>/dev/null); do kill "$_p" 2>/dev/null; done
	sleep 0.3
	for _n in $cli $res $auth; do ip netns pids $_n 2>/dev/null | xargs -r kill -9 2>/dev/null; done
	for _n in $cli $res $auth; do ip netns del $_n 2>/dev/null; done
	rm -rf "$dir"
}

# lab_start: the lab's resolver (an unbound configured in $dir/res/unbound.conf, at
# 10.NET.0.1) started in $res, waited for until it answers www.corp.example (10.0.0.1) to the
# client, and tcpdump capturing the client's DNS on c0 into $dir/cap.pcap.
lab_start() {
	ip netns exec $res unbound -d -c "$dir/res/unbound.conf" &
	echo $! >"$dir/res.pid"
	_ns=$(ip -n $res -4 -o addr show r0 | sed -n 's|.* inet \([0-9.]*\)/.*|\1|p')
	for _i in $(seq 50); do
		[ "$(ip netns exec $cli dig +short +tries=1 +time=1 @$_ns www.corp.example)" = 10.0.0.1 ] && break
		sleep 0.2
	done
	ip netns exec $cli tcpdump -i c0 -w "$dir/cap.pcap" -U -s 0 udp port 53 2>"$dir/tcpdump.err" &
	echo $! >"$dir/tcpdump.pid"
	sleep 1
}

# lab_finish OUT: stop the capture and copy it to OUT.
lab_finish() {
	sleep 1
	kill "$(cat "$dir/tcpdump.pid")" 2>/dev/null
	sleep 0.5
	cp "$dir/cap.pcap" "$1"
}

# lab_resolver_conf: the start of the lab resolver's unbound.conf (at 10.NET.0.1, answering
# the client's network): an iterator that may ask the zones' server on a private address, and
# www.corp.example (10.0.0.1) for lab_start to wait on. The caller appends its zones.
lab_resolver_conf() {
	unbound_server "$dir/res" 10.$_net.0.1 53 10.$_net.0.0/24
	cat <<CONF
	module-config: "iterator"
	qname-minimisation: no
	do-not-query-localhost: no
	local-zone: "corp.example." static
	local-data: "www.corp.example. 60 IN A 10.0.0.1"
CONF
}

# lab_auth_start: the zones' own server, an unbound configured in $dir/auth/unbound.conf.
lab_auth_start() {
	ip netns exec $auth unbound -d -c "$dir/auth/unbound.conf" &
	echo $! >"$dir/auth.pid"
}

# lab_periodic_zones: the zone data of the periodic lookups of one fixed name that the beacon
# captures run beside the beacon (an NTP server, a health-checked service, an update server).
lab_periodic_zones() {
	cat <<CONF
	local-zone: "ntp-lab.net." static
	local-data: "time.ntp-lab.net. 60 IN A 192.0.2.123"
	local-zone: "app-lab.net." static
	local-data: "health.svc.app-lab.net. 5 IN A 192.0.2.80"
	local-zone: "vendor-lab.net." static
	local-data: "update.vendor-lab.net. 30 IN A 192.0.2.90"
	local-data: "www.vendor-lab.net. 30 IN A 192.0.2.91"
CONF
}

# lab_stubs ZONE...: resolver lines sending each zone to the zones' server (10.NET+1.0.2),
# unsigned.
lab_stubs() {
	for _z in "$@"; do
		printf '\tdomain-insecure: "%s."\n' "$_z"
	done
	for _z in "$@"; do
		printf 'stub-zone:\n\tname: "%s."\n\tstub-addr: 10.%d.0.2\n' "$_z" $((_net + 1))
	done
}
