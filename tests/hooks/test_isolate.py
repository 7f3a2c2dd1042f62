#!/usr/bin/env python3
"""test_isolate.py HOOK

contrib/hooks/isolate-instance against the real AWS CLI pointed at a local endpoint that
speaks the EC2 query protocol (DescribeNetworkInterfaces with the address, IPv6 address and
instance filters, ModifyNetworkInterfaceAttribute) and keeps each interface's groups: the
interfaces of a client's IPv4 address, IPv6 address and instance id get the isolation group;
their groups are saved once, so isolating again keeps the originals and "restore" gives them
back exactly; an unknown address is skipped, nothing happens unless ISOLATE_ENABLE=yes, and
"remove" restores nothing. Skips (77) without aws.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsmock import Serve, aws_env  # noqa: E402

HOOK = os.path.abspath(sys.argv[1])
if shutil.which("aws", path="/usr/bin:" + os.environ.get("PATH", "")) is None:
    print("SKIP: aws CLI not installed")
    sys.exit(77)

# eni: (private IPv4, IPv6 addresses, attached instance, groups in order)
ENIS = {
    "eni-0aaa1111": ("10.0.1.5", ["2600:1f18:1:2::5"], "i-0aaa", ["sg-0web", "sg-0ssh"]),
    "eni-0bbb2222": ("10.0.1.7", ["2600:1f18:1:2::7"], "i-0bbb", ["sg-0db"]),
    "eni-0ccc3333": ("10.0.2.8", [], "i-0multi", ["sg-0app", "sg-0mon", "sg-0ssh"]),
    "eni-0ddd4444": ("10.0.3.8", [], "i-0multi", ["sg-0data"]),
    "eni-0eee5555": ("10.0.4.4", [], "i-0other", ["sg-0keep"]),
}
ORIG = {e: list(v[3]) for e, v in ENIS.items()}
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def matches(eni, name, values):
    ip4, ip6, inst, _ = ENIS[eni]
    return {"addresses.private-ip-address": ip4 in values,
            "ipv6-addresses.ipv6-address": any(a in values for a in ip6),
            "attachment.instance-id": inst in values}.get(name, False)


def respond(action, body, headers):
    q = parse_qs(body.decode())
    if action == "DescribeNetworkInterfaces":
        name = q.get("Filter.1.Name", [None])[0]
        values = [v[0] for k, v in q.items() if k.startswith("Filter.1.Value")]
        ids = [v[0] for k, v in q.items() if k.startswith("NetworkInterfaceId")]
        items = ""
        for eni, (ip4, ip6, inst, groups) in ENIS.items():
            if eni in ids or (name and matches(eni, name, values)):
                gs = "".join("<item><groupId>%s</groupId><groupName>%s</groupName></item>" %
                             (g, g) for g in groups)
                v6 = "".join("<item><ipv6Address>%s</ipv6Address></item>" % a for a in ip6)
                items += ("<item><networkInterfaceId>%s</networkInterfaceId><groupSet>%s"
                          "</groupSet><privateIpAddress>%s</privateIpAddress><ipv6AddressesSet>"
                          "%s</ipv6AddressesSet><attachment><instanceId>%s</instanceId>"
                          "</attachment></item>" % (eni, gs, ip4, v6, inst))
        out = ("<DescribeNetworkInterfacesResponse %s><requestId>r1</requestId>"
               "<networkInterfaceSet>%s</networkInterfaceSet>"
               "</DescribeNetworkInterfacesResponse>" % (NS, items))
    elif action == "ModifyNetworkInterfaceAttribute":
        eni = q["NetworkInterfaceId"][0]
        n = 1
        groups = []
        while "SecurityGroupId.%d" % n in q:
            groups.append(q["SecurityGroupId.%d" % n][0])
            n += 1
        ENIS[eni] = ENIS[eni][:3] + (groups,)
        out = ("<ModifyNetworkInterfaceAttributeResponse %s><requestId>r2</requestId>"
               "<return>true</return></ModifyNetworkInterfaceAttributeResponse>" % NS)
    else:
        return 400, "text/xml", b"<Response><Errors><Error><Code>InvalidAction</Code></Error></Errors></Response>"
    return 200, "text/xml", out.encode()


srv = Serve(respond)
tmp = tempfile.mkdtemp()
env = aws_env(tmp)
env.update({"DNSEXFIL_ISOLATE_ENV": os.path.join(tmp, "none.env"), "EC2_ENDPOINT_URL": srv.url,
            "AWS_REGION": "us-east-1", "ISOLATION_SG_ID": "sg-0isolate",
            "ISOLATE_STATE_DIR": os.path.join(tmp, "state"),
            "DNSEXFIL_SOURCES": "10.0.1.5,10.0.1.99", "DNSEXFIL_APEX": "t1.lab.example"})
fails = []


def run(*args, **extra):
    e = dict(env, **extra)
    return subprocess.run([HOOK] + list(args), env=e, cwd=tmp, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


p = run("add", "t1.lab.example")
if srv.requests or p.returncode != 0 or "not enabled" not in p.stderr:
    fails.append("acted without ISOLATE_ENABLE=yes: %s" % p.stderr)
else:
    print("ok   off unless ISOLATE_ENABLE=yes")
ALERT = {"ISOLATE_ENABLE": "yes", "DNSEXFIL_SOURCES": "10.0.1.5,2600:1f18:1:2::7,10.0.1.99",
         "DNSEXFIL_INSTANCES": "i-0multi"}
p = run("add", "t1.lab.example", "*.t1.lab.example", **ALERT)
iso = sorted(e for e, v in ENIS.items() if v[3] == ["sg-0isolate"])
want = ["eni-0aaa1111", "eni-0bbb2222", "eni-0ccc3333", "eni-0ddd4444"]
if p.returncode != 0:
    fails.append("add failed: %s" % p.stderr)
elif iso != want:
    fails.append("isolated %s, want %s" % (iso, want))
else:
    print("ok   by IPv4 (10.0.1.5), IPv6 (2600:1f18:1:2::7) and instance (i-0multi, 2 ENIs): "
          "%s -> sg-0isolate; 10.0.1.99 skipped" % ", ".join(iso))
state = os.path.join(tmp, "state")


def saved():
    return {f[:-len(".groups")]: open(os.path.join(state, f)).read().split()
            for f in os.listdir(state) if f.endswith(".groups")} if os.path.isdir(state) else {}


if saved() != {e: ORIG[e] for e in want}:
    fails.append("saved groups %s" % saved())
p = run("add", "t2.lab.example", **ALERT)  # a second alert for the same clients
if p.returncode != 0 or saved() != {e: ORIG[e] for e in want}:
    fails.append("isolating again changed the saved groups: %s" % saved())
else:
    print("ok   isolated twice: the original groups stay saved: %s" % saved()["eni-0ccc3333"])
n = len(srv.requests)
p = run("remove", "t1.lab.example", ISOLATE_ENABLE="yes")
if p.returncode != 0 or len(srv.requests) != n:
    fails.append("remove acted")
p = run("restore", "--all")
now = {e: v[3] for e, v in ENIS.items()}
if p.returncode != 0 or now != ORIG or saved():
    fails.append("restore: rc %d %s, groups %s, left %s" % (p.returncode, p.stderr, now, saved()))
else:
    print("ok   restore --all: every interface has its groups back, in order; state cleared")
# an ICMP tunnel ([response] isolate_icmp): "isolate PEER", the clients isolated as for add
p = run("isolate", "10.85.0.2", ISOLATE_ENABLE="yes", DNSEXFIL_SOURCES="10.0.1.5",
        DNSEXFIL_THREAT="ICMP_TUNNEL")
if p.returncode != 0 or ENIS["eni-0aaa1111"][3] != ["sg-0isolate"] or \
        ENIS["eni-0bbb2222"][3] != ORIG["eni-0bbb2222"]:
    fails.append("isolate (ICMP tunnel): rc %d %s, %s" % (p.returncode, p.stderr, ENIS))
else:
    print("ok   isolate 10.85.0.2 (an ICMP tunnel's peer): its client 10.0.1.5's interface"
          " -> sg-0isolate, no other")
run("restore", "--all")
p = run("add", "t3.lab.example", ISOLATE_ENABLE="yes", DNSEXFIL_SOURCES="",
        DNSEXFIL_INSTANCES="i-0aaa")
p2 = run("restore", "eni-0aaa1111")
if ENIS["eni-0aaa1111"][3] != ORIG["eni-0aaa1111"] or p2.returncode != 0:
    fails.append("restore of one interface: %s" % p2.stderr)
n = len(srv.requests)
p = run("add", "x.example", ISOLATE_ENABLE="yes", ISOLATION_SG_ID="sg-0; rm -rf /")
if p.returncode == 0 or len(srv.requests) != n:
    fails.append("bad ISOLATION_SG_ID accepted")
p = run("add", "x.example", ISOLATE_ENABLE="yes", DNSEXFIL_SOURCES="$(id),10.0.1.5;reboot",
        DNSEXFIL_INSTANCES="i-0;reboot,rslvr-in-0abc,$(id)")
if len(srv.requests) != n:
    fails.append("a hostile source or instance reached the API")
p = run("restore", "../etc/passwd")
if p.returncode == 0 or len(srv.requests) != n:
    fails.append("restore took a path")
print("ok   remove restores nothing; hostile settings, sources, instances refused")
srv.close()
shutil.rmtree(tmp)
for f in fails:
    print("FAIL", f)
print("isolate hook: %d failed" % len(fails))
sys.exit(1 if fails else 0)
