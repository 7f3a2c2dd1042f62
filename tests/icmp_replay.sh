#!/bin/sh
# icmp_replay.sh BIN PCAP
# pcaps/lab-icmp.pcap (a real ptunnel-ng transfer beside benign ping, ping -s, path-MTU
# probes, fping and ICMP traceroute; made by tests/e2e/icmp_lab.sh, pcaps/README) replayed:
# with [capture] icmp = yes, ICMP_TUNNEL HIGH for the proxy's address alone, within 300 of its
# echoes, est_bytes within 2x of the 100 KiB moved; the incident says ICMP_TUNNEL and T1095 in
# the database and in EVE; with the default (icmp = no) no echo is decoded and nothing alerts.
# shellcheck disable=SC2015 # ok/bad: ok never fails
set -u
bin=$1 pcap=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
printf '[capture]\nicmp = yes\n[output]\neve = %s\n' "$dir/eve.json" >"$dir/on.ini"
"$bin" -c "$dir/on.ini" -r "$pcap" -d "$dir/on.db" --dump >"$dir/dump.txt" 2>"$dir/on.err" || bad "exit $?"
db=$dir/on.db
hi=$(sqlite3 "$db" "select group_concat(apex || ' ' || threat_type || ' ' || sources, ';') from alerts where severity in ('HIGH','CRITICAL')")
[ "$hi" = '10.85.0.2 ICMP_TUNNEL ["10.84.0.2"]' ] && ok "HIGH for the tunnel's pair alone" || bad "HIGH: [$hi]"
inc=$(sqlite3 "$db" "select threat || ' ' || techniques from incidents where apex = '10.85.0.2'")
[ "$inc" = 'ICMP_TUNNEL ["T1095","T1048"]' ] && ok "incident: $inc" || bad "incident: [$inc]"
grep -q '"signature":"dnsexfild ICMP_TUNNEL"' "$dir/eve.json" && grep -q '"threat":"ICMP_TUNNEL"' "$dir/eve.json" &&
	ok "EVE alert for the ICMP_TUNNEL incident" || bad "EVE: $(head -c 400 "$dir/eve.json")"
est=$(sqlite3 "$db" "select max(est_bytes) from alerts where apex = '10.85.0.2'")
[ "${est:-0}" -ge 51200 ] && [ "$est" -le 204800 ] && ok "est_bytes $est for 102400 moved (snaplen 128)" || bad "est_bytes $est"
hi_ts=$(sqlite3 "$db" "select min(json_extract(details, '\$.raised.HIGH')) from alerts where apex = '10.85.0.2'")
n=$(python3 "$(dirname "$0")/tools/echoes_to.py" "$dir/dump.txt" 10.84.0.2 10.85.0.2 "$hi_ts")
[ "$n" -gt 0 ] && [ "$n" -le 300 ] && ok "HIGH at the tunnel's echo $n" || bad "HIGH after $n echoes"
grep -q "^[^ ]* 10.84.0.2 > 10.84.0.1 icmp echo request id [0-9]* seq 1 len 56 dent [0-9.]*$" "$dir/dump.txt" &&
	ok "--dump shows echoes" || bad "dump: $(grep -m1 icmp "$dir/dump.txt")"
# a block hook: never asked to block; with isolate_icmp, asked once to isolate the clients
cat >"$dir/hook" <<HOOK
#!/bin/sh
echo "\$* sources=\$DNSEXFIL_SOURCES threat=\$DNSEXFIL_THREAT" >>"$dir/hook.log"
HOOK
chmod +x "$dir/hook"
"$bin" -c "$dir/on.ini" -r "$pcap" -d "$dir/hook.db" --hook "$dir/hook" >/dev/null 2>"$dir/hook.err"
[ ! -s "$dir/hook.log" ] && grep -q "not_dns [1-9]" "$dir/hook.err" &&
	ok "with a block hook: not run, the alert refused as not_dns" || bad "hook: $(cat "$dir/hook.log" 2>/dev/null)"
printf '[response]\nisolate_icmp = yes\n' >>"$dir/on.ini"
"$bin" -c "$dir/on.ini" -r "$pcap" -d "$dir/iso.db" --hook "$dir/hook" >/dev/null 2>"$dir/iso.err"
rows=$(sqlite3 "$dir/iso.db" "select group_concat(action || ' ' || domain || ' ' || state, ';') from blocks")
[ "$(cat "$dir/hook.log" 2>/dev/null)" = "isolate 10.85.0.2 sources=10.84.0.2 threat=ICMP_TUNNEL" ] &&
	[ "$rows" = "isolate 10.85.0.2 done" ] &&
	ok "isolate_icmp = yes: the hook ran once as isolate 10.85.0.2 for 10.84.0.2 ($rows)" ||
	bad "isolate: [$(cat "$dir/hook.log" 2>/dev/null)] [$rows]"
"$bin" -r "$pcap" -d "$dir/off.db" >/dev/null 2>"$dir/off.err" || bad "exit $? with icmp off"
none=$(sqlite3 "$dir/off.db" "select count(*) from alerts")
skipped=$(sqlite3 "$dir/off.db" "select json_extract(malformed, '\$.not_udp_tcp') from sensor_stats order by id desc limit 1")
[ "$none" -eq 0 ] && [ "${skipped:-0}" -ge 3000 ] && ok "icmp = no: nothing decoded ($skipped skipped as not_udp_tcp), no alert" || bad "icmp off: $none alerts, $skipped skipped"
echo "icmp replay: $fails failed"
[ $fails -eq 0 ]
