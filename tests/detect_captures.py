#!/usr/bin/env python3
"""detect_captures.py BIN

The acceptance measurements of the detection engine, on real captures, as a test, with the
defaults a new user gets (no -c: the built-in allowlist, nothing else) and --dry-run, so the
block requests are recorded:
  * every tunnel capture in ../shared/pcaps (lab/ and public/, labels.csv) raises HIGH or
    CRITICAL for its tunnel apex; prints the queries and packet-time seconds from the tunnel's
    first query to the first HIGH alert;
  * no block requested for any apex but a labelled tunnel's;
  * no HIGH or CRITICAL alert that is not allowlisted on any benign apex of those captures, nor
    on mkcorpus.py captures with --tunnel-share 0 (three seeds); on a --tunnel-share 0.02
    capture every labelled tunnel apex is caught and no benign one;
  * est_bytes within a factor of 2 of the known upstream payload (lab iodine and dns2tcp);
  * a slow exfiltration (the lab iodine session re-timed to ~1 byte/s of payload) is caught
    within 24 h of packet time;
  * replaying a capture twice gives identical alert rows;
  * each tunnel is one incident, HIGH, every alert of its apex linked to it; the lab iodine
    TXT session's has at least three reasons and top type TXT.
  * the median of the queries to HIGH over the tunnels (the recipe's burst test left out) is
    at most 15 and the worst at most 30.
DX_CONF=FILE runs the sensor with -c FILE (to try thresholds). Exits 77 (skip) when ../shared
is missing.
"""
import csv
import os
import sqlite3
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
SHARED = os.environ.get("DX_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
PCAPS = os.path.join(SHARED, "pcaps")
if not os.path.isdir(PCAPS):
    print("SKIP: %s not found" % PCAPS)
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
import pcapio  # noqa: E402

tmp = tempfile.mkdtemp(prefix="dx_detect_")
failures = []


def run(pcap, name):
    db = os.path.join(tmp, name + ".db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    p = subprocess.run([BIN] + (["-c", os.environ["DX_CONF"]] if os.environ.get("DX_CONF") else []) + ["-d", db, "-r", pcap, "--dump", "-q", "--dry-run"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace")
    if p.returncode != 0:
        failures.append("%s: exit %d: %s" % (name, p.returncode, p.stderr[-500:]))
    return db, p.stdout


def alerts(db):
    con = sqlite3.connect(db)
    # detected_ts is when the row reached its current severity; the first HIGH of an episode
    # is in details.raised
    rows = con.execute("SELECT apex, threat_type, severity, status, first_ts,"
                       " coalesce(json_extract(details, '$.raised.HIGH'),"
                       " json_extract(details, '$.raised.CRITICAL'), detected_ts),"
                       " est_bytes, query_count FROM alerts ORDER BY id").fetchall()
    con.close()
    return rows


def blocked(db):
    """The apexes a block was requested for."""
    con = sqlite3.connect(db)
    rows = {r[0] for r in con.execute("SELECT DISTINCT apex FROM blocks")}
    con.close()
    return rows


def queries_to(dump, apex):
    """(ts, qname) of the queries whose name is under apex, in capture order."""
    out = []
    for line in dump.splitlines():
        f = line.split(" ")
        try:
            i = f.index("id")
        except ValueError:
            continue
        if f[i + 2] != "q":
            continue
        name = f[i + 6].lower()
        if name == apex or name.endswith("." + apex):
            t = f[0]
            # 2024-03-01T00:00:00.000000Z -> epoch seconds
            import calendar, time
            sec = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
            out.append(sec + int(t[20:26]) / 1e6)
    return out


def labels(folder):
    rows = {}
    with open(os.path.join(folder, "labels.csv")) as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["file"], []).append((r["apex"], r["label"], r["tool"]))
            if r.get("payload_bytes"):
                payload[r["file"]] = (r["apex"], int(r["payload_bytes"]))
    return rows


payload = {}  # file -> (apex, bytes really sent up the tunnel), where labels.csv says
OWN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcaps")
medium = [0, 0]  # benign captures: apexes with a MEDIUM or above not allowlisted; busy apexes
# (those with a window-stats row: stats_min_queries in a window), the stricter denominator


def count_medium(db):
    """Add a benign capture's apexes with a MEDIUM or above not allowlisted, and its busy
    apexes, to medium."""
    con = sqlite3.connect(db)
    medium[0] += con.execute("SELECT count(DISTINCT apex) FROM alerts WHERE severity"
                             " != 'LOW' AND status != 'allowlisted'").fetchone()[0]
    medium[1] += con.execute("SELECT count(DISTINCT apex) FROM apex_window_stats").fetchone()[0]
    con.close()


HIGH = ("HIGH", "CRITICAL")
to_high = []
print("%-45s %-18s %9s %8s %9s  %s" % ("capture", "tunnel apex", "queries", "seconds",
                                         "est_bytes", "first HIGH"))
