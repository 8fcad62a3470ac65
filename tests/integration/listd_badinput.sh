#!/bin/bash
# tests/integration/listd_badinput.sh: what timbre-listd does with the bad
# input of its issue that the other tests do not send, raw over sockets
# (listd_badinput_peer.py) where swaks would correct it:
#
#   - relay attempts in the recipient: a source route to another domain,
#     the "%" hack, a quoted local part, two "@": refused, none relayed;
#   - a client that pipelines 200 RCPT past --max-recipients in one write:
#     the first 50 250, the rest 452, and the session goes on (RSET, NOOP);
#   - 2 000 connections at once from one address: --max-per-ip of them
#     greeted, every other one told 421 4.7.0 and closed, and the daemon
#     serves the next client;
#   - a slowloris (a byte a second that never makes a line) cut at the
#     --command-timeout deadline with 421 4.4.2, while a client sending
#     whole commands as slowly stays;
#   - the database held by another process's exclusive lock while a post
#     comes in: no 250 for what was not committed (a 4xx, or a 250 after
#     the lock is gone with the message in the queue), then posts taken;
#   - a database file that is not a database, and one the daemon may not
#     write: it stops at start-up and says which file and why.
# Set-up: listd_lib.sh (NSD, timbre-signd, smtp-sink).
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"
PEER_BAD=$top_srcdir/tests/integration/listd_badinput_peer.py

dev_list alice@good.test bob@example.net
signd_start 1 || { fail_log; integ_summary; exit 1; }
: >"$INTEG_TMP/listd.conf"
listd_start 1 -c "$INTEG_TMP/listd.conf" || { fail_log; integ_summary; exit 1; }

peer()
{
	/usr/bin/python3 "$PEER_BAD" "$@" 2>"$INTEG_TMP/peer.err" ||
	    echo "peer failed: $(tail -n 1 "$INTEG_TMP/peer.err")"
}

# ---- relay attempts ----
peer rcpt "$PORT" "<@$D:bob@example.net>" "<bob%example.net@$D>" \
    "<\"bob@example.net\"@$D>" "<bob@example.net@$D>" \
    "<@$D,@example.net:bob@example.net>" >"$INTEG_TMP/rcpt.out"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	case $i in
	1) what="a source route through us to example.net"; want='^550 5\.7\.1 ' ;;
	2) what="the % hack"; want='^550 5\.1\.1 ' ;;
	3) what="a quoted local part naming another address"; want='^550 5\.1\.1 ' ;;
	4) what="two @"; want='^5(01|53) ' ;;
	5) what="a two-hop source route to example.net"; want='^550 5\.7\.1 ' ;;
	esac
	if printf '%s\n' "$line" | grep -qE "$want"; then
		integ_ok "relay attempt, $what: $line"
	else
		integ_notok "relay attempt, $what: /$want/" "got: $line"
	fi
done <"$INTEG_TMP/rcpt.out"
check "five answers to five relay attempts" '[ "$i" = 5 ]' \
    "$(cat "$INTEG_TMP/rcpt.out")"
check "nothing was queued for them" \
    '[ "$(q "SELECT count(*) FROM messages")" = 0 ]'

# ---- pipelining past the limits ----
peer pipeline "$PORT" 200 "dev@$D" >"$INTEG_TMP/pipe.out"
check "200 pipelined RCPT: the first 50 250, the 150 others 452 (--max-recipients 50)" \
    '[ "$(sed -n 1p "$INTEG_TMP/pipe.out")" = "250=50 452=150 other=0" ]' \
    "$(cat "$INTEG_TMP/pipe.out")"
check "and the session goes on: RSET 250, NOOP 250, QUIT 221" \
    'sed -n 2p "$INTEG_TMP/pipe.out" | grep -q "^250" &&
    sed -n 3p "$INTEG_TMP/pipe.out" | grep -q "^250" &&
    sed -n 4p "$INTEG_TMP/pipe.out" | grep -q "^221"' \
    "$(cat "$INTEG_TMP/pipe.out")"

# ---- 2 000 connections at once ----
flood=$( (ulimit -n 8192 2>/dev/null || :; peer flood "$PORT" 2000) )
check "2 000 connections from one address: 10 greeted (--max-per-ip), 1 990 told 421" \
    '[ "$flood" = "220=10 421=1990 other=0" ]' "got: $flood"
msg after alice@good.test
dkim_sign after
send after alice@good.test "dev@$D" "$INTEG_TMP/after.in"
expect after '^250 2\.0\.0 queued as [0-9]+'

