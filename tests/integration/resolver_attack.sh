#!/bin/sh
# resolver_attack.sh: timbre-resolverd against an attacker (issue 16, item
# 3), each case asked of it and of Unbound on the same fixture, in a
# network namespace of the test's own (unshare -rn).  The hierarchy:
#
#   .          127.0.0.2  NSD, signed (NSEC), trust anchor = its KSK's DS
#   test.      127.0.0.3  NSD, signed (NSEC), DS in the root
#   vic.test.  127.0.0.5  NSD, unsigned (the victim: www A 192.0.2.10)
#   n3.test.   127.0.0.5  NSD, signed with NSEC3 of 2 500 iterations
#   ex.test.   127.0.0.5  NSD, signed, signatures expired a month ago
#   atk.test.  127.0.0.4  resolver_attack.py, unsigned, hostile
#
# The hostile server's cases are described atop resolver_attack.py:
# records out of bailiwick in every section, poisoned glue, referrals to
# itself and upwards, a CNAME loop, a 64 KiB answer and one of 5 000
# records over TCP, and an off-path spoofer racing answers with other IDs,
# to other ports and with the question's 0x20 case flipped.  Its poison
# is 6.6.6.6: after each case the victim names (www.vic.test.,
# ns.vic.test., www.test., ns1.test.) are asked again, and each must
# still have its true address, with AD where signed: nothing was cached
# from the attack.  Then: RFC 9276 (NSEC3 of 2 500 iterations: insecure,
# with EDE 27 at timbre; Unbound 1.17 gives none), expired signatures
# (SERVFAIL, EDE 7; Unbound 1.17 says 6), a client outside --allow refused,
# and the sizes of the UDP answers to a source that proved nothing (no
# cookie, no TCP) no larger than Unbound's.
#
# Unbound runs with use-caps-for-id (0x20) like timbre, so both check the
# case of the question.  Two cases end differently, both safely, and
# assert timbre's end and show Unbound's: the race (Unbound's 0x20
# fallback gives SERVFAIL) and the referral to itself (Unbound: NODATA).
# The wrong-port datagrams never reach the resolver (the kernel drops
# them): only their harmlessness is shown, not a count.
# RD_UNBOUND_DEBUG=1 raises Unbound's verbosity to 4 (its log is shown
# on failure, or with RESOLVER_TEST_VERBOSE=1).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/resolver_dnssec_lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import dns.message' 2>/dev/null ||
    integ_skip "dnspython (python3-dnspython) not installed"
integ_init
T=$INTEG_TMP
cd "$T"

# The victim and the DNSSEC cases.
{
	rd_soa vic.test. ns.vic.test.
	cat <<-EOF
	vic.test. NS ns.vic.test.
	ns.vic.test. A 127.0.0.5
	www.vic.test. A 192.0.2.10
	EOF
} >vic.test
for z in n3 ex; do
	{
		rd_soa $z.test. ns.vic.test.
		printf '%s.test. NS ns.vic.test.\nwww.%s.test. A 192.0.2.11\n' \
		    $z $z
	} >$z.test
done
rd_sign n3.test n3.test nsec3 "-s abcd -t 2500"
now=$(date +%s)
RD_SIGN_DATES="-i $((now - 5184000)) -e $((now - 2592000))" \
    rd_sign ex.test ex.test
{
	rd_soa test. ns1.test.
	cat <<-EOF
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	www.test. A 192.0.2.1
	vic.test. NS ns.vic.test.
	ns.vic.test. A 127.0.0.5
	atk.test. NS ns.atk.test.
	ns.atk.test. A 127.0.0.4
	n3.test. NS ns.vic.test.
	ex.test. NS ns.vic.test.
	EOF
	cat n3.test.ds ex.test.ds
} >test
rd_sign test test
{
	rd_soa . a.root.
	cat <<-EOF
	. NS a.root.
	a.root. A 127.0.0.2
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	EOF
	cat test.ds
} >root
rd_sign . root
cp ..ds root.ds
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints

