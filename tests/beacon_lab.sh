#!/bin/sh
# beacon_lab.sh BIN CAPTURE APEX [tasked]
# BEACON on a capture made with real tools (dig through a real unbound, real sleeps): a
# beacon checking in once a minute +-20 % with a counter under a constant hex id, answered
# 0.0.0.0, is HIGH (the constant hex id is machine-made and nobody else asks the apex) by its
# 9th check-in, and its apex alone is block-requested; the periodic lookups of one fixed name
# beside it (an NTP client every 64 s, a health check every 30 s, an update poller every
# 60 s) and the ordinary lookups raise nothing above LOW. pcaps/lab-beacon.pcap
# (mklab-beacon.sh) is never tasked. pcaps/lab-tasked.pcap (mklab-tasked.sh, "tasked") is
# tasked twice: it fetches each task with TXT queries and sends 4 KiB of output in a burst of
# hex-encoded queries; BEACON must still hold (the bursts are check-ins, not gaps), and the
# first upload be HIGH within 20 of its queries. The captures take 14 and 17 minutes to make,
# so the shipped ones are replayed.
set -u
bin=$1 cap=$2 apex=$3 mode=${4:-}
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
"$bin" -r "$cap" -d "$dir/b.db" --dry-run -q --dump >"$dir/dump" 2>/dev/null
q() { sqlite3 "$dir/b.db" "$1"; }
first=$(q "select min(first_ts) from alerts where apex = '$apex'")
sev=$(q "select severity from alerts where apex = '$apex' and threat_type = 'BEACON'")
at=$(q "select json_extract(details, '$.raised.HIGH') - $first from alerts where apex = '$apex' and threat_type = 'BEACON'")
case $sev in
HIGH | CRITICAL) echo "ok   the beacon: BEACON $sev, HIGH ${at%.*} s after its first check-in" ;;
*) echo "FAIL the beacon: BEACON '$sev'"; fails=$((fails + 1)) ;;
esac
if [ "$mode" = tasked ]; then
	# the queries of the first upload (names under p<seq>.) up to the first HIGH of any detector
	high=$(q "select printf('%.6f', min(coalesce(json_extract(details, '$.raised.HIGH'), json_extract(details, '$.raised.CRITICAL'))) + 0.00001) from alerts where apex = '$apex' and threat_type != 'BEACON'")
	iso="$(date -u -d "@${high%.*}" +%Y-%m-%dT%H:%M:%S).${high#*.}Z"
	n=$(awk -v iso="$iso" '$0 ~ / q / && $0 ~ /\.p[0-9]+\.[0-9a-f]+\.c2\./ && $1 <= iso { n++ }
		END { print n + 0 }' "$dir/dump")
	if [ -n "$high" ] && [ "$n" -ge 1 ] && [ "$n" -le 20 ]; then
		echo "ok   the first upload: HIGH at its query $n"
	else
		echo "FAIL the first upload: HIGH at '$high', after $n of its queries"; fails=$((fails + 1))
	fi
fi
others=$(q "select count(*) from alerts where apex != '$apex' and severity != 'LOW'")
[ "$others" = 0 ] && echo "ok   the periodic lookups of one fixed name (ntp, health check, update poller): no alert above LOW" ||
	{ echo "FAIL $others alerts above LOW besides the beacon:"; q "select apex, threat_type, severity from alerts where apex != '$apex'"; fails=$((fails + 1)); }
blocked=$(q "select group_concat(distinct apex) from blocks")
[ "$blocked" = "$apex" ] && echo "ok   a block requested for the beacon's apex, and nothing else" || { echo "FAIL blocks requested for '$blocked'"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
