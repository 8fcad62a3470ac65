#!/bin/bash
#
# tests/compat/bullseye.sh [--prepare] [SRCDIR]
#
# Proves that timbre builds with --enable-werror and passes its unit suites
# on Debian 11 (bullseye): OpenSSL 1.1.1, libgit2 1.1, ldns 1.7.1 (no
# ldns.pc), libssh 0.9, sqlite 3.34, libevent 2.1.12, check 0.15, gcc 10.
#
# A bullseye minbase chroot is debootstrapped once from the Debian mirror
# this machine's apt uses and cached (TIMBRE_COMPAT_DIR, default
# /var/cache/timbre-compat/bullseye); every run copies the source tree into
# it and runs autoreconf, configure, make and the unit suites there.
#
# --prepare only makes the chroot ready (debootstrap on the first run, the
# packages it lacks) and exits: check.sh runs it in the background while it
# builds and tests, since a first debootstrap waits on the network for
# minutes.  The chroot's lock makes a later full run wait for it.
#
# Exit status: make's status; 77 (with one line "compat: skipped: REASON")
# when it cannot run here: not root, or the chroot must be built and
# debootstrap or the mirror is missing; 1 when setting up the chroot fails.
#
# Environment:
#   TIMBRE_COMPAT_DIR      the cached chroot (default /var/cache/timbre-compat/bullseye)
#   TIMBRE_COMPAT_MIRROR   the Debian mirror (default: the one apt uses here)
#   TIMBRE_COMPAT_REBUILD  1: throw the cached chroot away and build it again
#   TIMBRE_COMPAT_JOBS     make -j (default 2)

set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

SUITE=bullseye
PKGS="build-essential autoconf automake libtool pkg-config libevent-dev
libssl-dev libldns-dev libgit2-dev libssh-dev libsqlite3-dev check mandoc"
JOBS=${TIMBRE_COMPAT_JOBS:-2}
START=$(date +%s)

here=$(cd "$(dirname "$0")" && pwd) || exit 1
TAG=compat
# The chroot: debootstrap, the mirror, the mounts, the cache and its lock.
. "$here/chroot.sh"

PREPARE=0
if [ "${1:-}" = --prepare ]; then
	PREPARE=1
	shift
fi
SRC=${1:-$here/../..}
SRC=$(cd "$SRC" 2>/dev/null && pwd) || fail "no such directory: ${1:-}"
[ -f "$SRC/configure.ac" ] && [ -f "$SRC/Makefile.am" ] ||
	fail "$SRC is not a timbre source tree"

chroot_need_root
chroot_use "$SUITE" "${TIMBRE_COMPAT_DIR:-}"
chroot_lock
chroot_ready $PKGS
if [ $PREPARE = 1 ]; then
	say "the $SUITE chroot is ready ($(($(date +%s) - START)) s)"
	exit 0
fi
copy_tree "$SRC" "$ROOT/src"

# --- build and test inside ---------------------------------------------------

cat >"$ROOT/tmp/timbre-compat-build.sh" <<'EOF'
set -u
cd /src
v=$(dpkg-query -W -f='${Package} ${Version}, ' gcc libssl-dev libldns-dev \
    libgit2-dev libssh-dev libsqlite3-dev libevent-dev check 2>/dev/null)
echo "compat: Debian $(cat /etc/debian_version): ${v%, }"
if ! autoreconf -fi >/tmp/autoreconf.log 2>&1; then
	cat /tmp/autoreconf.log
	echo "compat: autoreconf failed on Debian 11"
	exit 1
fi

# Debian's libldns-dev 1.7.1 does ship ldns.pc (upstream only from 1.8), so
# the AC_CHECK_LIB fallback is proved here by hiding it: configure only, in a
# build directory of its own (before the tree is configured in place).
pcdir=/tmp/pc-without-ldns
rm -rf "$pcdir" /tmp/noldns && mkdir -p "$pcdir" /tmp/noldns
for d in /usr/lib/$(gcc -print-multiarch)/pkgconfig \
    /usr/lib/pkgconfig /usr/share/pkgconfig; do
	[ -d "$d" ] && for pc in "$d"/*.pc; do
		case ${pc##*/} in ldns.pc|libldns.pc) ;; *) ln -sf "$pc" "$pcdir/" ;; esac
	done
