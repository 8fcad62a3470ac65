#!/bin/sh
# tests/integration/listd_admin.sh: timbre-listd's commands by mail
# (admin.c) end to end on loopback, with the peers of listd.sh: NSD
# serves the zone "test" (good.test: SPF, DKIM and DMARC p=reject;
# strict.test: SPF -all, DMARC p=reject, no DKIM), swaks sends,
# timbre-signd signs the replies, the delivery engine sends them to
# Postfix's smtp-sink, where the test reads them:
#
#   - LIST-subscribe: a confirmation request to the From address (token
#     taken from the mail at smtp-sink, DKIM-signed by the list: dkimpy
#     verifies it); LIST-confirm+TOKEN: subscribed (`timbre list show`)
#     and a welcome mail delivered;
#   - a forged From (strict.test, no DKIM, SPF fails): only a
#     confirmation request, to that From, never to the envelope sender;
#     nobody subscribed;
#   - the token again, a token for another list, a malformed one: 550,
#     nothing changed;
#   - LIST-unsubscribe from a DMARC-passing subscriber: removed at once,
#     a goodbye mail; LIST-help: answered only to a verified From;
#     LIST-subscribers: to a verified moderator only; LIST-owner:
#     forwarded to the moderators;
#   - an automatic message (Auto-Submitted) to a command: ignored;
#   - the rate limit: the sixth reply to one address in an hour is not
#     sent.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/listd_lib.sh"
# Commands, not posts, go to the lists' admin addresses.
MSG_TO=dev-x@$D

# The database: dev (moderator mod@good.test, subscriber alice@good.test)
# and ops, another list.
"$TIMBRE" list create "$DB"
"$TIMBRE" list add "$DB" --domain "$D" dev --moderator mod@good.test
"$TIMBRE" list add "$DB" --domain "$D" ops --moderator mod@good.test
"$TIMBRE" list subscribe "$DB" --domain "$D" dev alice@good.test

signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 || { fail_log; integ_summary; exit 1; }

