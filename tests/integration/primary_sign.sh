#!/bin/sh
# primary_sign.sh: timbre-primaryd signing zones online (issue 22, part 2,
# --dnssec-sign), judged by real validators, ldns-verify-zone and kdig.
#
# In a network namespace of its own (integ_netns_reexec), so that every
# server uses port 53 on 127.0.0.2-127.0.0.4:
#
#   .         127.0.0.2  NSD, signed by ldns-signzone; trust anchor: its DS
#   test.     127.0.0.3  NSD, signed by ldns-signzone, holding the DS that
#                        `timbre key dnssec-ds` prints for the two zones
#                        below; also the unsigned insec.sig.test
#   ed.test   127.0.0.4  timbre-primaryd, an Ed25519 key it made
#   sig.test  127.0.0.4  timbre-primaryd, an ECDSA P-256 key it made: NSEC,
#                        a wildcard, an insecure delegation (insec)
#   pre.test  127.0.0.4  timbre-primaryd, signed offline (left as it is)
#
# The files in git stay unsigned.  timbre-resolverd and Unbound, with the
# root's DS as their only trust anchor, must both validate (AD) answers,
# denials and wildcards from the zones timbre-primaryd signed; the AXFR of
# each must pass ldns-verify-zone; kdig +dnssec must see RRSIGs and NSECs.
# An UPDATE adding a name between two NSEC owners keeps the chain whole
# (ldns-verify-zone on the AXFR, and a validated denial just after the new
# name) and re-signs only what changed (the log's counts); IXFR carries
# the new signatures.  A restart keeps the keys and the signatures still
# good.  A key file gone at start: signing stops for the zone, the version
# signed before is served (and validates), an UPDATE gets SERVFAIL.  The
# CDS published is the DS `timbre key dnssec-ds` prints.  An
# UPDATE to the zone signed offline is REFUSED, with the reason logged.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
integ_netns_reexec

integ_need_cmd git nsd dig kdig nsupdate ldns-keygen ldns-signzone \
    ldns-verify-zone ldns-key2ds unbound
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
TIMBRE=$top_builddir/tools/timbre
[ -x "$PRIMARYD" ] && [ -x "$RESOLVERD" ] || integ_skip "daemons not built"
integ_init
integ_full_stacks
T=$INTEG_TMP
cat "$top_srcdir/tests/integration/lsan.supp" \
    "$top_srcdir/tests/data/resolver/lsan.supp" >"$T/lsan.supp"
LSAN_OPTIONS=suppressions=$T/lsan.supp
export LSAN_OPTIONS
cd "$T"
# ok, nok, check, gitc, bindkey; soa, keys, sign, sign_root,
# sign_start_primary, sign_validators, validates:
. "$top_srcdir/tests/integration/primary_lib.sh"
. "$top_srcdir/tests/integration/primary_sign_lib.sh"
KEYS=$T/dnssec

# ---- the zones in git, unsigned (pre.test aside) ----
prim_repo_init "$T/zone.git"
{
	soa ed.test. ns1.ed.test.
	printf 'ed.test. NS ns1.ed.test.\nns1.ed.test. A 127.0.0.4\n'
	printf 'www.ed.test. A 192.0.2.70\n'
} >"$T/w/ed.test"
{
	soa sig.test. ns1.sig.test.
	cat <<-EOF
	sig.test. NS ns1.sig.test.
	ns1.sig.test. A 127.0.0.4
	www.sig.test. A 192.0.2.10
	www.sig.test. AAAA 2001:db8::10
	alias.sig.test. CNAME www.sig.test.
	*.wild.sig.test. TXT "wildcard"
	insec.sig.test. NS ns1.insec.sig.test.
	ns1.insec.sig.test. A 127.0.0.3
	EOF
} >sig.test.src
{
	soa pre.test. ns1.pre.test.
	printf 'pre.test. NS ns1.pre.test.\nns1.pre.test. A 127.0.0.4\n'
} >pre.test
keys pre.test
sign pre.test pre.test
"$TIMBRE" tsig-keygen up._update.sig.test >"$T/up"
"$TIMBRE" tsig-keygen up._update.pre.test >"$T/uppre"
{ head -n1 "$T/up"; head -n1 "$T/uppre"; } >"$T/w/_keys"
sed -n 2p "$T/up" >"$T/up.line"
sed -n 2p "$T/uppre" >"$T/uppre.line"
bindkey "$T/up.line" "$T/up.bind"
bindkey "$T/uppre.line" "$T/uppre.bind"
gitc add -A
gitc commit -q -m "ed.test"
gitc push -q "$T/zone.git" main

