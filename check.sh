#!/usr/bin/env bash
# check.sh: builds timbre from a clean clone and runs every test.
#
#   1. installs the Debian build and test dependencies that are missing;
#   2. autoreconf, configure (warnings fatal), make;
#   3. make check: unit suites (Check), fuzz corpus replays, integration
#      tests against real peers (dkimpy, Mail::DKIM, NSD, dig...);
#   4. the unit suites again under AddressSanitizer + UBSan;
#   5. every fuzz harness for a few seconds (libFuzzer);
#   6. make distcheck: the tarball builds, installs and passes its tests;
#   7. the Debian 11 build in a bullseye chroot (tests/compat), when it can;
#   8. the totals: "N passed, N failed".
#
# Environment: JOBS (parallel make, default: the number of CPUs),
# FUZZ_SECONDS (per harness, default 5), TIMBRE_SKIP_COMPAT=1 to skip step 7.
set -u
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
passed=0
failed=0
failures=""

step() { printf '\n=== %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf 'ok: %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures="$failures
  $1"; printf 'FAILED: %s\n' "$1"; }

# Counts the automake test results (*.trs) of a build directory.
count_trs() {
	local dir=$1 label=$2 trs res name
	while IFS= read -r trs; do
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		name=${trs#"$dir"/}
		name=${name%.trs}
		case "$res" in
		PASS|XFAIL) passed=$((passed + 1)) ;;
		SKIP) printf 'skipped: %s%s\n' "$label" "$name" ;;
		*) failed=$((failed + 1)); failures="$failures
  $label$name ($res): see $dir/$name.log" ;;
		esac
	done < <(find "$dir/tests" -name '*.trs' 2>/dev/null | sort)
}

step "dependencies"
if ! contrib/install-deps.sh build test; then
	echo "check.sh: cannot install the dependencies (see above)" >&2
	exit 1
fi

step "build (warnings fatal)"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi || { echo "check.sh: autoreconf failed" >&2; exit 1; }
fi
mkdir -p build
( cd build && { [ -f Makefile ] || ../configure --enable-werror -q; } &&
    make -j"$jobs" ) || { echo "check.sh: build failed" >&2; exit 1; }

step "make check: unit suites, fuzz corpus replays, integration tests"
# An earlier run's results would be counted again.
find build/tests -name '*.trs' -delete 2>/dev/null
( cd build && make -j"$jobs" check ) >build/check.out 2>&1
grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' build/check.out
for log in build/tests/unit/*/check_*.log; do
	[ -f "$log" ] && grep -E '^[0-9]+%: Checks:' "$log" |
	    sed "s|^|$(basename "$log" .log): |"
done
count_trs build ""

step "unit suites under AddressSanitizer + UndefinedBehaviorSanitizer"
mkdir -p build-asan
unit_tests=$(grep -ho 'tests/unit/[a-z0-9_]*/check_[a-z0-9_]*' \
    src/*/*.mk daemons/*/*.mk tools/*.mk 2>/dev/null | sort -u | tr '\n' ' ')
find build-asan/tests -name '*.trs' -delete 2>/dev/null
if ( cd build-asan && { [ -f Makefile ] ||
    ../configure --enable-werror --enable-sanitizers -q; } &&
    make -j"$jobs" && ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    make -j"$jobs" check TESTS="$unit_tests" ) >build-asan/check.out 2>&1
then
	:
else
	tail -n 30 build-asan/check.out
fi
grep -E '^(PASS|FAIL|ERROR):' build-asan/check.out | sed 's/^/asan /'
count_trs build-asan "asan "
[ -n "$unit_tests" ] && [ -z "$(find build-asan/tests -name '*.trs' 2>/dev/null)" ] &&
    fail "sanitizer build (see build-asan/check.out)"

step "fuzz harnesses, ${FUZZ_SECONDS:-5} s each (libFuzzer + ASan + UBSan)"
if ( cd build && make fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-5}" ); then
	ok "fuzz smoke run"
else
	fail "fuzz smoke run (a crash input is in build/; see build/tests/fuzz/work/*.log)"
fi

step "make distcheck: the release tarball builds, installs and passes make check"
if ( cd build && make -j"$jobs" distcheck ) >build/distcheck.out 2>&1; then
	ok "make distcheck"
else
	tail -n 30 build/distcheck.out
	fail "make distcheck (see build/distcheck.out)"
fi

step "Debian 11 (bullseye) build"
if [ "${TIMBRE_SKIP_COMPAT:-0}" = 1 ]; then
	echo "compat: skipped: TIMBRE_SKIP_COMPAT=1"
else
	tests/compat/bullseye.sh "$top"
	case $? in
	0) ok "Debian 11 build and unit tests" ;;
	77) ;;	# the script said why it skipped
	*) fail "Debian 11 build and unit tests (tests/compat/bullseye.sh)" ;;
	esac
fi

step "totals"
[ -n "$failures" ] && printf 'failures:%s\n' "$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
