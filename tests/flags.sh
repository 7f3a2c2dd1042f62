#!/bin/sh
# flags.sh BIN MANPAGE MAIN_C
# Every flag the option parser takes is in --help (or report --help) and in the man page, and
# nothing is documented that the parser does not take.
set -u
bin=$1 man=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
# the parser: long options from the option tables, short ones from the getopt strings
sed -n 's/.*{"\([a-z-]*\)", [a-z_]*_argument.*/--\1/p' "$src" | sort -u >"$tmp/parser"
sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$src" | tr -d ':' | fold -w1 | sed 's/^/-/' |
	sort -u >>"$tmp/parser"
sort -u -o "$tmp/parser" "$tmp/parser"
# the usage texts and the man page: every -x and --word written there
# a flag starts a word (after a space, a bracket, a bar or a comma): not the -MM of a date
words() { grep -oE -- '(^|[] [(|,])--?[a-zA-Z][a-z-]*' | sed 's/^[] [(|,]//' |
	grep -E '^-[a-zA-Z]$|^--[a-z][a-z-]+$' | sort -u; }
{ "$bin" --help; "$bin" report --help; } 2>&1 | words >"$tmp/usage"
sed 's/\\-/-/g; s/\\f[BRI]//g' "$man" | words >"$tmp/man"
for f in $(cat "$tmp/parser"); do
	grep -qx -- "$f" "$tmp/usage" || { echo "FAIL $f is taken but not in --help"; fails=$((fails + 1)); }
	grep -qx -- "$f" "$tmp/man" || { echo "FAIL $f is taken but not in the man page"; fails=$((fails + 1)); }
done
for f in $(cat "$tmp/usage"); do
	grep -qx -- "$f" "$tmp/parser" || { echo "FAIL --help shows $f, which the parser does not take"; fails=$((fails + 1)); }
done
echo "flags: $(wc -l <"$tmp/parser") flags, $fails failed"
[ $fails -eq 0 ]
