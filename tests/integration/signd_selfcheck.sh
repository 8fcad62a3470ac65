#!/bin/sh
# tests/integration/signd_selfcheck.sh: timbre-signd's self-check
# (daemons/signd/selfcheck.c) and its statistics, against real DNS: NSD
# serves the selectors' key records (made by `timbre key derive`), swaks
# submits, smtp-sink receives.  Two daemons share the zone: one with
# --strict-selfcheck, one without, both checking every second.
#
#   - with the right records both pass; mail is signed and relayed;
#   - the rsa record replaced in the zone by another key (what a stale
#     or wrong secondary would serve; the keyring, which read the record
#     before, still signs with the derived key): both report the failure
#     naming the selector; the strict one answers 451 4.7.0 and relays
#     nothing, the other still relays;
#   - the same through the milter (when root: a private Postfix,
#     tests/integration/postfix.sh, with the strict daemon as its
#     smtpd_milters): Postfix answers its client 451 4.7.0 with the
#     daemon's text while the check fails, and relays the message
#     signed once it passes;
#   - the record restored: the strict one passes again and relays;
#   - SIGUSR1: exact counters (messages signed and refused per front end,
#     self-check runs and results, keys);
#   - --clock-offset moves the keys' ages and the signatures' clock.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/signd_lib.sh"
signd_need nsd swaks smtp-sink dig

DOMAIN=signd.test
AUTHSERV=mx.signd.test
T=$(($(date +%s) - 3600))
SELECTORS="--selector dkim-$T --selector dkim-$T-ed25519 --selector arc-$T"
printf 'correct horse battery staple\n' >"$INTEG_TMP/pw"
printf 'another password\n' >"$INTEG_TMP/otherpw"

# zone SERIAL PASSWORD_OF_THE_RSA_KEY
zone()
{
	echo "\$ORIGIN $DOMAIN."
	echo "\$TTL 300"
	echo "@ IN SOA ns.$DOMAIN. hostmaster.$DOMAIN. $1 3600 600 86400 60"
	echo "@ IN NS ns.$DOMAIN."
	echo "ns IN A 127.0.0.1"
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "dkim-$T" \
	    --password-file "$2" --algorithm rsa-sha256 --key-bits 1024 --zone
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "dkim-$T-ed25519" \
	    --password-file "$INTEG_TMP/pw" --algorithm ed25519-sha256 --zone
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "arc-$T" \
	    --password-file "$INTEG_TMP/pw" --algorithm rsa-sha256 \
	    --key-bits 1024 --zone
}
zone 1 "$INTEG_TMP/pw" >"$INTEG_TMP/good.zone"
zone 2 "$INTEG_TMP/otherpw" >"$INTEG_TMP/bad.zone"
zone 3 "$INTEG_TMP/pw" >"$INTEG_TMP/good3.zone"
integ_nsd_start "$DOMAIN" "$INTEG_TMP/good.zone" || integ_skip "NSD did not start"
DNS=$INTEG_NSD_PORT

# serve FILE SERIAL: NSD reloads the zone (SIGHUP) and serves SERIAL.
serve()
{
	cp "$1" "$INTEG_TMP/nsd/$DOMAIN.zone"
	kill -HUP "$INTEG_NSD_PID"
	for i in $(seq 1 50); do
		dig @127.0.0.1 -p "$DNS" +short "$DOMAIN" SOA 2>/dev/null |
		    awk '{ print $3 }' | grep -qx "$2" && return 0
		sleep 0.1
	done
	return 1
}

signd_sink_start

# start NAME PORT ARGS...: a daemon for the zone, logging to NAME.log.
start()
{
	name=$1 port=$2
	shift 2
	# shellcheck disable=SC2086
	integ_spawn "$INTEG_TMP/$name.log" "$SIGND" -f --log-level debug \
	    --listen "127.0.0.1:$port" --relay "127.0.0.1:$SINKPORT" \
	    --domain "$DOMAIN" --password-file "$INTEG_TMP/pw" \
	    --resolver "127.0.0.1:$DNS" --authserv-id "$AUTHSERV" \
	    --hostname signd.test --key-bits 1024 --selfcheck-interval 1 \
	    $SELECTORS -c /dev/null "$@"
}
STRICT=$(integ_free_port)
STATS=$(integ_free_port)
MPORT=$(integ_free_port)
start strict "$STRICT" --strict-selfcheck --stats-listen "127.0.0.1:$STATS" \
    --milter "127.0.0.1:$MPORT"
STRICT_PID=$INTEG_LAST_PID
LAX=$(integ_free_port)
start lax "$LAX"
LAX_PID=$INTEG_LAST_PID

