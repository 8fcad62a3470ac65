#!/bin/sh
# resolver.sh: timbre-resolverd against a real DNS hierarchy, compared
# with Unbound configured with the same root hints and trust anchor.
#
# The test runs in a network namespace of its own (unshare -rn), so that
# NSD can serve port 53 on 127.0.0.2-127.0.0.5 and nothing it does can
# reach another network.  The hierarchy, built and signed here with
# ldns-keygen and ldns-signzone:
#
#   .            127.0.0.2  signed (NSEC), trust anchor = its KSK's DS
#   test.        127.0.0.3  signed (NSEC), DS in the root
#   example.     127.0.0.5  unsigned: insecure delegation from the root
#   signed.test  127.0.0.4  signed (NSEC3), big TXT RRset (needs TCP)
#   bogus.test   127.0.0.4  signed, DS in test., one RRSIG broken
#   unsigned.test 127.0.0.4 unsigned (NSEC proves no DS), DNAME
#   glueless.test 127.0.0.4 NS ns.hosting.example. (no glue)
#   lame.test    127.0.0.2 (lame: the root), 127.0.0.9 (nobody), 127.0.0.4
#   hosting.example 127.0.0.4 unsigned, CNAME into signed.test
#   forged.test  127.0.0.6  signed (NSEC), DS in test.: dnsfake.py as a
#                           proxy to NSD on 127.0.0.4 that turns the
#                           NODATA of www.forged.test into NXDOMAIN
#
# Each case is asked of both resolvers with dig: rcode, AD and the answer
# RRsets (without TTLs and RRSIGs) must be what the case expects and the
# same for both.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

if [ -z "${RESOLVER_TEST_NETNS:-}" ]; then
	command -v unshare >/dev/null 2>&1 || integ_skip "unshare not found"
	command -v ip >/dev/null 2>&1 || integ_skip "ip (iproute2) not found"
	unshare -rn true 2>/dev/null ||
	    integ_skip "cannot create a network namespace (unshare -rn)"
	RESOLVER_TEST_NETNS=1
	export RESOLVER_TEST_NETNS top_srcdir top_builddir
	exec unshare -rn /bin/sh -c 'ip link set lo up && exec /bin/sh "$0"' \
	    "$0"
fi

integ_need_cmd nsd dig ldns-keygen ldns-signzone unbound
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
[ -x "$RESOLVERD" ] || integ_skip "$RESOLVERD not built"
# Leaks inside ldns are not ours (sanitizer builds only).
LSAN_OPTIONS=suppressions=$top_srcdir/tests/data/resolver/lsan.supp
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS ASAN_OPTIONS
integ_init
T=$INTEG_TMP
cd "$T"

# ---- zones ----
soa()
{
	printf '$TTL 300\n%s IN SOA %s hostmaster.%s 1 3600 900 604800 300\n' \
	    "$1" "$2" "$2"
}

# sign ZONE FILE [nsec3]: keys made here; FILE.signed; ZONE.ds the DS.
sign()
{
	local zone=$1 file=$2 ksk zsk

	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$zone")
	zsk=$(ldns-keygen -a ECDSAP256SHA256 "$zone")
	cat "$ksk.key" "$zsk.key" >>"$file"
	if [ "${3:-}" = nsec3 ]; then
		ldns-signzone -n -s abcd -t 2 "$file" "$ksk" "$zsk"
	else
		ldns-signzone "$file" "$ksk" "$zsk"
	fi
	cp "$ksk.ds" "$zone.ds"
	rm -f "$ksk.key" "$ksk.private" "$ksk.ds" "$zsk.key" "$zsk.private" \
	    "$zsk.ds"
}

# Second-level zones first: their DS go into test.
{
	soa signed.test. ns1.signed.test. signed.test.
	cat <<-EOF
	signed.test. NS ns1.signed.test.
	ns1.signed.test. A 127.0.0.4
	www.signed.test. A 192.0.2.10
	www.signed.test. MX 10 mail.signed.test.
	mail.signed.test. A 192.0.2.11
	alias.signed.test. CNAME www.signed.test.
	out.signed.test. CNAME www.unsigned.test.
	*.wild.signed.test. TXT "wildcard"
	EOF
	for i in $(seq 1 12); do
		printf 'big.signed.test. TXT "%s-%s"\n' "$i" \
		    "$(printf '%0200d' 0)"
	done
} >signed.test
sign signed.test signed.test nsec3

