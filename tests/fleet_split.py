#!/usr/bin/env python3
"""fleet_split.py BIN

A sensor fleet behind a load balancer, simulated: one capture with many clients and several
tunnels is split over N=3 sensors the way AWS would split the mirrored traffic, each part
replayed by its own sensor ([output] sensor_id), and the time to the first HIGH of every
tunnel compared with one sensor that sees everything.

The capture: mkcorpus.py (50 clients, 4 tunnel apexes, responses, 10 minutes) with three real
lab tunnels merged in by time, each moved to a client of its own and to an apex of its own
(iodine TXT and dns2tcp, which keep one source port for the whole session, and the recipe's
burst test, a new source port per query).

The splits (AWS Traffic Mirroring derives the VXLAN source port from the inner 5-tuple; a
load balancer then hashes what it sees):
  * nlb-5tuple: an NLB's default flow hash of the outer 5-tuple, so each inner flow (each
    query with a new source port) may go to a different sensor;
  * nlb-sticky: NLB stickiness.type=source_ip, the hash of the mirror source's address;
  * gwlb-2tuple: GWLB 2-tuple stickiness, delivered as GENEVE around the VXLAN.
Checks: with stickiness (NLB and GWLB) every tunnel raises HIGH on one sensor at the same
packet time and after the same number of its queries as on the single sensor, and no benign
apex raises HIGH; without it no benign apex raises HIGH either, and the delay (or the miss)
of each tunnel is printed (README "Scaling out" quotes it); `report -d s0.db -d s1.db -d s2.db`
names each row's sensor and shows one apex's incidents on several sensors together.
Exits 77 (skip) when ../shared is missing.
"""
import csv
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zlib

BIN = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("DX_SHARED", os.path.join(HERE, "..", "..", "shared"))
if not os.path.isdir(os.path.join(SHARED, "pcaps", "lab")):
    print("SKIP: %s not found" % SHARED)
    sys.exit(77)
sys.path.insert(0, os.path.join(HERE, "..", "pcaps"))
from mkpcaps import eth, ip4, udp  # noqa: E402  (the layer builders of the test captures)
sys.path.insert(0, os.path.join(HERE, "tools"))
import pcapio  # noqa: E402

N = 3
LAB = os.path.join(SHARED, "pcaps", "lab")
# (file, new client, new label for "lab" in lab.example: same length, so the wire stays valid,
# start offset in seconds into the corpus)
LAB_TUNNELS = (("iodine_txt_base64.pcap", "10.0.5.11", b"io1", 60.0),
               ("dns2tcp_txt.pcap", "10.0.5.12", b"d2t", 200.0),
               ("burst_dnsdemo_250.pcap", "10.0.5.13", b"brs", 350.0))
tmp = tempfile.mkdtemp(prefix="dx_fleet_")
failures = []


def flow(frame):
    """(src, dst, proto, sport, dport, l4 payload) of an Ethernet frame, or None."""
    et, = struct.unpack_from("!H", frame, 12)
    if et == 0x0800:
        ihl = (frame[14] & 15) * 4
        proto, src, dst = frame[23], frame[26:30], frame[30:34]
        l4 = 14 + ihl
    elif et == 0x86DD:
        proto, src, dst = frame[20], frame[22:38], frame[38:54]
        l4 = 54
    else:
        return None
    if proto not in (6, 17):
        return None
    sport, dport = struct.unpack_from("!HH", frame, l4)
    hl = 8 if proto == 17 else (frame[l4 + 12] >> 4) * 4
    return src, dst, proto, sport, dport, frame[l4 + hl:]


def qname_of(payload, tcp):
    """The question name of a DNS query (QR=0) in a UDP or TCP payload, lower case, or None."""
    if tcp:
        if len(payload) < 2:
            return None
        payload = payload[2:]
    if len(payload) < 13 or payload[2] & 0x80:
        return None
    off, labels = 12, []
    while off < len(payload) and payload[off] and payload[off] < 64:
        labels.append(payload[off + 1:off + 1 + payload[off]])
        off += 1 + payload[off]
    return b".".join(labels).decode("latin-1").lower()


