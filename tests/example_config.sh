#!/bin/sh
# example_config.sh BIN EXAMPLE
# contrib/dnsexfild.ini must be exactly the parser's defaults (after its comment header), and
# must load back to the same configuration.
set -u
bin=$1 ex=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" -c /dev/null --check-config >"$tmp/defaults" || exit 1
sed -n '/^\[capture\]/,$p' "$ex" >"$tmp/body"
diff -u "$tmp/defaults" "$tmp/body" || { echo "contrib/dnsexfild.ini drifted from the key table"; exit 1; }
"$bin" -c "$ex" --check-config >"$tmp/loaded" || exit 1
diff -u "$tmp/defaults" "$tmp/loaded" || exit 1
# one section a name, as a reader expects (the user key once made a second [capture])
dups=$(grep '^\[' "$tmp/defaults" | sort | uniq -d)
[ -z "$dups" ] || { echo "sections printed twice: $dups"; exit 1; }
echo "example config matches the key table ($(grep -c ' =' "$tmp/defaults") keys)"
