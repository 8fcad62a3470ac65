#!/bin/sh
# resolver_dnssec.sh: DNSSEC proof shapes asked of timbre-resolverd and
# of Unbound (resolved, then from the cache) in a network namespace of
# the test's own: the three issue 18 names (a CNAME to a missing name of
# the same NSEC or NSEC3 zone, an empty non-terminal whose only child is
# a wildcard), their neighbours, and the same under NSEC3 opt-out, where
# timbre once gave AD to wildcard answers and wildcard NODATA whose next
# closer name lay in an opt-out span (RFC 5155 section 9.2).  The
# hierarchy, signed with ldns-keygen and ldns-signzone:
#
#   .            127.0.0.2  signed (NSEC), trust anchor = its KSK's DS
#   test.        127.0.0.3  signed (NSEC), DS in the root
#   n3.test.     127.0.0.4  signed (NSEC3, no opt-out), DS in test.
#   ns.test.     127.0.0.4  signed (NSEC), DS in test.
#   oo.test.     127.0.0.4  signed (NSEC3 with opt-out), DS in test.
#   ex.test.     127.0.0.4  signed (NSEC), DS in test., signatures expired
#   n3t.         127.0.0.3  signed (NSEC3), DS in the root
#
# In each of them and in test.: a CNAME to a name that does not exist
# in the same zone (RFC 6604: NXDOMAIN, the CNAME kept in the answer),
# a chain of two CNAMEs ending there, and an empty non-terminal whose
# only child is a wildcard (w, with *.w: NODATA for w itself).
#
# For each case: rcode, AD and the answer records (owner, type, rdata,
# RRSIGs included, TTLs left out) must be what the case expects and the
# same for both resolvers.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/resolver_dnssec_lib.sh"
integ_init
T=$INTEG_TMP
cd "$T"

# shapes ZONE: the records of every case, in ZONE.
shapes()
{
	cat <<-EOF
	www.$1. A 192.0.2.1
	cn.$1. CNAME nothere.$1.
	cn2.$1. CNAME cn.$1.
	cnw.$1. CNAME www.$1.
	*.w.$1. A 192.0.2.2
	a.b.c.$1. TXT "deep"
	cnd.$1. CNAME a.b.nothere.$1.
	cnx.$1. CNAME x.c.$1.
	cne.$1. CNAME b.c.$1.
	cnq.$1. CNAME q.w.$1.
	EOF
}

for z in n3 ns oo; do
	{
		rd_soa $z.test. ns1.$z.test.
		cat <<-EOF
		$z.test. NS ns1.$z.test.
		ns1.$z.test. A 127.0.0.4
		EOF
		shapes $z.test
	} >$z.test
done
rd_sign n3.test n3.test nsec3
rd_sign ns.test ns.test
rd_sign oo.test oo.test nsec3 "-s abcd -t 0 -p"
# Signatures that expired a month ago: every answer of the zone is bogus,
# its DNSKEY RRset first.
{
	rd_soa ex.test. ns1.ex.test.
	cat <<-EOF
	ex.test. NS ns1.ex.test.
	ns1.ex.test. A 127.0.0.4
	www.ex.test. A 192.0.2.3
	mail.ex.test. A 192.0.2.4
	EOF
} >ex.test
now=$(date +%s)
RD_SIGN_DATES="-i $((now - 5184000)) -e $((now - 2592000))" \
    rd_sign ex.test ex.test
{
	rd_soa n3t. ns1.n3t.
	cat <<-EOF
	n3t. NS ns1.n3t.
	ns1.n3t. A 127.0.0.3
	EOF
	shapes n3t
} >n3t
rd_sign n3t n3t nsec3

{
	rd_soa test. ns1.test.
	cat <<-EOF
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	n3.test. NS ns1.n3.test.
	ns1.n3.test. A 127.0.0.4
	ns.test. NS ns1.ns.test.
	ns1.ns.test. A 127.0.0.4
	oo.test. NS ns1.oo.test.
	ns1.oo.test. A 127.0.0.4
	ex.test. NS ns1.ex.test.
	ns1.ex.test. A 127.0.0.4
	EOF
	cat n3.test.ds ns.test.ds oo.test.ds ex.test.ds
	shapes test
} >test
rd_sign test test

{
	rd_soa . a.root.
	cat <<-EOF
	. NS a.root.
	a.root. A 127.0.0.2
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	n3t. NS ns1.n3t.
	ns1.n3t. A 127.0.0.3
	EOF
	cat test.ds n3t.ds
} >root
rd_sign . root
cp ..ds root.ds
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints

