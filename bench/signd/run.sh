#!/bin/sh
# bench/signd/run.sh: timbre-signd's signing throughput beside its
# references, in the same run on the same machine (issue 11 item 9):
#
#   - the ceiling: `openssl speed -multi NCPU rsa2048` sign/s (RSA signs
#     per second on every core), divided by the RSA signatures per
#     message;
#   - timbre-signd as a milter, one rsa-sha256 DKIM signature per 4 KiB
#     message, driven by bench/signd/milter_load (CONNECTIONS concurrent
#     milter connections, as Postfix's smtpd processes open them, on a
#     unix socket);
#   - OpenDKIM (Debian's opendkim) as a milter on the same key, the same
#     messages, the same driver: the same work;
#   - timbre-signd over SMTP, rsa-sha256 and ed25519-sha256 (one RSA
#     signature per message), Postfix's smtp-source (concurrent sessions,
#     4 KiB messages) through it to smtp-sink;
#   - timbre-signd's RSS before and after;
#   - the milter and SMTP rows again with --sign-workers 0 (signatures
#     on the event loop, one core), to show what the workers give;
#   - with -R N, a long run: N messages through the milter, RSS at 0,
#     N/2 and N (flat, not growing, the issue asks).
#
#	sh bench/signd/run.sh [-m MESSAGES] [-c CONNECTIONS] [-s SECONDS]
#	    [-R MESSAGES] [-B BUILDDIR] [-o RESULTS]
#
# -m: messages per row (2000); -c: concurrent connections (4); -s:
# seconds of openssl speed (3); -R: messages of the long run (none).
# The keys are derived from a password (`timbre key derive`, 2048-bit
# RSA) and served by NSD on loopback, where
# signd reads them (and its self-check verifies them).  A benchmark
# reports; it never fails: it exits 0 whatever it measured, and stops
# every process it started.  BENCH_KEEP=1 keeps its temp dir.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
PATH=$PATH:/usr/sbin:/sbin
export PATH

msgs=2000
conns=4
seconds=3
long=0
out=
while getopts B:c:m:o:R:s: c; do
	case $c in
	B) top_builddir=$OPTARG ;;
	c) conns=$OPTARG ;;
	m) msgs=$OPTARG ;;
	o) out=$OPTARG ;;
	R) long=$OPTARG ;;
	s) seconds=$OPTARG ;;
	*) echo "usage: run.sh [-m MESSAGES] [-c CONNECTIONS] [-s SECONDS]" \
	       "[-R MESSAGES] [-B BUILDDIR] [-o RESULTS]" >&2
	   exit 0 ;;
	esac
