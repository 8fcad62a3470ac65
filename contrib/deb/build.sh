#!/bin/bash
#
# contrib/deb/build.sh [--prepare] [SRCDIR]: builds timbre's Debian packages for Debian 12
# (bookworm) and Debian 11 (bullseye), checks them with lintian, and installs
# them in a throwaway copy of each release to see them work.
#
# For each release, in its cached minbase chroot (tests/compat/chroot.sh:
# /var/cache/timbre-compat/SUITE, debootstrapped on the first run, shared
# with tests/compat/bullseye.sh):
#
#   1. apt-get build-dep on debian/control (so the Build-Depends are proved
#      installable there), then dpkg-buildpackage -us -uc -b with
#      DEB_BUILD_OPTIONS="nocheck noddebs" (the test suite runs in
#      check.sh; no -dbgsym packages);
#   2. lintian on the packages (errors and warnings fail; this machine's
#      lintian, for both releases);
#   3. in an overlay of the chroot thrown away afterwards: the build
#      dependencies purged (so what the packages need must come back through
#      their Depends), `apt install ./timbre-*.deb`, then: the users, the
#      conffiles, /var/lib/timbre, each daemon's --version, each unit's
#      ExecCondition on the packaged (all-comment) file and on a configured
#      one, and each daemon started as its user with the packaged file and
#      the least settings it needs: it serves until SIGTERM, or stops with a
#      message saying what is missing.  systemd does not run in a chroot, so
#      the units are not started (tests/systemd.sh checks them).
#
# --prepare only makes the chroots ready (debootstrap on the first run) and
# exits: check.sh runs it in the background while it builds and tests; the
# chroots' locks make a later full run wait for it.
#
# The packages are left in OUT/SUITE (TIMBRE_DEB_OUT, default SRCDIR/build/deb).
# Exit status: 0, 1 when something failed, 77 with one line
# "deb: skipped: REASON" when it cannot run here (not root, no debootstrap
# or no mirror for a chroot to be made, no lintian).
#
# Environment: TIMBRE_DEB_SUITES (default "bookworm bullseye"),
# TIMBRE_DEB_OUT, TIMBRE_COMPAT_JOBS (parallel build, default 2),
# TIMBRE_COMPAT_MIRROR and TIMBRE_COMPAT_REBUILD as for tests/compat.

set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022
START=$(date +%s)
JOBS=${TIMBRE_COMPAT_JOBS:-2}
SUITES=${TIMBRE_DEB_SUITES:-bookworm bullseye}
# What a chroot needs besides debian/control's Build-Depends.
BASE_PKGS="build-essential debhelper"
# The build dependencies the install check purges again (tests/compat's
# and debian/control's; autoremove takes what came with them).
PURGE_PKGS="build-essential debhelper autoconf automake libtool pkg-config
libevent-dev libssl-dev libldns-dev libgit2-dev libssh-dev libsqlite3-dev
check mandoc dh-autoreconf"

here=$(cd "$(dirname "$0")" && pwd) || exit 1
PREPARE=0
if [ "${1:-}" = --prepare ]; then
	PREPARE=1
	shift
fi
SRC=${1:-$here/../..}
TAG=deb
SRC=$(cd "$SRC" 2>/dev/null && pwd) || { echo "deb: error: no such directory: ${1:-}" >&2; exit 1; }
[ -f "$SRC/debian/control" ] && [ -f "$SRC/tests/compat/chroot.sh" ] ||
	{ echo "deb: error: $SRC is not a timbre source tree" >&2; exit 1; }
# The chroots: debootstrap, the mirror, the mounts, the cache and its lock.
. "$SRC/tests/compat/chroot.sh"

chroot_need_root
command -v lintian >/dev/null 2>&1 ||
	skip "lintian is not installed (apt-get install lintian)"
OUT=${TIMBRE_DEB_OUT:-$SRC/build/deb}
mkdir -p "$OUT" || fail "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$SRC/debian/changelog")
failed=0
TMP=

lap() {				# lap LABEL: time since the last lap
	local now
	now=$(date +%s)
	say "$1: $((now - LAP)) s"
	LAP=$now
}

# Undoes the overlay of the install check, then the mounts in it.
cleanup_overlay() {
	unmount_all
	if [ -n "$TMP" ]; then
		unmount_stale "$TMP"
		rm -rf --one-file-system "$TMP"
		TMP=
	fi
}
trap 'cleanup_overlay' EXIT

