#!/bin/sh
# jsonparsers.sh [LOG.gz]: the JSON parser comparison in README "Route 53 query logs": each of
# Debian's C JSON libraries that is installed (libjson-c-dev, libjansson-dev, libcjson-dev,
# libyajl-dev) parses the same 300,000 records (the first of LOG, default the bench's 1M log,
# tests/bench/logs.sh makes it) taking the fields the sensor uses. Not a test.
set -eu
log=${1:-/tmp/dnsexfild-bench/r1000000.log.gz}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zcat "$log" | head -300000 >"$tmp/r.log"
for x in "json-c JSONC json-c" "jansson JANSSON jansson" "cjson CJSON libcjson" "yajl YAJL yajl"; do
	set -- $x
	pkg-config --exists "$3" || { echo "$1: not installed ($3)"; continue; }
	cc -O2 -DL_$2 -o "$tmp/$1" "$here/jsonparsers.c" $(pkg-config --cflags --libs "$3")
	"$tmp/$1" "$tmp/r.log" "$1"
done
