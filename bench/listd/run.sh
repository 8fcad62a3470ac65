#!/bin/sh
# bench/listd/run.sh: timbre-listd's throughput and memory beside
# Postfix's smtp-source and smtp-sink, in the same run on the same
# machine (issue 12 item 11), all on loopback:
#
#   - accepted messages/s: smtp-source (CONNECTIONS concurrent sessions,
#     a new connection per message, 4 KiB messages from a subscriber to
#     dev@lists.test) into timbre-listd's --listen, every 250 a committed
#     row (SPF, DMARC, the list look-up, sqlite3 with synchronous=FULL);
#     the reference is the same smtp-source into smtp-sink, which
#     answers 250 and keeps nothing.  Bar: at least 0.5 of it.  The
#     signer is down during this row (a port nobody listens on), so the
#     row measures the inbound side alone: the posts wait in "signing".
#   - fan-out deliveries/s: one post to a list of FANOUT subscribers over
#     four domains, signed by timbre-signd and back on --listen-signed,
#     then delivered from listd's queue to four smtp-sink MTAs
#     (127.0.0.11-14, found through MX records NSD serves); timed from
#     the moment the delivery rows exist to the last one sent.  The
#     reference is smtp-source with reused connections (-d) into the
#     same four smtp-sink, one smtp-source each, as many sessions in all
#     as listd may open (four domains times --max-per-domain 5): the rate
#     of an MTA that has nothing to look up, sign or record.  Bar: at
#     least 0.5 of it.
#   - RSS of timbre-listd with 100, 10 000 and 100 000 subscribers: at
#     rest after start, then the peak (VmHWM) while one post is fanned
#     out (the rows made, and SECONDS of delivery).  Bar: flat within 2x.
#
#	sh bench/listd/run.sh [-m MESSAGES] [-c CONNECTIONS] [-n FANOUT]
#	    [-r ROUNDS] [-s SECONDS] [-B BUILDDIR] [-b BEFORE] [-o RESULTS]
#
# -m: messages of the acceptance row (2000); -c: concurrent sessions of
# smtp-source (20); -n: subscribers of the fan-out row (5000); -r:
# rounds, each side's figure is its best (2); -s: seconds of delivery
# watched for the RSS rows (3); -b: another build directory (an older
# tree, "before") whose timbre-listd and timbre take part in the
# acceptance row too, each round after this build's, on a database of
# their own.  A benchmark reports; it never fails: it
# exits 0 whatever it measured, and stops every process it started.
# BENCH_KEEP=1 keeps its temp dir (databases, logs, zone).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
PATH=$PATH:/usr/sbin:/sbin
export PATH

msgs=2000
conns=20
fanout=5000
rounds=2
seconds=3
out=
older=
while getopts B:b:c:m:n:o:r:s: c; do
	case $c in
	B) top_builddir=$OPTARG ;;
	b) older=$OPTARG ;;
	c) conns=$OPTARG ;;
	m) msgs=$OPTARG ;;
	n) fanout=$OPTARG ;;
	o) out=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) seconds=$OPTARG ;;
	*) echo "usage: run.sh [-m MESSAGES] [-c CONNECTIONS] [-n FANOUT]" \
	       "[-r ROUNDS] [-s SECONDS] [-B BUILDDIR] [-b BEFORE]" \
	       "[-o RESULTS]" >&2
	   exit 0 ;;
	esac
