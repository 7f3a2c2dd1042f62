#!/usr/bin/env python3
"""events_out.py BIN PCAP [LOGROTATE_CONF]

Events out of a real replay (README "Sending events"), on the iodine TXT capture:
- the EVE file: every line one JSON object with timestamp (ISO 8601, microseconds, offset),
  event_type, host, sensor_id; one incident (one uid) for the tunnel apex with at least three
  reasons and top type TXT; one line per state change (opened, escalated, blocked) in order and
  a stats line at the end; the database says the same incident;
- the same replay again gives the same incident lines (packet time, a stable uid);
- the notify hook gets each event at or above its threshold as valid JSON on standard input,
  the event type as its only argument, and starts with "opened";
- SIGHUP reopens the file: logrotate with the shipped rules (contrib/logrotate/dnsexfild, on
  the test's directory) moves it and reloads the sensor; the lines before are in the moved
  file, those after in the new one, none lost or doubled;
- a notify hook that hangs is killed at its timeout and never holds the replay up;
- an EVE path that cannot be written is one line naming [output] eve, exit 78 (EX_CONFIG),
  the same from --check-config and from a start.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
PCAP = sys.argv[2]
LOGROTATE = sys.argv[3] if len(sys.argv) > 3 else None
if not os.path.exists(PCAP):
    print("SKIP: %s missing" % PCAP)
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="dx_events_")
failures = []
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$")
ENV = dict(os.environ, TZ="UTC")


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def write(name, text, mode=0o644):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)
    return p


NOTIFY = write("notify", """#!/bin/sh
n=$(ls "$NOTIFY_DIR" | wc -l)
printf '%s\\n' "$*" > "$NOTIFY_DIR/$n.argv"
cat > "$NOTIFY_DIR/$n.json"
env | grep '^DNSEXFIL_' > "$NOTIFY_DIR/$n.env"
""", 0o755)
HANG = write("hang", "#!/bin/sh\nexec sleep 30\n", 0o755)


def config(eve, hook=NOTIFY, extra=""):
    return write("c.ini", "[output]\neve = %s\nsensor_id = lab-1\n[notify]\nhook = %s\n%s"
                 % (eve, hook, extra))


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def run(cfg, db, extra=(), **kw):
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    return subprocess.run([BIN, "-c", cfg, "-d", db, "--hook", "/bin/true"] + list(extra),
                          capture_output=True, text=True, env=ENV, **kw)


# ---- one replay: the EVE file, the notify hook, the database
ndir = os.path.join(tmp, "n")
os.mkdir(ndir)
ENV["NOTIFY_DIR"] = ndir
eve = os.path.join(tmp, "eve.json")
db = os.path.join(tmp, "a.db")
r = run(config(eve), db, ["-r", PCAP])
check(r.returncode == 0, "replay exit %d: %s" % (r.returncode, r.stderr[-500:]))
ev = lines(eve)
for e in ev:
    check(TS.match(e.get("timestamp", "")), "timestamp %r" % e.get("timestamp"))
    check(e.get("host") and e.get("sensor_id") == "lab-1", "host/sensor_id in %r" % e)
types = [e["event_type"] for e in ev]
print("EVE:", types)
inc = [e for e in ev if e["event_type"] != "stats"]
check(types[-1] == "stats", "the last line is stats")
check(types[0] == "opened" and types.count("opened") == 1, "one opened, first: %r" % types)
check("blocked" in types and types.count("blocked") == 1, "one blocked: %r" % types)
check(all(t in ("opened", "escalated", "blocked", "stats") for t in types), "types %r" % types)
uids = {e["incident"]["uid"] for e in inc}
apexes = {e["incident"]["apex"] for e in inc}
check(len(uids) == 1 and apexes == {"lab.example"}, "one incident: %r %r" % (uids, apexes))
sevs = [e["incident"]["severity"] for e in inc if e["event_type"] != "blocked"]
rank = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
check(all(rank[a] < rank[b] for a, b in zip(sevs, sevs[1:])),
      "each opened/escalated line a higher severity: %r" % sevs)
last = inc[-1]["incident"]
check(len(last["reasons"]) >= 3, "three reasons or more: %r" % last["reasons"])
check(last["top_qtype"] == "TXT", "top type TXT: %r" % last["top_qtype"])
check(last["block_state"] == "done" and inc[-1]["alert"]["action"] == "blocked",
      "blocked line: %r" % inc[-1]["alert"])
for k in ("uid", "apex", "threat", "severity", "status", "first_seen", "detected", "last_seen",
          "query_count", "unique_subdomains", "source_count", "clients", "vni", "est_bytes",
          "encoding", "top_qtype", "samples", "reasons", "block_state", "techniques"):
    check(k in last, "incident field %s" % k)
check(last["clients"] == ["10.53.0.2"] and inc[-1]["src_ip"] == "10.53.0.2", "clients")
stats = ev[-1]["stats"]
check(stats["queries"] == 1384 and stats["events"]["blocked"] == 1, "stats %r" % stats)
con = sqlite3.connect(db)
rows = con.execute("SELECT apex, severity, top_qtype, reasons FROM incidents").fetchall()
check(len(rows) == 1 and rows[0][0] == "lab.example" and rows[0][1] == last["severity"]
      and rows[0][2] == "TXT" and set(json.loads(rows[0][3])) == set(last["reasons"]),
      "the database's incident agrees: %r" % rows)
con.close()

# the notify hook: HIGH and up only, valid JSON, argv = the event type, opened first
got = []
calls = sorted({int(n.split(".")[0]) for n in os.listdir(ndir)})
for n in calls:
    argv = open(os.path.join(ndir, "%d.argv" % n)).read().strip()
    body = json.loads(open(os.path.join(ndir, "%d.json" % n)).read())
    env = open(os.path.join(ndir, "%d.env" % n)).read()
    check(argv == body["event_type"], "argv %r is the event type %r" % (argv, body["event_type"]))
    check(rank[body["incident"]["severity"]] >= rank["HIGH"], "notify at HIGH and up")
    check("DNSEXFIL_EVENT=%s" % argv in env and "DNSEXFIL_INCIDENT=%s" %
          body["incident"]["uid"] in env, "notify environment: %r" % env)
    got.append(argv)
print("notify:", got)
check(got and got[0] == "opened" and "blocked" in got, "notify events %r" % got)

# ---- again: the same incident lines (packet time; blocked comes when the hook answers)
eve2 = os.path.join(tmp, "eve2.json")
r = run(config(eve2), db, ["-r", PCAP])
same = lambda evs: [json.dumps(e, sort_keys=True) for e in evs
                    if e["event_type"] in ("opened", "escalated")]
check(same(lines(eve2)) == same(ev), "a second replay gives the same opened/escalated lines")

# ---- SIGHUP reopens: a replay from a pipe, the file moved half way
with open(PCAP, "rb") as f:
    data = f.read()
hdr, off, cut = data[:24], 24, None
n = 0
while off < len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    off += 16 + incl
    n += 1
    if n == 1500:
        cut = off
eve3 = os.path.join(tmp, "eve3.json")
p = subprocess.Popen([BIN, "-c", config(eve3), "-d", db, "--hook", "/bin/true", "-r", "-"],
                     stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
p.stdin.write(data[:cut])
p.stdin.flush()
deadline = time.time() + 20
while time.time() < deadline and not (os.path.exists(eve3) and
                                      sum(1 for _ in open(eve3)) >= 2):
    time.sleep(0.05)
if LOGROTATE and shutil.which("logrotate"):
    # the shipped rules, on this directory, as this user, reloading this sensor
    conf = open(LOGROTATE).read().replace("/var/log/dnsexfild/", tmp + "/")
    conf = re.sub(r"create 0640 \S+ \S+", "create 0640", conf)
    conf = re.sub(r"systemctl reload [^\n]*", "kill -HUP %d" % p.pid, conf)
    lr = write("logrotate.conf", conf)
    r = subprocess.run(["logrotate", "-f", "-s", os.path.join(tmp, "lr.state"), lr],
                       capture_output=True, text=True)
    check(r.returncode == 0 and os.path.exists(eve3 + ".1"),
          "logrotate with the shipped rules: %s" % r.stderr)
    print("rotated by logrotate with contrib/logrotate/dnsexfild")
else:
    os.rename(eve3, eve3 + ".1")
    p.send_signal(signal.SIGHUP)
time.sleep(1.0)  # the writer reopens before its next write
p.stdin.write(data[cut:])
p.stdin.close()
err = p.stderr.read().decode()
p.wait(timeout=60)
check(p.returncode == 0, "pipe replay exit %d: %s" % (p.returncode, err[-300:]))
before = lines(eve3 + ".1")
after = lines(eve3) if os.path.exists(eve3) else []
print("rotated: %d lines before, %d after" % (len(before), len(after)))
check(len(before) >= 2 and len(after) >= 1, "lines on both sides of the rotation")
check([e["event_type"] for e in before + after].count("opened") == 1,
      "nothing doubled across the rotation")
check(after and after[-1]["event_type"] == "stats", "the new file has the end")

# ---- a notify hook that hangs: killed at its timeout, the replay goes on
t0 = time.time()
r = run(config(os.path.join(tmp, "eve4.json"), HANG,
               "timeout_ms = 300\nretries = 0\n[response]\nshutdown_ms = 2000\n"), db,
        ["-r", PCAP])
took = time.time() - t0
m = re.search(r"notify (\d+) done, (\d+) failed", r.stderr)
print("hanging notify hook: %.1f s, %s" % (took, m.group(0) if m else "?"))
check(r.returncode == 0 and m and int(m.group(2)) >= 1, "hung hook counted as failed")
check(took < 15, "a hanging notify hook does not hold the replay (%.1f s)" % took)

# ---- an EVE file that cannot be written: one line, EX_CONFIG, from both
bad = config("/nonexistent-dir/eve.json")
for args in (["--check-config"], ["-r", PCAP]):
    r = run(bad, db, args)
    errl = [l for l in r.stderr.splitlines() if l.strip()]
    check(r.returncode == 78 and len(errl) == 1 and "[output] eve" in errl[0],
          "%s: exit %d, %r" % (args[0], r.returncode, errl))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("events out: all checks passed")
