#!/bin/sh
# mklab-av.sh OUT.pcap
# A lab capture of what must never be blocked, made with real tools: a client namespace
# runs dig (one process per query, real sleeps with jitter) through a real unbound resolver
# that delegates the hash-lookup zones to a second unbound answering for them, as their
# operators' servers would:
#   - an antivirus "full scan": file-hash lookups of Team Cymru's MHR (<md5>.malware.hash.cymru.com
#     TXT, NXDOMAIN unless known), Sophos Live Protection (<sha256>.i.01.mac.sophosxl.net,
#     NXDOMAIN) and McAfee GTI (<26 base32>.avqs.mcafee.com A, answered 127.0.4.8), 25-50 a
#     second from one host;
#   - a mail filter's DNSBL lookups (<reversed address>.zen.spamhaus.org A, NXDOMAIN mostly);
#   - hostile names sent with dig's escapes: a NUL (\000), a literal dot (\.) or an 8-bit
#     byte (\254) at every position of a 40-character label right under co.uk, github.io and
#     s3.amazonaws.com (the resolver answers NXDOMAIN), the kind of name that once made the
#     apex "co.uk";
#   - a trickle of ordinary lookups (www.corp.example).
# The client's veth is captured with tcpdump (what a mirror of its ENI carries). Needs root,
# ip netns, unbound, dig, tcpdump and python3; exits 77 if one is missing.
set -u
out=$1
for t in ip unbound dig tcpdump python3; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
. "$(cd "$(dirname "$0")/.." && pwd)/tests/unbound_conf.sh"
. "$(cd "$(dirname "$0")/.." && pwd)/tests/netns.sh"
lab_hosts a 90
set -e

# the zones' own servers: a second unbound answering from local data
mkdir -p "$dir/auth"
{ unbound_server "$dir/auth" 10.91.0.2 53 10.91.0.0/24; cat <<CONF
	local-zone: "hash.cymru.com." static
	local-data: "hash.cymru.com. 300 IN SOA ns.cymru.com. h.cymru.com. 1 3600 600 86400 300"
	local-data: "44d88612fea8a8f36de82e1278abb02f.malware.hash.cymru.com. 300 IN TXT \"1221154281 53\""
	local-zone: "sophosxl.net." static
	local-data: "sophosxl.net. 300 IN SOA ns.sophosxl.net. h.sophosxl.net. 1 3600 600 86400 300"
	local-zone: "avqs.mcafee.com." redirect
	local-data: "avqs.mcafee.com. 60 IN A 127.0.4.8"
	local-zone: "zen.spamhaus.org." static
	local-data: "zen.spamhaus.org. 300 IN SOA ns.spamhaus.org. h.spamhaus.org. 1 3600 600 86400 300"
	local-data: "2.0.0.127.zen.spamhaus.org. 300 IN A 127.0.0.2"
CONF
} >"$dir/auth/unbound.conf"
lab_auth_start

mkdir -p "$dir/res"
{ lab_resolver_conf; cat <<CONF
	local-zone: "co.uk." static
	local-zone: "github.io." static
	local-zone: "s3.amazonaws.com." static
	domain-insecure: "cymru.com."
	domain-insecure: "sophosxl.net."
	domain-insecure: "mcafee.com."
	domain-insecure: "spamhaus.org."
stub-zone:
	name: "hash.cymru.com."
	stub-addr: 10.91.0.2
stub-zone:
	name: "sophosxl.net."
	stub-addr: 10.91.0.2
stub-zone:
	name: "avqs.mcafee.com."
	stub-addr: 10.91.0.2
stub-zone:
	name: "zen.spamhaus.org."
	stub-addr: 10.91.0.2
CONF
} >"$dir/res/unbound.conf"
set +e
lab_start

ip netns exec $cli python3 - <<'PY'
import random, subprocess, time
r = random.Random()
B32 = "abcdefghijklmnopqrstuvwxyz234567"
def dig(name, qtype="A"):
    subprocess.run(["dig", "+tries=1", "+time=1", "+noall", "@10.90.0.1", "-t", qtype, name],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def hexs(n):
    return "".join(r.choice("0123456789abcdef") for _ in range(n))
plan = []
# the antivirus scan: one file after another, each looked up at the three services
for i in range(160):
    h = hexs(32)
    plan.append(("%s.malware.hash.cymru.com" % (h if i % 40 else "44d88612fea8a8f36de82e1278abb02f"), "TXT"))
    plan.append(("%s.i.01.mac.sophosxl.net" % hexs(64)[:63], "A"))
    plan.append(("%s.avqs.mcafee.com" % "".join(r.choice(B32) for _ in range(26)), "A"))
# the mail gateway's DNSBL lookups
for i in range(120):
    plan.append(("%d.%d.%d.%d.zen.spamhaus.org" % (r.randrange(1, 255), r.randrange(256),
                 r.randrange(256), r.choice([10, 52, 54, 198, 203])), "A"))
# hostile names: dig's escapes put the byte itself on the wire
for sfx in ("co.uk", "github.io", "s3.amazonaws.com"):
    for odd in ("\\000", "\\.", "\\254"):
        for pos in range(0, 40, 3):
            lab = "".join(r.choice(B32) for _ in range(40))
            plan.append((lab[:pos] + odd + lab[pos + 1:] + "." + sfx, "TXT"))
r.shuffle(plan)
for i, (name, qt) in enumerate(plan):
    dig(name, qt)
    if i % 25 == 0:
        dig("www.corp.example")
    time.sleep(r.uniform(0.005, 0.03))
PY
lab_finish "$out"
echo "mklab-av: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets -> $out"
