#!/usr/bin/env python3
"""test_isolate.py HOOK

contrib/hooks/isolate-instance against the real AWS CLI pointed at a local endpoint that
speaks the EC2 query protocol (DescribeNetworkInterfaces, ModifyNetworkInterfaceAttribute):
the interface holding a client address gets the isolation group, its previous groups are
saved, an unknown address is skipped, nothing happens unless ISOLATE_ENABLE=yes, and
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

ENIS = {"10.0.1.5": ("eni-0aaa1111", ["sg-0web", "sg-0ssh"])}
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def respond(action, body, headers):
    q = parse_qs(body.decode())
    if action == "DescribeNetworkInterfaces":
        ips = [v[0] for k, v in q.items() if k.startswith("Filter.1.Value")]
        ids = [v[0] for k, v in q.items() if k.startswith("NetworkInterfaceId")]
        items = ""
        for ip, (eni, groups) in ENIS.items():
            if ip in ips or eni in ids:
                gs = "".join("<item><groupId>%s</groupId><groupName>%s</groupName></item>" %
                             (g, g) for g in groups)
                items += ("<item><networkInterfaceId>%s</networkInterfaceId><groupSet>%s"
                          "</groupSet><privateIpAddress>%s</privateIpAddress></item>" %
                          (eni, gs, ip))
        out = ("<DescribeNetworkInterfacesResponse %s><requestId>r1</requestId>"
               "<networkInterfaceSet>%s</networkInterfaceSet>"
               "</DescribeNetworkInterfacesResponse>" % (NS, items))
    elif action == "ModifyNetworkInterfaceAttribute":
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
p = run("add", "t1.lab.example", "*.t1.lab.example", ISOLATE_ENABLE="yes")
mods = [parse_qs(b.decode()) for a, b, _ in srv.requests if a == "ModifyNetworkInterfaceAttribute"]
if p.returncode != 0:
    fails.append("add failed: %s" % p.stderr)
elif len(mods) != 1 or mods[0].get("NetworkInterfaceId") != ["eni-0aaa1111"] or \
        mods[0].get("SecurityGroupId.1") != ["sg-0isolate"] or "SecurityGroupId.2" in mods[0]:
    fails.append("modify calls: %s" % mods)
else:
    print("ok   eni-0aaa1111 (10.0.1.5) -> sg-0isolate; 10.0.1.99 skipped: %s" %
          [l for l in p.stderr.splitlines() if "10.0.1.99" in l])
saved = os.path.join(tmp, "state", "eni-0aaa1111.groups")
if not os.path.exists(saved) or open(saved).read().split() != ["sg-0web", "sg-0ssh"]:
    fails.append("previous groups not saved")
else:
    print("ok   previous groups saved: %s" % open(saved).read().strip())
n = len(srv.requests)
p = run("remove", "t1.lab.example", ISOLATE_ENABLE="yes")
if p.returncode != 0 or len(srv.requests) != n:
    fails.append("remove acted")
p = run("add", "x.example", ISOLATE_ENABLE="yes", ISOLATION_SG_ID="sg-0; rm -rf /")
if p.returncode == 0 or len(srv.requests) != n:
    fails.append("bad ISOLATION_SG_ID accepted")
p = run("add", "x.example", ISOLATE_ENABLE="yes", DNSEXFIL_SOURCES="$(id),10.0.1.5;reboot")
if len(srv.requests) != n:
    fails.append("a hostile source reached the API")
print("ok   remove restores nothing; hostile settings and sources refused")
srv.close()
shutil.rmtree(tmp)
for f in fails:
    print("FAIL", f)
print("isolate hook: %d failed" % len(fails))
sys.exit(1 if fails else 0)
