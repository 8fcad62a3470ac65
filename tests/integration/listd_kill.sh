#!/bin/sh
# tests/integration/listd_kill.sh: a timbre-listd killed with SIGKILL in
# the middle of a fan-out, with delivery rows claimed, and started again:
# the new daemon releases the dead one's claims at its start
# (store_deliver_release, schema version 7's deliveries.claimed) and the
# copies go within seconds, not when their 15-minute lease ends.
#
# timbre-signd signs; the first daemon delivers to a Postfix smtp-sink
# that waits before answering DATA (-w), so that its claims are still out
# when it is killed; the second delivers to an ordinary smtp-sink.  The
# test checks that rows were claimed, under a lease, at the kill; that
# the restarted daemon logs their release; that every recipient's row is
# sent and every recipient's copy reached the second sink within the
# wait (duplicates allowed: at least once), with the clock not moved; and
# that `timbre list show` and `subscribe` work on the database while the
# second daemon fans out.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"

NSUBS=${NSUBS:-300}

# A sink that holds every DATA for a minute: the first daemon's copies.
SLOWPORT=$(integ_free_port)
SLOW=$INTEG_TMP/slow
mkdir -p "$SLOW"
[ "$(id -u)" -eq 0 ] && chown nobody "$SLOW"
# shellcheck disable=SC2086
integ_spawn "$INTEG_TMP/slow.log" smtp-sink $SINK_USER -w 60 \
    -d "$SLOW/%Y%m%d%H%M%S." "127.0.0.1:$SLOWPORT" 256

dev_list alice@good.test
q "WITH RECURSIVE c(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM c
    WHERE n < $NSUBS) INSERT INTO subscribers (list_id, address, added)
    SELECT l.id, 'r' || c.n || '@none.test', 1 FROM lists l, c"
check "$NSUBS subscribers" \
    '[ "$(q "SELECT count(*) FROM subscribers")" = "$NSUBS" ]'
signd_start 1 || { fail_log; integ_summary; exit 1; }
FAST=$SINKPORT
SINKPORT=$SLOWPORT
listd_start 1 --max-per-domain 20 || { fail_log; integ_summary; exit 1; }
SINKPORT=$FAST

msg post alice@good.test
send post alice@good.test "dev@$D" "$INTEG_TMP/post.in"
expect post '^250 '
id=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')

# The fan-out starts: rows claimed, their copies held in DATA.
claimed=0
for i in $(seq 1 150); do
	claimed=$(q "SELECT count(*) FROM deliveries WHERE claimed = 1")
	[ "$claimed" -ge 20 ] && break
	sleep 0.2
done
kill -KILL "$LISTD_PID" 2>/dev/null || true
wait "$LISTD_PID" 2>/dev/null || true
integ_untrack "$LISTD_PID"
now=$(date +%s)
claimed=$(q "SELECT count(*) FROM deliveries WHERE claimed = 1")
leased=$(q "SELECT count(*) FROM deliveries WHERE claimed = 1 AND
    state = 'queued' AND next_attempt > $now + 600")
rows=$(q "SELECT count(*) FROM deliveries WHERE message = ${id:-0}")
check "kill -9 mid fan-out: $claimed of $rows rows claimed, under their lease" \
    '[ "$rows" = "$NSUBS" ] && [ "$claimed" -ge 20 ] &&
    [ "$leased" = "$claimed" ]' "rows=$rows claimed=$claimed leased=$leased"

# The second daemon, the clock not moved: the claims are released.
t0=$(date +%s)
listd_start 2 --max-per-domain 20 || { fail_log; integ_summary; exit 1; }
log=$INTEG_TMP/listd.log.2
for i in $(seq 1 50); do
	grep -q 'deliver released=' "$log" && break
	sleep 0.1
done
check "restart: the claims released" \
    'grep -q "deliver released=$claimed " "$log"' \
    "$(grep -m1 'released' "$log" || echo 'no release logged')"

# `timbre list` on the same file while the daemon delivers.
out=$("$TIMBRE" list show "$DB" --domain "$D" dev 2>&1) && rc=0 || rc=$?
check "timbre list show during the fan-out" \
    '[ "$rc" = 0 ] && printf "%s\n" "$out" | grep -q "r2@none.test"' \
    "rc=$rc $(printf '%s\n' "$out" | head -n 3)"
"$TIMBRE" list subscribe "$DB" --domain "$D" dev late@none.test \
    >"$INTEG_TMP/sub.out" 2>&1 && rc=0 || rc=$?
check "timbre list subscribe during the fan-out" '[ "$rc" = 0 ]' \
    "$(cat "$INTEG_TMP/sub.out")"

# Every row sent, within a minute (the lease was 15).
for i in $(seq 1 300); do
	[ "$(q "SELECT state FROM messages WHERE id = ${id:-0}")" = done ] &&
	    break
	sleep 0.2
done
t1=$(date +%s)
sent=$(q "SELECT count(*) FROM deliveries WHERE message = ${id:-0} AND
    state = 'sent'")
check "restart: all $NSUBS rows sent in $((t1 - t0)) s" \
    '[ "$sent" = "$NSUBS" ] && [ $((t1 - t0)) -lt 60 ]' \
    "sent=$sent in $((t1 - t0)) s"

# Every recipient's copy at the second sink (at least once).
sleep 0.5
find "$SINK" -type f -exec sed -n 's/^X-Rcpt-Args: <\([^>]*\)>\r*$/\1/p' \
    {} + | sort >"$INTEG_TMP/got"
q "SELECT address FROM subscribers WHERE address <> 'late@none.test'" |
    sort >"$INTEG_TMP/want"
missing=$(comm -13 <(sort -u "$INTEG_TMP/got") "$INTEG_TMP/want" | wc -l)
total=$(wc -l <"$INTEG_TMP/got")
uniq=$(sort -u "$INTEG_TMP/got" | wc -l)
echo "# $claimed claimed at the kill; the second sink got $total copies," \
    "$uniq distinct, $missing missing"
check "every subscriber got the post, none missing" '[ "$missing" = 0 ]' \
    "$(comm -13 <(sort -u "$INTEG_TMP/got") "$INTEG_TMP/want" | head -n 5)"

integ_stop "$LISTD_PID"
integ_summary
