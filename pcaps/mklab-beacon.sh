#!/bin/sh
# mklab-beacon.sh OUT.pcap [MINUTES]
# A lab capture of a patient C2 beacon and of periodic lookups that are not one, made with
# real tools: a client namespace runs dig (one process per query, real sleeps) through a real
# unbound resolver that delegates the zones to a second unbound answering for them:
#   - the beacon: one A query a minute (60 s x U(0.8, 1.2): +-20 % jitter) for
#     a<seq>.<constant 8-hex beacon id>.c2.beacon-lab.net, answered 0.0.0.0 (idle, never
#     tasked);
#   - periodic lookups of one fixed name: time.ntp-lab.net every 64 s (an NTP client),
#     health.svc.app-lab.net every 30 s (a health check), update.vendor-lab.net every 60 s
#     (an update poller), each answered with an address;
#   - a trickle of ordinary lookups of a few names.
# MINUTES (default 17) of real time. The client's veth is captured with tcpdump. Needs root,
# ip netns, unbound, dig, tcpdump and python3; exits 77 if one is missing.
set -u
out=$1
minutes=${2:-17}
for t in ip unbound dig tcpdump python3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
. "$(cd "$(dirname "$0")/.." && pwd)/tests/unbound_conf.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/tests/netns.sh"
lab_hosts b 92
set -e

mkdir -p "$dir/auth"
{ unbound_server "$dir/auth" 10.93.0.2 53 10.93.0.0/24; cat <<CONF
	local-zone: "c2.beacon-lab.net." redirect
	local-data: "c2.beacon-lab.net. 30 IN A 0.0.0.0"
CONF
	lab_periodic_zones
} >"$dir/auth/unbound.conf"
lab_auth_start

mkdir -p "$dir/res"
{ lab_resolver_conf; lab_stubs c2.beacon-lab.net ntp-lab.net app-lab.net vendor-lab.net
} >"$dir/res/unbound.conf"
set +e
lab_start

ip netns exec $cli python3 - "$minutes" <<'PY'
import heapq, random, subprocess, sys, time
r = random.Random()
end = time.time() + float(sys.argv[1]) * 60
beacon_id = "%08x" % r.getrandbits(32)
def dig(name):
    subprocess.Popen(["dig", "+tries=1", "+time=2", "+noall", "@10.92.0.1", "-t", "A", name],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
now = time.time()
# (when, kind, seq)
q = [(now + r.uniform(1, 5), "beacon", 0), (now + 2, "ntp", 0), (now + 3, "health", 0),
     (now + 4, "update", 0), (now + 5, "browse", 0)]
heapq.heapify(q)
while q:
    when, kind, seq = heapq.heappop(q)
    if when > end:
        continue
    time.sleep(max(0, when - time.time()))
    if kind == "beacon":
        dig("a%d.%s.c2.beacon-lab.net" % (seq, beacon_id))
        heapq.heappush(q, (when + 60 * r.uniform(0.8, 1.2), kind, seq + 1))
    elif kind == "ntp":
        dig("time.ntp-lab.net")
        heapq.heappush(q, (when + 64, kind, 0))
    elif kind == "health":
        dig("health.svc.app-lab.net")
        heapq.heappush(q, (when + 30, kind, 0))
    elif kind == "update":
        dig("update.vendor-lab.net")
        heapq.heappush(q, (when + 60, kind, 0))
    else:
        dig(r.choice(["www.corp.example", "www.vendor-lab.net"]))
        heapq.heappush(q, (when + r.uniform(5, 40), kind, 0))
time.sleep(3)
PY
lab_finish "$out"
echo "mklab-beacon: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets -> $out"
