#!/bin/sh
# tests/integration/listd_limits.sh: timbre-listd's SMTP limits, as a
# client sees them (tests/integration/listd_limits_peer.py, smtplib):
#
#   --require-tls (with --tls-cert/--tls-key): STARTTLS offered, MAIL
#     before it "530 5.7.0", MAIL and RCPT inside TLS 250;
#   --max-recipients 2: the third RCPT of a transaction "452 4.5.3 too
#     many recipients", the first two 250;
#   --max-per-ip 2 with --max-connections 3: a third connection from
#     127.0.0.1 "421 4.7.0" at the greeting while one from 127.0.0.2 is
#     served, then a fourth from 127.0.0.3 "421 4.7.0" (all slots used);
#     after they close, 127.0.0.1 is served again;
#   SIGHUP with a changed configuration file: --max-recipients and
#     --max-per-ip changed for the next session; STARTTLS and
#     --require-tls turned on; a key that is not the certificate's, then
#     a value that does not parse: "reload failed, old configuration
#     kept", and the old settings still answer; --deliver-port changed:
#     named in the log as needing a restart.
#
# The set-up (NSD, smtp-sink, the database) is listd_lib.sh's; no signer
# is needed, since no message reaches DATA.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"
PEER_LIMITS=$top_srcdir/tests/integration/listd_limits_peer.py

dev_list alice@good.test

peer()
{
	/usr/bin/python3 "$PEER_LIMITS" "$@"
}
# has FILE LINE: FILE holds a line starting with LINE.
has()
{
	grep -q "^$2" "$1"
}
restart()
{
	integ_stop "$LISTD_PID"
	listd_start "$@" || { fail_log; integ_summary; exit 1; }
}

# ---- --require-tls ----
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$AUTHSERV" \
    -keyout "$INTEG_TMP/tls.key" -out "$INTEG_TMP/tls.crt" 2>/dev/null
listd_start tls --tls-cert "$INTEG_TMP/tls.crt" \
    --tls-key "$INTEG_TMP/tls.key" --require-tls ||
    { fail_log; integ_summary; exit 1; }
peer tls "$PORT" "dev@$D" >"$INTEG_TMP/tls.out" 2>&1 || true
if has "$INTEG_TMP/tls.out" "OFFERED STARTTLS" &&
    has "$INTEG_TMP/tls.out" "MAIL-PLAIN 530 5.7.0 must issue a STARTTLS command first" &&
    has "$INTEG_TMP/tls.out" "STARTTLS 220" &&
    has "$INTEG_TMP/tls.out" "MAIL-TLS 250" &&
    has "$INTEG_TMP/tls.out" "RCPT-TLS 250"; then
	integ_ok "--require-tls: 530 5.7.0 before STARTTLS, 250 inside ($(sed -n 's/^CIPHER //p' "$INTEG_TMP/tls.out"))"
else
	integ_notok "--require-tls" "$(cat "$INTEG_TMP/tls.out")"
	fail_log
fi
# Without --require-tls, the same client may send MAIL in plain text.
restart plain --tls-cert "$INTEG_TMP/tls.crt" --tls-key "$INTEG_TMP/tls.key"
peer tls "$PORT" "dev@$D" >"$INTEG_TMP/plain.out" 2>&1 || true
if has "$INTEG_TMP/plain.out" "MAIL-PLAIN 250"; then
	integ_ok "without --require-tls: MAIL in plain text 250"
else
	integ_notok "without --require-tls" "$(cat "$INTEG_TMP/plain.out")"
fi

# ---- --max-recipients ----
restart rcpt --max-recipients 2
peer rcpt "$PORT" 3 "dev@$D" >"$INTEG_TMP/rcpt.out" 2>&1 || true
if has "$INTEG_TMP/rcpt.out" "RCPT1 250" &&
    has "$INTEG_TMP/rcpt.out" "RCPT2 250" &&
    has "$INTEG_TMP/rcpt.out" "RCPT3 452 4.5.3 too many recipients"; then
	integ_ok "--max-recipients 2: the third RCPT 452 4.5.3"
else
	integ_notok "--max-recipients" "$(cat "$INTEG_TMP/rcpt.out")"
	fail_log
fi

# ---- --max-per-ip and --max-connections ----
restart conns --max-per-ip 2 --max-connections 3
peer conns "$PORT" 127.0.0.1 127.0.0.1 127.0.0.1 127.0.0.2 127.0.0.3 \
    >"$INTEG_TMP/conns.out" 2>&1 || true
if has "$INTEG_TMP/conns.out" "CONN1 127.0.0.1 220" &&
    has "$INTEG_TMP/conns.out" "CONN2 127.0.0.1 220" &&
    has "$INTEG_TMP/conns.out" "CONN3 127.0.0.1 421 4.7.0 $AUTHSERV too many connections from your address" &&
    has "$INTEG_TMP/conns.out" "CONN4 127.0.0.2 220" &&
    has "$INTEG_TMP/conns.out" "CONN5 127.0.0.3 421 4.7.0"; then
	integ_ok "--max-per-ip 2: the third from one address 421 4.7.0, another address served"
	integ_ok "--max-connections 3: one more from anywhere 421 4.7.0"
else
	integ_notok "--max-per-ip, --max-connections" "$(cat "$INTEG_TMP/conns.out")"
	fail_log
