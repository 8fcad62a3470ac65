#!/bin/sh
# tests/integration/listd_burst.sh: the group commit (daemons/listd/
# commit.c) under a burst, with kill -9 in the middle of it.  Postfix's
# smtp-source posts from WORKERS concurrent loops, one session and one
# message per call, each message with a Subject of its own; timbre-signd
# signs, Postfix's smtp-sink (listd_lib.sh) takes every subscriber's
# copy.  As soon as BEFORE_KILL clients have heard "250 ... queued as",
# listd is killed with SIGKILL and started again while the loops go on.
# Once the queue is empty:
#
#   - every message a client heard 250 for reached smtp-sink, once for
#     each subscriber (duplicates are allowed: at least once);
#   - a message no client heard 250 for may be missing, but nothing is
#     half-stored: every row of messages is done with one sent row per
#     subscriber, and every copy in smtp-sink is whole (its last line);
#   - posts shared flushes: commit_flushes < commit_posts in the
#     statistics (SIGUSR1) of the restarted daemon.
#
# A kill -9 leaves the kernel's cache to the next run, so this proves the
# order (250 after the commit) and the restart, not that the flush
# reaches the disk: that is fdatasync's word (a power cut is not
# simulated here).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
integ_need_cmd smtp-source
. "$top_srcdir/tests/integration/listd_lib.sh"

WORKERS=${WORKERS:-20}
PER_WORKER=${PER_WORKER:-12}
BEFORE_KILL=${BEFORE_KILL:-60}
SUBS="alice@good.test carol@example.net dave@strict.test erin@none.test"
NSUBS=4
LINES=40		# smtp-source -l: the body's size in bytes is about
			# LINES * 80

dev_list $SUBS
signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 --retry-schedule 1s,1s,2s,2s,5s ||
    { fail_log; integ_summary; exit 1; }

# worker W: PER_WORKER messages, one smtp-source each; a line per
# message, "W.J REPLY" (REPLY: the reply to DATA, empty if none came).
worker()
{
	local w=$1 j out

	for j in $(seq 1 "$PER_WORKER"); do
		out=$(smtp-source -v -m 1 -s 1 -l $((LINES * 80)) \
		    -f alice@good.test -t "dev@$D" -S "burst $w.$j" \
		    "127.0.0.1:$PORT" 2>&1 || true)
		printf '%s.%s %s\n' "$w" "$j" "$(printf '%s\n' "$out" |
		    sed -n 's/^smtp-source: <<< \(250 2\.0\.0 queued as [0-9]*\).*/\1/p;
		    s/^smtp-source: <<< \([45][0-9][0-9] .*\)/\1/p' |
		    tail -n 1)" >>"$INTEG_TMP/replies.$w"
	done
}

pids=
for w in $(seq 1 "$WORKERS"); do
	: >"$INTEG_TMP/replies.$w"
	worker "$w" &
	pids="$pids $!"
done
acked()
{
	cat "$INTEG_TMP"/replies.* | grep -c 'queued as' || true
}
for i in $(seq 1 600); do
	[ "$(acked)" -ge "$BEFORE_KILL" ] && break
	sleep 0.05
done
kill -USR1 "$LISTD_PID" 2>/dev/null || true
sleep 0.2
kill -KILL "$LISTD_PID" 2>/dev/null || true
wait "$LISTD_PID" 2>/dev/null || true
integ_untrack "$LISTD_PID"
at_kill=$(acked)
integ_ok "burst: listd killed with SIGKILL after $at_kill 250s"
# Rows the killed daemon had claimed are released by the second at its
# start (not when their 15-minute lease ends): its clock is not moved.
listd_start 2 --retry-schedule 1s,1s,2s,2s,5s ||
    { fail_log; integ_summary; exit 1; }
for p in $pids; do
	wait "$p" || true
done
total=$(cat "$INTEG_TMP"/replies.* | wc -l)
ok=$(acked)
check "burst: $((WORKERS * PER_WORKER)) messages tried, $ok heard 250" \
    '[ "$total" -eq $((WORKERS * PER_WORKER)) ] && [ "$ok" -gt "$at_kill" ]' \
    "$total lines, $ok 250s"

