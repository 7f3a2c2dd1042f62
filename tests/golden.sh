#!/bin/sh
# golden.sh BIN PCAP EXPECTED
# dnsexfild --dump over PCAP: the dump, the summary (less its timing line) and the exit status
# must equal EXPECTED byte for byte. DX_REGEN=1 rewrites EXPECTED instead (review the diff!).
set -u
bin=$1 pcap=$2 exp=$3
out=$(mktemp) err=$(mktemp) db=$(mktemp -d)
trap 'rm -rf "$out" "$err" "$db"' EXIT
"$bin" -r "$pcap" -d "$db/golden.db" --dump >"$out" 2>"$err"
echo "exit $?" >>"$out"
grep -v -e ' s wall, ' -e '^CPU: ' -e '^database ' "$err" >>"$out"
if [ -n "${DX_REGEN:-}" ]; then
	cp "$out" "$exp"
	exit 0
fi
diff -u "$exp" "$out"
