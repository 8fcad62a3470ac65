#!/bin/sh
# tests/integration/signd_pool.sh: timbre-signd's signing workers
# (--sign-workers, daemons/signd/sign.c over src/util/pool.c) under
# concurrency, with real peers: NSD serves the selectors' key records
# (`timbre key derive --zone`), Postfix's smtp-source and a threaded
# client of signd_peer.py submit at once, smtp-sink receives, and dkimpy
# (python3-dkim) verifies every delivered copy:
#
#   - 4 workers, 200 smtp-source messages (16 sessions) and 80 distinct
#     messages over 16 connections, half of them with ARC: every copy
#     carries exactly two good DKIM signatures, and the ARC ones a
#     chain that passes; a signature attached to the wrong message
#     would not verify;
#   - clients that reset the connection right after their final ".",
#     SIGHUP in the middle of a burst: the daemon keeps serving; SIGTERM
#     right behind 60 messages, most of them waiting for the one worker
#     or being signed: it exits 0 at once, and each message it answered
#     250 reached smtp-sink;
#     in the sanitizer build, LeakSanitizer at exit sees any pipeline
#     whose completion was lost, AddressSanitizer any use after free;
#   - one worker, clients gone at the final dot (a reset, or QUIT and
#     a FIN): their messages still queued are cancelled, never signed
#     (sign_cancelled in the statistics), the others' all delivered and
#     verified;
#   - SIGTERM while relay connections wait for smtp-sink's answer to
#     QUIT and others carry messages: exit 0, and no relay connection
#     left for LeakSanitizer (src/smtp/transport.c's smtp_send_shutdown);
#   - --sign-workers 0 (on the loop) still signs; out-of-range values
#     are refused with a message naming the bounds;
#   - the statistics give sign_workers.
# Built with ThreadSanitizer (../configure CFLAGS='-fsanitize=thread -g
# -O1' LDFLAGS=-fsanitize=thread), a report in a daemon's log fails it.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/signd_lib.sh"
signd_need nsd smtp-source smtp-sink ss
PEER=$top_srcdir/tests/integration/signd_peer.py
/usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null ||
    integ_skip "python3-dkim (dkimpy) and python3-dnspython are needed"

DOMAIN=signd.test
AUTHSERV=mx.signd.test
T=$(($(date +%s) - 3600))
SELECTORS="--selector dkim-$T --selector dkim-$T-ed25519 --selector arc-$T"
printf 'correct horse battery staple\n' >"$INTEG_TMP/pw"
{
	echo "\$ORIGIN $DOMAIN."
	echo "\$TTL 300"
	echo "@ IN SOA ns.$DOMAIN. hostmaster.$DOMAIN. 1 3600 600 86400 60"
	echo "@ IN NS ns.$DOMAIN."
	echo "ns IN A 127.0.0.1"
	for a in "dkim-$T rsa-sha256" "dkim-$T-ed25519 ed25519-sha256" \
	    "arc-$T rsa-sha256"; do
		# shellcheck disable=SC2086
		set -- $a
		"$TIMBRE" key derive --domain "$DOMAIN" --selector "$1" \
		    --password-file "$INTEG_TMP/pw" --algorithm "$2" --zone
	done
} >"$INTEG_TMP/$DOMAIN.zone"
integ_nsd_start "$DOMAIN" "$INTEG_TMP/$DOMAIN.zone" ||
    integ_skip "NSD did not start"
DNS=$INTEG_NSD_PORT

signd_sink_start

PORT=$(integ_free_port)
# start NAME ARGS...: a daemon on PORT logging to NAME.log, until its
# keyring signs with the three kinds.
start()
{
	name=$1
	shift
	# shellcheck disable=SC2086
	integ_spawn "$INTEG_TMP/$name.log" "$SIGND" -f --log-level debug \
	    --listen "127.0.0.1:$PORT" --relay "127.0.0.1:$SINKPORT" \
	    --domain "$DOMAIN" --password-file "$INTEG_TMP/pw" \
	    --resolver "127.0.0.1:$DNS" --authserv-id "$AUTHSERV" \
	    --hostname signd.test --allow 127.0.0.1/32 \
	    --max-connections 200 $SELECTORS -c /dev/null "$@"
	SIGND_PID=$INTEG_LAST_PID
	for i in $(seq 1 300); do
		[ "$(grep -c 'keyring sign kind=' "$INTEG_TMP/$name.log")" \
		    -ge 3 ] && return 0
		sleep 0.2
	done
	integ_notok "$name: the keyring found the three keys" \
	    "$(tail -n 5 "$INTEG_TMP/$name.log")"
	return 1
}

