#!/usr/bin/env python3
"""echoes_to.py DUMP A B TS: how many ICMP echoes between addresses A and B a dnsexfild --dump
listing shows up to and including packet time TS (epoch seconds, as the alerts' details say
when a severity was raised): the packets from a tunnel's first echo to its verdict."""
import datetime
import sys


def main():
    dump, a, b, ts = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    n = 0
    with open(dump) as f:
        for line in f:
            w = line.split()
            if len(w) < 6 or " echo " not in line or {w[1], w[3]} != {a, b}:
                continue
            t = datetime.datetime.strptime(w[0], "%Y-%m-%dT%H:%M:%S.%fZ")
            if t.replace(tzinfo=datetime.timezone.utc).timestamp() > ts + 1e-7:
                break
            n += 1
    print(n)


if __name__ == "__main__":
    main()
