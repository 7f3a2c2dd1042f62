"""pcapio.py: classic pcap files for the test scripts, in one place.

read(path) -> (link type, [(timestamp in seconds, frame bytes, length on the wire), ...]) for
either byte order and micro- or nanosecond stamps; ValueError for anything else (pcapng:
convert with editcap -F pcap). write(path, records, link, snaplen) writes a little-endian
microsecond file from (timestamp, frame) or (timestamp, frame, wire length) records."""
import struct

MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap file" % path)
    for e in ("<", ">"):
        magic = struct.unpack(e + "I", data[:4])[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise ValueError("%s: not a pcap file (pcapng: convert with editcap -F pcap)" % path)
    div = 1e9 if magic == MAGIC_NS else 1e6
    link = struct.unpack(e + "I", data[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        out.append((sec + frac / div, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return link, out


def write(path, records, link=1, snaplen=262144):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_US, 2, 4, 0, 0, snaplen, link))
        for r in records:
            ts, frame = r[0], r[1]
            wire = r[2] if len(r) > 2 else len(frame)
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, round((ts - sec) * 1e6), len(frame), wire))
            f.write(frame)
