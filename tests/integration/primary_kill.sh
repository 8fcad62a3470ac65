#!/bin/sh
# tests/integration/primary_kill.sh: timbre-primaryd killed with SIGKILL
# at random points of an UPDATE's commit and push (issue 16, part 4).
#
# Each round starts the daemon on the same work directory, sends one
# TSIG-signed UPDATE with nsupdate (two records, r<N>a and r<N>b, so that
# half of one would show) and SIGKILLs the daemon: in every fifth round
# once nsupdate has its answer; in the other even rounds 0 to 50 ms after
# nsupdate starts (mostly before the UPDATE arrives); in the odd ones 0
# to 25 ms after the daemon logs that it took the UPDATE (while the zone
# file is written, committed, pushed, or after the answer).  The next
# round's start then checks, against the bare repository that is the
# remote:
#
#  - the remote has each round's update whole or not at all;
#  - an update nsupdate saw NOERROR for is in the remote;
#  - what the restarted daemon serves (AXFR) is the remote's head, record
#    for record: no update lost from the remote, none served that the
#    remote lacks.
#
# KILL_ROUNDS sets the number of rounds (100; 30 under the sanitizers,
# whose start-up with libgit2 is slow).  The tally of where the kills
# fell (answered, in the remote only, nowhere) is printed.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig nsupdate
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
TIMBRE=$top_builddir/tools/timbre
. "$top_srcdir/tests/integration/primary_lib.sh"

if [ -n "${KILL_ROUNDS:-}" ]; then
	ROUNDS=$KILL_ROUNDS
elif nm "$PRIMARYD" 2>/dev/null | grep -q __asan_init; then
	ROUNDS=30
else
	ROUNDS=100
fi

BARE=$T/zone.git
prim_repo_init "$BARE"
prim_keys
cat >"$T/w/example.org" <<-'EOF'
	$ORIGIN example.org.
	$TTL 300
	@ SOA ns1 hostmaster 1 3600 900 604800 300
	@ NS ns1
	ns1 A 127.0.0.1
	EOF
gitc add -A
gitc commit -q -m initial
gitc push -q "$BARE" main

# The r-records of the remote's head, and of what the daemon serves:
# "NAME ADDRESS" lines, sorted.
remote_set() {
	git --git-dir="$BARE" show main:example.org |
	    awk '$1 ~ /^r[0-9]+[ab](\.example\.org\.)?$/ {
		sub(/\.example\.org\.$/, "", $1); print $1, $NF }' | sort
}
served_set() {
	dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.org AXFR \
	    -k "$T/xfr.bind" |
	    awk '$4 == "A" && $1 ~ /^r[0-9]+[ab]\.example\.org\.$/ {
		sub(/\.example\.org\.$/, "", $1); print $1, $5 }' | sort
}

answered=0 remote_only=0 nowhere=0 bad=0
# check_round N: the checks of round N's update, after the restart.
check_round() {
	local n=$1 has_a has_b

	has_a=$(remote_set | grep -c "^r${n}a " || true)
	has_b=$(remote_set | grep -c "^r${n}b " || true)
	if [ "$has_a" != "$has_b" ]; then
		nok "round $n: the remote has half the update (a=$has_a b=$has_b)"
		bad=$((bad + 1))
		return
	fi
	# nsupdate -d prints the query it sends, then the reply.
	if sed -n '/^Reply from update query/,$p' "$T/nsupdate.$n" |
	    grep -q "opcode: UPDATE, status: NOERROR"; then
		if [ "$has_a" != 1 ]; then
			nok "round $n: NOERROR to the client, not in the remote"
			bad=$((bad + 1))
			return
		fi
		answered=$((answered + 1))
	elif [ "$has_a" = 1 ]; then
		remote_only=$((remote_only + 1))
	else
		nowhere=$((nowhere + 1))
	fi
}

n=0
while [ "$n" -lt "$ROUNDS" ]; do
	n=$((n + 1))
	if ! start_primary "$T/primary.$n.log" --remote "file://$BARE#main" \
	    --workdir "$T/work"; then
		nok "round $n: the daemon restarted on the work directory" \
		    "$(tail -n 5 "$T/primary.$n.log")"
		bad=$((bad + 1))
		break
	fi
	if [ "$n" -gt 1 ]; then
		check_round $((n - 1))
		if [ "$(served_set)" != "$(remote_set)" ]; then
			nok "round $n: after the restart, what is served is the remote's head" \
			    "served: $(served_set | tr '\n' ' ')" \
			    "remote: $(remote_set | tr '\n' ' ')"
			bad=$((bad + 1))
		fi
	fi
	{ echo "server 127.0.0.1 $PORT"; echo "zone example.org"
	  echo "update add r${n}a.example.org. 60 A 192.0.2.$((n % 250 + 1))"
	  echo "update add r${n}b.example.org. 60 A 198.51.100.$((n % 250 + 1))"
	  echo send; } >"$T/nsupdate.in.$n"
	nsupdate -d -t 20 -k "$T/up.bind" <"$T/nsupdate.in.$n" \
	    >"$T/nsupdate.$n" 2>&1 &
	nspid=$!
	d=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
	if [ $((n % 5)) = 0 ]; then
		# Right after the answer reached the client.
		wait "$nspid" 2>/dev/null || true
	elif [ $((n % 2)) = 0 ]; then
		# 0 to 50 ms after nsupdate starts: a random byte / 5000 s.
		sleep "$(awk -v d="$d" 'BEGIN { printf "%.4f", d / 5000 }')"
	else
		# 0 to 25 ms after the daemon logs that it took the UPDATE:
		# inside the edit, the commit or the push.
		i=0
		while ! grep -q "primary update from" "$T/primary.$n.log" &&
		    [ "$i" -lt 3000 ]; do
			i=$((i + 1))
		done
		sleep "$(awk -v d="$d" 'BEGIN { printf "%.4f", d / 10000 }')"
	fi
	kill -KILL "$PRIMARY_PID" 2>/dev/null || true
	wait "$PRIMARY_PID" 2>/dev/null || true
	integ_untrack "$PRIMARY_PID"
	# An answer sent before the kill is read at once; after 0.2 s none
	# will come, and nsupdate would wait out its timeout.
	sleep 0.2
	kill -TERM "$nspid" 2>/dev/null || true
	wait "$nspid" 2>/dev/null || true
done

# The last round's update, checked by one more start.
if start_primary "$T/primary.last.log" --remote "file://$BARE#main" \
    --workdir "$T/work"; then
	check_round "$n"
	check "after the last restart, what is served is the remote's head" \
	    test "$(served_set)" = "$(remote_set)"
	integ_stop "$PRIMARY_PID"
fi
echo "# $ROUNDS rounds: $answered answered (NOERROR, in the remote), $remote_only in the remote unanswered, $nowhere killed before the push"
check "$ROUNDS kills: every update whole or absent, every NOERROR in the remote, what is served is the remote's head" \
    test "$bad" = 0
# The kills must have fallen on both sides of the push, or the test
# proved nothing about the middle.
check "the kills fell before and after the push ($answered answered, $nowhere not pushed)" \
    test "$answered" -ge 1 -a "$nowhere" -ge 1
integ_summary
