#!/usr/bin/env python3
"""pcap2r53.py [options] CAPTURE OUT

A capture's DNS as Route 53 Resolver query-log records, the way AWS documents them (Route 53
Developer Guide, "Values that appear in Resolver query logs"): one record per query, paired
with its response for rcode and answers; fields version, account_id, region, vpc_id,
query_timestamp, query_name (trailing dot), query_type, query_class, rcode, answers
[{Rdata, Type, Class}], srcaddr, srcport (a string), transport, srcids.instance. What the
resolver would not log is left out as it would be: a response is not a record; a repeat of the
same query from the same client within its answer's TTL is served from the cache and not logged
(--no-cache keeps them); timestamps are whole seconds (--ms keeps milliseconds).

Reads pcap (Ethernet, Linux cooked v1/v2, raw IP, loopback), IPv4/IPv6, UDP and TCP port 53,
inside VXLAN (4789) and GENEVE (6081). Names are written in presentation form (RFC 1035 §5.1:
bytes outside letters, digits, '-' and '_' as \\DDD, '.' and '\\' escaped).

  --gzip         write OUT gzip-compressed (S3's .log.gz)
  --firehose     objects one after the other without newlines (Kinesis Data Firehose)
  --s3 ACCOUNT   OUT is a directory: write AWSLogs/ACCOUNT/vpcdnsquerylogs/VPC/YYYY/MM/DD/
                 objects of five minutes each, gzip, as S3 delivery lays them out
  --instance ID  srcids.instance for every record (default: one per client address)
"""
import gzip
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapio  # noqa: E402

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 10: "NULL", 12: "PTR", 13: "HINFO", 15: "MX",
         16: "TXT", 28: "AAAA", 33: "SRV", 35: "NAPTR", 39: "DNAME", 43: "DS", 46: "RRSIG",
         47: "NSEC", 48: "DNSKEY", 52: "TLSA", 64: "SVCB", 65: "HTTPS", 99: "SPF", 255: "ANY",
         257: "CAA"}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
          "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]
SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def tname(t):
    return TYPES.get(t, "TYPE%d" % t)


def label_text(lab):
    out = []
    for b in lab:
        if b in SAFE:
            out.append(chr(b))
        elif b in (0x2e, 0x5c):
            out.append("\\" + chr(b))
        else:
            out.append("\\%03d" % b)
    return "".join(out)


def read_name(msg, off, depth=0):
    """(presentation text with trailing dot, offset after the name) or None."""
    labels, jumped, end = [], False, off
    for _ in range(128):
        if off >= len(msg):
            return None
        n = msg[off]
        if n == 0:
            if not jumped:
                end = off + 1
            return ("".join(label_text(l) + "." for l in labels) or "."), end
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                return None
            if not jumped:
                end = off + 2
            ptr = ((n & 0x3F) << 8) | msg[off + 1]
            if ptr >= off:
                return None
            off, jumped = ptr, True
            continue
        if off + 1 + n > len(msg):
            return None
        labels.append(msg[off + 1:off + 1 + n])
        off += 1 + n
    return None


def rdata_text(msg, t, off, rdlen):
    rd = msg[off:off + rdlen]
    if t == 1 and rdlen == 4:
        return ".".join(str(b) for b in rd)
    if t == 28 and rdlen == 16:
        import ipaddress
        return str(ipaddress.IPv6Address(rd))
    if t in (2, 5, 12, 39):
        r = read_name(msg, off)
        return r[0] if r else None
    if t == 15 and rdlen >= 3:
        r = read_name(msg, off + 2)
        return "%d %s" % (struct.unpack(">H", rd[:2])[0], r[0]) if r else None
    if t == 16:
        parts, i = [], 0
        while i < len(rd):
            n = rd[i]
            s = rd[i + 1:i + 1 + n]
            parts.append('"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92)
                                       else "\\%03d" % b for b in s) + '"')
            i += 1 + n
        return " ".join(parts)
    return None


