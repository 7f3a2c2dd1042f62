#!/usr/bin/env python3
"""test_mirroring.py SCRIPT

contrib/aws/setup-traffic-mirroring with the real AWS CLI against a local endpoint speaking
the EC2 query protocol for the Traffic Mirroring calls, with state: run twice, it creates the
target, a DNS-only filter (UDP and TCP 53, both directions) with the amazon-dns network
service, one session per source with the VNI, and the UDP 4789 rule, and the second run
creates nothing. Skips (77) without aws.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsmock import Serve, aws_env  # noqa: E402

SCRIPT = os.path.abspath(sys.argv[1])
if shutil.which("aws", path="/usr/bin:" + os.environ.get("PATH", "")) is None:
    print("SKIP: aws CLI not installed")
    sys.exit(77)
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
st = {"targets": [], "filters": [], "rules": [], "services": [], "sessions": [], "ingress": []}
n = [0]


def nid(p):
    n[0] += 1
    return "%s-%017x" % (p, n[0])


def filt(q, name):
    """values of the Filter whose Name is name"""
    for k, v in q.items():
        if k.startswith("Filter.") and k.endswith(".Name") and v[0] == name:
            pre = k[:-len("Name")]
            return [vv[0] for kk, vv in q.items() if kk.startswith(pre + "Value.")]
    return None


def respond(action, body, headers):
    q = parse_qs(body.decode())
    g = lambda k: q.get(k, [None])[0]
    x = ""
    if action == "DescribeTrafficMirrorTargets":
        eni = filt(q, "network-interface-id")
        items = "".join("<item><trafficMirrorTargetId>%s</trafficMirrorTargetId>"
                        "<networkInterfaceId>%s</networkInterfaceId></item>" % t
                        for t in st["targets"] if not eni or t[1] in eni)
        x = "<trafficMirrorTargetSet>%s</trafficMirrorTargetSet>" % items
    elif action == "CreateTrafficMirrorTarget":
        t = (nid("tmt"), g("NetworkInterfaceId"))
        st["targets"].append(t)
        x = "<trafficMirrorTarget><trafficMirrorTargetId>%s</trafficMirrorTargetId></trafficMirrorTarget>" % t[0]
    elif action == "DescribeTrafficMirrorFilters":
        d = filt(q, "description")
        items = "".join("<item><trafficMirrorFilterId>%s</trafficMirrorFilterId></item>" % f[0]
                        for f in st["filters"] if not d or f[1] in d)
        x = "<trafficMirrorFilterSet>%s</trafficMirrorFilterSet>" % items
    elif action == "CreateTrafficMirrorFilter":
        f = (nid("tmf"), g("Description"))
        st["filters"].append(f)
        x = "<trafficMirrorFilter><trafficMirrorFilterId>%s</trafficMirrorFilterId></trafficMirrorFilter>" % f[0]
    elif action == "CreateTrafficMirrorFilterRule":
        st["rules"].append({k: v[0] for k, v in q.items()})
        x = "<trafficMirrorFilterRule><trafficMirrorFilterRuleId>%s</trafficMirrorFilterRuleId></trafficMirrorFilterRule>" % nid("tmfr")
    elif action == "ModifyTrafficMirrorFilterNetworkServices":
        st["services"].append((g("TrafficMirrorFilterId"), g("AddNetworkService.1")))
        x = "<trafficMirrorFilter><trafficMirrorFilterId>%s</trafficMirrorFilterId></trafficMirrorFilter>" % g("TrafficMirrorFilterId")
    elif action == "DescribeTrafficMirrorSessions":
        eni, tgt = filt(q, "network-interface-id"), filt(q, "traffic-mirror-target-id")
        items = "".join("<item><trafficMirrorSessionId>%s</trafficMirrorSessionId></item>" % s["id"]
                        for s in st["sessions"] if s["NetworkInterfaceId"] in (eni or [])
                        and s["TrafficMirrorTargetId"] in (tgt or []))
        x = "<trafficMirrorSessionSet>%s</trafficMirrorSessionSet>" % items
    elif action == "CreateTrafficMirrorSession":
        s = {k: v[0] for k, v in q.items()}
        s["id"] = nid("tms")
        st["sessions"].append(s)
        x = "<trafficMirrorSession><trafficMirrorSessionId>%s</trafficMirrorSessionId></trafficMirrorSession>" % s["id"]
    elif action == "DescribeNetworkInterfaces":
        x = ("<networkInterfaceSet><item><networkInterfaceId>eni-0sensor</networkInterfaceId>"
             "<vpcId>vpc-0lab</vpcId><groupSet><item><groupId>sg-0sensor</groupId>"
             "<groupName>sensor</groupName></item></groupSet></item></networkInterfaceSet>")
    elif action == "DescribeVpcs":
        x = "<vpcSet><item><vpcId>vpc-0lab</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet>"
    elif action == "AuthorizeSecurityGroupIngress":
        st["ingress"].append({k: v[0] for k, v in q.items()})
        x = "<return>true</return>"
    else:
        return 400, "text/xml", b"<Response><Errors><Error><Code>InvalidAction</Code></Error></Errors></Response>"
    out = "<%sResponse %s><requestId>r</requestId>%s</%sResponse>" % (action, NS, x, action)
    return 200, "text/xml", out.encode()


srv = Serve(respond)
tmp = tempfile.mkdtemp()
env = aws_env(tmp)
args = [SCRIPT, "--sensor-eni", "eni-0sensor", "--source-eni", "eni-0web1", "--source-eni",
        "eni-0web2", "--vni", "123", "--region", "us-east-1", "--endpoint-url", srv.url]
runs = [subprocess.run(args, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300) for _ in range(2)]
fails = []
for r in runs:
    if r.returncode != 0:
        fails.append("exit %d: %s" % (r.returncode, r.stderr[-400:]))
if not fails:
    if len(st["targets"]) != 1 or len(st["filters"]) != 1 or len(st["sessions"]) != 2:
        fails.append("created %s" % {k: len(v) for k, v in st.items()})
    rules = sorted((r["TrafficDirection"], r["Protocol"], r.get("DestinationPortRange.FromPort") or
                    r.get("SourcePortRange.FromPort")) for r in st["rules"])
    want = [("egress", "17", "53"), ("egress", "6", "53"), ("ingress", "17", "53"), ("ingress", "6", "53")]
    if rules != want:
        fails.append("filter rules %s" % rules)
    if not st["services"] or any(s[1] != "amazon-dns" for s in st["services"]):
        fails.append("amazon-dns network service not added: %s" % st["services"])
    sess = sorted((s["NetworkInterfaceId"], s["VirtualNetworkId"], s["SessionNumber"]) for s in st["sessions"])
    if sess != [("eni-0web1", "123", "1"), ("eni-0web2", "123", "2")]:
        fails.append("sessions %s" % sess)
    ing = st["ingress"][0] if st["ingress"] else {}
    if (ing.get("IpPermissions.1.FromPort"), ing.get("IpPermissions.1.IpRanges.1.CidrIp")) != ("4789", "10.0.0.0/16"):
        fails.append("security group rule %s" % ing)
    if runs[0].stdout != runs[1].stdout:
        fails.append("second run differs")
    if not fails:
        print("ok   target, DNS-only filter (4 rules) + amazon-dns, 2 sessions VNI 123, UDP 4789 rule;"
              " second run created nothing:\n     " + runs[1].stdout.strip().replace("\n", "\n     "))
srv.close()
shutil.rmtree(tmp)
for f in fails:
    print("FAIL", f)
print("mirroring setup: %d failed" % len(fails))
sys.exit(1 if fails else 0)
