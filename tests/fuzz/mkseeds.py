#!/usr/bin/env python3
"""mkseeds.py - the seed corpora in tests/fuzz/corpus/<target>/, from the test captures and
the example files. Deterministic; run from anywhere: python3 tests/fuzz/mkseeds.py"""
import glob
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import pcapio  # noqa: E402

DLT_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames(path):
    try:
        link, recs = pcapio.read(path)
    except ValueError:
        return None, []
    return link, [fr for _, fr, _ in recs]


for pcap in sorted(glob.glob(os.path.join(ROOT, "pcaps", "*.pcap"))):
    lt, fr = frames(pcap)
    if lt not in DLT_INDEX:
        continue
    for i, frame in enumerate(fr[:40]):
        # byte 0's bit 7 turns ICMP decoding on: the ICMP capture's frames as echoes
        icmp = 0x80 if "icmp" in os.path.basename(pcap) else 0
        put("pkt", bytes([DLT_INDEX[lt] | icmp]) + frame)
    if "icmp" in os.path.basename(pcap):  # and the tunnel's first frames (to 10.85.0.2)
        for frame in [f for f in fr if b"\x0a\x55\x00\x02" in f[26:34]][:10]:
            put("pkt", bytes([0x81]) + frame)
        # the DNS payload of plain Ethernet/IPv4/UDP frames
        if lt == 1 and len(frame) > 42 and frame[12:14] == b"\x08\x00" and frame[23] == 17:
            ihl = (frame[14] & 15) * 4
            udp = 14 + ihl
            put("dns", frame[udp + 8:])

# TCP: a few segment sequences in the target's format [flags][delta hi][delta lo][port][len]
def seg(flags, delta, port, payload):
    return bytes([flags, (delta + 256) >> 8 & 255, (delta + 256) & 255, port, len(payload)]) + payload

msg = bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")
framed = struct.pack("!H", len(msg)) + msg
put("tcp", seg(2, 0, 0, b"") + seg(0x18, 0, 0, framed))
put("tcp", seg(0x18, 0, 1, framed[:1]) + seg(0x18, 0, 1, framed[1:20]) + seg(0x18, 0, 1, framed[20:]))
put("tcp", seg(0x18, 0, 2, framed + framed) + seg(0x18, 50, 2, framed) + seg(1, 0, 2, b""))
put("tcp", seg(0x18, 0, 3, framed[:10]) + seg(0x18, -10, 3, framed) + seg(4, 0, 3, b""))

with open(os.path.join(ROOT, "contrib", "dnsexfild.ini"), "rb") as f:
    put("config", f.read())
for text in (b"[capture]\nsnaplen = 12\n", b"[detect]\nhf_high = 1\n", b"[x]\ny=z\n",
             b"[capture]\nvxlan_ports = 1,2,3,4,5,6,7,8,9\nvni = 1,2\n", b"no section\n",
             b"[response]\nblock_scope = auto\nmin_severity = low\nprotect = a.b, c.d\n"):
    put("config", text)
with open(os.path.join(ROOT, "contrib", "allowlist.txt"), "rb") as f:
    put("allow", f.read())
for text in (b"a.example\n*.b.example # c\n", b"bad line!\n", b"\xff\xfe\n", b"x" * 600 + b"\n"):
    put("allow", text)
