#!/bin/sh
# mklab-consul.sh OUT.pcap [MINUTES]
# A lab capture of service discovery under internal names, made with real tools: a client
# namespace runs dig (one process per query, real sleeps) through a real unbound resolver
# that delegates consul. to a second unbound answering for it, as Consul's DNS interface
# would: about 15 lookups a second, most of a fixed set of names (web/db/cache/auth.service
# .consul A and SRV _web._tcp.service.consul, <node>.node.dc1.consul), one in eight a
# <8 hex digits of a 10/8 address>.addr.dc1.consul or <32 hex of an fd00::/8
# address>.addr.dc1.consul name, answered with an address. MINUTES (default 3) of real time. The client's veth is captured with tcpdump. Needs root,
# ip netns, unbound, dig, tcpdump and python3; exits 77 if one is missing.
set -u
out=$1
minutes=${2:-3}
for t in ip unbound dig tcpdump python3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
. "$(cd "$(dirname "$0")/.." && pwd)/tests/unbound_conf.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/tests/netns.sh"
lab_hosts c 94
set -e

mkdir -p "$dir/auth"
{ unbound_server "$dir/auth" 10.95.0.2 53 10.95.0.0/24; cat <<CONF
	local-zone: "consul." redirect
	local-data: "consul. 0 IN A 10.20.0.10"
	local-data: "consul. 0 IN AAAA fd00::10"
	local-data: "consul. 0 IN SRV 1 1 8080 web-1.node.dc1.consul."
CONF
} >"$dir/auth/unbound.conf"
lab_auth_start

mkdir -p "$dir/res"
{ lab_resolver_conf; cat <<CONF
	domain-insecure: "consul."
	private-domain: "consul."
stub-zone:
	name: "consul."
	stub-addr: 10.95.0.2
CONF
} >"$dir/res/unbound.conf"
set +e
lab_start

ip netns exec $cli python3 - "$minutes" <<'PY'
import random, subprocess, sys, time
r = random.Random()
end = time.time() + float(sys.argv[1]) * 60
fixed = [("web.service.consul", "A"), ("db.service.consul", "A"), ("cache.service.consul", "A"),
         ("auth.service.consul", "A"), ("_web._tcp.service.consul", "SRV")]
fixed += [("web-%d.node.dc1.consul" % i, "A") for i in range(1, 9)]
def dig(name, qt):
    subprocess.Popen(["dig", "+tries=1", "+time=2", "+noall", "@10.94.0.1", "-t", qt, name],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while time.time() < end:
    if r.random() < 0.125:
        if r.random() < 0.7:
            name = "%02x%02x%02x%02x.addr.dc1.consul" % (10, r.randrange(256), r.randrange(256), r.randrange(1, 255))
        else:
            name = "fd00" + "".join(r.choice("0123456789abcdef") for _ in range(28)) + ".addr.dc1.consul"
        dig(name, "A")
    else:
        dig(*r.choice(fixed))
    time.sleep(r.uniform(0.03, 0.1))
time.sleep(3)
PY
lab_finish "$out"
echo "mklab-consul: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets -> $out"