# wait_log NAME PATTERN [AFTER_LINE]: until NAME.log has a line matching
# PATTERN past line AFTER_LINE.
wait_log()
{
	for i in $(seq 1 300); do
		tail -n "+$((${3:-0} + 1))" "$INTEG_TMP/$1.log" |
		    grep -q "$2" && return 0
		sleep 0.1
	done
	return 1
}
lines() { wc -l <"$INTEG_TMP/$1.log"; }

# send NAME PORT: a message through the daemon on PORT; swaks' exit.
send()
{
	printf '%s\n' "From: alice@$DOMAIN" "To: bob@example.net" \
	    "Subject: $1" "Message-ID: <$1@$DOMAIN>" \
	    "Authentication-Results: $AUTHSERV; spf=pass" "" "Hello." \
	    >"$INTEG_TMP/$1.in"
	swaks --server "127.0.0.1:$2" --from "alice@$DOMAIN" \
	    --to bob@example.net --data "@$INTEG_TMP/$1.in" --silent 1 \
	    >"$INTEG_TMP/$1.swaks" 2>&1
}
# delivered SUBJECT: smtp-sink has a message with that subject.
delivered()
{
	for i in $(seq 1 30); do
		grep -lq "^Subject: $1" "$SINK"/* 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# counter NAME COUNTER: its value in NAME's newest SIGUSR1 output.
counter()
{
	grep 'signd stats' "$INTEG_TMP/$1.log" | tr ' ' '\n' |
	    sed -n "s/^$2=//p" | tail -n 1
}
usr1()
{
	pid=$1 name=$2
	n=$(grep -c 'signd stats.*selfcheck=' "$INTEG_TMP/$name.log" || true)
	kill -USR1 "$pid"
	for i in $(seq 1 50); do
		[ "$(grep -c 'signd stats.*selfcheck=' \
		    "$INTEG_TMP/$name.log" || true)" -gt "$n" ] && break
		sleep 0.1
	done
	sleep 0.2
}
# expect NAME COUNTER VALUE
expect()
{
	got=$(counter "$1" "$2")
	if [ "$got" = "$3" ]; then
		integ_ok "$1: $2=$3"
	else
		integ_notok "$1: $2=$3" "got '$got'"
	fi
}
# expect_ge NAME COUNTER MIN
expect_ge()
{
	got=$(counter "$1" "$2")
	if [ -n "$got" ] && [ "$got" -ge "$3" ]; then
		integ_ok "$1: $2=$got >= $3"
	else
		integ_notok "$1: $2 >= $3" "got '$got'"
	fi
}

# ------------------------------------------------ the records are right

for d in strict lax; do
	if wait_log $d 'signd selfcheck pass rsa=dkim-.* ed25519=dkim-.*-ed25519 arc=arc-'; then
		integ_ok "$d: self-check passes with the three keys"
	else
		integ_notok "$d: self-check passes" \
		    "$(grep -i selfcheck "$INTEG_TMP/$d.log" | tail -n 5)"
	fi
done
if send good1 "$STRICT" && delivered good1; then
	integ_ok "strict, check passed: signed and relayed"
else
	integ_notok "strict, check passed: relayed" \
	    "$(tail -n 5 "$INTEG_TMP/good1.swaks")"
fi
usr1 "$STRICT_PID" strict
expect strict selfcheck pass
expect_ge strict selfcheck_passed 1
expect strict selfcheck_failed 0
expect strict smtp_signed 1
expect strict smtp_refused 0
expect strict signed_rsa 1
expect strict signed_ed25519 1
expect strict sealed_arc 1
expect strict relay_2xx 1
expect strict key_rsa "dkim-$T"
expect strict key_arc "arc-$T"
expect strict mismatches 0

# A private Postfix whose smtpd_milters is the strict daemon, when
# root; PF_MSGS counts what it hands the milter.
. "$top_srcdir/tests/integration/postfix.sh"
PF_ON=
PF_MSGS=0
if [ "$(id -u)" -eq 0 ] && command -v postfix >/dev/null 2>&1 &&
    id postfix >/dev/null 2>&1 && getent group postdrop >/dev/null 2>&1
then
	PF=$INTEG_TMP/postfix
	pf_dirs
	PFPORT=$(integ_free_port)
	pf_config "$PFPORT" "$SINKPORT" "inet:127.0.0.1:$MPORT"
	PF_LOGS="$INTEG_TMP/strict.log $INTEG_TMP/sink.log"
	pf_start
	PF_ON=1
fi
# pf_send NAME: a message through Postfix and the milter; swaks' exit.
pf_send()
{
	PF_MSGS=$((PF_MSGS + 1))
	printf '%s\n' "From: alice@$DOMAIN" "To: bob@example.net" \
	    "Subject: $1" "Message-ID: <$1@$DOMAIN>" "" "Hello." \
	    >"$INTEG_TMP/$1.in"
	swaks --server "127.0.0.1:$PFPORT" --from "alice@$DOMAIN" \
	    --to bob@example.net --data "@$INTEG_TMP/$1.in" --silent 1 \
	    >"$INTEG_TMP/$1.swaks" 2>&1
}

# ------------------------------------------------ the rsa record differs

S1=$(lines strict)
L1=$(lines lax)
if serve "$INTEG_TMP/bad.zone" 2; then
	integ_ok "NSD serves another rsa key for dkim-$T"
else
	integ_notok "NSD serves another rsa key"
fi
for d in "strict $S1" "lax $L1"; do
	set -- $d
	if wait_log "$1" "signd selfcheck failed: DKIM a=rsa-sha256 s=dkim-$T: fail" "$2"; then
		integ_ok "$1: self-check fails, naming the selector"
	else
		integ_notok "$1: self-check fails, naming the selector" \
		    "$(grep -i selfcheck "$INTEG_TMP/$1.log" | tail -n 3)"
	fi
done
grep -q 'signd selfcheck failed.*--strict-selfcheck: new mail is refused' \
    "$INTEG_TMP/strict.log" && integ_ok "strict: the log says mail is refused" ||
    integ_notok "strict: the log says mail is refused"
if send bad1 "$STRICT"; then
	integ_notok "strict, check failing: refused" \
	    "$(tail -n 5 "$INTEG_TMP/bad1.swaks")"
elif grep -q '<\*\* *451 4.7.0' "$INTEG_TMP/bad1.swaks"; then
	integ_ok "strict, check failing: 451 4.7.0"
else
	integ_notok "strict, check failing: 451 4.7.0" \
	    "$(tail -n 5 "$INTEG_TMP/bad1.swaks")"
fi
if delivered bad1; then
	integ_notok "strict, check failing: nothing relayed"
else
	integ_ok "strict, check failing: nothing relayed"
fi
if send lax1 "$LAX" && delivered lax1; then
	integ_ok "without --strict-selfcheck: still signed and relayed"
else
	integ_notok "without --strict-selfcheck: relayed" \
	    "$(tail -n 5 "$INTEG_TMP/lax1.swaks")"
fi
usr1 "$STRICT_PID" strict
expect strict selfcheck fail
expect_ge strict selfcheck_failed 1
expect strict smtp_signed 1
expect strict smtp_refused 1
expect strict refused_selfcheck 1
expect strict relay_2xx 1
# The keyring itself read the record before: it still has its key.
expect strict key_rsa "dkim-$T"
# The same counters over DNS (dig retries over TCP: the answer is
# larger than its UDP buffer), and over TCP from the start.
dns_counter() { # dns_counter NAME [DIG OPTIONS]
	n=$1
	shift
	dig @127.0.0.1 -p "$STATS" +short "$@" CH TXT stats.timbre. |
	    tr -d '"' | sed -n "s/^$n=//p"
}
for o in "" +tcp; do
	got="$(dns_counter smtp_refused $o) $(dns_counter selfcheck $o) $(dns_counter key_rsa $o)"
	if [ "$got" = "1 fail dkim-$T" ]; then
		integ_ok "dig CH TXT stats.timbre. ${o:-(udp, then tcp)}: $got"
	else
		integ_notok "dig CH TXT stats.timbre. ${o:-udp}: 1 fail dkim-$T" \
		    "got '$got'"
	fi
done
n=$(dig @127.0.0.1 -p "$STATS" CH TXT stats.timbre. +ignore +bufsize=512 |
    grep -c 'flags:.* tc' || true)
[ "$n" -ge 1 ] && integ_ok "stats over UDP: TC=1 past the client's buffer" ||
    integ_notok "stats over UDP: TC=1 past the client's buffer"
if dig @127.0.0.1 -p "$STATS" "$DOMAIN" SOA | grep -q 'status: REFUSED'; then
	integ_ok "stats listener: other questions REFUSED"
else
	integ_notok "stats listener: other questions REFUSED"
fi
if [ -n "$PF_ON" ]; then
	if pf_send pfbad; then
		integ_notok "milter, check failing: Postfix refuses" \
		    "$(tail -n 5 "$INTEG_TMP/pfbad.swaks")"
	elif grep -q '<\*\* *451 4.7.0 signing keys failing their self-check' \
	    "$INTEG_TMP/pfbad.swaks"; then
		integ_ok "milter, check failing: Postfix answers 451 4.7.0 with the daemon's text"
	else
		integ_notok "milter, check failing: 451 4.7.0 from Postfix" \
		    "$(tail -n 5 "$INTEG_TMP/pfbad.swaks")"
	fi
	if delivered pfbad; then
		integ_notok "milter, check failing: nothing relayed"
	else
		integ_ok "milter, check failing: nothing relayed"
	fi
	usr1 "$STRICT_PID" strict
	expect strict milter_refused 1
	expect strict refused_selfcheck 2
else
	integ_skipcase "milter, check failing: Postfix refuses" \
	    "needs root and postfix" 4
fi
usr1 "$LAX_PID" lax
expect lax selfcheck fail
expect lax smtp_signed 1
expect lax smtp_refused 0
expect lax refused_selfcheck 0

# ------------------------------------------------ restored

S2=$(lines strict)
serve "$INTEG_TMP/good3.zone" 3 || integ_notok "NSD serves the zone again"
if wait_log strict 'signd selfcheck pass' "$S2"; then
	integ_ok "strict: self-check passes again"
else
	integ_notok "strict: self-check passes again"
fi
if send good2 "$STRICT" && delivered good2; then
	integ_ok "strict, check passed again: relayed"
else
	integ_notok "strict, check passed again: relayed" \
	    "$(tail -n 5 "$INTEG_TMP/good2.swaks")"
fi
usr1 "$STRICT_PID" strict
expect strict selfcheck pass
expect strict smtp_signed 2
expect strict smtp_refused 1
expect strict relay_2xx 2
expect strict messages $((2 + PF_MSGS))
if [ -n "$PF_ON" ]; then
	if pf_send pfgood && delivered pfgood &&
	    grep -l '^Subject: pfgood' "$SINK"/* | xargs grep -q \
	    '^DKIM-Signature:'; then
		integ_ok "milter, check passed again: Postfix relays it signed"
	else
		integ_notok "milter, check passed again: relayed signed" \
		    "$(tail -n 5 "$INTEG_TMP/pfgood.swaks")"
	fi
	usr1 "$STRICT_PID" strict
	expect strict milter_signed 1
	expect strict milter_refused 1
	pf_stop
else
	integ_skipcase "milter, check passed again" "needs root and postfix" 3
fi
grep -q 'horse' "$INTEG_TMP/strict.log" "$INTEG_TMP/lax.log" &&
    integ_notok "nothing logged of the password" ||
    integ_ok "nothing logged of the password"

integ_stop "$STRICT_PID"
integ_stop "$LAX_PID"

# ------------------------------------------------ --clock-offset

# The keys were made an hour (and the test's run) ago; 3000 s later
# they are 6600 s old (and the run), 600 from the end of a 2 h life.  Signatures carry that clock, and the
# self-check verifies them with it.
CLOCK=$(integ_free_port)
start clock "$CLOCK" --clock-offset 3000 --key-lifetime 2h \
    --key-overlap 1h
CLOCK_PID=$INTEG_LAST_PID
if wait_log clock 'signd selfcheck pass'; then
	integ_ok "--clock-offset: self-check passes"
else
	integ_notok "--clock-offset: self-check passes" \
	    "$(tail -n 5 "$INTEG_TMP/clock.log")"
fi
usr1 "$CLOCK_PID" clock
age=$(counter clock key_rsa_age)
left=$(counter clock key_rsa_expires_in)
want=$(($(date +%s) - T + 3000))
if [ -n "$age" ] && [ "$age" -ge $((want - 5)) ] && [ "$age" -le "$want" ] &&
    [ "$left" -eq $((7200 - age)) ]; then
	integ_ok "--clock-offset: the key is $age s old, $left s from expiry"
else
	integ_notok "--clock-offset 3000: key age $want, $((7200 - want)) s left" \
	    "age '$age' left '$left'"
fi
integ_stop "$CLOCK_PID"

# ------------------------------------------------ resolver down at start

# Nothing answers: the keyring retries with back-off (it used to retry
# at once, forever, until a first refresh succeeded), and the daemon
# has nothing to sign with.
DOWN=$(integ_free_port)
NOWHERE=$(integ_free_port)
integ_spawn "$INTEG_TMP/down.log" "$SIGND" -f --listen "127.0.0.1:$DOWN" \
    --relay "127.0.0.1:$SINKPORT" --domain "$DOMAIN" \
    --password-file "$INTEG_TMP/pw" --resolver "127.0.0.1:$NOWHERE" \
    --selfcheck-interval 1 $SELECTORS -c /dev/null
DOWN_PID=$INTEG_LAST_PID
sleep 3
n=$(grep -c 'keyring refresh of .* failed' "$INTEG_TMP/down.log" || true)
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then
	integ_ok "resolver down: $n refreshes in 3 s, with back-off"
else
	integ_notok "resolver down: 1 to 3 refreshes in 3 s" "$n"
fi
usr1 "$DOWN_PID" down
expect down selfcheck none
expect down key_rsa none
integ_stop "$DOWN_PID"
integ_summary
