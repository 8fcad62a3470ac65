# tests/compat/chroot.sh: the cached Debian chroots of tests/compat/bullseye.sh
# and contrib/deb/build.sh, sourced by both (bash).
#
# A chroot of suite SUITE is debootstrapped once (minbase) from the Debian
# mirror this machine's apt uses and cached in /var/cache/timbre-compat/SUITE
# (TIMBRE_COMPAT_DIR for bullseye.sh's), with the packages a caller needs
# installed in it.  A file .timbre-compat-complete in it marks it finished
# and lists the packages installed; a caller that needs more tops the
# chroot up with apt (the list grows, it never shrinks), so the two scripts
# share one bullseye chroot without undoing each other's packages.
#
# The caller sets TAG (the prefix of its messages) before sourcing, then per
# chroot: chroot_use SUITE [DIR]; chroot_lock; chroot_ready PACKAGES.  Then
# in_chroot CMD... runs a command in $ROOT; mount_proc and mount_dev mount
# what apt and a build need (undone by unmount_all, and on exit);
# copy_tree SRC DEST copies a source tree's files.
#
# Exit status of the caller: 77 with one line "TAG: skipped: REASON" when it
# cannot run here (not root; no debootstrap; no mirror serving the suite),
# 1 when setting a chroot up fails.

say()  { printf '%s: %s\n' "$TAG" "$*"; }
skip() { say "skipped: $*"; exit 77; }
fail() { say "error: $*" >&2; exit 1; }

chroot_need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
}

# chroot_use SUITE [DIR]: the chroot the functions below work on.
chroot_use() {
	SUITE=$1
	ROOT=${2:-/var/cache/timbre-compat/$SUITE}
	case $ROOT in
	/?*) ROOT=${ROOT%/} ;;
	*) fail "the chroot must be an absolute path: $ROOT" ;;
	esac
	STAMP=$ROOT/.timbre-compat-complete
	LOG=$ROOT.log			# debootstrap/apt output, next to the chroot
	mkdir -p "$(dirname "$ROOT")" || fail "cannot create $(dirname "$ROOT")"
}

# One run at a time per chroot: check.sh may run in several trees at once.
# The lock is held until the caller exits (or calls chroot_unlock).
chroot_lock() {
	exec 9>"$ROOT.lock"
	if ! flock -n 9; then
		say "waiting for another run using $ROOT"
		flock -w 3600 9 || fail "$ROOT is locked by another run"
	fi
}
chroot_unlock() {
	exec 9>&-
}

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
# Mounts left under a directory (default: the chroot) by a run that was
# killed with SIGKILL.
unmount_stale() {
	local m
	awk -v root="${1:-$ROOT}/" 'index($2, root) == 1 || $2 "/" == root { print $2 }' \
	    /proc/self/mounts | sort -r | while read -r m; do
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

install_pkgs() {		# install_pkgs PACKAGES
	say "installing packages in the $SUITE chroot: $*"
	mount_proc
	mount_dev
	if ! { in_chroot apt-get -q update &&
	    in_chroot apt-get -q -y --no-install-recommends install "$@" &&
	    in_chroot apt-get clean; } >>"$LOG" 2>&1; then
		tail -n 25 "$LOG"
		unmount_all
		fail "apt-get install in the $SUITE chroot failed (log: $LOG)"
	fi
	unmount_all
}

build_chroot() {		# build_chroot PACKAGES
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
	install_pkgs "$@"
	printf 'mirror=%s\npackages=%s\nbuilt=%s\n' "$MIRROR" "$*" \
	    "$(date -u +%FT%TZ)" >"$STAMP"
}

# chroot_ready PACKAGES: $ROOT is a finished chroot of $SUITE holding at
# least PACKAGES (TIMBRE_COMPAT_REBUILD=1: built again from scratch).
chroot_ready() {
	local have p missing=""
	unmount_stale
	if [ "${TIMBRE_COMPAT_REBUILD:-0}" = 1 ] || [ ! -f "$STAMP" ]; then
		[ -f "$STAMP" ] && say "rebuilding the $SUITE chroot (TIMBRE_COMPAT_REBUILD=1)"
		build_chroot "$@"
	else
		have=" $(sed -n 's/^packages=//p' "$STAMP") "
		for p in "$@"; do
			case $have in
			*" $p "*) ;;
			*) missing="$missing $p" ;;
			esac
		done
		if [ -n "$missing" ]; then
			# No need to start over: top the cached chroot up.
			find_mirror
			install_pkgs $missing
			have=$(echo $have $missing)
			sed -i "s|^packages=.*|packages=$have|" "$STAMP"
		fi
	fi
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || :
}

# --- the source tree --------------------------------------------------------

# Build products somebody left in the tree are not source.
ARTIFACTS='(\.(o|a|lo|la|so|log|trs)$|(^|/)\.deps/|(^|/)\.libs/|(^|/)\.dirstamp$|(^|/)autom4te\.cache/|^(config\.(status|log|h)|stamp-h1|libtool|Makefile)$|^build[^/]*/)'

# copy_tree SRC DEST: the files git knows about (tracked and untracked, not
# ignored ones or build products), so the working tree, not the last
# commit; without git, the tree less the usual build products.
copy_tree() {
	local src=$1 dest=$2
	rm -rf --one-file-system "$dest"
	mkdir -p "$dest"
	if command -v git >/dev/null 2>&1 &&
	    git -c safe.directory="$src" -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	    [ "$(git -c safe.directory="$src" -C "$src" rev-parse --show-toplevel)" = "$src" ]; then
		{
			git -c safe.directory="$src" -C "$src" ls-files -c
			git -c safe.directory="$src" -C "$src" ls-files -o --exclude-standard |
			    grep -Ev "$ARTIFACTS"
		} | sort -u | (cd "$src" && while IFS= read -r f; do
			[ -f "$f" ] || [ -L "$f" ] && printf '%s\n' "$f"
		done) | tar -C "$src" -cf - --no-recursion -T - |
		    tar -C "$dest" -xf - || fail "copying $src into the chroot failed"
	else
		tar -C "$src" -cf - --exclude-vcs --exclude='./build*' \
		    --exclude=autom4te.cache --exclude='*.o' --exclude='*.a' \
		    --exclude=.deps --exclude='*.log' --exclude='*.trs' \
		    --exclude=./config.status --exclude=./Makefile . |
		    tar -C "$dest" -xf - || fail "copying $src into the chroot failed"
	fi
}
