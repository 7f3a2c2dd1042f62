#!/usr/bin/env python3
"""r53_logs.py BIN CONVERTER

Route 53 Resolver query logs as an input (README "Route 53 query logs"), on every labelled
capture in ../shared/pcaps and pcaps/, each made into query-log records by CONVERTER
(tests/tools/pcap2r53.py: paired with its responses, cached repeats left out, whole-second
timestamps, as AWS writes them):
  * the same tunnels at HIGH or above from the records as from the capture, none missed;
  * no benign apex at HIGH (not allowlisted) from either;
  * prints, per tunnel, the queries to the first HIGH in both modes;
  * one capture in every form: plain, gzip, Firehose (no newlines), an S3 directory tree, and
    standard input plain and gzip: the same alert rows;
  * bad records counted by reason and skipped; a gzip member cut short counted; a file that
    is neither a capture nor a log: one error line, exit 66.
Skips (77) without ../shared.
"""
import csv
import gzip
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile

BIN, CONV = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("DX_SHARED", os.path.join(HERE, "..", "..", "shared"))
if not os.path.isdir(os.path.join(SHARED, "pcaps")):
    print("SKIP: ../shared/pcaps not found")
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="dx_r53_")
failures = []
RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(inp, name, stdin=None):
    db = os.path.join(tmp, name + ".db")
    for s in ("", "-wal", "-shm"):
        if os.path.exists(db + s):
            os.unlink(db + s)
    p = subprocess.run([BIN, "-q", "--dry-run", "-d", db, "-r", inp], input=stdin,
                       capture_output=True)
    check(p.returncode == 0, "%s: exit %d: %s" % (name, p.returncode, p.stderr[-300:]))
    return db, p.stderr.decode(errors="replace")


def high(db):
    """apex -> (severity rank, first HIGH time) of alerts not allowlisted"""
    con = sqlite3.connect(db)
    out = {}
    for apex, sev, det in con.execute(
            "SELECT apex, severity, json_extract(details, '$.raised.HIGH') FROM alerts"
            " WHERE status != 'allowlisted' AND severity IN ('HIGH','CRITICAL')"):
        r = out.get(apex)
        t = float(det) if det is not None else None
        if r is None or (t is not None and (r[1] is None or t < r[1])):
            out[apex] = (max(RANK[sev], r[0] if r else 0), t)
    con.close()
    return out


def rows(db):
    con = sqlite3.connect(db)
    r = con.execute("SELECT apex, threat_type, severity, query_count, unique_subdomains,"
                    " est_bytes FROM alerts ORDER BY 1, 2").fetchall()
    con.close()
    return r


def to_pcap(path):
    with open(path, "rb") as f:
        ng = f.read(4) == b"\x0a\x0d\x0d\x0a"
    if ng:
        out = os.path.join(tmp, os.path.basename(path) + ".pcap")
        if shutil.which("editcap") is None:
            return None
        subprocess.run(["editcap", "-F", "pcap", path, out], check=True, capture_output=True)
        return out
    return path


def convert(pcap, out, *opts):
    r = subprocess.run([sys.executable, CONV] + list(opts) + [pcap, out], capture_output=True,
                       text=True)
    check(r.returncode == 0, "convert %s: %s" % (pcap, r.stderr[-300:]))


def queries_to_high(db, apex):
    """the apex's queries in the window when its first alert reached HIGH (details.at)"""
    con = sqlite3.connect(db)
    n = [json.loads(d)["at"]["HIGH"]["queries"] for d, in con.execute(
        "SELECT details FROM alerts WHERE apex = ? AND json_extract(details, '$.at.HIGH')"
        " IS NOT NULL ORDER BY json_extract(details, '$.raised.HIGH') LIMIT 1", (apex,))]
    con.close()
    return n[0] if n else None


# ---- every labelled capture, as a capture and as logs
labelled = []
for folder in (os.path.join(SHARED, "pcaps", "lab"), os.path.join(SHARED, "pcaps", "public"),
               os.path.join(HERE, "..", "pcaps")):
    lf = os.path.join(folder, "labels.csv")
    if not os.path.exists(lf):
        continue
    with open(lf) as f:
        for r in csv.DictReader(f):
            labelled.append((os.path.join(folder, r["file"]), r["apex"], r["label"], r["tool"]))