# smtp_source N SESSIONS: smtp-source's 4 KiB messages, N in all.
smtp_source()
{
	smtp-source -s "$2" -m "$1" -l 4096 -f "alice@$DOMAIN" \
	    -t bob@example.net -S "pool source" "127.0.0.1:$PORT"
}

# sink_count: the messages smtp-sink has written so far.
sink_count()
{
	find "$SINK" -type f | wc -l
}

# wait_sink N: until smtp-sink has N messages (or 60 s went by).
wait_sink()
{
	for i in $(seq 1 300); do
		[ "$(sink_count)" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

# verify WHAT N: dkimpy on every message in the sink (N of them at
# least), which is emptied.
verify()
{
	sleep 0.5
	out=$(/usr/bin/python3 "$PEER" verifydir "$DNS" "$SINK" 2>&1) &&
	    rc=0 || rc=$?
	got=$(printf '%s\n' "$out" | sed -n 's/^messages \([0-9]*\) .*/\1/p')
	if [ "$rc" -eq 0 ] && [ "${got:-0}" -ge "$2" ]; then
		integ_ok "$1: $(printf '%s\n' "$out" | tail -n 1)"
	else
		integ_notok "$1: $2 messages, all signed and verified" \
		    "$(printf '%s\n' "$out" | tail -n 20)"
	fi
	find "$SINK" -type f -exec rm -f {} +
}

# tsan_clean NAME: no ThreadSanitizer report in NAME.log.
tsan_clean()
{
	if grep -q 'WARNING: ThreadSanitizer' "$INTEG_TMP/$1.log"; then
		integ_notok "$1: no ThreadSanitizer report" \
		    "$(grep -A 30 'WARNING: ThreadSanitizer' \
		    "$INTEG_TMP/$1.log" | head -n 40)"
	fi
}

# stop_is_quick NAME [sent]: SIGTERM (unless sent already: a second one
# could come after the daemon gave the signal back to the system);
# exit 0 within 20 s (LeakSanitizer's check at exit included).
stop_is_quick()
{
	[ "${2:-}" = sent ] || kill -TERM "$SIGND_PID"
	rc=timeout
	for i in $(seq 1 200); do
		if ! kill -0 "$SIGND_PID" 2>/dev/null; then
			wait "$SIGND_PID" && rc=0 || rc=$?
			break
		fi
		sleep 0.1
	done
	integ_untrack "$SIGND_PID"
	if [ "$rc" = 0 ]; then
		integ_ok "$1: SIGTERM: exit 0"
	else
		integ_notok "$1: SIGTERM: exit 0" "exit $rc; $(tail -n 5 \
		    "$INTEG_TMP/$1.log")"
		kill -KILL "$SIGND_PID" 2>/dev/null || true
	fi
	tsan_clean "$1"
}

# ------------------------------------------------ many at once

start pool --sign-workers 4 || { integ_summary; exit 1; }
if grep -q 'signd start .* sign-workers=4' "$INTEG_TMP/pool.log"; then
	integ_ok "pool: started with 4 signing workers"
else
	integ_notok "pool: started with 4 signing workers" \
	    "$(grep 'signd start' "$INTEG_TMP/pool.log")"
fi
smtp_source 200 16 >"$INTEG_TMP/source.out" 2>&1 &
SOURCE_PID=$!
out=$(/usr/bin/python3 "$PEER" burst "$PORT" 80 16 burst 2>&1)
wait "$SOURCE_PID" && rc=0 || rc=$?
case $rc/$out in
"0/sent 80 refused 0") integ_ok "pool: smtp-source and 80 more at once: all 250" ;;
*) integ_notok "pool: smtp-source and 80 more at once: all 250" \
    "smtp-source exit $rc: $(tail -n 3 "$INTEG_TMP/source.out"); $out" ;;
esac
wait_sink 280 || true
verify "pool: 280 messages" 280

# Clients gone while their messages are being signed; then a burst
# with SIGHUPs in it.  Whatever the dropped ones became, the daemon
# still serves and everything delivered verifies.
out=$(/usr/bin/python3 "$PEER" drop "$PORT" 60 drop 2>&1) || true
sleep 1
n=$(grep -c 'sign abandoned while a worker signs it' "$INTEG_TMP/pool.log" ||
    true)
