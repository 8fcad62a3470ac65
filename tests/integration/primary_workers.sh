#!/bin/sh
# primary_workers.sh: timbre-primaryd's UDP worker loops (--workers,
# daemons/primaryd/loops.c; issue 15, part 3), on loopback:
#
#   - --workers 1, 2 and 4 serve the same repository; with 2 and 4 the
#     daemon holds that many UDP sockets on the port (SO_REUSEPORT) and
#     that many loops; dig and kdig, each from a port of its own, get the
#     answers expected, and 3000 questions (names that exist, wildcard,
#     delegation, NXDOMAIN, NODATA, out of the zones; random letter case,
#     with and without EDNS) asked through 16 source ports get from 2 and
#     from 4 workers exactly what --workers 1 answers;
#   - while 8 clients of distinct source ports ask again and again
#     (primary_workers.py loop), the zone is pushed and NOTIFYed (a
#     signed NOTIFY: a worker forwards it to the main loop) 6 times,
#     www.example.org going from one address to the other each time:
#     every question (www A, the SOA in turn) answered, every answer one
#     of the two addresses or an SOA, no socket seeing a serial lower than
#     one it saw before, every socket seeing the last push at the end
#     (its address and serial); a SIGHUP
#     (new settings handed to the workers) meanwhile; the daemon
#     stays up and exits 0 on SIGTERM;
#   - SIGUSR1's line gives workers=N and udp_queries summed over the
#     loops; --workers out of range is refused.
# Under AddressSanitizer (check.sh) a zone freed while a loop reads it
# is a report; built with ThreadSanitizer (../configure
# CFLAGS='-fsanitize=thread -g -O1' LDFLAGS=-fsanitize=thread), a report
# in a daemon's log fails the test.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig
/usr/bin/python3 -c 'import dns.message, dns.query' 2>/dev/null ||
    integ_skip "python3-dnspython is needed"
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
TIMBRE=$top_builddir/tools/timbre
PEER="/usr/bin/python3 $top_srcdir/tests/integration/primary_workers.py"
BARE=$T/zone.git

. "$top_srcdir/tests/integration/primary_lib.sh"

prim_repo_init "$BARE"
prim_keys
zone() { # zone SERIAL WWW-ADDRESS
	cat <<-EOF
	\$ORIGIN example.org.
	\$TTL 300
	@ SOA ns1 hostmaster $1 3600 900 604800 300
	@ NS ns1
	@ MX 10 mail
	ns1 A 127.0.0.1
	mail A 192.0.2.25
	www A $2
	alias CNAME www
	*.wild TXT "wildcard"
	sub NS ns.sub
	ns.sub A 192.0.2.53
	EOF
	i=0
	while [ $i -lt 200 ]; do
		echo "h$i A 198.51.100.$((i % 250))"
		echo "h$i TXT \"host $i\""
		i=$((i + 1))
	done
}
zone 1 192.0.2.10 >"$T/w/example.org"
gitc add -A
gitc commit -q -m initial
gitc push -q "$BARE" main

# tsan_clean NAME: no ThreadSanitizer report in the log NAME.
tsan_clean()
{
	if grep -q 'WARNING: ThreadSanitizer' "$1"; then
		nok "$(basename "$1"): no ThreadSanitizer report"
		grep -A 30 'WARNING: ThreadSanitizer' "$1" | head -n 40 |
		    sed 's/^/# /'
	fi
}

# stop_primary PID LOG: SIGTERM, exit 0 within 20 s.
stop_primary()
{
	kill -TERM "$1"
	rc=timeout
	for i in $(seq 1 200); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1" && rc=0 || rc=$?
			break
		fi
		sleep 0.1
	done
	integ_untrack "$1"
	if [ "$rc" = 0 ]; then
		ok "$(basename "$2"): SIGTERM: exit 0"
	else
		nok "$(basename "$2"): SIGTERM: exit 0 (got $rc)"
		kill -KILL "$1" 2>/dev/null || true
	fi
	tsan_clean "$2"
}

