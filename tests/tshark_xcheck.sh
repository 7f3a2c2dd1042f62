#!/bin/sh
# tshark_xcheck.sh BIN
# Cross-check the decoder against a real one: on captures made by ../shared/tools/mkcorpus.py
# (plain, --vxlan, --responses), the number of queries and responses and the multiset of
# (query/response, qname, qtype) that dnsexfild --dump prints must equal what tshark reports.
# Skips (exit 77) when tshark or the shared tools are not there.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
mk=${DX_SHARED:-../shared}/tools/mkcorpus.py
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark not installed"; exit 77; }
[ -f "$mk" ] || { echo "SKIP: $mk not found"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1 # the default database, dnsexfild.db, lands here
status=0
for form in "plain 11" "--vxlan 12" "--responses 13"; do
	set -- $form
	opt=$1 seed=$2
	[ "$opt" = plain ] && opt=""
	f="$dir/c$seed.pcap"
	python3 "$mk" --queries 20000 --seed "$seed" $opt -o "$f" >/dev/null || exit 1
	"$bin" -r "$f" --dump >"$dir/ours.txt" 2>"$dir/ours.err" || { cat "$dir/ours.err"; exit 1; }
	tshark -r "$f" -n -Y dns -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e dns.flags.response -e dns.qry.name -e dns.qry.type >"$dir/theirs.txt" 2>/dev/null \
		|| exit 1
	python3 - "$dir/ours.txt" "$dir/theirs.txt" "c$seed ${opt:-plain}" <<'PY' || status=1
import collections, re, sys
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "NULL": 10, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "NAPTR": 35, "DS": 43, "DNSKEY": 48, "SVCB": 64, "HTTPS": 65,
         "CAA": 257, "ANY": 255}
ours = collections.Counter()
for line in open(sys.argv[1]):
    f = line.split()
    i = f.index("id")
    qr, qtype, name = f[i + 2], f[i + 5], f[i + 6]
    n = TYPES.get(qtype) or (int(qtype[4:]) if qtype.startswith("TYPE") else None)
    if n is None:
        sys.exit("unmapped type %s in: %s" % (qtype, line))
    ours[(qr == "r", name, n)] += 1
theirs = collections.Counter()
for line in open(sys.argv[2]):
    resp, names, types = (line.rstrip("\n").split("\t") + ["", ""])[:3]
    rs, ns, ts = resp.split(","), names.split(","), types.split(",")
    for r, n, t in zip(rs, ns, ts):
        theirs[(r in ("1", "True"), n, int(t))] += 1
qo = sum(v for k, v in ours.items() if not k[0]); ro = sum(v for k, v in ours.items() if k[0])
qt = sum(v for k, v in theirs.items() if not k[0]); rt = sum(v for k, v in theirs.items() if k[0])
print("%s: dnsexfild %d queries %d responses; tshark %d queries %d responses"
      % (sys.argv[3], qo, ro, qt, rt))
if ours != theirs:
    print("only dnsexfild:", list((ours - theirs).items())[:5])
    print("only tshark:", list((theirs - ours).items())[:5])
    sys.exit(1)
PY
done
# The real captures in ../shared/pcaps: query and response counts must match tshark's (names
# with raw 8-bit bytes are escaped differently by the two tools, so only counts here).
for f in "${DX_SHARED:-../shared}"/pcaps/*/*.pcap*; do
	[ -f "$f" ] || continue
	ours=$("$bin" -r "$f" 2>&1 | sed -n 's/.* DNS messages: \([0-9]*\) queries, \([0-9]*\) responses.*/\1 \2/p')
	theirs=$(tshark -r "$f" -n -Y dns -T fields -e dns.flags.response 2>/dev/null | tr ',' '\n' |
		awk '$1=="0"||$1=="False"{q++} $1=="1"||$1=="True"{r++} END{print q+0, r+0}')
	if [ "$ours" = "$theirs" ]; then
		echo "ok   $(basename "$f"): $ours"
	else
		echo "FAIL $(basename "$f"): dnsexfild '$ours', tshark '$theirs'"
		status=1
	fi
done
exit $status