integ_nsd_start_at 127.0.0.2 root . root.signed ||
    { echo "not ok - NSD root"; exit 1; }
integ_nsd_start_at 127.0.0.3 test test test.signed ||
    { echo "not ok - NSD test."; exit 1; }
integ_nsd_start_at 127.0.0.5 vic vic.test vic.test n3.test n3.test.signed \
    ex.test ex.test.signed || { echo "not ok - NSD vic.test."; exit 1; }
integ_spawn "$T/attack.log" "$PY" \
    "$top_srcdir/tests/integration/resolver_attack.py" 127.0.0.4
for i in $(seq 1 50); do
	grep -q ready "$T/attack.log" 2>/dev/null && break
	sleep 0.1
done

# Both resolvers, Unbound with 0x20 on as timbre has it.
RD_UNBOUND_EXTRA="    use-caps-for-id: yes${RD_UNBOUND_DEBUG:+
    verbosity: 4}"
rd_resolvers "$T/hints" "$T/root.ds"

# stat NAME: a statistic of timbre-resolverd (CH TXT stats.timbre.).
stat()
{
	dig @127.0.0.1 -p $TPORT +short CH TXT stats.timbre. |
	    tr ' ' '\n' | tr -d '"' | sed -n "s/^$1=//p"
}

# clean CASE: the victims still have their true addresses, at both.
clean()
{
	local what=$1 port out bad=

	for port in $TPORT $UPORT; do
		for v in "www.vic.test. 192.0.2.10 noad" \
		    "ns.vic.test. 127.0.0.5 noad" "www.test. 192.0.2.1 ad" \
		    "ns1.test. 127.0.0.3 ad" "ns.atk.test. 127.0.0.4 noad"; do
			set -- $v
			out=$(rd_ask $port "$1" A)
			if [ "$(echo "$out" | head -n 1)" != "NOERROR $3" ] ||
			    ! echo "$out" | grep -q " a $2\$" ||
			    echo "$out" | grep -q 6.6.6.6; then
				bad="$bad port $port $1: $(echo "$out" |
				    tr '\n' ' ');"
			fi
		done
	done
	if [ -z "$bad" ]; then
		integ_ok "after $what: nothing cached from it"
	else
		integ_notok "after $what: nothing cached from it" "$bad"
	fi
}

# same NAME TYPE EXPECT: rcode and AD as EXPECT, the answer
# without the poison, the same at both resolvers.
same()
{
	local name=$1 type=$2 expect=$3 t u

	t=$(rd_ask $TPORT "$name" "$type")
	u=$(rd_ask $UPORT "$name" "$type")
	if [ "$(echo "$t" | head -n 1)" != "$expect" ] ||
	    echo "$t" | grep -q 6.6.6.6; then
		integ_notok "$name $type: $expect" "timbre:" "$t" \
		    "unbound:" "$u"
	elif [ "$t" != "$u" ]; then
		integ_notok "$name $type: timbre and unbound differ" \
		    "timbre:" "$t" "unbound:" "$u"
	else
		integ_ok "$name $type: $expect, same as unbound"
	fi
}

clean "start"

# Out of bailiwick in the authority and additional sections, in the
# answer section, and behind a CNAME.
same oob.atk.test. A "NOERROR noad"
clean "out-of-bailiwick authority and additional"
same ans.atk.test. A "NOERROR noad"
clean "an out-of-bailiwick answer record"
same cn.atk.test. A "NOERROR noad"
clean "a CNAME with its target's record"

