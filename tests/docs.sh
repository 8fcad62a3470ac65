#!/bin/sh
# docs.sh: the project's documentation stands alone.  Nothing under
# docs/, man/ or README.md points outside the repository (no ../shared,
# no /work/ path), no comment cites a document by a name the tree does
# not hold (INTERFACE.md for docs/interface.md), and every long option a daemon's --help prints is
# named in docs/interface.md, the contract, as `--name`: in the daemon's
# own section ("## timbre-listd") or in the conventions every daemon
# shares.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
rc=0
files=$(find "$top_srcdir/docs" "$top_srcdir/man" -type f 2>/dev/null)
for f in $files "$top_srcdir/README.md"; do
	[ -f "$f" ] || continue
	if grep -n -e '\.\./shared' -e '/work/' "$f"; then
		echo "docs.sh: ${f#"$top_srcdir"/} points outside the repository"
		rc=1
	fi
done
# Comments cite the documents by their paths in the tree, not by the
# names of documents a clone does not have.
for dir in src daemons tools tests bench contrib etc systemd debian; do
	[ -d "$top_srcdir/$dir" ] || continue
	if grep -rnI -e '\bINTERFACE\.md' -e '\bDESIGN\.md' -e '\bSTYLE\.md' \
	    -e 'ptt-nec-lipap' -e 'primary-git-resolver-blaze' \
	    --exclude=docs.sh "$top_srcdir/$dir"; then
		echo "docs.sh: $dir/ cites a document the repository does not hold"
		rc=1
	fi
done
contract="$top_srcdir/docs/interface.md"
if [ ! -f "$contract" ]; then
	echo "docs.sh: docs/interface.md is missing"
	exit 1
fi
# The lines of the sections whose titles are $1 and $2.
sections() {
	awk -v a="## $1" -v b="## $2" '
	    /^## / { on = ($0 == a || $0 == b) }
	    on' "$contract"
}
n=0
for d in "$top_builddir"/daemons/*/timbre-*; do
	[ -x "$d" ] || continue
	n=$((n + 1))
	name=$(basename "$d")
	text=$(sections "Conventions shared by every daemon" "$name")
	if ! help=$("$d" --help); then
		echo "docs.sh: $name --help failed"
		rc=1
		continue
	fi
	for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' |
	    sort -u); do
		# --listen must be named itself, not only inside --listen-signed.
		if ! printf '%s\n' "$text" |
		    grep -q -E -- "${opt}([^a-z0-9-]|\$)"; then
			echo "docs.sh: docs/interface.md does not name $name $opt"
			rc=1
		fi
	done
done
if [ $n -eq 0 ]; then
	echo "docs.sh: no daemon built under $top_builddir/daemons"
	exit 1
fi
[ $rc = 0 ] && echo "docs.sh: docs stand alone; docs/interface.md names every option of the $n daemons"
exit $rc