# The queue empties: every row done.
for i in $(seq 1 300); do
	[ "$(q "SELECT count(*) FROM messages WHERE state <> 'done'")" = 0 ] &&
	    break
	sleep 0.2
done
left=$(q "SELECT m.id || ' ' || m.state || ': ' || d.recipient || ' ' ||
    d.state || ' ' || d.attempts || ' ' || coalesce(d.last_reply, '')
    FROM messages m JOIN deliveries d ON d.message = m.id
    WHERE m.state <> 'done' AND d.state <> 'sent' LIMIT 8")
check "burst: every stored message done" '[ -z "$left" ]' "$left"

# What smtp-sink holds: "SUBJECT RECIPIENT" per whole copy.
for i in $(seq 1 50); do
	[ "$(find "$SINK" -type f | wc -l)" -ge $((ok * NSUBS)) ] && break
	sleep 0.2
done
sleep 0.5
# smtp-source's body is LINES * 80 bytes, most of them X: a copy cut
# anywhere has fewer.  One awk for all the files: "SUBJECT RECIPIENT X".
find "$SINK" -type f -exec awk '
	function out() { if (s != "") print s, r, n }
	FNR == 1 { out(); s = ""; r = ""; n = 0 }
	{ sub(/\r$/, "") }
	/^Subject: burst / && s == "" { s = $3 }
	/^X-Rcpt-Args: </ && r == "" { r = $2; gsub(/[<>]/, "", r) }
	{ n += gsub(/X/, "X") }
	END { out() }' {} + >"$INTEG_TMP/sink.list"
awk -v min=$((LINES * 80 - 200)) '$3 < min' "$INTEG_TMP/sink.list" \
    >"$INTEG_TMP/broken"
awk '{ print $1, $2 }' "$INTEG_TMP/sink.list" >"$INTEG_TMP/copies"
sort "$INTEG_TMP/copies" >"$INTEG_TMP/copies.sorted"
sort -u "$INTEG_TMP/copies" >"$INTEG_TMP/copies.uniq"
dups=$(($(wc -l <"$INTEG_TMP/copies.sorted") -
    $(wc -l <"$INTEG_TMP/copies.uniq")))
missing=
for w in $(seq 1 "$WORKERS"); do
	while read -r id reply; do
		case $reply in
		*"queued as"*) ;;
		*) continue ;;
		esac
		for r in $SUBS; do
			grep -qxF "$id $r" "$INTEG_TMP/copies.uniq" ||
			    missing="$missing $id:$r"
		done
	done <"$INTEG_TMP/replies.$w"
done
check "burst: every message that heard 250 reached every subscriber" \
    '[ -z "$missing" ]' "missing:$(echo "$missing" | head -c 600)"
check "burst: every copy in smtp-sink whole" \
    '[ ! -s "$INTEG_TMP/broken" ]' "$(head -n 5 "$INTEG_TMP/broken")"
rows=$(q "SELECT count(*) FROM messages")
bad=$(q "SELECT m.id FROM messages m WHERE (SELECT count(*) FROM
    deliveries d WHERE d.message = m.id AND d.state = 'sent') <> $NSUBS")
check "burst: $rows rows (>= $ok), each with $NSUBS sent deliveries" \
    '[ "$rows" -ge "$ok" ] && [ -z "$bad" ]' "rows without: $bad"
integ_ok "burst: $rows stored, $ok heard 250, $dups duplicate copies"

# The statistics (SIGUSR1) of the first daemon, just before the kill,
# and of the second at the end: flushes shared.
kill -USR1 "$LISTD_PID"
sleep 0.5
for n in 1 2; do
	st=$(grep 'listd stats commit_flushes' "$INTEG_TMP/listd.log.$n" |
	    tail -n 1 | sed 's/^timbre-listd: listd stats //')
	fl=$(printf '%s\n' "$st" | sed -n 's/.*commit_flushes=\([0-9]*\).*/\1/p')
	po=$(printf '%s\n' "$st" | sed -n 's/.*commit_posts=\([0-9]*\).*/\1/p')
	check "burst: run $n, posts shared flushes: $st" \
	    '[ -n "$po" ] && [ "$po" -gt 0 ] && [ "$fl" -lt "$po" ]' "$st"
done

integ_summary
