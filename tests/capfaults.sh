#!/bin/sh
# capfaults.sh BIN
# Broken capture files, made here from pcaps/link-ethernet.pcap (8 frames, 5 DNS messages):
# a bad magic number, a file header or a record cut short at many offsets, a zero and a huge
# snaplen in the file header, a record claiming a 2 GiB capture length, a record whose
# captured length exceeds its wire length, timestamps going backwards, a pcapng file cut
# mid-block. Each must end with a clear status (0 read, 1 read error after what came before,
# 66 not a capture file) within 20 s, never a crash or a hang; what could be read is read.
set -u
bin=$1
p=${DX_PCAPS:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

python3 - "$p/link-ethernet.pcap" "$p/format-pcapng.pcapng" "$dir" <<'PY'
import struct, sys
src = open(sys.argv[1], 'rb').read()
ng = open(sys.argv[2], 'rb').read()
d = sys.argv[3]
hdr, body = src[:24], src[24:]
magic, vmaj, vmin, tz, sig, snap, dlt = struct.unpack('<IHHiIII', hdr)
def fh(snaplen):
    return struct.pack('<IHHiIII', magic, vmaj, vmin, tz, sig, snaplen, dlt)
recs, o = [], 0
while o < len(body):
    cl = struct.unpack('<I', body[o + 8:o + 12])[0]
    recs.append(body[o:o + 16 + cl])
    o += 16 + cl
def w(name, data):
    open('%s/%s' % (d, name), 'wb').write(data)
w('magic.pcap', b'\xd4\xc3\xb2\xa0' + src[4:])
w('snap0.pcap', fh(0) + body)
w('snaphuge.pcap', fh(0xFFFFFFFF) + body)
w('caphuge.pcap', src + struct.pack('<IIII', 1, 0, 0x7FFFFFF0, 0x7FFFFFF0) + b'\0' * 64)
r = recs[0]
w('caplen_gt_len.pcap', hdr + r[:12] + struct.pack('<I', 10) + r[16:] + b''.join(recs[1:]))
w('backwards.pcap', hdr + b''.join(reversed(recs)))
for cut in list(range(0, 24, 3)) + list(range(24, len(src), 9)):
    w('cut-%04d.pcap' % cut, src[:cut])
w('ng-cut.pcapng', ng[:len(ng) * 2 // 3])
PY

# run FILE: sets rc and leaves stderr in $dir/e; a timeout or a signal is a failure
run() {
	timeout 20 "$bin" -r "$1" -d "$dir/x.db" --dump >"$dir/o" 2>"$dir/e"
	rc=$?
	case $rc in
	0 | 1 | 66) ;;
	124) bad "$(basename "$1"): hung (killed after 20 s)" ;;
	*) bad "$(basename "$1"): exit $rc"; head -n 5 "$dir/e" ;;
	esac
}
msgs() { sed -n 's/^\([0-9]*\) DNS messages.*/\1/p' "$dir/e"; }
expect() { # expect FILE STATUS MESSAGES [pattern]
	run "$dir/$1"
	[ "$rc" = "$2" ] || { bad "$1: exit $rc, expected $2"; return; }
	[ "$3" = - ] || [ "$(msgs)" = "$3" ] || { bad "$1: $(msgs) DNS messages, expected $3"; return; }
	[ $# -lt 4 ] || grep -q -- "$4" "$dir/e" || { bad "$1: '$4' not said:"; cat "$dir/e"; return; }
	echo "ok   $1: exit $rc${4:+, says '$4'}"
}

expect magic.pcap 66 - "magic.pcap"
[ "$(wc -l <"$dir/e")" -eq 1 ] || bad "bad magic: more than one line"
expect snap0.pcap 0 5
expect snaphuge.pcap 0 5
expect caphuge.pcap 1 5 "capture length"
expect caplen_gt_len.pcap 0 5
expect backwards.pcap 0 5 "7 stamped earlier than a frame before them"
expect ng-cut.pcapng 1 - "truncated"

n=0
for f in "$dir"/cut-*.pcap; do
	run "$f"
	n=$((n + 1))
done
echo "ok   $n cuts of the file header and records: each a clear status, none hung or crashed"

echo "capfaults: $fails failed"
[ "$fails" -eq 0 ]