# stats PID LOG NAME: the counter NAME of the daemon's next SIGUSR1 line.
stats()
{
	n=$(grep -c "primary stats" "$2" || true)
	kill -USR1 "$1"
	for i in $(seq 1 50); do
		[ "$(grep -c "primary stats" "$2" || true)" -gt "$n" ] && break
		sleep 0.1
	done
	grep "primary stats" "$2" | tail -n 1 | tr ' ' '\n' |
	    sed -n "s/^$3=//p"
}

# udp_sockets PORT: the UDP sockets bound to 127.0.0.1:PORT.
udp_sockets()
{
	ss -Hnua "sport = :$1" 2>/dev/null | grep -c "127.0.0.1:$1" || true
}

# ------------------------------------------------ three daemons

start_primary "$T/w1.log" --workers 1 --remote "file://$BARE#main" \
    --workdir "$T/work1"
P1=$PORT W1_PID=$PRIMARY_PID
start_primary "$T/w2.log" --workers 2 --remote "file://$BARE#main" \
    --workdir "$T/work2"
P2=$PORT W2_PID=$PRIMARY_PID
start_primary "$T/w4.log" --workers 4 --remote "file://$BARE#main" \
    --workdir "$T/work4"
P4=$PORT W4_PID=$PRIMARY_PID

for n in 1 2 4; do
	eval "p=\$P$n"
	if command -v ss >/dev/null 2>&1; then
		check "--workers $n: $n UDP sockets on the port" \
		    test "$(udp_sockets "$p")" = "$n"
	fi
done
check "--workers 4: logged" grep -q "primary workers=4" "$T/w4.log"
check "--workers 1: no worker loop" sh -c "! grep -q 'primary workers=' '$T/w1.log'"

# dig and kdig (each query from a port of its own).
for p in "$P2" "$P4"; do
	bad=0
	for i in $(seq 0 19); do
		a=$(dig @127.0.0.1 -p "$p" +norec +short "h$i.example.org" A)
		[ "$a" = "198.51.100.$i" ] || bad=$((bad + 1))
	done
	check "port $p: dig, 20 names, 20 right answers" test "$bad" = 0
	check "port $p: NXDOMAIN" sh -c "dig @127.0.0.1 -p $p +norec nope.example.org A | grep -q 'status: NXDOMAIN'"
	check "port $p: wildcard" sh -c "dig @127.0.0.1 -p $p +norec +short x.wild.example.org TXT | grep -q wildcard"
	check "port $p: referral" sh -c "dig @127.0.0.1 -p $p +norec a.sub.example.org A | grep -q 'sub.example.org.*NS.*ns.sub.example.org'"
	check "port $p: REFUSED outside" sh -c "dig @127.0.0.1 -p $p +norec example.com A | grep -q 'status: REFUSED'"
	check "port $p: TCP" sh -c "dig @127.0.0.1 -p $p +tcp +short www.example.org A | grep -qx 192.0.2.10"
	if command -v kdig >/dev/null 2>&1; then
		bad=0
		for i in $(seq 20 39); do
			a=$(kdig @127.0.0.1 -p "$p" +norec +short "h$i.example.org" TXT)
			[ "$a" = "\"host $i\"" ] || bad=$((bad + 1))
		done
		check "port $p: kdig, 20 names, 20 right answers" test "$bad" = 0
	else
		integ_skipcase "port $p: kdig" "kdig not installed (knot-dnsutils)"
	fi
done

# 3000 questions, compared with --workers 1.
for n in www mail alias ns1 sub a.sub example.org x.example.com; do
	for t in A AAAA MX NS SOA TXT CNAME ANY; do
		echo "$n.example.org $t"
	done
done >"$T/questions"
for t in A TXT AAAA MX; do
	i=0
	while [ $i -lt 245 ]; do
		echo "h$i.example.org $t"
		echo "n$i.example.org $t"
		echo "x$i.wild.example.org $t"
		i=$((i + 1))
	done