{
	soa bogus.test. ns1.bogus.test. bogus.test.
	cat <<-EOF
	bogus.test. NS ns1.bogus.test.
	ns1.bogus.test. A 127.0.0.4
	www.bogus.test. A 192.0.2.20
	EOF
} >bogus.test
sign bogus.test bogus.test
# Break the signature of www.bogus.test A: change one base64 character.
awk '$1 == "www.bogus.test." && $4 == "RRSIG" && $5 == "A" {
	s = $NF; c = substr(s, 10, 1); r = (c == "A") ? "B" : "A";
	$NF = substr(s, 1, 9) r substr(s, 11) } { print }' \
    bogus.test.signed >bogus.tmp && mv bogus.tmp bogus.test.signed

# A forged NXDOMAIN for an existing name carrying its genuine NSEC (a
# NODATA proof) must be bogus, not a secure denial of every type.
{
	soa forged.test. ns1.forged.test. forged.test.
	cat <<-EOF
	forged.test. NS ns1.forged.test.
	ns1.forged.test. A 127.0.0.6
	www.forged.test. A 192.0.2.60
	EOF
} >forged.test
sign forged.test forged.test

{
	soa unsigned.test. ns1.unsigned.test. unsigned.test.
	cat <<-EOF
	unsigned.test. NS ns1.unsigned.test.
	ns1.unsigned.test. A 127.0.0.4
	www.unsigned.test. A 192.0.2.30
	chain.unsigned.test. CNAME c2.hosting.example.
	dn.unsigned.test. DNAME signed.test.
	EOF
} >unsigned.test

{
	soa glueless.test. ns.hosting.example. glueless.test.
	cat <<-EOF
	glueless.test. NS ns.hosting.example.
	www.glueless.test. A 192.0.2.40
	EOF
} >glueless.test

{
	soa lame.test. ns2.lame.test. lame.test.
	cat <<-EOF
	lame.test. NS ns1.lame.test.
	lame.test. NS ns2.lame.test.
	lame.test. NS ns3.lame.test.
	ns1.lame.test. A 127.0.0.2
	ns2.lame.test. A 127.0.0.4
	ns3.lame.test. A 127.0.0.9
	www.lame.test. A 192.0.2.50
	EOF
} >lame.test

{
	soa hosting.example. ns.hosting.example. hosting.example.
	cat <<-EOF
	hosting.example. NS ns.hosting.example.
	ns.hosting.example. A 127.0.0.4
	c2.hosting.example. CNAME www.signed.test.
	EOF
} >hosting.example

{
	soa example. ns1.example. example.
	cat <<-EOF
	example. NS ns1.example.
	ns1.example. A 127.0.0.5
	hosting.example. NS ns.hosting.example.
	ns.hosting.example. A 127.0.0.4
	EOF
} >example

{
	soa test. ns1.test. test.
	cat <<-EOF
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	signed.test. NS ns1.signed.test.
	ns1.signed.test. A 127.0.0.4
	bogus.test. NS ns1.bogus.test.
	ns1.bogus.test. A 127.0.0.4
	unsigned.test. NS ns1.unsigned.test.
	ns1.unsigned.test. A 127.0.0.4
	glueless.test. NS ns.hosting.example.
	lame.test. NS ns1.lame.test.
	lame.test. NS ns2.lame.test.
	lame.test. NS ns3.lame.test.
	ns1.lame.test. A 127.0.0.2
	ns2.lame.test. A 127.0.0.4
	ns3.lame.test. A 127.0.0.9
	forged.test. NS ns1.forged.test.
	ns1.forged.test. A 127.0.0.6
	EOF
	cat signed.test.ds bogus.test.ds forged.test.ds
} >test
sign test test

{
	soa . a.root. .
	cat <<-EOF
	. NS a.root.
	a.root. A 127.0.0.2
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	example. NS ns1.example.
	ns1.example. A 127.0.0.5
	EOF
	cat test.ds
} >root
sign . root
cp ..ds root.ds

printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints

integ_nsd_start_at 127.0.0.2 root . root.signed ||
    { echo "not ok - NSD root"; exit 1; }
integ_nsd_start_at 127.0.0.3 test test test.signed ||
    { echo "not ok - NSD test"; exit 1; }
integ_nsd_start_at 127.0.0.5 example example example ||
    { echo "not ok - NSD example"; exit 1; }
integ_nsd_start_at 127.0.0.4 sld signed.test signed.test.signed \
    bogus.test bogus.test.signed unsigned.test unsigned.test \
    glueless.test glueless.test lame.test lame.test \
    hosting.example hosting.example forged.test forged.test.signed ||
    { echo "not ok - NSD second-level zones"; exit 1; }
printf '{"www.forged.test": [{"FORGE_NXDOMAIN": "MX"}]}\n' >forge.json
# The Debian interpreter, which has dnspython (as spf_suite.sh).
integ_spawn "$T/dnsfake.log" /usr/bin/python3 \
    "$top_srcdir/tests/integration/dnsfake.py" \
    --zone "$T/forge.json" --addr 127.0.0.6 --port 53 --forward 127.0.0.4
ok=
for i in $(seq 1 50); do
	if dig @127.0.0.6 +time=1 +tries=1 +norec forged.test SOA 2>/dev/null |
	    grep -q 'status: NOERROR'; then
		ok=1
		break
	fi
	sleep 0.2
done
[ -n "$ok" ] || { echo "not ok - dnsfake.py proxy for forged.test";
    sed 's/^/#   /' "$T/dnsfake.log"; exit 1; }

# ---- the resolvers ----
TPORT=5301
UPORT=5302
integ_spawn "$T/resolverd.log" "$RESOLVERD" -f --log-level debug \
    -c /dev/null --listen "127.0.0.1:$TPORT" --root-hints "$T/hints" \
    --trust-anchor "$T/root.ds"
RESOLVERD_PID=$INTEG_LAST_PID

integ_unbound_start 127.0.0.1 "$UPORT" \
    "    root-hints: \"$T/hints\"" \
    "    trust-anchor-file: \"$T/root.ds\"" \
    "    ede: yes" \
    "    # RFC 6761 names Unbound answers itself by default: here they are real." \
    "    local-zone: \"test.\" nodefault" \
    "    local-zone: \"example.\" nodefault"

for port in $TPORT $UPORT; do
	ok=
	for i in $(seq 1 50); do
		if dig @127.0.0.1 -p "$port" +time=1 +tries=1 . SOA \
		    >/dev/null 2>&1; then
			ok=1
			break
		fi
		sleep 0.2
	done
	[ -n "$ok" ] || { echo "not ok - resolver on port $port did not start";
	    tail -n 20 "$T/resolverd.log" "$T/unbound.log" "$T/unbound.out" \
	    2>/dev/null | sed 's/^/#   /'; exit 1; }
done

