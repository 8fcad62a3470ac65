#!/bin/sh
# nm.sh: every global symbol libtimbre defines carries the prefix of the
# folder it comes from (docs/style.md section 1: one prefix per src/ folder,
# one per file in src/util), so that no two modules, and no module and a
# library we link, can define the same name.  Each object of the
# libraries is checked against its folder's prefixes (the make check
# environment lists them in LIBTIMBRE_OBJECTS); the archives themselves
# against the prefixes of all folders, which also catches an object this
# script has not been told about.
set -u
: "${top_builddir:=.}"
if ! command -v nm >/dev/null 2>&1; then
	echo "skip: nm is not installed (apt-get install binutils)"
	exit 77
fi

# The prefixes of each folder of src/.  A new folder gets a line here.
# fatal() is the one exception: the daemons' and tools' exit on a bad
# start-up (docs/style.md section 4), named as docs/style.md names it.
prefixes() {
	case $1 in
	util)		echo "buf_ log_ opt_ b64_ err_ daemon_ acl_ pool_ =fatal" ;;
	dns)		echo "dns_" ;;
	resolver)	echo "res_" ;;
	auth)		echo "auth_" ;;
	mail)		echo "mail_" ;;
	dkim)		echo "dkim_" ;;
	arc)		echo "arc_" ;;
	spf)		echo "spf_" ;;
	dmarc)		echo "dmarc_" ;;
	authres)	echo "authres_" ;;
	smtp)		echo "smtp_" ;;
	milter)		echo "milter_" ;;
	keys)		echo "key_" ;;
	store)		echo "store_" ;;
	git)		echo "repo_" ;;
	archive)	echo "archive_" ;;
	*)		echo "" ;;
	esac
}
ALL_FOLDERS="util dns resolver auth mail dkim arc spf dmarc authres smtp
milter keys store git archive"

# Prints the global symbols of file ($1) that match none of the prefixes
# ($2: "p_" for a prefix, "=name" for one exact name).
stray() {
	nm -g --defined-only "$1" 2>/dev/null | awk -v pre="$2" '
	BEGIN { n = split(pre, p, " ") }
	NF == 3 {
		ok = 0
		for (i = 1; i <= n; i++) {
			if (substr(p[i], 1, 1) == "=") {
				if ($3 == substr(p[i], 2))
					ok = 1
			} else if (index($3, p[i]) == 1)
				ok = 1
		}
		if (!ok)
			print $3
	}' | sort -u
}

rc=0
checked=0
for obj in ${LIBTIMBRE_OBJECTS:-}; do
	f="$top_builddir/$obj"
	[ -f "$f" ] || continue
	dir=${obj#src/}
	dir=${dir%%/*}
	pre=$(prefixes "$dir")
	if [ -z "$pre" ]; then
		echo "nm.sh: $obj: folder src/$dir has no prefix listed here"
		rc=1
		continue
	fi
	for sym in $(stray "$f" "$pre"); do
		echo "$obj: global symbol without the prefix of src/$dir ($pre): $sym"
		rc=1
	done
	checked=$((checked + 1))
done

all=""
for d in $ALL_FOLDERS; do
	all="$all $(prefixes "$d")"
done
for lib in "$top_builddir"/src/libtimbre*.a; do
	[ -f "$lib" ] || continue
	for sym in $(stray "$lib" "$all"); do
		echo "$lib: global symbol without a project prefix: $sym"
		rc=1
	done
	checked=$((checked + 1))
done

if [ "$checked" -eq 0 ]; then
	echo "nm.sh: no object or archive of libtimbre found under $top_builddir"
	exit 99
fi
[ "$rc" -eq 0 ] && echo "nm.sh: $checked objects and archives checked"
exit "$rc"
