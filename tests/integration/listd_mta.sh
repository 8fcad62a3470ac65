#!/bin/sh
# tests/integration/listd_mta.sh: timbre-listd's way out
# (daemons/listd/deliver.c over src/smtp's client transport) against a
# private Postfix on loopback (tests/integration/postfix.sh) as the
# subscribers' MTA, with a self-signed certificate and a recipient access
# map, relaying to smtp-sink.  The engine runs in
# tests/unit/listd/deliver_drive with --smarthost pointing at one of
# Postfix's two smtpd listeners.  Opportunistic STARTTLS:
#
#   - one that offers STARTTLS and can do it: every copy goes over TLS,
#     the three copies over one connection (Postfix's log: one "TLS
#     connection established", with the protocol and cipher that timbre's
#     own log line reports, then mail=3);
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
# Connections: the copies that wait for one address go one after the
# other on one connection.
# A post (a VERP return path per recipient) goes one RCPT a transaction,
# the transactions one after the other on one connection; a transaction
# whose only RCPT is refused ends its connection (the server's state is
# not known to be clean), and the next copies go on a new one.
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
# One connection at a time (--max caps a smarthost): the copies queue
# for it, and it carries them one after the other.
"$DRIVE" run "$DB" lists.test 127.0.0.1:9 --smarthost "127.0.0.1:$SPORT" \
    --idle --seconds 60 --max 1 >"$T/drive.out" 2>"$T/drive.log"
sent=$(q "SELECT count(*) FROM deliveries WHERE message = $M AND state = 'sent'")
ours=$(grep -c 'deliver sent to=<r[123]@tls.test> tls=TLSv1\.[23]/' "$T/drive.log" || true)
theirs=$(grep -c "TLS connection established from localhost\[127.0.0.1\]" "$PF/maillog" || true)
if [ "$sent" = 3 ] && [ "$ours" = 3 ] && [ "$theirs" = 1 ] &&
    grep -q 'connections=1 tls=3 dane=0 tls_policy_failed=0 probes=.* sts_out=0 sts_failed=0 ' "$T/drive.out" &&
    grep -q 'disconnect from localhost\[127.0.0.1\] ehlo=2 starttls=1 mail=3 rcpt=3 data=3 quit=1' "$PF/maillog" &&
    sunk 3; then
	integ_ok "STARTTLS offered: 3 copies over TLS on one connection (Postfix's log agrees)"
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
    grep -q 'tls=0 dane=0 tls_policy_failed=0 probes=.* sts_out=0 sts_failed=0 ' "$T/drive2.out" && sunk 1; then
	integ_ok "handshake fails: reason logged, sent in plain text on a new connection"
else
	integ_notok "handshake failure fallback" "state=$r" \
	    "$(cat "$T/drive2.log")" "$(grep -i 'tls\|ssl' "$PF/maillog" | tail -5)"
fi
grep 'starttls.*failed' "$T/drive2.log" | sed 's/^/# /' || true

# ---- many RCPT in one transaction, each with its own result ----
rm -f "$PF"/sink/*
# fanout NAME MAILFROM RCPT...: the message queued for the RCPTs and
# delivered to Postfix, $MAX connections at a time (default 1: --max
# caps a smarthost; the engine claims 2 x --max rows at once); M its
# id, NCONN the sessions Postfix saw, ROWS its rows ("recipient state
# code", by recipient).
fanout()
{
	local name=$1 from=$2 before

	shift 2
	printf '%s\n' "$@" >"$T/$name.rcpt"
	M=$("$DRIVE" enqueue "$DB" lists.test dev "$from" "$T/msg" "$T/$name.rcpt")
	before=$(grep -c 'smtpd.*: connect from' "$PF/maillog" || true)
	"$DRIVE" run "$DB" lists.test 127.0.0.1:9 --smarthost "127.0.0.1:$SPORT" \
	    --idle --seconds 60 --max "${MAX:-1}" >"$T/$name.out" 2>"$T/$name.log"
	NCONN=$(($(grep -c 'smtpd.*: connect from' "$PF/maillog" || true) - before))
	ROWS=$(q "SELECT group_concat(recipient || ' ' || state || ' ' || substr(last_reply, 1, 3), ', ') FROM (SELECT * FROM deliveries WHERE message = $M ORDER BY recipient)")
}
MAX=10
fanout null "" a@multi.test gone@multi.test later@multi.test b@multi.test
MAX=1
want="a@multi.test sent 250, b@multi.test sent 250, gone@multi.test failed 550, later@multi.test queued 450"
if [ "$ROWS" = "$want" ] && [ "$NCONN" = 1 ] &&
    [ "$(q "SELECT attempts FROM deliveries WHERE message = $M AND recipient = 'later@multi.test'")" = 1 ] &&
    grep -q 'disconnect from localhost\[127.0.0.1\] ehlo=2 starttls=1 mail=1 rcpt=2/4 data=1 quit=1' "$PF/maillog" &&
    sunk 1 && [ "$(grep -h '^X-Rcpt-Args: <[ab]@multi.test>' "$PF"/sink/* | wc -l)" = 2 ]; then
	integ_ok "null path: 4 RCPT in one transaction, 250/550/450 each recorded"
else
	integ_notok "many RCPT in one transaction" "rows: $ROWS" \
	    "connections: $NCONN" "$(tail -6 "$T/null.log")" \
	    "$(grep 'disconnect from' "$PF/maillog" | tail -2)"
fi
# A post: VERP, one RCPT a transaction, one connection for all.
fanout post alice@example.org p1@multi.test p2@multi.test p3@multi.test p4@multi.test
want="p1@multi.test sent 250, p2@multi.test sent 250, p3@multi.test sent 250, p4@multi.test sent 250"
if [ "$ROWS" = "$want" ] && [ "$NCONN" = 1 ] &&
    grep -q 'disconnect from .* mail=4 rcpt=4 data=4 quit=1' "$PF/maillog"; then
	integ_ok "a post: one VERP return path and one RCPT per transaction, 4 transactions on one connection"
else
	integ_notok "VERP transactions on one connection" "rows: $ROWS" \
	    "connections: $NCONN" "$(grep 'disconnect from' "$PF/maillog" | tail -2)"
fi
# Refused RCPTs in between: each result its own; the connection ends
# after a transaction that had no recipient left, the rest go on.
fanout refused alice@example.org q1@multi.test gone@multi.test q2@multi.test later@multi.test q3@multi.test
want="gone@multi.test failed 550, later@multi.test queued 450, q1@multi.test sent 250, q2@multi.test sent 250, q3@multi.test sent 250"
if [ "$ROWS" = "$want" ] && [ "$NCONN" -le 3 ]; then
	integ_ok "refused RCPTs between posts: each row right, $NCONN connections for 5 copies"
else
	integ_notok "refusals with reuse" "rows: $ROWS" "connections: $NCONN" \
	    "$(grep 'disconnect from' "$PF/maillog" | tail -3)"
fi

pf_stop
integ_summary
