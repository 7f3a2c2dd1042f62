#!/bin/sh
# rows.sh BUILD_DIR OUT_DIR [CAPTURE...]
# The project's "rows identical" check: replays each capture (default: every capture in pcaps/,
# ../shared/pcaps and the corpora under $BENCH_DIR) with --dry-run into a fresh database and
# writes, per capture, the alert, window-stats and block rows (without the columns that hold
# wall time or run ids), the --dump output and the summary's counter lines to OUT_DIR.
# Compare two builds with: diff -r OUT_A OUT_B. Not a test: run it by hand before and after a
# change that must not change behaviour. Extra flags for dnsexfild: $DX_FLAGS.
set -eu
DX_FLAGS=${DX_FLAGS:-}
build=$1
out=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${DX_SHARED:-$root/../shared}
bin=$build/sensor/dnsexfild
mkdir -p "$out"
if [ $# -eq 0 ]; then
	set -- "$root"/pcaps/*.pcap* "$shared"/pcaps/*/*.pcap* ${BENCH_DIR:+"$BENCH_DIR"/*.pcap}
fi
db=$(mktemp -u /tmp/dx-rows.XXXXXX).db
for f in "$@"; do
	name=$(basename "$(dirname "$f")")_$(basename "$f")
	rm -f "$db" "$db-wal" "$db-shm"
	# shellcheck disable=SC2086
	"$bin" -r "$f" -d "$db" --dry-run -q $DX_FLAGS 2>"$out/$name.summary" >/dev/null || true
	sed -i -e '/ s wall, /d' -e '/^CPU: /d' -e '/^ring full: /d' -e "s|$db|DB|" "$out/$name.summary"
	"$bin" -r "$f" -d /dev/null --dump -q $DX_FLAGS 2>/dev/null >"$out/$name.dump" || true
	sqlite3 "$db" >"$out/$name.rows" <<'SQL'
.mode list
select 'alert', id, apex, threat_type, severity, score, first_ts, detected_ts, last_ts,
  query_count, unique_subdomains, source_count, est_bytes, encoding, top_qtype, sample_qname,
  sources, vni, details, status from alerts order by id;
select 'win', * from apex_window_stats order by apex, window_start_ts;
select 'block', id, domain, apex, alert_id, action, requested_ts, expires_ts, state
  from blocks order by id;
SQL
done
rm -f "$db" "$db-wal" "$db-shm"