# The spoofer's race.
wid0=$(stat upstream-wrong-id)
mis0=$(stat upstream-mismatch)
# The true answer at timbre, which asks again without 0x20 after the
# flipped case; Unbound's 0x20 fallback asks again and compares what
# came back, finds the spoofed answer among them and ends with SERVFAIL.
# Neither takes 6.6.6.6.
t=$(rd_ask $TPORT race.atk.test. A)
u=$(rd_ask $UPORT race.atk.test. A)
if [ "$t" = "NOERROR noad
race.atk.test.  in a 192.0.2.30" ] && ! echo "$u" | grep -q 6.6.6.6; then
	integ_ok "race.atk.test. A: the true answer (unbound:" \
	    "$(echo "$u" | head -n 1), not spoofed either)"
else
	integ_notok "race.atk.test. A: the true answer" "timbre:" "$t" \
	    "unbound:" "$u"
fi
clean "the spoofer's race"
wid=$(( $(stat upstream-wrong-id) - ${wid0:-0} ))
mis=$(( $(stat upstream-mismatch) - ${mis0:-0} ))
if [ "$wid" -ge 5 ] && [ "$mis" -ge 1 ]; then
	integ_ok "spoofed datagrams counted: $wid other IDs, $mis flipped case"
else
	integ_notok "spoofed datagrams counted" \
	    "upstream-wrong-id +$wid (want 5 or more)," \
	    "upstream-mismatch +$mis (want 1 or more)"
fi

# 64 KiB and 5 000 records over TCP; the client asks over TCP too.
for n in big many; do
	t=$(dig @127.0.0.1 -p $TPORT +tcp +time=10 +tries=1 $n.atk.test. TXT \
	    2>&1 | awk '/status:/ { s = $6 } /ANSWER:/ { a = $9 } END {
	    print s, a }')
	u=$(dig @127.0.0.1 -p $UPORT +tcp +time=10 +tries=1 $n.atk.test. TXT \
	    2>&1 | awk '/status:/ { s = $6 } /ANSWER:/ { a = $9 } END {
	    print s, a }')
	if [ "$t" = "$u" ]; then
		integ_ok "$n.atk.test. TXT over TCP: $t, same as unbound"
	else
		integ_notok "$n.atk.test. TXT over TCP: timbre and unbound" \
		    "differ" "timbre: $t" "unbound: $u"
	fi
done
clean "answers of 64 KiB and of 5 000 records"

# Amplification: the answers to a UDP source that proved nothing are no
# larger than Unbound's (its edns-buffer-size, 1232, or 512 without
# EDNS), whatever the client's buffer.
for q in "mid.atk.test. TXT" "big.atk.test. TXT" "test. DNSKEY" \
    ". DNSKEY"; do
	for o in +bufsize=4096 +noedns; do
		# shellcheck disable=SC2086
		t=$(dig @127.0.0.1 -p $TPORT +ignore +dnssec $o $q |
		    sed -n 's/.*MSG SIZE  rcvd: //p')
		# shellcheck disable=SC2086
		u=$(dig @127.0.0.1 -p $UPORT +ignore +dnssec $o $q |
		    sed -n 's/.*MSG SIZE  rcvd: //p')
		if [ -n "$t" ] && [ -n "$u" ] && [ "$t" -le "$u" ]; then
			integ_ok "$q $o over UDP: $t octets (unbound $u)"
		else
			integ_notok "$q $o over UDP: $t octets," \
			    "more than unbound's ${u:-?}"
		fi
	done
done

# A CNAME loop.
same a.loop.atk.test. A "SERVFAIL noad"
clean "a CNAME loop"

# Poisoned glue, a referral to itself, a referral upwards.  Last: after
# these Unbound holds the server lame for atk.test. (its infrastructure
# cache), and the cases above would fail there.
same www.glue.atk.test. A "SERVFAIL noad"
clean "poisoned glue"
# The server refers self.atk.test. to itself again and again: timbre
# gives up on the zone (SERVFAIL); Unbound drops the repeated NS RRset
# as out of the zone asked and takes what is left (no answer, no AA) as
# NODATA.  Neither caches anything of it: the case asserts timbre's
# answer and shows Unbound's.
t=$(rd_ask $TPORT www.self.atk.test. A)
u=$(rd_ask $UPORT www.self.atk.test. A)
if [ "$t" = "SERVFAIL noad" ] && ! echo "$u" | grep -q 6.6.6.6; then
	integ_ok "www.self.atk.test. A: SERVFAIL (unbound: $(echo "$u" |
	    tr '\n' ' ')NODATA)"
