#!/bin/sh
# tests/integration/listd_digest.sh: digests of timbre-listd end to end
# (issue 20, item 3).  Four subscribers of dev: alice stays in single
# mode; carol is put in digest mode with `timbre list delivery`; bob asks
# by mail to dev-digest from good.test, whose DMARC passes, and is
# switched at once; dave asks from none.test (no DMARC), gets a
# confirmation request at smtp-sink and is switched by mail to its
# dev-confirm+TOKEN address.  Three posts then go to alice alone, one
# by one; after --digest-interval one digest reaches bob, carol and
# dave at smtp-sink (Postfix), through timbre-signd and the durable
# queue (its rows sent, the message done): Python's email package reads
# it as a multipart/mixed with the table of contents (the three
# subjects) and a multipart/digest (RFC 2046 section 5.1.5) holding the
# three posts as message/rfc822 in order, and dkimpy verifies the
# digest's DKIM signature (the list's) and every signature of each post
# inside it.  A restart with --digest-size 1 sends the next post in
# issue 2 at once, without waiting for the interval.  Last, bob's
# "off" (subject) to dev-digest puts him back to single posts.
# Set-up: listd_lib.sh (NSD, timbre-signd, smtp-sink).
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"

dev_list alice@good.test bob@good.test carol@example.net dave@none.test

subs()
{
	"$TIMBRE" list show "$DB" --domain "$D" dev 2>&1
}

# digest_mode ADDR: is ADDR shown in digest mode?
digest_mode()
{
	subs | grep -q "subscriber $1 .* delivery=digest$"
}