integ_ok "pool: $out clients reset at the final dot, $n of them while a worker signed"
/usr/bin/python3 "$PEER" burst "$PORT" 60 12 hup >"$INTEG_TMP/hup.out" 2>&1 &
BURST_PID=$!
for i in 1 2 3; do
	sleep 0.2
	kill -HUP "$SIGND_PID"
done
wait "$BURST_PID" || true
if grep -qx 'sent 60 refused 0' "$INTEG_TMP/hup.out" &&
    [ "$(grep -c 'signd reload done' "$INTEG_TMP/pool.log")" -eq 3 ]; then
	integ_ok "pool: 60 messages across 3 SIGHUPs, all 250"
else
	integ_notok "pool: 60 messages across 3 SIGHUPs, all 250" \
	    "$(tail -n 3 "$INTEG_TMP/hup.out")"
fi
wait_sink 60 || true
verify "pool: after the dropped clients and SIGHUPs" 60

kill -USR1 "$SIGND_PID"
sleep 0.3
if grep 'signd stats' "$INTEG_TMP/pool.log" | tr ' ' '\n' |
    grep -qx 'sign_workers=4'; then
	integ_ok "pool: SIGUSR1 gives sign_workers=4"
else
	integ_notok "pool: SIGUSR1 gives sign_workers=4" \
	    "$(grep 'signd stats' "$INTEG_TMP/pool.log")"
fi

# Idle workers are joined at once.
stop_is_quick pool

# ------------------------------------------------ SIGTERM, relays in QUIT

# A second smtp-sink that takes 30 s to answer QUIT: each relay
# connection outlives the answer it gave (the client has its 250, the
# connection nobody's but src/smtp's), and 10 more messages are in the
# middle of being signed or relayed when SIGTERM comes.  The daemon
# exits 0 at once, and in the sanitizer build LeakSanitizer finds no
# relay connection left behind.
SLOWPORT=$(integ_free_port)
mkdir -p "$INTEG_TMP/slow"
slow_user=
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$INTEG_TMP/slow"
	slow_user="-u nobody"
fi
# shellcheck disable=SC2086
integ_spawn "$INTEG_TMP/slow.log" smtp-sink $slow_user -W quit:30 \
    -d "$INTEG_TMP/slow/%Y%m%d%H%M%S." "127.0.0.1:$SLOWPORT" 64
for i in $(seq 1 50); do
	ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$SLOWPORT " && break
	sleep 0.1
done
start quit --sign-workers 2 --relay "127.0.0.1:$SLOWPORT" ||
    { integ_summary; exit 1; }
out=$(/usr/bin/python3 "$PEER" burst "$PORT" 10 5 quit 2>&1)
n=$(ss -Htn state established "( dport = :$SLOWPORT )" 2>/dev/null | wc -l)
if [ "$out" = "sent 10 refused 0" ] && [ "$n" -ge 10 ]; then
	integ_ok "quit: 10 messages relayed, $n relay connections waiting for the 221"
else
	integ_notok "quit: 10 messages relayed, their connections waiting for the 221" \
	    "$out; $n connections to smtp-sink"
fi
/usr/bin/python3 "$PEER" term "$PORT" 10 quitterm "$SIGND_PID" \
    >"$INTEG_TMP/quitterm.out" 2>&1 || true
stop_is_quick quit sent
n=$(find "$INTEG_TMP/slow" -type f | wc -l)
if [ "$n" -ge 10 ]; then
	integ_ok "quit: smtp-sink has $n messages; $(tail -n 1 "$INTEG_TMP/quitterm.out")"
else
	integ_notok "quit: smtp-sink has the 10 messages answered 250" \
	    "$n; $(tail -n 3 "$INTEG_TMP/quitterm.out")"
fi

# ------------------------------------------------ cancelled, never signed

