#!/bin/sh
# primary_nsec3.sh: timbre-primaryd signing a zone online with NSEC3
# (--dnssec-denial nsec3: RFC 5155, RFC 9276's no salt and 0 iterations),
# judged by real validators, ldns-verify-zone, kdig and a Knot secondary.
#
# In a network namespace of its own (integ_netns_reexec), every server on
# port 53 of its address:
#
#   .            127.0.0.2  NSD, signed by ldns-signzone; trust anchor
#   test.        127.0.0.3  NSD, signed by ldns-signzone, holding the DS
#                           `timbre key dnssec-ds` prints for n3.test;
#                           also sec.n3.test (signed, its DS in n3.test)
#                           and insec.n3.test (unsigned)
#   n3.test      127.0.0.4  timbre-primaryd, signing it online
#   n3.test      127.0.0.5  knotd, its secondary (AXFR, then IXFR)
#
# First run with NSEC, then a restart with NSEC3: the zone switches
# (the log says so; the serial moves on).  timbre-resolverd and Unbound,
# the root's DS their only trust anchor, must both validate (AD) from the
# primary: an answer, NXDOMAIN (closest encloser, next closer, wildcard),
# NODATA, NODATA at an empty non-terminal, a wildcard answer and a
# wildcard NODATA, a secure delegation (DS) and an insecure one (the
# NSEC3 proving no DS).  UPDATEs adding and removing names (one below a
# new empty non-terminal) keep the chain whole (ldns-verify-zone on the
# AXFR) and re-sign only what changed; the Knot secondary follows by
# IXFR, and Unbound, sent to the secondary for n3.test, validates there
# too.  A restart with nothing changed serves the NSEC3 version saved,
# serial and all; a last restart with NSEC switches the zone back; Knot,
# at the serial before it, follows by IXFR (the saved version is the
# history a restart keeps: a client older than it gets the whole zone).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
integ_netns_reexec

integ_need_cmd git nsd knotd dig kdig nsupdate ldns-keygen ldns-signzone \
    ldns-verify-zone unbound
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
# sign_start_primary, sign_validators, sign_unbound, validates:
. "$top_srcdir/tests/integration/primary_lib.sh"
. "$top_srcdir/tests/integration/primary_sign_lib.sh"
KEYS=$T/dnssec

# ---- the child signed offline, whose DS n3.test holds ----
{
	soa sec.n3.test. ns1.sec.n3.test.
	printf 'sec.n3.test. NS ns1.sec.n3.test.\n'
	printf 'ns1.sec.n3.test. A 127.0.0.3\n'
	printf 'www.sec.n3.test. A 192.0.2.60\n'
} >sec.n3.test
keys sec.n3.test
sign sec.n3.test sec.n3.test
{
	soa insec.n3.test. ns1.insec.n3.test.
	printf 'insec.n3.test. NS ns1.insec.n3.test.\n'
	printf 'ns1.insec.n3.test. A 127.0.0.3\n'
	printf 'www.insec.n3.test. A 192.0.2.50\n'
} >insec.n3.test

# ---- the zone in git, unsigned ----
prim_repo_init "$T/zone.git"
{
	soa n3.test. ns1.n3.test.
	cat <<-EOF
	n3.test. NS ns1.n3.test.
	ns1.n3.test. A 127.0.0.4
	www.n3.test. A 192.0.2.10
	www.n3.test. AAAA 2001:db8::10
	alias.n3.test. CNAME www.n3.test.
	*.wild.n3.test. TXT "wildcard"
	c.b.deep.n3.test. A 192.0.2.11
	insec.n3.test. NS ns1.insec.n3.test.
	ns1.insec.n3.test. A 127.0.0.3
	sec.n3.test. NS ns1.sec.n3.test.
	ns1.sec.n3.test. A 127.0.0.3
	EOF
	cat sec.n3.test.ds
} >"$T/w/n3.test"
"$TIMBRE" tsig-keygen up._update.n3.test >"$T/up"
head -n1 "$T/up" >"$T/w/_keys"
sed -n 2p "$T/up" >"$T/up.line"
bindkey "$T/up.line" "$T/up.bind"
gitc add -A
gitc commit -q -m "n3.test"
gitc push -q "$T/zone.git" main

