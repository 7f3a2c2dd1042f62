#!/bin/sh
# layers.sh SRCDIR
# lib/ is one folder per pipeline stage, each including only the stages below it:
# base < decode < prepare < detect < store < respond, and config.c above them all; no stage
# includes lib/config.h. Prints each include that runs back up the layers.
set -u
cd "${1:?}" || exit 2
rank() { case $1 in base) echo 0 ;; decode) echo 1 ;; prepare) echo 2 ;; detect) echo 3 ;;
	store) echo 4 ;; respond) echo 5 ;; *) echo 9 ;; esac; }
bad=0 n=0
for f in lib/*/*.[ch]; do
	st=${f#lib/}
	st=${st%%/*}
	for inc in $(sed -n 's|^#include "lib/\([a-z]*\)/.*|\1|p; s|^#include "lib/config.h".*|config|p' "$f"); do
		n=$((n + 1))
		if [ "$(rank "$inc")" -gt "$(rank "$st")" ]; then
			echo "FAIL $f ($st) includes lib/$inc"
			bad=$((bad + 1))
		fi
	done
done
echo "layers: $n includes in lib/, $bad running back up"
[ $bad -eq 0 ]
