#!/bin/sh
# man.sh: every man page passes mandoc -Tlint (warnings and above), and
# every long option the tool's subcommands print in --help is documented.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
if ! command -v mandoc >/dev/null 2>&1; then
	echo "skip: mandoc is not installed (apt-get install mandoc)"
	exit 77
fi
rc=0
for page in "$top_srcdir"/man/*.[1-8]; do
	mandoc -Tlint -Wwarning "$page" || rc=1
done
tool="$top_builddir/tools/timbre"
for cmd in "dkim verify" "dkim sign" "arc verify" "arc sign" "dmarc verify" "spf check" "keygen" "tsig-keygen" "tlsa" "notify" "key derive" "doctor" "list add" "list settings" "list subscribe" "list show"; do
	for opt in $($tool $cmd --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		if ! grep -q -- "Fl Fl ${opt#--}\b" "$top_srcdir/man/timbre.1"; then
			echo "timbre.1 does not document $cmd $opt"
			rc=1
		fi
	done
done
# Daemons: every long option of --help is in the daemon's page.
for d in "$top_builddir"/daemons/*/timbre-*; do
	[ -x "$d" ] || continue
	page="$top_srcdir/man/$(basename "$d").8"
	for opt in $("$d" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		if ! grep -q -- "Fl Fl ${opt#--}\b" "$page"; then
			echo "$(basename "$page") does not document $opt"
			rc=1
		fi
	done
done
[ $rc = 0 ] && echo "man pages: lint clean, every option documented"
exit $rc
