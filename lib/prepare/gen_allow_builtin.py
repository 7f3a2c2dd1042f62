#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compile contrib/allowlist.txt and contrib/reputation-zones.txt into C tables (the built-in
allowlist, and the DNS reputation zones whose registrable domains join it at start).

gen_allow_builtin.py ALLOWLIST ZONES OUT: one domain per line, '#' comments. Each entry must
be a host name (the syntax lib/prepare/allow.c checks; the public-suffix test needs libpsl and
is made at start and by tests/test_apex.c); a bad line stops the build with IN:LINE: reason.
"""
import re
import sys

LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def read(src):
    entries = []
    with open(src, encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            d = line.split("#", 1)[0].strip().lower()
            if not d:
                continue
            if d.startswith("*."):
                d = d[2:]
            labels = d.split(".")
            if len(d) > 253 or len(labels) < 2 or not all(LABEL.match(x) for x in labels):
                sys.exit("%s:%d: '%s' is not a host name of two or more labels" % (src, lineno, d))
            if d not in entries:
                entries.append(d)
    return entries


def table(out, name, entries):
    out.write("const char *const %s[] = {\n" % name)
    for d in entries:
        out.write('\t"%s",\n' % d)
    out.write("};\n")
    out.write("const size_t %s_n = %d;\n" % (name, len(entries)))


def main():
    allow, zones, dst = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(dst, "w", encoding="ascii") as out:
        out.write("/* Generated from contrib/allowlist.txt and contrib/reputation-zones.txt by\n"
                  " * gen_allow_builtin.py: do not edit. */\n")
        out.write('#include "lib/prepare/allow.h"\n\n')
        table(out, "dx_allow_builtin", read(allow))
        table(out, "dx_reputation_zones", read(zones))


main()