# bench/resolver/run.sh sets RESOLVER_BENCH_SECONDS: measure instead of
# checking.  Cold: the case names (but lame.test, whose dead server makes
# any resolver's time a matter of luck) resolved one by one from an empty
# cache, each resolver alone; then dnsperf cache-hit throughput,
# pre-warmed, three rounds alternating between the two, the best of each.
if [ -n "${RESOLVER_BENCH_SECONDS:-}" ]; then
	integ_need_cmd dnsperf
	cat >"$T/names" <<-EOF
	www.signed.test A
	www.signed.test MX
	alias.signed.test A
	www.signed.test AAAA
	nx.signed.test A
	big.signed.test TXT
	x.wild.signed.test TXT
	www.unsigned.test A
	nx.unsigned.test A
	out.signed.test A
	chain.unsigned.test A
	www.glueless.test A
	www.dn.unsigned.test A
	EOF
	ms()
	{
		local t0 t1

		t0=$(date +%s%N)
		dig @127.0.0.1 -p "$1" +dnssec +time=5 +tries=1 -f "$T/names" \
		    >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000))
	}
	tcold=$(ms $TPORT)
	ucold=$(ms $UPORT)
	for port in $TPORT $UPORT; do
		dnsperf -s 127.0.0.1 -p "$port" -d "$T/names" -l 1 -c 2 \
		    >/dev/null 2>&1 || true
	done
	qps()
	{
		dnsperf -s 127.0.0.1 -p "$1" -d "$T/names" -l \
		    "$RESOLVER_BENCH_SECONDS" -c 4 -q 200 2>&1 |
		    awk '/Queries per second/ { print int($4) }'
	}
	tq=0
	uq=0
	for round in 1 2 3; do
		q=$(qps $TPORT)
		[ "${q:-0}" -gt "$tq" ] && tq=$q
		q=$(qps $UPORT)
		[ "${q:-0}" -gt "$uq" ] && uq=$q
	done
	echo "cold resolution of 13 names: timbre ${tcold} ms, unbound" \
	    "${ucold} ms, ratio unbound/timbre $(awk "BEGIN { printf \"%.2f\", \
	    $ucold / ($tcold ? $tcold : 1) }")"
	echo "cache-hit qps (dnsperf, best of 3 x ${RESOLVER_BENCH_SECONDS} s):" \
	    "timbre $tq, unbound $uq, ratio timbre/unbound $(awk "BEGIN { \
	    printf \"%.2f\", ${tq:-0} / (${uq:-0} ? ${uq:-0} : 1) }")"
	exit 0
fi

# up ADDR PORT: waits (10 s at most) until a resolver answers there; a
# REFUSED is an answer.  A fixed sleep was too short under load.
up()
{
	local i

	for i in $(seq 1 50); do
		dig @"$1" -p "$2" +time=1 +tries=1 CH TXT version.bind. \
		    >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# logged FILE PATTERN COUNT: waits (10 s at most) until FILE has more
# than COUNT lines matching PATTERN.
logged()
{
	local i

	for i in $(seq 1 50); do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null || :)" -gt "$3" ] &&
		    return 0
		sleep 0.2
	done
	return 1
}

# ask PORT NAME TYPE [DIGOPTS]: "rcode ad|noad" then the answer RRsets
# sorted, one "owner type rdata" a line, without TTLs and RRSIGs.
ask()
{
	local port=$1 name=$2 type=$3 out

	shift 3
	out=$(dig @127.0.0.1 -p "$port" +time=10 +tries=2 +dnssec "$@" \
	    "$name" "$type" 2>&1) || true
	printf '%s\n' "$out" | awk '
		/status:/ { s = $6; sub(",", "", s) }
		/^;; flags:/ { ad = ($0 ~ / ad[ ;]/) ? "ad" : "noad" }
		END { print s, ad }'
	printf '%s\n' "$out" | awk '
		/^;; ANSWER SECTION/ { a = 1; next }
		/^;; / || /^$/ { a = 0 }
		a && $4 != "RRSIG" { $2 = ""; print tolower($0) }' | sort
}

# case NAME TYPE EXPECT [DIGOPTS]: EXPECT is "RCODE ad|noad".
check()
{
	local name=$1 type=$2 expect=$3 t u

	shift 3
	t=$(ask $TPORT "$name" "$type" "$@")
	u=$(ask $UPORT "$name" "$type" "$@")
	if [ "$(echo "$t" | head -n 1)" != "$expect" ]; then
		integ_notok "$name $type $*: timbre answers $(echo "$t" |
		    head -n 1), expected $expect" "timbre:" "$t" \
		    "unbound:" "$u"
	elif [ "$t" != "$u" ]; then
		integ_notok "$name $type $*: timbre and unbound differ" \
		    "timbre:" "$t" "unbound:" "$u"
	else
		integ_ok "$name $type $* ($pass): $expect, same as unbound"
	fi
}

