#!/bin/sh
# tests/integration/listd_deliver.sh: timbre-listd's delivery engine
# (daemons/listd/deliver.c, driven by tests/unit/listd/deliver_drive on a
# database made by timbre list) against real peers on loopback: NSD
# serving the recipients' MX records, Postfix's smtp-sink as their MTAs
# (127.0.0.2-7, one behaviour each: accept, 4xx to RCPT, 5xx to RCPT, a
# DMARC 5xx to the message).
#
#   20 recipients over 3 domains (MX, MX with a dead first host, no MX),
#   VERP return paths, X-Timbre-Queue-Id gone; 451 then 250 (retried,
#   delivered); 550 (a hard bounce charged to the subscriber, no retry);
#   a DMARC 550 (charged to the author); a null MX; the retries running
#   out (a DSN to the moderators, with the null path; with a signer, as
#   the daemon has, the DSN is queued to be signed first); a VERP bounce
#   (listd_bounce_take); probes of disabled subscribers (refused, a
#   failed report to the probe's path, a forged token, an auto-reply,
#   never answered); the engine stopped while a server delays its
#   answer to QUIT (the connection freed); kill -9 during a 1000-recipient fan-out, then a
#   restart: every recipient got it, duplicates counted.
#
# Exit: 0 all passed, 1 a case failed, 77 a peer is missing.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

integ_need_cmd smtp-sink nsd dig
integ_init
. "$top_srcdir/tests/integration/listd_drive_lib.sh"
T=$INTEG_TMP

cat >"$T/test.zone" <<'Z'
$ORIGIN test.
$TTL 60
@	SOA ns.test. hostmaster.test. 1 3600 600 86400 60
@	NS ns.test.
ns	A 127.0.0.1
a	MX 10 mx.a
mx.a	A 127.0.0.2
b	MX 5 dead.b
b	MX 10 mx.b
dead.b	A 127.0.0.9
mx.b	A 127.0.0.3
c	A 127.0.0.4
grey	MX 10 mx.grey
mx.grey	A 127.0.0.5
fail	MX 10 mx.fail
mx.fail	A 127.0.0.6
policy	MX 10 mx.policy
mx.policy	A 127.0.0.7
nullmx	MX 0 .
slowq	MX 10 mx.slowq
mx.slowq	A 127.0.0.8
Z
integ_nsd_start test "$T/test.zone" || integ_skip "NSD does not start"
RESOLVER=127.0.0.1:$INTEG_NSD_PORT
PORT=$(integ_free_port)

# sink N ADDR [smtp-sink options]: an MTA on ADDR:$PORT dumping each
# message into $T/sinkN/; its pid in $SINK_N.
sink()
{
	local n=$1 addr=$2

	shift 2
	mkdir -p "$T/sink$n"
	integ_spawn "$T/sink$n.log" smtp-sink -u "$(id -un)" \
	    -d "$T/sink$n/m." "$@" "$addr:$PORT" 256
	eval "SINK_$n=\$INTEG_LAST_PID"
}
sink a 127.0.0.2
sink b 127.0.0.3
sink c 127.0.0.4
sink grey 127.0.0.5 -r RCPT -b "451 4.7.1 greylisted, come back later"
sink fail 127.0.0.6 -f RCPT -B "550 5.1.1 no such user here"
sink policy 127.0.0.7 -f . -B "550 5.7.26 rejected by the sender's DMARC policy"
sink slowq 127.0.0.8 -W quit:30
sleep 0.5

drive_list
for s in bob@grey.test carol@fail.test dave@policy.test; do
	"$TIMBRE" list subscribe "$DB" --domain lists.test dev "$s"
done

printf 'From: alice@example.org\nTo: dev@lists.test\nSubject: hello\nX-Timbre-Queue-Id: 0123456789abcdef\nMessage-ID: <post1@example.org>\n\nHello, list.\n.leading dot\n' >"$T/msg"

enqueue()	# RCPTFILE: prints the message id
{
	"$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$1"
}
run()		# [options]: the engine until idle
{
	"$DRIVE" run "$DB" lists.test "$RESOLVER" --port "$PORT" --idle \
	    --seconds 120 "$@" >>"$T/drive.out" 2>>"$T/drive.log"
}
dumps()		# SINK: messages it received
{
	ls "$T/sink$1" | wc -l
}