done >>"$T/questions"
head -n 3000 "$T/questions" >"$T/q3000"
for n in 2 4; do
	eval "p=\$P$n"
	out=$($PEER compare "$P1" "$p" 16 "$T/q3000")
	echo "# --workers $n against 1: $(echo "$out" | head -n 1)"
	check "--workers $n: 3000 answers, all as --workers 1 gives" sh -c \
	    "echo '$(echo "$out" | head -n 1)' | grep -qx 'asked=3000 same=3000 differ=0 timeouts=0'"
	echo "$out" | tail -n +2 | head -n 40 | sed 's/^/# /'
done

# ------------------------------------------------ reloads under load

addr() { [ $(($1 % 2)) = 1 ] && echo 192.0.2.10 || echo 192.0.2.11; }
for n in 2 4; do
	eval "p=\$P$n pid=\$W${n}_PID"
	s=$(($(dig @127.0.0.1 -p "$p" +short example.org SOA |
	    awk '{print $3}') + 1))
	last=$((s + 5))
	rm -f "$T/stop"
	$PEER loop "$p" 8 "$T/stop" 192.0.2.10,192.0.2.11 "$(addr "$last")" \
	    "$last" >"$T/loop$n.out" &
	LOOP=$!
	sleep 1
	while [ "$s" -le "$last" ]; do
		zone "$s" "$(addr "$s")" >"$T/w/example.org"
		gitc commit -q -a -m "serial $s"
		gitc push -q "$BARE" main
		"$TIMBRE" notify --server "127.0.0.1:$p" --key-file "$T/up.key" \
		    example.org >/dev/null 2>&1 || true
		[ "$s" = $((last - 2)) ] && kill -HUP "$pid"
		sleep 0.3
		s=$((s + 1))
	done
	# The last push: served by the main loop, then by every worker.
	for i in $(seq 1 100); do
		[ "$(dig @127.0.0.1 -p "$p" +short example.org SOA |
		    awk '{print $3}')" = "$last" ] && break
		sleep 0.1
	done
	sleep 1
	touch "$T/stop"
	wait "$LOOP" || true
	out=$(head -n 1 "$T/loop$n.out")
	echo "# --workers $n, 6 reloads under load: $out"
	sed -n '2,40p' "$T/loop$n.out" | sed 's/^/# /'
	f() { printf '%s\n' "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	check "--workers $n: reloads under load: many questions ($(f asked))" \
	    test "$(f asked)" -ge 200
	check "--workers $n: reloads under load: each answered" \
	    test "$(f timeouts)" = 0
	check "--workers $n: reloads under load: each answer right" \
	    test "$(f wrong)" = 0 -a "$(f right)" = "$(f asked)"
	check "--workers $n: reloads under load: no socket went back to an older serial" \
	    test "$(f back)" = 0
	check "--workers $n: every socket ends on the last push" \
	    test "$(f final)" = 8
	check "--workers $n: last serial served ($last)" sh -c \
	    "dig @127.0.0.1 -p $p +short example.org SOA | grep -q ' $last '"
	check "--workers $n: fetches logged" grep -q "loaded serial=$last" \
	    "$T/w$n.log"
done

# ------------------------------------------------ stats, options

q0=$(stats "$W4_PID" "$T/w4.log" udp_queries)
dig @127.0.0.1 -p "$P4" +short www.example.org A >/dev/null
q1=$(stats "$W4_PID" "$T/w4.log" udp_queries)
check "SIGUSR1: workers=4" test "$(stats "$W4_PID" "$T/w4.log" workers)" = 4
check "SIGUSR1: udp_queries counts every loop ($q0 > 6000, then $q1)" \
    test "$q0" -gt 6000 -a "$q1" -gt "$q0"

for n in 1 2 4; do
	eval "pid=\$W${n}_PID"
	stop_primary "$pid" "$T/w$n.log"
done

if "$PRIMARYD" --workers 257 --remote "file://$BARE#main" \
    --workdir "$T/bad" >"$T/bad.out" 2>&1; then
	nok "--workers 257: refused"
else
	check "--workers 257: refused, naming the bounds" \
	    grep -q "not from 0 to 256" "$T/bad.out"
fi

integ_summary