# start_primary ALGORITHM: timbre-primaryd, new keys of ALGORITHM.
start_primary()
{
	sign_start_primary ed.test --dnssec-algorithm "$1"
}
d4() { dig @127.0.0.4 +norec +time=2 +tries=1 "$@" 2>&1; }

# First run: ed.test alone, new keys Ed25519.
start_primary ed25519
check "a new key logs the DS for the registrar" grep -q "zone ed.test: new signing key (CSK) tag=[0-9]* algorithm=15: .*IN	DS	[0-9]* 15 2 " "$T/primary.log"
d4 +dnssec www.ed.test A | grep 'RRSIG' >ed.rrsig.1 || true
d4 +short ed.test SOA >ed.soa.1
integ_stop "$PRIMARY_PID"

# Second run: sig.test and pre.test added; new keys ECDSA P-256.
cp sig.test.src "$T/w/sig.test"
cp pre.test.signed "$T/w/pre.test"
gitc add -A
gitc commit -q -m "sig.test, pre.test"
gitc push -q "$T/zone.git" main
start_primary ecdsap256
d4 +dnssec www.ed.test A | grep 'RRSIG' >ed.rrsig.2 || true
check "a restart keeps the signatures still good" sh -c "[ -s ed.rrsig.1 ] && cmp -s ed.rrsig.1 ed.rrsig.2"
d4 +short ed.test SOA >ed.soa.2
check "a restart serves the version saved, serial and all" sh -c "[ -s ed.soa.1 ] && cmp -s ed.soa.1 ed.soa.2 && grep -q 'zone ed.test: signed version serial=1 kept from' '$T/primary.log'"
check "a restart keeps the key (algorithm 15)" sh -c "'$TIMBRE' key dnssec-show --dir '$KEYS' ed.test | grep -q '^ed.test. key tag=[0-9]* algorithm=15 role=csk state=active'"
check "sig.test gets an ECDSA P-256 key (algorithm 13)" sh -c "'$TIMBRE' key dnssec-show --dir '$KEYS' sig.test. | grep -q 'algorithm=13 role=csk'"
check "the state directory is mode 0700" sh -c "[ \$(stat -c %a '$KEYS') = 700 ]"
check "the key files are mode 0600" sh -c "[ \$(stat -c %a '$KEYS/sig.test.key') = 600 ] && [ \$(stat -c %a '$KEYS/ed.test.key') = 600 ]"
check "the zone in git stays unsigned" sh -c "git --git-dir='$T/zone.git' show main:sig.test | grep -q 'www.sig.test' && ! git --git-dir='$T/zone.git' show main:sig.test | grep -qE 'RRSIG|NSEC|DNSKEY'"
check "a zone signed offline is left as it is" grep -q "zone pre.test: zone pre.test holds .* records (signed offline): not signed online" "$T/primary.log"
# The DS of `timbre key dnssec-ds` is the one ldns computes from the
# DNSKEY served.
for z in sig.test ed.test; do
	"$TIMBRE" key dnssec-ds --dir "$KEYS" "$z" >"$z.ds" ||
	    nok "timbre key dnssec-ds $z"
	d4 "$z" DNSKEY | grep -v '^;' | grep DNSKEY >"$z.dnskey" || true
	ldns-key2ds -n -2 "$z.dnskey" >"$z.ldns.ds" 2>/dev/null || true
	check "timbre key dnssec-ds $z: the DS ldns-key2ds makes of the DNSKEY served" sh -c "[ \"\$(awk '{ print \$5, \$6, \$7, toupper(\$8) }' $z.ds)\" = \"\$(awk '{ print \$5, \$6, \$7, toupper(\$8) }' $z.ldns.ds)\" ]"
	d4 +short "$z" CDS >"$z.cds" || true
	check "$z publishes the CDS of that DS (RFC 7344)" sh -c "[ \"\$(awk '{ print \$1, \$2, \$3, toupper(\$4 \$5) }' $z.cds)\" = \"\$(awk '{ print \$5, \$6, \$7, toupper(\$8) }' $z.ds)\" ]"
