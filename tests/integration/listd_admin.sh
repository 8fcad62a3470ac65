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
#   - a second (forged) subscribe request for an address leaves the
#     first one's token valid; the fourth pending one is not recorded;
#   - held posts: a moderated list's post is held (`timbre list held`
#     shows it), each of its two moderators gets a notice with their own
#     accept, reject and discard addresses; a token for another list is
#     refused; the second moderator's accept sends the post to the
#     subscriber; the first moderator's token is then spent and they are
#     told who decided; `timbre list accept` sends a held post on too; a
#     non-subscriber's post is held and rejected by
#     `timbre list reject` with a reason: the DMARC-verified author gets
#     it, a forged author gets nothing; deciding twice is refused;
#   - the rate limit: the sixth reply to one address in an hour is not
#     sent, nor after a restart;
#   - a restart 15 days later: the held post was kept, and expires, with
#     a note to its author.
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
# news: moderated, two moderators, subscriber alice.
"$TIMBRE" list add "$DB" --domain "$D" news --moderator mod@good.test \
    --moderator mod2@good.test
"$TIMBRE" list settings "$DB" --domain "$D" news --posting moderated
"$TIMBRE" list subscribe "$DB" --domain "$D" news alice@good.test

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

# sink_both P1 P2: waits for a mail at smtp-sink with a line matching P1
# and one matching P2; SINKFILE as sink_wait.
sink_both()
{
	local i f

	for i in $(seq 1 150); do
		for f in $(grep -lE -- "$1" "$SINK"/* 2>/dev/null); do
			if grep -qE -- "$2" "$f"; then
				sleep 0.2
				tr -d '\r' <"$f" >"$INTEG_TMP/sinkfile"
				SINKFILE=$INTEG_TMP/sinkfile
				return 0
			fi
		done
		sleep 0.2
	done
	return 1
}

# token ACTION: the token of ACTION in the notice SINKFILE.
token()
{
	sed -n "s/^  $1 *[a-z]*-confirm+\([0-9a-f]\{32\}\)@.*/\1/p" \
	    "$SINKFILE" | head -n 1
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
q "UPDATE pending SET expires = $(($(date +%s) - 60)) WHERE token = '$T2'"
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

# ------------------------------------------------ a forged second request

# gina@good.test asks (DKIM: verified), then a forger asks in her name
# (no DKIM) twice: three tokens, all hers; a fourth is not recorded.
msg gen1 gina@good.test
dkim_sign gen1
send gen1 gina@good.test "dev-subscribe@$D" "$INTEG_TMP/gen1.in"
expect gen1 '^250 2\.0\.0 confirmation request sent to <gina@good\.test>'
G1=$(q "SELECT token FROM pending WHERE address = 'gina@good.test'")
for i in 2 3; do
	msg "gen$i" gina@good.test
	send "gen$i" attacker@none.test "dev-subscribe@$D" "$INTEG_TMP/gen$i.in"
	expect "gen$i" '^250 2\.0\.0 confirmation request sent to <gina@good\.test>'
done
msg gen4 gina@good.test
send gen4 attacker@none.test "dev-subscribe@$D" "$INTEG_TMP/gen4.in"
expect gen4 '^250 2\.0\.0 not recorded: 3 subscribe requests for gina@good\.test are pending'
check "gen: three tokens pending, the first among them" \
    '[ "$(q "SELECT count(*) FROM pending WHERE address = '"'gina@good.test'"'
    AND token = '"'$G1'"'")" = 1 ] && [ "$(q "SELECT count(*) FROM pending
    WHERE address = '"'gina@good.test'"'")" = 3 ]'
send genconf someone@none.test "dev-confirm+$G1@$D" "$INTEG_TMP/conf1.in"
expect genconf '^250 2\.0\.0 <gina@good\.test> is now subscribed to dev@'

# ------------------------------------------------ held posts

msg p1 alice@good.test
dkim_sign p1
send p1 alice@good.test "news@$D" "$INTEG_TMP/p1.in"
expect p1 '^250 2\.0\.0 held for the moderators of news@lists\.test \(moderated list\) as [0-9]+'
H1=$(printf '%s\n' "$REPLY" | sed -n 's/.* as \([0-9]*\)$/\1/p')
H1=${H1:-0}
out=$("$TIMBRE" list held "$DB" --domain "$D" news 2>&1) || true
check "p1: timbre list held shows it" \
    'printf "%s\n" "$out" | grep -qE "^news@lists\.test held $H1 from=<alice@good\.test> verified=yes envelope=<alice@good\.test> size=[0-9]+ held=[0-9T:Z-]+ expires=[0-9T:Z-]+ reason=\"moderated list\" subject=\"p1\"$"' \
    "$out"
if sink_both '^To: mod2@good\.test$' '^Subject: Held for moderation: news@'; then
	A2=$(token accept)
	check "p1: mod2's notice: accept, reject, discard, the headers" \
	    '[ -n "$A2" ] && [ -n "$(token reject)" ] &&
	    [ -n "$(token discard)" ] && grep -q "^Subject: p1" "$SINKFILE" &&
	    grep -q "verified by DMARC" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "p1: a notice to mod2" "$(ls "$SINK")"
	fail_log
fi
if sink_both '^To: mod@good\.test$' '^Subject: Held for moderation: news@'; then
	R1=$(token reject)
	check "p1: mod's own tokens" '[ -n "$R1" ] && [ "$R1" != "$A2" ] &&
	    [ "$(token accept)" != "$A2" ]' "$(cat "$SINKFILE")"
else
	integ_notok "p1: a notice to mod" "$(ls "$SINK")"
fi
A2=${A2:-00000000000000000000000000000000}
R1=${R1:-00000000000000000000000000000000}
send p1other someone@none.test "dev-confirm+$A2@$D" "$INTEG_TMP/conf1.in"
expect p1other '^550 5\.7\.1 this token is not for dev@'
check "p1other: still held" \
    '"$TIMBRE" list held "$DB" --domain "$D" news | grep -q " held $H1 "'
send p1accept someone@none.test "news-confirm+$A2@$D" "$INTEG_TMP/conf1.in"
expect p1accept "^250 2\.0\.0 held post $H1 of news@lists\.test accepted"
if sink_both '^Subject: p1$' '^List-Id: <news\.lists\.test>'; then
	integ_ok "p1: accepted, fanned out to the subscriber"
else
	integ_notok "p1: accepted, fanned out to the subscriber" "$(ls "$SINK")"
	fail_log
fi
send p1reuse someone@none.test "news-confirm+$R1@$D" "$INTEG_TMP/conf1.in"
expect p1reuse '^550 5\.7\.1 .*used already.*nothing was changed'
if sink_both '^To: mod@good\.test$' "^Subject: Decided: held post $H1 of news@"; then
	check "p1: mod told who decided" \
	    'grep -q "was accepted by mod2@good.test" "$SINKFILE"' \
	    "$(cat "$SINKFILE")"
else
	integ_notok "p1: mod told who decided"
fi
check "p1: nothing held any more" \
    '[ -z "$("$TIMBRE" list held "$DB" --domain "$D" news)" ]'

# The operator accepts: a running listd sends the post on.
msg p5 alice@good.test
dkim_sign p5
send p5 alice@good.test "news@$D" "$INTEG_TMP/p5.in"
expect p5 '^250 2\.0\.0 held for the moderators of news@lists\.test'
H5=$(printf '%s\n' "$REPLY" | sed -n 's/.* as \([0-9]*\)$/\1/p')
"$TIMBRE" list accept "$DB" --domain "$D" news "${H5:-0}" &&
    integ_ok "p5: timbre list accept" || integ_notok "p5: timbre list accept"
if sink_both '^Subject: p5$' '^List-Id: <news\.lists\.test>'; then
	integ_ok "p5: accepted by the operator, fanned out"
else
	integ_notok "p5: accepted by the operator, fanned out" "$(ls "$SINK")"
	fail_log
fi
if sink_both "^Subject: Decided: held post ${H5:-0} of news@" \
    'was accepted by the operator \(timbre list\)'; then
	check "p5: both moderators told the operator decided" \
	    'grep -qE "^(To: |\s+)mod@good\.test,?$" "$SINKFILE" &&
	    grep -qE "^(To: |\s+)mod2@good\.test,?$" "$SINKFILE"' \
	    "$(cat "$SINKFILE")"
else
	integ_notok "p5: the moderators told"
fi

# A non-subscriber of dev, verified: held, rejected by the operator.
msg p2 frank@good.test
dkim_sign p2
send p2 frank@good.test "dev@$D" "$INTEG_TMP/p2.in"
expect p2 '^250 2\.0\.0 held for the moderators of dev@lists\.test \(not a subscriber\) as [0-9]+'
H2=$(printf '%s\n' "$REPLY" | sed -n 's/.* as \([0-9]*\)$/\1/p')
H2=${H2:-0}
# From an author DMARC cannot vouch for (none.test publishes no DMARC
# record): held too.
msg p3 victim@none.test
send p3 attacker@none.test "dev@$D" "$INTEG_TMP/p3.in"
expect p3 '^250 2\.0\.0 held for the moderators of dev@lists\.test'
H3=$(printf '%s\n' "$REPLY" | sed -n 's/.* as \([0-9]*\)$/\1/p')
H3=${H3:-0}
"$TIMBRE" list reject "$DB" --domain "$D" dev "$H2" "off topic" &&
    integ_ok "p2: timbre list reject" || integ_notok "p2: timbre list reject"
out=$("$TIMBRE" list reject "$DB" --domain "$D" dev "$H2" 2>&1) && rc=0 ||
    rc=$?
check "p2: a second decision refused (exit 1)" \
    '[ "$rc" = 1 ] && printf "%s\n" "$out" |
    grep -q "held post $H2 was rejected already by the operator"' "$out"
out=$("$TIMBRE" list accept "$DB" --domain "$D" news "$H3" 2>&1) && rc=0 ||
    rc=$?
check "p3: the ID of another list's post refused" \
    '[ "$rc" = 1 ] && printf "%s\n" "$out" | grep -q "no held post $H3"' \
    "$out"
out=$("$TIMBRE" list accept "$DB" --domain "$D" dev x1 2>&1) && rc=0 || rc=$?
check "p3: a malformed ID is a usage error (exit 2)" '[ "$rc" = 2 ]' "$out"
if sink_both '^To: frank@good\.test$' '^Subject: Rejected: your post to dev@'; then
	check "p2: the author is told, with the reason" \
	    'grep -q "Their reason: off topic" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "p2: the author is told" "$(ls "$SINK")"
	fail_log
fi
"$TIMBRE" list reject "$DB" --domain "$D" dev "$H3" spam &&
    integ_ok "p3: timbre list reject" || integ_notok "p3: timbre list reject"
"$TIMBRE" list discard "$DB" --domain "$D" dev "$H3" >/dev/null 2>&1 &&
    integ_notok "p3: discarded after rejected" ||
    integ_ok "p3: not discarded after rejected"
if sink_both '^To: mod@good\.test$' "^Subject: Decided: held post $H3 of dev@"; then
	check "p3: the moderator told, with the reason" \
	    'grep -q "was rejected by the operator (timbre list)" "$SINKFILE" &&
	    grep -q "^Reason: spam" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "p3: the moderator told"
fi
check "p3: nothing to the unverified author or the envelope" \
    'grep -q "no note to <victim@none.test>, not verified by DMARC" \
    "$INTEG_TMP/listd.log.1" &&
    [ "$(sink_count "^To: (victim|attacker)@none\.test")" -eq 0 ]' \
    "$(grep -lE "^To: (victim|attacker)@none" "$SINK"/*)"

# ------------------------------------------------ the rate limit

# zed@good.test: five requests answered, the sixth not.
for i in 1 2 3 4 5 6; do
	msg "rate$i" zed@good.test
	dkim_sign "rate$i"
	send "rate$i" zed@good.test "dev-help@$D" "$INTEG_TMP/rate$i.in"
	[ "$i" -eq 5 ] && expect rate5 '^250 2\.0\.0 help sent'
done
expect rate6 '^250 2\.0\.0 no reply sent \(too many replies'

# ------------------------------------------------ restart, expiry

msg p4 frank@good.test
dkim_sign p4
send p4 frank@good.test "dev@$D" "$INTEG_TMP/p4.in"
expect p4 '^250 2\.0\.0 held for the moderators of dev@lists\.test \(not a subscriber\)'
H4=$(printf '%s\n' "$REPLY" | sed -n 's/.* as \([0-9]*\)$/\1/p')
listd_stop()
{
	kill "$LISTD_PID" 2>/dev/null || true
	wait "$LISTD_PID" 2>/dev/null || true
	integ_untrack "$LISTD_PID"
}
listd_stop
check "restart: the held post is still there" \
    '"$TIMBRE" list held "$DB" --domain "$D" dev | grep -q " held $H4 "'
# The rate limit is in the database: zed is still over it.
listd_start 2 || fail_log
msg rate7 zed@good.test
dkim_sign rate7
send rate7 zed@good.test "dev-help@$D" "$INTEG_TMP/rate7.in"
expect rate7 '^250 2\.0\.0 no reply sent \(too many replies'
listd_stop
export TIMBRE_LISTD_CLOCK_OFFSET=$((15 * 86400))
listd_start 3 || fail_log
unset TIMBRE_LISTD_CLOCK_OFFSET
if sink_both '^To: frank@good\.test$' '^Subject: Expired: your post to dev@'; then
	integ_ok "restart: 15 days later the post expired, its author told"
else
	integ_notok "restart: 15 days later the post expired" \
	    "$("$TIMBRE" list held "$DB" 2>&1)"
	fail_log
fi
check "restart: nothing held, the message gone" \
    '[ -z "$("$TIMBRE" list held "$DB")" ] &&
    [ -z "$(q "SELECT id FROM messages WHERE state = '"'held'"'")" ]'

integ_summary
