#!/bin/bash
#
# tests/compat/bullseye.sh [SRCDIR]
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
PKGS=$(echo $PKGS)
JOBS=${TIMBRE_COMPAT_JOBS:-2}
START=$(date +%s)

say()  { printf 'compat: %s\n' "$*"; }
skip() { say "skipped: $*"; exit 77; }
fail() { say "error: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd) || exit 1
SRC=${1:-$here/../..}
SRC=$(cd "$SRC" 2>/dev/null && pwd) || fail "no such directory: ${1:-}"
[ -f "$SRC/configure.ac" ] && [ -f "$SRC/Makefile.am" ] ||
	fail "$SRC is not a timbre source tree"

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"

ROOT=${TIMBRE_COMPAT_DIR:-/var/cache/timbre-compat/$SUITE}
case $ROOT in
/?*) ROOT=${ROOT%/} ;;
*) fail "TIMBRE_COMPAT_DIR must be an absolute path: $ROOT" ;;
esac
STAMP=$ROOT/.timbre-compat-complete
LOG=$ROOT.log			# debootstrap/apt output, next to the chroot
mkdir -p "$(dirname "$ROOT")" || fail "cannot create $(dirname "$ROOT")"

# One run at a time per chroot: check.sh may run in several trees at once.
exec 9>"$ROOT.lock"
if ! flock -n 9; then
	say "waiting for another run using $ROOT"
	flock -w 3600 9 || fail "$ROOT is locked by another run"
fi

# --- mounts: only what is needed, always undone --------------------------

MOUNTS=()
mount_in() {			# mount_in TARGET mount-args...
	local target=$1
	shift
	mount "$@" "$target" || fail "cannot mount $target"
	MOUNTS+=("$target")
}
unmount_all() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}"
	done
	MOUNTS=()
}
# Mounts left under the chroot by a run that was killed with SIGKILL.
unmount_stale() {
	local m
	awk -v root="$ROOT/" 'index($2, root) == 1 { print $2 }' /proc/self/mounts |
	    sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
trap unmount_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

in_chroot() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root LC_ALL=C TERM=dumb \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    DEBIAN_FRONTEND=noninteractive "$@"
}
mount_proc() {
	[ -r "$ROOT/proc/self/stat" ] || mount_in "$ROOT/proc" -t proc proc
}
mount_dev() {			# only when debootstrap could not mknod
	[ -c "$ROOT/dev/null" ] || mount_in "$ROOT/dev" --bind /dev
}

# --- the mirror apt uses here ---------------------------------------------

