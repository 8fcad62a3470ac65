# tests/integration/lib.sh: shared pieces of the integration tests.
#
# Source it from a test script (POSIX sh or bash, `set -eu`):
#
#	. "$top_srcdir/tests/integration/lib.sh"
#	integ_init			# temp dir in $INTEG_TMP, EXIT trap
#	integ_need_cmd nsd dig		# exit 77 with a reason if one is missing
#	integ_nsd_start example.test "$INTEG_TMP/example.test.zone"
#	dig @127.0.0.1 -p "$INTEG_NSD_PORT" example.test SOA
#
# Every process a test starts goes through integ_spawn (or is registered
# with integ_track), so that the EXIT trap stops it.  Only 127.0.0.1 is
# used.  INTEG_KEEP=1 keeps the temp dir for a post-mortem.
#
# Sanitizer builds (configure --enable-sanitizers): integ_init sends every
# AddressSanitizer, LeakSanitizer and UBSan report of the programs the test
# runs to files in $INTEG_TMP/sanitizer (log_path), and the EXIT trap fails
# the test (status 1, "not ok - sanitizer report ...") when one was
# written, or when the log of a process started by integ_spawn holds one,
# whatever the test itself concluded: a daemon that crashed, overflowed or
# leaked is a failure even if every query before that was answered.

# The harness passes absolute paths; by hand, default to the source tree
# (the test script is in tests/integration/) and to ./build in it.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"

# NSD lives in /usr/sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
export PATH

INTEG_TMP=
INTEG_PIDS=
INTEG_LOGS=
INTEG_PASS=0
INTEG_FAIL=0
INTEG_SKIP=0

# integ_init: make the temp dir and install the EXIT trap.
integ_init()
{
	INTEG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/timbre-integ.XXXXXX")
	mkdir "$INTEG_TMP/sanitizer"
	# Later options win: these paths replace any log_path given before.
	# Leaks: tests/integration/lsan.supp unless the test set suppressions
	# of its own (see integ_full_stacks).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$INTEG_TMP/sanitizer/asan
	case ${LSAN_OPTIONS:-} in
	*suppressions=*) ;;
	*) LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$top_srcdir/tests/integration/lsan.supp ;;
	esac
	export LSAN_OPTIONS
	UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$INTEG_TMP/sanitizer/ubsan
	export ASAN_OPTIONS UBSAN_OPTIONS
	trap integ_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
}

# integ_full_stacks: sanitizer builds: the programs started from now on
# record whole stacks at each malloc, so that the suppressions, named by a
# library function deep in the stack, match: for the tests whose daemons
# use libgit2.  It doubles the time a sanitizer build takes to start a
# program, so it is not the default.
integ_full_stacks()
{
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
	export ASAN_OPTIONS
}

# integ_sanitizer_reports: print, as "not ok" lines, every sanitizer report
# written so far (files in $INTEG_TMP/sanitizer, reports in the logs of
# the processes integ_spawn started); false when there is none.
integ_sanitizer_reports()
{
	local f found=1

	for f in "$INTEG_TMP"/sanitizer/*; do
		# LSan also writes the suppressions it used, which is no error.
		[ -f "$f" ] && grep -qE 'ERROR: [A-Za-z]*Sanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "$f" ||
		    continue
		echo "not ok - sanitizer report ${f##*/} (pid in the name)"
		head -n 60 "$f" | sed 's/^/#   /'
		found=0
	done
	for f in $INTEG_LOGS; do
		[ -f "$f" ] && grep -qE 'ERROR: (Address|Leak)Sanitizer|SUMMARY: UndefinedBehaviorSanitizer|^[^ ]*:[0-9]+:[0-9]+: runtime error:' "$f" ||
		    continue
		echo "not ok - sanitizer report in $f"
		grep -E -A 30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" |
		    head -n 60 | sed 's/^/#   /'
		found=0
	done
	return $found
}

