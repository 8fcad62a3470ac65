#!/bin/sh
# deps.sh: who uses whom in timbre, from the #include lines of the
# sources: the modules (src/<module>, daemons/<daemon>, tools) in layers,
# each above everything it includes, then each module's edges and the
# outside libraries it includes (ldns, libevent, OpenSSL, libgit2,
# sqlite3, libssh).  docs/layout.md holds its output (make layout writes
# it there; tests/layout.sh checks that it is current).
#
#   tools/deps.sh [SRCDIR]		prints it
#   tools/deps.sh --write SRCDIR	rewrites the block of SRCDIR/docs/layout.md
#				between its "deps.sh" markers
#
# Exits 1, naming them, if modules include each other in a circle.
set -eu
if [ "${1:-}" = --write ]; then
	doc=$2/docs/layout.md
	out=$(sh "$0" "$2")
	{
		sed -n '1,/^<!-- deps.sh: begin/p' "$doc"
		printf '```\n%s\n```\n' "$out"
		sed -n '/^<!-- deps.sh: end/,$p' "$doc"
	} >"$doc.tmp"
	mv "$doc.tmp" "$doc"
	exit 0
fi
top=${1:-$(dirname "$0")/..}
cd "$top"

# One line per edge, "from to": a module's files include "to/x.h" (a
# folder of src/) or <lib/x.h>.  Includes without a folder are the
# module's own files.
edges=$(
	for f in src/*/*.[ch] daemons/*/*.[ch] tools/*.[ch]; do
		[ -f "$f" ] || continue
		case $f in
		src/*)	mod=${f%/*} ;;
		daemons/*) mod=${f%/*} ;;
		tools/*) mod=tools ;;
		esac
		sed -n 's/^#[ 	]*include[ 	]*\([<"]\)\([^>"]*\)[>"].*/\1 \2/p' "$f" |
		while read -r q inc; do
			case $q$inc in
			\"tools/*) to=tools ;;
			\"daemons/*/*) to=${inc%/*} ;;
			\"*/*)	to=src/${inc%%/*} ;;
			\<ldns/*) to="[ldns]" ;;
			\<event2/*) to="[libevent]" ;;
			\<openssl/*) to="[openssl]" ;;
			\<git2.h|\<git2/*) to="[libgit2]" ;;
			\<sqlite3.h) to="[sqlite3]" ;;
			\<libssh/*) to="[libssh]" ;;
			*)	continue ;;
			esac
			[ "$to" = "$mod" ] || echo "$mod $to"
		done
	done | sort -u
)

printf '%s\n' "$edges" | awk '
NF == 2 {
	mods[$1] = 1
	if ($2 ~ /^\[/) {
		libs[$1] = libs[$1] " " $2
		next
	}
	mods[$2] = 1
	dep[$1] = dep[$1] " " $2
	n[$1]++
	e[$1, n[$1]] = $2
}
# The layer of a module: 0 if it includes no module, else one more than
# the highest layer of those it includes.  A circle has no layer.
function layer(m,    i, l, best) {
	if (m in lay)
		return lay[m]
	if (m in busy) {
		circle = circle " " m
		return 0
	}
	busy[m] = 1
	best = 0
	for (i = 1; i <= n[m]; i++) {
		l = layer(e[m, i]) + 1
		if (l > best)
			best = l
	}
	delete busy[m]
	lay[m] = best
	return best
}
END {
	top = 0
	for (m in mods) {
		k = layer(m)
		if (k > top)
			top = k
	}
	print "Layers (each module uses only modules of the layers below it):"
	print ""
	for (k = top; k >= 0; k--) {
		line = ""
		for (m in mods)
			if (lay[m] == k)
				line = line "\n" m
		# sorted by name within a layer
		split(substr(line, 2), a, "\n")
		na = 0
		for (i in a)
			na++
		for (i = 1; i <= na; i++)
			for (j = i + 1; j <= na; j++)
				if (a[j] < a[i]) {
					t = a[i]; a[i] = a[j]; a[j] = t
				}
		out = ""
		for (i = 1; i <= na; i++)
			out = out (i > 1 ? " " : "") a[i]
		printf "  %d  %s\n", k, out
	}
	print ""
	print "Edges (module: the modules it includes [outside libraries]):"
	print ""
	na = 0
	for (m in mods)
		b[++na] = m
	for (i = 1; i <= na; i++)
		for (j = i + 1; j <= na; j++)
			if (b[j] < b[i]) {
				t = b[i]; b[i] = b[j]; b[j] = t
			}
	for (i = 1; i <= na; i++) {
		m = b[i]
		# wrapped at 78 columns, continuation lines under the first
		line = sprintf("  %-19s", m ":")
		nw = split(substr(dep[m] libs[m], 2), w, " ")
		col = length(line)
		for (j = 1; j <= nw; j++) {
			if (col + length(w[j]) + 1 > 78 && col > 20) {
				print line
				line = sprintf("%21s", "")
				col = 21
			}
			line = line (col > 21 ? " " : "") w[j]
			col = length(line)
		}
		print line
	}
	if (circle != "") {
		print "deps.sh: modules in a circle:" circle > "/dev/stderr"
		exit 1
	}
}'