done
if (cd /tmp/noldns && PKG_CONFIG_LIBDIR=$pcdir /src/configure >configure.log 2>&1) &&
    grep -q "^checking for ldns_pkt_new in -lldns... yes" /tmp/noldns/configure.log &&
    grep -q "^LDNS_LIBS='-lldns'" /tmp/noldns/config.log; then
	echo "compat: configure without ldns.pc: ok (AC_CHECK_LIB fallback, LDNS_LIBS=-lldns)"
else
	tail -n 30 /tmp/noldns/configure.log
	echo "compat: configure without ldns.pc (AC_CHECK_LIB fallback) failed on Debian 11"
	exit 1
fi
rm -rf /tmp/noldns "$pcdir"

if ! ./configure --enable-werror >/tmp/configure.log 2>&1; then
	tail -n 30 /tmp/configure.log
	echo "compat: configure failed on Debian 11 (config.log follows)"
	tail -n 60 config.log
	exit 1
fi

# The hardening configure chose with gcc 10 and glibc 2.31: _FORTIFY_SOURCE
# must be 2 there (3 needs __builtin_dynamic_object_size and glibc 2.34).
fortify=$(sed -n "s/^timbre_cv_fortify=//p" config.log | tr -d "'")
echo "compat: hardening: _FORTIFY_SOURCE=$fortify;$(sed -n "s/^HARDEN_CFLAGS='\(.*\)'/\1/p" config.log);$(sed -n "s/^LDFLAGS='\(.*\)'/\1/p" config.log)"
if [ "$fortify" != 2 ]; then
	echo "compat: configure chose _FORTIFY_SOURCE=$fortify on Debian 11, not 2"
	exit 1
fi

# The unit suites: programs tests/unit/*/check_* in TESTS, as make sees them.
printf '%s\n' 'timbre-compat-units:' \
    '	@echo $(foreach t,$(filter tests/unit/%,$(TESTS)),$(if $(filter check_%,$(notdir $(t))),$(t)))' \
    >/tmp/units.mk
units=$(make -s -f Makefile -f /tmp/units.mk timbre-compat-units 2>/dev/null)
if [ -z "$units" ]; then
	units=$(find . -name local.mk -o -name Makefile.am | xargs grep -ho \
	    'tests/unit/[a-z0-9_]*/check_[a-z0-9_]*' | sort -u)
fi
[ -n "$units" ] || { echo "compat: no unit suites found"; exit 1; }
n=$(echo $units | wc -w)

echo "compat: make -j$JOBS"
make -j"$JOBS" || { rc=$?; echo "compat: build failed on Debian 11"; exit $rc; }
echo "compat: make check ($n unit suites)"
make -j"$JOBS" check TESTS="$units" >/tmp/check.out 2>&1
rc=$?
summary='^(PASS|FAIL|ERROR|XPASS|XFAIL|SKIP):|^# [A-Z]+:'
[ $rc = 0 ] || grep -vE "$summary|^=+\$|^Testsuite summary" /tmp/check.out | tail -n 60
grep -E "$summary" /tmp/check.out

passed=0
for t in $units; do
	if [ -f "$t.log" ]; then
		grep -h '^[0-9]*%: Checks:' "$t.log" | sed "s|^|  $t: |"
	fi
	if [ -f "$t.trs" ] && grep -q '^:test-result: PASS' "$t.trs" &&
	    ! grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$t.trs"; then
		passed=$((passed + 1))
	elif [ -f "$t.log" ]; then
		echo "----- $t.log -----"
		cat "$t.log"
		echo "----- end of $t.log -----"
	fi
done
if [ $rc = 0 ]; then
	echo "compat: $passed unit suites passed on Debian 11"
else
	echo "compat: FAILED on Debian 11: $passed of $n unit suites passed (make check: $rc)"
fi
exit $rc
EOF

say "building in $SUITE chroot ($ROOT)"
mount_proc
mount_dev
in_chroot JOBS="$JOBS" /bin/sh /tmp/timbre-compat-build.sh
rc=$?
unmount_all
say "done in $(($(date +%s) - START)) s (exit $rc)"
exit $rc
