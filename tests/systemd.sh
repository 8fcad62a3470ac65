#!/bin/sh
# systemd.sh: the units as make install puts them pass `systemd-analyze
# verify` without a word (a warning, an unknown key, a missing program is
# a failure), and `systemd-analyze security --offline=true` rates each at
# an exposure of 2.0 or less; the figures are printed.
#
# The units are not started: that needs systemd as PID 1, which the
# containers this runs in (and CI) do not have.  contrib/deb/build.sh
# installs them with the Debian packages instead.  verify checks that the
# programs named exist, so the units are verified as copies whose
# ExecStart points into the staging directory of make install; security
# reads the installed files themselves.  --offline needs systemd 250 or
# later (Debian 12 has 252, Debian 11 247: there the test skips).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
MAX=2.0
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip: systemd-analyze is not installed (apt-get install systemd)"
	exit 77
fi
if ! systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
	echo "skip: systemd-analyze $(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') has no security --offline (250 or later)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/timbre-systemd.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
# configure's sbindir and unit directory, as make expands them (under
# make distcheck they are made of $(prefix)).  With
# --with-systemdsystemunitdir=no make install puts no unit: the ones
# written in the build tree are checked then.
mkvar() {
	(cd "$top_builddir" && printf 'print-var:\n\t@echo $(%s)\n' "$1" |
	    MAKEFLAGS= ${MAKE:-make} -s --no-print-directory -f Makefile -f - print-var)
}
sbindir=$(mkvar sbindir)
unitdir=$(mkvar systemdsystemunitdir)
if ! (cd "$top_builddir" && ${MAKE:-make} -s install DESTDIR="$dest") \
    >"$tmp/install.out" 2>&1; then
	cat "$tmp/install.out"
	echo "not ok - make install DESTDIR=$dest"
	exit 1
fi
if [ "$unitdir" = no ]; then
	echo "# configure --with-systemdsystemunitdir=no: checking the units in $top_builddir/systemd"
	unitdir=$top_builddir/systemd
	dest=
fi
rc=0
n=0
for d in resolverd primaryd signd listd; do
	unit=$dest$unitdir/timbre-$d.service
	if [ ! -f "$unit" ]; then
		echo "not ok - make install put no $unitdir/timbre-$d.service"
		rc=1
		continue
	fi
	n=$((n + 1))
	if grep -n '@[a-z]*@' "$unit"; then
		echo "not ok - timbre-$d.service: a placeholder left"
		rc=1
	fi
	if ! grep -q "^ExecStart=$sbindir/timbre-$d\\b" "$unit"; then
		echo "not ok - timbre-$d.service: ExecStart is not $sbindir/timbre-$d"
		rc=1
	fi
	mkdir -p "$tmp/verify"
	sed "s|^ExecStart=$sbindir/|ExecStart=$tmp/dest$sbindir/|" "$unit" \
	    >"$tmp/verify/timbre-$d.service"
	out=$(systemd-analyze verify --man=no "$tmp/verify/timbre-$d.service" 2>&1)
	st=$?
	if [ $st = 0 ] && [ -z "$out" ]; then
		echo "ok - systemd-analyze verify timbre-$d.service"
	else
		printf '%s\n' "$out"
		echo "not ok - systemd-analyze verify timbre-$d.service (exit $st)"
		rc=1
	fi
	systemd-analyze security --offline=true --no-pager "$unit" \
	    >"$tmp/security.out" 2>&1
	e=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' \
	    "$tmp/security.out")
	if [ -z "$e" ]; then
		cat "$tmp/security.out"
		echo "not ok - systemd-analyze security timbre-$d.service: no figure"
		rc=1
	elif awk -v e="$e" -v m="$MAX" 'BEGIN { exit !(e + 0 <= m + 0) }'; then
		echo "ok - timbre-$d.service: exposure $e (at most $MAX)"
	else
		grep '✗' "$tmp/security.out"
		echo "not ok - timbre-$d.service: exposure $e, above $MAX"
		rc=1
	fi
done
[ $n = 4 ] || rc=1
exit $rc
