#!/bin/sh
# notify.sh BIN
# The service manager's protocol (sd_notify(3), Type=notify): a live sensor, given a
# NOTIFY_SOCKET that this test listens on and WATCHDOG_USEC, says READY=1 (with a STATUS)
# once it captures, feeds the watchdog every quarter interval, says RELOADING=1 and READY=1
# around a SIGHUP and STOPPING=1 at SIGTERM. Without the variables it sends nothing. A namespace of its own keeps the interface silent. Skips
# (77) without namespaces.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ns=dxntf$(($$ % 10000))
dir=$(mktemp -d)
chmod 755 "$dir"
cleanup() {
	ip netns pids $ns 2>/dev/null | xargs -r kill -9 2>/dev/null
	[ -f "$dir/l.pid" ] && kill "$(cat "$dir/l.pid")" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add $ns 2>/dev/null || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip -n $ns link set lo up
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# the listener: one line per datagram, newlines inside it shown as '|'
python3 - "$dir/notify" "$dir/msgs" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode(errors="replace").replace("\n", "|") + "\n")
PY
echo $! >"$dir/l.pid"
t=0
while [ ! -S "$dir/notify" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
printf '[log]\nlevel = notice\n' >"$dir/n.ini"
ip netns exec $ns env NOTIFY_SOCKET="$dir/notify" WATCHDOG_USEC=400000 \
	"$bin" -c "$dir/n.ini" -i lo -d "$dir/n.db" 2>"$dir/e" &
pid=$!
sleep 2
kill -HUP $pid
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
sleep 0.2
m=$dir/msgs
[ $rc -eq 0 ] || bad "exit $rc"
head -1 "$m" | grep -q "^READY=1|STATUS=capturing on lo$" && ok "READY=1 first, with the status: $(head -1 "$m")" ||
	bad "first message: $(head -1 "$m")"
n=$(grep -c "^WATCHDOG=1$" "$m")
# 2.5 s at one every 100 ms (a quarter of 400 ms)
[ "$n" -ge 15 ] && [ "$n" -le 30 ] && ok "the watchdog fed $n times in about 2.5 s (every 100 ms)" ||
	bad "the watchdog fed $n times"
grep -q "^RELOADING=1|MONOTONIC_USEC=[0-9]*$" "$m" && grep -A1 "^RELOADING" "$m" | tail -1 | grep -q "^READY=1$" &&
	ok "SIGHUP: RELOADING=1 then READY=1" || bad "SIGHUP: $(grep -v WATCHDOG "$m" | tr '\n' ' ')"
tail -1 "$m" | grep -q "^STOPPING=1$" || grep -q "^STOPPING=1$" "$m" && ok "SIGTERM: STOPPING=1" || bad "no STOPPING=1"
# without the variables, nothing is sent
: >"$m"
ip netns exec $ns "$bin" -c "$dir/n.ini" -i lo -d "$dir/n.db" 2>/dev/null &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
sleep 0.2
[ ! -s "$m" ] && ok "without NOTIFY_SOCKET nothing is sent" || bad "sent without NOTIFY_SOCKET: $(cat "$m")"
[ $fails -eq 0 ] || { sed -n '1,10p' "$dir/e"; cat "$m" | sort | uniq -c; exit 1; }
exit 0
