#!/bin/sh
# test_unbound.sh HOOK
# contrib/hooks/unbound-block against a real unbound on loopback with a remote-control socket:
# after "add" a name under the apex gets NXDOMAIN while another name still resolves; after
# "remove" it resolves again. Skips (77) without unbound, unbound-control or dig.
set -u
. "$(dirname "$0")/../unbound_conf.sh"
hook=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
for t in unbound unbound-control dig; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
dir=$(mktemp -d)
port=$((20000 + $$ % 20000))
{ unbound_server "$dir" 127.0.0.1 $port 127.0.0.0/8; cat <<CONF
	local-zone: "lab.test." static
	local-data: "x.t1.lab.test. 60 IN A 10.0.0.1"
	local-data: "t1.lab.test. 60 IN A 10.0.0.2"
	local-data: "ok.lab.test. 60 IN A 10.0.0.3"
remote-control:
	control-enable: yes
	control-interface: "$dir/unbound.ctl"
	control-use-cert: no
CONF
} >"$dir/unbound.conf"
unbound -d -c "$dir/unbound.conf" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
fails=0
q() { dig +short +tries=1 +time=2 @127.0.0.1 -p $port "$1" A; }
rc() { dig +tries=1 +time=2 @127.0.0.1 -p $port "$1" A | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
for i in $(seq 50); do [ "$(q ok.lab.test)" = 10.0.0.3 ] && break; sleep 0.1; done
[ "$(q x.t1.lab.test)" = 10.0.0.1 ] && echo "ok   resolves before the block" || { echo "FAIL before"; fails=$((fails + 1)); }
export UNBOUND_CONTROL_CONF="$dir/unbound.conf"
"$hook" add t1.lab.test '*.t1.lab.test' 2>"$dir/err" && echo "ok   hook add exit 0" || { echo "FAIL add:"; cat "$dir/err"; fails=$((fails + 1)); }
[ "$(rc x.t1.lab.test)" = NXDOMAIN ] && echo "ok   x.t1.lab.test NXDOMAIN" || { echo "FAIL not blocked: $(rc x.t1.lab.test)"; fails=$((fails + 1)); }
[ "$(rc t1.lab.test)" = NXDOMAIN ] && echo "ok   the apex itself NXDOMAIN" || { echo "FAIL apex not blocked"; fails=$((fails + 1)); }
[ "$(q ok.lab.test)" = 10.0.0.3 ] && echo "ok   other names still resolve" || { echo "FAIL collateral"; fails=$((fails + 1)); }
"$hook" remove t1.lab.test '*.t1.lab.test' 2>"$dir/err" && echo "ok   hook remove exit 0" || { echo "FAIL remove:"; cat "$dir/err"; fails=$((fails + 1)); }
[ "$(q x.t1.lab.test)" = 10.0.0.1 ] && echo "ok   resolves again after remove" || { echo "FAIL still blocked"; fails=$((fails + 1)); }
"$hook" add 'x;touch /tmp/pwned.com' 2>/dev/null && { echo "FAIL accepted a hostile name"; fails=$((fails + 1)); } || echo "ok   hostile name refused"
UNBOUND_CONTROL_CONF="$dir/none.conf" "$hook" add t9.lab.test 2>"$dir/err" && { echo "FAIL no error without a server"; fails=$((fails + 1)); } || echo "ok   unreachable control: exit non-zero ($(head -c 60 "$dir/err"))"
# an ICMP tunnel ([response] isolate_icmp): nothing for a resolver to refuse, and nothing done
"$hook" isolate 10.85.0.2 2>"$dir/err" && [ "$(q ok.lab.test)" = 10.0.0.3 ] && echo "ok   isolate: exit 0, nothing blocked" || { echo "FAIL isolate: $(cat "$dir/err")"; fails=$((fails + 1)); }
echo "unbound hook: $fails failed"
[ $fails -eq 0 ]
