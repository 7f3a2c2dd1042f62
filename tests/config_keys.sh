#!/bin/sh
# config_keys.sh BIN
# Every key of the key table (as --check-config prints it): its default loads; a number one
# past its range, a non-number, or a bad yes/no is refused with exit 78 and one line naming
# the file, the line and the key; an unknown key in every section is refused too.
set -u
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin" -c /dev/null --check-config >"$dir/defaults" || exit 1
fails=0 n=0
section="" range=""
while IFS= read -r line; do
	case "$line" in
	\[*\]) section=${line#[}; section=${section%]}; continue ;;
	\#*) range=$(printf '%s' "$line" | sed -n 's/.*; \([0-9]*\)\.\.\([0-9]*\)$/\1 \2/p')
	     yesno=$(printf '%s' "$line" | grep -c '; yes or no$'); continue ;;
	"") continue ;;
	esac
	key=${line%% =*}
	value=${line#*= }
	[ "$value" = "$line" ] && value=""
	n=$((n + 1))
	try() { # try VALUE EXPECTED_STATUS
		printf '[%s]\n%s = %s\n' "$section" "$key" "$1" >"$dir/t.ini"
		"$bin" -c "$dir/t.ini" --check-config >/dev/null 2>"$dir/e"
		rc=$?
		if [ $rc -ne "$2" ]; then
			echo "FAIL [$section] $key = '$1': exit $rc, expected $2"; cat "$dir/e"; fails=$((fails + 1))
		elif [ "$2" -ne 0 ] && ! grep -q "t.ini:2: \[$section\] $key: bad value" "$dir/e"; then
			echo "FAIL [$section] $key = '$1': $(cat "$dir/e")"; fails=$((fails + 1))
		fi
	}
	try "$value" 0
	if [ -n "$range" ]; then
		set -- $range
		try $(($2 + 1)) 78
		try "12x" 78
		[ "$1" -gt 0 ] && try $(($1 - 1)) 78
	fi
	[ "$yesno" -eq 1 ] && try maybe 78
done <"$dir/defaults"
for s in capture detect store response log; do
	printf '[%s]\nno_such_key = 1\n' "$s" >"$dir/t.ini"
	"$bin" -c "$dir/t.ini" --check-config >/dev/null 2>"$dir/e"
	[ $? -eq 78 ] && grep -q "t.ini:2: \[$s\] no_such_key: unknown key" "$dir/e" || { echo "FAIL unknown key in [$s]"; fails=$((fails + 1)); }
done
echo "config keys: $n keys checked, $fails failed"
[ $fails -eq 0 ]