def lab_frames(name, client, label, t0):
    """The lab capture's IPv4 UDP frames, moved to t0, to client <-> 10.0.0.2 and label.example."""
    pkts = [(ts, fr) for ts, fr, _ in pcapio.read(os.path.join(LAB, name))[1]]
    base = pkts[0][0]
    out = []
    for ts, fr in pkts:
        f = flow(fr)
        if f is None or f[2] != 17 or len(fr) < 34 or fr[12:14] != b"\x08\x00":
            continue
        src, dst, _, sport, dport, payload = f
        payload = re.sub(rb"(?i)\x03lab(\x07example)", b"\x03" + label + rb"\1", payload)
        a, b = (client, "10.0.0.2") if dport == 53 else ("10.0.0.2", client)
        out.append((t0 + ts - base, eth(ip4(a, b, 17, udp(sport, dport, payload)))))
    return out


def vxlan(frame, sport):
    """As Traffic Mirroring sends it: VXLAN (VNI 123) to the target, source port from the flow."""
    hdr = struct.pack("!B3sI", 0x08, b"\x00\x00\x00", 123 << 8)
    return ip4("10.0.9.10", "10.0.9.20", 17, udp(sport, 4789, hdr + frame))


def geneve(ip_pkt):
    """As a GWLB delivers it: GENEVE (IPv4 inside) with AWS's TLV options, to the appliance."""
    opts = b""
    for otype, value in ((1, b"\x00" * 8), (2, b"\x00" * 8), (3, b"\x00" * 4)):
        opts += struct.pack("!HBB", 0x0108, otype, len(value) // 4) + value
    hdr = struct.pack("!BBHI", len(opts) // 4, 0, 0x0800, 0) + opts
    return eth(ip4("10.0.8.1", "10.0.8.2", 17, udp(50000, 6081, hdr + ip_pkt)))


# ------------------------------------------------------------------ the capture
corpus, labels = os.path.join(tmp, "corpus.pcap"), os.path.join(tmp, "labels.csv")
subprocess.run([sys.executable, os.path.join(SHARED, "tools", "mkcorpus.py"), "--queries", "40000",
                "--seed", "23", "--duration", "600", "--tunnel-share", "0.03", "--responses",
                "--labels", labels, "-o", corpus], check=True, stdout=subprocess.DEVNULL)
with open(labels) as f:
    tunnels = [r["apex"] for r in csv.DictReader(f) if r["label"] == "tunnel"]
pkts = [(ts, fr) for ts, fr, _ in pcapio.read(corpus)[1]]
t_start = pkts[0][0]
for name, client, label, off in LAB_TUNNELS:
    pkts += lab_frames(name, client, label, t_start + off)
    tunnels.append(label.decode() + ".example")
pkts.sort(key=lambda p: p[0])

# every packet: its frame, its sensor under each split, and (queries) the tunnel apex it asks for
split = {"nlb-5tuple": [], "nlb-sticky": [], "gwlb-2tuple": []}
queries = {a: [] for a in tunnels}
for ts, fr in pkts:
    f = flow(fr)
    if f is None:
        continue
    src, dst, proto, sport, dport, payload = f
    client = src if dport == 53 else dst
    inner = src + dst + struct.pack("!BHH", proto, sport, dport)
    vsport = 49152 + zlib.crc32(inner) % 16384
    outer = b"\x0a\x00\x09\x0a\x0a\x00\x09\x14" + struct.pack("!BHH", 17, vsport, 4789)
    v = vxlan(fr, vsport)
    by_client = zlib.crc32(client) % N
    split["nlb-5tuple"].append((zlib.crc32(outer) % N, ts, eth(v)))
    split["nlb-sticky"].append((by_client, ts, eth(v)))
    split["gwlb-2tuple"].append((by_client, ts, geneve(v)))
    if dport == 53:
        q = qname_of(payload, proto == 6)
        for a in tunnels:
            if q is not None and (q == a or q.endswith("." + a)):
                queries[a].append(ts)

conf = os.path.join(tmp, "s.ini")


def replay(pcap, db, sensor):
    with open(conf, "w") as f:
        f.write("[output]\nsensor_id = %s\n" % sensor)
    p = subprocess.run([BIN, "-c", conf, "-r", pcap, "-d", db, "-q", "--dry-run"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        failures.append("%s: exit %d: %s" % (pcap, p.returncode, p.stderr[-300:]))


def first_high(dbs):
    """apex -> packet time of its first HIGH or CRITICAL over the databases; not allowlisted."""
    out = {}
    for db in dbs:
        con = sqlite3.connect(db)
        for apex, t in con.execute(
                "SELECT apex, min(coalesce(json_extract(details, '$.raised.HIGH'),"
                " json_extract(details, '$.raised.CRITICAL'), detected_ts)) FROM alerts"
                " WHERE severity IN ('HIGH', 'CRITICAL') AND status != 'allowlisted'"
                " GROUP BY apex"):
            out[apex] = min(t, out.get(apex, t))
        con.close()
    return out


single = os.path.join(tmp, "single.pcap")
pcapio.write(single, [(ts, fr) for _, ts, fr in split["nlb-5tuple"]])
replay(single, os.path.join(tmp, "single.db"), "single")
base = first_high([os.path.join(tmp, "single.db")])


def to_high(apex, t):
    return sum(1 for q in queries[apex] if q <= t + 1e-6)


print("%-20s %8s %12s %10s" % ("tunnel", "queries", "single: s", "queries"))
for a in tunnels:
    if a not in base:
        failures.append("single sensor: tunnel %s missed" % a)
        continue
    print("%-20s %8d %12.3f %10d" % (a, len(queries[a]), base[a] - queries[a][0], to_high(a, base[a])))
for a in sorted(set(base) - set(tunnels)):
    failures.append("single sensor: benign %s raised HIGH" % a)

results = {}
for name, parts in split.items():
    dbs = []
    for i in range(N):
        pcap, db = os.path.join(tmp, "%s-%d.pcap" % (name, i)), os.path.join(tmp, "%s-%d.db" % (name, i))
        pcapio.write(pcap, [(ts, fr) for s, ts, fr in parts if s == i])
        replay(pcap, db, "s%d" % i)
        dbs.append(db)
    got = results[name] = first_high(dbs)
    for a in sorted(set(got) - set(tunnels)):
        failures.append("%s: benign %s raised HIGH" % (name, a))
    print("\n%s over %d sensors:" % (name, N))
    for a in tunnels:
        if a not in base:
            continue
        if a not in got:
            print("  %-20s missed (%d queries)" % (a, len(queries[a])))
            line = None
        else:
            line = (got[a] - base[a], to_high(a, got[a]) - to_high(a, base[a]))
            print("  %-20s %+9.3f s  %+5d queries" % (a, line[0], line[1]))
        if name != "nlb-5tuple" and (line is None or abs(line[0]) > 1e-6 or line[1] != 0):
            failures.append("%s: %s not caught as on one sensor: %s" % (name, a, line))
    if name == "nlb-5tuple":
        p = subprocess.run([BIN, "report"] + sum((["-d", d] for d in dbs), []) + ["--limit", "500"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rows = p.stdout.splitlines()
        if p.returncode != 0 or not rows or not rows[0].startswith("SENSOR"):
            failures.append("report of the fleet: exit %d, %r" % (p.returncode, rows[:1]))
        seen = [r.split()[:2] for r in rows[1:]]
        for a in tunnels:
            at = [i for i, r in enumerate(seen) if r[1] == a]
            if at and at != list(range(at[0], at[0] + len(at))):
                failures.append("report of the fleet: %s's rows not together: %s" % (a, at))
        sensors = {r[0] for r in seen}
        print("  report: %d rows from sensors %s" % (len(seen), ",".join(sorted(sensors))))
        if len([a for a in tunnels if len({r[0] for r in seen if r[1] == a}) > 1]) == 0:
            failures.append("report of the fleet: no apex on several sensors (the split did not split)")

for f in failures:
    print("FAIL:", f)
if failures:
    print("files kept in", tmp)
    sys.exit(1)
shutil.rmtree(tmp)
