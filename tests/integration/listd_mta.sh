#!/bin/sh
# tests/integration/listd_mta.sh: timbre-listd's way out
# (daemons/listd/deliver.c over src/smtp's client transport) against a
# private Postfix on loopback (tests/integration/postfix.sh) as the
# subscribers' MTA, with a self-signed certificate and a recipient access
# map, relaying to smtp-sink.  The engine runs in
# tests/unit/listd/deliver_drive with --smarthost pointing at one of
# Postfix's two smtpd listeners.  Opportunistic STARTTLS:
#
#   - one that offers STARTTLS and can do it: every copy goes over TLS;
#     Postfix's log says "TLS connection established" once per copy, with
#     the protocol and cipher that timbre's own log line reports;
#   - one that offers STARTTLS but whose TLS cannot agree with any client
#     (only TLSv1, which OpenSSL's default security level refuses): the
#     handshake fails, timbre logs why and sends the copy in plain text
#     over a new connection (Postfix's smtp_tls_security_level = may);
#     Postfix logs the failed handshake and then takes the message.
#
# Transactions: mail with the null path to four recipients of one domain
# goes in one transaction (four RCPT), where Postfix's access map accepts
# two, refuses one with 550 and one with 450: two rows sent, one failed,
# one queued for a retry, and one message with two recipients relayed.
# A post (a VERP return path per recipient) goes one RCPT a transaction.
#
# Needs root (Postfix), postfix, smtp-sink, openssl and sqlite3.
# Exit: 0 all passed, 1 a case failed, 77 a peer is missing.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/postfix.sh"
integ_need_cmd openssl
. "$top_srcdir/tests/integration/listd_drive_lib.sh"
pf_need

T=$INTEG_TMP
PF=$T/postfix
pf_dirs
SPORT=$(integ_free_port)
BADPORT=$(integ_free_port)
SINKPORT=$(integ_free_port)

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.timbre.test \
    -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
integ_spawn "$T/sink.log" smtp-sink -u postfix -d "$PF/sink/m." \
    "127.0.0.1:$SINKPORT" 64
pf_config "$SPORT" "$SINKPORT" ""
cat >>"$PF/etc/main.cf" <<PFEOF
smtpd_tls_security_level = may
smtpd_tls_cert_file = $T/tls.crt
smtpd_tls_key_file = $T/tls.key
smtpd_tls_loglevel = 1
smtpd_recipient_restrictions = check_recipient_access texthash:$PF/etc/rcpt, permit_mynetworks, reject
PFEOF
cat >"$PF/etc/rcpt" <<PFEOF
gone@multi.test 550 5.1.1 no such user here
later@multi.test 450 4.2.1 mailbox busy, try later
PFEOF
# smtpd's TLS needs tlsmgr (without it: 454 to STARTTLS).
echo "tlsmgr unix - - n 1000? 1 tlsmgr" >>"$PF/etc/master.cf"
# The second listener offers STARTTLS that no current client can do.
echo "127.0.0.1:$BADPORT inet n - n - - smtpd -o smtpd_tls_protocols=TLSv1 -o smtpd_tls_mandatory_protocols=TLSv1" \
    >>"$PF/etc/master.cf"
PF_LOGS="$T/drive.log $T/sink.log"
pf_start
for i in $(seq 1 50); do
	ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$BADPORT " && break
	sleep 0.2
done

drive_list
printf 'From: alice@example.org\nTo: dev@lists.test\nSubject: over TLS\nMessage-ID: <tls1@example.org>\n\nHello, list.\n' >"$T/msg"

