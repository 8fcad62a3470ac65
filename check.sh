#!/usr/bin/env bash
# check.sh: builds timbre from a clean clone and runs every test.
#
#   1. installs the Debian build and test dependencies that are missing;
#   2. autoreconf, configure (warnings fatal, hardened by default), make,
#      and cppcheck and clang's analyzer (scan-build) over the sources (no
#      finding; the analyzer runs niced in the background, beside steps 3
#      to 5, and its result is read after step 5);
#   3. make install into a staging directory and hardening-check (Debian's
#      devscripts) on every program in bin/ and sbin/;
#   4. make check: unit suites (Check), fuzz corpus replays, the checks of
#      documents and files, and the integration tests that measure what a
#      sanitizer build would distort (RSS and descriptor bounds, floods,
#      the lab and the NAT as a user runs them, the long differential run);
#   5. the unit suites again and every other integration test against
#      real peers (dkimpy, Mail::DKIM, NSD, dig...), built with
#      AddressSanitizer + UBSan (a sanitizer report fails the test): each
#      integration test runs once, in one of the two builds;
#   6. every fuzz harness for a few seconds (libFuzzer);
#   7. make distcheck: the tarball builds, installs and passes its unit
#      suites;
#   8. the Debian 11 build in a bullseye chroot (tests/compat), when it can
#      (the chroots of steps 8 and 9 are made in the background from the
#      start);
#   9. the Debian packages for 12 and 11, built in chroots, checked by
#      lintian and installed in a throwaway copy of each (contrib/deb),
#      when it can;
#  10. the totals: "N passed, N failed, N skipped".  A test that skipped
#      (exit 77, a peer missing) counts as skipped, as does each case an
#      integration test skipped inside (its "N passed, N failed, N skipped"
#      line, from tests/integration/lib.sh).
#
# Environment: JOBS (parallel make, default: the number of CPUs),
# FUZZ_SECONDS (per harness, default 5), TIMBRE_SKIP_COMPAT=1 to skip step 8,
# TIMBRE_SKIP_DEB=1 to skip step 9.
set -u
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
passed=0
failed=0
skipped=0
failures=""