# ---- slowloris ----
# --command-timeout, lowered to 4 s by SIGHUP, is a deadline for each
# whole command: a byte every second that never makes a line is cut at
# 4 s, while a whole NOOP every 3 s keeps its session for 15 s.
echo "command-timeout = 4s" >"$INTEG_TMP/listd.conf"
n=$(grep -c "listd reload done" "$INTEG_TMP/listd.log.1" || :)
kill -HUP "$LISTD_PID"
for i in $(seq 1 50); do
	[ "$(grep -c "listd reload done" "$INTEG_TMP/listd.log.1" || :)" -gt "$n" ] && break
	sleep 0.1
done
peer slow "$PORT" 1 20 >"$INTEG_TMP/slow.out" &
SLOW=$!
peer steady "$PORT" 3 5 >"$INTEG_TMP/steady.out"
wait "$SLOW" || :
read -r slow_s slow_code slow_enh slow_rest <"$INTEG_TMP/slow.out" || :
check "a slowloris (a byte a second, no line) is cut at the 4 s deadline: $(cat "$INTEG_TMP/slow.out")" \
    '[ "${slow_s:-0}" -ge 3 ] && [ "${slow_s:-0}" -le 7 ] &&
    [ "${slow_code:-}" = 421 ] && [ "${slow_enh:-}" = 4.4.2 ]' \
    "got: $(cat "$INTEG_TMP/slow.out")"
check "a client sending whole commands every 3 s stays: $(cat "$INTEG_TMP/steady.out")" \
    '[ "$(cat "$INTEG_TMP/steady.out")" = "5 221" ]' "got: $(cat "$INTEG_TMP/steady.out")"

# ---- the database locked by another process ----
# sqlite3's shell holds an exclusive lock for 8 s while a post comes in.
msg locked alice@good.test
dkim_sign locked
n0=$(q "SELECT count(*) FROM messages")
{ printf 'PRAGMA busy_timeout = 2000;\nBEGIN EXCLUSIVE;\n'
  printf "SELECT 'locked';\n"; sleep 8; printf 'COMMIT;\n'; } |
    sqlite3 "$DB" >"$INTEG_TMP/lock.out" 2>&1 &
LOCKER=$!
for i in $(seq 1 50); do
	grep -q locked "$INTEG_TMP/lock.out" 2>/dev/null && break
	sleep 0.1
done
send locked alice@good.test "dev@$D" "$INTEG_TMP/locked.in"
wait "$LOCKER" || :
n1=$(q "SELECT count(*) FROM messages")
case $REPLY in
250*)	check "a post while the database is locked: 250 only once it is stored ($REPLY)" \
	    '[ "$n1" = $((n0 + 1)) ]' "messages: $n0 -> $n1" ;;
4*)	check "a post while the database is locked: $REPLY, nothing stored" \
	    '[ "$n1" = "$n0" ]' "messages: $n0 -> $n1" ;;
*)	integ_notok "a post while the database is locked: 250 or 4xx" "got: $REPLY" ;;
esac
send unlocked alice@good.test "dev@$D" "$INTEG_TMP/locked.in"
expect unlocked '^250 2\.0\.0 queued as [0-9]+'
kill -0 "$LISTD_PID" 2>/dev/null && integ_ok "timbre-listd is still running" ||
    integ_notok "timbre-listd is still running"

# ---- database files it cannot use ----
# start_fails NAME DBFILE [RUNNER...]: listd with --db DBFILE must stop at
# once, non-zero, naming the file.
start_fails()
{
	local name=$1 db=$2 rc=0

	shift 2
	timeout 20 "$@" "$LISTD" -f --listen "127.0.0.1:$(integ_free_port)" \
	    --listen-signed "127.0.0.1:$(integ_free_port)" --domain "$D" \
	    --hostname "$AUTHSERV" --db "$db" --signer "127.0.0.1:$SIGNPORT" \
	    --resolver "127.0.0.1:$DNS" -c /dev/null \
	    >"$INTEG_TMP/$name.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] &&
	    grep -qF "$db" "$INTEG_TMP/$name.out"; then
		integ_ok "$name: stops at start-up (exit $rc): $(grep -F "$db" "$INTEG_TMP/$name.out" | head -n 1)"
	else
		integ_notok "$name: stops at start-up naming the file" \
		    "exit $rc" "$(tail -n 5 "$INTEG_TMP/$name.out")"
	fi
}
head -c 8192 /dev/urandom >"$INTEG_TMP/garbage.db"
start_fails "a database file that is not a database" "$INTEG_TMP/garbage.db"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	mkdir "$INTEG_TMP/ro"
	cp "$DB" "$INTEG_TMP/ro/lists.db"
	chmod 755 "$INTEG_TMP/ro"
	chmod 644 "$INTEG_TMP/ro/lists.db"
	start_fails "a database the daemon's user may not write" \
	    "$INTEG_TMP/ro/lists.db" setpriv --reuid=nobody --regid=nogroup \
	    --clear-groups
else
	integ_skipcase "a read-only database: needs root and setpriv"
fi

integ_summary
