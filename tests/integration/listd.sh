#!/bin/sh
# tests/integration/listd.sh: timbre-listd's inbound side end to end on
# loopback, with real peers: NSD serves one zone "test" (the authors'
# SPF, DKIM and DMARC records, and the list domain's selectors made by
# `timbre key derive --zone`), swaks sends, timbre-signd signs and sends
# the copy back to --listen-signed, `timbre list` makes the database and
# the sqlite3 shell reads the queue:
#
#   - a subscriber's post: 250 "queued as N" only once row N is there;
#     one Authentication-Results of ours (spf, dkim, arc, dmarc), a
#     forged one of our authserv-id gone, another's kept; the signed
#     copy back (dkimpy verifies its DKIM and ARC), without the queue
#     id; one delivery row per active subscriber; From rewritten for a
#     p=reject author, left alone for an author without DMARC;
#   - a list whose name holds '-'; a moderated list: held; a
#     non-subscriber's post: held (listd_admin.sh follows held posts);
#   - refusals that say why: relaying (550 5.7.1), no such list
#     (550 5.1.1), a DMARC p=reject failure (550 5.7.1), a loop (550
#     5.4.6); --listen-signed from another address (554);
#   - the signer down: 250 all the same, the row waits in signing, and
#     goes through once the signer is back; kill -9 of listd after its
#     250, signer back, listd restarted: the message goes through;
#   - end to end: the delivery engine sends each subscriber's copy
#     through --smarthost to Postfix's smtp-sink, where dkimpy verifies
#     the list's DKIM signature and ARC set.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/listd_lib.sh"

# The database: dev (subscribers), dev-team (a '-' in its name),
# announce (moderated).
"$TIMBRE" list create "$DB"
"$TIMBRE" list add "$DB" --domain "$D" dev --moderator mod@good.test
"$TIMBRE" list add "$DB" --domain "$D" dev-team
"$TIMBRE" list add "$DB" --domain "$D" announce --moderator mod@good.test
sqlite3 "$DB" "UPDATE lists SET posting = 'moderated' WHERE name = 'announce'"
for a in alice@good.test carol@example.net dave@strict.test erin@none.test
do
	"$TIMBRE" list subscribe "$DB" --domain "$D" dev "$a"
done
"$TIMBRE" list subscribe "$DB" --domain "$D" dev-team alice@good.test
"$TIMBRE" list subscribe "$DB" --domain "$D" announce carol@example.net

signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 || { fail_log; integ_summary; exit 1; }

# ------------------------------------------------ a subscriber's post

msg post alice@good.test \
    "Authentication-Results: $AUTHSERV; dmarc=pass header.from=good.test" \
    "Authentication-Results: mx.elsewhere.test; spf=pass"
dkim_sign post
send post alice@good.test "dev@$D" "$INTEG_TMP/post.in"
expect post '^250 2\.0\.0 queued as [0-9]+'
ID=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
ID=${ID:-0}
# The row was there when the client heard 250 (synchronous=FULL commit):
# it is there now, whatever its state.
check "post: row $ID committed with the 250" \
    '[ -n "$(q "SELECT id FROM messages WHERE id = $ID")" ]'
if wait_state "$ID" "fanout|done" 15; then
	integ_ok "post: the signed copy came back (fanout, then done)"
else
	integ_notok "post: the signed copy came back" \
	    "state $(q "SELECT state, last_error FROM messages WHERE id = $ID")"
	fail_log