# integ_cleanup: stop every tracked process (TERM, then KILL after ~3 s),
# fail the test if a sanitizer reported anything (see above) and remove the
# temp dir.  Runs from the EXIT trap.
integ_cleanup()
{
	local pid i alive rc=$? san=

	for pid in $INTEG_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		alive=
		for pid in $INTEG_PIDS; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.2
	done
	for pid in $INTEG_PIDS; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "# $pid did not stop on TERM, killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	INTEG_PIDS=
	if [ -n "$INTEG_TMP" ] && [ -d "$INTEG_TMP" ]; then
		integ_sanitizer_reports && san=1
		if [ -n "${INTEG_KEEP:-}" ]; then
			echo "# kept $INTEG_TMP" >&2
		else
			rm -rf "$INTEG_TMP"
		fi
	fi
	if [ -n "$san" ]; then
		echo "# a sanitizer reported an error: the test fails (it exited $rc)"
		exit 1
	fi
}

# integ_track PID: stop PID at exit.
# integ_unbound_start ADDR PORT [LINE...]: a validating Unbound (the
# reference resolver of the DNSSEC tests) on ADDR@PORT, in the foreground,
# its configuration in $INTEG_TMP/unbound.conf, its log in unbound.log and
# its output in unbound.out there; pid in UNBOUND_PID.  Each LINE is added
# as it is after the common settings of the server: clause: "    name:
# value" for the server (root-hints, trust-anchor-file, local-zone ...),
# or a clause of its own at the first column (stub-zone:).
integ_unbound_start()
{
	local addr=$1 port=$2 line

	shift 2
	{
		cat <<-EOF
		server:
		    interface: $addr@$port
		    port: $port
		    username: ""
		    chroot: ""
		    directory: "$INTEG_TMP"
		    pidfile: "$INTEG_TMP/unbound.pid"
		    use-syslog: no
		    logfile: "$INTEG_TMP/unbound.log"
		    verbosity: 1
		    val-log-level: 2
		    do-ip6: no
		    do-not-query-localhost: no
		    access-control: 127.0.0.0/8 allow
		    module-config: "validator iterator"
		    num-threads: 1
		    so-reuseport: no
		EOF
		for line in "$@"; do
			printf '%s\n' "$line"
		done
		printf 'remote-control:\n    control-enable: no\n'
	} >"$INTEG_TMP/unbound.conf"
	integ_spawn "$INTEG_TMP/unbound.out" unbound -d -c \
	    "$INTEG_TMP/unbound.conf"
	UNBOUND_PID=$INTEG_LAST_PID
}

# integ_netns_reexec: run the rest of the test in a network namespace of
# its own (unshare -rn, loopback up), where it may bind port 53 of any
# 127.0.0.0/8 address and reach nothing else; skips (77) where namespaces
# cannot be made.  Call it first, before integ_init: the script runs again
# from the top inside the namespace, where the call returns at once.
integ_netns_reexec()
{
	[ -n "${INTEG_IN_NETNS:-}" ] && return 0
	command -v unshare >/dev/null 2>&1 || integ_skip "unshare not found"
	command -v ip >/dev/null 2>&1 || integ_skip "ip (iproute2) not found"
	unshare -rn true 2>/dev/null ||
	    integ_skip "cannot create a network namespace (unshare -rn)"
	INTEG_IN_NETNS=1
	export INTEG_IN_NETNS top_srcdir top_builddir
	exec unshare -rn /bin/sh -c 'ip link set lo up && exec /bin/sh "$0"' \
	    "$0"
}

integ_track()
{
	INTEG_PIDS="$INTEG_PIDS $1"
}

# integ_untrack PID: forget PID (after the test stopped it itself).
integ_untrack()
{
	local p out=

	for p in $INTEG_PIDS; do
		[ "$p" = "$1" ] || out="$out $p"
	done
	INTEG_PIDS=$out
}

# integ_spawn LOGFILE CMD [ARGS...]: start CMD in the background with its
# output in LOGFILE; its pid is in $INTEG_LAST_PID and tracked.
integ_spawn()
{
	local log=$1

	shift
	"$@" >"$log" 2>&1 </dev/null &
	INTEG_LAST_PID=$!
	integ_track "$INTEG_LAST_PID"
	INTEG_LOGS="$INTEG_LOGS $log"
}

