#!/bin/sh
# tests/integration/resolver_kill.sh: timbre-resolverd killed under load
# serves again within a second of its restart (issue 16, part 4).
#
# A resolver that the host's every daemon trusts may be killed by the OOM
# killer or a careless operator at any moment, in the middle of a burst of
# questions.  systemd restarts it; what matters is that the new process is
# answering before the clients' first retry runs out: it must bind its
# UDP and TCP ports again at once (a TCP listener left in TIME_WAIT by the
# dead one must not stop it), with no state on disk to recover.
#
# NSD on 127.0.0.2 serves a root zone with a wildcard; dnsperf asks the
# resolver for fresh names without pause (every one a cache miss, so the
# resolver always has questions outstanding upstream and TCP clients
# connected) while, ten times, at a random moment, the resolver is killed
# with SIGKILL and started again.  Each time, a client asking every 20 ms
# over UDP, and one over TCP, must get the right answer within 1 s of the
# new process's start, and the answer must be the wildcard's address.
# The time is printed.  The test measures time, so it runs in the plain
# build only (check.sh's list of tests whose point is time).
#
# In a network namespace of its own (unshare -rn), so that NSD can hold
# port 53 of 127.0.0.2.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

integ_netns_reexec

integ_need_cmd dig nsd dnsperf
/usr/bin/python3 -c 'import dns.message' 2>/dev/null ||
    integ_skip "python3-dnspython not installed"
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
integ_init
T=$INTEG_TMP
ROUNDS=${RESOLVER_KILL_ROUNDS:-10}
LIMIT_MS=1000

ok() { integ_ok "$@"; }
nok() { integ_notok "$@"; }

cat >"$T/root.zone" <<-'EOF'
	$TTL 3600
	. SOA a.root. hostmaster.root. 1 3600 900 604800 300
	. NS a.root.
	a.root. A 127.0.0.2
	*.fast. A 192.0.2.7
	EOF
# The resolver asks NSD 1000 times a second: NSD's rate limiting (200 a
# second from one address by default) would be what the test measures.
INTEG_NSD_SERVER_EXTRA="    rrl-ratelimit: 0"
integ_nsd_start_at 127.0.0.2 root . "$T/root.zone" ||
    integ_skip "NSD does not start on 127.0.0.2:53"
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >"$T/hints"
RPORT=$(integ_free_port)

# 200 000 distinct names: dnsperf never runs out of cache misses.
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "n%d.fast A\n", i }' \
    >"$T/names"

# first.py PROTO PORT STAMP NAME: ask NAME A over PROTO (udp, tcp) every
# 20 ms (UDP: one socket, a new question each time, any answer counts;
# TCP: a new connection each time, refused ones retried) until the
# wildcard's address comes back; print the milliseconds since the file
# STAMP was written (the new process's start), or "none" after 5 s.
cat >"$T/first.py" <<-'EOF'
	import os, socket, sys, time
	import dns.message, dns.query, dns.rdatatype
	proto, port, stamp, qname = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	while not os.path.exists(stamp):	# started before the kill
	    time.sleep(0.005)
	t0 = os.stat(stamp).st_mtime
	deadline = t0 + 5
	def good(r):
	    addrs = [rd.address for rr in r.answer for rd in rr
	             if rr.rdtype == dns.rdatatype.A]
	    if "192.0.2.7" not in addrs:
	        print("wrong answer: %s" % r.to_text().replace("\n", " | "))
	        sys.exit(1)
	    print(int((time.time() - t0) * 1000))
	    sys.exit(0)
	if proto == "udp":
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.connect(("127.0.0.1", port))
	    s.settimeout(0.02)
	    while time.time() < deadline:
	        try:
	            s.send(dns.message.make_query(qname, "A").to_wire())
	        except OSError:		# ECONNREFUSED: nobody on the port yet
	            time.sleep(0.02)
	            continue
	        try:
	            while True:
	                good(dns.message.from_wire(s.recv(65535)))
	        except (socket.timeout, OSError):
	            pass
	else:
	    while time.time() < deadline:
	        q = dns.message.make_query(qname, "A")
	        try:
	            good(dns.query.tcp(q, "127.0.0.1", port=port,
	                               timeout=max(0.05, deadline - time.time())))
	        except (dns.exception.Timeout, OSError, EOFError):
	            time.sleep(0.02)
	print("none")
	EOF