# sink_wait PATTERN [N]: waits for the Nth (default 1) mail at smtp-sink
# with a line matching PATTERN (grep -E); SINKFILE its file (LF).
sink_wait()
{
	local i f

	for i in $(seq 1 150); do
		f=$(grep -lE -- "$1" "$SINK"/* 2>/dev/null | sed -n "${2:-1}p")
		if [ -n "$f" ]; then
			sleep 0.2
			awk 'h == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
			    { h = 1; print }' "$f" | tr -d '\r' >"$INTEG_TMP/sinkfile"
			SINKFILE=$INTEG_TMP/sinkfile
			return 0
		fi
		sleep 0.2
	done
	return 1
}

sink_count()
{
	grep -lE -- "$1" "$SINK"/* 2>/dev/null | wc -l
}

subs()
{
	"$TIMBRE" list show "$DB" --domain "$D" "$1" 2>&1
}

# ------------------------------------------------ subscribe, confirm

msg sub1 bob@good.test
dkim_sign sub1
send sub1 bob@good.test "dev-subscribe@$D" "$INTEG_TMP/sub1.in"
expect sub1 '^250 2\.0\.0 confirmation request sent to <bob@good\.test>'
check "sub1: not subscribed before the confirmation" \
    '! subs dev | grep -q "bob@good.test"' "$(subs dev)"
if sink_wait '^To: bob@good\.test$'; then
	integ_ok "sub1: a confirmation request at smtp-sink"
	TOKEN=$(grep -oE "dev-confirm\+[0-9a-f]{32}@" "$SINKFILE" | head -n 1 |
	    sed 's/^dev-confirm+//; s/@$//')
	check "sub1: the request carries a token" '[ -n "$TOKEN" ]' \
	    "$(cat "$SINKFILE")"
	check "sub1: it says what happened and what to do" \
	    'grep -q "^Command: subscribe, for bob@good.test" "$SINKFILE" &&
	    grep -q "Nothing was done yet" "$SINKFILE"'
	check "sub1: sent with the null return path, Auto-Submitted" \
	    'grep -q "^Auto-Submitted: auto-replied" "$SINKFILE"'
	out=$(/usr/bin/python3 "$PEER" verify "$DNS" "$SINKFILE" 2>&1) || true
	check "sub1: dkimpy verifies the list's DKIM signature" \
	    'printf "%s\n" "$out" | grep -q "^dkim .* s=dkim-$T ok$"' "$out"
else
	integ_notok "sub1: a confirmation request at smtp-sink" "$(ls "$SINK")"
	fail_log
	TOKEN=
fi
TOKEN=${TOKEN:-00000000000000000000000000000000}

# The confirmation, from anyone (the token proves the mailbox).
msg conf1 someone@none.test
send conf1 someone@none.test "dev-confirm+$TOKEN@$D" "$INTEG_TMP/conf1.in"
expect conf1 '^250 2\.0\.0 <bob@good\.test> is now subscribed to dev@'
check "conf1: timbre list show lists bob" \
    'subs dev | grep -q "bob@good.test"' "$(subs dev)"
if sink_wait '^Subject: Welcome to dev@'; then
	check "conf1: the welcome mail says how to leave" \
	    'grep -q "^To: bob@good.test" "$SINKFILE" &&
	    grep -q "dev-unsubscribe@$D" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "conf1: a welcome mail at smtp-sink" "$(ls "$SINK")"
	fail_log
fi

# ------------------------------------------------ tokens refused

before=$(subs dev)
send reuse someone@none.test "dev-confirm+$TOKEN@$D" "$INTEG_TMP/conf1.in"
expect reuse '^550 5\.7\.1 .*used already.*nothing was changed'
msg sub2 carol@good.test
dkim_sign sub2
send sub2 carol@good.test "ops-subscribe@$D" "$INTEG_TMP/sub2.in"
expect sub2 '^250 2\.0\.0 confirmation request sent'
T2=$(q "SELECT token FROM pending p JOIN lists l ON l.id = p.list_id
    WHERE l.name = 'ops' AND address = 'carol@good.test'")
send other someone@none.test "dev-confirm+$T2@$D" "$INTEG_TMP/conf1.in"
expect other '^550 5\.7\.1 this token is not for dev@'
check "other: the token still works for its own list" \
    '[ -n "$(q "SELECT token FROM pending WHERE token = '"'$T2'"'")" ]'
send bad someone@none.test "dev-confirm+zz12@$D" "$INTEG_TMP/conf1.in"
expect bad '^550 5\.1\.1 not a confirmation token'
q "UPDATE pending SET expires = 1 WHERE token = '$T2'"
send expired someone@none.test "ops-confirm+$T2@$D" "$INTEG_TMP/conf1.in"
expect expired '^550 5\.7\.1 this request expired'
check "tokens: nothing changed" '[ "$(subs dev)" = "$before" ] &&
    ! subs ops | grep -q carol@good.test' "$(subs dev; subs ops)"

# ------------------------------------------------ a forged From

# From victim@strict.test (SPF -all, no DKIM: DMARC fails), envelope
# attacker@none.test: only a confirmation request, to the From.
msg forged victim@strict.test
send forged attacker@none.test "dev-subscribe@$D" "$INTEG_TMP/forged.in"
expect forged '^250 2\.0\.0 confirmation request sent to <victim@strict\.test>'
if sink_wait '^To: victim@strict\.test$'; then
	integ_ok "forged: the confirmation request went to the From"
else
	integ_notok "forged: the confirmation request went to the From"
fi
check "forged: nothing to the envelope sender" \
    '[ "$(sink_count "attacker@none.test")" -eq 0 ] &&
    [ -z "$(q "SELECT recipient FROM deliveries
    WHERE recipient LIKE '"'attacker%'"'")" ]'
check "forged: nobody subscribed" \
    '! subs dev | grep -qE "victim|attacker"' "$(subs dev)"
msg forgedhelp victim@strict.test
send forgedhelp attacker@none.test "dev-help@$D" "$INTEG_TMP/forgedhelp.in"
expect forgedhelp '^250 2\.0\.0 no reply: the From address is not verified'
# A forged unsubscribe of alice (From alice@good.test, no DKIM, the
# envelope elsewhere): a confirmation to alice, no change.
msg forgedunsub alice@good.test
send forgedunsub attacker@none.test "dev-unsubscribe@$D" \
    "$INTEG_TMP/forgedunsub.in"
expect forgedunsub '^250 2\.0\.0 confirmation request sent to <alice@good\.test>'
check "forgedunsub: alice still subscribed" \
    'subs dev | grep -q "alice@good.test"' "$(subs dev)"

# ------------------------------------------------ unsubscribe, help

msg unsub bob@good.test
dkim_sign unsub
send unsub bob@good.test "dev-unsubscribe@$D" "$INTEG_TMP/unsub.in"
expect unsub '^250 2\.0\.0 <bob@good\.test> is no longer subscribed'
check "unsub: bob removed" '! subs dev | grep -q "bob@good.test"' \
    "$(subs dev)"
if sink_wait '^Subject: Goodbye from dev@'; then
	integ_ok "unsub: a goodbye mail at smtp-sink"
else
	integ_notok "unsub: a goodbye mail at smtp-sink" "$(ls "$SINK")"
fi

msg help alice@good.test
dkim_sign help
send help alice@good.test "dev-help@$D" "$INTEG_TMP/help.in"
expect help '^250 2\.0\.0 help sent to <alice@good\.test>'
msg auto alice@good.test "Auto-Submitted: auto-replied"
dkim_sign auto
send auto alice@good.test "dev-subscribe@$D" "$INTEG_TMP/auto.in"
expect auto '^250 2\.0\.0 an automatic message: ignored'
msg list1 alice@good.test
dkim_sign list1
send list1 alice@good.test "dev-subscribers@$D" "$INTEG_TMP/list1.in"
expect list1 '^550 5\.7\.1 the subscriber list goes only to a moderator'
msg list2 mod@good.test
dkim_sign list2
send list2 mod@good.test "dev-subscribers@$D" "$INTEG_TMP/list2.in"
expect list2 '^250 2\.0\.0 subscriber list sent to <mod@good\.test>'
if sink_wait '^Subject: Subscribers of dev@'; then
	check "list2: alice in the subscriber list" \
	    'grep -q "alice@good.test" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "list2: the subscriber list at smtp-sink"
fi
msg owner erin@none.test
send owner erin@none.test "dev-owner@$D" "$INTEG_TMP/owner.in"
expect owner '^250 2\.0\.0 forwarded to the moderators'
if sink_wait '^Subject: Message for the owners of dev@'; then
	check "owner: to the moderator, the message attached" \
	    'grep -q "^To: mod@good.test" "$SINKFILE" &&
	    grep -q "^Subject: owner" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "owner: the forward at smtp-sink"
fi

# ------------------------------------------------ the rate limit

# zed@good.test: five requests answered, the sixth not.
for i in 1 2 3 4 5 6; do
	msg "rate$i" zed@good.test
	dkim_sign "rate$i"
	send "rate$i" zed@good.test "dev-help@$D" "$INTEG_TMP/rate$i.in"
	[ "$i" -eq 5 ] && expect rate5 '^250 2\.0\.0 help sent'
done
expect rate6 '^250 2\.0\.0 no reply sent \(too many replies'

integ_summary