# Every case twice: resolved, then from the cache.
for pass in resolved cached; do
	check . SOA "NOERROR ad"
	check test. NS "NOERROR ad"
	check www.signed.test. A "NOERROR ad"
	check www.signed.test. MX "NOERROR ad"
	check alias.signed.test. A "NOERROR ad"
	check www.signed.test. AAAA "NOERROR ad"
	check nx.signed.test. A "NXDOMAIN ad"
	check big.signed.test. TXT "NOERROR ad"
	check x.wild.signed.test. TXT "NOERROR ad"
	check signed.test. DNSKEY "NOERROR ad"
	check signed.test. DS "NOERROR ad"
	check www.unsigned.test. A "NOERROR noad"
	check www.unsigned.test. AAAA "NOERROR noad"
	check unsigned.test. DS "NOERROR ad"
	check nx.unsigned.test. A "NXDOMAIN noad"
	check out.signed.test. A "NOERROR noad"
	check chain.unsigned.test. A "NOERROR noad"
	check www.glueless.test. A "NOERROR noad"
	check www.lame.test. A "NOERROR noad"
	check www.bogus.test. A "SERVFAIL noad"
	check www.bogus.test. A "NOERROR noad" +cd
	check nx.test. A "NXDOMAIN ad"
	check nothere. A "NXDOMAIN ad"
	check www.dn.unsigned.test. A "NOERROR noad"
	check www.forged.test. A "NOERROR ad"
	check nx.forged.test. A "NXDOMAIN ad"
done

# The forged NXDOMAIN of www.forged.test MX (its genuine NSEC, a NODATA
# proof): timbre finds it bogus (SERVFAIL); Unbound answers the NODATA
# the NSEC proves (NOERROR, AD).  Neither may answer NXDOMAIN with AD,
# and the forgery must not deny the name's other types afterwards.
for pass in resolved cached; do
	t=$(ask $TPORT www.forged.test. MX | head -n 1)
	u=$(ask $UPORT www.forged.test. MX | head -n 1)
	if [ "$t" = "SERVFAIL noad" ] && [ "$u" != "NXDOMAIN ad" ]; then
		integ_ok "forged NXDOMAIN ($pass): timbre $t, unbound $u"
	else
		integ_notok "forged NXDOMAIN ($pass): timbre $t (expected" \
		    "SERVFAIL noad), unbound $u"
	fi
done
pass=after-forgery
check www.forged.test. TXT "NOERROR ad"

# QNAME minimisation (RFC 9156): the root saw only names one label long
# (and a whole name only as the lame server of lame.test); it must have
# seen some, or nothing is proved.
if ! grep -q ' ask 127.0.0.2 ' "$T/resolverd.log"; then
	integ_notok "root servers see minimised names only" \
	    "no question to 127.0.0.2 in the log"
elif grep ' ask 127.0.0.2 ' "$T/resolverd.log" | grep -iv 'q=www.lame.test.' |
    grep -qiv ' q=\(\.\|test\.\|example\.\|nothere\.\) '; then
	integ_notok "root servers see minimised names only" \
	    "$(grep ' ask 127.0.0.2 ' "$T/resolverd.log")"
else
	integ_ok "root servers see minimised names only"
fi
# 0x20: questions went out in mixed case (NSD echoes it).
if grep ' ask ' "$T/resolverd.log" | grep -q ' q=[^ ]*[A-Z]'; then
	integ_ok "0x20: questions in random case"
else
	integ_notok "0x20: questions in random case"
fi
# EDE on the bogus answer (RFC 8914): timbre says why.
if dig @127.0.0.1 -p $TPORT +dnssec www.bogus.test A 2>&1 |
    grep -q 'EDE: [0-9]'; then
	integ_ok "bogus answer carries an extended DNS error"
else
	integ_notok "bogus answer carries an extended DNS error"
fi
# A wildcard answer comes with its NSEC3 proof of no closer match.
if dig @127.0.0.1 -p $TPORT +dnssec x.wild.signed.test TXT |
    sed -n '/AUTHORITY SECTION/,/^$/p' |
    grep -q 'IN[[:space:]]*NSEC3[[:space:]]'
then
	integ_ok "wildcard answer carries its NSEC3 proof"
else
	integ_notok "wildcard answer carries its NSEC3 proof"
fi
# TCP from the client, and truncation for a small EDNS size.
if dig @127.0.0.1 -p $TPORT +tcp +short big.signed.test TXT |
    grep -c '"' | grep -qx 12; then
	integ_ok "big TXT over TCP from the client"