# ---- 20 recipients over 3 domains ----
: >"$T/r20"
for i in 1 2 3 4 5 6 7 8; do echo "u$i+x=y@a.test"; done >>"$T/r20"
for i in 1 2 3 4 5 6 7; do echo "first-last$i@b.test"; done >>"$T/r20"
for i in 1 2 3 4 5; do echo "c$i@c.test"; done >>"$T/r20"
M20=$(enqueue "$T/r20")
run
sent=$(q "SELECT count(*) FROM deliveries WHERE message = $M20 AND state = 'sent'")
state=$(q "SELECT state FROM messages WHERE id = $M20")
if [ "$sent" = 20 ] && [ "$state" = done ] && [ "$(dumps a)" = 8 ] &&
    [ "$(dumps b)" = 7 ] && [ "$(dumps c)" = 5 ]; then
	integ_ok "20 recipients over 3 domains (MX, dead first MX, no MX)"
else
	integ_notok "20 recipients" "sent=$sent state=$state a=$(dumps a) b=$(dumps b) c=$(dumps c)" "$(tail -5 "$T/drive.log")"
fi
# smtp-sink writes the MAIL parameters after the path.
if grep -q '^X-Mail-Args: <dev-bounces+u3+x=y=a.test@lists.test>' "$T"/sinka/* &&
    grep -q '^X-Mail-Args: <dev-bounces+first-last2=b.test@lists.test>' "$T"/sinkb/* &&
    [ "$(grep -h '^X-Mail-Args: <dev-bounces+' "$T"/sinka/* "$T"/sinkb/* "$T"/sinkc/* | sort -u | wc -l)" = 20 ]; then
	integ_ok "VERP return paths"
else
	integ_notok "VERP return paths" "$(grep -h X-Mail-Args "$T"/sinka/* | head -3)"
fi
if ! grep -qi '^X-Timbre-Queue-Id' "$T"/sinka/* "$T"/sinkb/* "$T"/sinkc/* &&
    grep -q '^Subject: hello' "$T"/sinkc/* && grep -q '^\.leading dot' "$T"/sinkc/*; then
	integ_ok "the queue id header is gone, the rest intact"
else
	integ_notok "queue id header" "$(grep -il '^X-Timbre-Queue-Id' "$T"/sink*/* | head -2)"
fi

