#!/bin/sh
# tests/integration/listd_bounce.sh: bounces as they really come back to
# timbre-listd, over SMTP to its public port from the null sender, rather
# than handed to the bounce code by a test driver (listd_deliver.sh does
# that, with many more kinds of report).
#
#   - a failed report to a subscriber's VERP address scores the subscriber;
#   - a report that names the sender's DMARC policy scores no one;
#   - a VERP address that does not decode is the bare bounce address
#     (the report's recipients are scored); a report that does not parse
#     costs nothing; the daemon carries on;
#   - the bounce address of another domain is refused (no relaying);
#   - a subscriber disabled two days ago is probed by the running daemon
#     (the probe leaves through the signer to the subscriber's MTA,
#     smtp-sink); a report to the probe's path with a forged token, and an
#     auto-reply to the real path, change nothing; a failed report to the
#     real path removes the subscriber.
# Set-up: listd_lib.sh (NSD, timbre-signd, smtp-sink).
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"

dev_list alice@good.test bob@example.net carol@example.net dave@example.net
# dave was disabled by bounces two days ago: his probe is due (1d).
q "UPDATE subscribers SET state = 'disabled', bounce_score = 5,
    last_bounce = strftime('%s', 'now') - 2 * 86400
    WHERE address = 'dave@example.net'"
signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 --bounce-probe-after 1d --bounce-probe-wait 3d ||
    { fail_log; integ_summary; exit 1; }

# report NAME RCPT STATUS DIAGNOSTIC: NAME.in, a failed delivery report
# (RFC 3464) for RCPT, as Postfix writes them.
report()
{
	cat >"$INTEG_TMP/$1.in" <<EOF
From: MAILER-DAEMON@mx.example.net
To: dev-bounces@$D
Subject: Undelivered Mail Returned to Sender
Date: $(date -R)
Message-ID: <$1.$$@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.net.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; $2
Action: failed
Status: $3
Diagnostic-Code: smtp; $4

--B--
EOF
}

score()
{
	q "SELECT state || ' ' || bounce_score FROM subscribers
	    WHERE address = '$1'"
}

# ---- a subscriber's VERP address ----
report hard bob@example.net 5.1.1 "550 5.1.1 <bob@example.net>: no such user"
send hard '<>' "dev-bounces+bob=example.net@$D" "$INTEG_TMP/hard.in"
expect hard '^250 2\.0\.0 bounce recorded'
check "a failed report over SMTP to bob's VERP address scores him (2)" \
    '[ "$(score bob@example.net)" = "active 2" ]' "bob: $(score bob@example.net)"

# ---- a rejection by the author's DMARC policy ----
report policy carol@example.net 5.7.1 \
    "550 5.7.26 Unauthenticated email from good.test is not accepted due to domain's DMARC policy"
send policy '<>' "dev-bounces+carol=example.net@$D" "$INTEG_TMP/policy.in"
expect policy '^250 2\.0\.0 bounce recorded'
check "a DMARC policy rejection costs carol nothing" \
    '[ "$(score carol@example.net)" = "active 0" ]' "carol: $(score carol@example.net)"

# ---- what does not decode or parse ----
# A path that does not decode is taken as the bare LIST-bounces: the
# recipients the report names are scored (bob: 2 more).
send badverp '<>' "dev-bounces+no-at-sign-here@$D" "$INTEG_TMP/hard.in"
expect badverp '^250 2\.0\.0 bounce recorded'
check "a VERP address that does not decode: the report's recipient is scored" \
    '[ "$(score bob@example.net)" = "active 4" ]' "bob: $(score bob@example.net)"
printf 'From: MAILER-DAEMON@mx.example.net\nContent-Type: multipart/report; boundary="\n\n--\n\001\002 not a report\n' \
    >"$INTEG_TMP/garbage.in"
send garbage '<>' "dev-bounces+bob=example.net@$D" "$INTEG_TMP/garbage.in"
expect garbage '^250 2\.0\.0 bounce recorded'
check "a report that does not parse scores no one" \
    '[ "$(q "SELECT group_concat(address || '\'' '\'' || bounce_score, '\'','\'') FROM subscribers")" = \
    "alice@good.test 0,bob@example.net 4,carol@example.net 0,dave@example.net 5" ]' \
    "$(q "SELECT group_concat(address || ' ' || bounce_score, ',') FROM subscribers")"

# ---- another domain's bounce address: no relaying ----
send relay '<>' "dev-bounces+bob=example.net@example.net" "$INTEG_TMP/hard.in"
expect relay '^550 5\.7\.1 '

# ---- the probe of a disabled subscriber ----
probe=
for i in $(seq 1 150); do
	probe=$(grep -h '^X-Mail-Args: <dev-bounces+probe-[0-9a-f]*+dave=example.net@' \
	    "$SINK"/* 2>/dev/null | head -n 1 |
	    sed 's/^X-Mail-Args: <\([^>]*\)>.*/\1/') || true
	[ -n "$probe" ] && break
	sleep 0.2
done
check "dave, disabled two days ago, is probed through the signer (path $probe)" \
    '[ -n "$probe" ] && [ "$(score dave@example.net)" = "probing 5" ] &&
    grep -l "^X-Mail-Args: <$probe>" "$SINK"/* | xargs grep -q "^DKIM-Signature: .*d=$D"' \
    "dave: $(score dave@example.net); sink: $(ls "$SINK" | wc -l) files"

report dave dave@example.net 5.2.1 "550 5.2.1 mailbox disabled"
forged=$(echo "${probe:-x}" | sed 's/probe-[0-9a-f]*/probe-0123456789abcdef/')
send forged '<>' "$forged" "$INTEG_TMP/dave.in"
printf '%s\n' "From: dave@example.net" "To: $probe" "Subject: Auto: away" \
    "Auto-Submitted: auto-replied" "" "I am away." >"$INTEG_TMP/away.in"
send away '<>' "${probe:-x@$D}" "$INTEG_TMP/away.in"
check "a forged token and an auto-reply to the probe change nothing" \
    '[ "$(score dave@example.net)" = "probing 5" ]' "dave: $(score dave@example.net)"

send probed '<>' "${probe:-x@$D}" "$INTEG_TMP/dave.in"
expect probed '^250 2\.0\.0 bounce recorded'
check "the failed report to the probe's path removes dave" \
    '[ "$(q "SELECT count(*) FROM subscribers WHERE address = '\''dave@example.net'\''")" = 0 ]' \
    "dave: $(score dave@example.net)"

# ---- and the daemon carries on ----
msg after alice@good.test
dkim_sign after
send after alice@good.test "dev@$D" "$INTEG_TMP/after.in"
expect after '^250 2\.0\.0 queued as [0-9]+'
kill -0 "$LISTD_PID" 2>/dev/null && integ_ok "timbre-listd is still running" ||
    integ_notok "timbre-listd is still running"

integ_summary
