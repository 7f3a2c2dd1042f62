#!/bin/sh
# wan_lab.sh BIN iodine|dns2tcp
# A real tunnel across an emulated WAN (80 ms more round trip, 1 % loss each way), made
# afresh: pcaps/mklab-wan.sh pushes 64 KiB through the tool via a real unbound; the capture
# replayed must give HIGH on wan-lab.net within 30 of the tunnel's queries, est_bytes within
# 2x of the bytes the server received, and nothing above LOW for the ordinary lookups beside
# it. Skips (77) where mklab-wan.sh does.
set -u
bin=$1 tool=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
made=$(sh "$root/pcaps/mklab-wan.sh" "$dir/wan.pcap" "$tool" 64)
rc=$?
[ $rc -eq 77 ] && { echo "$made"; exit 77; }
echo "$made"
got=$(echo "$made" | sed -n 's/.*: \([0-9]*\) of .*/\1/p')
fails=0
"$bin" -r "$dir/wan.pcap" -d "$dir/w.db" --dry-run -q --dump >"$dir/dump" 2>/dev/null
q() { sqlite3 "$dir/w.db" "$1"; }
high=$(q "select printf('%.6f', min(coalesce(json_extract(details, '$.raised.HIGH'), json_extract(details, '$.raised.CRITICAL'))) + 0.00001) from alerts where apex = 'wan-lab.net'")
if [ -n "$high" ]; then
	iso="$(date -u -d "@${high%.*}" +%Y-%m-%dT%H:%M:%S).${high#*.}Z"
	n=$(awk -v iso="$iso" '$0 ~ / q / && $0 ~ /\.wan-lab\.net( |$)/ && $1 <= iso { n++ }
		END { print n + 0 }' "$dir/dump")
	[ "$n" -le 30 ] && echo "ok   HIGH on wan-lab.net at the tunnel's query $n" ||
		{ echo "FAIL HIGH only at the tunnel's query $n"; fails=$((fails + 1)); }
else
	echo "FAIL no HIGH on wan-lab.net"; fails=$((fails + 1))
fi
est=$(q "select max(est_bytes) from alerts where apex = 'wan-lab.net'")
if [ "${got:-0}" -gt 0 ] && [ "${est:-0}" -le $((got * 2)) ] && [ $((${est:-0} * 2)) -ge "$got" ]; then
	echo "ok   est_bytes $est for $got bytes received"
else
	echo "FAIL est_bytes '$est' for '$got' bytes received"; fails=$((fails + 1))
fi
others=$(q "select count(*) from alerts where apex != 'wan-lab.net' and severity != 'LOW'")
[ "$others" = 0 ] && echo "ok   nothing above LOW besides the tunnel" ||
	{ echo "FAIL $others alerts above LOW besides the tunnel"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
