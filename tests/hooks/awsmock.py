"""awsmock.py - a local HTTP endpoint for the real AWS CLI in tests.

Serve(respond) starts a server on 127.0.0.1 with a free port in a thread; every request is
recorded as (target or action, body bytes, headers), its path in paths, and answered by respond(target, body,
headers) -> (status, content_type, body). aws_env(tmp) is an environment in which the AWS CLI
uses fixed test credentials, no configuration files and no instance metadata.
"""
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs


class Serve:
    def __init__(self, respond):
        self.requests = []
        self.paths = []  # each request's path, for the REST-JSON APIs (Security Hub)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target")
                if target is None:  # the EC2 query protocol names the action in the form
                    target = parse_qs(body.decode()).get("Action", [""])[0]
                outer.requests.append((target, body, dict(self.headers)))
                outer.paths.append(self.path)
                status, ctype, out = respond(target, body, self.headers)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.srv = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.srv.server_port
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def aws_env(tmp):
    env = dict(os.environ)
    # Debian's awscli (/usr/bin/aws) first, whatever else the PATH has
    env["PATH"] = "/usr/bin:" + env.get("PATH", "")
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.path.join(tmp, "none"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "none"), "HOME": tmp,
    })
    return env
