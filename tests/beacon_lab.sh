#!/bin/sh
# beacon_lab.sh BIN CAPTURE
# BEACON on a capture made with real tools (pcaps/mklab-beacon.sh: dig through a real unbound,
# real sleeps): a beacon checking in once a minute +-20 % with a counter under a constant hex
# id, answered 0.0.0.0, is HIGH (the constant hex id is machine-made and nobody else asks the
# apex) by its 9th check-in, and its apex alone is block-requested; the periodic lookups of
# one fixed name beside it (an NTP client every 64 s, a health check every 30 s, an update
# poller every 60 s) and the ordinary lookups raise nothing above LOW. The capture takes 17
# minutes to make, so the shipped one is replayed.
set -u
bin=$1 cap=$2
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
"$bin" -r "$cap" -d "$dir/b.db" --dry-run -q 2>/dev/null
q() { sqlite3 "$dir/b.db" "$1"; }
sev=$(q "select severity from alerts where apex = 'beacon-lab.net' and threat_type = 'BEACON'")
at=$(q "select json_extract(details, '$.raised.HIGH') - (select min(first_ts) from alerts where apex = 'beacon-lab.net') from alerts where apex = 'beacon-lab.net' and threat_type = 'BEACON'")
case $sev in
HIGH | CRITICAL) echo "ok   the beacon: BEACON $sev, HIGH ${at%.*} s after its first check-in" ;;
*) echo "FAIL the beacon: BEACON '$sev'"; fails=$((fails + 1)) ;;
esac
others=$(q "select count(*) from alerts where apex != 'beacon-lab.net' and severity != 'LOW'")
[ "$others" = 0 ] && echo "ok   the periodic lookups of one fixed name (ntp, health check, update poller): no alert above LOW" ||
	{ echo "FAIL $others alerts above LOW besides the beacon:"; q "select apex, threat_type, severity from alerts where apex != 'beacon-lab.net'"; fails=$((fails + 1)); }
blocked=$(q "select group_concat(distinct apex) from blocks")
[ "$blocked" = beacon-lab.net ] && echo "ok   a block requested for the beacon's apex, and nothing else" || { echo "FAIL blocks requested for '$blocked'"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