def dns(msg):
    """(id, is_response, rcode, qname, qtype, qclass, answers [(type, text, ttl)])."""
    if len(msg) < 12:
        return None
    mid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    if qd != 1:
        return None
    r = read_name(msg, 12)
    if r is None or r[1] + 4 > len(msg):
        return None
    qname, off = r
    qtype, qclass = struct.unpack(">HH", msg[off:off + 4])
    off += 4
    answers = []
    for _ in range(an):
        r = read_name(msg, off)
        if r is None or r[1] + 10 > len(msg):
            break
        off = r[1]
        t, c, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        if off + rdlen > len(msg):
            break
        txt = rdata_text(msg, t, off, rdlen)
        if txt is not None:
            answers.append((t, txt, ttl))
        off += rdlen
    return mid, bool(flags & 0x8000), flags & 0xF, qname, qtype, qclass, answers


def ip_payload(pkt, depth=0):
    """Yield (src, dst, sport, dport, proto, payload) of the UDP/TCP inside pkt (an IP packet)."""
    if not pkt:
        return
    v = pkt[0] >> 4
    if v == 4 and len(pkt) >= 20:
        ihl = (pkt[0] & 15) * 4
        proto = pkt[9]
        if struct.unpack(">H", pkt[6:8])[0] & 0x3FFF:
            return  # a fragment
        src, dst = ".".join(map(str, pkt[12:16])), ".".join(map(str, pkt[16:20]))
        body = pkt[ihl:struct.unpack(">H", pkt[2:4])[0]]
    elif v == 6 and len(pkt) >= 40:
        import ipaddress
        proto = pkt[6]
        src, dst = str(ipaddress.IPv6Address(pkt[8:24])), str(ipaddress.IPv6Address(pkt[24:40]))
        body = pkt[40:40 + struct.unpack(">H", pkt[4:6])[0]]
    else:
        return
    if proto == 17 and len(body) >= 8:
        sp, dp = struct.unpack(">HH", body[:4])
        data = body[8:]
        if depth < 2 and dp == 4789 and len(data) >= 8 and data[0] & 0x08:
            yield from ether(data[8:], depth + 1)
            return
        if depth < 2 and dp == 6081 and len(data) >= 8:
            optlen = (data[0] & 0x3F) * 4
            ptype = struct.unpack(">H", data[2:4])[0]
            inner = data[8 + optlen:]
            if ptype == 0x6558:
                yield from ether(inner, depth + 1)
            elif ptype in (0x0800, 0x86DD):
                yield from ip_payload(inner, depth + 1)
            return
        yield src, dst, sp, dp, "UDP", data
    elif proto == 6 and len(body) >= 20:
        sp, dp = struct.unpack(">HH", body[:4])
        off = (body[12] >> 4) * 4
        data = body[off:]
        if len(data) > 2:  # one DNS message per segment, as the lab's TCP DNS is
            yield src, dst, sp, dp, "TCP", data[2:2 + struct.unpack(">H", data[:2])[0]]


def ether(frame, depth=0):
    off = 12
    while off + 2 <= len(frame):
        et = struct.unpack(">H", frame[off:off + 2])[0]
        if et in (0x8100, 0x88A8):
            off += 4
            continue
        if et in (0x0800, 0x86DD):
            yield from ip_payload(frame[off + 2:], depth)
        return


def frames(path):
    try:
        link, recs = pcapio.read(path)
    except ValueError as e:
        sys.exit(str(e))
    for ts, pkt, _ in recs:
        if link == 1:
            gen = ether(pkt)
        elif link == 113:
            gen = ip_payload(pkt[16:])
        elif link == 276:
            gen = ip_payload(pkt[20:])
        elif link in (12, 14, 101):
            gen = ip_payload(pkt)
        elif link in (0, 108):
            gen = ip_payload(pkt[4:])
        else:
            continue
        for item in gen:
            yield (ts,) + item