# sink_wait PATTERN [N] [SECONDS]: the Nth file at smtp-sink with a line
# matching PATTERN, in SINKFILE (LF, without smtp-sink's X- lines).
sink_wait()
{
	local i f

	for i in $(seq 1 $((${3:-30} * 5))); do
		f=$(grep -lE -- "$1" "$SINK"/* 2>/dev/null | sed -n "${2:-1}p")
		if [ -n "$f" ]; then
			sleep 0.2
			awk 'h == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
			    { h = 1; print }' "$f" | tr -d '\r' >"$INTEG_TMP/sinkfile"
			SINKFILE=$INTEG_TMP/sinkfile
			SINKRAW=$f
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# rcpts PATTERN: the envelope recipients of the files at smtp-sink with
# a line matching PATTERN, sorted, on one line.
rcpts()
{
	grep -lE -- "$1" "$SINK"/* 2>/dev/null | xargs -r cat |
	    sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' | sort | tr '\n' ' '
}

# ------------------------------------------------ the command line

"$TIMBRE" list delivery "$DB" --domain "$D" dev carol@example.net digest
check "timbre list delivery: carol in digest mode" \
    'digest_mode carol@example.net && ! digest_mode alice@good.test' \
    "$(subs)"
out=$("$TIMBRE" list delivery "$DB" --domain "$D" dev zed@example.net \
    digest 2>&1) && rc=0 || rc=$?
check "timbre list delivery: not a subscriber, exit 1" \
    '[ "$rc" = 1 ] && printf "%s\n" "$out" | grep -q "not a subscriber"' \
    "$rc $out"
out=$("$TIMBRE" list delivery "$DB" --domain "$D" dev carol@example.net \
    weekly 2>&1) && rc=0 || rc=$?
check "timbre list delivery: an unknown mode, exit 2" '[ "$rc" = 2 ]' \
    "$rc $out"

signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 --digest-interval 5s || { fail_log; integ_summary; exit 1; }

# ------------------------------------------------ by mail

msg dig1 bob@good.test
dkim_sign dig1
send dig1 bob@good.test "dev-digest@$D" "$INTEG_TMP/dig1.in"
expect dig1 '^250 2\.0\.0 <bob@good\.test> now gets digests of dev@'
check "dig1: bob in digest mode (DMARC pass: no confirmation)" \
    'digest_mode bob@good.test' "$(subs)"

msg dig2 dave@none.test
send dig2 dave@none.test "dev-digest@$D" "$INTEG_TMP/dig2.in"
expect dig2 '^250 2\.0\.0 confirmation request sent to <dave@none\.test>'
check "dig2: dave not switched before the confirmation" \
    '! digest_mode dave@none.test' "$(subs)"
TOKEN=
if sink_wait '^Subject: Confirm: digest dave@none\.test dev@'; then
	TOKEN=$(grep -oE "dev-confirm\+[0-9a-f]{32}@" "$SINKFILE" |
	    head -n 1 | sed 's/^dev-confirm+//; s/@$//')
	check "dig2: a confirmation request with a token" '[ -n "$TOKEN" ]' \
	    "$(cat "$SINKFILE")"
else
	integ_notok "dig2: a confirmation request at smtp-sink" "$(ls "$SINK")"
	fail_log
fi
msg conf2 someone@none.test
send conf2 someone@none.test \
    "dev-confirm+${TOKEN:-00000000000000000000000000000000}@$D" \
    "$INTEG_TMP/conf2.in"
expect conf2 '^250 2\.0\.0 <dave@none\.test> now gets digests of dev@'
check "conf2: dave in digest mode" 'digest_mode dave@none.test' "$(subs)"

# ------------------------------------------------ posts, then a digest

# The digest as a reader sees it: Python's email package and dkimpy.
cat >"$INTEG_TMP/digest_check.py" <<'EOF'
import email, email.policy, re, sys
import dkim
sys.path.insert(0, sys.argv[3])
import signd_peer
signd_peer.DNS_PORT = int(sys.argv[1])
raw = open(sys.argv[2], 'rb').read().replace(b'\r\n', b'\n').replace(
    b'\n', b'\r\n')
bad = 0
def say(ok, what):
    global bad
    print(('ok ' if ok else 'FAIL ') + what)
    bad += 0 if ok else 1
say(dkim.DKIM(raw).verify(idx=0, dnsfunc=signd_peer.dnsfunc),
    'the digest: dkimpy verifies the list\'s signature')
m = email.message_from_bytes(raw, policy=email.policy.default)
say(m.get_content_type() == 'multipart/mixed', 'multipart/mixed')
parts = list(m.iter_parts())
say(len(parts) == 2, 'two parts')
toc, dig = parts[0], parts[1]
say(toc.get_content_type() == 'text/plain', 'first: text/plain')
text = toc.get_content()
say([l.split('. ', 1)[1] for l in text.splitlines()
     if re.match(r'^ +[0-9]+\. ', l)] == ['pa', 'pb', 'pc'],
    'the table of contents: pa, pb, pc')
say('dev-digest@' in text and '"off"' in text, 'the table says how to switch back')
say(dig.get_content_type() == 'multipart/digest', 'second: multipart/digest')
subs = list(dig.iter_parts())
say([p.get_content_type() for p in subs] == ['message/rfc822'] * 3,
    'three message/rfc822 parts')
ids = [p.get_payload()[0]['Message-ID'] for p in subs]
say([re.sub(r'\..*', '', i.strip('<>')) for i in ids] == ['pa', 'pb', 'pc'],
    'the posts in order: %s' % ids)
# The posts' bytes, as the list signed them: between the delimiters.
b = dig.get_boundary().encode()
pieces = raw.split(b'\r\n--' + b)[1:-1]
say(len(pieces) == 3, 'three delimited posts')
for n, piece in enumerate(pieces):
    post = piece.split(b'\r\n\r\n', 1)[1]
    sigs = email.message_from_bytes(post).get_all('DKIM-Signature') or []
    lst = [i for i, v in enumerate(sigs)
           if re.search(r'(^|;)s=' + sys.argv[4] + '(;|$)',
                        re.sub(r'\s', '', v))]
    say(len(lst) == 1 and dkim.DKIM(post).verify(
        idx=lst[0], dnsfunc=signd_peer.dnsfunc),
        'post %d: dkimpy verifies the list\'s signature of the post' % (n + 1))
sys.exit(1 if bad else 0)
EOF

for n in pa pb pc; do
	msg "$n" alice@good.test
	dkim_sign "$n"
	send "$n" alice@good.test "dev@$D" "$INTEG_TMP/$n.in"
	expect "$n" '^250 2\.0\.0 queued as [0-9]+'
done
# Each post: to alice alone.
for i in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM messages WHERE message_id LIKE '<p_.%'
	    AND state = 'done'")" = 3 ] && break
	sleep 0.2
done
got=$(q "SELECT group_concat(r, ' ') FROM (SELECT d.recipient || ':' ||
    d.state AS r FROM deliveries d JOIN messages m ON m.id = d.message
    WHERE m.message_id LIKE '<p_.%' ORDER BY r)")
check "posts: each sent to alice alone (the others read digests)" \
    '[ "$got" = "alice@good.test:sent alice@good.test:sent alice@good.test:sent" ]' \
    "$got"

if sink_wait "^Subject: dev@$D digest, issue 1 \\(3 messages\\)" 1 40; then
	integ_ok "digest 1: at smtp-sink after --digest-interval"
	got=$(rcpts "^Subject: dev@$D digest, issue 1 ")
	check "digest 1: to bob, carol and dave" \
	    '[ "$got" = "bob@good.test carol@example.net dave@none.test " ]' \
	    "$got"
	check "digest 1: the list's return path (VERP), not <>" \
	    'grep -q "^X-Mail-Args: <dev-bounces+" "$SINKRAW"' \
	    "$(grep '^X-Mail-Args' "$SINKRAW")"
	out=$(/usr/bin/python3 "$INTEG_TMP/digest_check.py" "$DNS" \
	    "$SINKFILE" "$top_srcdir/tests/integration" "dkim-$T" 2>&1) &&
	    rc=0 || rc=$?
	check "digest 1: read by Python's email package, verified by dkimpy" \
	    '[ "$rc" = 0 ]' "$out"
	printf '%s\n' "$out" | sed 's/^/# /'
else
	integ_notok "digest 1: at smtp-sink" "$(ls "$SINK")"
	fail_log
fi
for i in $(seq 1 50); do
	[ "$(q "SELECT state FROM messages WHERE message_id LIKE '<digest.1.%'")" = done ] &&
	    break
	sleep 0.2
done
got=$(q "SELECT m.state || ' ' || group_concat(d.state, ',')
    FROM messages m JOIN deliveries d ON d.message = m.id
    WHERE m.message_id LIKE '<digest.1.%' GROUP BY m.id")
check "digest 1: through the durable queue (done, three rows sent)" \
    '[ "$got" = "done sent,sent,sent" ]' "$got"
check "digest 1: its posts left the digest queue" \
    '[ "$(q "SELECT count(*) FROM digest")" = 0 ]'

# ------------------------------------------------ on size

integ_stop "$LISTD_PID"
listd_start 2 --digest-size 1 --digest-interval 1d ||
    { fail_log; integ_summary; exit 1; }
msg pd alice@good.test
dkim_sign pd
send pd alice@good.test "dev@$D" "$INTEG_TMP/pd.in"
expect pd '^250 2\.0\.0 queued as [0-9]+'
if sink_wait "^Subject: dev@$D digest, issue 2 \\(1 message\\)" 1 40; then
	check "digest 2: on --digest-size, with post pd" \
	    'grep -q "^  1\. pd$" "$SINKFILE"' "$(head -n 60 "$SINKFILE")"
else
	integ_notok "digest 2: on --digest-size" "$(ls "$SINK")"
	fail_log
fi

# ------------------------------------------------ back to single posts

msg off bob@good.test
sed -i 's/^Subject: off$/Subject: Off/' "$INTEG_TMP/off.in"
dkim_sign off
send off bob@good.test "dev-digest@$D" "$INTEG_TMP/off.in"
expect off '^250 2\.0\.0 <bob@good\.test> now gets single posts of dev@'
check "off: bob in single mode, carol and dave still in digest mode" \
    '! digest_mode bob@good.test && digest_mode carol@example.net &&
    digest_mode dave@none.test' "$(subs)"
if sink_wait '^Subject: Single posts of dev@'; then
	check "off: bob is told how to switch again" \
	    'grep -q "^To: bob@good.test" "$SINKFILE" &&
	    grep -q "dev-digest@$D" "$SINKFILE"' "$(cat "$SINKFILE")"
else
	integ_notok "off: a note at smtp-sink" "$(ls "$SINK")"
fi
msg pe alice@good.test
dkim_sign pe
send pe alice@good.test "dev@$D" "$INTEG_TMP/pe.in"
expect pe '^250 2\.0\.0 queued as [0-9]+'
for i in $(seq 1 100); do
	[ "$(q "SELECT state FROM messages WHERE message_id LIKE '<pe.%'")" = done ] &&
	    break
	sleep 0.2
done
got=$(q "SELECT group_concat(r, ' ') FROM (SELECT d.recipient AS r
    FROM deliveries d JOIN messages m ON m.id = d.message
    WHERE m.message_id LIKE '<pe.%' ORDER BY r)")
check "pe: to alice and bob, one by one" \
    '[ "$got" = "alice@good.test bob@good.test" ]' "$got"

integ_summary