integ_nsd_start_at 127.0.0.2 root . root.signed ||
    { echo "not ok - NSD root"; exit 1; }
integ_nsd_start_at 127.0.0.3 tld test test.signed n3t n3t.signed ||
    { echo "not ok - NSD test"; exit 1; }
integ_nsd_start_at 127.0.0.4 sld n3.test n3.test.signed \
    ns.test ns.test.signed oo.test oo.test.signed ex.test ex.test.signed ||
    { echo "not ok - NSD second-level zones"; exit 1; }

rd_resolvers "$T/hints" "$T/root.ds"

# cases ZONE NX WC: every case in ZONE; NX is what an NXDOMAIN proof
# gives ("ad", or "noad" under opt-out), WC what a wildcard's proof of no
# closer name gives.
cases()
{
	local z=$1 nx=$2 wc=$3

	# RFC 6604 section 3: the rcode is the last name's, the chain
	# stays in the answer.
	rd_check cn.$z. A "NXDOMAIN $nx" "cname rrsig"
	rd_check cn2.$z. A "NXDOMAIN $nx" "cname rrsig"
	rd_check cn.$z. CNAME "NOERROR ad" "cname rrsig"
	rd_check cnw.$z. A "NOERROR ad" "a cname rrsig"
	rd_check cnd.$z. A "NXDOMAIN $nx" "cname rrsig"
	rd_check cnx.$z. A "NXDOMAIN $nx" "cname rrsig"
	rd_check cne.$z. A "NOERROR ad" "cname rrsig"
	rd_check cnq.$z. A "NOERROR $wc" "a cname rrsig"
	rd_check cnq.$z. TXT "NOERROR $wc" "cname rrsig"
	# An empty non-terminal whose only child is a wildcard.
	rd_check w.$z. A "NOERROR ad" "-"
	rd_check w.$z. TXT "NOERROR ad" "-"
	rd_check x.w.$z. A "NOERROR $wc" "a rrsig"
	rd_check x.w.$z. TXT "NOERROR $wc" "-"
	rd_check y.x.w.$z. A "NOERROR $wc" "a rrsig"
	# Empty non-terminals without a wildcard, and a name below one.
	rd_check b.c.$z. A "NOERROR ad" "-"
	rd_check c.$z. TXT "NOERROR ad" "-"
	rd_check x.c.$z. A "NXDOMAIN $nx" "-"
	rd_check nothere.$z. A "NXDOMAIN $nx" "-"
}

for pass in resolved cached; do
	for z in n3.test ns.test test n3t; do
		cases $z ad ad
	done
	# NSEC3 opt-out: the denials of names and the wildcard answers
	# rest on spans that could hide an unsigned delegation (RFC 5155
	# sections 8.4, 9.2): no AD, from either resolver.
	cases oo.test noad noad
done
# RFC 8914: the SERVFAIL of a zone whose signatures expired says so
# (EDE 7, Signature Expired), resolved, from the cache, and for another
# name of the zone, whose answer rests on the DNSKEY RRset found bogus
# before (timbre once said only 6, DNSSEC Bogus, from the cache; so does
# Unbound 1.17 when it answers from its cache).
ede()
{
	dig @127.0.0.1 -p "$1" +time=10 +tries=2 +dnssec "$2" A 2>&1 |
	    sed -n 's/.*EDE: \([0-9]*\).*/\1/p' | head -n 1
}
for q in www.ex.test. www.ex.test. mail.ex.test.; do
	t=$(ede $TPORT $q)
	u=$(ede $UPORT $q)
	# Unbound 1.17 says 7 when it finds the signatures out of date,
	# 6 when it answers from its cache: only timbre's is checked.
	if [ "$t" = 7 ]; then
		integ_ok "$q A: SERVFAIL with EDE 7 (unbound: ${u:-none})"
	else
		integ_notok "$q A: SERVFAIL with EDE 7" \
		    "timbre: EDE ${t:-none}, unbound: EDE ${u:-none}"
	fi
done
if [ -n "${RESOLVER_TEST_VERBOSE:-}" ] || [ "$INTEG_FAIL" -gt 0 ]; then
	grep -v ' ask ' "$T/resolverd.log" | tail -n 40 | sed 's/^/# /'
fi
integ_summary
