#!/bin/sh
# tests/integration/listd_dsn.sh: a DSN of timbre-listd end to end.  A
# subscriber's MTA (smtp-sink, --smarthost) answers every RCPT "451":
# the copy is retried on a short schedule (--retry-schedule 1s,1s
# --give-up 3s) and fails, and the DSN for the list's moderator goes
# through timbre-signd like a post: it comes back signed (a DKIM
# signature of the list's domain atop the stored copy, which dkimpy
# verifies; the signatures of the original's header inside the report
# are not the DSN's) and is fanned out to the moderator.
# Set-up: listd_lib.sh (NSD, timbre-signd, smtp-sink).
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"

dev_list alice@good.test carol@example.net
GREYPORT=$(integ_free_port)
integ_spawn "$INTEG_TMP/grey.log" smtp-sink -r RCPT \
    -b "451 4.7.1 greylisted, come back later" "127.0.0.1:$GREYPORT" 10
signd_start 1 || { fail_log; integ_summary; exit 1; }
# The later --smarthost wins over listd_lib's.
listd_start 1 --smarthost "127.0.0.1:$GREYPORT" --retry-schedule 1s,1s \
    --retry-every 1s --give-up 3s || { fail_log; integ_summary; exit 1; }

msg post alice@good.test
dkim_sign post
send post alice@good.test "dev@$D" "$INTEG_TMP/post.in"
expect post '^250 2\.0\.0 queued as [0-9]+'
POST=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')

# The DSN for carol (alice's copy fails too: a DSN of its own), a
# message with the null path after the post.
dsn=
for i in $(seq 1 150); do
	dsn=$(q "SELECT id FROM messages WHERE mail_from = '' AND id > ${POST:-0} AND state IN ('fanout', 'done') AND instr(CAST(body AS TEXT), 'Final-Recipient: rfc822; carol@example.net') > 0")
	[ -n "$dsn" ] && break
	sleep 0.2
done
r=$(q "SELECT state || ' ' || substr(last_reply, 1, 3) FROM deliveries WHERE message = ${POST:-0} AND recipient = 'carol@example.net'")
rows=$(q "SELECT group_concat(recipient) FROM deliveries WHERE message = ${dsn:-0}")
if [ -n "$dsn" ] && [ "$r" = "failed 451" ] && [ "$rows" = mod@good.test ] &&
    grep -q "dsn queued as .* via the signer" "$INTEG_TMP/listd.log.1"; then
	integ_ok "retries ran out: a DSN for the moderator, through the signer and back (rows: $rows)"
else
	integ_notok "DSN through the signer" "post row: $r" "dsn: ${dsn:-none} rows: $rows" \
	    "$(grep -i 'dsn\|deliver failed' "$INTEG_TMP/listd.log.1" | tail -5)"
	fail_log
fi
body ${dsn:-0} dsn
if grep -q '^DKIM-Signature: .*d=lists\.test' "$INTEG_TMP/dsn.eml" &&
    grep -q 'report-type=delivery-status' "$INTEG_TMP/dsn.eml" &&
    grep -q '^Final-Recipient: rfc822; carol@example.net' "$INTEG_TMP/dsn.eml" &&
    { /usr/bin/python3 "$PEER" verify "$DNS" "$INTEG_TMP/dsn.eml" \
    >"$INTEG_TMP/dsn.verify" 2>&1 || true; } &&
    head -1 "$INTEG_TMP/dsn.verify" | grep -q '^dkim 0 a=rsa-sha256 s=dkim-[0-9]* ok$'; then
	integ_ok "the DSN is DKIM-signed by the list's domain (dkimpy: $(head -1 "$INTEG_TMP/dsn.verify"))"
else
	integ_notok "signed DSN" "$(grep -n '^DKIM-Signature\|^From:\|^Subject' "$INTEG_TMP/dsn.eml" | head -5)" \
	    "$(cat "$INTEG_TMP/dsn.verify" 2>/dev/null)"
fi

integ_stop "$LISTD_PID"
integ_stop "$SIGND_PID"
integ_summary