fi
rows=$(q "SELECT recipient FROM deliveries WHERE message = $ID
    ORDER BY recipient" | tr '\n' ' ')
check "post: one delivery row per active subscriber" \
    '[ "$rows" = "alice@good.test carol@example.net dave@strict.test erin@none.test " ]' \
    "$rows"
body "$ID" post
ar=$(awk '/^Authentication-Results:/ { on = 1; printf "\n%s", $0; next }
    on && /^[ \t]/ { printf " %s", $0; next } { on = 0 }' \
    "$INTEG_TMP/post.eml" | tr -s ' \t' ' ')
ours=$(printf '%s\n' "$ar" | grep -c "^Authentication-Results: $AUTHSERV;" ||
    true)
check "post: one Authentication-Results of $AUTHSERV (the forged one gone)" \
    '[ "$ours" -eq 1 ]' "$ar"
check "post: it says spf=pass dkim=pass arc=none dmarc=pass" \
    'printf "%s\n" "$ar" | grep "^Authentication-Results: $AUTHSERV;" |
    grep -q "spf=pass.*smtp.mailfrom=alice@good.test.*dkim=pass.*header.d=good.test.*arc=none.*dmarc=pass"' "$ar"
check "post: another authserv-id's A-R kept" \
    'printf "%s\n" "$ar" | grep -q "mx.elsewhere.test; spf=pass"' "$ar"
check "post: no X-Timbre-Queue-Id in the stored copy" \
    '! grep -qi "^X-Timbre-Queue-Id" "$INTEG_TMP/post.eml"'
check "post: From rewritten (good.test has p=reject), Reply-To the author" \
    'grep -q "^From: \"alice@good.test via dev\" <dev@$D>" "$INTEG_TMP/post.eml" &&
    grep -q "^Reply-To: alice@good.test" "$INTEG_TMP/post.eml"' \
    "$(grep -E '^(From|Reply-To):' "$INTEG_TMP/post.eml")"
for f in "List-Id: <dev.$D>" "List-Post: <mailto:dev@$D>" \
    "List-Help: <mailto:dev-help@$D>" \
    "List-Subscribe: <mailto:dev-subscribe@$D>" \
    "List-Unsubscribe: <mailto:dev-unsubscribe@$D>" "Precedence: list"; do
	check "post: $f" 'grep -qF "$f" "$INTEG_TMP/post.eml"'
done
# The author's own signature covered From, which the list rewrote: it
# fails, as it must; the list's signature and its ARC set verify.
out=$(/usr/bin/python3 "$PEER" verify "$DNS" "$INTEG_TMP/post.crlf" 2>&1) ||
    true
check "post: dkimpy verifies the signed copy's DKIM (d=$D)" \
    'printf "%s\n" "$out" | grep -q "^dkim .* s=dkim-$T ok$"' "$out"
out=$(/usr/bin/python3 "$ARCPEER" --dns-port "$DNS" verify \
    <"$INTEG_TMP/post.crlf" 2>&1) || true
check "post: dkimpy arc_verify: cv=pass" \
    'case $out in cv=pass*) true ;; *) false ;; esac' "$out"

# End to end: every copy sent through the smarthost to smtp-sink.
for i in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM deliveries WHERE message = $ID
	    AND state = 'sent'")" -eq 4 ] && break
	sleep 0.2
done
sent=$(q "SELECT recipient || ':' || state FROM deliveries
    WHERE message = $ID ORDER BY recipient" | tr '\n' ' ')
check "post: the four copies sent to smtp-sink" \
    '[ "$sent" = "alice@good.test:sent carol@example.net:sent dave@strict.test:sent erin@none.test:sent " ]' \
    "$sent"
sleep 0.5
got=$(grep -l "Message-ID: <post\.$$@good.test>" "$SINK"/* 2>/dev/null |
    head -n 1)
if [ -n "$got" ]; then
	awk 'h == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
	    { h = 1; print }' "$got" >"$INTEG_TMP/delivered.eml"
	check "delivered: no X-Timbre-Queue-Id" \
	    '! grep -qi "^X-Timbre-Queue-Id" "$INTEG_TMP/delivered.eml"'
	out=$(/usr/bin/python3 "$PEER" verify "$DNS" \
	    "$INTEG_TMP/delivered.eml" 2>&1) || true
	check "delivered: dkimpy verifies the list's DKIM signature" \
	    'printf "%s\n" "$out" | grep -q "^dkim .* s=dkim-$T ok$"' "$out"
	out=$(/usr/bin/python3 "$ARCPEER" --dns-port "$DNS" verify \
	    <"$INTEG_TMP/delivered.eml" 2>&1) || true
	check "delivered: dkimpy arc_verify: cv=pass" \
	    'case $out in cv=pass*) true ;; *) false ;; esac' "$out"
else
	integ_notok "delivered: a copy in smtp-sink" "$(ls "$SINK")"
	fail_log
fi

# An author whose domain has no DMARC record: From left alone.
msg nodmarc erin@none.test
send nodmarc erin@none.test "dev@$D" "$INTEG_TMP/nodmarc.in"
expect nodmarc '^250 2\.0\.0 queued as'
ID2=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
wait_state "${ID2:-0}" "fanout|done" 15 || true
body "${ID2:-0}" nodmarc
check "nodmarc: From left alone (no DMARC record)" \
    'grep -q "^From: erin@none.test" "$INTEG_TMP/nodmarc.eml"' \
    "$(grep '^From:' "$INTEG_TMP/nodmarc.eml")"

# A list whose name holds '-'.
msg team alice@good.test
dkim_sign team
send team alice@good.test "dev-team@$D" "$INTEG_TMP/team.in"
expect team '^250 2\.0\.0 queued as'

# A moderated list: held, not sent to the signer.
msg held carol@example.net
send held carol@example.net "announce@$D" "$INTEG_TMP/held.in"
expect held '^250 2\.0\.0 held for the moderators'
check "held: state held" \
    '[ "$(q "SELECT m.state FROM held h JOIN messages m ON m.id = h.message
    JOIN lists l ON l.id = m.list_id WHERE l.name = '"'announce'"'")" = held ]'

# ------------------------------------------------ refusals that say why

msg stranger bob@good.test
dkim_sign stranger
send stranger bob@good.test "dev@$D" "$INTEG_TMP/stranger.in"
expect stranger '^250 2\.0\.0 held for the moderators of dev@lists\.test \(not a subscriber\)'

msg relay alice@good.test
send relay alice@good.test someone@example.net "$INTEG_TMP/relay.in"
expect relay '^550 5\.7\.1 .*relaying denied'
send nolist alice@good.test "nosuch@$D" "$INTEG_TMP/relay.in"
expect nolist '^550 5\.1\.1 '

# dave@strict.test: SPF -all, no DKIM, p=reject.
msg dmarc dave@strict.test
send dmarc dave@strict.test "dev@$D" "$INTEG_TMP/dmarc.in"
expect dmarc '^550 5\.7\.1 .*DMARC policy of strict\.test is reject'

msg loop alice@good.test "List-Id: Developers <dev.$D>"
dkim_sign loop
send loop alice@good.test "dev@$D" "$INTEG_TMP/loop.in"
expect loop '^550 5\.4\.6 .*loop'

out=$(swaks --server "127.0.0.1:$SIGNEDPORT" --local-interface 127.0.0.2 \
    --from x@good.test --to "dev@$D" --quit-after CONNECT 2>&1) || true
check "--listen-signed from another address: 554" \
    'printf "%s\n" "$out" | grep -q "554 5.7.1"' "$out"

# ------------------------------------------------ the signer down

integ_stop "$SIGND_PID"
msg down alice@good.test
dkim_sign down
send down alice@good.test "dev@$D" "$INTEG_TMP/down.in"
expect down '^250 2\.0\.0 queued as'
ID3=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
ID3=${ID3:-0}
sleep 2
st=$(q "SELECT state || ' ' || attempts || ' ' || (last_error IS NOT NULL)
    FROM messages WHERE id = $ID3")
check "down: the post waits in signing, tried, with its error" \
    'case $st in "signing "[1-9]*" 1") true ;; *) false ;; esac' "$st"
signd_start 2 || true
if wait_state "$ID3" "fanout|done" 20; then
	integ_ok "down: the signer back, the post went through"
else
	integ_notok "down: the signer back, the post went through" \
	    "$(q "SELECT state, attempts, last_error FROM messages WHERE id = $ID3")"
	fail_log
fi

# kill -9 of listd after its 250, with the signer down.
integ_stop "$SIGND_PID"
msg crash alice@good.test
dkim_sign crash
send crash alice@good.test "dev@$D" "$INTEG_TMP/crash.in"
expect crash '^250 2\.0\.0 queued as'
ID4=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
ID4=${ID4:-0}
kill -KILL "$LISTD_PID" 2>/dev/null || true
wait "$LISTD_PID" 2>/dev/null || true
integ_untrack "$LISTD_PID"
check "crash: the row outlived kill -9" \
    '[ -n "$(q "SELECT id FROM messages WHERE id = $ID4 AND
    state IN ('"'received'"', '"'signing'"')")" ]'
signd_start 3 || true
listd_start 2 || true
if wait_state "$ID4" "fanout|done" 20; then
	integ_ok "crash: after the restart, the post went through"
else
	integ_notok "crash: after the restart, the post went through" \
	    "$(q "SELECT state, attempts, last_error FROM messages WHERE id = $ID4")"
	fail_log
fi
n=$(q "SELECT count(*) FROM deliveries WHERE message = $ID4")
check "crash: its delivery rows, once each" '[ "$n" -eq 4 ]' "$n rows"
for i in $(seq 1 100); do
	[ "$(q "SELECT state FROM messages WHERE id = $ID4")" = done ] && break
	sleep 0.2
done
check "crash: delivered, the message done" \
    '[ "$(q "SELECT state FROM messages WHERE id = $ID4")" = done ]' \
    "$(q "SELECT recipient, state, last_reply FROM deliveries
    WHERE message = $ID4")"

integ_summary