done

# ---- the hierarchy above, with the DS ----
{
	soa insec.sig.test. ns1.insec.sig.test.
	printf 'insec.sig.test. NS ns1.insec.sig.test.\n'
	printf 'ns1.insec.sig.test. A 127.0.0.3\n'
	printf 'www.insec.sig.test. A 192.0.2.50\n'
} >insec.sig.test
{
	soa test. ns1.test.
	cat <<-EOF
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	sig.test. NS ns1.sig.test.
	ns1.sig.test. A 127.0.0.4
	ed.test. NS ns1.ed.test.
	ns1.ed.test. A 127.0.0.4
	pre.test. NS ns1.pre.test.
	ns1.pre.test. A 127.0.0.4
	EOF
	cat sig.test.ds ed.test.ds pre.test.ds
} >test
keys test
sign test test
sign_root
integ_nsd_start_at 127.0.0.3 test test test.signed \
    insec.sig.test insec.sig.test || { echo "not ok - NSD test"; exit 1; }

# ---- direct answers ----
check "kdig +dnssec: the answer with its RRSIG, DO echoed" sh -c "kdig @127.0.0.4 +dnssec +norec www.sig.test A | grep -q 'RRSIG.*A 13 3 300' && kdig @127.0.0.4 +dnssec +norec www.sig.test A | grep -q 'flags: do;'"
check "kdig +dnssec: NXDOMAIN with the NSEC records that prove it" sh -c "kdig @127.0.0.4 +dnssec +norec nope.sig.test A | grep -q 'NXDOMAIN' && kdig @127.0.0.4 +dnssec +norec nope.sig.test A | grep -q 'NSEC.*RRSIG NSEC'"
check "without DO: no RRSIG, no NSEC" sh -c "dig @127.0.0.4 +norec nope.sig.test A | grep -q NXDOMAIN && ! dig @127.0.0.4 +norec nope.sig.test A | grep -v '^;' | grep -qE 'RRSIG|NSEC'"
check "the insecure delegation: NS and the NSEC proving no DS" sh -c "dig @127.0.0.4 +norec +dnssec www.insec.sig.test A | grep -q 'insec.sig.test.*NSEC.*NS RRSIG NSEC'"

# verify ZONE LABEL: the AXFR of ZONE passes ldns-verify-zone.
verify()
{
	d4 +tcp "$1" AXFR | grep -v '^;' | grep . >"$1.axfr" || true
	if ldns-verify-zone "$1.axfr" >"$1.verify" 2>&1; then
		ok "ldns-verify-zone accepts the AXFR of $1 ($2)"
	else
		nok "ldns-verify-zone on the AXFR of $1 ($2)"
		sed 's/^/#   /' "$1.verify"
	fi
}
verify sig.test "ECDSA P-256"
verify ed.test "Ed25519"

# ---- validators ----
sign_validators
validates www.sig.test. A "NOERROR ad"
validates www.sig.test. MX "NOERROR ad"
validates nope.sig.test. A "NXDOMAIN ad"
validates alias.sig.test. A "NOERROR ad"
validates x.wild.sig.test. TXT "NOERROR ad"
validates x.wild.sig.test. A "NOERROR ad"
validates sig.test. DNSKEY "NOERROR ad"
validates sig.test. CDS "NOERROR ad"
validates sig.test. CDNSKEY "NOERROR ad"
validates insec.sig.test. DS "NOERROR ad"
validates www.insec.sig.test. A "NOERROR noad"
validates www.ed.test. A "NOERROR ad"
validates nope.ed.test. A "NXDOMAIN ad"