# integ_stop PID: stop one tracked process now and wait for it.
integ_stop()
{
	local i

	kill -TERM "$1" 2>/dev/null || true
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	integ_untrack "$1"
}

# integ_skip REASON: skip the whole test (automake: exit 77).
integ_skip()
{
	echo "SKIP: $*"
	exit 77
}

# integ_need_cmd CMD...: skip unless every CMD is on PATH (or a path).
integ_need_cmd()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
		    integ_skip "$c not found (install it to run this test)"
	done
}

# integ_free_port: print a port on 127.0.0.1 that is free for both UDP and
# TCP right now (best effort: a caller that fails to bind tries another).
integ_free_port()
{
	local p i used

	used=$(ss -Hlntu 2>/dev/null | awk '{ print $5 }' | sed 's/.*://')
	for i in $(seq 1 50); do
		p=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		p=$((20000 + p % 40000))
		if ! printf '%s\n' $used | grep -qx "$p"; then
			echo "$p"
			return 0
		fi
	done
	echo "integ_free_port: no free port found" >&2
	return 1
}

# integ_wait_dns PORT NAME TYPE [SECONDS]: wait until the server on
# 127.0.0.1:PORT answers NAME TYPE (any rcode counts, it answers).
integ_wait_dns()
{
	local port=$1 name=$2 type=$3 secs=${4:-10} i

	for i in $(seq 1 $((secs * 5))); do
		if dig @127.0.0.1 -p "$port" +time=1 +tries=1 +norec \
		    "$name" "$type" 2>/dev/null | grep -q 'status: NOERROR'; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# integ_txt_strings TEXT: print TEXT as a zone-file TXT rdata, split into
# quoted character-strings of at most 255 bytes (TEXT may hold no '"' or '\').
integ_txt_strings()
{
	printf '%s\n' "$1" | awk '{
		while (length($0) > 255) {
			printf "\"%s\" ", substr($0, 1, 255)
			$0 = substr($0, 256)
		}
		printf "\"%s\"", $0
	}'
}