# One worker; 40 messages from clients that stay, while 60 clients reset
# the connection right after their final "." and 60 more pipeline QUIT
# behind it and close.  The messages of the clients gone that still
# wait for the worker are taken off its queue, not signed for nothing:
# sign_cancelled counts them (as many as the log lines), and the 40
# kept are all answered 250, delivered and verified by dkimpy.
start cancel --sign-workers 1 || { integ_summary; exit 1; }
/usr/bin/python3 "$PEER" burst "$PORT" 40 8 keep >"$INTEG_TMP/keep.out" 2>&1 &
KEEP_PID=$!
/usr/bin/python3 "$PEER" drop "$PORT" 60 cancel >/dev/null 2>&1 || true
/usr/bin/python3 "$PEER" dropquit "$PORT" 60 cancelq >/dev/null 2>&1 || true
wait "$KEEP_PID" || true
sleep 1
kill -USR1 "$SIGND_PID"
sleep 0.3
n=$(grep 'signd stats' "$INTEG_TMP/cancel.log" | tr ' ' '\n' |
    sed -n 's/^sign_cancelled=//p' | tail -n 1)
logged=$(grep -c 'sign cancelled before a worker took it' \
    "$INTEG_TMP/cancel.log" || true)
if [ "${n:-0}" -gt 0 ] && [ "$n" = "$logged" ]; then
	integ_ok "cancel: 120 clients gone at the final dot: sign_cancelled=$n (logged $logged)"
else
	integ_notok "cancel: 120 clients gone at the final dot: sign_cancelled moves" \
	    "sign_cancelled=${n:-none}, $logged logged"
fi
if grep -qx 'sent 40 refused 0' "$INTEG_TMP/keep.out"; then
	integ_ok "cancel: the 40 clients that stayed: all 250"
else
	integ_notok "cancel: the 40 clients that stayed: all 250" \
	    "$(tail -n 3 "$INTEG_TMP/keep.out")"
fi
wait_sink 40 || true
lost=
for m in $(seq 0 39); do
	grep -lq "^Subject: keep $m\$" "$SINK"/* 2>/dev/null ||
	    lost="$lost $m"
done
if [ -z "$lost" ]; then
	integ_ok "cancel: the 40 kept reached smtp-sink"
else
	integ_notok "cancel: the 40 kept reached smtp-sink" "missing:$lost"
fi
verify "cancel: what was delivered" 40
stop_is_quick cancel

# ------------------------------------------------ SIGTERM, queue full

# One worker, 60 messages arriving at once, SIGTERM right behind them:
# most are still waiting for the worker or being signed when the
# sessions go.  Each one answered 250 reached smtp-sink.
start term --sign-workers 1 || { integ_summary; exit 1; }
/usr/bin/python3 "$PEER" term "$PORT" 60 term "$SIGND_PID" \
    >"$INTEG_TMP/term.out" 2>&1 || true
stop_is_quick term sent
n=$(grep -c 'sign abandoned while a worker signs it' "$INTEG_TMP/term.log" ||
    true)
lost=
for m in $(sed -n 's/^acked term //p' "$INTEG_TMP/term.out"); do
	grep -lq "^Subject: term $m\$" "$SINK"/* 2>/dev/null ||
	    lost="$lost $m"
done
if [ -z "$lost" ] && grep -q '^answered' "$INTEG_TMP/term.out"; then
	integ_ok "SIGTERM behind 60 messages: $(tail -n 1 \
	    "$INTEG_TMP/term.out"), every 250 delivered; $n abandoned while signed"
else
	integ_notok "SIGTERM behind 60 messages: every 250 delivered" \
	    "not delivered:$lost; $(tail -n 3 "$INTEG_TMP/term.out")"
fi
verify "SIGTERM behind 60 messages: what was delivered" 0

# ------------------------------------------------ on the loop

start loop --sign-workers 0 || { integ_summary; exit 1; }
out=$(/usr/bin/python3 "$PEER" burst "$PORT" 20 4 loop 2>&1)
case $out in
"sent 20 refused 0") integ_ok "--sign-workers 0: 20 messages, all 250" ;;
*) integ_notok "--sign-workers 0: 20 messages, all 250" "$out" ;;
esac
wait_sink 20 || true
verify "--sign-workers 0" 20
stop_is_quick loop

# ------------------------------------------------ bounds

for bad in 257 -1 x 4x ""; do
	rc=0
	out=$("$SIGND" -c /dev/null --domain "$DOMAIN" --relay 127.0.0.1 \
	    --password-file "$INTEG_TMP/pw" --selector a \
	    --sign-workers "$bad" 2>&1) || rc=$?
	case $rc/$out in
	1/*"--sign-workers $bad: not a number from 0 "*" to 256"*)
		integ_ok "--sign-workers '$bad': exit 1, $out" ;;
	*) integ_notok "--sign-workers '$bad': exit 1 naming the bounds" \
	    "exit $rc: $out" ;;
	esac
done

integ_summary