# build SUITE: the packages, into $OUT/SUITE.
build() {
	local suite=$1 dir=$OUT/$1
	say "building the packages in the $suite chroot ($ROOT)"
	# The packages of an earlier run are not this one's.
	rm -rf --one-file-system "$ROOT/build"
	copy_tree "$SRC" "$ROOT/build/timbre"
	mount_proc
	mount_dev
	# Stale package lists after a mirror update: refresh, once.
	if ! in_chroot apt-get -q -y --no-install-recommends build-dep /build/timbre \
	    >>"$LOG" 2>&1; then
		in_chroot apt-get -q update >>"$LOG" 2>&1
		if ! in_chroot apt-get -q -y --no-install-recommends build-dep \
		    /build/timbre >>"$LOG" 2>&1; then
			tail -n 20 "$LOG"
			unmount_all
			say "FAILED: the Build-Depends cannot be installed on $suite (log: $LOG)"
			return 1
		fi
	fi
	in_chroot apt-get clean
	lap "$suite: build dependencies"
	if ! in_chroot /bin/sh -c "cd /build/timbre &&
	    DEB_BUILD_OPTIONS='nocheck noddebs parallel=$JOBS' dpkg-buildpackage -us -uc -b" \
	    >"$ROOT/build/build.log" 2>&1; then
		tail -n 40 "$ROOT/build/build.log"
		unmount_all
		say "FAILED: dpkg-buildpackage on $suite (log: $ROOT/build/build.log)"
		return 1
	fi
	unmount_all
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$ROOT"/build/*.deb "$ROOT"/build/*.changes "$ROOT"/build/*.buildinfo \
	    "$ROOT/build/build.log" "$dir/" || return 1
	say "$suite: $(cd "$dir" && ls timbre-*.deb | grep -vc dbgsym) packages: $(cd "$dir" && ls timbre-*.deb | grep -v dbgsym | tr '\n' ' ')"
	lap "$suite: dpkg-buildpackage"
}

# check_lintian SUITE
check_lintian() {
	local suite=$1 changes
	changes=$(ls "$OUT/$suite"/*.changes 2>/dev/null | head -n 1)
	[ -n "$changes" ] || { say "FAILED: no .changes for $suite"; return 1; }
	if lintian --fail-on error,warning "$changes" >"$OUT/$suite/lintian.out" 2>&1; then
		say "$suite: lintian: no error, no warning$(grep -c '^I:' "$OUT/$suite/lintian.out" |
		    sed 's/^0$//; s/^[1-9][0-9]*$/ (& notes: see lintian.out)/')"
	else
		grep -E '^[EW]:' "$OUT/$suite/lintian.out"
		say "FAILED: lintian on the $suite packages ($OUT/$suite/lintian.out)"
		return 1
	fi
	lap "$suite: lintian"
}

# install_check SUITE: the packages installed in an overlay of the chroot.
install_check() {
	local suite=$1 lower=$ROOT rc
	TMP=$(mktemp -d /var/tmp/timbre-deb.XXXXXX) || return 1
	mkdir "$TMP/upper" "$TMP/work" "$TMP/root"
	if ! mount -t overlay overlay -o "lowerdir=$lower,upperdir=$TMP/upper,workdir=$TMP/work" \
	    "$TMP/root" 2>/dev/null; then
		say "$suite: no overlayfs here: copying the chroot instead"
		rmdir "$TMP/root"
		cp -a "$lower" "$TMP/root" || return 1
	fi
	ROOT=$TMP/root
	mkdir -p "$ROOT/tmp/debs"
	cp "$OUT/$suite"/timbre-*.deb "$ROOT/tmp/debs/" && rm -f "$ROOT"/tmp/debs/*dbgsym*
	cp "$here/install-check.sh" "$ROOT/tmp/install-check.sh"
	mount_proc
	mount_dev
	in_chroot /bin/sh /tmp/install-check.sh "$suite" $PURGE_PKGS
	rc=$?
	ROOT=$lower
	cleanup_overlay
	lap "$suite: install check"
	[ $rc = 0 ] || say "FAILED: the install check on $suite"
	return $rc
}

LAP=$START
for suite in $SUITES; do
	chroot_use "$suite"
	chroot_lock
	chroot_ready $BASE_PKGS
	lap "$suite: chroot"
	if [ $PREPARE = 1 ]; then
		chroot_unlock
		continue
	fi
	if build "$suite"; then
		check_lintian "$suite" || failed=1
		install_check "$suite" || failed=1
	else
		failed=1
	fi
	chroot_unlock
done

[ $PREPARE = 1 ] && { say "the chroots of $SUITES are ready"; exit 0; }
result=ok
[ $failed = 0 ] || result=FAILED
say "done in $(($(date +%s) - START)) s: timbre $version for $SUITES: $result; packages in $OUT"
exit $failed
