#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compile contrib/allowlist.txt into a C table (the built-in allowlist).

gen_allow_builtin.py IN OUT: one domain per line, '#' comments. Each entry must be a host
name (the syntax lib/prepare/allow.c checks; the public-suffix test needs libpsl and is made
at start and by tests/test_apex.c); a bad line stops the build with IN:LINE: reason.
"""
import re
import sys

LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def main():
    src, dst = sys.argv[1], sys.argv[2]
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
    with open(dst, "w", encoding="ascii") as out:
        out.write("/* Generated from contrib/allowlist.txt by gen_allow_builtin.py: do not edit. */\n")
        out.write('#include "lib/prepare/allow.h"\n\n')
        out.write("const char *const dx_allow_builtin[] = {\n")
        for d in entries:
            out.write('\t"%s",\n' % d)
        out.write("};\n")
        out.write("const size_t dx_allow_builtin_n = %d;\n" % len(entries))


main()
