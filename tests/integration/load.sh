#!/bin/sh
# tests/integration/load.sh: timbre-primaryd and timbre-resolverd under a
# crowd of TCP connections and slow clients (issue 16, part 5).
#
# For each daemon, load_peer.py opens 1000 TCP connections that say
# nothing and 200 that send their query one byte every 2 seconds
# (slowloris), and meanwhile a fresh client asks over UDP and over TCP
# every half second: every one of its questions must be answered (the
# daemons give the slot of the connection idle the longest to a new
# client when all 256 are taken).  Then 100 slowloris connections alone:
# each must be closed once it has not brought a whole query within the
# daemon's idle time (30 s primaryd, 10 s resolverd), though every byte
# arrives well within it.  The resolver also gets 10000 questions for
# names whose server never answers (a black hole on 127.0.0.3) while the
# fresh client asks for new names (no cache helps) another server answers.  RSS is printed
# and must stay under the man pages' bounds, the daemon's file
# descriptors under its caps (not growing with the crowd).
#
# In a network namespace of its own (unshare -rn), as limits.sh does, so
# that NSD and the black hole can hold port 53 of 127.0.0.2 and 127.0.0.3.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

integ_netns_reexec

integ_need_cmd git dig nsd
/usr/bin/python3 -c 'import dns.message' 2>/dev/null ||
    integ_skip "python3-dnspython not installed"
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
TIMBRE=$top_builddir/tools/timbre
LOAD="/usr/bin/python3 $top_srcdir/tests/integration/load_peer.py"
PEER="/usr/bin/python3 $top_srcdir/tests/integration/limits_peer.py"
integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
T=$INTEG_TMP
. "$top_srcdir/tests/integration/primary_lib.sh"
# 1200 client sockets in one process.
ulimit -n 16384 2>/dev/null || ulimit -n 4096 2>/dev/null ||
    integ_skip "cannot raise the open file limit"

# Bounds.  RSS, KiB, over what the daemon had at the start: the man
# pages' 36 MiB for the 256 TCP connections, and for the resolver 52 MiB
# for its 4096 questions in flight and their waiters (as limits.sh).  A
# sanitizer build's RSS is mostly the sanitizer's own: not checked there.
# Descriptors: the 256 connections, as many again closed but not yet
# released by libevent (it finalises a connection in the next loop turn,
# and one turn may accept a whole backlog), the daemon's own 30, and for
# the resolver one UDP socket per question in flight upstream.
TCP_BOUND=$((36 * 1024))
TASK_BOUND=$((52 * 1024))
FDS_TCP=$((256 + 256 + 30))
SANITIZED=
ldd "$RESOLVERD" 2>/dev/null | grep -q libasan && SANITIZED=1

field() { # field NAME LINE
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# crowd WHO PORT PID NAME FDS RSS [load_peer options]: 1000 idle and
# 200 slow connections; every probe over UDP and TCP answered; at most
# FDS descriptors open and RSS KiB more than at the start.
crowd() {
	local who=$1 port=$2 pid=$3 name=$4 fds=$5 rss=$6 out before peak
	shift 6
	out=$($LOAD --port "$port" --pid "$pid" --name "$name" --idle 1000 \
	    --slow 200 --byte-every 2 --seconds 10 "$@") || true
	echo "# $who: $out"
	check "$who: 1000 silent and 200 slow TCP connections, every UDP question answered" \
	    test "$(field probes "$out")" -ge 10 -a \
	    "$(field udp_ok "$out")" = "$(field probes "$out")"
	check "$who: and every TCP question of a fresh client ($(field tcp_ok "$out") of $(field probes "$out"), $(field tcp_refused "$out") refused)" \
	    test "$(field tcp_ok "$out")" = "$(field probes "$out")"
	check "$who: its file descriptors bounded by its caps, not by the crowd ($(field fds_peak "$out"), at most $fds)" \
	    test "$(field fds_peak "$out")" -le "$fds"
	before=$(field rss_before_kb "$out")
	peak=$(field rss_peak_kb "$out")
	if [ -n "$SANITIZED" ]; then
		integ_skipcase "$who: RSS within the bound" "sanitizer build"
	else
		check "$who: RSS $before KiB -> $peak KiB, at most $rss KiB more" \
		    test "$peak" -le $((before + rss))
	fi
}

# trickle WHO PORT PID NAME SECONDS: 100 slowloris connections, each
# closed after SECONDS without a whole query.
trickle() {
	local who=$1 port=$2 pid=$3 name=$4 secs=$5 out
	out=$($LOAD --port "$port" --pid "$pid" --name "$name" --idle 0 \
	    --slow 100 --byte-every 2 --seconds "$secs" --probe-every 2) ||
	    true
	echo "# $who: $out"
	check "$who: 100 connections trickling a byte every 2 s are closed after its idle time ($(field slow_cut "$out") of 100)" \
	    test "$(field slow_cut "$out")" = 100 -a "$(field slow_open "$out")" = 0
}

# ---- timbre-primaryd ----
BARE=$T/zone.git
prim_repo_small
start_primary "$T/primary.log" --remote "file://$BARE#main" \
    --workdir "$T/work" ||
    { nok "primaryd started"; integ_summary; exit 1; }
crowd primaryd "$PORT" "$PRIMARY_PID" www.example.org "$FDS_TCP" "$TCP_BOUND"
trickle primaryd "$PORT" "$PRIMARY_PID" www.example.org 36
kill -USR1 "$PRIMARY_PID"
sleep 0.5
line=$(grep "primary stats" "$T/primary.log" | tail -n 1)
echo "# $line"
check "primaryd: connections closed for new ones counted ($(field tcp_evicted "$line"))" \
    test "$(field tcp_evicted "$line")" -ge 1
integ_stop "$PRIMARY_PID"

# ---- timbre-resolverd ----
cat >"$T/root.zone" <<-'EOF'
	$TTL 3600
	. SOA a.root. hostmaster.root. 1 3600 900 604800 300
	. NS a.root.
	a.root. A 127.0.0.2
	*.fast. A 192.0.2.7
	slow. NS ns.slow.
	ns.slow. A 127.0.0.3
	EOF
integ_nsd_start_at 127.0.0.2 root . "$T/root.zone" ||
    integ_skip "NSD does not start on 127.0.0.2:53"
integ_spawn "$T/blackhole.log" $PEER blackhole --addr 127.0.0.3 --port 53 \
    --lifetime 300
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >"$T/hints"
RPORT=$(integ_free_port)
integ_spawn "$T/resolverd.log" "$RESOLVERD" -f -c /dev/null \
    --log-level warn --listen "127.0.0.1:$RPORT" --root-hints "$T/hints" \
    --no-dnssec
RESOLVER_PID=$INTEG_LAST_PID
integ_wait_dns "$RPORT" www.fast. A 10 ||
    { nok "resolverd started"; integ_summary; exit 1; }
crowd resolverd "$RPORT" "$RESOLVER_PID" '*.fast.' $((FDS_TCP + 4096)) \
    $((TCP_BOUND + TASK_BOUND)) --udp 10000 --udp-name slow.
trickle resolverd "$RPORT" "$RESOLVER_PID" '*.fast.' 16
stats=$(dig @127.0.0.1 -p "$RPORT" +time=2 +tries=1 +short CH TXT \
    stats.timbre. | tr -d '"')
echo "# resolverd: $(echo $stats)"
check "resolverd: connections closed for new ones counted ($(field tcp-evicted "$stats"))" \
    test "$(field tcp-evicted "$stats")" -ge 1
integ_stop "$RESOLVER_PID"
integ_summary
