#!/usr/bin/env python3
"""test_route53.py HOOK [SETUP]

contrib/hooks/route53-dns-firewall against the real AWS CLI (Debian's awscli), pointed with
DNSFW_ENDPOINT_URL at a local HTTP server that speaks the Route53Resolver JSON protocol
(X-Amz-Target: Route53Resolver.UpdateFirewallDomains) and records every request.
Asserts the operation, the list id and the domains; an AWS error response makes the hook
fail with the error on stderr; hostile arguments never reach the CLI. Skips (77) without aws.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsmock import Serve, aws_env  # noqa: E402

HOOK = os.path.abspath(sys.argv[1])
SETUP = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
if shutil.which("aws") is None:
    print("SKIP: aws CLI not installed")
    sys.exit(77)

mode = {"fail": False, "throttle": 0}
state = {"lists": [], "groups": [], "rules": [], "assocs": []}
n_ids = [0]


def new_id(prefix):
    n_ids[0] += 1
    return "%s-%016x" % (prefix, n_ids[0])


def setup_api(op, req):
    """The calls route53-dns-firewall-setup makes, with state, as Route53Resolver answers."""
    if op == "ListFirewallDomainLists":
        return {"FirewallDomainLists": state["lists"]}
    if op == "CreateFirewallDomainList":
        d = {"Id": new_id("rslvr-fdl"), "Name": req["Name"], "Arn": "arn:x",
             "CreatorRequestId": req.get("CreatorRequestId")}
        state["lists"].append(d)
        return {"FirewallDomainList": dict(d, DomainCount=0, Status="COMPLETE")}
    if op == "ListFirewallRuleGroups":
        return {"FirewallRuleGroups": state["groups"]}
    if op == "CreateFirewallRuleGroup":
        g = {"Id": new_id("rslvr-frg"), "Name": req["Name"], "Arn": "arn:x"}
        state["groups"].append(g)
        return {"FirewallRuleGroup": dict(g, RuleCount=0, Status="COMPLETE")}
    if op == "ListFirewallRules":
        return {"FirewallRules": [r for r in state["rules"]
                                  if r["FirewallRuleGroupId"] == req["FirewallRuleGroupId"]]}
    if op == "CreateFirewallRule":
        r = {k: req.get(k) for k in ("FirewallRuleGroupId", "FirewallDomainListId", "Priority",
                                     "Action", "BlockResponse", "Name")}
        state["rules"].append(r)
        return {"FirewallRule": r}
    if op == "ListFirewallRuleGroupAssociations":
        return {"FirewallRuleGroupAssociations": [a for a in state["assocs"]
                                                  if a["VpcId"] == req.get("VpcId")]}
    if op == "AssociateFirewallRuleGroup":
        a = {"Id": new_id("rslvr-frgassoc"), "FirewallRuleGroupId": req["FirewallRuleGroupId"],
             "VpcId": req["VpcId"], "Priority": req["Priority"], "Name": req.get("Name"),
             "Status": "CREATING"}
        state["assocs"].append(a)
        return {"FirewallRuleGroupAssociation": a}
    return None


def respond(target, body, headers):
    if mode["throttle"] > 0 and target.endswith("UpdateFirewallDomains"):
        mode["throttle"] -= 1
        out = {"__type": "ThrottlingException", "message": "Rate exceeded"}
        return 400, "application/x-amz-json-1.1", json.dumps(out).encode()
    if mode["fail"]:
        out = {"__type": "ResourceNotFoundException",
               "message": "Can't find the resource with ID 'rslvr-fdl-missing'."}
        return 400, "application/x-amz-json-1.1", json.dumps(out).encode()
    req = json.loads(body or b"{}")
    answer = setup_api(target.split(".")[-1], req)
    if answer is None:
        answer = {"Id": req.get("FirewallDomainListId"), "Name": "dnsexfild",
                  "Status": "UPDATING", "StatusMessage": "Updating the list"}
    return 200, "application/x-amz-json-1.1", json.dumps(answer).encode()


srv = Serve(respond)
def recorded():
    return [(t, json.loads(b or b"{}"), h.get("Authorization", "")) for t, b, h in srv.requests]


tmp = tempfile.mkdtemp()
env = aws_env(tmp)
env.update({"DNSEXFIL_ROUTE53_ENV": os.path.join(tmp, "route53.env"),
            "DNSEXFIL_APEX": "t1.lab.example"})
with open(env["DNSEXFIL_ROUTE53_ENV"], "w") as f:
    f.write("DNSFW_DOMAIN_LIST_ID=rslvr-fdl-0123456789abcdef\nAWS_REGION=eu-west-1\n"
            "DNSFW_ENDPOINT_URL=%s\nIGNORED=$(touch %s/pwned)\n" % (srv.url, tmp))
fails = []


def run(*args):
    return subprocess.run([HOOK] + list(args), env=env, cwd=tmp, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


# a file named like the wildcard must not be globbed into the argument
open(os.path.join(tmp, "x.t1.lab.example"), "w").close()
p = run("add", "t1.lab.example", "*.t1.lab.example")
if p.returncode != 0:
    fails.append("add failed: %s" % p.stderr)
if len(recorded()) != 1:
    fails.append("expected 1 request, got %d" % len(recorded()))
else:
    target, body, auth = recorded()[0]
    want = {"FirewallDomainListId": "rslvr-fdl-0123456789abcdef", "Operation": "ADD",
            "Domains": ["t1.lab.example", "*.t1.lab.example"]}
    if target != "Route53Resolver.UpdateFirewallDomains" or body != want:
        fails.append("add request: %s %s" % (target, body))
    if "eu-west-1/route53resolver" not in auth:
        fails.append("not signed for eu-west-1 route53resolver: %s" % auth[:120])
    print("ok   add: %s %s" % (target, json.dumps(body)))

p = run("remove", "t1.lab.example", "*.t1.lab.example")
if p.returncode != 0 or recorded()[-1][1].get("Operation") != "REMOVE":
    fails.append("remove: rc %d %s" % (p.returncode, recorded()[-1][1] if recorded() else None))
else:
    print("ok   remove: %s" % json.dumps(recorded()[-1][1]))

n = len(srv.requests)
p = run("isolate", "10.85.0.2")  # an ICMP tunnel ([response] isolate_icmp): no domain to block
if p.returncode != 0 or len(srv.requests) != n or "nothing to block" not in p.stderr:
    fails.append("isolate: rc %d, %d requests, %s" % (p.returncode, len(srv.requests) - n, p.stderr))
else:
    print("ok   isolate (an ICMP tunnel's peer): exit 0, no request: " + p.stderr.strip())

mode["fail"] = True
p = run("add", "t2.lab.example")
if p.returncode == 0 or "ResourceNotFoundException" not in p.stderr:
    fails.append("AWS error not reported: rc %d, %s" % (p.returncode, p.stderr))
else:
    print("ok   AWS error -> exit %d, stderr: %s" % (p.returncode, p.stderr.strip()[:100]))
mode["fail"] = False

# The Route 53 Resolver API throttles at ~5 requests/s per account and Region: five
# ThrottlingExceptions in a row, then it accepts. The hook rides it out within its deadline
# (adaptive retries, attempts from DNSEXFIL_TIMEOUT_MS); the CLI's default, 3 attempts, does
# not.
def attempts_sent(since):
    return [t for t, _, _ in srv.requests[since:]]


n = len(srv.requests)
mode["throttle"] = 5
p = subprocess.run([HOOK, "add", "t3.lab.example"], env=dict(env, DNSEXFIL_TIMEOUT_MS="30000"),
                   cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
sent = attempts_sent(n)
if p.returncode != 0 or len(sent) != 6:
    fails.append("throttled 5 times: rc %d, %d requests %s, %s" % (p.returncode, len(sent), sent,
                                                                  p.stderr[-300:]))
else:
    print("ok   5 ThrottlingExceptions then accepted at the 6th attempt")
n = len(srv.requests)
mode["throttle"] = 5
p = subprocess.run([HOOK, "add", "t3.lab.example"], env=dict(env, DNSFW_MAX_ATTEMPTS="3"),
                   cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
mode["throttle"] = 0
if p.returncode == 0 or len(attempts_sent(n)) != 3 or "ThrottlingException" not in p.stderr or \
        "3 attempts" not in p.stderr:
    fails.append("with 3 attempts: rc %d, %d requests, %s" % (p.returncode, len(attempts_sent(n)),
                                                            p.stderr))
else:
    print("ok   with the CLI's default 3 attempts it fails, saying why:\n     " +
          p.stderr.strip().replace("\n", "\n     "))
for bad_env in ({"DNSFW_MAX_ATTEMPTS": "x;id"}, {"DNSFW_RETRY_MODE": "fast"}):
    q = subprocess.run([HOOK, "add", "t3.lab.example"], env=dict(env, **bad_env), cwd=tmp,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    if q.returncode != 64:
        fails.append("%s: exit %d" % (bad_env, q.returncode))

n = len(recorded())
for bad in ("$(touch %s/pwned).com" % tmp, "-x.com", "a;b.com", "x.com\nevil.com", "A.COM",
            "--domains", "*.*.com"):
    p = run("add", bad)
    if p.returncode == 0:
        fails.append("accepted %r" % bad)
if len(recorded()) != n:
    fails.append("a hostile argument reached the AWS API")
if os.path.exists(os.path.join(tmp, "pwned")):
    fails.append("something was executed")
print("ok   hostile arguments refused before the CLI" if len(recorded()) == n else "")

p = run("frob", "x.com")
if p.returncode != 64:
    fails.append("bad action: exit %d" % p.returncode)

# The setup command: everything created once, found again on a second run.
if SETUP:
    args = [SETUP, "--name", "dnsexfild-test", "--vpc-id", "vpc-0abc123", "--region",
            "eu-west-1", "--endpoint-url", srv.url]
    first = subprocess.run(args, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300)
    second = subprocess.run(args, env=env, cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=300)
    creates = [t for t, _, _ in recorded() if ".Create" in t or ".Associate" in t]
    if first.returncode != 0 or second.returncode != 0:
        fails.append("setup failed: %s %s" % (first.stderr, second.stderr))
    elif first.stdout != second.stdout:
        fails.append("setup not idempotent:\n%s\n%s" % (first.stdout, second.stdout))
    elif len(creates) != 4 or len(state["lists"]) != 1 or len(state["assocs"]) != 1:
        fails.append("setup created %s" % creates)
    else:
        rule = state["rules"][0]
        if (rule["Action"], rule["BlockResponse"], rule["Priority"]) != ("BLOCK", "NXDOMAIN", 100):
            fails.append("rule %s" % rule)
        if "DNSFW_DOMAIN_LIST_ID=%s" % state["lists"][0]["Id"] not in first.stdout:
            fails.append("setup output: %s" % first.stdout)
        print("ok   setup twice: 4 resources created once, then found; prints:\n     " +
              first.stdout.strip().replace("\n", "\n     "))

srv.close()
shutil.rmtree(tmp)
for f in fails:
    print("FAIL", f)
print("route53 hook: %d failed" % len(fails))
sys.exit(1 if fails else 0)