files = {}
for path, apex, label, tool in labelled:
    files.setdefault(path, []).append((apex, label, tool))
print("queries to HIGH (the window's count when the first alert reached HIGH):")
print("%-48s %-22s %8s %8s" % ("capture", "tunnel apex", "pcap", "logs"))
for path, labs in sorted(files.items()):
    if not os.path.exists(path):
        continue
    pcap = to_pcap(path)
    if pcap is None:
        continue
    name = os.path.basename(path)
    log = os.path.join(tmp, name + ".log")
    convert(pcap, log)
    dbp, _ = run(path, name + ".p")
    dbl, _ = run(log, name + ".l")
    hp, hl = high(dbp), high(dbl)
    tunnels = {a for a, l, _ in labs if l == "tunnel"}
    for apex, label, tool in labs:
        if label != "tunnel":
            continue
        inp, inl = apex in hp, apex in hl
        check(inl or not inp, "%s: %s HIGH from the capture but not from the logs" % (name, apex))
        qp, ql = queries_to_high(dbp, apex), queries_to_high(dbl, apex)
        print("%-48s %-22s %8s %8s" % (name, apex, qp if inp else "-", ql if inl else "-"))
    for a in set(hp) | set(hl):
        check(a in tunnels, "%s: benign apex %s HIGH (%s)" % (
            name, a, "logs" if a in hl else "capture"))

# ---- synthetic traffic: benign only (two seeds), and with 2 % tunnels, with responses
MK = os.path.join(SHARED, "tools", "mkcorpus.py")
for seed, share in ((11, "0"), (12, "0"), (21, "0.02")):
    cap = os.path.join(tmp, "mk%d.pcap" % seed)
    lab = cap + ".csv"
    subprocess.run([sys.executable, MK, "--queries", "60000", "--seed", str(seed),
                    "--tunnel-share", share, "--responses", "--labels", lab, "-o", cap],
                   check=True, capture_output=True)
    tunnels = set()
    with open(lab) as f:
        for r in csv.reader(f):
            if len(r) >= 2 and r[1] == "tunnel":
                tunnels.add(r[0])
    log = cap + ".log"
    convert(cap, log)
    hp, hl = high(run(cap, "mk%d.p" % seed)[0]), high(run(log, "mk%d.l" % seed)[0])
    for a in set(hp) | set(hl):
        check(a in tunnels, "mkcorpus seed %d: benign apex %s HIGH (%s)" % (
            seed, a, "logs" if a in hl else "capture"))
    for t in tunnels:
        check(t in hl or t not in hp, "mkcorpus seed %d: tunnel %s missed in the logs" % (seed, t))
    print("mkcorpus seed %d (tunnel share %s): %d tunnels, HIGH from the capture %d, from the "
          "logs %d; benign HIGH 0" % (seed, share, len(tunnels), len(set(hp) & tunnels),
                                       len(set(hl) & tunnels)))

# ---- one capture in every form gives the same rows
P = os.path.join(SHARED, "pcaps", "lab", "iodine_txt_base64.pcap")
base = os.path.join(tmp, "forms.log")
convert(P, base)
want = rows(run(base, "plain")[0])
check(want and want[0][0] == "lab.example", "the plain log's rows")
convert(P, base + ".gz", "--gzip")
convert(P, os.path.join(tmp, "forms.fh"), "--firehose")
s3 = os.path.join(tmp, "s3")
convert(P, s3, "--s3", "123456789012")
check(any(f.endswith(".log.gz") for _, _, fs in os.walk(s3) for f in fs), "S3 layout written")
for inp, name in ((base + ".gz", "gzip"), (os.path.join(tmp, "forms.fh"), "firehose"),
                  (s3, "s3dir")):
    check(rows(run(inp, name)[0]) == want, "%s gives the same rows as the plain log" % name)
for data, name in ((open(base, "rb").read(), "stdin"), (open(base + ".gz", "rb").read(),
                                                         "stdin-gz")):
    check(rows(run("-", name, stdin=data)[0]) == want, "%s: the same rows" % name)

# ---- the instance and VPC of the records, in the alerts, the EVE incident and the hook
hookout = os.path.join(tmp, "hook.env")
hook = os.path.join(tmp, "hook.sh")
with open(hook, "w") as f:
    f.write("#!/bin/sh\nenv | grep '^DNSEXFIL_' >> %s\n" % hookout)
