"""notify_common.py - what the dnsexfild notifiers in this directory share.

Each notifier is a [notify] hook: dnsexfild runs it as `NOTIFIER EVENT` with the event's JSON
line on standard input (README "Sending events"). Run by hand, it takes any number of EVE lines
on standard input (`securityhub < /var/log/dnsexfild/eve.json` backfills), and ignores stats
lines. Settings come from the environment or from an env file (KEY=value lines, only the keys
below are read: the file is configuration, not a script), by default
@SYSCONFDIR@/dnsexfild/notify.env, or $DNSEXFIL_NOTIFY_ENV.

Clients are run without a shell, with fixed options; event data reaches them only inside JSON
(a file or standard input), never as an option. Exit 0 on success; otherwise the client's error
is on standard error (dnsexfild logs it and counts the failure).
"""
import json
import os
import subprocess
import sys
import tempfile

ENV_KEYS = ("AWS_REGION", "AWS_PROFILE", "AWS_ACCOUNT_ID", "SECURITYHUB_ENDPOINT_URL",
            "EVENTBRIDGE_BUS", "EVENTBRIDGE_SOURCE", "EVENTBRIDGE_ENDPOINT_URL",
            "SNS_TOPIC_ARN", "SNS_ENDPOINT_URL", "SLACK_WEBHOOK_URL", "DNSFW_DOMAIN_LIST_ID")
EVENTS = ("opened", "escalated", "blocked", "unblocked", "closed")


def settings():
    s = {k: os.environ[k] for k in ENV_KEYS if os.environ.get(k)}
    path = os.environ.get("DNSEXFIL_NOTIFY_ENV", "@SYSCONFDIR@/dnsexfild/notify.env")
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep and k in ENV_KEYS and k not in s:
                    s[k] = v
    except OSError:
        pass
    return s


def need(s, key):
    if not s.get(key):
        fail("set %s (in the notify env file or the environment)" % key, 78)
    return s[key]


def fail(msg, code=1):
    print("%s: %s" % (os.path.basename(sys.argv[0]), msg), file=sys.stderr)
    sys.exit(code)


def events():
    """The incident events on standard input, in order (stats lines and blank lines skipped)."""
    if len(sys.argv) > 1 and sys.argv[1] not in EVENTS + ("stats",):
        fail("unknown event %r (expected one of %s)" % (sys.argv[1], ", ".join(EVENTS)), 64)
    out = []
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError as e:
            fail("line %d: not JSON: %s" % (n, e), 65)
        if ev.get("event_type") in EVENTS and isinstance(ev.get("incident"), dict):
            out.append(ev)
    return out


def latest_per_incident(evs):
    """The last event of each incident, in the order of their last events."""
    last = {}
    for ev in evs:
        last.pop(ev["incident"]["uid"], None)
        last[ev["incident"]["uid"]] = ev
    return list(last.values())


def iso_utc(epoch):
    """RFC 3339 in UTC with milliseconds, as AWS APIs take it."""
    import datetime
    t = datetime.datetime.fromtimestamp(float(epoch), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def event_epoch(ev):
    """The event's time (its timestamp, ISO 8601 with offset) as epoch seconds."""
    import datetime
    ts = ev["timestamp"]
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def summary(ev, width=None):
    """One human line: severity, threat, apex, the event, the numbers that matter."""
    i = ev["incident"]
    kind = "DNS beacon" if i["threat"] == "BEACON" else "DNS tunnel"
    line = "%s %s to %s %s: %d queries, %d unique names, ~%d bytes out, from %s" % (
        i["severity"], kind, i["apex"], ev["event_type"], i["query_count"],
        i["unique_subdomains"], i["est_bytes"], ", ".join(i["clients"][:3]) or "?")
    if width and len(line) > width:
        line = line[:width - 3] + "..."
    return line


def reasons(i):
    return ", ".join("%s %s" % (k, v["severity"]) for k, v in i["reasons"].items())


def aws(s, service, endpoint_key, args, payload):
    """aws SERVICE ARGS --cli-input-json file://PAYLOAD; the parsed JSON answer."""
    cmd = ["aws", service] + args + ["--output", "json"]
    if s.get("AWS_REGION"):
        cmd += ["--region", s["AWS_REGION"]]
    if s.get("AWS_PROFILE"):
        cmd += ["--profile", s["AWS_PROFILE"]]
    if s.get(endpoint_key):
        cmd += ["--endpoint-url", s[endpoint_key]]
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="dnsexfild-") as f:
        json.dump(payload, f)
        f.flush()
        cmd += ["--cli-input-json", "file://" + f.name]
        env = dict(os.environ, AWS_PAGER="")
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        fail("aws %s %s failed (exit %d)" % (service, args[0], r.returncode), r.returncode)
    try:
        return json.loads(r.stdout) if r.stdout.strip() else {}
    except ValueError:
        return {}
