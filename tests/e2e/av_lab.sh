#!/bin/sh
# av_lab.sh BIN CAPTURE
# What must never be blocked, on traffic made by real tools: pcaps/mklab-av.sh makes a fresh
# capture (dig through a real unbound to the hash-lookup zones' own server: an antivirus scan,
# DNSBL lookups, hostile names under co.uk, github.io and s3.amazonaws.com) and the sensor
# replays it with the defaults and --dry-run. No apex reaches HIGH unallowlisted and no block
# is requested; with builtin_allowlist = no (the control) still none: the antivirus services
# stay below HIGH by their lookup shape alone (they reached CRITICAL before it), and no public
# suffix is ever requested. The shipped
# capture pcaps/lab-av-scan.pcap (CAPTURE) is checked the same way. Skips (77) without
# namespaces or the tools.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shipped=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
sh "$root/pcaps/mklab-av.sh" "$dir/fresh.pcap"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL making the capture: exit $rc"; exit 1; }
printf '[detect]\nbuiltin_allowlist = no\n' >"$dir/off.ini"
for cap in "$dir/fresh.pcap" "$shipped"; do
	name=$(basename "$cap")
	rm -f "$dir"/d.db*
	"$bin" -r "$cap" -d "$dir/d.db" --dry-run -q 2>"$dir/e" || { echo "FAIL $name: exit $?"; fails=$((fails + 1)); }
	open=$(sqlite3 "$dir/d.db" "select count(*) from alerts where severity in ('HIGH','CRITICAL') and status != 'allowlisted'")
	blocks=$(sqlite3 "$dir/d.db" "select count(*) from blocks")
	allowed=$(sqlite3 "$dir/d.db" "select count(distinct apex) from alerts where status = 'allowlisted'")
	if [ "$open" = 0 ] && [ "$blocks" = 0 ] && [ "$allowed" -ge 3 ]; then
		echo "ok   $name, defaults: no HIGH unallowlisted, no block, $allowed apexes allowlisted"
	else
		echo "FAIL $name, defaults: $open HIGH unallowlisted, $blocks blocks"; fails=$((fails + 1))
	fi
	rm -f "$dir"/d.db*
	"$bin" -c "$dir/off.ini" -r "$cap" -d "$dir/d.db" --dry-run -q 2>"$dir/e"
	# with the list off the lookup shape alone keeps the file-hash services below HIGH (they
	# reached CRITICAL and were blocked before it): one hash label of one length under a
	# constant rest, answered NXDOMAIN or a short TXT
	hi=$(sqlite3 "$dir/d.db" "select count(*) from alerts where severity in ('HIGH','CRITICAL')")
	blocks=$(sqlite3 "$dir/d.db" "select count(*) from blocks")
	shaped=$(sqlite3 "$dir/d.db" "select group_concat(apex, ' ') from (select distinct apex from alerts where severity = 'MEDIUM' and json_extract(details, '$.lookup_shape_queries') * 10 >= json_extract(details, '$.subdomain_queries') * 9 order by apex)")
	if [ "$hi" = 0 ] && [ "$blocks" = 0 ] && [ "$shaped" = "cymru.com mcafee.com sophosxl.net" ]; then
		echo "ok   $name, built-in list off: no HIGH, no block; $shaped below HIGH by the lookup shape"
	else
		echo "FAIL $name, built-in list off: $hi HIGH, $blocks blocks, lookup-shaped '$shaped'"; fails=$((fails + 1))
		sqlite3 "$dir/d.db" "select apex, threat_type, severity, query_count, unique_subdomains, sample_qname from alerts where severity in ('HIGH','CRITICAL')"
	fi
done
echo "av_lab: $fails failed"
[ $fails -eq 0 ]