else
	integ_notok "big TXT over TCP from the client"
fi
if dig @127.0.0.1 -p $TPORT +ignore +bufsize=512 big.signed.test TXT |
    grep -q 'flags:.* tc'; then
	integ_ok "answer larger than the client's EDNS size is truncated"
else
	integ_notok "answer larger than the client's EDNS size is truncated"
fi
# Malformed query: FORMERR (a header with QDCOUNT 2 and no question).
if python3 - "$TPORT" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b'\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00',
         ('127.0.0.1', int(sys.argv[1])))
d = s.recv(4096)
sys.exit(0 if d[:2] == b'\x12\x34' and d[3] & 0x0f == 1 else 1)
EOF
then
	integ_ok "malformed query gets FORMERR"
else
	integ_notok "malformed query gets FORMERR"
fi
# REFUSED outside --allow: a second instance allowing only 10.0.0.0/8.
: >"$T/resolverd2.conf"
integ_spawn "$T/resolverd2.log" "$RESOLVERD" -f -c "$T/resolverd2.conf" \
    --listen "127.0.0.1:5303" --allow 10.0.0.0/8 --root-hints "$T/hints" \
    --trust-anchor "$T/root.ds"
R2_PID=$INTEG_LAST_PID
up 127.0.0.1 5303 || :
if dig @127.0.0.1 -p 5303 +time=2 +tries=1 www.signed.test A |
    grep -q 'status: REFUSED'; then
	integ_ok "client outside --allow is refused"
else
	integ_notok "client outside --allow is refused"
fi
if dig @127.0.0.1 -p 5303 +time=2 +tries=1 CH TXT stats.timbre. |
    grep -q 'status: REFUSED'; then
	integ_ok "statistics refused outside --allow"
else
	integ_notok "statistics refused outside --allow"
fi
# SIGHUP with a file that does not parse: the old configuration kept,
# nothing of the half-read one left behind (LeakSanitizer, in the
# sanitizer build).
printf 'cache-min-ttl = 5\ncache-size = lots\n' >"$T/resolverd2.conf"
kill -HUP "$R2_PID"
logged "$T/resolverd2.log" 'reload failed' 0 || :
if grep -q 'reload failed, old configuration kept: .*cache-size' \
    "$T/resolverd2.log" && dig @127.0.0.1 -p 5303 +time=2 +tries=1 \
    www.signed.test A | grep -q 'status: REFUSED'; then
	integ_ok "SIGHUP with a bad file: old configuration kept, still serving"
else
	integ_notok "SIGHUP with a bad file: old configuration kept" \
	    "$(tail -n 3 "$T/resolverd2.log")"
fi
# IPv6: a listener on [::1] (when the namespace has IPv6), UDP and TCP.
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	integ_spawn "$T/resolverd4.log" "$RESOLVERD" -f -c /dev/null \
	    --listen "[::1]:5305" --root-hints "$T/hints" \
	    --trust-anchor "$T/root.ds"
	up ::1 5305 || :
	if dig @::1 -p 5305 +time=5 +dnssec www.signed.test A |
	    grep -q 'flags:.* ad' &&
	    dig @::1 -p 5305 +time=5 +tcp www.signed.test A |
	    grep -q 'status: NOERROR'; then
		integ_ok "IPv6 listener, UDP and TCP"
	else
		integ_notok "IPv6 listener, UDP and TCP" \
		    "$(tail -n 5 "$T/resolverd4.log")"
	fi
else
	integ_skipcase "IPv6 listener, UDP and TCP" "no ::1 here"
fi
# Exit status: 2 for a usage error, 1 for a bad configuration (naming
# what and where), 0 for --help.
rc=0; "$RESOLVERD" --bogus-option >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && integ_ok "usage error: exit 2" ||
    integ_notok "usage error: exit 2" "exit status $rc"
printf '. 3600 IN NS a.root.\nbroken line here\n' >"$T/badhints"
rc=0; msg=$("$RESOLVERD" -c /dev/null --root-hints "$T/badhints" 2>&1) ||
    rc=$?
if [ "$rc" = 1 ] && echo "$msg" | grep -q "badhints.*line 2"; then
	integ_ok "bad root hints: exit 1 naming file and line"