apt_uris() {			# every deb URI of the enabled apt sources
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\).*/\2/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (deb && enabled)
				for (i = 1; i <= n; i++) print u[i]
			deb = 0; enabled = 1; n = 0
		}
		BEGIN { enabled = 1 }
		/^[[:space:]]*$/ { flush(); next }
		/^[[:space:]]*#/ { next }
		tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
		tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++n] = $i }
		END { flush() }' "$f"
	done
}
reachable() {			# reachable URL: a quick HEAD
	if command -v curl >/dev/null 2>&1; then
		curl -fsSI --connect-timeout 5 -m 10 -o /dev/null "$1" 2>/dev/null
	elif command -v wget >/dev/null 2>&1; then
		wget -q --spider -T 10 -t 1 "$1" 2>/dev/null
	else
		return 1
	fi
}
find_mirror() {
	local m
	if [ -n "${TIMBRE_COMPAT_MIRROR:-}" ]; then
		MIRROR=${TIMBRE_COMPAT_MIRROR%/}
		reachable "$MIRROR/dists/$SUITE/Release" ||
			skip "mirror $MIRROR unreachable (no dists/$SUITE/Release)"
		return
	fi
	# Plain .../debian archives first (not -security, ports, cdrom).
	for m in $(apt_uris | sed 's,/*$,,' | awk '!seen[$0]++' |
	    grep -E '^https?://' | awk '/\/debian$/ { print; next } { rest[++n] = $0 }
	    END { for (i = 1; i <= n; i++) print rest[i] }'); do
		if reachable "$m/dists/$SUITE/Release"; then
			MIRROR=$m
			return
		fi
	done
	skip "no Debian mirror from /etc/apt serves dists/$SUITE (network closed?)"
}

# --- the chroot -------------------------------------------------------------

install_pkgs() {
	say "installing build dependencies in the chroot"
	mount_proc
	mount_dev
	if ! { in_chroot apt-get -q update &&
	    in_chroot apt-get -q -y --no-install-recommends install $PKGS &&
	    in_chroot apt-get clean; } >>"$LOG" 2>&1; then
		tail -n 25 "$LOG"
		unmount_all
		fail "apt-get install in the chroot failed (log: $LOG)"
	fi
	unmount_all
}

build_chroot() {
	command -v debootstrap >/dev/null 2>&1 ||
		apt-get install -y -q debootstrap >/dev/null 2>&1 ||
		skip "debootstrap is not installed (apt-get install debootstrap)"
	find_mirror
	unmount_stale
	rm -rf --one-file-system "$ROOT"
	: >"$LOG"
	say "debootstrap $SUITE from $MIRROR into $ROOT (first run, about a minute)"
	if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >>"$LOG" 2>&1; then
		tail -n 25 "$LOG"
		unmount_stale
		fail "debootstrap failed (log: $LOG)"
	fi
	# No daemon may start from a maintainer script.
	printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
	install_pkgs
	printf 'mirror=%s\npackages=%s\nbuilt=%s\n' "$MIRROR" "$PKGS" \
	    "$(date -u +%FT%TZ)" >"$STAMP"
}

unmount_stale
if [ "${TIMBRE_COMPAT_REBUILD:-0}" = 1 ] || [ ! -f "$STAMP" ]; then
	[ -f "$STAMP" ] && say "rebuilding the chroot (TIMBRE_COMPAT_REBUILD=1)"
	build_chroot
elif ! grep -qxF "packages=$PKGS" "$STAMP"; then
	# The dependency list grew: top the chroot up, no need to start over.
	say "the package list changed: topping the cached chroot up"
	find_mirror
	install_pkgs
	sed -i "s|^packages=.*|packages=$PKGS|" "$STAMP"
fi
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || :

# --- the source tree --------------------------------------------------------

# Build products somebody left in the tree are not source.
ARTIFACTS='(\.(o|a|lo|la|so|log|trs)$|(^|/)\.deps/|(^|/)\.libs/|(^|/)\.dirstamp$|(^|/)autom4te\.cache/|^(config\.(status|log|h)|stamp-h1|libtool|Makefile)$|^build[^/]*/)'

copy_tree() {
	local dest=$ROOT/src
	rm -rf --one-file-system "$dest"
	mkdir -p "$dest"
	if command -v git >/dev/null 2>&1 &&
	    git -c safe.directory="$SRC" -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	    [ "$(git -c safe.directory="$SRC" -C "$SRC" rev-parse --show-toplevel)" = "$SRC" ]; then
		{
			git -c safe.directory="$SRC" -C "$SRC" ls-files -c
			git -c safe.directory="$SRC" -C "$SRC" ls-files -o --exclude-standard |
			    grep -Ev "$ARTIFACTS"
		} | sort -u | (cd "$SRC" && while IFS= read -r f; do
			[ -f "$f" ] || [ -L "$f" ] && printf '%s\n' "$f"
		done) | tar -C "$SRC" -cf - --no-recursion -T - |
		    tar -C "$dest" -xf - || fail "copying $SRC into the chroot failed"
	else
		tar -C "$SRC" -cf - --exclude-vcs --exclude='./build*' \
		    --exclude=autom4te.cache --exclude='*.o' --exclude='*.a' \
		    --exclude=.deps --exclude='*.log' --exclude='*.trs' \
		    --exclude=./config.status --exclude=./Makefile . |
		    tar -C "$dest" -xf - || fail "copying $SRC into the chroot failed"
	fi
}
copy_tree

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