# sunk N: wait until smtp-sink holds N messages (Postfix relays them).
sunk()
{
	for i in $(seq 1 100); do
		[ "$(ls "$PF/sink" | wc -l)" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

# ---- STARTTLS offered and working ----
printf 'r1@tls.test\nr2@tls.test\nr3@tls.test\n' >"$T/r3"
M=$("$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$T/r3")
"$DRIVE" run "$DB" lists.test 127.0.0.1:9 --smarthost "127.0.0.1:$SPORT" \
    --idle --seconds 60 >"$T/drive.out" 2>"$T/drive.log"
sent=$(q "SELECT count(*) FROM deliveries WHERE message = $M AND state = 'sent'")
ours=$(grep -c 'deliver sent to=<r[123]@tls.test> tls=TLSv1\.[23]/' "$T/drive.log" || true)
theirs=$(grep -c "TLS connection established from localhost\[127.0.0.1\]" "$PF/maillog" || true)
if [ "$sent" = 3 ] && [ "$ours" = 3 ] && [ "$theirs" = 3 ] &&
    grep -q 'tls=3$' "$T/drive.out" && sunk 3; then
	integ_ok "STARTTLS offered: 3 copies over TLS (Postfix's log agrees)"
else
	integ_notok "STARTTLS offered" "sent=$sent ours=$ours theirs=$theirs" \
	    "$(cat "$T/drive.out")" "$(tail -5 "$T/drive.log")" \
	    "$(grep smtpd "$PF/maillog" | tail -5)"
fi
# The version and cipher timbre logs are those Postfix names.
v=$(sed -n 's/.*deliver sent to=<r1@tls.test> tls=\([^/]*\)\/\([^ ]*\).*/\1 with cipher \2/p' "$T/drive.log")
if [ -n "$v" ] && grep -q "TLS connection established from localhost\[127.0.0.1\]: $v " "$PF/maillog"; then
	integ_ok "the delivery's log line names the TLS version and cipher ($v)"
else
	integ_notok "TLS version and cipher logged" "ours: $v" \
	    "$(grep 'TLS connection established' "$PF/maillog" | head -1)"
fi
if grep -q '^Subject: over TLS' "$PF"/sink/* && ! grep -q 'starttls.*failed' "$T/drive.log"; then
	integ_ok "the copies arrived intact, no fallback"
else
	integ_notok "copies over TLS arrived" "$(ls "$PF/sink")"
fi

# ---- STARTTLS offered, handshake failing: plain text ----
rm -f "$PF"/sink/*
echo r4@tls.test >"$T/r1"
M=$("$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$T/r1")
"$DRIVE" run "$DB" lists.test 127.0.0.1:9 --smarthost "127.0.0.1:$BADPORT" \
    --idle --seconds 60 >"$T/drive2.out" 2>"$T/drive2.log"
r=$(q "SELECT state FROM deliveries WHERE message = $M")
if [ "$r" = sent ] &&
    grep -q 'deliver starttls to \[smarthost\] failed, plain text: handshake: ' "$T/drive2.log" &&
    grep -q 'deliver sent to=<r4@tls.test> tls=none ' "$T/drive2.log" &&
    grep -q 'SSL_accept error from localhost\[127.0.0.1\]' "$PF/maillog" &&
    grep -q 'tls=0$' "$T/drive2.out" && sunk 1; then
	integ_ok "handshake fails: reason logged, sent in plain text on a new connection"
else
	integ_notok "handshake failure fallback" "state=$r" \
	    "$(cat "$T/drive2.log")" "$(grep -i 'tls\|ssl' "$PF/maillog" | tail -5)"
fi
grep 'starttls.*failed' "$T/drive2.log" | sed 's/^/# /' || true

# ---- many RCPT in one transaction, each with its own result ----
rm -f "$PF"/sink/*
printf 'a@multi.test\ngone@multi.test\nlater@multi.test\nb@multi.test\n' >"$T/r4"
M=$("$DRIVE" enqueue "$DB" lists.test dev "" "$T/msg" "$T/r4")
before=$(grep -c 'smtpd.*: connect from' "$PF/maillog" || true)
"$DRIVE" run "$DB" lists.test 127.0.0.1:9 --smarthost "127.0.0.1:$SPORT" \
    --idle --seconds 60 >"$T/drive3.out" 2>"$T/drive3.log"
after=$(grep -c 'smtpd.*: connect from' "$PF/maillog" || true)
st=$(q "SELECT group_concat(recipient || ' ' || state || ' ' || attempts || ' ' || substr(last_reply, 1, 9), ', ') FROM (SELECT * FROM deliveries WHERE message = $M ORDER BY recipient)")
want="a@multi.test sent 1 250 2.0.0, b@multi.test sent 1 250 2.0.0, gone@multi.test failed 1 550 5.1.1, later@multi.test queued 1 450 4.2.1"
if [ "$st" = "$want" ] && [ $((after - before)) = 1 ] &&
    grep -q 'disconnect from localhost\[127.0.0.1\] ehlo=2 starttls=1 mail=1 rcpt=2/4 data=1 quit=1' "$PF/maillog" &&
    sunk 1 && [ "$(grep -h '^X-Rcpt-Args: <[ab]@multi.test>' "$PF"/sink/* | wc -l)" = 2 ]; then
	integ_ok "null path: 4 RCPT in one transaction, 250/550/450 each recorded"
else
	integ_notok "many RCPT in one transaction" "rows: $st" \
	    "connections: $((after - before))" "$(tail -6 "$T/drive3.log")" \
	    "$(grep 'disconnect from' "$PF/maillog" | tail -2)"
fi
# A post: VERP, one RCPT a transaction.
printf 'p1@multi.test\np2@multi.test\np3@multi.test\n' >"$T/rp"
M=$("$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$T/rp")
before=$(grep -c 'disconnect from .* rcpt=1 ' "$PF/maillog" || true)
"$DRIVE" run "$DB" lists.test 127.0.0.1:9 --smarthost "127.0.0.1:$SPORT" \
    --idle --seconds 60 >"$T/drive4.out" 2>"$T/drive4.log"
after=$(grep -c 'disconnect from .* rcpt=1 ' "$PF/maillog" || true)
sent=$(q "SELECT count(*) FROM deliveries WHERE message = $M AND state = 'sent'")
if [ "$sent" = 3 ] && [ $((after - before)) = 3 ]; then
	integ_ok "a post: one VERP return path, one RCPT, per transaction"
else
	integ_notok "VERP transactions" "sent=$sent one-rcpt sessions=$((after - before))"
fi

pf_stop
integ_summary
