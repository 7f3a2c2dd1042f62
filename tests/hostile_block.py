#!/usr/bin/env python3
"""hostile_block.py BIN

A mirrored host must not be able to aim the block hook at a public suffix. Crafts a capture of
tunnel-like queries (long random labels, many a second) whose names carry a NUL byte, a
literal '.' or 8-bit bytes inside a label, at every position, under public suffixes of both
sections (co.uk, github.io, s3.amazonaws.com), and beside them the same kind of names under
registrable domains below those suffixes (evil.co.uk, a NUL in the subdomain). Replays it
through the whole pipeline with a hook that records its arguments, with the defaults and with
psl_private = no, and checks that the hook is never called with a public suffix (or a
wildcard of one), while the registrable tunnel apexes are still blocked.
"""
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
tmp = tempfile.mkdtemp(prefix="dx_hostile_")
failures = []

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
import pcapio  # noqa: E402

# public suffixes the names are crafted under, and what no argument may be
SUFFIXES = ["co.uk", "github.io", "s3.amazonaws.com"]
NEVER = set()
for s in SUFFIXES + ["uk", "io", "com", "amazonaws.com"]:
    NEVER.add(s)
    NEVER.add("*." + s)
# registrable domains under them: a tunnel there must still be caught and blocked (but
# evil.s3.amazonaws.com, under the built-in allowlist's amazonaws.com: never blocked)
TUNNELS = ["evil.co.uk", "evil.github.io", "evil.s3.amazonaws.com"]
BLOCKED = ["evil.co.uk", "evil.github.io"]
ODD = [b"\x00", b".", b"\xfe"]


def wire(labels):
    out = b""
    for lab in labels:
        out += bytes([len(lab)]) + lab
    return out + b"\x00"


def frame(qid, labels, qtype=16):
    dns = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire(labels) + struct.pack(
        ">HH", qtype, 1)
    udp = struct.pack(">HHHH", 40000 + qid % 20000, 53, 8 + len(dns), 0) + dns
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), qid, 0, 64, 17, 0,
                     bytes([10, 0, 1, 5]), bytes([10, 0, 0, 2])) + udp
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip


def rnd_label(r, n):
    return bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz234567") for _ in range(n))


def names():
    """(labels) of every crafted query, in order."""
    r = random.Random(7)
    out = []
    for sfx in SUFFIXES:
        tail = [x.encode() for x in sfx.split(".")]
        for odd in ODD:
            # the odd byte at every position of a 40-character label right under the suffix
            # (once the apex fell back to the last two labels, co.uk), and of a label between
            # a random one and the suffix
            for pos in range(40):
                lab = bytearray(rnd_label(r, 40))
                lab[pos:pos + 1] = odd
                out.append([bytes(lab)] + tail)
                out.append([rnd_label(r, 30), bytes(lab)] + tail)
    for apex in TUNNELS:
        tail = [x.encode() for x in apex.split(".")]
        for odd in ODD:
            for pos in range(40):
                lab = bytearray(rnd_label(r, 40))
                lab[pos:pos + 1] = odd
                out.append([bytes(lab)] + tail)
    return out


def write_pcap(path):
    t = 1700000000.0
    recs = []
    for i, labels in enumerate(names()):
        t += 0.02
        recs.append((t, frame(i & 0xFFFF, labels)))
    pcapio.write(path, recs, snaplen=65535)


pcap = os.path.join(tmp, "hostile.pcap")
write_pcap(pcap)
log = os.path.join(tmp, "hook.log")
hook = os.path.join(tmp, "hook")
with open(hook, "w") as f:
    f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done >>'%s'\nexit 0\n" % log)
os.chmod(hook, 0o755)

for private in ("yes", "no"):
    if os.path.exists(log):
        os.unlink(log)
    cfg = os.path.join(tmp, "c.ini")
    with open(cfg, "w") as f:
        f.write("[detect]\npsl_private = %s\n[response]\nmax_blocks_per_hour = 1000\n" % private)
    db = os.path.join(tmp, "h%s.db" % private)
    p = subprocess.run([BIN, "-c", cfg, "-r", pcap, "-d", db, "--hook", hook, "-q"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       errors="replace")
    if p.returncode != 0:
        failures.append("psl_private=%s: exit %d: %s" % (private, p.returncode, p.stderr[-300:]))
    args = []
    if os.path.exists(log):
        with open(log, encoding="latin-1") as f:
            args = [a.rstrip("\n") for a in f]
    domains = {a for a in args if a not in ("add", "remove")}
    for a in sorted(domains & NEVER):
        failures.append("psl_private=%s: the hook was called with %s" % (private, a))
    con = sqlite3.connect(db)
    rows = {r[0] for r in con.execute("SELECT domain FROM blocks")}
    con.close()
    for d in sorted(rows & NEVER):
        failures.append("psl_private=%s: a blocks row for %s" % (private, d))
    for apex in BLOCKED:
        # evil.github.io is a page under a private suffix: with psl_private = no its apex is
        # github.io, which must not be blocked, so it is not expected then
        if private == "no" and apex != "evil.co.uk":
            continue
        if apex not in domains:
            failures.append("psl_private=%s: tunnel %s not blocked" % (private, apex))
    print("psl_private=%s: hook called for %s" % (private, ", ".join(sorted(domains)) or
                                                 "nothing"))

for f in failures:
    print("FAIL", f)
print("hostile_block: %d names, %d failed" % (len(names()), len(failures)))
sys.exit(1 if failures else 0)