for folder in (os.path.join(PCAPS, "lab"), os.path.join(PCAPS, "public"), OWN):
    for fname, rows in sorted(labels(folder).items()):
        pcap = os.path.join(folder, fname)
        db, dump = run(pcap, fname)
        al = alerts(db)
        tunnel_apexes = {a for a, l, _ in rows if l == "tunnel"}
        benign_apexes = {a for a, l, _ in rows if l == "benign"}
        tools = {a: t for a, l, t in rows if l == "tunnel"}
        for apex in sorted(tunnel_apexes):
            hi = [r for r in al if r[0] == apex and r[2] in HIGH]
            if not hi:
                failures.append("%s: no HIGH/CRITICAL for tunnel apex %s" % (fname, apex))
                continue
            first = min(hi, key=lambda r: r[5])
            qs = queries_to(dump, apex)
            n_before = sum(1 for t in qs if t <= first[5] + 1e-7)
            # the recipe's own test is a burst, not a tool; beacons are judged by BEACON
            if tools[apex] != "burst-test" and not tools[apex].startswith("beacon"):
                to_high.append(n_before)
            secs = first[5] - qs[0] if qs else 0.0
            est = max(r[6] for r in al if r[0] == apex)
            print("%-45s %-18s %9d %8.2f %9d  %s" % (fname[:45], apex, n_before, secs, est,
                                                      first[1]))
            # one incident per tunnel (issue 21): its alerts are the evidence
            con = sqlite3.connect(db)
            inc = con.execute("SELECT count(*), max((SELECT count(*) FROM json_each(reasons))),"
                              " max(top_qtype), max(severity IN ('HIGH', 'CRITICAL'))"
                              " FROM incidents WHERE apex = ?", (apex,)).fetchone()
            unlinked = con.execute("SELECT count(*) FROM alerts WHERE apex = ? AND"
                                   " incident_id IS NULL", (apex,)).fetchone()[0]
            con.close()
            if inc[0] != 1 or inc[3] != 1 or unlinked:
                failures.append("%s: %d incidents for %s (HIGH: %s), %d alerts unlinked" %
                                (fname, inc[0], apex, inc[3], unlinked))
            if fname == "iodine_txt_base64.pcap" and (inc[1] < 3 or inc[2] != "TXT"):
                failures.append("%s: the incident has %d reasons, top type %s" %
                                (fname, inc[1], inc[2]))
        bad = [r for r in al if r[2] in HIGH and r[3] != "allowlisted" and
               r[0] not in tunnel_apexes and ("*" in benign_apexes or r[0] in benign_apexes or
                                             not tunnel_apexes)]
        for r in bad:
            failures.append("%s: benign apex %s raised %s %s" % (fname, r[0], r[2], r[1]))
        for apex in sorted(blocked(db) - tunnel_apexes):
            failures.append("%s: block requested for %s" % (fname, apex))
        if not tunnel_apexes:
            print("%-45s %-18s %s" % (fname[:45], "(benign)", "no HIGH/CRITICAL"
                                      if not bad else "%d HIGH/CRITICAL" % len(bad)))
            count_medium(db)
        if fname in payload:
            apex, sent = payload[fname]
            est = max(r[6] for r in al if r[0] == apex)
            print("est_bytes %-28s %7d for %d B sent (x%.2f)" % (fname, est, sent, est / sent))
            if not 0.5 <= est / sent <= 2.0:
                failures.append("%s: est_bytes %d for %d B" % (fname, est, sent))

