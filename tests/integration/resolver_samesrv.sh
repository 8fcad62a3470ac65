#!/bin/sh
# resolver_samesrv.sh: one server authoritative for a parent and its
# signed children (issue 18), asked of timbre-resolverd and of Unbound
# (resolved, then from the cache) in a network namespace of the test's
# own.  Such a server answers a question below the cut from the child
# zone at once, with no referral: the resolver learns of the cut only
# from the signer name of the RRSIGs, and must then fetch the child's DS
# from the parent (the same server) and its DNSKEY RRset.  The
# hierarchy, signed with ldns-keygen and ldns-signzone:
#
#   .            127.0.0.2  signed (NSEC), trust anchor = its KSK's DS
#   test.        127.0.0.3  signed (NSEC), DS in the root
#   c.test.      127.0.0.3  signed (NSEC), DS in test.
#   g.c.test.    127.0.0.3  signed (NSEC3), DS in c.test.
#   n.test.      127.0.0.3  signed (NSEC3), DS in test.
#   u.test.      127.0.0.3  unsigned, no DS in test. (insecure)
#   x.test.      127.0.0.3  signed, DS in test., signatures expired
#   k.test.      127.0.0.3  signed, DS in test. for a key it does not have
#   f.test.      127.0.0.3  signed, not delegated: no such name in test.
#   t.test.      127.0.0.3  signed, not delegated: a TXT record in test.
#
# The last two sign names of test. with keys of their own: neither a
# DS nor a delegation vouches for them, so their answers are bogus, not
# insecure (else any server of test. could make its names insecure).
#
# Every delegation names the same server, ns1.test.  The deepest names
# are asked first, before anything has told the resolvers of the cuts
# above them.  For each question: rcode, AD and the answer records must
# be what the case expects and the same for both resolvers: resolved,
# then from the cache, then resolved again by a fresh timbre-resolverd
# started with --no-qname-minimisation.  c.test. also holds a CNAME into
# the unsigned u.test.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/resolver_dnssec_lib.sh"
integ_init
T=$INTEG_TMP
cd "$T"

# zone NAME [RECORDS...]: the zone file NAME (SOA, NS ns1.test., one A
# at www, a wildcard below w, the extra lines).
zone()
{
	local z=$1

	shift
	{
		rd_soa "$z." ns1.test.
		printf '%s. NS ns1.test.\n' "$z"
		printf 'www.%s. A 192.0.2.1\n*.w.%s. TXT "wild"\n' "$z" "$z"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$z"
}

zone g.c.test
rd_sign g.c.test g.c.test nsec3
zone c.test "g.c.test. NS ns1.test." "cn.c.test. CNAME www.g.c.test." \
    "cu.c.test. CNAME www.u.test."
cat g.c.test.ds >>c.test
rd_sign c.test c.test
zone n.test
rd_sign n.test n.test nsec3
zone u.test
zone x.test
now=$(date +%s)
RD_SIGN_DATES="-i $((now - 5184000)) -e $((now - 2592000))" \
    rd_sign x.test x.test
zone k.test
rd_sign k.test k.test
# A DS whose key tag and digest match no key of k.test.
awk '{ $4 = ($4 + 1) % 65536; $NF = "00" substr($NF, 3); print }' \
    k.test.ds >k.test.bad.ds
zone f.test
rd_sign f.test f.test
zone t.test
rd_sign t.test t.test nsec3
zone test "ns1.test. A 127.0.0.3" "t.test. TXT \"not a zone\"" "c.test. NS ns1.test." \
    "n.test. NS ns1.test." "u.test. NS ns1.test." "x.test. NS ns1.test." \
    "k.test. NS ns1.test."
cat c.test.ds n.test.ds x.test.ds k.test.bad.ds >>test
rd_sign test test
{
	rd_soa . a.root.
	cat <<-EOF2
	. NS a.root.
	a.root. A 127.0.0.2
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	EOF2
	cat test.ds
} >root
rd_sign . root
cp ..ds root.ds
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints

integ_nsd_start_at 127.0.0.2 root . root.signed ||
    { echo "not ok - NSD root"; exit 1; }
integ_nsd_start_at 127.0.0.3 all test test.signed c.test c.test.signed \
    g.c.test g.c.test.signed n.test n.test.signed u.test u.test \
    x.test x.test.signed k.test k.test.signed f.test f.test.signed \
    t.test t.test.signed ||
    { echo "not ok - NSD test and its children"; exit 1; }

rd_resolvers "$T/hints" "$T/root.ds"

for pass in resolved cached no-qname-minimisation; do
	if [ "$pass" = no-qname-minimisation ]; then
		# A fresh timbre-resolverd that asks the whole name at
		# once (Unbound answers from its cache, as it must: the
		# answers are the same).
		integ_stop "$RESOLVERD_PID"
		integ_spawn "$T/resolverd.nqm.log" "$RESOLVERD" -f \
		    --log-level debug -c /dev/null --no-qname-minimisation \
		    --listen "127.0.0.1:$TPORT" --root-hints "$T/hints" \
		    --trust-anchor "$T/root.ds"
		RESOLVERD_PID=$INTEG_LAST_PID
		rd_wait_port "$TPORT" ||
		    { echo "not ok - resolverd --no-qname-minimisation"; exit 1; }
	fi
	# Deepest first: the grandchild, two cuts below what the
	# resolvers know.
	rd_check www.g.c.test. A "NOERROR ad" "a rrsig"
	rd_check nothere.g.c.test. A "NXDOMAIN ad" "-"
	rd_check x.w.g.c.test. TXT "NOERROR ad" "rrsig txt"
	rd_check g.c.test. DS "NOERROR ad" "ds rrsig"
	rd_check g.c.test. DNSKEY "NOERROR ad" "dnskey rrsig"
	rd_check www.c.test. A "NOERROR ad" "a rrsig"
	rd_check www.c.test. TXT "NOERROR ad" "-"
	rd_check nothere.c.test. A "NXDOMAIN ad" "-"
	rd_check cn.c.test. A "NOERROR ad" "a cname rrsig"
	rd_check c.test. SOA "NOERROR ad" "rrsig soa"
	rd_check c.test. NS "NOERROR ad" "ns rrsig"
	rd_check c.test. DS "NOERROR ad" "ds rrsig"
	rd_check www.n.test. A "NOERROR ad" "a rrsig"
	rd_check nothere.n.test. A "NXDOMAIN ad" "-"
	rd_check n.test. DNSKEY "NOERROR ad" "dnskey rrsig"
	# No DS for u.test.: insecure, its answers without AD.
	rd_check www.u.test. A "NOERROR noad" "a"
	rd_check nothere.u.test. A "NXDOMAIN noad" "-"
	rd_check u.test. DS "NOERROR ad" "-"
	# A signed CNAME into it: the answer is as insecure as its end.
	rd_check cu.c.test. A "NOERROR noad" "a cname rrsig"
	# Broken children stay bogus.
	rd_check www.x.test. A "SERVFAIL noad" "-"
	rd_check www.k.test. A "SERVFAIL noad" "-"
	# Signers that are no zone cut of test.
	rd_check www.f.test. A "SERVFAIL noad" "-"
	rd_check www.t.test. A "SERVFAIL noad" "-"
	rd_check t.test. TXT "SERVFAIL noad" "-"
	rd_check www.test. A "NOERROR ad" "a rrsig"
done
if [ -n "${RESOLVER_TEST_VERBOSE:-}" ] || [ "$INTEG_FAIL" -gt 0 ]; then
	grep -v ' ask ' "$T/resolverd.log" | tail -n 60 | sed 's/^/# /'
fi
integ_summary