# ---- 451, then 250 ----
echo bob@grey.test >"$T/rgrey"
MG=$(enqueue "$T/rgrey")
run --retry 30,60 --every 60 --give-up 600
r1=$(q "SELECT state || ' ' || attempts || ' ' || substr(last_reply, 1, 3) FROM deliveries WHERE message = $MG")
integ_stop "$SINK_grey"
rm -f "$T"/sinkgrey/*
sink grey 127.0.0.5
sleep 0.5
run --retry 30,60 --every 60 --give-up 600 --offset 45
r2=$(q "SELECT state || ' ' || attempts FROM deliveries WHERE message = $MG")
if [ "$r1" = "queued 1 451" ] && [ "$r2" = "sent 2" ] && [ "$(dumps grey)" = 1 ]; then
	integ_ok "451 then 250: retried, delivered"
else
	integ_notok "451 then 250" "after 451: $r1" "after 250: $r2"
fi

# ---- 550: a hard bounce, charged to the subscriber, no retry ----
echo carol@fail.test >"$T/rfail"
MF=$(enqueue "$T/rfail")
run
run --offset 7200
r=$(q "SELECT state || ' ' || attempts FROM deliveries WHERE message = $MF")
b=$(q "SELECT kind || ' ' || via || ' ' || charged_to FROM bounces WHERE message = $MF")
score=$(q "SELECT bounce_score FROM subscribers WHERE address = 'carol@fail.test'")
if [ "$r" = "failed 1" ] && [ "$b" = "hard smtp subscriber" ] && [ "$score" = 2 ]; then
	integ_ok "550: bounce counted, no retry"
else
	integ_notok "550" "row: $r" "bounce: $b" "score: $score"
fi

# ---- a DMARC 550: the author's ----
echo dave@policy.test >"$T/rpol"
MP=$(enqueue "$T/rpol")
run
b=$(q "SELECT charged_to FROM bounces WHERE message = $MP")
score=$(q "SELECT bounce_score FROM subscribers WHERE address = 'dave@policy.test'")
if [ "$b" = author ] && [ "$score" = 0 ]; then
	integ_ok "policy 550: charged to the author, not the subscriber"
else
	integ_notok "policy 550" "charged: $b" "score: $score"
fi

# ---- a null MX: permanent ----
echo x@nullmx.test >"$T/rnull"
MN=$(enqueue "$T/rnull")
run
r=$(q "SELECT state || ' ' || substr(last_reply, 1, 10) FROM deliveries WHERE message = $MN")
if [ "$r" = "failed 556 5.1.10" ]; then
	integ_ok "null MX: failed at once"
else
	integ_notok "null MX" "$r"
fi

# ---- the retries run out: one DSN to the moderators ----
# Retry times of 10 s and a second run 30 s later (--offset): with 1 s
# a slow run (AddressSanitizer) made a second attempt inside the first.
integ_stop "$SINK_grey"
sink grey 127.0.0.5 -r RCPT -b "451 4.7.1 greylisted, come back later"
sleep 0.5
echo erin@grey.test >"$T/rgive"
MD=$(enqueue "$T/rgive")
before=$(dumps a)
run --retry 10 --every 10 --give-up 20
run --retry 10 --every 10 --give-up 20 --offset 30
r=$(q "SELECT state || ' ' || attempts FROM deliveries WHERE message = $MD")
dsn=$(q "SELECT count(*) FROM messages WHERE mail_from = '' AND state = 'done'")
f=$(grep -l 'report-type=delivery-status' "$T"/sinka/* 2>/dev/null | head -1)
if [ "$r" = "failed 2" ] && [ "$dsn" = 1 ] && [ -n "$f" ] &&
    grep -q '^X-Mail-Args: <>' "$f" && grep -q '^X-Rcpt-Args: <owner@a.test>' "$f" &&
    grep -q '^Final-Recipient: rfc822; erin@grey.test' "$f" &&
    grep -q '^Action: failed' "$f" && grep -q '^Status: 4.7.1' "$f"; then
	integ_ok "retries ran out: one DSN (null path) to the moderator"
else
	integ_notok "DSN to the owner" "row: $r" "dsn messages: $dsn" \
	    "$(grep -h '^X-Mail\|^X-Rcpt\|^Final\|^Action\|^Status' "$f" 2>/dev/null)"
fi

# ---- the daemon's way: the DSN waits for the signer ----
echo fred@grey.test >"$T/rgive2"
MS=$(enqueue "$T/rgive2")
run --retry 10 --every 10 --give-up 20 --to-signer
run --retry 10 --every 10 --give-up 20 --offset 30 --to-signer
r=$(q "SELECT state || ' ' || attempts FROM deliveries WHERE message = $MS")
dsn=$(q "SELECT m.state || ' <' || m.mail_from || '> ' || d.recipient || ' ' || d.state || ' ' || (instr(CAST(m.body AS TEXT), 'Final-Recipient: rfc822; fred@grey.test') > 0) FROM messages m JOIN deliveries d ON d.message = m.id WHERE m.id > $MS")
if [ "$r" = "failed 2" ] && [ "$dsn" = "received <> owner@a.test queued 1" ] &&
    tail -1 "$T/drive.out" | grep -q 'dsn=1 .*to_signer=1$' &&
    grep -q "dsn queued as .* for 1 moderators of dev@lists.test rcpt=<fred@grey.test> via the signer" "$T/drive.log"; then
	integ_ok "with a signer: the DSN is queued to be signed first (received, its row made)"
else
	integ_notok "DSN through the signer" "row: $r" "dsn: $dsn" "$(tail -1 "$T/drive.out")"
fi

# ---- a bounce arriving at the VERP address ----
cat >"$T/bounce" <<'B'
From: MAILER-DAEMON@mx.fail.test
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="X"

--X
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.fail.test

Final-Recipient: rfc822; carol@fail.test
Action: failed
Status: 5.2.1
Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled

--X--
B
"$DRIVE" bounce "$DB" lists.test dev carol=fail.test "$T/bounce" 2>>"$T/drive.log"
"$DRIVE" bounce "$DB" lists.test dev carol=fail.test "$T/bounce" 2>>"$T/drive.log"
st=$(q "SELECT state || ' ' || bounce_score FROM subscribers WHERE address = 'carol@fail.test'")
show=$("$TIMBRE" list show "$DB" --domain lists.test dev | grep carol || true)
if [ "$st" = "disabled 6" ] && echo "$show" | grep -q disabled; then
	integ_ok "VERP bounces: scored, disabled at 5, shown by timbre list show"
else
	integ_notok "VERP bounces" "$st" "$show"
fi

# ---- probes of disabled subscribers ----
# carol (disabled above; her MX refuses RCPT) and two subscribers of
# c.test (whose MTA takes everything) disabled two days ago.  Probes go
# out a day after the disabling: carol's is refused at once (removed);
# eve's comes back later as a failed report to its path (removed, but
# only with the right token: a forged one and an auto-reply cost
# nothing); frank's is never answered, and three days later he is
# active again with a score of 0.
for s in eve@c.test frank@c.test; do
	"$TIMBRE" list subscribe "$DB" --domain lists.test dev "$s"
done
q "UPDATE subscribers SET state = 'disabled', bounce_score = 5,
    last_bounce = strftime('%s', 'now') - 2 * 86400
    WHERE address IN ('eve@c.test', 'frank@c.test', 'carol@fail.test')"
rm -f "$T"/sinkc/*
run --probe-after 86400 --probe-wait 259200
pr=$(tail -n 1 "$T/drive.out")
states=$(q "SELECT address || '=' || state FROM subscribers WHERE address
    IN ('carol@fail.test', 'eve@c.test', 'frank@c.test') ORDER BY address")
paths=$(grep -h '^X-Mail-Args: <dev-bounces+probe-' "$T"/sinkc/* | wc -l)
if [ "$states" = "$(printf 'eve@c.test=probing\nfrank@c.test=probing')" ] &&
    [ "$paths" = 2 ] && grep -q '^Subject: Mail from dev@lists.test to you has been bouncing' "$T"/sinkc/* &&
    echo "$pr" | grep -q 'probes=3/1/0'; then
	integ_ok "probes: sent a day after the disabling; carol's refused at RCPT: removed"
else
	integ_notok "probes sent, carol removed" "$states" "paths=$paths $pr"
fi
eve_path=$(grep -h '^X-Mail-Args: <dev-bounces+probe-[0-9a-f]*+eve=c.test@' "$T"/sinkc/* |
    sed 's/^X-Mail-Args: <dev-bounces+\([^@]*\)@.*/\1/')
