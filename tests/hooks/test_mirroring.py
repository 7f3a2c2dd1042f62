#!/usr/bin/env python3
"""test_mirroring.py SCRIPT

contrib/aws/setup-traffic-mirroring with the real AWS CLI against a local endpoint that keeps
state and speaks the EC2 and Elastic Load Balancing query protocols for the calls it makes.
Each target type (ENI, NLB, GWLB endpoint): the target, a DNS-only filter with IPv4 and IPv6
rules and the amazon-dns network service, one session per source with the VNI and a free
session number, the load balancer's stickiness, the security-group rule; run again, nothing
new. An old IPv4-only filter gets only the IPv6 rules. The quotas (10 rules per filter, 3
sessions per source interface, sources per ENI target) refuse with one line and create
nothing; --dry-run changes nothing and prints the calls; a CLI error is shown as the CLI
reports it. Skips (77) without aws.
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
ELB_NS = 'xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"'
NLB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensors/50dc6c495c0c9188"
NLB_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/vxlan/73e2d6bc24d8a067"
GWLB_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/geneve/1a2b3c4d5e6f7a8b"
CHANGES = ("Create", "Modify", "Authorize")
st = {}
n = [0]


def reset():
    st.clear()
    st.update({"targets": [], "filters": [], "sessions": [], "ingress": [], "tg_attrs": [],
               "sg_error": None})


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


def rule_xml(r):
    x = "".join("<%s>%s</%s>" % (k, r[k], k) for k in
                ("trafficMirrorFilterRuleId", "trafficDirection", "ruleNumber", "ruleAction",
                 "protocol", "sourceCidrBlock", "destinationCidrBlock") if k in r)
    for k in ("destinationPortRange", "sourcePortRange"):
        if k in r:
            x += "<%s><fromPort>%s</fromPort><toPort>%s</toPort></%s>" % (k, r[k], r[k], k)
    return "<item>%s</item>" % x


def ec2(action, q):
    g = lambda k: q.get(k, [None])[0]
    if action == "DescribeTrafficMirrorTargets":
        return "<trafficMirrorTargetSet>%s</trafficMirrorTargetSet>" % "".join(
            "<item><trafficMirrorTargetId>%s</trafficMirrorTargetId>%s</item>" % (
                t["id"], "".join("<%s>%s</%s>" % (k, v, k) for k, v in t.items() if k != "id"))
            for t in st["targets"])
    if action == "CreateTrafficMirrorTarget":
        t = {"id": nid("tmt")}
        for k in ("NetworkInterfaceId", "NetworkLoadBalancerArn", "GatewayLoadBalancerEndpointId"):
            if g(k):
                t[k[0].lower() + k[1:]] = g(k)
        st["targets"].append(t)
        return "<trafficMirrorTarget><trafficMirrorTargetId>%s</trafficMirrorTargetId></trafficMirrorTarget>" % t["id"]
    if action == "DescribeTrafficMirrorFilters":
        d, ids = filt(q, "description"), [v[0] for k, v in q.items() if k.startswith("TrafficMirrorFilterId")]
        items = ""
        for f in st["filters"]:
            if (d and f["description"] not in d) or (ids and f["id"] not in ids):
                continue
            items += ("<item><trafficMirrorFilterId>%s</trafficMirrorFilterId><description>%s"
                      "</description><egressFilterRuleSet>%s</egressFilterRuleSet>"
                      "<ingressFilterRuleSet>%s</ingressFilterRuleSet><networkServiceSet>%s"
                      "</networkServiceSet></item>" % (
                          f["id"], f["description"],
                          "".join(rule_xml(r) for r in f["rules"] if r["trafficDirection"] == "egress"),
                          "".join(rule_xml(r) for r in f["rules"] if r["trafficDirection"] == "ingress"),
                          "".join("<item>%s</item>" % x for x in f["services"])))
        return "<trafficMirrorFilterSet>%s</trafficMirrorFilterSet>" % items
    if action == "CreateTrafficMirrorFilter":
        f = {"id": nid("tmf"), "description": g("Description"), "rules": [], "services": []}
        st["filters"].append(f)
        return "<trafficMirrorFilter><trafficMirrorFilterId>%s</trafficMirrorFilterId></trafficMirrorFilter>" % f["id"]
    if action == "CreateTrafficMirrorFilterRule":
        f = [f for f in st["filters"] if f["id"] == g("TrafficMirrorFilterId")][0]
        r = {"trafficMirrorFilterRuleId": nid("tmfr"), "trafficDirection": g("TrafficDirection"),
             "ruleNumber": g("RuleNumber"), "ruleAction": g("RuleAction"), "protocol": g("Protocol"),
             "sourceCidrBlock": g("SourceCidrBlock"), "destinationCidrBlock": g("DestinationCidrBlock")}
        if g("DestinationPortRange.FromPort"):
            r["destinationPortRange"] = g("DestinationPortRange.FromPort")
        if g("SourcePortRange.FromPort"):
            r["sourcePortRange"] = g("SourcePortRange.FromPort")
        if any(x["trafficDirection"] == r["trafficDirection"] and x["ruleNumber"] == r["ruleNumber"]
               for x in f["rules"]):
            raise ValueError("TrafficMirrorFilterRuleAlreadyExists")
        f["rules"].append(r)
        return "<trafficMirrorFilterRule><trafficMirrorFilterRuleId>%s</trafficMirrorFilterRuleId></trafficMirrorFilterRule>" % r["trafficMirrorFilterRuleId"]
    if action == "ModifyTrafficMirrorFilterNetworkServices":
        f = [f for f in st["filters"] if f["id"] == g("TrafficMirrorFilterId")][0]
        if g("AddNetworkService.1") not in f["services"]:
            f["services"].append(g("AddNetworkService.1"))
        return "<trafficMirrorFilter><trafficMirrorFilterId>%s</trafficMirrorFilterId></trafficMirrorFilter>" % f["id"]
    if action == "DescribeTrafficMirrorSessions":
        eni, tgt = filt(q, "network-interface-id"), filt(q, "traffic-mirror-target-id")
        return "<trafficMirrorSessionSet>%s</trafficMirrorSessionSet>" % "".join(
            "<item><trafficMirrorSessionId>%s</trafficMirrorSessionId><sessionNumber>%s"
            "</sessionNumber><networkInterfaceId>%s</networkInterfaceId><trafficMirrorTargetId>%s"
            "</trafficMirrorTargetId><trafficMirrorFilterId>%s</trafficMirrorFilterId></item>" % (
                s["id"], s["SessionNumber"], s["NetworkInterfaceId"], s["TrafficMirrorTargetId"],
                s.get("TrafficMirrorFilterId", "tmf-other"))
            for s in st["sessions"]
            if (eni is None or s["NetworkInterfaceId"] in eni) and
            (tgt is None or s["TrafficMirrorTargetId"] in tgt))
    if action == "CreateTrafficMirrorSession":
        s = {k: v[0] for k, v in q.items()}
        if any(x["NetworkInterfaceId"] == s["NetworkInterfaceId"] and
               x["SessionNumber"] == s["SessionNumber"] for x in st["sessions"]):
            raise ValueError("InvalidParameterValue")  # AWS: session numbers are per interface
        s["id"] = nid("tms")
        st["sessions"].append(s)
        return "<trafficMirrorSession><trafficMirrorSessionId>%s</trafficMirrorSessionId></trafficMirrorSession>" % s["id"]
    if action == "DescribeNetworkInterfaces":
        return ("<networkInterfaceSet><item><networkInterfaceId>%s</networkInterfaceId>"
                "<vpcId>vpc-0lab</vpcId><groupSet><item><groupId>sg-0sensor</groupId>"
                "<groupName>sensor</groupName></item></groupSet></item></networkInterfaceSet>" %
                g("NetworkInterfaceId.1"))
    if action == "DescribeVpcs":
        return "<vpcSet><item><vpcId>vpc-0lab</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet>"
    if action == "AuthorizeSecurityGroupIngress":
        perm = (g("GroupId"), g("IpPermissions.1.FromPort"), g("IpPermissions.1.IpRanges.1.CidrIp"))
        if st["sg_error"]:
            raise ValueError(st["sg_error"])
        if perm in st["ingress"]:
            raise ValueError("InvalidPermission.Duplicate")
        st["ingress"].append(perm)
        return "<return>true</return>"
    return None


def elb(action, q):
    if action == "DescribeTargetGroups":
        tgs = [NLB_TG] if q.get("LoadBalancerArn", [""])[0] == NLB else []
        return "<TargetGroups>%s</TargetGroups>" % "".join(
            "<member><TargetGroupArn>%s</TargetGroupArn></member>" % t for t in tgs)
    if action == "ModifyTargetGroupAttributes":
        attrs = {}
        i = 1
        while "Attributes.member.%d.Key" % i in q:
            attrs[q["Attributes.member.%d.Key" % i][0]] = q["Attributes.member.%d.Value" % i][0]
            i += 1
        st["tg_attrs"].append((q["TargetGroupArn"][0], attrs))
        return "<Attributes>%s</Attributes>" % "".join(
            "<member><Key>%s</Key><Value>%s</Value></member>" % kv for kv in attrs.items())
    return None


def respond(action, body, headers):
    q = parse_qs(body.decode())
    try:
        if q.get("Version", [""])[0] == "2015-12-01":
            x = elb(action, q)
            if x is not None:
                out = ("<%sResponse %s><%sResult>%s</%sResult><ResponseMetadata><RequestId>r"
                       "</RequestId></ResponseMetadata></%sResponse>" % (action, ELB_NS, action,
                                                                          x, action, action))
                return 200, "text/xml", out.encode()
        else:
            x = ec2(action, q)
            if x is not None:
                out = "<%sResponse %s><requestId>r</requestId>%s</%sResponse>" % (action, NS, x, action)
                return 200, "text/xml", out.encode()
        code = "InvalidAction"
    except ValueError as e:
        code = str(e)
    return 400, "text/xml", ("<Response><Errors><Error><Code>%s</Code><Message>%s (mock)</Message>"
                             "</Error></Errors><RequestID>r</RequestID></Response>" % (code, code)).encode()


srv = Serve(respond)
tmp = tempfile.mkdtemp()
env = aws_env(tmp)
fails = []


def run(*args):
    r = subprocess.run([SCRIPT] + list(args) + ["--region", "us-east-1", "--endpoint-url", srv.url],
                       env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    return r


def changes(since):
    return [a for a, _, _ in srv.requests[since:] if a.startswith(CHANGES)]


def rules():
    return sorted((r["trafficDirection"], r["protocol"], r.get("destinationPortRange") or
                   r.get("sourcePortRange") or "-", r["sourceCidrBlock"]) for f in st["filters"]
                  for r in f["rules"])


DNS_RULES = sorted((d, p, "53", c) for d in ("egress", "ingress") for p in ("17", "6")
                   for c in ("0.0.0.0/0", "::/0"))


def check(name, cond, detail):
    if cond:
        return True
    fails.append("%s: %s" % (name, detail))
    return False


# 1. ENI target (the original form), twice
reset()
args = ["--sensor-eni", "eni-0sensor", "--source-eni", "eni-0web1", "--source-eni", "eni-0web2",
        "--vni", "123"]
runs = [run(*args) for _ in range(2)]
ok = all(check("eni run", r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr[-400:])) for r in runs)
if ok:
    sess = sorted((s["NetworkInterfaceId"], s["VirtualNetworkId"], s["SessionNumber"]) for s in st["sessions"])
    ok &= check("eni", len(st["targets"]) == 1 and st["targets"][0].get("networkInterfaceId") == "eni-0sensor",
                st["targets"])
    ok &= check("eni rules", rules() == DNS_RULES, rules())
    ok &= check("eni amazon-dns", st["filters"][0]["services"] == ["amazon-dns"], st["filters"])
    ok &= check("eni sessions", sess == [("eni-0web1", "123", "1"), ("eni-0web2", "123", "1")], sess)
    ok &= check("eni sg", st["ingress"] == [("sg-0sensor", "4789", "10.0.0.0/16")], st["ingress"])
    ok &= check("eni rerun", runs[0].stdout == runs[1].stdout, (runs[0].stdout, runs[1].stdout))
    if ok:
        print("ok   ENI target: 8 DNS rules (UDP/TCP 53, both directions, IPv4 and IPv6) + amazon-dns,"
              " 2 sessions VNI 123, UDP 4789 rule; the second run created nothing:\n     " +
              runs[1].stdout.strip().replace("\n", "\n     "))

# 2. an IPv4-only filter from an earlier version gets the IPv6 rules only
reset()
old = {"id": "tmf-0old", "description": "dnsexfild DNS", "services": ["amazon-dns"], "rules": []}
for i, (d, p) in enumerate([("egress", "17"), ("egress", "6"), ("ingress", "17"), ("ingress", "6")]):
    r = {"trafficMirrorFilterRuleId": "tmfr-%d" % i, "trafficDirection": d, "ruleNumber": str(100 + i),
         "ruleAction": "accept", "protocol": p, "sourceCidrBlock": "0.0.0.0/0",
         "destinationCidrBlock": "0.0.0.0/0"}
    r["destinationPortRange" if d == "egress" else "sourcePortRange"] = "53"
    old["rules"].append(r)
st["filters"].append(old)
k = len(srv.requests)
r = run("--target", "eni-0sensor", "--source-eni", "eni-0web1")
added = [a for a in changes(k) if a == "CreateTrafficMirrorFilterRule"]
if check("upgrade", r.returncode == 0 and rules() == DNS_RULES and len(added) == 4 and
         len(st["filters"]) == 1, (r.returncode, r.stderr[-300:], rules())):
    print("ok   an IPv4-only filter gets the 4 IPv6 rules, numbered %s" %
          sorted(x["ruleNumber"] for x in old["rules"][4:]))

# 3. NLB: the target by ARN, the NLB's target group made sticky by source IP
reset()
r = run("--target-type", "nlb", "--target", NLB, "--source-eni", "eni-0web1", "--sensor-eni", "eni-0s1",
        "--sensor-eni", "eni-0s2")
r2 = run("--target-type", "nlb", "--target", NLB, "--source-eni", "eni-0web1")
if check("nlb", r.returncode == 0 and r2.returncode == 0 and len(st["targets"]) == 1 and
         st["targets"][0].get("networkLoadBalancerArn") == NLB and len(st["sessions"]) == 1 and
         (NLB_TG, {"stickiness.enabled": "true", "stickiness.type": "source_ip"}) in st["tg_attrs"] and
         len(st["ingress"]) == 1, (r.stderr[-400:], r2.stderr[-300:], st["targets"], st["tg_attrs"])):
    print("ok   NLB target: %s; target group stickiness.type=source_ip" % st["targets"][0]["id"])

# 4. GWLB endpoint: 2-tuple by default, 3-tuple on request; GENEVE port on the sensors
reset()
r = run("--target-type", "gwlb", "--target", "vpce-0abc123", "--target-group-arn", GWLB_TG,
        "--source-eni", "eni-0web1", "--sensor-eni", "eni-0s1")
r3 = run("--target-type", "gwlb", "--target", "vpce-0abc123", "--target-group-arn", GWLB_TG,
         "--stickiness", "3-tuple", "--source-eni", "eni-0web1")
types = [a["stickiness.type"] for t, a in st["tg_attrs"] if t == GWLB_TG]
if check("gwlb", r.returncode == 0 and r3.returncode == 0 and len(st["targets"]) == 1 and
         st["targets"][0].get("gatewayLoadBalancerEndpointId") == "vpce-0abc123" and
         types == ["source_ip_dest_ip", "source_ip_dest_ip_proto"] and
         st["ingress"] == [("sg-0sensor", "6081", "10.0.0.0/16")],
         (r.stderr[-400:], r3.stderr[-300:], st["targets"], st["tg_attrs"], st["ingress"])):
    print("ok   GWLB endpoint target: 2-tuple flow stickiness (source_ip_dest_ip), then 3-tuple;"
          " UDP 6081 opened")
r = run("--target-type", "gwlb", "--target", "vpce-0abc123", "--source-eni", "eni-0web1")
check("gwlb without a target group", r.returncode == 64 and r.stderr.count("\n") == 1 and
      "--target-group-arn" in r.stderr, r.stderr)
r = run("--target-type", "nlb", "--target", NLB, "--stickiness", "2-tuple", "--source-eni", "eni-0web1")
check("nlb 2-tuple", r.returncode == 64 and r.stderr.count("\n") == 1, r.stderr)

# 5. quotas: refused with one line, and nothing created
reset()
for i in range(3):
    st["sessions"].append({"id": "tms-other%d" % i, "NetworkInterfaceId": "eni-0full",
                           "TrafficMirrorTargetId": "tmt-other", "SessionNumber": str(i + 1)})
k = len(srv.requests)
r = run("--target", "eni-0sensor", "--source-eni", "eni-0web1", "--source-eni", "eni-0full")
q1 = check("3 sessions per source", r.returncode == 69 and r.stderr.count("\n") == 1 and
           "eni-0full" in r.stderr and "3" in r.stderr and not changes(k), (r.returncode, r.stderr, changes(k)))
reset()  # an ENI target with 10 sources already
st["targets"].append({"id": "tmt-0full", "networkInterfaceId": "eni-0sensor"})
for i in range(10):
    st["sessions"].append({"id": "tms-%d" % i, "NetworkInterfaceId": "eni-0src%02d" % i,
                           "TrafficMirrorTargetId": "tmt-0full", "SessionNumber": "1"})
k = len(srv.requests)
r = run("--target", "eni-0sensor", "--source-eni", "eni-0src03", "--source-eni", "eni-0src10")
q2 = check("10 sources per ENI target", r.returncode == 69 and r.stderr.count("\n") == 1 and
           "11 sources" in r.stderr and not changes(k), (r.returncode, r.stderr))
r = run("--target", "eni-0sensor", "--max-sources", "100", "--source-eni", "eni-0src10")
q2 &= check("--max-sources 100", r.returncode == 0 and len(st["sessions"]) == 11, r.stderr[-300:])
reset()  # a filter someone filled with 9 rules of their own: the 8 DNS rules do not fit
full = {"id": "tmf-0full", "description": "dnsexfild DNS", "services": [], "rules": []}
for i in range(9):
    full["rules"].append({"trafficMirrorFilterRuleId": "tmfr-f%d" % i, "trafficDirection": "egress",
                          "ruleNumber": str(200 + i), "ruleAction": "accept", "protocol": "6",
                          "sourceCidrBlock": "10.%d.0.0/16" % i, "destinationCidrBlock": "10.%d.0.0/16" % i,
                          "destinationPortRange": str(1000 + i)})
st["filters"].append(full)
k = len(srv.requests)
r = run("--target", "eni-0sensor", "--source-eni", "eni-0src00")
q3 = check("10 rules per filter", r.returncode == 69 and r.stderr.count("\n") == 1 and
           "17 rules" in r.stderr and not changes(k), (r.returncode, r.stderr))
reset()  # --icmp needs two sessions on a source: one that has two already is refused
for i in range(2):
    st["sessions"].append({"id": "tms-o%d" % i, "NetworkInterfaceId": "eni-0two",
                           "TrafficMirrorTargetId": "tmt-other", "SessionNumber": str(i + 1)})
k = len(srv.requests)
r2 = run("--target", "eni-0sensor", "--icmp", "--source-eni", "eni-0two")
q3 &= check("3 sessions with --icmp", r2.returncode == 69 and r2.stderr.count("\n") == 1 and
            "4 mirror sessions" in r2.stderr and not changes(k), (r2.returncode, r2.stderr))
if q1 and q2 and q3:
    print("ok   quotas: a 4th session on a source (also the two of --icmp), an 11th source on an"
          " ENI target, a filter past 10 rules are each refused with one line, nothing"
          " created:\n     " + r.stderr.strip() + "\n     " + r2.stderr.strip())

# 5b. --icmp: a filter of its own (ICMP and ICMPv6, both directions) and a second session per
# source after the DNS one, so each packet is mirrored once; a DNS-only setup gets just the
# ICMP session; run again, nothing new
reset()
run("--target", "eni-0sensor", "--source-eni", "eni-0web1")
k = len(srv.requests)
r = run("--target", "eni-0sensor", "--icmp", "--source-eni", "eni-0web1", "--source-eni", "eni-0web2")
made = sum(1 for a in changes(k) if a == "CreateTrafficMirrorSession")
k2 = len(srv.requests)
r2 = run("--target", "eni-0sensor", "--icmp", "--source-eni", "eni-0web1", "--source-eni", "eni-0web2")
icmpf = [f for f in st["filters"] if f["description"] == "dnsexfild ICMP"]
dnsf = [f for f in st["filters"] if f["description"] == "dnsexfild DNS"]
irules = sorted((x["trafficDirection"], x["protocol"], x["sourceCidrBlock"]) for f in icmpf for x in f["rules"])
sess = sorted((x["NetworkInterfaceId"], x["SessionNumber"],
               "icmp" if icmpf and x["TrafficMirrorFilterId"] == icmpf[0]["id"] else "dns")
              for x in st["sessions"])
if check("--icmp", r.returncode == 0 and r2.returncode == 0 and len(icmpf) == 1 and len(dnsf) == 1 and
         irules == [("egress", "1", "0.0.0.0/0"), ("egress", "58", "::/0"),
                    ("ingress", "1", "0.0.0.0/0"), ("ingress", "58", "::/0")] and
         sess == [("eni-0web1", "1", "dns"), ("eni-0web1", "2", "icmp"),
                  ("eni-0web2", "1", "dns"), ("eni-0web2", "2", "icmp")] and
         "MIRROR_ICMP_FILTER_ID=" + icmpf[0]["id"] in r.stdout and r.stdout == r2.stdout and
         not [a for a in changes(k2) if a.startswith("Create")] and made == 3,
         (r.returncode, r.stderr[-500:], irules, sess, r.stdout, made, changes(k2))):
    print("ok   --icmp: filter \"dnsexfild ICMP\" with 4 rules (ICMP, ICMPv6, both directions),"
          " a second session per source numbered after its DNS one, the same output again")

# 6. the session number: the lowest the source interface does not use yet
reset()
st["sessions"].append({"id": "tms-zeek", "NetworkInterfaceId": "eni-0web1",
                       "TrafficMirrorTargetId": "tmt-zeek", "SessionNumber": "1"})
r = run("--target", "eni-0sensor", "--source-eni", "eni-0web1")
mine = [s for s in st["sessions"] if s["id"] != "tms-zeek"]
check("session number", r.returncode == 0 and len(mine) == 1 and mine[0]["SessionNumber"] == "2",
      (r.stderr[-300:], mine))

# 7. --dry-run: only read-only calls; the calls it would make are printed
reset()
k = len(srv.requests)
r = run("--dry-run", "--target-type", "nlb", "--target", NLB, "--source-eni", "eni-0web1",
        "--sensor-eni", "eni-0s1")
calls = [l for l in r.stdout.splitlines() if l.startswith("aws ")]
if check("dry run", r.returncode == 0 and not changes(k) and not st["targets"] and
         any("create-traffic-mirror-target --network-load-balancer-arn " + NLB in c for c in calls) and
         sum("create-traffic-mirror-filter-rule" in c for c in calls) == 8 and
         any("modify-target-group-attributes" in c and "source_ip" in c for c in calls) and
         any("authorize-security-group-ingress" in c for c in calls),
         (r.returncode, changes(k), r.stdout, r.stderr[-300:])):
    print("ok   --dry-run: %d calls printed, none made, e.g.\n     %s" % (len(calls), calls[0]))

# 8. an error is shown as the CLI reports it (not hidden, as the security-group step once did)
reset()
st["sg_error"] = "UnauthorizedOperation"
r = run("--target", "eni-0sensor", "--source-eni", "eni-0web1")
if check("sg error", r.returncode != 0 and "UnauthorizedOperation" in r.stderr and
         "AuthorizeSecurityGroupIngress" in r.stderr, (r.returncode, r.stderr)):
    print("ok   a security-group error is shown: %s" %
          [l for l in r.stderr.splitlines() if "Unauthorized" in l][0][:110])
for bad in (["--target", "eni-0;reboot", "--source-eni", "eni-0web1"],
            ["--target-type", "nlb", "--target", "arn:aws:x$(id)", "--source-eni", "eni-0web1"],
            ["--target", "eni-0sensor", "--source-eni", "eni-0web1", "--vni", "99999999"]):
    k = len(srv.requests)
    r = run(*bad)
    check("bad %s" % bad, r.returncode == 64 and len(srv.requests) == k, r.stderr)

srv.close()
shutil.rmtree(tmp)
for f in fails:
    print("FAIL", f)
print("mirroring setup: %d failed" % len(fails))
sys.exit(1 if fails else 0)