done
case $top_builddir in /*) ;; *) top_builddir=$(pwd)/$top_builddir ;; esac
LISTD=$top_builddir/daemons/listd/timbre-listd
SIGND=$top_builddir/daemons/signd/timbre-signd
TIMBRE=$top_builddir/tools/timbre
if [ -n "$older" ]; then
	case $older in /*) ;; *) older=$(pwd)/$older ;; esac
	LISTD_B=$older/daemons/listd/timbre-listd
	TIMBRE_B=$older/tools/timbre
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/bench_listd.XXXXXX") || exit 0
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
	if [ -n "${BENCH_KEEP:-}" ]; then echo "(kept $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM HUP
report=$T/report
: >"$report"
say() { printf '%s\n' "$*" | tee -a "$report"; }
finish() {
	[ -n "$out" ] && mkdir -p "$(dirname "$out")" && cp "$report" "$out"
	exit 0
}
for x in "$LISTD" "$SIGND" "$TIMBRE" ${older:+"$LISTD_B" "$TIMBRE_B"}; do
	[ -x "$x" ] || { say "bench/listd: $x not built (make)"; finish; }
done
for x in nsd smtp-source smtp-sink sqlite3 ss; do
	command -v $x >/dev/null 2>&1 ||
	    { say "bench/listd: $x not installed"; finish; }
done
port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() { # wait_port ADDR PORT
	for _ in $(seq 1 100); do
		ss -Hltn 2>/dev/null | grep -q "$1:$2 " && return 0
		sleep 0.1
	done
	return 1
}
now() { date +%s.%N; }
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# cpu PID: its CPU seconds so far (user and system, its threads).
cpu() { awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { if (b > a) printf "%.1f", n / (b - a); else print 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
verdict() { awk -v r="$1" -v bar="$2" 'BEGIN { print (r + 0 >= bar) ? "PASS" : "BELOW" }'; }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
stop() { # stop PID: ends one of ours and forgets it
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

D=lists.test
TS=$(($(date +%s) - 3600))
printf 'benchmark password\n' >"$T/pw"
{
	cat <<EOF
\$ORIGIN test.
\$TTL 300
@		SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns.test.
ns		A 127.0.0.1
good		TXT "v=spf1 ip4:127.0.0.1 -all"
good		MX 10 mx.s1
_dmarc.good	TXT "v=DMARC1; p=none"
lists		A 127.0.0.1
EOF
	for k in 1 2 3 4; do
		printf 's%d\tMX 10 mx.s%d\nmx.s%d\tA 127.0.0.%d\n' \
		    "$k" "$k" "$k" $((10 + k))
	done
	echo "\$ORIGIN $D."
	for s in "dkim-$TS" "arc-$TS"; do
		"$TIMBRE" key derive --domain "$D" --selector "$s" \
		    --password-file "$T/pw" --algorithm rsa-sha256 --zone
	done
} >"$T/zone" || { say "bench/listd: timbre key derive failed"; finish; }
DNS=$(port)
cat >"$T/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$DNS
    port: $DNS
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$T"
    pidfile: "$T/nsd.pid"
    xfrdfile: "$T/xfrd.state"
    zonelistfile: "$T/zone.list"
    database: ""
    logfile: "$T/nsd.log"
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "test"
    zonefile: "zone"
EOF
nsd -d -c "$T/nsd.conf" >"$T/nsd.out" 2>&1 &
PIDS="$PIDS $!"

# The MTAs: a reference sink, and the subscribers' four.
sink_user=
[ "$(id -u)" -eq 0 ] && sink_user="-u nobody"
REF=$(port)
SINKPORT=$(port)
# shellcheck disable=SC2086
smtp-sink $sink_user "127.0.0.1:$REF" 256 >/dev/null 2>&1 &
REFPID=$!
PIDS="$PIDS $REFPID"
for k in 1 2 3 4; do
	# shellcheck disable=SC2086
	smtp-sink $sink_user "127.0.0.$((10 + k)):$SINKPORT" 256 \
	    >/dev/null 2>&1 &
	PIDS="$PIDS $!"
done
wait_port 127.0.0.1 "$DNS" 2>/dev/null
wait_port 127.0.0.1 "$REF" && wait_port 127.0.0.14 "$SINKPORT" ||
    { say "bench/listd: smtp-sink did not start"; finish; }

LISTEN=$(port)
SIGNPORT=$(port)
SIGNED=$(port)
DEAD=$(port)	# nobody listens there: the signer down

# db FILE N [TIMBRE]: a database with the list dev@lists.test (posting by
# subscribers, the default) and N subscribers over s1..s4.test, and
# alice@good.test, who posts.
db() {
	tb=${3:-$TIMBRE}
	rm -f "$1" "$1-wal" "$1-shm"
	"$tb" list create "$1" >/dev/null &&
	"$tb" list add "$1" --domain "$D" dev \
	    --moderator owner@good.test >/dev/null &&
	"$tb" list subscribe "$1" --domain "$D" dev alice@good.test \
	    >/dev/null &&
	sqlite3 "$1" "INSERT INTO subscribers (list_id, address, added)
	    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
	    WHERE i < $2 - 1) SELECT (SELECT id FROM lists WHERE name = 'dev'),
	    'user' || i || '@s' || (i % 4 + 1) || '.test', strftime('%s', 'now')
	    FROM c"
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }

# listd_start SIGNERPORT [OPTIONS]: timbre-listd ($LISTD_RUN, default
# this build's) on $DB; its pid LPID.
listd_start() {
	sp=$1
	shift
	"${LISTD_RUN:-$LISTD}" -f --log-level warn --listen "127.0.0.1:$LISTEN" \
	    --listen-signed "127.0.0.1:$SIGNED" --domain "$D" \
	    --hostname mx.lists.test --db "$DB" --signer "127.0.0.1:$sp" \
	    --resolver "127.0.0.1:$DNS" --deliver-port "$SINKPORT" \
	    --max-connections 1000 --max-per-ip 1000 -c /dev/null "$@" \
	    2>>"$T/listd.log" &
	LPID=$!
	PIDS="$PIDS $LPID"
	wait_port 127.0.0.1 "$LISTEN"
}

ncpu=$(nproc 2>/dev/null || echo 1)
say "bench/listd: $(date -u '+%Y-%m-%d %H:%M UTC'), $ncpu CPUs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg), 4 KiB messages"

# ---- accepted messages/s ----
DB=$T/accept.db
db "$DB" 4 || { say "bench/listd: timbre list failed"; finish; }
listd_start "$DEAD" --signer-retry 1h --signer-retry-max 1h ||
    { say "bench/listd: timbre-listd did not start: $(tail -n 3 "$T/listd.log")"; finish; }
if [ -n "$older" ]; then
	# The older build's daemon beside it, on its own port and database.
	A_DB=$DB A_LPID=$LPID A_LISTEN=$LISTEN A_SIGNED=$SIGNED
	DB=$T/accept-before.db
	LISTEN=$(port)
	SIGNED=$(port)
	db "$DB" 4 "$TIMBRE_B" ||
	    { say "bench/listd: $TIMBRE_B list failed"; finish; }
	LISTD_RUN=$LISTD_B listd_start "$DEAD" --signer-retry 1h \
	    --signer-retry-max 1h ||
	    { say "bench/listd: $LISTD_B did not start"; finish; }
	B_DB=$DB B_LPID=$LPID B_LISTEN=$LISTEN
	DB=$A_DB LPID=$A_LPID LISTEN=$A_LISTEN SIGNED=$A_SIGNED
fi
source_run() { # source_run PORT [OPTIONS]: messages/s
	p=$1
	shift
	t0=$(now)
	smtp-source -s "$conns" -m "$msgs" -l 4096 -f alice@good.test \
	    -t "dev@$D" "$@" "127.0.0.1:$p" >>"$T/smtp-source.out" 2>&1
	t1=$(now)
	rate "$msgs" "$t0" "$t1"
}
ref_best=0
ld_best=0
b_best=0
rows=0
ref_cpu=0
ld_cpu=0
r=1
while [ "$r" -le "$rounds" ]; do
	c0=$(cpu "$REFPID")
	ref=$(source_run "$REF")
	ref_cpu=$(sub "$(cpu "$REFPID")" "$c0")
	before=$(q "SELECT count(*) FROM messages")
	c0=$(cpu "$LPID")
	ld=$(source_run "$LISTEN")
	ld_cpu=$(sub "$(cpu "$LPID")" "$c0")
	got=$(($(q "SELECT count(*) FROM messages") - before))
	rows=$((rows + got))
	say "  round $r: smtp-sink $ref messages/s (CPU ${ref_cpu}s);" \
	    "timbre-listd $ld messages/s (CPU ${ld_cpu}s; $got of $msgs committed)"
	ref_best=$(best "$ref" "$ref_best")
	ld_best=$(best "$ld" "$ld_best")
	if [ -n "$older" ]; then
		c0=$(cpu "$B_LPID")
		bld=$(source_run "$B_LISTEN")
		b_cpu=$(sub "$(cpu "$B_LPID")" "$c0")
		say "           the build before: timbre-listd $bld messages/s" \
		    "(CPU ${b_cpu}s; $(sqlite3 "$B_DB" "SELECT count(*) FROM
		    messages") rows in all)"
		b_best=$(best "$bld" "$b_best")
	fi
	r=$((r + 1))
done
rss=$(kb "$LPID" VmHWM)
stop "$LPID"
[ -n "$older" ] && stop "$B_LPID"
a_ratio=$(ratio "$ld_best" "$ref_best")
say "accepted, $conns sessions, a new connection per message, best of $rounds:"
say "  smtp-source -> smtp-sink       $ref_best messages/s (the reference)"
say "  smtp-source -> timbre-listd    $ld_best messages/s ($rows rows committed," \
    "peak RSS $rss kB)"
say "  timbre-listd / smtp-sink       $a_ratio   bar 0.50  $(verdict "$a_ratio" 0.5)"
if [ -n "$older" ]; then
	say "  the build before ($older):"
	say "  smtp-source -> timbre-listd    $b_best messages/s," \
	    "$(ratio "$b_best" "$ref_best") of smtp-sink"
	say "  this build / the build before  $(ratio "$ld_best" "$b_best")"
fi
say "  CPU per message, last round:   timbre-listd $(awk -v c="$ld_cpu" -v n="$msgs" 'BEGIN { printf "%.2f", 1000 * c / n }') ms," \
    "smtp-sink $(awk -v c="$ref_cpu" -v n="$msgs" 'BEGIN { printf "%.2f", 1000 * c / n }') ms"

# ---- timbre-signd, for the rows that fan out ----
"$SIGND" -f --log-level warn --listen "127.0.0.1:$SIGNPORT" \
    --relay "127.0.0.1:$SIGNED" --domain "$D" --password-file "$T/pw" \
    --resolver "127.0.0.1:$DNS" --authserv-id mx.lists.test \
    --algorithm rsa-sha256 --selector "dkim-$TS" --selector "arc-$TS" \
    -c /dev/null 2>"$T/signd.log" &
PIDS="$PIDS $!"
wait_port 127.0.0.1 "$SIGNPORT" && sleep 2

# post: one message from alice to the list; waits (up to 120 s) for its
# delivery rows; prints the time they were there.
post() {
	smtp-source -m 1 -l 4096 -f alice@good.test -t "dev@$D" \
	    "127.0.0.1:$LISTEN" >>"$T/smtp-source.out" 2>&1
	for _ in $(seq 1 1200); do
		case $(q "SELECT state FROM messages WHERE mail_from != ''") in
		fanout|done) now; return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}
sent() { q "SELECT count(*) FROM deliveries WHERE state = 'sent'"; }

# ---- fan-out deliveries/s ----
n=$((fanout))
fsess=20
ref_best=0
ld_best=0
r=1
while [ "$r" -le "$rounds" ]; do
	# The same four MTAs, as many connections: four smtp-source, one
	# each.
	t0=$(now)
	spids=
	for k in 1 2 3 4; do
		smtp-source -d -s $((fsess / 4)) -m $((n / 4)) -l 4096 \
		    -f "dev-bounces@$D" -t "user$k@s$k.test" \
		    "127.0.0.$((10 + k)):$SINKPORT" >>"$T/smtp-source.out" 2>&1 &
		spids="$spids $!"
	done
	for p in $spids; do wait "$p"; done
	ref=$(rate $((n / 4 * 4)) "$t0" "$(now)")
	DB=$T/fanout.db
	db "$DB" "$n"
	listd_start "$SIGNPORT"
	if t0=$(post); then
		lc0=$(cpu "$LPID")
		# Until all are sent, or nothing moved for 10 s; t1 when
		# the count last moved.
		c=0 still=0 t1=$t0
		while [ "$c" -lt "$n" ] && [ "$still" -lt 100 ]; do
			sleep 0.1
			c0=$c
			c=$(sent)
			if [ "$c" = "$c0" ]; then
				still=$((still + 1))
			else
				still=0 t1=$(now)
			fi
		done
		ld=$(rate "$c" "$t0" "$t1")
		lcpu=$(sub "$(cpu "$LPID")" "$lc0")
		fail=$(q "SELECT count(*) FROM deliveries WHERE state != 'sent'")
	else
		ld=0 fail=$n lcpu=0
	fi
	stop "$LPID"
	say "  round $r: smtp-sink $ref messages/s; timbre-listd $ld" \
	    "deliveries/s ($c of $n sent, $fail not; CPU ${lcpu}s," \
	    "$(awk -v c="$lcpu" -v n="$c" 'BEGIN { if (n > 0) printf "%.2f", 1000 * c / n; else print "-" }') ms a copy)"
	ref_best=$(best "$ref" "$ref_best")
	ld_best=$(best "$ld" "$ld_best")
	r=$((r + 1))
done
f_ratio=$(ratio "$ld_best" "$ref_best")
say "fan-out, $n subscribers over 4 domains (4 MX hosts), best of $rounds:"
say "  4 x smtp-source -d -s $((fsess / 4)) -> smtp-sink  $ref_best messages/s (the reference)"
say "  timbre-listd's queue -> smtp-sink  $ld_best deliveries/s"
say "  timbre-listd / smtp-sink            $f_ratio   bar 0.50  $(verdict "$f_ratio" 0.5)"

# ---- RSS with 100, 10 000, 100 000 subscribers ----
say "RSS of timbre-listd (kB): at rest after start; peak with one post fanned out (rows made, then ${seconds}s of delivery)"
first=
for n in 100 10000 100000; do
	DB=$T/rss.db
	db "$DB" "$n"
	listd_start "$SIGNPORT"
	sleep 1
	rest=$(kb "$LPID" VmRSS)
	if t0=$(post); then
		sleep "$seconds"
		peak=$(kb "$LPID" VmHWM)
		rows=$(q "SELECT count(*) FROM deliveries")
		c=$(sent)
	else
		peak=$(kb "$LPID" VmHWM) rows=0 c=0
	fi
	stop "$LPID"
	[ -n "$first" ] || first=$peak
	say "  $(printf '%6d' "$n") subscribers: at rest $rest, peak $peak" \
	    "($rows rows, $c sent); peak / peak at 100: $(ratio "$peak" "$first")"
	last=$peak
done
m_ratio=$(ratio "$last" "$first")
say "  100 000 / 100 subscribers         $m_ratio   bar 2.00  $(awk -v r="$m_ratio" 'BEGIN { print (r + 0 <= 2) ? "PASS" : "ABOVE" }')"
say "(a machine shared with other work: read the ratios, not the rates)"
finish
