#!/usr/bin/env python3
"""test_route53.py HOOK

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
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

HOOK = os.path.abspath(sys.argv[1])
# Debian's awscli (/usr/bin/aws) first, whatever else the PATH has
os.environ["PATH"] = "/usr/bin:" + os.environ.get("PATH", "")
if shutil.which("aws") is None:
    print("SKIP: aws CLI not installed")
    sys.exit(77)

requests = []
mode = {"fail": False}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        requests.append((target, json.loads(body or b"{}"), self.headers.get("Authorization", "")))
        if mode["fail"]:
            out = json.dumps({"__type": "ResourceNotFoundException",
                              "message": "Can't find the resource with ID 'rslvr-fdl-missing'."})
            self.send_response(400)
            self.send_header("x-amzn-ErrorType", "ResourceNotFoundException")
        else:
            req = json.loads(body)
            out = json.dumps({"Id": req.get("FirewallDomainListId"), "Name": "dnsexfild",
                              "Status": "UPDATING", "StatusMessage": "Updating the list"})
            self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
tmp = tempfile.mkdtemp()
env = dict(os.environ)
env.update({
    "DNSEXFIL_ROUTE53_ENV": os.path.join(tmp, "route53.env"),
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.path.join(tmp, "none"),
    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "none"), "HOME": tmp,
    "DNSEXFIL_APEX": "t1.lab.example",
})
with open(env["DNSEXFIL_ROUTE53_ENV"], "w") as f:
    f.write("DNSFW_DOMAIN_LIST_ID=rslvr-fdl-0123456789abcdef\nAWS_REGION=eu-west-1\n"
            "DNSFW_ENDPOINT_URL=http://127.0.0.1:%d\nIGNORED=$(touch %s/pwned)\n" %
            (srv.server_port, tmp))
fails = []


def run(*args):
    return subprocess.run([HOOK] + list(args), env=env, cwd=tmp, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


# a file named like the wildcard must not be globbed into the argument
open(os.path.join(tmp, "x.t1.lab.example"), "w").close()
p = run("add", "t1.lab.example", "*.t1.lab.example")
if p.returncode != 0:
    fails.append("add failed: %s" % p.stderr)
if len(requests) != 1:
    fails.append("expected 1 request, got %d" % len(requests))
else:
    target, body, auth = requests[0]
    want = {"FirewallDomainListId": "rslvr-fdl-0123456789abcdef", "Operation": "ADD",
            "Domains": ["t1.lab.example", "*.t1.lab.example"]}
    if target != "Route53Resolver.UpdateFirewallDomains" or body != want:
        fails.append("add request: %s %s" % (target, body))
    if "eu-west-1/route53resolver" not in auth:
        fails.append("not signed for eu-west-1 route53resolver: %s" % auth[:120])
    print("ok   add: %s %s" % (target, json.dumps(body)))

p = run("remove", "t1.lab.example", "*.t1.lab.example")
if p.returncode != 0 or requests[-1][1].get("Operation") != "REMOVE":
    fails.append("remove: rc %d %s" % (p.returncode, requests[-1][1] if requests else None))
else:
    print("ok   remove: %s" % json.dumps(requests[-1][1]))

mode["fail"] = True
p = run("add", "t2.lab.example")
if p.returncode == 0 or "ResourceNotFoundException" not in p.stderr:
    fails.append("AWS error not reported: rc %d, %s" % (p.returncode, p.stderr))
else:
    print("ok   AWS error -> exit %d, stderr: %s" % (p.returncode, p.stderr.strip()[:100]))
mode["fail"] = False

n = len(requests)
for bad in ("$(touch %s/pwned).com" % tmp, "-x.com", "a;b.com", "x.com\nevil.com", "A.COM",
            "--domains", "*.*.com"):
    p = run("add", bad)
    if p.returncode == 0:
        fails.append("accepted %r" % bad)
if len(requests) != n:
    fails.append("a hostile argument reached the AWS API")
if os.path.exists(os.path.join(tmp, "pwned")):
    fails.append("something was executed")
print("ok   hostile arguments refused before the CLI" if len(requests) == n else "")

p = run("frob", "x.com")
if p.returncode != 64:
    fails.append("bad action: exit %d" % p.returncode)

srv.shutdown()
shutil.rmtree(tmp)
for f in fails:
    print("FAIL", f)
print("route53 hook: %d failed" % len(fails))
sys.exit(1 if fails else 0)