done
case $top_builddir in /*) ;; *) top_builddir=$(pwd)/$top_builddir ;; esac
SIGND=$top_builddir/daemons/signd/timbre-signd
TIMBRE=$top_builddir/tools/timbre
LOAD=$top_builddir/bench/signd/milter_load

T=$(mktemp -d "${TMPDIR:-/tmp}/bench_signd.XXXXXX") || exit 0
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
	[ -n "$out" ] && cp "$report" "$out"
	exit 0
}
for x in "$SIGND" "$TIMBRE" "$LOAD"; do
	[ -x "$x" ] || { say "bench/signd: $x not built (make bench)"; finish; }
done
for x in nsd openssl smtp-source smtp-sink; do
	command -v $x >/dev/null 2>&1 ||
	    { say "bench/signd: $x not installed"; finish; }
done
port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 1 100); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$1 " && return 0
		sleep 0.1
	done
	return 1
}

DOMAIN=signd.test
TS=$(($(date +%s) - 3600))
printf 'benchmark password\n' >"$T/pw"
derive() { # derive SELECTOR ALG [ARGS]
	s=$1 a=$2
	shift 2
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "$s" \
	    --password-file "$T/pw" --algorithm "$a" --zone "$@"
}
{
	echo "\$ORIGIN $DOMAIN."
	echo "@ 300 IN SOA ns hostmaster 1 3600 600 86400 60"
	echo "@ 300 IN NS ns"
	echo "ns 300 IN A 127.0.0.1"
	derive "dkim-$TS" rsa-sha256 --private-out "$T/rsa.pem"
	derive "dkim-$TS-ed25519" ed25519-sha256
	derive "arc-$TS" rsa-sha256
} >"$T/zone" || { say "bench/signd: timbre key derive failed"; finish; }
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
remote-control:
    control-enable: no
zone:
    name: "$DOMAIN"
    zonefile: "zone"
EOF
nsd -d -c "$T/nsd.conf" >"$T/nsd.out" 2>&1 &
PIDS="$PIDS $!"

# A 4 KiB message.
{
	printf 'From: Alice <alice@%s>\r\nTo: bob@example.net\r\n' "$DOMAIN"
	printf 'Subject: benchmark\r\nDate: %s\r\n' "$(date -R)"
	printf 'Message-ID: <bench@%s>\r\nMIME-Version: 1.0\r\n' "$DOMAIN"
	printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
	i=0
	while [ $i -lt 70 ]; do
		printf 'Line %02d of a message of four kilobytes, to be signed.\r\n' $i
		i=$((i + 1))
	done
} >"$T/msg"
ncpu=$(nproc 2>/dev/null || echo 1)

say "bench/signd: $(date -u '+%Y-%m-%d %H:%M UTC'), $ncpu CPUs," \
    "$msgs messages of $(wc -c <"$T/msg") bytes per row, $conns connections"

# The ceiling.
rsa=$(openssl speed -seconds "$seconds" -multi "$ncpu" rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ { v = $6 } END { print v }')
[ -n "$rsa" ] || rsa=0
say "openssl speed -multi $ncpu rsa2048: $rsa sign/s (the ceiling, one RSA signature per message)"

rss() { awk '/^VmRSS/ { print $2 " kB" }' "/proc/$1/status" 2>/dev/null; }
rate() { sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# signd_milter NAME [ARGS]: timbre-signd as a milter on the unix socket
# $T/NAME.sock (see milter_load.c), DKIM rsa-sha256 only; its pid in
# SPID once the socket is there and the keys are read.
signd_milter() {
	name=$1
	shift
	"$SIGND" -f --log-level warn --milter "unix:$T/$name.sock" \
	    --domain "$DOMAIN" --password-file "$T/pw" \
	    --resolver "127.0.0.1:$DNS" --algorithm rsa-sha256 \
	    --selector "dkim-$TS" --selector "arc-$TS" -c /dev/null "$@" \
	    2>"$T/$name.log" &
	SPID=$!
	PIDS="$PIDS $SPID"
	# log-level warn hides the keys: wait for the socket, then a while.
	for _ in $(seq 1 100); do
		[ -S "$T/$name.sock" ] && break
		sleep 0.1
	done
	sleep 2
}
# milter_row NAME TITLE: MESSAGES through signd_milter NAME; its rate in
# row_rate.
milter_row() {
	rss0=$(rss $SPID)
	"$LOAD" -u "$T/$1.sock" -f "$T/msg" -m "$msgs" -c "$conns" \
	    >"$T/$1.out"
	rss1=$(rss $SPID)
	row_rate=$(rate "$T/$1.out")
	say "$2: $(cat "$T/$1.out")"
	say "  RSS $rss0 before, $rss1 after; ratio to the ceiling: $(ratio "$row_rate" "$rsa")"
}

signd_milter signd-milter
milter_row signd-milter "timbre-signd milter, rsa-sha256, $ncpu signing workers (the default)"
sm=$row_rate
if [ "$long" -gt 0 ]; then
	half=$((long / 2))
	say "long run, $long messages through the same daemon:" \
	    "RSS $(rss $SPID) at 0"
	for step in 1 2; do
		"$LOAD" -u "$T/signd-milter.sock" -f "$T/msg" -m "$half" \
		    -c "$conns" >"$T/long$step.out"
		say "  RSS $(rss $SPID) after $((half * step)):" \
		    "$(cat "$T/long$step.out")"
	done
fi
kill -TERM "$SPID" 2>/dev/null
signd_milter signd-loop --sign-workers 0
milter_row signd-loop "timbre-signd milter, rsa-sha256, --sign-workers 0 (on the loop)"
say "  the workers / the loop: $(ratio "$sm" "$row_rate")"
kill -TERM "$SPID" 2>/dev/null

# OpenDKIM, same key, same messages, same driver.
if command -v opendkim >/dev/null 2>&1; then
	chmod 600 "$T/rsa.pem"
	cat >"$T/opendkim.conf" <<EOF
Mode			s
Domain			$DOMAIN
Selector		dkim-$TS
KeyFile			$T/rsa.pem
Socket			local:$T/opendkim.sock
Canonicalization	relaxed/relaxed
SignatureAlgorithm	rsa-sha256
Background		no
Syslog			no
PidFile			$T/opendkim.pid
RequireSafeKeys		false
EOF
	[ "$(id -u)" -eq 0 ] && echo "UserID root" >>"$T/opendkim.conf"
	opendkim -f -x "$T/opendkim.conf" >"$T/opendkim.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do
		[ -S "$T/opendkim.sock" ] && break
		sleep 0.1
	done
	if [ -S "$T/opendkim.sock" ]; then
		"$LOAD" -u "$T/opendkim.sock" -f "$T/msg" -m "$msgs" -c "$conns" \
		    >"$T/opendkim.out"
		om=$(rate "$T/opendkim.out")
		say "OpenDKIM $(opendkim -V 2>/dev/null | sed -n '1s/.*v//p') milter, rsa-sha256: $(cat "$T/opendkim.out")"
		say "  timbre-signd / OpenDKIM: $(ratio "$sm" "$om")" \
		    "(bar: 1.0); OpenDKIM / the ceiling: $(ratio "$om" "$rsa")"
	else
		say "OpenDKIM did not start: $(tail -n 3 "$T/opendkim.log")"
	fi
else
	say "OpenDKIM: not installed (apt-get install opendkim)"
fi

# timbre-signd over SMTP: rsa-sha256 and ed25519-sha256, to smtp-sink;
# with the default workers, then on the loop.
KP=$(port)
sink_user=
[ "$(id -u)" -eq 0 ] && sink_user="-u nobody"
# shellcheck disable=SC2086
smtp-sink $sink_user "127.0.0.1:$KP" 256 >/dev/null 2>&1 &
PIDS="$PIDS $!"
# smtp_row TITLE [ARGS]: MESSAGES through a new daemon with ARGS.
smtp_row() {
	title=$1
	shift
	LP=$(port)
	"$SIGND" -f --log-level warn --listen "127.0.0.1:$LP" \
	    --relay "127.0.0.1:$KP" --domain "$DOMAIN" --password-file "$T/pw" \
	    --resolver "127.0.0.1:$DNS" --selector "dkim-$TS" \
	    --selector "dkim-$TS-ed25519" --selector "arc-$TS" \
	    --max-connections 1000 -c /dev/null "$@" 2>"$T/signd-smtp.log" &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_port "$LP" && wait_port "$KP" && sleep 2
	rss0=$(rss $SPID)
	t0=$(date +%s.%N)
	smtp-source -s "$conns" -m "$msgs" -l 4096 -f "alice@$DOMAIN" \
	    -t bob@example.net "127.0.0.1:$LP" >"$T/smtp-source.out" 2>&1
	t1=$(date +%s.%N)
	rss1=$(rss $SPID)
	row_rate=$(awk -v n="$msgs" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
	refused=$(grep -c 'signd.*refused\|relay failed' "$T/signd-smtp.log" || true)
	say "$title: $msgs messages, $row_rate messages/s ($refused refused or failed)"
	say "  RSS $rss0 before, $rss1 after; ratio to the ceiling: $(ratio "$row_rate" "$rsa")"
	kill -TERM "$SPID" 2>/dev/null
}
smtp_row "timbre-signd SMTP, rsa-sha256 + ed25519-sha256, $ncpu signing workers"
ws=$row_rate
smtp_row "timbre-signd SMTP, rsa-sha256 + ed25519-sha256, --sign-workers 0" \
    --sign-workers 0
say "  the workers / the loop: $(ratio "$ws" "$row_rate")"
finish
