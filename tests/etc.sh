#!/bin/sh
# etc.sh: the configuration files shipped in etc/ are what etc/genconf.sh
# writes from the daemons' --help now (so a new option, a changed help
# text or default shows up in the file, and no option is there that the
# daemon does not take); every line of them is a comment or blank (an
# unedited file changes nothing, and a deployment may append to it); and
# the defaults they show, uncommented, are accepted by the daemon.  When
# this fails after a change to an option table, `make etc` writes the files
# again: commit them with the change.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/timbre-etc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
rc=0
n=0
for d in resolverd primaryd signd listd; do
	prog=$top_builddir/daemons/$d/timbre-$d
	conf=$top_srcdir/etc/timbre-$d.conf
	if [ ! -x "$prog" ]; then
		echo "not ok - $prog is not built"
		rc=1
		continue
	fi
	n=$((n + 1))
	if ! sh "$top_srcdir/etc/genconf.sh" "$prog" >"$tmp/$d.conf"; then
		echo "not ok - etc/genconf.sh $prog failed"
		rc=1
	elif ! diff -u "$conf" "$tmp/$d.conf"; then
		echo "not ok - etc/timbre-$d.conf is stale: run make etc"
		rc=1
	else
		echo "ok - etc/timbre-$d.conf matches timbre-$d --help"
	fi
	if grep -nv '^#\|^$' "$conf"; then
		echo "not ok - etc/timbre-$d.conf has lines that are not comments"
		rc=1
	fi
	# Every option of --help is in the file, once.
	for opt in $("$prog" --help | sed -n 's/^  \(-., \|    \)--\([a-z0-9-]*\).*/\2/p' |
	    grep -vx 'config\|help\|version'); do
		if [ "$(grep -c "^#$opt =" "$conf")" != 1 ]; then
			echo "not ok - etc/timbre-$d.conf: --$opt is not there once"
			rc=1
		fi
	done
	# The defaults, uncommented: the file is read before the command
	# line, so a bad --log-level stops the daemon after the file was
	# accepted and before it binds anything; an error naming the file
	# means a default it shows is not a value it takes.
	sed -n 's/^#\([a-z0-9-]* = .\)/\1/p' "$conf" >"$tmp/$d.defaults"
	"$prog" -c "$tmp/$d.defaults" --log-level=bogus >"$tmp/$d.out" 2>&1
	st=$?
	if [ $st = 2 ] && grep -q 'log-level' "$tmp/$d.out" &&
	    ! grep -q "$tmp/$d.defaults" "$tmp/$d.out"; then
		echo "ok - timbre-$d accepts the $(wc -l <"$tmp/$d.defaults") defaults its file shows"
	else
		cat "$tmp/$d.out"
		echo "not ok - timbre-$d refused the defaults of its file (exit $st)"
		rc=1
	fi
done
[ $n = 4 ] || rc=1
exit $rc