# start_primary DENIAL: timbre-primaryd signing with it.
start_primary()
{
	sign_start_primary n3.test --dnssec-algorithm ecdsap256 \
	    --dnssec-denial "$1" --also-notify 127.0.0.5
}
d4() { dig @127.0.0.4 +norec +time=2 +tries=1 "$@" 2>&1; }
serial() { dig @"${1:-127.0.0.4}" +norec +short n3.test SOA 2>/dev/null |
    awk '{ print $3 }'; }

# verify ADDR LABEL: the AXFR of n3.test from ADDR passes
# ldns-verify-zone; its NSEC3 and NSEC records counted in n3.count.
verify()
{
	dig @"$1" +norec +time=2 +tries=1 +tcp n3.test AXFR 2>&1 |
	    grep -v '^;' | grep . >n3.axfr || true
	awk '$4 == "NSEC3" { a++ } $4 == "NSEC" { b++ }
	    END { print a + 0, b + 0 }' n3.axfr >n3.count
	if ldns-verify-zone n3.axfr >n3.verify 2>&1; then
		ok "ldns-verify-zone accepts the AXFR of n3.test from $1 ($2)"
	else
		nok "ldns-verify-zone on the AXFR of n3.test from $1 ($2)"
		sed 's/^/#   /' n3.verify
	fi
}

# ---- first run: NSEC; then NSEC3 ----
start_primary nsec
s0=$(serial)
verify 127.0.0.4 "NSEC"
check "NSEC first: an NSEC chain, no NSEC3" sh -c "[ \"\$(cat n3.count)\" = '0 8' ]"
integ_stop "$PRIMARY_PID"
start_primary nsec3
s1=$(serial)
check "the restart with nsec3 says the denial changed" grep -q "zone n3.test: denial of existence changed: NSEC3 chain made" "$T/primary.log"
check "and the serial moved on ($s0 to $s1)" sh -c "[ '$s1' -gt '$s0' ]"
verify 127.0.0.4 "NSEC3"
# apex, ns1, www, alias, *.wild, wild, c.b.deep, b.deep, deep, insec,
# sec: 11 NSEC3 records, no NSEC.
check "NSEC3: eleven NSEC3 (three empty non-terminals), no NSEC" sh -c "[ \"\$(cat n3.count)\" = '11 0' ]"
check "NSEC3PARAM 1 0 0 - (RFC 9276), signed" sh -c "dig @127.0.0.4 +norec +dnssec n3.test NSEC3PARAM >p.out; grep -Eq 'NSEC3PARAM[[:space:]]+1 0 0 -' p.out && grep -Eq 'RRSIG[[:space:]]+NSEC3PARAM 13 2' p.out"
check "the zone in git stays unsigned" sh -c "! git --git-dir='$T/zone.git' show main:n3.test | grep -qE 'RRSIG|NSEC|DNSKEY'"
check "signatures' expirations spread (jitter): more than one" sh -c "[ \$(awk '\$4 == \"RRSIG\" { print \$9 }' n3.axfr | sort -u | wc -l) -gt 1 ]"

# ---- direct answers ----
check "kdig +dnssec: NXDOMAIN with three NSEC3 (closest encloser, next closer, wildcard)" sh -c "kdig @127.0.0.4 +dnssec +norec nope.n3.test A >kd.out; grep -q NXDOMAIN kd.out && [ \$(grep -Ec 'NSEC3[[:space:]]+1 0 0 - ' kd.out) -ge 2 ] && grep -Eq 'RRSIG[[:space:]]+NSEC3 13 3' kd.out"
check "without DO: no NSEC3" sh -c "! dig @127.0.0.4 +norec nope.n3.test A | grep -v '^;' | grep -qE 'RRSIG|NSEC'"
check "the insecure delegation: the NSEC3 matching it, NS without DS" sh -c "dig @127.0.0.4 +norec +dnssec www.insec.n3.test A | grep -E 'NSEC3[[:space:]]+1 0 0 - ' | grep -q ' NS\$'"