sed 's/carol@fail.test/eve@c.test/' "$T/bounce" >"$T/bounce.eve"
printf 'From: eve@c.test\nSubject: Auto: away\nAuto-Submitted: auto-replied\n\nI am away.\n' >"$T/away"
forged=$(echo "$eve_path" | sed 's/probe-[0-9a-f]*/probe-0123456789abcdef/')
"$DRIVE" bounce "$DB" lists.test dev "$forged" "$T/bounce.eve" 2>>"$T/drive.log"
"$DRIVE" bounce "$DB" lists.test dev "$eve_path" "$T/away" 2>>"$T/drive.log"
s1=$(q "SELECT state FROM subscribers WHERE address = 'eve@c.test'")
"$DRIVE" bounce "$DB" lists.test dev "$eve_path" "$T/bounce.eve" 2>>"$T/drive.log"
s2=$(q "SELECT count(*) FROM subscribers WHERE address = 'eve@c.test'")
if [ -n "$eve_path" ] && [ "$s1" = probing ] && [ "$s2" = 0 ]; then
	integ_ok "probes: a forged token and an auto-reply ignored; eve's failed report: removed"
else
	integ_notok "probe bounces" "path=$eve_path after forged/away: $s1; rows left: $s2"
fi
run --probe-after 86400 --probe-wait 259200 --offset $((3 * 86400 + 60))
fr=$(q "SELECT state || ' ' || bounce_score FROM subscribers WHERE address = 'frank@c.test'")
if [ "$fr" = "active 0" ] && tail -n 1 "$T/drive.out" | grep -q "probes=0/0/1"; then
	integ_ok "probes: frank's never bounced: active again three days later, score 0"