start_time=$(date +%s)
# A step's title, with the minutes and seconds since check.sh began.
step() {
	local t=$(($(date +%s) - start_time))

	printf '\n=== %s (at %dm%02ds)\n' "$*" $((t / 60)) $((t % 60))
}
ok() { passed=$((passed + 1)); printf 'ok: %s\n' "$1"; }
skip() { skipped=$((skipped + 1)); printf 'skipped: %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures="$failures
  $1"; printf 'FAILED: %s\n' "$1"; }

# Counts the automake test results (*.trs) of a build directory; a test
# that passed with cases skipped inside adds those to the skipped count.
# slowest DIR: the ten integration tests of DIR that took longest, from
# their logs' birth and modification times (nothing where the file system
# keeps no birth time): what to look at when the suite grows slow.
slowest() {
	local f list=""
	for f in "$1"/tests/integration/*.log; do
		[ -f "$f" ] && list="$list$(stat -c '%W %Y' "$f") $(basename "$f" .log)
"
	done
	printf '%s' "$list" | awk '$1 > 0 { print $2 - $1, $3 }' | sort -rn |
	    head -n 10 | awk '{ s = s sep $2 " " $1 " s"; sep = ", " }
	    END { if (s != "") print "slowest: " s }'
}

count_trs() {
	local dir=$1 label=$2 trs res name n
	while IFS= read -r trs; do
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		name=${trs#"$dir"/}
		name=${name%.trs}
		case "$res" in
		PASS|XFAIL)
			passed=$((passed + 1))
			n=$(sed -n 's/^[0-9]* passed, [0-9]* failed, \([0-9]*\) skipped$/\1/p' \
			    "$dir/$name.log" 2>/dev/null | tail -n 1)
			if [ "${n:-0}" -gt 0 ]; then
				skipped=$((skipped + n))
				printf 'skipped: %s%s: %s cases inside it:\n' "$label" "$name" "$n"
				grep '^ok - .* # SKIP ' "$dir/$name.log" | sed 's/^ok - /  /'
			fi
			;;
		SKIP)
			skipped=$((skipped + 1))
			printf 'skipped: %s%s: %s\n' "$label" "$name" \
			    "$(grep -m 1 -i '^skip' "$dir/$name.log" 2>/dev/null)"
			;;
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

# The Debian chroots of steps 8 and 9 are made now, in the background:
# a first debootstrap waits on the network for minutes, and the steps
# between do not need them.  Both scripts take each chroot's lock, so
# steps 8 and 9 wait for this if it is not done.
mkdir -p build
chroots_pid=
if [ "${TIMBRE_SKIP_COMPAT:-0}" != 1 ] || [ "${TIMBRE_SKIP_DEB:-0}" != 1 ]; then
	( [ "${TIMBRE_SKIP_COMPAT:-0}" = 1 ] ||
	    nice -n 10 tests/compat/bullseye.sh --prepare "$top"
	  [ "${TIMBRE_SKIP_DEB:-0}" = 1 ] ||
	    nice -n 10 contrib/deb/build.sh --prepare "$top" ) >build/chroots.out 2>&1 &
	chroots_pid=$!
fi

step "build (warnings fatal)"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi || { echo "check.sh: autoreconf failed" >&2; exit 1; }
fi
mkdir -p build
( cd build && { [ -f Makefile ] || ../configure --enable-werror -q; } &&
    make -j"$jobs" ) || { echo "check.sh: build failed" >&2; exit 1; }

step "static analysis: cppcheck"
# Zero findings, or each suppressed in place with its reason
# ("cppcheck-suppress ID ; why"); tests/cppcheck.cfg tells it the
# <sys/queue.h> macros.
if ! command -v cppcheck >/dev/null 2>&1; then
	fail "cppcheck not installed (apt-get install cppcheck)"
elif cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
    --std=c11 -I src --library=tests/cppcheck.cfg \
    --suppress=missingIncludeSystem --inline-suppr src daemons tools; then
	ok "cppcheck: no finding in src, daemons, tools"
else
	fail "cppcheck (its findings are above)"
fi

# clang's analyzer builds the whole tree again from scratch (an incremental
# build would analyse only what changed): minutes of CPU.  It runs niced in
# the background from here on, taking the CPU the tests below leave idle
# while they wait on their peers; its result is read after step 5.
scan_pid=
if command -v scan-build >/dev/null 2>&1; then
	rm -rf build-scan && mkdir build-scan
	( cd build-scan && nice -n 19 scan-build ../configure -q >configure.out 2>&1 &&
	    nice -n 19 scan-build -o report --status-bugs make -j"$jobs" >make.out 2>&1 ) &
	scan_pid=$!
fi

step "hardening-check on the installed programs"
# Debian 12's crt1.o, crti.o and crtn.o carry no IBT/SHSTK property, so no
# program linked here gets the one hardening-check wants for "control flow
# integrity" (--nocfprotection); that our own objects are built with
# -fcf-protection is checked on libtimbre.a instead.
rm -rf build/destdir
if ! command -v hardening-check >/dev/null 2>&1; then
	fail "hardening-check not installed (apt-get install devscripts)"
elif ( cd build && make install DESTDIR="$top/build/destdir" ) \
    >build/install.out 2>&1; then
	progs=$(find build/destdir -type f -perm -u+x \
	    \( -path '*/bin/*' -o -path '*/sbin/*' \) | sort)
	[ -n "$progs" ] || fail "make install installed no program"
	for p in $progs; do
		if hardening-check --nocfprotection "$p" >build/hardening.out 2>&1; then
			ok "hardening-check ${p#build/destdir}"
		else
			cat build/hardening.out
			fail "hardening-check ${p#build/destdir}"
		fi
	done
	if grep -q '^HARDEN_CFLAGS = .*-fcf-protection' build/Makefile; then
		members=$(ar t build/src/libtimbre.a | wc -l)
		cet=$(readelf -n build/src/libtimbre.a 2>/dev/null |
		    grep -c 'x86 feature: IBT, SHSTK')
		if [ "$members" -gt 0 ] && [ "$cet" -eq "$members" ]; then
			ok "libtimbre.a: all $members objects marked IBT, SHSTK (-fcf-protection)"
		else
			fail "libtimbre.a: $cet of $members objects marked IBT, SHSTK"
		fi
	fi
else
	tail -n 20 build/install.out
	fail "make install DESTDIR=build/destdir (see build/install.out)"
fi

# The integration tests run once each: those of PLAIN_ONLY in the plain
# build, where RSS, descriptors and time are the daemons' own; the others
# under the sanitizers (step 5), which check memory besides the answers.
PLAIN_ONLY="tests/integration/load.sh tests/integration/limits.sh
  tests/integration/lab.sh tests/integration/nat.sh
  tests/integration/resolver_dnssec_diff.sh tests/integration/resolver_kill.sh
  tests/integration/resolver_memory.sh"
unit_tests=$(grep -ho 'tests/unit/[a-z0-9_]*/check_[a-z0-9_]*' \
    src/*/*.mk daemons/*/*.mk tools/*.mk 2>/dev/null | sort -u | tr '\n' ' ')
integ_tests=$(grep -ho 'tests/integration/[a-z0-9_]*\.sh' src/*/*.mk \
    daemons/*/*.mk tools/*.mk tests/integration/local.mk 2>/dev/null |
    sort -u | grep -vxF "$(printf '%s\n' $PLAIN_ONLY)" | tr '\n' ' ')

step "make check: unit suites, fuzz corpus replays, document checks, $(echo $PLAIN_ONLY | wc -w) integration tests"
# An earlier run's results would be counted again.
find build/tests -name '*.trs' -delete 2>/dev/null
# Every test of the Makefile's TESTS but those that step 5 runs.
all_tests=$(cd build && printf 'print-tests:\n\t@echo $(TESTS)\n' |
    make -s -f Makefile -f - print-tests 2>/dev/null)
plain_tests=$(printf '%s\n' $all_tests | grep -vxF "$(printf '%s\n' $integ_tests)" |
    tr '\n' ' ')
if [ -z "$all_tests" ]; then
	fail "the list of tests (make print-tests)"
fi
( cd build && make -j"$jobs" check TESTS="$plain_tests" ) >build/check.out 2>&1
grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' build/check.out
for log in build/tests/unit/*/check_*.log; do
	[ -f "$log" ] && grep -E '^[0-9]+%: Checks:' "$log" |
	    sed "s|^|$(basename "$log" .log): |"
done
count_trs build ""
slowest build

step "unit suites and $(echo $integ_tests | wc -w) integration tests under AddressSanitizer + UndefinedBehaviorSanitizer"
mkdir -p build-asan
find build-asan/tests -name '*.trs' -delete 2>/dev/null
# Halt on the first error; leaks checked when a program exits (the daemons
# exit 0 on SIGTERM, which the tests send them); the integration tests add
# log_path, so that the report of a daemon fails its test (lib.sh).
asan_start=$(date +%s)
if ( cd build-asan && { [ -f Makefile ] ||
    ../configure --enable-werror --enable-sanitizers -q; } &&
    make -j"$jobs" &&
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    make -j"$jobs" check TESTS="$unit_tests $integ_tests" ) >build-asan/check.out 2>&1
then
	:
else
	tail -n 30 build-asan/check.out
fi
grep -E '^(PASS|FAIL|ERROR|SKIP):' build-asan/check.out | sed 's/^/asan /'
echo "asan: $(($(date +%s) - asan_start)) s (build, unit suites, integration tests)"
count_trs build-asan "asan "
slowest build-asan
[ -n "$unit_tests" ] && [ -z "$(find build-asan/tests -name '*.trs' 2>/dev/null)" ] &&
    fail "sanitizer build (see build-asan/check.out)"

step "static analysis: scan-build (clang's analyzer), started after the build"
# Zero findings.  A false positive is worked around in the code, never
# hidden: the commits that did so say why.
if [ -z "$scan_pid" ]; then
	fail "scan-build not installed (apt-get install clang-tools)"
elif wait "$scan_pid"; then
	ok "scan-build: no finding in src, daemons, tools"
else
	grep -E 'warning:|error:' build-scan/make.out | sort -u | head -n 40
	tail -n 5 build-scan/make.out build-scan/configure.out
	fail "scan-build (its findings are above; the reports in build-scan/report)"
fi

step "fuzz harnesses, ${FUZZ_SECONDS:-5} s each (libFuzzer + ASan + UBSan)"
if ( cd build && make -j"$jobs" fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-5}" ); then
	ok "fuzz smoke run"
else
	fail "fuzz smoke run (a crash input is in build/; see build/tests/fuzz/work/*.log)"
fi

step "make distcheck: the release tarball builds, installs and passes its unit suites"
# What distcheck proves is the tarball: that it holds every file the
# build, the install and the tests need.  The unit suites, the fuzz
# replays and the checks of the documents and configuration files run
# there; the integration tests ran from the tree above (they ship whole,
# as folders), and running them a third time would add minutes, not
# proof.
dist_tests="$unit_tests $(grep -ho 'tests/fuzz/replay_[a-z0-9_]*' \
    src/*/*.mk daemons/*/*.mk 2>/dev/null | sort -u | tr '\n' ' ')"
dist_tests="$dist_tests tests/man.sh tests/docs.sh tests/layout.sh tests/nm.sh tests/etc.sh tests/systemd.sh"
if ( cd build && make -j"$jobs" distcheck TESTS="$dist_tests" ) \
    >build/distcheck.out 2>&1; then
	ok "make distcheck"
else
	tail -n 30 build/distcheck.out
	fail "make distcheck (see build/distcheck.out)"
fi

if [ -n "$chroots_pid" ]; then
	wait "$chroots_pid"
	sed 's/^/chroots (made in the background): /' build/chroots.out
fi

step "Debian 11 (bullseye) build"
if [ "${TIMBRE_SKIP_COMPAT:-0}" = 1 ]; then
	skip "Debian 11 build and unit tests: TIMBRE_SKIP_COMPAT=1"
else
	tests/compat/bullseye.sh "$top"
	case $? in
	0) ok "Debian 11 build and unit tests" ;;
	77) skip "Debian 11 build and unit tests (see the line above)" ;;
	*) fail "Debian 11 build and unit tests (tests/compat/bullseye.sh)" ;;
	esac
fi

step "Debian packages (bookworm and bullseye): build, lintian, apt install"
if [ "${TIMBRE_SKIP_DEB:-0}" = 1 ]; then
	skip "Debian packages: TIMBRE_SKIP_DEB=1"
else
	contrib/deb/build.sh "$top"
	case $? in
	0) ok "Debian packages built, lintian clean, installed and run (contrib/deb/build.sh)" ;;
	77) skip "Debian packages (see the line above)" ;;
	*) fail "Debian packages (contrib/deb/build.sh)" ;;
	esac
fi

step "totals"
[ -n "$failures" ] && printf 'failures:%s\n' "$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
