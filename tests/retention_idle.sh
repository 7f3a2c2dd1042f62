#!/bin/sh
# retention_idle.sh BIN
# Housekeeping runs whatever the load: a live sensor that sees no packet at all still deletes
# rows older than retention_days at its stats tick (only the busy path ran retention, and in
# the newest packet's time, which an idle sensor does not advance). A namespace of its own
# keeps the interface silent. Skips (77) without namespaces.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
p=${DX_PCAPS:?}
ns=dxret$(( $$ % 10000 ))
dir=$(mktemp -d)
cleanup() {
	ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add $ns 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip -n $ns link set lo up
db=$dir/r.db
"$bin" -r "$p/iodine-pirate-sea.pcap" -d "$db" -q 2>/dev/null # the schema, and 2010's rows
now=$(date +%s)
sqlite3 "$db" "insert into apex_window_stats values ('recent.example', $now - 60, $now, 30, 30, 30, 1, 0, '{}', 10, 20, 3.0, 100);
update alerts set status = 'closed' where id = (select min(id) from alerts);"
before=$(sqlite3 "$db" "select (select count(*) from apex_window_stats where window_end_ts < $now - 86400) || ' ' || (select count(*) from alerts where status = 'closed')")
printf '[store]\nstats_interval_sec = 1\nretention_days = 1\n' >"$dir/r.ini"
ip netns exec $ns "$bin" -c "$dir/r.ini" -i lo -d "$db" 2>"$dir/e" &
pid=$!
sleep 3.5
kill -TERM $pid
wait $pid
rc=$?
after=$(sqlite3 "$db" "select (select count(*) from apex_window_stats where window_end_ts < $now - 86400) || ' ' || (select count(*) from alerts where status = 'closed')")
recent=$(sqlite3 "$db" "select count(*) from apex_window_stats where apex = 'recent.example'")
pkts=$(sed -n 's/^\([0-9]*\) packets.*/\1/p' "$dir/e")
if [ $rc -eq 0 ] && [ "${before%% *}" -gt 0 ] && [ "${before#* }" -gt 0 ] && [ "$after" = "0 0" ] &&
	[ "$recent" = 1 ] && [ "$pkts" = 0 ]; then
	echo "ok   idle live sensor ($pkts packets): old rows deleted (before: $before, after: $after), the recent one kept"
	exit 0
fi
echo "FAIL idle retention: exit $rc, $pkts packets, before '$before', after '$after', recent $recent"
cat "$dir/e"
exit 1
