#!/bin/sh
# tests/integration/milter.sh: the milter core (src/milter) behind a real
# Postfix.  A private Postfix instance (its own config, queue and data
# directories under the test's temp dir; /etc/postfix is never read for
# configuration nor written) listens on 127.0.0.1, passes each message to
# tests/integration/milter_echo through smtpd_milters (protocol 6), and
# relays it to Postfix's smtp-sink, which writes it to a file.  swaks
# injects a message with a folded header; the test checks that the milter
# saw header values byte-exact (SMFIP_HDR_LEADSPC), that the delivered
# message starts with the two inserted headers in order, above Postfix's
# own Received:, and that the body arrived unchanged.
#
# Needs root (Postfix's master starts as root and runs its daemons as
# mail_owner) and the Debian packages postfix and swaks.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/postfix.sh"
integ_need_cmd swaks
ECHO=$top_builddir/tests/integration/milter_echo
[ -x "$ECHO" ] || integ_skip "$ECHO not built (make check builds it)"
pf_need

PF=$INTEG_TMP/postfix
pf_dirs

MPORT=$(integ_free_port)
SPORT=$(integ_free_port)
SINKPORT=$(integ_free_port)

# The milter first: Postfix connects to it per SMTP session.
integ_spawn "$INTEG_TMP/milter.log" "$ECHO" "$MPORT" "$INTEG_TMP/milter.dump"
ECHO_PID=$INTEG_LAST_PID
# smtp-sink: -u runs as postfix; -d writes each message to a file there.
integ_spawn "$INTEG_TMP/sink.log" smtp-sink -u postfix \
    -d "$PF/sink/%Y%m%d%H%M%S." "127.0.0.1:$SINKPORT" 10
for i in $(seq 1 50); do
	grep -q listening "$INTEG_TMP/milter.log" && break
	sleep 0.1
done

pf_config "$SPORT" "$SINKPORT" "inet:127.0.0.1:$MPORT"
PF_LOGS="$INTEG_TMP/milter.log $INTEG_TMP/sink.log"
pf_start

# The message: a folded header, a header without space after its colon,
# and a body with trailing spaces and an empty last line.
MSG=$INTEG_TMP/msg.eml
printf '%s\r\n' \
    'From: Alice <alice@example.org>' \
    'To: bob@example.net' \
    'Subject: milter test' \
    'X-Folded: first' \
    '	second' \
    'X-Tight:tight' \
    'Message-ID: <milter-test@example.org>' \
    '' \
    'Line one.' \
    'Line two with trailing spaces.   ' \
    '' \
    '.leading dot' \
    '' >"$MSG"

if ! swaks --server "127.0.0.1:$SPORT" --from alice@example.org \
    --to bob@example.net --data "@$MSG" --silent 2 \
    >"$INTEG_TMP/swaks.log" 2>&1; then
	cat "$INTEG_TMP/swaks.log" >&2
	pf_fail "swaks: the message was not accepted"
fi
integ_ok "postfix accepted the message through the milter"

# Wait for the relay to the sink.
OUT=
for i in $(seq 1 100); do
	OUT=$(ls "$PF/sink" 2>/dev/null | head -n 1)
	[ -n "$OUT" ] && break
	sleep 0.2
done
[ -n "$OUT" ] || pf_fail "nothing reached smtp-sink"
OUT=$PF/sink/$OUT
sleep 0.5

LOG=$INTEG_TMP/milter.log
if grep -qx 'header Subject:\[ milter test\]' "$LOG" &&
    grep -qx 'header X-Tight:\[tight\]' "$LOG"; then
	integ_ok "header values arrive with their leading space (HDR_LEADSPC)"
else
	integ_notok "header values arrive with their leading space" \
	    "$(grep '^header' "$LOG")"
fi
if tr '\r\n' '~|' <"$LOG" |
    grep -q 'header X-Folded:\[ first~|	second\]|'; then
	integ_ok "folded value handed out with CRLF restored"
else
	integ_notok "folded value handed out with CRLF restored" \
	    "$(grep -A1 '^header X-Folded' "$LOG" | od -c | head -n 5)"
fi
# What the milter saw of the body: the CRLF body, byte for byte in size,
# plus the CRLF swaks adds before the final dot of a file ending in CRLF.
WANT_BODY=$(($(sed '1,/^\r$/d' "$MSG" | wc -c) + 2))
GOT_BODY=$(awk '/^body / { n += $2 } END { print n + 0 }' "$LOG")
if [ "$GOT_BODY" -eq "$WANT_BODY" ]; then
	integ_ok "milter saw the whole body ($GOT_BODY bytes)"
else
	integ_notok "milter saw the whole body" "got $GOT_BODY, want $WANT_BODY"
fi
if grep -q '^eom i=[0-9A-F]' "$LOG"; then
	integ_ok "macro i (queue id) at EOM"
else
	integ_notok "macro i (queue id) at EOM" "$(grep '^eom' "$LOG")"
fi
grep -q '^error' "$LOG" && integ_notok "milter errors" "$(grep '^error' "$LOG")"

# smtp-sink's file: its X- envelope lines and its own Received: header,
# then the message as Postfix relayed it, whose first three headers must
# be the inserted ones, in order, then Postfix's own Received:.
tr -d '\r' <"$OUT" | awk '
	skip == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
	skip == 0 && /^Received: / { skip = 1; next }
	skip == 1 && /^[ \t]/ { next }
	{ skip = 2; print }' >"$INTEG_TMP/out.txt"
HEAD3=$(head -n 3 "$INTEG_TMP/out.txt" | cut -c1-25 | tr '\n' '|')
case $HEAD3 in
"X-Timbre-Test: 1|X-Timbre-Order: 2|Received: from "*)
	integ_ok "inserted headers on top, in order, above Postfix's Received"
	;;
*)
	integ_notok "inserted headers on top, in order" "got: $HEAD3" \
	    "$(head -n 20 "$INTEG_TMP/out.txt")"
	;;
esac
# Body: after the first empty line; smtp-sink ends its file with empty
# lines of its own, so trailing empty lines are not compared here (the
# size check above covers them).
sed '1,/^$/d' "$INTEG_TMP/out.txt" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' \
    >"$INTEG_TMP/body.got"
tr -d '\r' <"$MSG" | sed '1,/^$/d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' \
    >"$INTEG_TMP/body.want"
if cmp -s "$INTEG_TMP/body.got" "$INTEG_TMP/body.want"; then
	integ_ok "body unchanged"
else
	integ_notok "body unchanged" "$(diff "$INTEG_TMP/body.want" \
	    "$INTEG_TMP/body.got" | head -n 10)"
fi
if grep -q '^X-Folded: first$' "$INTEG_TMP/out.txt" &&
    grep -q '^X-Tight:tight$' "$INTEG_TMP/out.txt"; then
	integ_ok "original headers kept byte for byte"
else
	integ_notok "original headers kept byte for byte"
fi

pf_stop
integ_stop "$ECHO_PID"
[ -n "${MILTER_SEED:-}" ] && cp "$INTEG_TMP/milter.dump" "$MILTER_SEED"
integ_summary