# ---- UPDATE: a name between two NSEC owners ----
serial() { d4 +short sig.test SOA | awk '{ print $3 }'; }
s1=$(serial)
{ echo "server 127.0.0.4 53"; echo "zone sig.test"
  echo "update add mid.sig.test 60 A 192.0.2.99"; echo send; } |
    nsupdate -d -t 5 -k "$T/up.bind" >"$T/nsupdate.out" 2>&1 || true
check "UPDATE to the zone signed online: NOERROR" grep -q "opcode: UPDATE, status: NOERROR," "$T/nsupdate.out"
s2=$(serial)
check "the serial moved on ($s1 to $s2)" sh -c "[ '$s2' -gt '$s1' ]"
verify sig.test "after the UPDATE"
check "only what changed was signed (the name, its NSEC, the one before, the SOA)" sh -c "grep 'zone sig.test: signed serial=$s2 ' '$T/primary.log' | grep -q 'rrsets_signed=4 rrsets_kept=1[0-9]'"
check "the zone in git has the record, unsigned" sh -c "git --git-dir='$T/zone.git' show main:sig.test | grep -q 'mid.sig.test.*192.0.2.99' && ! git --git-dir='$T/zone.git' show main:sig.test | grep -q RRSIG"
validates mid.sig.test. A "NOERROR ad"
validates mie.sig.test. A "NXDOMAIN ad"
d4 +tcp sig.test IXFR="$s1" >"$T/ixfr.out" 2>&1 || true
check "IXFR from serial $s1: incremental, with the new signatures" sh -c "grep -q 'primary ixfr .*zone=sig.test serial=$s1->$s2 incremental' '$T/primary.log' && grep -q '^mid.sig.test.*RRSIG.*A 13 3 60' '$T/ixfr.out' && grep -q '^insec.sig.test.*NSEC.*mid.sig.test' '$T/ixfr.out'"
{ echo "server 127.0.0.4 53"; echo "zone sig.test"
  echo "update delete mid.sig.test A"; echo send; } |
    nsupdate -d -t 5 -k "$T/up.bind" >"$T/nsupdate2.out" 2>&1 || true
check "UPDATE removing it: NOERROR" grep -q "opcode: UPDATE, status: NOERROR," "$T/nsupdate2.out"
verify sig.test "after removing it"

# ---- the zone signed offline refuses UPDATE ----
{ echo "server 127.0.0.4 53"; echo "zone pre.test"
  echo "update add new.pre.test 60 A 192.0.2.98"; echo send; } |
    nsupdate -d -t 5 -k "$T/uppre.bind" >"$T/nsupdate3.out" 2>&1 || true
check "UPDATE to a zone signed offline: REFUSED" grep -q "opcode: UPDATE, status: REFUSED," "$T/nsupdate3.out"
check "and the log says why" grep -q "zone pre.test is signed offline (DNSSEC): an update could not be signed" "$T/primary.log"

# ---- a key file gone ----
integ_stop "$PRIMARY_PID"
mv "$KEYS/sig.test.key" "$T/sig.test.key.away"
start_primary ecdsap256
check "key gone: signing stops, the log says so" grep -q "zone sig.test: signing stopped, the version signed before (serial [0-9]*) is served: .*sig.test.key: missing" "$T/primary.log"
check "and no new key is made" sh -c "[ ! -e '$KEYS/sig.test.key' ]"
validates other.sig.test. A "NXDOMAIN ad"
validates www.sig.test. AAAA "NOERROR ad"
{ echo "server 127.0.0.4 53"; echo "zone sig.test"
  echo "update add late.sig.test 60 A 192.0.2.97"; echo send; } |
    nsupdate -d -t 5 -k "$T/up.bind" >"$T/nsupdate4.out" 2>&1 || true
check "key gone: an UPDATE gets SERVFAIL" grep -q "opcode: UPDATE, status: SERVFAIL," "$T/nsupdate4.out"
check "and nothing is committed" sh -c "! git --git-dir='$T/zone.git' show main:sig.test | grep -q late.sig.test"

integ_stop "$RESOLVERD_PID"
integ_stop "$UNBOUND_PID"
integ_stop "$PRIMARY_PID"
sleep 1
integ_summary