else
	integ_notok "www.self.atk.test. A: SERVFAIL" "timbre:" "$t" \
	    "unbound:" "$u"
fi
clean "a referral to itself"
same www.up.atk.test. A "SERVFAIL noad"
clean "an upward referral"

# RFC 9276: NSEC3 of 2 500 iterations is not trusted; both call the
# zone's denials insecure (no AD), its signed answers stay secure.
same www.n3.test. A "NOERROR ad"
same nothere.n3.test. A "NXDOMAIN noad"
# Expired signatures: SERVFAIL, with EDE 7 (RFC 8914).
same www.ex.test. A "SERVFAIL noad"
# ede PORT NAME [+nodnssec]: the EDE code of the answer, or "none".
ede()
{
	local e do=+dnssec

	[ "${3:-}" = +nodnssec ] && do=+nodnssec
	e=$(dig @127.0.0.1 -p "$1" $do "$2" A |
	    sed -n 's/.*EDE: \([0-9]*\).*/\1/p' | head -n 1)
	echo "${e:-none}"
}
t=$(ede $TPORT www.ex.test.)
u=$(ede $UPORT www.ex.test.)
# Unbound 1.17 says 6 (DNSSEC Bogus) when the DNSKEY RRset's signature
# expired.
[ "$t" = 7 ] &&
    integ_ok "www.ex.test. A: EDE 7 (signature expired; unbound: $u)" ||
    integ_notok "www.ex.test. A: EDE 7" "timbre: EDE $t, unbound: EDE $u"
# RFC 9276 section 3.2: the insecure answer says why, EDE 27 (a SHOULD,
# which Unbound 1.17 does not do): resolved, from the answers cache, and
# built again from the RRset cache (without DO: another answer).
for pass in resolved cached +nodnssec; do
	t=$(ede $TPORT nothere2.n3.test. "$pass")
	u=$(ede $UPORT nothere2.n3.test. "$pass")
	[ "$t" = 27 ] &&
	    integ_ok "nothere2.n3.test. A ($pass): EDE 27 (unbound: $u)" ||
	    integ_notok "nothere2.n3.test. A ($pass): EDE 27" \
	    "timbre: EDE $t, unbound: EDE $u"
done

# An open resolver is an amplifier: outside --allow, REFUSED, no larger
# than the question; a client inside gets its answer.
integ_spawn "$T/resolverd2.log" "$RESOLVERD" -f -c /dev/null \
    --listen "127.0.0.1:5313" --allow 127.0.0.9/32 --root-hints "$T/hints" \
    --trust-anchor "$T/root.ds"
rd_wait_port 5313 || true
out=$(dig @127.0.0.1 -p 5313 +time=2 +tries=1 +bufsize=4096 test. DNSKEY 2>&1)
sz=$(echo "$out" | sed -n 's/.*MSG SIZE  rcvd: //p')
if echo "$out" | grep -q 'status: REFUSED' && [ "${sz:-9999}" -le 60 ]; then
	integ_ok "outside --allow: REFUSED in $sz octets"
else
	integ_notok "outside --allow: REFUSED, small" "$out"
fi
if dig @127.0.0.1 -p 5313 -b 127.0.0.9 +time=5 +tries=1 www.test. A |
    grep -q 'status: NOERROR'; then
	integ_ok "inside --allow: answered"
else
	integ_notok "inside --allow: answered"
fi

if [ -n "${RESOLVER_TEST_VERBOSE:-}" ] || [ "$INTEG_FAIL" -gt 0 ]; then
	grep -v ' ask ' "$T/resolverd.log" | tail -n 40 | sed 's/^/# /'
	tail -n 20 "$T/attack.log" | sed 's/^/# /'
	grep -i 'race\|self\|n3.test\|error' "$T/unbound.log" | tail -n 40 |
	    sed 's/^/# unbound: /'
fi
integ_summary