else
	integ_notok "bad root hints: exit 1 naming file and line" \
	    "exit status $rc: $msg"
fi
rc=0; "$RESOLVERD" -c /dev/null --allow 10.0.0.0/33 >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] && integ_ok "bad --allow: exit 1" ||
    integ_notok "bad --allow: exit 1" "exit status $rc"
# --no-dnssec: the bogus zone's data is given, without AD.
integ_spawn "$T/resolverd3.log" "$RESOLVERD" -f -c /dev/null \
    --listen "127.0.0.1:5304" --no-dnssec --root-hints "$T/hints"
up 127.0.0.1 5304 || :
if [ "$(ask 5304 www.bogus.test. A)" = "NOERROR noad
www.bogus.test.  in a 192.0.2.20" ]; then
	integ_ok "--no-dnssec answers bogus data without AD"
else
	integ_notok "--no-dnssec answers bogus data without AD" \
	    "$(ask 5304 www.bogus.test. A)"
fi
# Statistics with a control command: CH TXT stats.timbre., one string
# per counter; the cases above made queries, secure and bogus answers.
stats=$(dig @127.0.0.1 -p $TPORT +time=2 +tries=1 +short CH TXT \
    stats.timbre.)
if echo "$stats" | grep -q '^"queries=[1-9][0-9]*"$' &&
    echo "$stats" | grep -q '^"secure=[1-9][0-9]*"$' &&
    echo "$stats" | grep -q '^"bogus=[1-9][0-9]*"$' &&
    echo "$stats" | grep -q '^"insecure=[1-9][0-9]*"$' &&
    echo "$stats" | grep -q '^"cache-hits=[0-9][0-9]*"$' &&
    echo "$stats" | grep -q '^"upstream-timeouts=[0-9][0-9]*"$' &&
    dig @127.0.0.1 -p $TPORT +time=2 +tries=1 CH TXT stats.timbre. |
    grep -q 'flags: qr aa'; then
	integ_ok "CH TXT stats.timbre. gives the statistics"
else
	integ_notok "CH TXT stats.timbre. gives the statistics" "$stats"
fi
if dig @127.0.0.1 -p $TPORT +time=2 +tries=1 +short CH TXT version.bind. |
    grep -q '^"timbre-resolverd [0-9]' &&
    dig @127.0.0.1 -p $TPORT +time=2 +tries=1 CH TXT other.timbre. |
    grep -q 'status: REFUSED'; then
	integ_ok "CH TXT version.bind., other CHAOS names refused"
else
	integ_notok "CH TXT version.bind., other CHAOS names refused"
fi
# Statistics on SIGUSR1, reload on SIGHUP, still answering after both.
n=$(grep -c 'resolver reload done' "$T/resolverd.log" || :)
kill -USR1 "$RESOLVERD_PID"
sleep 0.3
kill -HUP "$RESOLVERD_PID"
logged "$T/resolverd.log" 'resolver reload done' "$n" || :
if grep -q 'resolver stats queries=' "$T/resolverd.log" &&
    grep -q 'resolver reload done' "$T/resolverd.log" &&
    [ "$(ask $TPORT www.signed.test. A | head -n 1)" = "NOERROR ad" ]; then
	integ_ok "SIGUSR1 statistics, SIGHUP reload"
else
	integ_notok "SIGUSR1 statistics, SIGHUP reload" \
	    "$(grep 'resolver \(stats\|reload\)' "$T/resolverd.log")"
fi
# SIGTERM: clean exit 0.
kill -TERM "$RESOLVERD_PID"
rc=0
wait "$RESOLVERD_PID" || rc=$?
integ_untrack "$RESOLVERD_PID"
if [ "$rc" = 0 ]; then
	integ_ok "SIGTERM: exit 0"
else
	integ_notok "SIGTERM: exit 0" "exit status $rc"
fi
if [ -n "${RESOLVER_TEST_VERBOSE:-}" ] || [ "$INTEG_FAIL" -gt 0 ]; then
	grep -v ' ask ' "$T/resolverd.log" | tail -n 40 | sed 's/^/# /'
fi
integ_summary
