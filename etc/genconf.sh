#!/bin/sh
#
# etc/genconf.sh DAEMON [NAME]: prints the configuration file shipped for a
# daemon (etc/NAME.conf, NAME defaulting to the program's file name),
# written from what `DAEMON --help` prints.
#
# --help is printed from the daemon's option table (src/util/opt.c), the
# same table that parses the file, so a file written from it names every
# option the daemon takes, with its help text and default, and none it does
# not.  Every line is a comment: an installed but unedited file changes
# nothing, and a deployment appends its own settings below (contrib/lab
# does).  tests/etc.sh fails when a file in etc/ differs from what this
# prints; `make etc` writes them again.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DAEMON [NAME]" >&2; exit 2; }
daemon=$1
name=${2:-$(basename "$daemon")}
help=$("$daemon" --help) || { echo "$0: $daemon --help failed" >&2; exit 1; }

printf '%s\n' "$help" | awk -v name="$name" '
# Wraps "# " + text at 72 columns.
function comment(text,   line, n, i, w) {
	n = split(text, w, " ")
	line = "#"
	for (i = 1; i <= n; i++) {
		if (length(line) + 1 + length(w[i]) > 72 && line != "#") {
			print line
			line = "#"
		}
		line = line " " w[i]
	}
	print line
}
NR == 2 { synopsis = $0 }
/^  (-[A-Za-z], |    )--[a-z0-9-]+/ {
	line = substr($0, 7)
	opt = line
	sub(/ .*/, "", opt)
	sub(/^--/, "", opt)
	if (opt == "config" || opt == "help" || opt == "version")
		next
	rest = substr(line, length(opt) + 3)
	takes = (rest ~ /^ VALUE /)
	if (takes)
		rest = substr(rest, 7)
	sub(/^ +/, "", rest)
	# opt.c appends " (default X)"; the help texts themselves say
	# "(default: ...)" or "; default ...", which stay part of the text.
	def = ""
	if (match(rest, / \(default [^:(][^()]*\)$/)) {
		def = substr(rest, RSTART + 10, RLENGTH - 11)
		rest = substr(rest, 1, RSTART - 1)
	}
	n++
	opts[n] = opt
	helps[n] = rest
	defs[n] = def
	values[n] = takes
}
END {
	if (n == 0) {
		print "genconf: no options in the --help text" > "/dev/stderr"
		exit 1
	}
	print "# " name ".conf: the configuration of " name "(8):"
	comment(synopsis ".")
	print "#"
	comment("One \"name = value\" per line, the names being the long " \
	    "options without their dashes; a bare name sets an option that " \
	    "takes no value; \"#\" starts a comment; an option marked " \
	    "repeatable may be given on several lines (timbre.conf(5)).  " \
	    "The command line wins over this file.  The daemon reads it " \
	    "when it starts and again on SIGHUP (systemctl reload " name ").")
	print "#"
	comment("Every option is listed below, commented out, with its " \
	    "help text and its default where it has one.  Under systemd " \
	    "the unit already runs the daemon as its own user: leave " \
	    "\"user\" unset there.")
	print "#"
	print "# Written by etc/genconf.sh from `" name " --help`."
	for (i = 1; i <= n; i++) {
		print ""
		comment(helps[i] ".")
		if (!values[i])
			print "#" opts[i] " = no"
		else if (defs[i] != "")
			print "#" opts[i] " = " defs[i]
		else
			print "#" opts[i] " ="
	}
}'