# ---- the hierarchy above, with the DS ----
"$TIMBRE" key dnssec-ds --dir "$KEYS" n3.test >n3.test.ds ||
    nok "timbre key dnssec-ds n3.test"
{
	soa test. ns1.test.
	cat <<-EOF
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	n3.test. NS ns1.n3.test.
	ns1.n3.test. A 127.0.0.4
	EOF
	cat n3.test.ds
} >test
keys test
sign test test
sign_root
integ_nsd_start_at 127.0.0.3 test test test.signed \
    insec.n3.test insec.n3.test sec.n3.test sec.n3.test.signed ||
    { echo "not ok - NSD test"; exit 1; }

# ---- the Knot secondary ----
mkdir -p "$T/knot"
cat >"$T/knot/knot.conf" <<EOF
server:
    listen: 127.0.0.5@53
    rundir: "$T/knot"
    background-workers: 1
control:
    listen: "$T/knot/knot.sock"
log:
  - target: "$T/knot/knot.log"
    any: info
database:
    storage: "$T/knot"
acl:
  - id: notify
    address: 127.0.0.0/8
    action: notify
  - id: transfer
    address: 127.0.0.0/8
    action: transfer
remote:
  - id: primary
    address: 127.0.0.4@53
zone:
  - domain: n3.test
    storage: "$T/knot"
    file: "n3.test.zone"
    master: primary
    acl: [notify, transfer]