# issue 20's goal: median <= 15 and worst <= 30 queries from a tunnel's first query to HIGH
to_high.sort()
if to_high:
    med = to_high[len(to_high) // 2]
    print("queries to HIGH over %d tunnels: median %d, worst %d" % (len(to_high), med,
                                                                    to_high[-1]))
    if med > 15 or to_high[-1] > 30:
        failures.append("queries to HIGH: median %d (goal <= 15), worst %d (goal <= 30)" %
                        (med, to_high[-1]))

# est_bytes against the known payload (lab README: 204,800 B up through each tunnel)
for fname in ("iodine_null_auto.pcap", "iodine_txt_base64.pcap", "dns2tcp_txt.pcap"):
    db, _ = run(os.path.join(PCAPS, "lab", fname), "est-" + fname)
    est = max(r[6] for r in alerts(db) if r[0] == "lab.example")
    ratio = est / 204800.0
    print("est_bytes %-28s %7d for 204800 B of payload (x%.2f)" % (fname, est, ratio))
    if not 0.5 <= ratio <= 2.0:
        failures.append("%s: est_bytes %d not within x2 of 204800" % (fname, est))


# benign synthetic corpora and a labelled tunnel share
def mkcorpus(args, out):
    subprocess.run([sys.executable, os.path.join(SHARED, "tools", "mkcorpus.py")] + args +
                   ["-o", out], check=True, stdout=subprocess.DEVNULL)


for seed in (1, 2, 3):
    pcap = os.path.join(tmp, "benign%d.pcap" % seed)
    mkcorpus(["--queries", "60000", "--seed", str(seed), "--tunnel-share", "0",
              "--responses"], pcap)
    db, _ = run(pcap, "benign%d" % seed)
    bad = [r for r in alerts(db) if r[2] in HIGH and r[3] != "allowlisted"]
    for apex in sorted(blocked(db)):
        failures.append("mkcorpus seed %d: block requested for %s" % (seed, apex))
    print("mkcorpus seed %d, tunnel share 0: %d HIGH/CRITICAL" % (seed, len(bad)))
    count_medium(db)
    for r in bad:
        failures.append("mkcorpus seed %d: %s raised %s %s" % (seed, r[0], r[2], r[1]))
# issue 20's goal: benign MEDIUM alerts on at most 1 % of the busy apexes
print("benign captures and mkcorpus seeds 1-3: %d of %d busy apexes with a MEDIUM or above"
      " not allowlisted" % (medium[0], medium[1]))
if medium[0] * 100 > medium[1]:
    failures.append("benign MEDIUM on %d of %d apexes (goal <= 1 %%)" % tuple(medium))
pcap = os.path.join(tmp, "share.pcap")
lab = os.path.join(tmp, "share.csv")
# 200,000 queries over the default hour: the slow tunnel in it sends ~430 queries (at 60,000
# it sends 129, about 2.8 KB in the hour, and reaches only MEDIUM; see README)
mkcorpus(["--queries", "200000", "--seed", "5", "--tunnel-share", "0.02", "--labels", lab], pcap)
db, _ = run(pcap, "share")
al = alerts(db)
with open(lab) as f:
    truth = {r["apex"]: r["label"] for r in csv.DictReader(f)}
caught = {r[0] for r in al if r[2] in HIGH and r[3] != "allowlisted"}
for apex, label in sorted(truth.items()):
    if label == "tunnel" and apex not in caught:
        failures.append("mkcorpus share: tunnel %s missed" % apex)
    if label != "tunnel" and apex in caught:
        failures.append("mkcorpus share: benign %s raised HIGH" % apex)
for apex in sorted(blocked(db)):
    if truth.get(apex) != "tunnel":
        failures.append("mkcorpus share: block requested for benign %s" % apex)
print("mkcorpus tunnel share 0.02: %d tunnel apexes, %d caught, %d benign flagged" % (
    sum(1 for l in truth.values() if l == "tunnel"),
    len([a for a in caught if truth.get(a) == "tunnel"]),
    len([a for a in caught if truth.get(a) != "tunnel"])))


# low and slow: re-time the iodine session's packets so its 204,800 B take ~204,800 s
def retime(src, dst, total_sec):
    """Spread the packets of src evenly over total_sec, order kept."""
    link, recs = pcapio.read(src)
    t0 = int(recs[0][0])
    pcapio.write(dst, [(t0 + i * total_sec / len(recs), fr, wire)
                       for i, (_, fr, wire) in enumerate(recs)], link)


# the iodine session's 204,800 B of upstream payload spread evenly over 204,800 s: ~1 B/s,
# one query every ~2.6 minutes, far below every per-window threshold
src = os.path.join(PCAPS, "lab", "iodine_null_auto.pcap")
slow = os.path.join(tmp, "slow.pcap")
retime(src, slow, 204800)
db, _ = run(slow, "slow")
hi = [r for r in alerts(db) if r[0] == "lab.example" and r[2] in HIGH]
if not hi:
    failures.append("slow exfiltration (1 B/s) not caught")
else:
    first_hi = min(hi, key=lambda r: r[5])
    hours = (first_hi[5] - first_hi[4]) / 3600
    print("slow exfiltration at ~1 B/s: %s %s after %.1f h of packet time" % (
        first_hi[2], first_hi[1], hours))
    if hours > 24:
        failures.append("slow exfiltration caught only after %.1f h" % hours)

# determinism: the same capture twice gives the same rows (50 clients, 1,000+ apexes, so
# the hashed tables and the source counts are exercised)
db1, _ = run(pcap, "det1")
db2, _ = run(pcap, "det2")
q = ("SELECT apex, threat_type, severity, score, first_ts, detected_ts, last_ts, query_count,"
     " unique_subdomains, source_count, est_bytes, encoding, top_qtype, sample_qname, sources,"
     " vni, details, status FROM alerts ORDER BY id")
w = "SELECT * FROM apex_window_stats ORDER BY apex, window_start_ts"
for sql in (q, w):
    a = sqlite3.connect(db1).execute(sql).fetchall()
    b = sqlite3.connect(db2).execute(sql).fetchall()
    if a != b or not a:
        failures.append("replay not deterministic (or empty): %s" % sql[:40])
print("replay twice: identical alert and window rows")

for f in failures:
    print("FAIL", f)
print("detect_captures: %d failed" % len(failures))
sys.exit(1 if failures else 0)