fi
# The slots come back when the clients leave.
sleep 0.5
peer conns "$PORT" 127.0.0.1 127.0.0.1 >"$INTEG_TMP/conns2.out" 2>&1 || true
if has "$INTEG_TMP/conns2.out" "CONN1 127.0.0.1 220" &&
    has "$INTEG_TMP/conns2.out" "CONN2 127.0.0.1 220"; then
	integ_ok "after they closed: 127.0.0.1 served again"
else
	integ_notok "slots freed" "$(cat "$INTEG_TMP/conns2.out")"
fi

# ---- SIGHUP ----
CONF=$INTEG_TMP/listd.conf
echo "max-recipients = 2" >"$CONF"
restart hup -c "$CONF"
LOG=$INTEG_TMP/listd.log.hup
# hup PATTERN: SIGHUP, then wait for a new log line matching PATTERN.
hup()
{
	local before

	before=$(grep -c -- "$1" "$LOG" || true)
	kill -HUP "$LISTD_PID"
	for i in $(seq 1 50); do
		[ "$(grep -c -- "$1" "$LOG" || true)" -gt "$before" ] && return 0
		sleep 0.1
	done
	return 1
}
peer rcpt "$PORT" 3 "dev@$D" >"$INTEG_TMP/hup1.out" 2>&1 || true
printf '%s\n' "max-recipients = 3" "max-per-ip = 1" >"$CONF"
if has "$INTEG_TMP/hup1.out" "RCPT3 452 4.5.3" && hup "listd reload done"; then
	peer rcpt "$PORT" 4 "dev@$D" >"$INTEG_TMP/hup2.out" 2>&1 || true
	peer conns "$PORT" 127.0.0.1 127.0.0.1 >"$INTEG_TMP/hup3.out" 2>&1 || true
fi
if has "$INTEG_TMP/hup2.out" "RCPT3 250" &&
    has "$INTEG_TMP/hup2.out" "RCPT4 452 4.5.3 too many recipients" &&
    has "$INTEG_TMP/hup3.out" "CONN1 127.0.0.1 220" &&
    has "$INTEG_TMP/hup3.out" "CONN2 127.0.0.1 421 4.7.0" &&
    grep -q "listd reload done .*max_recipients=3 .*max_per_ip=1 " "$LOG"; then
	integ_ok "SIGHUP: --max-recipients 2 -> 3 and --max-per-ip 1 for the next sessions"
else
	integ_notok "SIGHUP limits" "$(cat "$INTEG_TMP"/hup[123].out 2>/dev/null)" \
	    "$(grep reload "$LOG")"
fi
printf '%s\n' "tls-cert = $INTEG_TMP/tls.crt" "tls-key = $INTEG_TMP/tls.key" \
    require-tls >"$CONF"
hup "listd reload done" || true
peer tls "$PORT" "dev@$D" >"$INTEG_TMP/hup4.out" 2>&1 || true
if has "$INTEG_TMP/hup4.out" "OFFERED STARTTLS" &&
    has "$INTEG_TMP/hup4.out" "MAIL-PLAIN 530 5.7.0" &&
    has "$INTEG_TMP/hup4.out" "MAIL-TLS 250"; then
	integ_ok "SIGHUP: STARTTLS and --require-tls turned on"
else
	integ_notok "SIGHUP TLS on" "$(cat "$INTEG_TMP/hup4.out")" "$(grep reload "$LOG")"
fi
# A key that is not the certificate's: nothing changes.
openssl genpkey -algorithm ed25519 -out "$INTEG_TMP/other.key" 2>/dev/null
printf '%s\n' "tls-cert = $INTEG_TMP/tls.crt" "tls-key = $INTEG_TMP/other.key" \
    "max-recipients = 1" >"$CONF"
ok1=no
hup "listd reload failed, old configuration kept: .*other.key: not the certificate's private key" && ok1=yes
printf '%s\n' "max-recipients = lots" >"$CONF"
ok2=no
hup "listd reload failed, old configuration kept: .*max-recipients" && ok2=yes
peer tls "$PORT" "dev@$D" >"$INTEG_TMP/hup5.out" 2>&1 || true
peer rcpt "$PORT" 1 "dev@$D" >"$INTEG_TMP/hup6.out" 2>&1 || true
if [ $ok1 = yes ] && [ $ok2 = yes ] &&
    has "$INTEG_TMP/hup5.out" "MAIL-PLAIN 530 5.7.0" &&
    has "$INTEG_TMP/hup5.out" "MAIL-TLS 250" &&
    has "$INTEG_TMP/hup6.out" "MAIL 530 5.7.0"; then
	integ_ok "SIGHUP with a wrong key, then a bad value: logged, the old configuration kept whole"
else
	integ_notok "SIGHUP failures" "wrong key logged: $ok1, bad value logged: $ok2" \
	    "$(cat "$INTEG_TMP/hup5.out" "$INTEG_TMP/hup6.out")" "$(grep reload "$LOG")"
fi
printf '%s\n' "tls-cert = $INTEG_TMP/tls.crt" "tls-key = $INTEG_TMP/tls.key" \
    "deliver-port = 2525" "retry-schedule = 1m,2m" "max-per-domain = 7" >"$CONF"
if hup "listd reload: changed, kept until a restart: --deliver-port" &&
    grep -q "listd reload done require_tls=no .*retry_schedule=1m,2m .*max_per_domain=7" "$LOG"; then
	integ_ok "SIGHUP: --deliver-port named as needing a restart, the rest applied"
else
	integ_notok "SIGHUP restart-only" "$(grep reload "$LOG")"
fi
grep 'listd reload' "$LOG" | sed 's/^/# /'

integ_stop "$LISTD_PID"
integ_summary