def records(path, cache=True, ms=False, instance=None, vpc="vpc-0a1b2c3d4e5f60718",
            account="123456789012"):
    pending, cached, out = {}, {}, []
    instances = {}
    for ts, src, dst, sp, dp, proto, payload in frames(path):
        if sp != 53 and dp != 53:
            continue
        m = dns(payload)
        if m is None:
            continue
        mid, resp, rcode, qname, qtype, qclass, answers = m
        if not resp:
            key = (src, sp, mid, qname.lower(), qtype)
            pending[key] = (ts, src, sp, proto, qname, qtype, qclass)
            continue
        key = (dst, dp, mid, qname.lower(), qtype)
        q = pending.pop(key, None)
        if q is None:
            continue
        qts, csrc, csp, cproto, qn, qt, qc = q
        ck = (csrc, qn.lower(), qt)
        if cache and ck in cached and qts < cached[ck]:
            continue  # the resolver answers it from its cache: not logged
        ttl = min((a[2] for a in answers), default=0)
        cached[ck] = qts + ttl
        t = int(qts) if not ms else qts
        stamp = __import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(t))
        stamp += (".%03dZ" % int(round((qts % 1) * 1000)) % 1000) if ms else "Z"
        inst = instance or instances.setdefault(csrc, "i-%017x" % (0x0abc0000 + len(instances)))
        out.append((qts, {
            "version": "1.100000", "account_id": account, "region": "eu-west-1",
            "vpc_id": vpc, "query_timestamp": stamp, "query_name": qn,
            "query_type": tname(qt), "query_class": "IN" if qc == 1 else "CLASS%d" % qc,
            "rcode": RCODES[rcode] if rcode < len(RCODES) else "RCODE%d" % rcode,
            "answers": [{"Rdata": txt, "Type": tname(at), "Class": "IN"}
                        for at, txt, _ in answers],
            "srcaddr": csrc, "srcport": str(csp), "transport": cproto,
            "srcids": {"instance": inst}}))
    out.sort(key=lambda r: r[0])
    return out


def main(argv):
    opts = {"gzip": False, "firehose": False, "s3": None, "instance": None, "cache": True,
            "ms": False}
    args = []
    it = iter(argv)
    for a in it:
        if a == "--gzip":
            opts["gzip"] = True
        elif a == "--firehose":
            opts["firehose"] = True
        elif a == "--s3":
            opts["s3"] = next(it)
        elif a == "--instance":
            opts["instance"] = next(it)
        elif a == "--no-cache":
            opts["cache"] = False
        elif a == "--ms":
            opts["ms"] = True
        else:
            args.append(a)
    if len(args) != 2:
        sys.exit(__doc__)
    src, dst = args
    recs = records(src, opts["cache"], opts["ms"], opts["instance"])
    sep = "" if opts["firehose"] else "\n"

    def text(rs):
        return "".join(json.dumps(r, separators=(",", ":")) + sep for _, r in rs)

    if opts["s3"]:
        import time
        by = {}
        for ts, r in recs:
            slot = int(ts) // 300 * 300
            by.setdefault(slot, []).append((ts, r))
        for slot, rs in sorted(by.items()):
            tm = time.gmtime(slot)
            d = os.path.join(dst, "AWSLogs", opts["s3"], "vpcdnsquerylogs",
                             rs[0][1]["vpc_id"], "%04d" % tm.tm_year, "%02d" % tm.tm_mon,
                             "%02d" % tm.tm_mday)
            os.makedirs(d, exist_ok=True)
            name = "%s_vpcdnsquerylogs_%s_%s_%08x.log.gz" % (
                rs[0][1]["vpc_id"], opts["s3"], time.strftime("%Y%m%dT%H%MZ", tm), slot)
            with gzip.open(os.path.join(d, name), "wt") as f:
                f.write(text(rs))
    elif opts["gzip"]:
        with gzip.open(dst, "wt") as f:
            f.write(text(recs))
    else:
        with open(dst, "w") as f:
            f.write(text(recs))
    print("%d records" % len(recs), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
