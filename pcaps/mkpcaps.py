#!/usr/bin/env python3
"""mkpcaps.py - make the small test captures in pcaps/ (standard library only).

Every file is built packet by packet from the layer builders below, deterministically: the
same script gives byte-identical files. Run it from anywhere; it writes next to itself.
pcaps/README.md says what each file exercises and what the tests expect of it.

    python3 pcaps/mkpcaps.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1709251200  # 2024-03-01T00:00:00Z

# --------------------------------------------------------------------------- DNS


def qname(name):
    """Wire form of a dotted name (no compression)."""
    out = b""
    if name not in ("", "."):
        for lab in name.split("."):
            b = lab.encode("latin-1")
            out += bytes([len(b)]) + b
    return out + b"\x00"


def dns(qid, name, qtype=1, resp=False, rcode=0, answers=(), flags=None, qname_wire=None,
        qd=1, ar=b"", arcount=0):
    """A DNS message: header, one question, answers as (rtype, ttl, rdata) owned by a
    pointer to the question name (offset 12)."""
    f = flags if flags is not None else ((0x8180 if resp else 0x0100) | rcode)
    hdr = struct.pack("!HHHHHH", qid, f, qd, len(answers), 0, arcount)
    q = (qname_wire if qname_wire is not None else qname(name)) + struct.pack("!HH", qtype, 1)
    an = b""
    for rtype, ttl, rdata in answers:
        an += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return hdr + q + an + ar


OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)  # EDNS0, UDP 1232

# --------------------------------------------------------------------------- L3/L4


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, frag=0, ident=1, total=None, ihl_words=5, options=b""):
    tl = total if total is not None else 20 + len(options) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl_words, 0, tl, ident, frag, 64, proto, 0,
                    bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    h = h[:10] + struct.pack("!H", csum(h + options)) + h[12:]
    return h + options + payload


def a6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def ip6(src, dst, nh, payload, plen=None):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload) if plen is None else plen, nh, 64,
                       a6(src), a6(dst)) + payload


def udp(sport, dport, payload, length=None):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload) if length is None else length,
                       0) + payload


def tcp(sport, dport, seq, flags, payload=b"", ack=0, off=5):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0,
                       0) + b"\x00" * ((off - 5) * 4) + payload


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def tcpdns(msg):
    return struct.pack("!H", len(msg)) + msg


MAC_A = bytes.fromhex("0200000000aa")
MAC_B = bytes.fromhex("0200000000bb")


def eth(payload, etype=0x0800, vlans=()):
    out = MAC_B + MAC_A
    for tpid, vid in vlans:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", etype) + payload


def v4udp(src, dst, sport, dport, payload):
    return eth(ip4(src, dst, 17, udp(sport, dport, payload)))


def vxlan(inner_frame, vni, flags=0x08, outer_src="10.0.9.10", outer_dst="10.0.9.20",
          sport=49152, dport=4789):
    hdr = struct.pack("!B3sI", flags, b"\x00\x00\x00", vni << 8)
    return eth(ip4(outer_src, outer_dst, 17, udp(sport, dport, hdr + inner_frame)))


def geneve(inner, vni, ptype=0x6558, ver=0, options=b"", dport=6081):
    b0 = (ver << 6) | (len(options) // 4)
    hdr = struct.pack("!BBHI", b0, 0, ptype, vni << 8) + options
    return eth(ip4("10.0.8.1", "10.0.8.2", 17, udp(50000, dport, hdr + inner)))


# --------------------------------------------------------------------------- files


class Pcap:
    """Classic pcap writer (LE). nsec: nanosecond magic."""

    def __init__(self, name, linktype=1, snaplen=65535, nsec=False):
        self.path = os.path.join(HERE, name)
        self.f = open(self.path, "wb")
        self.nsec = nsec
        magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
        self.f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        self.i = 0

    def add(self, frame, caplen=None, t=None):
        ts = T0 + self.i * 0.001 if t is None else t
        sec = int(ts)
        frac = round((ts - sec) * (1e9 if self.nsec else 1e6))
        cl = len(frame) if caplen is None else caplen
        self.f.write(struct.pack("<IIII", sec, frac, cl, len(frame)) + frame[:cl])
        self.i += 1

    def close(self):
        self.f.close()


class Pcapng:
    """Minimal pcapng writer: SHB, one IDB (if_tsresol 9: nanoseconds), EPBs."""

    def __init__(self, name, linktype=1):
        self.path = os.path.join(HERE, name)
        self.f = open(self.path, "wb")
        self.block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
        self.block(1, struct.pack("<HHI", linktype, 0, 0) + opts)
        self.i = 0

    def block(self, btype, body):
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body)
        self.f.write(struct.pack("<II", btype, n) + body + struct.pack("<I", n))

    def add(self, frame):
        ts = (T0 * 10**9) + self.i * 1234567
        self.block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                                  len(frame)) + frame)
        self.i += 1

    def close(self):
        self.f.close()


C4, S4 = "10.0.1.5", "10.0.0.2"
C6, S6 = "2600:1f18:4a3:6b00::5", "fd00:ec2::253"
A_RDATA = bytes([93, 184, 216, 34])


def qr_pair(i, name, qtype=1, rcode=0, answers=None):
    """A query and its response as UDP payloads."""
    if answers is None:
        answers = [(qtype, 300, A_RDATA)] if qtype == 1 and rcode == 0 else []
    return (dns(0x1000 + i, name, qtype), dns(0x1000 + i, name, qtype, resp=True, rcode=rcode,
                                                answers=answers))


def linktypes():
    q, r = qr_pair(1, "www.Example.com")
    ipq = ip4(C4, S4, 17, udp(40001, 53, q))
    ipr = ip4(S4, C4, 17, udp(53, 40001, r))
    ip6q = ip6(C6, S6, 17, udp(40002, 53, dns(0x2001, "aaaa.example.net", 28)))
    # Ethernet: plain, 802.1Q, QinQ (802.1ad outer + 802.1Q inner), IPv6, and an ARP frame.
    p = Pcap("link-ethernet.pcap")
    p.add(eth(ipq))
    p.add(eth(ipr))
    p.add(eth(ip4(C4, S4, 17, udp(40003, 53, dns(0x1003, "vlan.example.org"))),
              vlans=[(0x8100, 100)]))
    p.add(eth(ip4(C4, S4, 17, udp(40004, 53, dns(0x1004, "qinq.example.org"))),
              vlans=[(0x88A8, 200), (0x8100, 100)]))
    p.add(eth(ip6q, 0x86DD))
    p.add(eth(b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\x00" * 20, 0x0806))  # ARP: not IP
    p.add(eth(ip4(C4, S4, 1, b"\x08\x00\x00\x00\x00\x00\x00\x00")))  # ICMP: not UDP/TCP
    p.add(eth(ip4(C4, "10.0.0.80", 6, tcp(40005, 80, 1, SYN))))  # TCP 80: not DNS
    p.close()
    # Linux cooked v1 (DLT 113): type, ARPHRD_ETHER, addr len 6, addr, protocol
    p = Pcap("link-sll.pcap", linktype=113)
    p.add(struct.pack("!HHH8sH", 4, 1, 6, MAC_A + b"\0\0", 0x0800) + ipq)
    p.add(struct.pack("!HHH8sH", 0, 1, 6, MAC_B + b"\0\0", 0x0800) + ipr)
    p.add(struct.pack("!HHH8sH", 4, 1, 6, MAC_A + b"\0\0", 0x86DD) + ip6q)
    p.close()
    # Linux cooked v2 (DLT 276): protocol, reserved, ifindex, ARPHRD, type, addr len, addr
    p = Pcap("link-sll2.pcap", linktype=276)
    p.add(struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 4, 6, MAC_A + b"\0\0") + ipq)
    p.add(struct.pack("!HHIHBB8s", 0x86DD, 0, 2, 1, 4, 6, MAC_A + b"\0\0") + ip6q)
    p.close()
    # Raw IP (LINKTYPE_RAW 101): version nibble decides
    p = Pcap("link-raw.pcap", linktype=101)
    p.add(ipq)
    p.add(ip6q)
    p.add(ipr)
    p.close()
    # BSD null (DLT 0, family in host order, here little-endian) and loop (DLT 108, network)
    p = Pcap("link-null.pcap", linktype=0)
    p.add(struct.pack("<I", 2) + ipq)
    p.add(struct.pack("<I", 30) + ip6q)  # AF_INET6 on macOS
    p.add(struct.pack(">I", 2) + ipr)    # written on a big-endian host
    p.add(struct.pack("<I", 99) + ipq)   # unknown family
    p.close()
    p = Pcap("link-loop.pcap", linktype=108)
    p.add(struct.pack(">I", 2) + ipq)
    p.add(struct.pack(">I", 24) + ip6q)
    p.close()


def ipv6_ext():
    q = dns(0x6001, "ext.example.com", 28)
    u = udp(40010, 53, q)
    p = Pcap("ipv6-ext.pcap")
    # hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP
    hbh = bytes([60, 0]) + b"\x01\x04\x00\x00\x00\x00"
    dst = bytes([17, 1]) + b"\x01\x0c" + b"\x00" * 12
    p.add(eth(ip6(C6, S6, 0, hbh + dst + u), 0x86DD))
    # routing header type 0 with no segments left -> fragment (atomic: offset 0, M=0) -> UDP
    rt = bytes([44, 0, 0, 0]) + b"\x00" * 4
    fr = bytes([17, 0]) + struct.pack("!HI", 0, 7)
    p.add(eth(ip6(C6, S6, 43, rt + fr + udp(40011, 53, dns(0x6002, "frag0.example.com", 28))),
              0x86DD))
    # a first fragment (M=1): decoded, flagged truncated
    first = udp(40012, 53, dns(0x6003, "firstfrag.example.com", 16), length=1400)
    p.add(eth(ip6(C6, S6, 44, bytes([17, 0]) + struct.pack("!HI", 1, 8) + first), 0x86DD))
    # a later fragment: skipped
    p.add(eth(ip6(C6, S6, 44, bytes([17, 0]) + struct.pack("!HI", 1448 | 0, 8) + b"x" * 40),
              0x86DD))
    # nine destination-options headers: over the cap
    chain = b""
    for k in range(9):
        chain += bytes([60 if k < 8 else 17, 0]) + b"\x01\x04\x00\x00\x00\x00"
    p.add(eth(ip6(C6, S6, 60, chain + udp(40013, 53, dns(0x6004, "deep.example.com"))), 0x86DD))
    # extension header running past the captured end
    p.add(eth(ip6(C6, S6, 0, bytes([17, 30]) + b"\x00" * 6), 0x86DD))
    # IPv4 with options (IHL 7), then IHL 4 (bad), version 5 (bad)
    p.add(eth(ip4(C4, S4, 17, udp(40014, 53, dns(0x6005, "opts.example.com")), ihl_words=7,
                  options=b"\x01" * 8)))
    bad = bytearray(ip4(C4, S4, 17, udp(40015, 53, dns(0x6006, "x.example.com"))))
    bad[0] = 0x44
    p.add(eth(bytes(bad)))
    bad[0] = 0x55
    p.add(eth(bytes(bad)))
    # IPv4 non-first fragment, and a first fragment (MF set)
    p.add(eth(ip4(C4, S4, 17, b"y" * 40, frag=185)))
    p.add(eth(ip4(C4, S4, 17, udp(40016, 53, dns(0x6007, "mf.example.com"), length=3000),
                  frag=0x2000)))
    p.close()


def tunnels():
    q, r = qr_pair(7, "mirror.example.com")
    inner_q = v4udp(C4, S4, 40020, 53, q)
    inner_r = v4udp(S4, C4, 53, 40020, r)
    p = Pcap("vxlan-mirror.pcap")
    p.add(vxlan(inner_q, 123))
    p.add(vxlan(inner_r, 123))
    p.add(vxlan(eth(ip6(C6, S6, 17, udp(40021, 53, dns(0x7002, "v6.example.com", 28))),
                    0x86DD), 7))
    p.add(vxlan(eth(ip4(C4, S4, 17, udp(40022, 53, dns(0x7003, "vlan-in-vxlan.example.com"))),
                    vlans=[(0x8100, 5)]), 124))
    p.add(vxlan(vxlan(inner_q, 900), 123))            # two tunnels: default max_encap 2
    p.add(vxlan(vxlan(vxlan(inner_q, 901), 900), 123))  # three: over the cap
    p.add(vxlan(inner_q, 123, flags=0x00))            # I flag clear
    p.add(vxlan(inner_q, 123)[:14 + 20 + 8 + 5])      # VXLAN header cut short (caplen)
    p.add(vxlan(inner_q, 123, dport=4790))            # not a VXLAN port by default
    p.close()
    p = Pcap("geneve-gwlb.pcap")
    p.add(geneve(inner_q, 55))                                    # Ethernet inside
    opt = struct.pack("!HBB", 0x0108, 1, 1) + b"\xaa\xbb\xcc\xdd"  # one 8-byte option
    p.add(geneve(ip4(S4, C4, 17, udp(53, 40020, r)), 56, ptype=0x0800, options=opt))
    p.add(geneve(ip6(C6, S6, 17, udp(40023, 53, dns(0x7004, "gwlb6.example.com", 28))), 57,
                 ptype=0x86DD))
    p.add(geneve(inner_q, 58, ptype=0x1234))  # unknown protocol
    p.add(geneve(inner_q, 59, ver=1))         # bad version
    p.close()


def tcp_dns():
    c, s = "10.0.1.7", S4
    m1 = dns(0x3001, "one.example.com")
    m2 = dns(0x3002, "two-a.example.com")
    m3 = dns(0x3003, "two-b.example.com")
    big = dns(0x3004, "split.example.com", 16, resp=True,
              answers=[(16, 60, b"\xff" + b"t" * 255), (16, 60, b"\xff" + b"u" * 255)])
    m5 = dns(0x3005, "after-gap.example.com")
    m6 = dns(0x3006, "lost.example.com")
    p = Pcap("tcp-dns.pcap")
    e = lambda src, dst, sp, dp, seq, fl, pay=b"": eth(ip4(src, dst, 6, tcp(sp, dp, seq, fl, pay)))
    # connection 1: handshake, one message per segment, the answer split over three segments
    p.add(e(c, s, 41000, 53, 1000, SYN))
    p.add(e(s, c, 53, 41000, 5000, SYN | ACK))
    p.add(e(c, s, 41000, 53, 1001, ACK))
    w = tcpdns(m1)
    p.add(e(c, s, 41000, 53, 1001, PSH | ACK, w))
    b = tcpdns(big)
    p.add(e(s, c, 53, 41000, 5001, ACK, b[:1]))          # half the length prefix
    p.add(e(s, c, 53, 41000, 5002, ACK, b[1:300]))
    p.add(e(s, c, 53, 41000, 5301, PSH | ACK, b[300:]))
    p.add(e(s, c, 53, 41000, 5301, PSH | ACK, b[300:]))  # retransmission: ignored
    # two messages in one segment
    w2 = tcpdns(m2) + tcpdns(m3)
    p.add(e(c, s, 41000, 53, 1001 + len(w), PSH | ACK, w2))
    p.add(e(c, s, 41000, 53, 1001 + len(w) + len(w2), FIN | ACK))
    # connection 2, joined mid-stream (no SYN): half of a message, a gap, then a whole one
    w6 = tcpdns(m6)
    p.add(e(c, s, 41001, 53, 7000, ACK, w6[:10]))
    p.add(e(c, s, 41001, 53, 7000 + len(w6) + 50, PSH | ACK, tcpdns(m5)))
    p.add(e(c, s, 41001, 53, 9000, RST))
    p.close()


def truncated():
    p = Pcap("truncated.pcap", snaplen=96)
    r = dns(0x4001, "cut.example.com", 16, resp=True, answers=[(16, 60, b"\x40" + b"v" * 64)])
    f = v4udp(S4, C4, 53, 40030, r)
    p.add(f, caplen=96)        # question fits, the answer is cut: decoded, flagged
    q = dns(0x4002, "question-is-cut-off-here.example.com")
    f2 = v4udp(C4, S4, 40031, 53, q)
    p.add(f2, caplen=14 + 20 + 8 + 20)  # the question itself is cut: dns_trunc
    p.add(f2, caplen=10)       # not even an Ethernet header
    p.add(f2, caplen=14 + 12)  # not a whole IPv4 header
    p.add(f2, caplen=14 + 20 + 4)  # not a whole UDP header
    p.close()


def hostile():
    H = lambda qd=1, an=0: struct.pack("!HHHHHH", 0x5000, 0x0100, qd, an, 0, 0)
    tail = struct.pack("!HH", 1, 1)
    msgs = [
        H() + b"\xc0\x0c" + tail,                      # pointer to itself
        None,                                          # two names pointing at each other
        H() + b"\xc0\x20" + tail + b"\x00" * 20,       # forward pointer
        H() + b"\xc0\x02" + tail,                      # pointer into the header
        H() + b"\x40" + b"x" * 64 + b"\x00" + tail,    # label type 0x40 (a "64-octet label")
        H() + b"\x80abc\x00" + tail,                   # label type 0x80
        H() + (b"\x3f" + b"y" * 63) * 4 + b"\x00" + tail,  # 257 octets: too long
        H(qd=0),                                       # no question
        H()[:7],                                       # header cut
        b"\x00" * 11,                                  # shorter than a header
    ]
    # two names pointing at each other: question name at 12 points to 14, the label at 14
    # ends in a pointer back to 12.
    msgs[1] = H() + b"\xc0\x0e" + b"\x01a\xc0\x0c" + tail
    p = Pcap("hostile-names.pcap")
    for i, m in enumerate(msgs):
        p.add(v4udp(C4, S4, 41100 + i, 53, m))
    # every prefix of a valid response, sent as complete UDP datagrams
    good = dns(0x5100, "prefix.example.com", 1, resp=True,
               answers=[(1, 60, A_RDATA), (1, 30, A_RDATA)], ar=OPT, arcount=1)
    for n in range(len(good) + 1):
        p.add(v4udp(S4, C4, 53, 41200 + n, good[:n]))
    # a valid name reached through a legal chain of backward pointers
    ok = H(qd=1, an=1) + qname("example.com") + tail
    ok += b"\x03www\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, 2) + b"\xc0\x0c"
    p.add(v4udp(C4, S4, 41300, 53, ok))
    # RDLENGTH past the end
    rd = dns(0x5200, "rdlen.example.com", 1, resp=True, answers=[(1, 60, A_RDATA)])
    rd = rd[:-6] + b"\xff\xff" + rd[-4:]
    p.add(v4udp(S4, C4, 53, 41301, rd))
    # odd bytes in a label, and 0x20 case
    p.add(v4udp(C4, S4, 41302, 53, dns(0x5300, "", qname_wire=b"\x06a b\"\\.\x03\xfe\x00\x01" +
                                       b"\x07ExAmPlE\x03CoM\x00")))
    p.close()


def formats():
    q = v4udp(C4, S4, 40040, 53, dns(0x8001, "nanosecond.example.com"))
    p = Pcap("format-nsec.pcap", nsec=True)
    p.add(q, t=T0 + 0.123456789)
    p.close()
    p = Pcapng("format-pcapng.pcapng")
    p.add(q)
    p.add(v4udp(S4, C4, 53, 40040, dns(0x8001, "nanosecond.example.com", resp=True,
                                        answers=[(1, 5, A_RDATA)])))
    p.close()


if __name__ == "__main__":
    linktypes()
    ipv6_ext()
    tunnels()
    tcp_dns()
    truncated()
    hostile()
    formats()
