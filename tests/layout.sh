#!/bin/sh
# layout.sh: the picture of who uses whom in docs/layout.md is the one
# tools/deps.sh draws from the #include lines of the sources now, and no
# two modules include each other in a circle.  When a change adds or
# removes an edge, `make layout` redraws the picture: commit it with the
# change, so that the edge is seen in review.
set -u
: "${top_srcdir:=.}"
# The picture is of the repository's sources; a release tarball holds
# only the files of its targets (daemons/signd's first header is in none
# yet), so there is nothing to compare it with.
if [ ! -e "$top_srcdir/.git" ]; then
	echo "skip: not a git checkout (the picture is checked in the repository)"
	exit 77
fi
doc="$top_srcdir/docs/layout.md"
tmp=${TMPDIR:-/tmp}/layout.$$
if ! now=$(sh "$top_srcdir/tools/deps.sh" "$top_srcdir"); then
	echo "layout.sh: tools/deps.sh failed (a circle between modules?)"
	exit 1
fi
drawn=$(sed -n '/^<!-- deps.sh: begin/,/^<!-- deps.sh: end/p' "$doc" |
    sed '1,2d;$d' | sed '$d')
if [ "$now" != "$drawn" ]; then
	echo "layout.sh: docs/layout.md is out of date; run make layout:"
	printf '%s\n' "$drawn" >"$tmp.drawn"
	printf '%s\n' "$now" >"$tmp.now"
	diff -u "$tmp.drawn" "$tmp.now"
	rm -f "$tmp.drawn" "$tmp.now"
	exit 1
fi
echo "layout.sh: docs/layout.md matches the includes"