os.chmod(hook, 0o755)
conf = os.path.join(tmp, "eve.ini")
evef = os.path.join(tmp, "eve.json")
with open(conf, "w") as f:
    f.write("[output]\neve = %s\n" % evef)
db = os.path.join(tmp, "ids.db")
p = subprocess.run([BIN, "-q", "-c", conf, "--hook", hook, "-d", db, "-r", base],
                   capture_output=True, text=True)
check(p.returncode == 0, "hook run: %s" % p.stderr[-300:])
con = sqlite3.connect(db)
ids = [json.loads(d) for d, in con.execute(
    "SELECT json_extract(details, '$.srcids') FROM alerts WHERE apex = 'lab.example'")]
con.close()
want_ids = [{"address": "10.53.0.2", "instance": "i-0000000000abc0000",
             "vpc": "vpc-0a1b2c3d4e5f60718"}]
check(ids and all(i == want_ids for i in ids), "alerts' details.srcids: %r" % ids[:1])
rep = subprocess.run([BIN, "report", "-d", db, "--json"], capture_output=True, text=True)
inc = [json.loads(l) for l in rep.stdout.splitlines() if l.strip()]
check(inc and inc[0].get("srcids") == want_ids, "report --json incident's srcids: %r" %
      (inc[0].get("srcids") if inc else None))
evs = [json.loads(l) for l in open(evef) if '"incident"' in l]
check(evs and evs[-1]["incident"].get("srcids") == want_ids, "the EVE incident's srcids")
env = open(hookout).read() if os.path.exists(hookout) else ""
check("DNSEXFIL_INSTANCES=i-0000000000abc0000\n" in env and
      "DNSEXFIL_VPCS=vpc-0a1b2c3d4e5f60718\n" in env, "hook environment: %r" % env)

# ---- bad records
good = json.loads(open(base).readline())
lines = [json.dumps(good), '{"query_name": "x", cut', "not a record"]
for k, v in (("query_name", None), ("srcaddr", "10.0.0.999"), ("query_name", "a..b.example."),
             ("query_name", "a" * 64 + ".example."), ("query_type", 16),
             ("query_timestamp", "yesterday"), ("query_name", "x" * 70000)):
    d = dict(good)
    if v is None:
        del d[k]
    else:
        d[k] = v
    lines.append(json.dumps(d))
lines.append(json.dumps(good))
bad = os.path.join(tmp, "bad.log")
with open(bad, "w") as f:
    f.write("\n".join(lines) + "\n")
db, err = run(bad, "bad")
want_counts = {"log_bad_json": 2, "log_missing_field": 1, "log_bad_field": 3, "log_bad_name": 2,
               "log_too_long": 1}
line = [l for l in err.splitlines() if l.startswith("malformed:")]
got = dict((k.strip(), int(v)) for k, v in (x.strip().rsplit(" ", 1) for x in
                                            line[0][len("malformed:"):].split(","))) if line else {}
check(got == want_counts, "bad records by reason: %r" % got)
check("2 queries" in err, "the two good records used: %s" % err[:200])
random.seed(3)
recs = []
for i in range(300):
    d = dict(good)
    d["query_name"] = "%08x%s.t1.lab.example." % (random.getrandbits(32), "x" * 20)
    recs.append(json.dumps(d))
data = gzip.compress(("\n".join(recs) + "\n").encode())
cut = os.path.join(tmp, "cut.log.gz")
with open(cut, "wb") as f:
    f.write(data[:len(data) * 2 // 3])
db, err = run(cut, "cut")
check("log_gzip_cut 1" in err and " queries" in err and not err.startswith("0 DNS"),
      "a cut gzip member: counted, what came before read: %s" % err[-300:])
junk = os.path.join(tmp, "junk.bin")
with open(junk, "wb") as f:
    f.write(bytes(range(256)) * 4)
p = subprocess.run([BIN, "-q", "-d", os.path.join(tmp, "j.db"), "-r", junk], capture_output=True,
                   text=True)
errl = [l for l in p.stderr.splitlines() if l.strip()]
check(p.returncode == 66 and len(errl) == 1 and "neither a pcap/pcapng capture nor a Route 53"
      in errl[0], "neither: exit %d, %r" % (p.returncode, errl))

shutil.rmtree(tmp, ignore_errors=True)
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("query logs: all checks passed")
