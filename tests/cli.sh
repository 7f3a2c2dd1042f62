#!/bin/sh
# cli.sh BIN
# The command line as a user meets it: exit statuses from sysexits, one clear error line for
# a bad flag, file or config, several -r files in order, -r - from standard input, -f offline,
# a capture file cut mid-record, and --check-config.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
p=${DX_PCAPS:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1 # the default database, dnsexfild.db, lands here
fails=0
check() { # check NAME EXPECTED_STATUS ACTUAL_STATUS [grep-pattern file]
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: exit $3, expected $2"; fails=$((fails + 1)); return
	fi
	if [ $# -ge 5 ] && ! grep -q -- "$4" "$5"; then
		echo "FAIL $1: '$4' not in output:"; cat "$5"; fails=$((fails + 1)); return
	fi
	echo "ok   $1"
}

"$bin" >/dev/null 2>"$dir/e"; check "no input is a usage error" 64 $? "usage:" "$dir/e"
"$bin" --bogus -r x 2>"$dir/e"; check "unknown flag" 64 $? "usage:" "$dir/e"
"$bin" -r a -i lo 2>"$dir/e"; check "-r with -i" 64 $? "exclude" "$dir/e"
"$bin" -r "$dir/nonexistent.pcap" 2>"$dir/e"; check "missing file" 66 $? "nonexistent.pcap" "$dir/e"
[ "$(wc -l <"$dir/e")" -eq 1 ] && echo "ok   missing file: one line" || { echo "FAIL missing file: not one line"; cat "$dir/e"; fails=$((fails + 1)); }
printf 'not a capture file at all, just text\n' >"$dir/bad.pcap"
"$bin" -r "$dir/bad.pcap" 2>"$dir/e"; check "bad magic" 66 $? "bad.pcap" "$dir/e"
"$bin" -r "$p/link-raw.pcap" -r "$dir/nonexistent.pcap" >"$dir/o" 2>"$dir/e"
check "second file missing fails before reading" 66 $? "nonexistent.pcap" "$dir/e"
[ ! -s "$dir/o" ] && echo "ok   nothing read" || { echo "FAIL read before failing"; fails=$((fails + 1)); }

printf '[capture]\nsnaplen = 12\n' >"$dir/bad.ini"
"$bin" -c "$dir/bad.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
check "bad config value" 78 $? "bad.ini:2: \[capture\] snaplen: bad value '12'" "$dir/e"
printf '[capture]\nsnaplen = 1500\n[capture]\nwat = 1\n' >"$dir/bad2.ini"
"$bin" -c "$dir/bad2.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
check "unknown config key" 78 $? "bad2.ini:4: \[capture\] wat: unknown key" "$dir/e"
"$bin" -c "$dir/none.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
check "missing config" 78 $? "none.ini: cannot open" "$dir/e"
printf '[capture]\nfile = %s\nsnaplen = 2000\n' "$p/link-raw.pcap" >"$dir/good.ini"
"$bin" -c "$dir/good.ini" --check-config >"$dir/o" 2>"$dir/e"
check "check-config" 0 $? "snaplen = 2000" "$dir/o"
"$bin" -c "$dir/good.ini" --dump >"$dir/o" 2>"$dir/e"
check "input from config" 0 $? "www.Example.com" "$dir/o"
"$bin" -c "$dir/good.ini" -r "$p/link-sll2.pcap" --dump >"$dir/o" 2>"$dir/e"
check "-r replaces the config's file" 0 $? "2 DNS messages" "$dir/e"

"$bin" -r "$p/link-raw.pcap" -r "$p/link-sll.pcap" -r "$p/link-ethernet.pcap" --dump >"$dir/o" 2>"$dir/e"
check "three files" 0 $? "11 DNS messages: 8 queries, 3 responses" "$dir/e"
{ "$bin" -r "$p/link-raw.pcap" --dump; "$bin" -r "$p/link-sll.pcap" --dump; "$bin" -r "$p/link-ethernet.pcap" --dump; } >"$dir/o2" 2>/dev/null
cmp -s "$dir/o" "$dir/o2" && echo "ok   files read in order" || { echo "FAIL files out of order"; fails=$((fails + 1)); }

"$bin" -r - --dump <"$p/vxlan-mirror.pcap" >"$dir/o" 2>"$dir/e"
check "stdin" 0 $? "vni 123" "$dir/o"
"$bin" -r "$p/vxlan-mirror.pcap" --dump >"$dir/o2" 2>/dev/null
cmp -s "$dir/o" "$dir/o2" && echo "ok   stdin equals file" || { echo "FAIL stdin differs"; fails=$((fails + 1)); }
"$bin" -r "$p/link-raw.pcap" -r - <"$p/link-raw.pcap" 2>"$dir/e"
check "stdin only first" 66 $? "standard input must be the first" "$dir/e"

"$bin" -r "$p/link-ethernet.pcap" -f 'udp and src port 53' --dump >"$dir/o" 2>"$dir/e"
check "offline BPF" 0 $? "1 DNS messages: 0 queries, 1 responses" "$dir/e"
"$bin" -r "$p/link-ethernet.pcap" -f 'udp and and' 2>"$dir/e"
check "bad BPF" 66 $? "filter 'udp and and'" "$dir/e"

# A capture cut in the middle of a record: what came before is kept, the status says so.
size=$(wc -c <"$p/iodine-pirate-sea.pcap")
head -c $((size - 100)) "$p/iodine-pirate-sea.pcap" >"$dir/cut.pcap"
"$bin" -r "$dir/cut.pcap" --dump >"$dir/o" 2>"$dir/e"
check "truncated file" 1 $? "truncated" "$dir/e"
[ "$(wc -l <"$dir/o")" -gt 400 ] && echo "ok   records before the cut kept" || { echo "FAIL lost records"; fails=$((fails + 1)); }

"$bin" -V >"$dir/o"; check "version" 0 $? "dnsexfild" "$dir/o"
"$bin" -r "$p/link-raw.pcap" -w "$dir/w.pcap" 2>"$dir/e"; check "-w needs -i" 64 $? "-w goes with -i" "$dir/e"

# The database and the report command
rm -f dnsexfild.db
"$bin" -r "$p/iodine-pirate-sea.pcap" 2>"$dir/e"; check "default database" 0 $? "database dnsexfild.db" "$dir/e"
[ -f dnsexfild.db ] && echo "ok   dnsexfild.db created in the current directory" || { echo "FAIL no dnsexfild.db"; fails=$((fails + 1)); }
# by default one incident per tunnel, its detectors as reasons; --alerts the detector rows
"$bin" report >"$dir/o" 2>"$dir/e"; check "report: the incident" 0 $? "pirate.sea  *CRITICAL *DNS_TUNNEL .*ENCODED_SUBDOMAIN:HIGH" "$dir/o"
[ "$(grep -c pirate.sea "$dir/o")" = 1 ] && echo "ok   report: one line for the tunnel" || { echo "FAIL report lines"; cat "$dir/o"; fails=$((fails + 1)); }
head -1 "$dir/o" | grep -q "^APEX  *SEVERITY  *THREAT  *FIRST SEEN  *DETECTED  *QUERIES  *UNIQUE  *SOURCES  *EST.BYTES  *ENCODING  *BLOCK  *STATUS  *REASONS$" && echo "ok   report header" || { echo "FAIL report header"; head -1 "$dir/o"; fails=$((fails + 1)); }
"$bin" report --json >"$dir/o" 2>"$dir/e"; check "report --json: the incident" 0 $? '"threat":"DNS_TUNNEL"' "$dir/o"
python3 -c 'import json,sys; i = json.loads(open(sys.argv[1]).readline()); assert len(i["reasons"]) >= 3 and i["top_qtype"] == "NULL" and "T1572" in i["techniques"] and i["samples"] and i["clients"]' "$dir/o" && echo "ok   report --json: reasons, type, techniques, samples, clients" || { echo "FAIL incident json"; cat "$dir/o"; fails=$((fails + 1)); }
"$bin" report --alerts >"$dir/o" 2>"$dir/e"; check "report --alerts table" 0 $? "pirate.sea  *HIGH *ENCODED_SUBDOMAIN" "$dir/o"
head -1 "$dir/o" | grep -q "^APEX  *SEVERITY  *THREAT  *FIRST SEEN  *DETECTED  *QUERIES  *UNIQUE  *SOURCES  *EST.BYTES  *ENCODING  *BLOCK  *STATUS$" && echo "ok   report --alerts header" || { echo "FAIL report --alerts header"; head -1 "$dir/o"; fails=$((fails + 1)); }
"$bin" report -d dnsexfild.db --alerts --json --severity high --limit 2 >"$dir/o" 2>"$dir/e"; check "report json" 0 $? '"apex":"pirate.sea"' "$dir/o"
[ "$(wc -l <"$dir/o")" -eq 2 ] && echo "ok   --limit 2" || { echo "FAIL --limit"; fails=$((fails + 1)); }
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$dir/o" && echo "ok   report --json lines parse" || { echo "FAIL json"; fails=$((fails + 1)); }
# the same capture replayed again into the same database: a new run, not twice the report
"$bin" -q -r "$p/iodine-pirate-sea.pcap" 2>/dev/null
"$bin" report >"$dir/o"; [ "$(grep -c pirate.sea "$dir/o")" = 1 ] && echo "ok   a second replay of the input: still one incident" || { echo "FAIL after a second replay:"; cat "$dir/o"; fails=$((fails + 1)); }
[ "$("$bin" report --alerts | grep -c pirate.sea)" = 5 ] && echo "ok   ... and its five alerts once" || { echo "FAIL alerts after a second replay"; fails=$((fails + 1)); }
"$bin" report --run 1 --json >"$dir/o"; check "report --run 1: the first run's" 0 $? '"run_id":1,' "$dir/o"
[ "$(sqlite3 dnsexfild.db "select count(*) from incidents")" = 2 ] && echo "ok   both runs kept" || { echo "FAIL runs kept"; fails=$((fails + 1)); }
"$bin" report --run x 2>"$dir/e"; check "report bad run" 64 $? "--run 'x'" "$dir/e"
"$bin" report --apex nosuch.example >"$dir/o"; check "report filter" 0 $? "(no incidents)" "$dir/o"
"$bin" report --alerts --apex nosuch.example >"$dir/o"; check "report --alerts filter" 0 $? "(no alerts)" "$dir/o"
"$bin" report --severity loud 2>"$dir/e"; check "report bad severity" 64 $? "--severity 'loud'" "$dir/e"
"$bin" report --since tomorrow 2>"$dir/e"; check "report bad since" 64 $? "--since 'tomorrow'" "$dir/e"
"$bin" report -d "$dir/none.db" 2>"$dir/e"; check "report missing db" 66 $? "none.db" "$dir/e"
"$bin" report -d "$dir/bad.pcap" 2>"$dir/e"; check "report not a database" 65 $? "bad.pcap" "$dir/e"
"$bin" report --help >"$dir/o" 2>&1; check "report --help is the report's usage" 0 $? "usage: dnsexfild report" "$dir/o"
grep -q -- "--status" "$dir/o" && ! grep -q -- "--check-config" "$dir/o" && echo "ok   report --help lists its own flags" ||
	{ echo "FAIL report --help"; cat "$dir/o"; fails=$((fails + 1)); }
"$bin" report --bogus 2>"$dir/e"; check "report bad flag: the report's usage" 64 $? "usage: dnsexfild report" "$dir/e"
"$bin" report --status maybe 2>"$dir/e"; check "report bad status" 64 $? "--status 'maybe'" "$dir/e"
# allowlisted alerts are stored, but not threats: apart in the summary, not in the default report
printf 'pirate.sea\n' >"$dir/pal.txt"
printf '[detect]\nallowlist = %s/pal.txt\n' "$dir" >"$dir/pal.ini"
"$bin" -c "$dir/pal.ini" -r "$p/iodine-pirate-sea.pcap" -d "$dir/pal.db" -q 2>"$dir/e"
check "allowlisted: summary" 0 $? "alerts CRITICAL 0, HIGH 0, MEDIUM 0, LOW 0, allowlisted [1-9]" "$dir/e"
"$bin" report -d "$dir/pal.db" >"$dir/o"; check "allowlisted: not in the default report" 0 $? "(no incidents)" "$dir/o"
"$bin" report -d "$dir/pal.db" --status allowlisted >"$dir/o"; check "report --status allowlisted" 0 $? "pirate.sea .* allowlisted  " "$dir/o"
"$bin" report -d "$dir/pal.db" --alerts --status allowlisted >"$dir/o"; check "report --alerts --status allowlisted" 0 $? "pirate.sea .* allowlisted$" "$dir/o"
"$bin" report -d "$dir/pal.db" --status all --json >"$dir/o"; check "report --status all" 0 $? '"status":"allowlisted"' "$dir/o"
[ "$(sqlite3 "$dir/pal.db" "select count(*) from alerts where status != 'allowlisted'")" = 0 ] && echo "ok   allowlisted: stored with status allowlisted" ||
	{ echo "FAIL allowlisted status"; fails=$((fails + 1)); }
for q in "$p"/../contrib/sql/*.sql; do
	sqlite3 -bail dnsexfild.db <"$q" >"$dir/o" 2>&1 && [ -s "$dir/o" ] && echo "ok   $(basename "$q") runs" || { echo "FAIL $(basename "$q"):"; cat "$dir/o"; fails=$((fails + 1)); }
done
sqlite3 dnsexfild.db "PRAGMA integrity_check" >"$dir/o" 2>&1 && grep -q "^ok$" "$dir/o" && echo "ok   integrity_check" || { echo "FAIL integrity"; fails=$((fails + 1)); }
n1=$(sqlite3 dnsexfild.db "select count(*) from runs")
"$bin" -r "$p/link-raw.pcap" 2>/dev/null
n2=$(sqlite3 dnsexfild.db "select count(*) from runs where end_wall is not null")
[ "$n2" -eq $((n1 + 1)) ] && echo "ok   one runs row per start, ended" || { echo "FAIL runs $n1 $n2"; fails=$((fails + 1)); }
"$bin" -r "$p/link-raw.pcap" -d /nonexistent-dir/x.db 2>"$dir/e"; check "unwritable database" 73 $? "/nonexistent-dir/x.db: cannot open database" "$dir/e"
# a replay reads while the rest is set up: set-up failing with ring A full must still end
printf '[capture]\nring_a_mb = 1\n' >"$dir/ra1.ini"
set -- ; for i in $(seq 24); do set -- "$@" -r "$p/iodine-pirate-sea.pcap"; done # 1.8 MB
timeout -k 5 20 "$bin" -c "$dir/ra1.ini" "$@" -d /nonexistent-dir/x.db 2>"$dir/e"
check "unwritable database, ring A full" 73 $? "/nonexistent-dir/x.db: cannot open database" "$dir/e"
# [store] synchronous: a replay leaves writing back to the kernel unless told otherwise (no
# fsync at all); normal syncs the database at its checkpoints
printf '[store]\nsynchronous = sometimes\n' >"$dir/sy.ini"
"$bin" -c "$dir/sy.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
check "bad synchronous" 78 $? "sy.ini:2: \[store\] synchronous: bad value 'sometimes' (expected auto, normal or off)" "$dir/e"
if command -v strace >/dev/null 2>&1; then
	syncs() { # syncs [CONFIG]: fsync and fdatasync calls of a replay into a new database
		rm -f "$dir"/sy.db*
		strace -f -c -o "$dir/st" -e trace=fsync,fdatasync "$bin" ${1:+-c "$1"} \
			-r "$p/iodine-pirate-sea.pcap" -d "$dir/sy.db" 2>/dev/null
		awk '$NF == "fsync" || $NF == "fdatasync" {n += $4} END {print n + 0}' "$dir/st"
	}
	n_auto=$(syncs)
	printf '[store]\nsynchronous = normal\n' >"$dir/sy.ini"
	n_normal=$(syncs "$dir/sy.ini")
	printf '[store]\nsynchronous = off\n' >"$dir/sy.ini"
	n_off=$(syncs "$dir/sy.ini")
	if [ "$n_auto" -eq 0 ] && [ "$n_off" -eq 0 ] && [ "$n_normal" -gt 0 ]; then
		echo "ok   synchronous: a replay $n_auto fsyncs, off $n_off, normal $n_normal"
	else
		echo "FAIL synchronous: auto $n_auto, off $n_off, normal $n_normal fsyncs"
		fails=$((fails + 1))
	fi
	[ "$(sqlite3 "$dir/sy.db" 'pragma integrity_check')" = ok ] && echo "ok   synchronous off: integrity" ||
		{ echo "FAIL synchronous off: integrity"; fails=$((fails + 1)); }
else
	echo "FAIL strace is not installed (tests/deps.sh installs it)"; fails=$((fails + 1))
fi
printf '[detect]\nallowlist = %s/missing.txt\n' "$dir" >"$dir/al.ini"
"$bin" -c "$dir/al.ini" -r "$p/link-raw.pcap" 2>"$dir/e"; check "missing allowlist" 78 $? "missing.txt: cannot open an allowlist" "$dir/e"
printf 'good.example\nnot a domain!\n' >"$dir/al.txt"
printf '[detect]\nallowlist = %s/al.txt\n' "$dir" >"$dir/al.ini"
"$bin" -c "$dir/al.ini" -r "$p/link-raw.pcap" 2>"$dir/e"; check "bad allowlist line" 78 $? "al.txt:2: 'not\\\\032a\\\\032domain!' is not a host name" "$dir/e"
[ "$(wc -l <"$dir/e")" -eq 1 ] && echo "ok   bad allowlist line: one line" || { echo "FAIL bad allowlist: not one line"; cat "$dir/e"; fails=$((fails + 1)); }
# what an allowlist may not be: each refused in one line naming the file (and line), exit 78,
# at start and by --check-config alike; /dev/zero and a FIFO must not hang start-up
mkfifo "$dir/fifo"
for bad in "co.uk:1: 'co.uk' is a public suffix" "com:1: 'com' is a single label" \
	"github.io:1: 'github.io' is a public suffix" "-bad.com:1: '-bad.com' has a label" \
	"a..b:1: 'a..b' has an empty label"; do
	printf '%s\n' "${bad%%:*}" >"$dir/al.txt"
	for how in start check; do
		if [ $how = start ]; then
			timeout 10 "$bin" -c "$dir/al.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
		else
			timeout 10 "$bin" -c "$dir/al.ini" --check-config >/dev/null 2>"$dir/e"
		fi
		check "allowlist entry ${bad%%:*} refused ($how)" 78 $? "al.txt:${bad#*:}" "$dir/e"
	done
done
for f in "$dir" /dev/zero "$dir/fifo"; do
	printf '[detect]\nallowlist = %s\n' "$f" >"$dir/alf.ini"
	timeout 10 "$bin" -c "$dir/alf.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
	check "allowlist $f refused" 78 $? "$f: is " "$dir/e"
done
# the built-in list is on by default and --check-config says so; it can be switched off
"$bin" -c /dev/null --check-config >"$dir/o" 2>"$dir/e"
check "check-config: built-in allowlist on" 0 $? "allowlist: [1-9][0-9]* entries (built-in list on)" "$dir/e"
grep -q '^builtin_allowlist = yes' "$dir/o" && echo "ok   check-config prints builtin_allowlist" ||
	{ echo "FAIL builtin_allowlist not printed"; fails=$((fails + 1)); }
printf 'mine.example\n' >"$dir/al.txt"
printf '[detect]\nbuiltin_allowlist = no\nallowlist = %s/al.txt\n' "$dir" >"$dir/off.ini"
"$bin" -c "$dir/off.ini" --check-config >/dev/null 2>"$dir/e"
check "check-config: built-in off, the file's entry" 0 $? "allowlist: 1 entries (built-in list off, and $dir/al.txt)" "$dir/e"
printf '[detect]\nhf_high = 10\n' >"$dir/hf.ini"
"$bin" -c "$dir/hf.ini" -r "$p/link-raw.pcap" 2>"$dir/e"; check "inconsistent thresholds: file, line and key" 78 $? "hf.ini:2: \[detect\] hf_high: hf_medium (20) must be below hf_high (10)" "$dir/e"
# operator text reaches the terminal without control bytes: a path with an escape sequence
esc=$(printf '\033')
"$bin" -c "$dir/x${esc}[31mred.ini" -r "$p/link-raw.pcap" 2>"$dir/e"
check "a path with ESC in an error line" 78 $? "x?\[31mred.ini: cannot open" "$dir/e"
! grep -q "$esc" "$dir/e" && echo "ok   ... and no ESC byte reached the terminal" || { echo "FAIL raw ESC in the error line"; fails=$((fails + 1)); }
printf '[detect]\nallowlist = %s/a%sb.txt\n' "$dir" "$esc" >"$dir/escal.ini"
"$bin" -c "$dir/escal.ini" --check-config >/dev/null 2>"$dir/e"
check "an allowlist path with ESC" 78 $? "a?b.txt: cannot open an allowlist" "$dir/e"
# --check-config refuses what start refuses (it validated nothing without an input)
"$bin" -c "$dir/hf.ini" --check-config >/dev/null 2>"$dir/e"; check "check-config: inconsistent thresholds" 78 $? "hf.ini:2: \[detect\] hf_high: hf_medium (20) must be below hf_high (10)" "$dir/e"
printf '[response]\nhook = %s/nohook\n' "$dir" >"$dir/nh.ini"
"$bin" -c "$dir/nh.ini" --check-config >/dev/null 2>"$dir/e"; check "check-config: hook not executable" 78 $? "\[response\] hook: $dir/nohook: No such file" "$dir/e"
"$bin" -c "$dir/nh.ini" -r "$p/link-raw.pcap" 2>"$dir/e"; check "start: hook not executable" 78 $? "\[response\] hook: $dir/nohook: No such file" "$dir/e"
# what inih would take wrong without a word: each one line naming file, line and key
printf '[detect]\nhf_high = 60\nhf_high = 70\n' >"$dir/dup.ini"
"$bin" -c "$dir/dup.ini" --check-config >/dev/null 2>"$dir/e"; check "duplicate key" 78 $? "dup.ini:3: \[detect\] hf_high: duplicate key" "$dir/e"
printf '[capture]\nfile = a.pcap\nfile = b.pcap\n' >"$dir/twofiles.ini"
"$bin" -c "$dir/twofiles.ini" --check-config >"$dir/o" 2>"$dir/e"; check "a repeated file key is not a duplicate" 0 $? "file = b.pcap" "$dir/o"
printf '[capture]\nbpf = udp\000 port 53\n' >"$dir/nul.ini"
"$bin" -c "$dir/nul.ini" --check-config >/dev/null 2>"$dir/e"; check "NUL in a value" 78 $? "nul.ini:2: a NUL byte" "$dir/e"
{ printf '[capture]\nbpf = '; head -c 300 /dev/zero | tr '\0' 'x'; printf '\n'; } >"$dir/long.ini"
"$bin" -c "$dir/long.ini" --check-config >/dev/null 2>"$dir/e"; check "line over 198 characters" 78 $? "long.ini:2: line longer than the 198" "$dir/e"
mkfifo "$dir/cfg.fifo"
for f in "$dir" "$dir/cfg.fifo" /dev/zero; do
	timeout 10 "$bin" -c "$f" --check-config >/dev/null 2>"$dir/e"
	check "config $f refused, no hang" 78 $? "$f" "$dir/e"
done
[ "$(wc -l <"$dir/e")" -eq 1 ] && echo "ok   /dev/zero as config: one line" || { echo "FAIL /dev/zero config"; cat "$dir/e"; fails=$((fails + 1)); }
# stderr is the journal (systemd names it in JOURNAL_STREAM): each line carries its syslog
# priority, so journalctl -p works; a stderr elsewhere gets none
: >"$dir/journal"
JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/journal") "$bin" -r "$p/iodine-pirate-sea.pcap" -d "$dir/j.db" 2>>"$dir/journal" >/dev/null
grep -q '^<5>dnsexfild\[detect\] notice: HIGH' "$dir/journal" && ! grep -q '^dnsexfild\[' "$dir/journal" &&
	echo "ok   journal: lines carry their priority (<5> notice)" || { echo "FAIL journal priorities"; head -3 "$dir/journal"; fails=$((fails + 1)); }
JOURNAL_STREAM=1:1 "$bin" -r "$p/iodine-pirate-sea.pcap" -d "$dir/j.db" 2>"$dir/e" >/dev/null
grep -q '^dnsexfild\[detect\] notice' "$dir/e" && ! grep -q '^<' "$dir/e" && echo "ok   journal: none when stderr is elsewhere" ||
	{ echo "FAIL JOURNAL_STREAM of another stream"; fails=$((fails + 1)); }

# Blocking through the sensor: a hook that records its calls; HIGH alerts become blocks rows
cat >"$dir/hook" <<'HOOK'
#!/bin/sh
echo "$* $DNSEXFIL_APEX $DNSEXFIL_SEVERITY" >>"$HOOK_LOG"
HOOK
chmod +x "$dir/hook"
HOOK_LOG="$dir/hook.log" "$bin" -r "$p/iodine-pirate-sea.pcap" -d "$dir/b.db" --hook "$dir/hook" 2>"$dir/e"
check "hook run by the sensor" 0 $? "response: 1 blocks requested, 1 done" "$dir/e"
grep -qx "add pirate.sea \*.pirate.sea pirate.sea HIGH" "$dir/hook.log" && echo "ok   hook argv and env" || { echo "FAIL hook log:"; cat "$dir/hook.log"; fails=$((fails + 1)); }
[ "$(sqlite3 "$dir/b.db" "select group_concat(domain||':'||state, ' ') from blocks")" = "pirate.sea:done *.pirate.sea:done" ] && echo "ok   blocks rows" || { echo "FAIL blocks rows"; sqlite3 "$dir/b.db" "select * from blocks"; fails=$((fails + 1)); }
[ "$(sqlite3 "$dir/b.db" "select count(*) from alerts where status = 'blocked'")" -ge 1 ] && echo "ok   alerts marked blocked" || { echo "FAIL alert status"; fails=$((fails + 1)); }
"$bin" report -d "$dir/b.db" | grep -q " done  *blocked" && echo "ok   report shows the block" || { echo "FAIL report block state"; fails=$((fails + 1)); }
"$bin" -r "$p/iodine-pirate-sea.pcap" -d "$dir/c.db" --dry-run 2>"$dir/e"
check "dry run" 0 $? "1 dry run" "$dir/e"
"$bin" -r "$p/link-raw.pcap" -d "$dir/c.db" --hook "$dir/nonexistent-hook" 2>"$dir/e"
check "hook not executable" 64 $? "nonexistent-hook" "$dir/e"

# Hooks that misbehave while the sensor runs: capture and detection go on, the run ends
# normally, and the blocks rows say what happened.
printf '[response]\nhook_retries = 0\nhook_timeout_ms = 500\n' >"$dir/hk.ini"
printf '#!/bin/sh\nexec sleep 1000\n' >"$dir/hang"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$dir/crash"
printf '#!/bin/sh\nhead -c 5000000 /dev/zero | tr "\\0" x >&2\nexit 3\n' >"$dir/chatty"
chmod +x "$dir/hang" "$dir/crash" "$dir/chatty"
for h in "hang:killed after 500 ms" "crash:^139 " "chatty:^3 xxxxxxxx"; do
	name=${h%%:*} want=${h#*:}
	rm -f "$dir/h.db"*
	timeout 60 "$bin" -q -c "$dir/hk.ini" -r "$p/iodine-pirate-sea.pcap" -d "$dir/h.db" \
		--hook "$dir/$name" 2>"$dir/e"
	rc=$?
	st=$(sqlite3 "$dir/h.db" "select group_concat(state, ' ') from blocks")
	msg=$(sqlite3 "$dir/h.db" "select hook_exit || ' ' || substr(hook_stderr, 1, 200) from blocks limit 1")
	if [ $rc = 0 ] && grep -q "^434 DNS messages" "$dir/e" && [ "$st" = "failed failed" ] &&
		echo "$msg" | grep -q -- "$want"; then
		echo "ok   a $name hook: run completes, blocks rows failed ($(echo "$msg" | cut -c1-40))"
	else
		echo "FAIL $name hook: exit $rc, blocks '$st', '$msg'"; fails=$((fails + 1))
	fi
done
# shutdown_ms bounds the end of a replay also while a hook runs (it waited for the hook's
# whole hook_timeout_ms: 60 s here); the block is recorded as failed
printf '[response]\nhook_timeout_ms = 60000\nshutdown_ms = 1000\n' >"$dir/sd.ini"
rm -f "$dir/h.db"*
t0=$(date +%s%N)
timeout 60 "$bin" -q -c "$dir/sd.ini" -r "$p/iodine-pirate-sea.pcap" -d "$dir/h.db" --hook "$dir/hang" 2>"$dir/e"
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
st=$(sqlite3 "$dir/h.db" "select group_concat(state || ':' || hook_stderr, ' ') from blocks")
if [ $rc = 0 ] && [ $ms -lt 5000 ] && echo "$st" | grep -q "failed:dnsexfild: killed at shutdown"; then
	echo "ok   shutdown_ms bounds a running hook: ${ms} ms"
else
	echo "FAIL shutdown with a running hook: exit $rc after $ms ms, '$st'"; fails=$((fails + 1))
fi

# a refused block is said in the alert itself: the iodine tunnel under a protect zone is HIGH,
# no block is requested, and each alert's details name the reason
printf '[response]\nprotect = pirate.sea\n' >"$dir/pr.ini"
rm -f "$dir"/pr.db*
"$bin" -c "$dir/pr.ini" -q -r "$p/iodine-pirate-sea.pcap" -d "$dir/pr.db" --dry-run 2>/dev/null
why=$(sqlite3 "$dir/pr.db" "select group_concat(distinct json_extract(details, '$.not_blocked')) from alerts where severity in ('HIGH', 'CRITICAL')")
nb=$(sqlite3 "$dir/pr.db" "select count(*) from blocks")
[ "$why" = protected ] && [ "$nb" = 0 ] && echo "ok   a refused block: no request, the alerts say not_blocked: protected" ||
	{ echo "FAIL refused block: not_blocked '$why', $nb blocks"; fails=$((fails + 1)); }

echo "cli: $fails failed"
[ "$fails" -eq 0 ]