# integ_nsd_start ZONE ZONEFILE [ZONE ZONEFILE]...: serve the zones with NSD
# on 127.0.0.1:$INTEG_NSD_PORT (UDP and TCP), as the current user, all state
# in $INTEG_TMP/nsd, and wait until it answers SOA for the first zone.
# Tries a few ports if the first is taken.
integ_nsd_start()
{
	local dir=$INTEG_TMP/nsd attempt port first=$1 zones=

	integ_need_cmd nsd nsd-checkconf dig
	mkdir -p "$dir"
	while [ $# -ge 2 ]; do
		cp "$2" "$dir/$1.zone"
		zones="${zones}zone:
    name: \"$1\"
    zonefile: \"$1.zone\"
"
		shift 2
	done
	for attempt in 1 2 3 4 5; do
		port=$(integ_free_port)
		cat >"$dir/nsd.conf" <<-EOF
		server:
		    ip-address: 127.0.0.1@$port
		    port: $port
		    do-ip4: yes
		    do-ip6: no
		    reuseport: no
		    server-count: 1
		    username: ""
		    chroot: ""
		    zonesdir: "$dir"
		    pidfile: "$dir/nsd.pid"
		    xfrdfile: "$dir/xfrd.state"
		    xfrdir: "$dir"
		    zonelistfile: "$dir/zone.list"
		    database: ""
		    logfile: "$dir/nsd.log"
		    verbosity: 1
		    hide-version: yes
		    identity: "timbre-integ"
		remote-control:
		    control-enable: no
		EOF
		printf '%s' "$zones" >>"$dir/nsd.conf"
		if ! nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.log" 2>&1; then
			sed 's/^/# nsd-checkconf: /' "$dir/checkconf.log" >&2
			return 1
		fi
		integ_spawn "$dir/nsd.out" nsd -d -c "$dir/nsd.conf"
		INTEG_NSD_PID=$INTEG_LAST_PID
		if integ_wait_dns "$port" "$first" SOA 10; then
			INTEG_NSD_PORT=$port
			return 0
		fi
		echo "# NSD did not answer on 127.0.0.1:$port (attempt $attempt):" >&2
		cat "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null | tail -n 5 |
		    sed 's/^/#   /' >&2
		integ_stop "$INTEG_NSD_PID"
		INTEG_NSD_PID=
	done
	return 1
}

# integ_nsd_stop: stop the NSD started by integ_nsd_start.
integ_nsd_stop()
{
	[ -n "${INTEG_NSD_PID:-}" ] && integ_stop "$INTEG_NSD_PID"
	INTEG_NSD_PID=
}

# TAP-like result lines: integ_ok NAME, integ_notok NAME [DETAIL...],
# integ_skipcase NAME REASON [COUNT]; integ_summary prints the totals and returns
# 1 if any case failed.
integ_ok()
{
	INTEG_PASS=$((INTEG_PASS + 1))
	echo "ok - $1"
}

integ_notok()
{
	local name=$1

	shift
	INTEG_FAIL=$((INTEG_FAIL + 1))
	echo "not ok - $name"
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
	return 0
}

integ_skipcase()
{
	INTEG_SKIP=$((INTEG_SKIP + ${3:-1}))
	echo "ok - $1 # SKIP $2"
}

integ_summary()
{
	echo "$INTEG_PASS passed, $INTEG_FAIL failed, $INTEG_SKIP skipped"
	[ "$INTEG_FAIL" -eq 0 ]
}

# integ_nsd_start_at ADDR NAME ZONE ZONEFILE [ZONE ZONEFILE]...: another
# NSD, called NAME, serving the zones on ADDR port 53 (UDP and TCP), for a
# DNS hierarchy on loopback (127.0.0.2, 127.0.0.3, ...: port 53 needs root
# or a network namespace of the test's own, see resolver.sh).  State in
# $INTEG_TMP/nsd-NAME; waits until it answers SOA for the first zone.
# INTEG_NSD_SERVER_EXTRA, when set, is one more line of its server:
# section (indented by 4), e.g. "    rrl-ratelimit: 0" for a test whose
# resolver asks NSD more than the 200 questions a second NSD's response
# rate limiting lets through by default.
integ_nsd_start_at()
{
	local addr=$1 name=$2 dir first=$3 zones= i

	shift 2
	integ_need_cmd nsd nsd-checkconf dig
	dir=$INTEG_TMP/nsd-$name
	mkdir -p "$dir"
	while [ $# -ge 2 ]; do
		cp "$2" "$dir/$(echo "$1" | tr / _).zone"
		zones="${zones}zone:
    name: \"$1\"
    zonefile: \"$(echo "$1" | tr / _).zone\"
"
		shift 2
	done
	cat >"$dir/nsd.conf" <<-EOF2
	server:
	    ip-address: $addr@53
	    port: 53
	    do-ip4: yes
	    do-ip6: no
	    reuseport: no
	    server-count: 1
	    username: ""
	    chroot: ""
	    zonesdir: "$dir"
	    pidfile: "$dir/nsd.pid"
	    xfrdfile: "$dir/xfrd.state"
	    xfrdir: "$dir"
	    zonelistfile: "$dir/zone.list"
	    database: ""
	    logfile: "$dir/nsd.log"
	    verbosity: 1
	    hide-version: yes
	    identity: "timbre-integ-$name"
	${INTEG_NSD_SERVER_EXTRA:-}
	remote-control:
	    control-enable: no
	EOF2
	printf '%s' "$zones" >>"$dir/nsd.conf"
	if ! nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.log" 2>&1; then
		sed 's/^/# nsd-checkconf: /' "$dir/checkconf.log" >&2
		return 1
	fi
	integ_spawn "$dir/nsd.out" nsd -d -c "$dir/nsd.conf"
	for i in $(seq 1 50); do
		if dig @"$addr" +time=1 +tries=1 +norec "$first" SOA \
		    2>/dev/null | grep -q 'status: NOERROR'; then
			return 0
		fi
		sleep 0.2
	done
	echo "# NSD $name did not answer on $addr:53:" >&2
	cat "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null | tail -n 5 |
	    sed 's/^/#   /' >&2
	return 1
}
