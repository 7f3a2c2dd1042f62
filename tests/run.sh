#!/bin/sh
# run.sh: build and run every test suite twice, as CI does: a normal build (warnings are
# errors) and an AddressSanitizer + UndefinedBehaviorSanitizer build; the unit and fuzz suites
# once more under valgrind; build the variants a packager may choose and the Debian package
# (each counts as one test). Prints one closing line "N passed, N failed, N skipped" and exits non-zero on
# any failure.
# Run from the repository root; build directories are build-ci and build-asan.
set -u
cd "$(dirname "$0")/.." || exit 1
status=0

step() { echo "== $*"; }

# build DIR: build quietly; on failure show the compiler's first errors (the build counts as
# one failed test, so the closing line still says what broke)
build() {
	ninja -C "$1" >"$1/ninja.log" 2>&1 && return 0
	grep -E "error|warning|FAILED" "$1/ninja.log" | head -20
	return 1
}

step "format check (clang-format)"
if command -v clang-format >/dev/null 2>&1; then
	if ! clang-format --dry-run -Werror lib/*.[ch] lib/*/*.[ch] sensor/*.[ch] tests/*.[ch] tests/bench/*.c tests/fuzz/*.[ch] 2>&1 | head -20 | grep .; then
		echo "formatted"
	else
		status=1
	fi
fi

step "build and test: debugoptimized, -Werror"
rm -rf build-ci build-asan
meson setup build-ci -Dwerror=true >/dev/null && build build-ci || exit 1
meson test -C build-ci --print-errorlogs --num-processes 2 || status=1

step "build variants without a warning: gcc debug, gcc release and minsize, clang debug and release, tests off"
for v in "gcc debug" "gcc release" "gcc minsize" "clang debug" "clang release" "gcc plain notests"; do
	# shellcheck disable=SC2086 # split "gcc debug" into compiler and build type
	set -- $v
	d=build-v-$1-$2${3:-}
	rm -rf "$d"
	opt=""
	[ "${3:-}" = notests ] && opt="-Dtests=disabled"
	if command -v "$1" >/dev/null 2>&1; then
		if CC=$1 meson setup "$d" --buildtype="$2" -Dwerror=true $opt >/dev/null && ninja -C "$d" >/dev/null; then
			echo "ok   $v"; echo OK >>build-ci/variants.txt
		else
			echo "FAIL $v"; ninja -C "$d" 2>&1 | grep -E "error|warning" | head -5; status=1
			echo FAIL >>build-ci/variants.txt
		fi
	else
		echo "skip $v: $1 not installed"; echo SKIP >>build-ci/variants.txt
	fi
	rm -rf "$d"
done

step "Debian package: dpkg-buildpackage, lintian, apt-get install, a replay, purge"
sh tests/package.sh .
case $? in
0) echo OK >>build-ci/variants.txt ;;
77) echo SKIP >>build-ci/variants.txt ;;
*) echo FAIL >>build-ci/variants.txt; status=1 ;;
esac

step "valgrind: unit and fuzz-corpus suites (memcheck, leaks are errors)"
if command -v valgrind >/dev/null 2>&1; then
	meson test -C build-ci --setup valgrind --suite unit --suite fuzz --print-errorlogs \
		--num-processes 2 || status=1
else
	echo "valgrind not installed: skipped"
fi

step "build and test: ASan + UBSan"
if meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all >/dev/null && build build-asan; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 || status=1
else
	echo "FAIL ASan + UBSan build"; echo FAIL >>build-ci/variants.txt; status=1
fi

python3 - build-ci/meson-logs/testlog.json build-ci/meson-logs/testlog-valgrind.json \
	build-asan/meson-logs/testlog.json build-ci/variants.txt <<'PY' || status=1
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).readlines()
    except FileNotFoundError:
        continue
    for line in lines:
        r = line.strip() if path.endswith(".txt") else json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 else 0)
PY
exit $status
