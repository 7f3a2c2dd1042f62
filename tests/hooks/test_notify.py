#!/usr/bin/env python3
"""test_notify.py NOTIFY_DIR BIN PCAP

The notifiers of contrib/notify (the build's copies in NOTIFY_DIR) with their real clients:
Debian's aws CLI against local endpoints on 127.0.0.1 (awsmock.py, no AWS), curl against a
local webhook. The events are a real replay's EVE lines (BIN on PCAP), and every request body
is checked field by field:
- securityhub: POST /findings/import; every ASFF required field (SchemaVersion, Id, ProductArn,
  GeneratorId, AwsAccountId, Types, CreatedAt, UpdatedAt, Severity, Title, Description,
  Resources) present and well formed; one finding Id per incident, the same Id again when it
  escalates; at most 100 findings a call (150 incidents: 100 + 50); a refused finding fails;
- eventbridge: AWSEvents.PutEvents with DNS Firewall's detail-type and detail field names;
- sns: Publish with a short subject and the event as the message;
- slack: one JSON message, a crafted name escaped;
- the sensor itself running securityhub as its [notify] hook: the incident arrives as ASFF.
Skips (77) without aws or curl.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsmock import Serve, aws_env  # noqa: E402

NDIR, BIN, PCAP = (os.path.abspath(a) for a in sys.argv[1:4])
if shutil.which("aws") is None or shutil.which("curl") is None:
    print("SKIP: aws CLI or curl not installed")
    sys.exit(77)
if not os.path.exists(PCAP):
    print("SKIP: %s missing" % PCAP)
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="dx_notify_")
failures = []
ACCOUNT, REGION = "123456789012", "eu-west-1"


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


mode = {"refuse": False}


def respond(target, body, headers):
    if target == "AWSEvents.PutEvents":
        n = len(json.loads(body)["Entries"])
        return 200, "application/x-amz-json-1.1", json.dumps(
            {"FailedEntryCount": 0, "Entries": [{"EventId": "e-%d" % i} for i in range(n)]}
        ).encode()
    if target == "Publish":
        return 200, "text/xml", (b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/'
                                 b'2010-03-31/"><PublishResult><MessageId>m-1</MessageId>'
                                 b'</PublishResult></PublishResponse>')
    if body.startswith(b"{") and b"Findings" in body:
        n = len(json.loads(body)["Findings"])
        if mode["refuse"]:
            return 200, "application/json", json.dumps({
                "FailedCount": 1, "SuccessCount": n - 1, "FailedFindings": [
                    {"Id": "x", "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}]}).encode()
        return 200, "application/json", json.dumps(
            {"FailedCount": 0, "SuccessCount": n, "FailedFindings": []}).encode()
    return 200, "text/plain", b"ok"  # the webhook


srv = Serve(respond)
env = aws_env(tmp)
env.update({"AWS_REGION": REGION, "AWS_ACCOUNT_ID": ACCOUNT,
            "SECURITYHUB_ENDPOINT_URL": srv.url, "EVENTBRIDGE_ENDPOINT_URL": srv.url,
            "SNS_ENDPOINT_URL": srv.url, "SNS_TOPIC_ARN": "arn:aws:sns:%s:%s:soc" % (REGION,
                                                                                     ACCOUNT),
            "SLACK_WEBHOOK_URL": srv.url + "/services/T000/B000/XXXX",
            "DNSFW_DOMAIN_LIST_ID": "rslvr-fdl-0123456789abcdef",
            "DNSEXFIL_NOTIFY_ENV": os.path.join(tmp, "none"), "TZ": "UTC"})


def notifier(name, lines, event=None):
    ev = event or (json.loads(lines[-1])["event_type"] if lines else "opened")
    n0 = len(srv.requests)
    r = subprocess.run([os.path.join(NDIR, name), ev], input="".join(lines),
                       capture_output=True, text=True, env=env, timeout=120)
    return r, srv.requests[n0:], srv.paths[n0:]


# ---- real events: a replay of the iodine capture, blocked through /bin/true
eve = os.path.join(tmp, "eve.json")
cfg = os.path.join(tmp, "c.ini")
with open(cfg, "w") as f:
    f.write("[output]\neve = %s\nsensor_id = sensor-a\n" % eve)
r = subprocess.run([BIN, "-c", cfg, "-d", os.path.join(tmp, "a.db"), "--hook", "/bin/true",
                    "-r", PCAP], capture_output=True, text=True, env=env)
check(r.returncode == 0, "replay: %s" % r.stderr[-300:])
lines = [l for l in open(eve) if '"event_type":"stats"' not in l]
evs = [json.loads(l) for l in lines]
check(len(evs) >= 3, "the replay made incident events: %d" % len(evs))
blocked = [l for l, e in zip(lines, evs) if e["event_type"] == "blocked"]

# ---- Security Hub
REQUIRED = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
            "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
NAMESPACES = ("Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
              "Sensitive Data Identifications")


def asff_ok(f):
    for k in REQUIRED:
        check(k in f and f[k] not in ("", None, []), "ASFF field %s: %r" % (k, f.get(k)))
    check(f.get("SchemaVersion") == "2018-10-08", "SchemaVersion")
    check(f.get("ProductArn") == "arn:aws:securityhub:%s:%s:product/%s/default" % (
        REGION, ACCOUNT, ACCOUNT), "ProductArn %r" % f.get("ProductArn"))
    check(f.get("AwsAccountId") == ACCOUNT, "AwsAccountId")
    check(len(f.get("Id", "")) <= 512 and len(f.get("GeneratorId", "")) <= 512, "Id lengths")
    for t in f.get("Types", []):
        parts = t.split("/")
        check(1 <= len(parts) <= 3 and parts[0] in NAMESPACES, "Types %r" % t)
    for k in ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"):
        check(k not in f or RFC3339.match(f[k]), "%s %r is RFC 3339" % (k, f.get(k)))
    check(f.get("UpdatedAt", "") >= f.get("CreatedAt", "~"), "UpdatedAt >= CreatedAt")
    check(f.get("Severity", {}).get("Label") in ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH",
                                                 "CRITICAL"), "Severity %r" % f.get("Severity"))
    check(0 < len(f.get("Title", "")) <= 256, "Title length")
    check(0 < len(f.get("Description", "")) <= 1024, "Description length")
    for res in f.get("Resources", []):
        check(res.get("Type") and res.get("Id"), "Resource %r" % res)
    check(len(f.get("Resources", [])) <= 32, "at most 32 resources")
    check(len(json.dumps(f)) < 240 * 1024, "a finding under 240 KB")
    for k, v in f.get("ProductFields", {}).items():
        check(isinstance(v, str), "ProductFields %s is a string" % k)


r, reqs, paths = notifier("securityhub", [lines[0]])
check(r.returncode == 0, "securityhub: %s" % r.stderr)
check(paths == ["/findings/import"], "securityhub path %r" % paths)
first = json.loads(reqs[0][1])["Findings"] if reqs else []
check(len(first) == 1, "one finding")
for f in first:
    asff_ok(f)
r, reqs, _ = notifier("securityhub", [lines[-1]])
later = json.loads(reqs[0][1])["Findings"] if reqs else []
check(first and later and later[0]["Id"] == first[0]["Id"],
      "the escalated incident updates the same finding Id")
check(later and later[0]["Severity"]["Label"] == evs[-1]["incident"]["severity"] and
      later[0]["FindingProviderFields"]["Severity"]["Label"] ==
      evs[-1]["incident"]["severity"], "the update carries the new severity")
print("securityhub finding:", json.dumps(later[0])[:300] if later else None)

# 150 incidents on standard input (a backfill): 100 + 50, each incident once, latest state
many = []
for k in range(150):
    e = copy.deepcopy(evs[-1])
    e["incident"]["uid"] = "%016x" % k
    e["incident"]["apex"] = "t%d.example" % k
    many.append(json.dumps(e) + "\n")
r, reqs, _ = notifier("securityhub", lines + many)
sizes = [len(json.loads(b)["Findings"]) for _, b, _ in reqs]
check(r.returncode == 0 and sizes == [100, 51], "batches of at most 100: %r" % sizes)
for _, b, _ in reqs:
    for f in json.loads(b)["Findings"]:
        asff_ok(f)
ids = [f["Id"] for _, b, _ in reqs for f in json.loads(b)["Findings"]]
check(len(ids) == len(set(ids)), "each incident once per backfill")
mode["refuse"] = True
r, _, _ = notifier("securityhub", [lines[-1]])
mode["refuse"] = False
check(r.returncode != 0 and "InvalidInput" in r.stderr, "a refused finding fails: %r" %
      r.stderr)
r, reqs, _ = notifier("securityhub", ["not json\n"], "opened")
check(r.returncode == 65 and not reqs, "bad input: exit 65, no call")

# ---- EventBridge
r, reqs, _ = notifier("eventbridge", blocked or [lines[-1]])
check(r.returncode == 0, "eventbridge: %s" % r.stderr)
check(reqs and reqs[0][0] == "AWSEvents.PutEvents", "PutEvents")
ent = json.loads(reqs[0][1])["Entries"] if reqs else [{}]
e0 = ent[0]
check(e0.get("Source") == "dnsexfild" and e0.get("EventBusName") == "default", "source/bus")
check(e0.get("DetailType") == "DNS Firewall Block", "DetailType %r" % e0.get("DetailType"))
d = json.loads(e0.get("Detail", "{}"))
for k in ("account-id", "last-observed-at", "query-name", "query-type", "query-class",
          "transport", "firewall-rule-action", "firewall-rule-group-id",
          "firewall-domain-list-id", "resources"):
    check(k in d, "DNS Firewall detail field %s" % k)
check(d.get("firewall-rule-action") == "BLOCK" and d.get("query-type") == "TXT" and
      d.get("query-name") == evs[-1]["incident"]["samples"][0] and
      d.get("firewall-domain-list-id") == "rslvr-fdl-0123456789abcdef", "detail %r" %
      {k: d.get(k) for k in ("firewall-rule-action", "query-type", "query-name")})
check(d.get("dnsexfild", {}).get("incident", {}).get("uid") == evs[-1]["incident"]["uid"],
      "the incident under detail.dnsexfild")
r, reqs, _ = notifier("eventbridge", many[:25])
check([len(json.loads(b)["Entries"]) for _, b, _ in reqs] == [10, 10, 5], "10 a call")

# ---- SNS
r, reqs, _ = notifier("sns", [lines[-1]])
check(r.returncode == 0, "sns: %s" % r.stderr)
form = parse_qs(reqs[0][1].decode()) if reqs else {}
check(form.get("Action") == ["Publish"] and form.get("TopicArn") == [env["SNS_TOPIC_ARN"]],
      "Publish to the topic")
subj = form.get("Subject", [""])[0]
check(0 < len(subj) <= 100 and "lab.example" in subj and
      evs[-1]["incident"]["severity"] in subj, "subject %r" % subj)
msg = json.loads(form.get("Message", ["{}"])[0])
check(msg.get("incident", {}).get("uid") == evs[-1]["incident"]["uid"], "the event as message")
print("sns subject:", subj)

# ---- Slack, with a crafted name
e = copy.deepcopy(evs[-1])
e["incident"]["apex"] = "<!channel>.evil&co.example"
r, reqs, paths = notifier("slack", [json.dumps(e) + "\n"])
check(r.returncode == 0, "slack: %s" % r.stderr)
check(paths == ["/services/T000/B000/XXXX"], "webhook path %r" % paths)
body = json.loads(reqs[0][1]) if reqs else {}
text = body.get("text", "")
check("&lt;!channel&gt;.evil&amp;co.example" in text and "<!channel>" not in text,
      "mrkdwn escaped: %r" % text[:120])
check(e["incident"]["uid"] in text and "queries" in text, "a readable message")
print("slack:", text.splitlines()[0] if text else None)
env["SLACK_WEBHOOK_URL"] = "http://127.0.0.1:9/nothing"  # nothing listens: curl fails
r, _, _ = notifier("slack", [lines[-1]])
check(r.returncode != 0, "an unreachable webhook fails")

# ---- the sensor running securityhub as its notify hook
n0 = len(srv.requests)
with open(cfg, "w") as f:
    f.write("[output]\nsensor_id = sensor-a\n[notify]\nhook = %s\nmin_severity = HIGH\n" %
            os.path.join(NDIR, "securityhub"))
r = subprocess.run([BIN, "-c", cfg, "-d", os.path.join(tmp, "b.db"), "--hook", "/bin/true",
                    "-r", PCAP], capture_output=True, text=True, env=env)
m = re.search(r"notify (\d+) done, (\d+) failed", r.stderr)
check(r.returncode == 0 and m and int(m.group(1)) >= 2 and m.group(2) == "0",
      "the sensor's notify hook: %s" % (m.group(0) if m else r.stderr[-300:]))
fs = [f for _, b, _ in srv.requests[n0:] for f in json.loads(b)["Findings"]]
for f in fs:
    asff_ok(f)
check(len({f["Id"] for f in fs}) == 1 and len(fs) >= 2, "one finding, updated: %d" % len(fs))

srv.close()
shutil.rmtree(tmp, ignore_errors=True)
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("notifiers: all checks passed")