else
	integ_notok "probe not answered" "frank: $fr" "$(tail -n 1 "$T/drive.out")"
fi

# ---- the engine stops while a server takes 30 s to answer QUIT ----
# The message is sent and the connection is the transport's alone, saying
# QUIT: the engine must not wait for the 221 to call itself idle, and its
# end frees the connection (smtp_send_shutdown; LeakSanitizer cannot see
# a connection left behind, since the transport's list still holds it).
echo quit@slowq.test >"$T/rslowq"
MQ=$(enqueue "$T/rslowq")
t0=$(date +%s)
run
t1=$(date +%s)
rq=$(q "SELECT state FROM deliveries WHERE message = $MQ")
if [ "$rq" = sent ] && [ "$(dumps slowq)" = 1 ] && [ $((t1 - t0)) -lt 20 ]; then
	integ_ok "stopped while the server delays its 221: sent, quick ($((t1 - t0)) s)"
else
	integ_notok "stop during a slow QUIT" "state=$rq received=$(dumps slowq) $((t1 - t0)) s"
fi

# ---- kill -9 during a 1000-recipient fan-out ----
rm -f "$T"/sinka/* "$T"/sinkb/* "$T"/sinkc/*
: >"$T/r1000"
i=1
while [ $i -le 1000 ]; do
	case $((i % 3)) in
	0) echo "k$i@a.test" ;;
	1) echo "k$i@b.test" ;;
	2) echo "k$i@c.test" ;;
	esac
	i=$((i + 1))
done >"$T/r1000"
MK=$(enqueue "$T/r1000")
"$DRIVE" run "$DB" lists.test "$RESOLVER" --port "$PORT" --idle \
    --seconds 300 --max 30 --per-domain 10 >"$T/kill.out" 2>"$T/kill.log" &
KPID=$!
integ_track $KPID
n=0
while [ $n -lt 300 ] && kill -0 $KPID 2>/dev/null; do
	n=$(cat "$T"/sinka/* "$T"/sinkb/* "$T"/sinkc/* 2>/dev/null | grep -c '^X-Rcpt-Args: <k' || true)
	sleep 0.1
done
kill -9 $KPID 2>/dev/null || true
wait $KPID 2>/dev/null || true
integ_untrack $KPID
atkill=$(q "SELECT count(*) FROM deliveries WHERE message = $MK AND state = 'sent'")
# The lease (15 min) brings back what was in flight.
run --offset 1000 --max 30 --per-domain 10
sent=$(q "SELECT count(*) FROM deliveries WHERE message = $MK AND state = 'sent'")
cat "$T"/sinka/* "$T"/sinkb/* "$T"/sinkc/* | sed -n 's/^X-Rcpt-Args: <\(k[0-9]*@[a-c]\.test\)>$/\1/p' | sort >"$T/got"
total=$(wc -l <"$T/got")
uniq=$(sort -u "$T/got" | wc -l)
missing=$(sort -u "$T/got" | comm -13 - "$(sort "$T/r1000" >"$T/r1000s"; echo "$T/r1000s")" | wc -l)
echo "# kill -9 after $n delivered ($atkill recorded); after the restart: $sent sent, $total received, $uniq distinct, $((total - uniq)) duplicates, $missing missing"
if [ "$sent" = 1000 ] && [ "$uniq" = 1000 ] && [ "$missing" = 0 ]; then
	integ_ok "kill -9 mid fan-out, restart: all 1000 delivered, $((total - uniq)) duplicates"
else
	integ_notok "kill -9 mid fan-out" "sent=$sent distinct=$uniq missing=$missing"
fi

integ_summary