EOF
integ_spawn "$T/knot/knotd.out" knotd -c "$T/knot/knot.conf"
KNOT_PID=$INTEG_LAST_PID
# wait_secondary SERIAL: Knot serves n3.test at SERIAL.
wait_secondary()
{
	for i in $(seq 1 75); do
		[ "$(serial 127.0.0.5)" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
check "Knot takes n3.test (serial $s1) by AXFR" wait_secondary "$s1"


# ---- validators ----
sign_validators
validates www.n3.test. A "NOERROR ad"
validates nope.n3.test. A "NXDOMAIN ad"
validates a.nope.n3.test. A "NXDOMAIN ad"
validates www.n3.test. MX "NOERROR ad"
validates b.deep.n3.test. A "NOERROR ad"
validates alias.n3.test. A "NOERROR ad"
validates x.wild.n3.test. TXT "NOERROR ad"
validates y.x.wild.n3.test. TXT "NOERROR ad"
validates x.wild.n3.test. A "NOERROR ad"
validates n3.test. NSEC3PARAM "NOERROR ad"
validates n3.test. DNSKEY "NOERROR ad"
validates sec.n3.test. DS "NOERROR ad"
validates www.sec.n3.test. A "NOERROR ad"
validates insec.n3.test. DS "NOERROR ad"
validates www.insec.n3.test. A "NOERROR noad"

# ---- UPDATEs ----
update()
{
	{ echo "server 127.0.0.4 53"; echo "zone n3.test"; cat; echo send; } |
	    nsupdate -d -t 5 -k "$T/up.bind" >"$T/nsupdate.out" 2>&1 || true
	grep -q "opcode: UPDATE, status: NOERROR," "$T/nsupdate.out"
}
check "UPDATE adding mid.n3.test: NOERROR" update <<-EOF
	update add mid.n3.test 60 A 192.0.2.99
EOF
s2=$(serial)
check "the serial moved on ($s1 to $s2)" sh -c "[ '$s2' -gt '$s1' ]"
check "only what changed was signed (the name's A, its NSEC3, the one before it, the SOA)" sh -c "grep 'zone n3.test: signed serial=$s2 denial=nsec3 ' '$T/primary.log' | grep -q 'rrsets_signed=4 rrsets_kept='"
verify 127.0.0.4 "after adding mid"
check "twelve NSEC3 now" sh -c "[ \"\$(cat n3.count)\" = '12 0' ]"
validates mid.n3.test. A "NOERROR ad"
validates mie.n3.test. A "NXDOMAIN ad"
check "UPDATE adding q.p.n3.test (p: a new empty non-terminal): NOERROR" update <<-EOF
	update add q.p.n3.test 60 A 192.0.2.98
EOF
s3=$(serial)
verify 127.0.0.4 "after adding q.p"
check "fourteen NSEC3 now" sh -c "[ \"\$(cat n3.count)\" = '14 0' ]"
validates q.p.n3.test. A "NOERROR ad"
validates p.n3.test. A "NOERROR ad"
d4 +tcp n3.test IXFR="$s2" >ixfr.out || true
check "IXFR from serial $s2: incremental, NSEC3 and their signatures" sh -c "grep -q 'primary ixfr .*zone=n3.test serial=$s2->$s3 incremental' '$T/primary.log' && grep -Eq 'NSEC3[[:space:]]+1 0 0 - ' ixfr.out && grep -Eq 'RRSIG[[:space:]]+NSEC3 13 3' ixfr.out"
check "Knot follows (serial $s3)" wait_secondary "$s3"
check "by IXFR" grep -Eq 'n3\.test.*IXFR, incoming.*finished' "$T/knot/knot.log"
check "UPDATE removing mid and q.p: NOERROR" update <<-EOF
	update delete mid.n3.test A
	update delete q.p.n3.test A
EOF
s4=$(serial)
verify 127.0.0.4 "after removing them"
check "eleven NSEC3 again" sh -c "[ \"\$(cat n3.count)\" = '11 0' ]"
check "Knot has serial $s4" wait_secondary "$s4"
verify 127.0.0.5 "the Knot secondary"
check "kdig +dnssec at the secondary: NXDOMAIN with NSEC3" sh -c "kdig @127.0.0.5 +dnssec +norec nope2.n3.test A | grep -Eq 'NSEC3[[:space:]]+1 0 0 - '"
# Unbound sent to the secondary for n3.test, the primary stopped.
integ_stop "$UNBOUND_PID"
integ_stop "$PRIMARY_PID"
sign_unbound "stub-zone:" "    name: \"n3.test\"" \
    "    stub-addr: 127.0.0.5"
validates www.n3.test. A "NOERROR ad" "unbound via the Knot secondary"
validates nope3.n3.test. A "NXDOMAIN ad" "unbound via the Knot secondary"
validates x.wild.n3.test. A "NOERROR ad" "unbound via the Knot secondary"
validates www.insec.n3.test. A "NOERROR noad" \
    "unbound via the Knot secondary"

# ---- a restart, nothing changed: the NSEC3 version saved is served ----
start_primary nsec3
check "a restart with nsec3 again serves the version saved (serial $s4)" sh -c "grep -q 'zone n3.test: signed version serial=$s4 kept from' '$T/primary.log' && [ \"\$(dig @127.0.0.4 +norec +short n3.test SOA | awk '{ print \$3 }')\" = '$s4' ]"
verify 127.0.0.4 "the NSEC3 version saved"
integ_stop "$PRIMARY_PID"

# ---- back to NSEC ----
start_primary nsec
s5=$(serial)
check "the restart with nsec says the denial changed" grep -q "zone n3.test: denial of existence changed: NSEC chain made" "$T/primary.log"
check "and the serial moved on ($s4 to $s5)" sh -c "[ '$s5' -gt '$s4' ]"
verify 127.0.0.4 "NSEC again"
check "an NSEC chain again, no NSEC3, no NSEC3PARAM" sh -c "[ \"\$(cat n3.count)\" = '0 8' ] && ! grep -q NSEC3PARAM n3.axfr"
# The history after a restart: the version saved at the last run (serial
# s4) is the one older version kept, so a secondary at s4 gets an
# incremental IXFR; one at an older serial would get the whole zone.
check "Knot follows (serial $s5)" wait_secondary "$s5"
check "by IXFR, from the serial before the restart" sh -c "grep -q 'primary ixfr .*zone=n3.test serial=$s4->$s5 incremental' '$T/primary.log'"
d4 +tcp n3.test IXFR="$s3" >ixfr2.out || true
check "IXFR from a serial older than the restart ($s3): the whole zone" sh -c "grep -q 'primary ixfr .*zone=n3.test serial=$s3->$s5 full' '$T/primary.log' && grep -q 'IN	NSEC	' ixfr2.out"
verify 127.0.0.5 "the Knot secondary, NSEC again"
validates nope4.n3.test. A "NXDOMAIN ad" "unbound via the Knot secondary"

integ_stop "$RESOLVERD_PID"
integ_stop "$UNBOUND_PID"
integ_stop "$KNOT_PID"
integ_stop "$PRIMARY_PID"
sleep 1
integ_summary