start_resolver()
{
	touch "$T/started"
	integ_spawn "$T/resolverd.$1.log" "$RESOLVERD" -f -c /dev/null \
	    --log-level warn --listen "127.0.0.1:$RPORT" \
	    --root-hints "$T/hints" --no-dnssec
	RESOLVER_PID=$INTEG_LAST_PID
}

start_resolver 0
integ_wait_dns "$RPORT" www.fast. A 10 ||
    { nok "resolverd started"; integ_summary; exit 1; }

# The load: dnsperf, 20 clients, 1000 new names a second (a busy
# resolver for a small organisation; more than it sees at a peak), for as long as
# the rounds take.  It keeps sending through each restart.
integ_spawn "$T/dnsperf.log" dnsperf -s 127.0.0.1 -p "$RPORT" -d "$T/names" \
    -c 20 -q 500 -Q 1000 -l 600 -t 1
DNSPERF_PID=$INTEG_LAST_PID
sleep 1

# probe_start ROUND: both probes, waiting for $T/started (so that
# Python's start-up is not counted); probe_wait: their times in $udp and
# $tcp.
probe_start()
{
	rm -f "$T/started"
	/usr/bin/python3 "$T/first.py" udp "$RPORT" "$T/started" "u$1.fast." \
	    >"$T/udp.$1" 2>&1 &
	PROBE_UDP=$!
	/usr/bin/python3 "$T/first.py" tcp "$RPORT" "$T/started" "t$1.fast." \
	    >"$T/tcp.$1" 2>&1 &
	PROBE_TCP=$!
	sleep 0.5
}
probe_wait()
{
	wait $PROBE_UDP 2>/dev/null || true
	wait $PROBE_TCP 2>/dev/null || true
	udp=$(cat "$T/udp.$1")
	tcp=$(cat "$T/tcp.$1")
}

# Round 0, no kill: what a new name costs under this load at all.
probe_start 0
touch "$T/started"
probe_wait 0
echo "# under load, no restart: a new name over UDP in ${udp} ms, TCP ${tcp} ms"

worst=0
for round in $(seq 1 $ROUNDS); do
	# A random moment in the burst: 100 to 900 ms.
	sleep "0.$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 9 + 1 ))"
	probe_start "$round"
	# Questions in flight upstream, TCP clients connected: kill it.
	integ_spawn "$T/dig.$round.log" dig @127.0.0.1 -p "$RPORT" +tcp \
	    +time=1 +tries=1 "tcp$round.fast." A
	kill -KILL "$RESOLVER_PID"
	wait "$RESOLVER_PID" 2>/dev/null || true
	integ_untrack "$RESOLVER_PID"
	start_resolver "$round"
	probe_wait "$round"
	echo "# round $round: first UDP answer after ${udp} ms, TCP ${tcp} ms"
	for ms in "$udp" "$tcp"; do
		case $ms in
		''|*[!0-9]*)
			nok "round $round: answered after the restart ($ms)"
			sed 's/^/#   /' "$T/resolverd.$round.log" | tail -n 20
			continue 2 ;;
		esac
		[ "$ms" -gt "$worst" ] && worst=$ms
	done
	if [ "$udp" -le $LIMIT_MS ] && [ "$tcp" -le $LIMIT_MS ]; then
		ok "round $round: UDP and TCP answered within $LIMIT_MS ms of the restart"
	else
		nok "round $round: UDP ${udp} ms, TCP ${tcp} ms (limit $LIMIT_MS)"
	fi
done
echo "# slowest first answer: $worst ms"

# The load went on all along: dnsperf still running, and the resolver,
# with it, still answers a name it never saw.
if kill -0 "$DNSPERF_PID" 2>/dev/null; then
	ok "dnsperf kept asking through the restarts"
else
	nok "dnsperf kept asking through the restarts"
fi
if dig @127.0.0.1 -p "$RPORT" +time=2 +tries=2 +short last.fast. A |
    grep -qx 192.0.2.7; then
	ok "after the last restart, under load, a new name is resolved"
else
	nok "after the last restart, under load, a new name is resolved"
fi
integ_stop "$DNSPERF_PID"
integ_stop "$RESOLVER_PID"
integ_summary
