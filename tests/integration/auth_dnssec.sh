#!/bin/sh
# auth_dnssec.sh: timbre-primaryd serving zones signed offline (issue 22,
# part 1), judged by real validators and compared with NSD.
#
# The test runs in a network namespace of its own (unshare -rn), so that
# every server can use port 53 on 127.0.0.2-127.0.0.5.  The hierarchy,
# signed here with ldns-keygen and ldns-signzone:
#
#   .            127.0.0.2  NSD, signed (NSEC); trust anchor: its DS
#   test.        127.0.0.3  NSD, signed (NSEC), DS for the zones below;
#                           also sub.nsec.test (signed, NSEC) and the
#                           unsigned insec.nsec.test and d1.oo.test
#   nsec.test    127.0.0.4  timbre-primaryd: NSEC, wildcard, empty
#                           non-terminal, CNAMEs, a secure delegation
#                           (sub, DS) and an insecure one (insec)
#   n3.test      127.0.0.4  timbre-primaryd: NSEC3 (salt, no opt-out),
#                           wildcard, empty non-terminals
#   oo.test      127.0.0.4  timbre-primaryd: NSEC3 opt-out, 1 iteration,
#                           insecure delegations (one under an empty
#                           non-terminal), a secure one (DS)
#   big.test     127.0.0.4  timbre-primaryd: NSEC, signed by ECDSA and
#                           RSA keys: its denials pass 1232 octets (TC)
#
# NSD on 127.0.0.5 serves the same signed files (minimal-responses, as
# timbre answers): each of a list of direct queries (DO and not, UDP at
# 512 and 1232 octets, TCP) must get the same rcode, flags and sections
# from both (auth_dnssec.py compare).  timbre-resolverd and Unbound, with
# the root's DS as their only trust anchor, resolve names of every kind
# through timbre-primaryd: the verdicts (rcode, AD) must be what the case
# expects and the same for both.  AXFR must carry every record of the
# signed files; a re-signed zone pushed gets an IXFR that carries the
# signature changes.  Without DO no DNSSEC record is added; an UPDATE to a
# signed zone is REFUSED; a pushed zone without a newer serial is not
# given one (its SOA signature would break); expired signatures are
# served, with a warning in the log.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

if [ -z "${AUTH_DNSSEC_NETNS:-}" ]; then
	command -v unshare >/dev/null 2>&1 || integ_skip "unshare not found"
	command -v ip >/dev/null 2>&1 || integ_skip "ip (iproute2) not found"
	unshare -rn true 2>/dev/null ||
	    integ_skip "cannot create a network namespace (unshare -rn)"
	AUTH_DNSSEC_NETNS=1
	export AUTH_DNSSEC_NETNS top_srcdir top_builddir
	exec unshare -rn /bin/sh -c 'ip link set lo up && exec /bin/sh "$0"' \
	    "$0"
fi

integ_need_cmd git nsd dig nsupdate ldns-keygen ldns-signzone \
    ldns-verify-zone unbound
/usr/bin/python3 -c 'import dns.zone' 2>/dev/null ||
    integ_skip "python3-dnspython not installed"
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
TIMBRE=$top_builddir/tools/timbre
[ -x "$PRIMARYD" ] && [ -x "$RESOLVERD" ] || integ_skip "daemons not built"
integ_init
integ_full_stacks
T=$INTEG_TMP
# Leaks inside ldns (timbre-resolverd's) and libgit2 are not ours
# (sanitizer builds only): both suppression files.
cat "$top_srcdir/tests/integration/lsan.supp" \
    "$top_srcdir/tests/data/resolver/lsan.supp" >"$T/lsan.supp"
LSAN_OPTIONS=suppressions=$T/lsan.supp
export LSAN_OPTIONS
cd "$T"
PY="/usr/bin/python3 $top_srcdir/tests/integration/auth_dnssec.py"

# ---- zones ----
soa()
{
	printf '$TTL 300\n%s IN SOA %s hostmaster.%s %s 3600 900 604800 300\n' \
	    "$1" "$2" "$2" "${3:-1}"
}

# keys ZONE [RSA]: a KSK and a ZSK (ECDSA P-256), and with RSA two more
# ZSKs (RSASHA256, 2048 bits); their base names in ZONE.keys, the DS in
# ZONE.ds.
keys()
{
	local ksk zsk rsa=

	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$1")
	zsk=$(ldns-keygen -a ECDSAP256SHA256 "$1")
	[ -n "${2:-}" ] && rsa="$(ldns-keygen -a RSASHA256 -b 2048 "$1") \
	    $(ldns-keygen -a RSASHA256 -b 2048 "$1")"
	echo "$ksk $zsk $rsa" >"$1.keys"
	cp "$ksk.ds" "$1.ds"
}

# sign ZONE FILE [ldns-signzone options]: FILE.signed, with ZONE's keys.
sign()
{
	local zone=$1 file=$2

	shift 2
	# shellcheck disable=SC2046
	ldns-signzone "$@" -f "$file.signed" "$file" $(cat "$zone.keys")
}

{
	soa n3.test. ns1.n3.test.
	cat <<-EOF
	n3.test. NS ns1.n3.test.
	ns1.n3.test. A 127.0.0.4
	www.n3.test. A 192.0.2.20
	*.w.n3.test. TXT "n3 wildcard"
	a.b.c.n3.test. TXT "under two empty non-terminals"
	EOF
} >n3.test
keys n3.test
sign n3.test n3.test -n -s abcd -t 0

{
	soa sub.nsec.test. ns1.sub.nsec.test.
	cat <<-EOF
	sub.nsec.test. NS ns1.sub.nsec.test.
	ns1.sub.nsec.test. A 127.0.0.3
	www.sub.nsec.test. A 192.0.2.21
	EOF
} >sub.nsec.test
keys sub.nsec.test
sign sub.nsec.test sub.nsec.test

{
	soa nsec.test. ns1.nsec.test.
	cat <<-EOF
	nsec.test. NS ns1.nsec.test.
	ns1.nsec.test. A 127.0.0.4
	www.nsec.test. A 192.0.2.10
	www.nsec.test. AAAA 2001:db8::10
	alias.nsec.test. CNAME www.nsec.test.
	walias.nsec.test. CNAME x.wild.nsec.test.
	*.wild.nsec.test. TXT "wildcard"
	a.b.ent.nsec.test. TXT "under an empty non-terminal"
	sub.nsec.test. NS ns1.sub.nsec.test.
	ns1.sub.nsec.test. A 127.0.0.3
	insec.nsec.test. NS ns1.insec.nsec.test.
	ns1.insec.nsec.test. A 127.0.0.3
	EOF
	cat sub.nsec.test.ds
} >nsec.test
keys nsec.test
sign nsec.test nsec.test

{
	soa oo.test. ns1.oo.test.
	cat <<-EOF
	oo.test. NS ns1.oo.test.
	ns1.oo.test. A 127.0.0.4
	www.oo.test. A 192.0.2.30
	*.w.oo.test. TXT "opt-out wildcard"
	d1.oo.test. NS ns1.d1.oo.test.
	ns1.d1.oo.test. A 127.0.0.3
	d2.x.oo.test. NS ns1.d1.oo.test.
	sd.oo.test. NS ns1.sd.oo.test.
	ns1.sd.oo.test. A 127.0.0.9
	sd.oo.test. DS 12345 13 2 $(printf '%064d' 1)
	EOF
} >oo.test
keys oo.test
sign oo.test oo.test -n -p -s beef -t 1

{
	soa big.test. ns1.big.test.
	cat <<-EOF
	big.test. NS ns1.big.test.
	ns1.big.test. A 127.0.0.4
	www.big.test. A 192.0.2.40
	EOF
} >big.test
keys big.test rsa
sign big.test big.test -A

{
	soa insec.nsec.test. ns1.insec.nsec.test.
	printf 'insec.nsec.test. NS ns1.insec.nsec.test.\n'
	printf 'ns1.insec.nsec.test. A 127.0.0.3\n'
	printf 'www.insec.nsec.test. A 192.0.2.50\n'
} >insec.nsec.test
{
	soa d1.oo.test. ns1.d1.oo.test.
	printf 'd1.oo.test. NS ns1.d1.oo.test.\n'
	printf 'ns1.d1.oo.test. A 127.0.0.3\n'
	printf 'www.d1.oo.test. A 192.0.2.60\n'
} >d1.oo.test
{
	soa d2.x.oo.test. ns1.d1.oo.test.
	printf 'd2.x.oo.test. NS ns1.d1.oo.test.\n'
	printf 'www.d2.x.oo.test. A 192.0.2.61\n'
} >d2.x.oo.test

{
	soa test. ns1.test.
	cat <<-EOF
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	nsec.test. NS ns1.nsec.test.
	ns1.nsec.test. A 127.0.0.4
	n3.test. NS ns1.n3.test.
	ns1.n3.test. A 127.0.0.4
	oo.test. NS ns1.oo.test.
	ns1.oo.test. A 127.0.0.4
	big.test. NS ns1.big.test.
	ns1.big.test. A 127.0.0.4
	EOF
	cat nsec.test.ds n3.test.ds oo.test.ds big.test.ds
} >test
keys test
sign test test

{
	soa . a.root.
	cat <<-EOF
	. NS a.root.
	a.root. A 127.0.0.2
	test. NS ns1.test.
	ns1.test. A 127.0.0.3
	EOF
	cat test.ds
} >root
keys .
sign . root
cp ..ds root.ds
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints

integ_nsd_start_at 127.0.0.2 root . root.signed ||
    { echo "not ok - NSD root"; exit 1; }
integ_nsd_start_at 127.0.0.3 test test test.signed \
    sub.nsec.test sub.nsec.test.signed insec.nsec.test insec.nsec.test \
    d1.oo.test d1.oo.test d2.x.oo.test d2.x.oo.test ||
    { echo "not ok - NSD test"; exit 1; }
# The twin: NSD serving timbre's zones from the same signed files.
integ_nsd_start_at 127.0.0.5 twin nsec.test nsec.test.signed \
    n3.test n3.test.signed oo.test oo.test.signed \
    big.test big.test.signed || { echo "not ok - NSD twin"; exit 1; }
# Started again with minimal responses, as timbre answers (no apex NS
# beside a positive answer).
integ_stop "$INTEG_LAST_PID"
sed -i 's/^    verbosity: 1$/    verbosity: 1\n    minimal-responses: yes/' \
    "$T/nsd-twin/nsd.conf"
integ_spawn "$T/nsd-twin/nsd.out" nsd -d -c "$T/nsd-twin/nsd.conf"
for i in $(seq 1 50); do
	dig @127.0.0.5 +time=1 +tries=1 +norec nsec.test SOA 2>/dev/null |
	    grep -q 'status: NOERROR' && break
	sleep 0.2
done

# ---- timbre-primaryd ----
# ok, nok, check, gitc:
. "$top_srcdir/tests/integration/primary_lib.sh"
git init -q --bare "$T/zone.git"
git -C "$T/zone.git" symbolic-ref HEAD refs/heads/main
git init -q "$T/w"
gitc checkout -q -b main
for z in nsec.test n3.test oo.test big.test; do
	cp "$z.signed" "$T/w/$z"
done
"$TIMBRE" tsig-keygen up._update.nsec.test >"$T/up"
head -n1 "$T/up" >"$T/w/_keys"
sed -n 2p "$T/up" >"$T/up.key"
IFS=: read -r kn ka ks <<EOF
$(sed -n 2p "$T/up")
EOF
printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' "$kn" "$ka" "$ks" \
    >"$T/up.bind"
gitc add -A
gitc commit -q -m "signed zones"
gitc push -q "$T/zone.git" main
integ_spawn "$T/primary.log" "$PRIMARYD" -f --log-level debug -c /dev/null \
    --listen 127.0.0.4:53 --remote "file://$T/zone.git#main" \
    --workdir "$T/work" --axfr --rrl-rate 0
PRIMARY_PID=$INTEG_LAST_PID
for i in $(seq 1 50); do
	dig @127.0.0.4 +time=1 +tries=1 +norec nsec.test SOA 2>/dev/null |
	    grep -q 'status: NOERROR' && break
	sleep 0.2
done
dig @127.0.0.4 +time=1 +tries=1 +norec big.test SOA 2>/dev/null |
    grep -q 'status: NOERROR' ||
    { echo "not ok - timbre-primaryd did not start"; sed 's/^/#   /' \
    "$T/primary.log"; exit 1; }

# ---- direct answers, timbre against NSD ----
$PY compare 127.0.0.4 127.0.0.5 >"$T/compare.out" <<EOF || true
# positive, CNAME, DNSKEY, types asked as data
www.nsec.test A do
www.nsec.test A
www.nsec.test AAAA do
alias.nsec.test A do
alias.nsec.test A
nsec.test DNSKEY do
nsec.test DNSKEY
nsec.test SOA do
www.nsec.test RRSIG do
www.nsec.test NSEC do
www.nsec.test NSEC
# NODATA, NXDOMAIN, empty non-terminals
www.nsec.test MX do
www.nsec.test MX
nope.nsec.test A do
nope.nsec.test A
zzz.nsec.test A do
b.ent.nsec.test A do
ent.nsec.test TXT do
x.a.b.ent.nsec.test TXT do
# wildcards: answer, deeper, NODATA, through a CNAME
x.wild.nsec.test TXT do
x.wild.nsec.test TXT
x.y.wild.nsec.test TXT do
x.wild.nsec.test A do
walias.nsec.test TXT do
walias.nsec.test A do
# delegations: with DS, without, the DS asked of the parent
www.sub.nsec.test A do
sub.nsec.test DS do
sub.nsec.test DS
www.insec.nsec.test A do
www.insec.nsec.test A
insec.nsec.test DS do
insec.nsec.test A do
# NSEC3 without opt-out
www.n3.test A do
nope.n3.test A do
www.n3.test MX do
x.w.n3.test TXT do
x.w.n3.test A do
y.x.w.n3.test TXT do
c.n3.test TXT do
b.c.n3.test A do
nope.a.b.c.n3.test TXT do
n3.test NSEC3PARAM do
n3.test DNSKEY do
# NSEC3 opt-out
www.oo.test A do
nope.oo.test A do
www.oo.test TXT do
x.w.oo.test TXT do
x.w.oo.test A do
www.d1.oo.test A do
d1.oo.test DS do
www.d2.x.oo.test A do
x.oo.test A do
d2.x.oo.test DS do
www.sd.oo.test A do
sd.oo.test DS do
# large signatures: TC over UDP, whole over TCP
nope.big.test A do
nope.big.test A do tcp
nope.big.test A do bufsize=512
www.big.test A do bufsize=512
www.big.test A do
big.test DNSKEY do
big.test DNSKEY do tcp
big.test DNSKEY
www.big.test MX do tcp
nope.big.test A
EOF
cat "$T/compare.out"
INTEG_PASS=$((INTEG_PASS + $(grep -c '^ok - ' "$T/compare.out" || true)))
INTEG_FAIL=$((INTEG_FAIL + $(grep -c '^not ok - ' "$T/compare.out" || true)))
grep -q '^ok - nope.big.test A do: NXDOMAIN QR AA TC,' "$T/compare.out" &&
    ok "a denial larger than 1232 octets: TC over UDP" ||
    nok "a denial larger than 1232 octets: TC over UDP"
# Truncated, timbre sends no record at all: no RRset without its RRSIG.
check "the truncated denial holds no record" sh -c "dig @127.0.0.4 +norec +dnssec +notcp +ignore nope.big.test A | grep -q 'ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1'"

# Answers that say what RFC 4035 section 3.1 wants, not only what NSD does.
digs() { dig @127.0.0.4 +norec +time=2 +tries=1 "$@" 2>&1; }
check "DO echoed in the OPT" sh -c "dig @127.0.0.4 +norec +dnssec www.nsec.test A | grep -q 'flags: do;'"
check "DO not set when not asked" sh -c "! dig @127.0.0.4 +norec www.nsec.test A | grep -q 'flags: do;'"
check "no RRSIG, NSEC or NSEC3 without DO" sh -c "for n in www.nsec.test nope.nsec.test x.wild.nsec.test www.sub.nsec.test nope.n3.test nope.oo.test; do dig @127.0.0.4 +norec \$n A | grep -v '^;' | grep -qE 'RRSIG|NSEC' && exit 1; done; exit 0"
check "a hashed NSEC3 owner is no name: NXDOMAIN" sh -c "o=\$(awk '\$4 == \"NSEC3\" { print \$1; exit }' n3.test.signed); dig @127.0.0.4 +norec +dnssec \$o NSEC3 | grep -q 'status: NXDOMAIN'"
check "ANY with DO: one RRset and its RRSIG" sh -c "[ \$(dig @127.0.0.4 +norec +dnssec www.nsec.test ANY | grep -v '^;' | grep -c 'IN') -eq 2 ]"

# ---- transfers ----
for z in nsec.test n3.test oo.test big.test; do
	$PY axfr 127.0.0.4 "$z" "$z.signed" >"$T/axfr.out" 2>&1 &&
	    ok "$(cat "$T/axfr.out" | sed 's/^ok - //')" ||
	    nok "AXFR of $z" "$(cat "$T/axfr.out")"
done
for z in n3.test oo.test; do
	dig @127.0.0.4 +tcp "$z" AXFR >"$T/$z.axfr" 2>&1 || true
	grep -v '^;' "$T/$z.axfr" | grep . >"$T/$z.axfr.zone" || true
	check "ldns-verify-zone accepts the AXFR of $z (NSEC3)" \
	    ldns-verify-zone "$T/$z.axfr.zone"
done

# ---- validators ----
TPORT=5301
UPORT=5302
integ_spawn "$T/resolverd.log" "$RESOLVERD" -f --log-level debug \
    -c /dev/null --listen "127.0.0.1:$TPORT" --root-hints "$T/hints" \
    --trust-anchor "$T/root.ds"
RESOLVERD_PID=$INTEG_LAST_PID
integ_unbound_start 127.0.0.1 "$UPORT" \
    "    root-hints: \"$T/hints\"" \
    "    trust-anchor-file: \"$T/root.ds\"" \
    "    local-zone: \"test.\" nodefault"
for port in $TPORT $UPORT; do
	started=
	for i in $(seq 1 50); do
		if dig @127.0.0.1 -p "$port" +time=1 +tries=1 . SOA \
		    >/dev/null 2>&1; then
			started=1
			break
		fi
		sleep 0.2
	done
	[ -n "$started" ] || { echo "not ok - resolver on port $port did not" \
	    "start"; tail -n 20 "$T/resolverd.log" "$T/unbound.log" \
	    "$T/unbound.out" 2>/dev/null | sed 's/^/#   /'; exit 1; }
done

# ask PORT NAME TYPE: "rcode ad|noad" then the answer RRsets sorted,
# without TTLs and RRSIGs.
ask()
{
	local port=$1 name=$2 type=$3 out

	out=$(dig @127.0.0.1 -p "$port" +time=10 +tries=2 +dnssec \
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

# validates NAME TYPE EXPECT [TIMBRE]: both resolvers answer EXPECT
# ("RCODE ad|noad"), and the same records; with TIMBRE, where the two
# validators judge differently, timbre-resolverd answers that.
validates()
{
	local name=$1 type=$2 expect=$3 t u

	t=$(ask $TPORT "$name" "$type")
	u=$(ask $UPORT "$name" "$type")
	if [ -n "${4:-}" ]; then
		if [ "$(echo "$u" | head -n 1)" = "$expect" ] &&
		    [ "$(echo "$t" | head -n 1)" = "$4" ] &&
		    [ "$(echo "$t" | sed 1d)" = "$(echo "$u" | sed 1d)" ]; then
			ok "$name $type validated ($pass): unbound $expect," \
			    "timbre-resolverd $4"
		else
			nok "$name $type: unbound $(echo "$u" | head -n 1)," \
			    "timbre-resolverd $(echo "$t" | head -n 1)," \
			    "expected $expect and $4"
		fi
		return 0
	fi
	if [ "$(echo "$u" | head -n 1)" != "$expect" ]; then
		nok "$name $type: unbound answers $(echo "$u" | head -n 1)," \
		    "expected $expect"
		printf '%s\n' "timbre-resolverd:" "$t" "unbound:" "$u" |
		    sed 's/^/#   /'
	elif [ "$t" != "$u" ]; then
		nok "$name $type: timbre-resolverd and unbound differ"
		printf '%s\n' "timbre-resolverd:" "$t" "unbound:" "$u" |
		    sed 's/^/#   /'
	else
		ok "$name $type validated ($pass): $expect, timbre-resolverd" \
		    "and unbound agree"
	fi
}

for pass in resolved cached; do
	validates www.nsec.test. A "NOERROR ad"
	validates www.nsec.test. MX "NOERROR ad"
	validates nope.nsec.test. A "NXDOMAIN ad"
	validates alias.nsec.test. A "NOERROR ad"
	validates x.wild.nsec.test. TXT "NOERROR ad"
	validates x.y.wild.nsec.test. TXT "NOERROR ad"
	validates x.wild.nsec.test. A "NOERROR ad"
	validates walias.nsec.test. TXT "NOERROR ad"
	validates b.ent.nsec.test. A "NOERROR ad"
	validates nsec.test. DNSKEY "NOERROR ad"
	validates insec.nsec.test. DS "NOERROR ad"
	validates www.insec.nsec.test. A "NOERROR noad"
	validates sub.nsec.test. DS "NOERROR ad"
	validates www.sub.nsec.test. A "NOERROR ad"
	validates www.n3.test. A "NOERROR ad"
	validates www.n3.test. MX "NOERROR ad"
	validates nope.n3.test. A "NXDOMAIN ad"
	validates x.w.n3.test. TXT "NOERROR ad"
	validates x.w.n3.test. A "NOERROR ad"
	validates c.n3.test. TXT "NOERROR ad"
	validates nope.a.b.c.n3.test. TXT "NXDOMAIN ad"
	validates www.oo.test. A "NOERROR ad"
	validates www.oo.test. TXT "NOERROR ad"
	# The next closer name is covered by an opt-out NSEC3: there could
	# be an unsigned delegation there, so it is insecure (RFC 5155
	# section 9.2), for both resolvers.
	validates x.w.oo.test. TXT "NOERROR noad"
	validates www.d1.oo.test. A "NOERROR noad"
	validates d1.oo.test. DS "NOERROR ad"
	validates www.d2.x.oo.test. A "NOERROR noad"
	validates www.big.test. A "NOERROR ad"
	validates nope.big.test. A "NXDOMAIN ad"
	validates big.test. DNSKEY "NOERROR ad"
done

# ---- a re-signed zone pushed: IXFR carries the signatures ----
cp nsec.test.signed nsec.test.signed.1
sed 's/^www.nsec.test. A 192.0.2.10$/www.nsec.test. A 192.0.2.11/;
    s/^\(nsec.test. IN SOA .*\) 1 3600/\1 2 3600/' nsec.test >nsec.test.2
sign nsec.test nsec.test.2
# push FILE MESSAGE NAME TYPE TEXT: FILE becomes nsec.test in git, pushed
# and NOTIFYd, and timbre-primaryd is waited for until NAME TYPE has
# TEXT in its answer.
push()
{
	cp "$1" "$T/w/nsec.test"
	gitc commit -q -a -m "$2"
	gitc push -q "$T/zone.git" main
	"$TIMBRE" notify --server 127.0.0.4:53 --key-file "$T/up.key" \
	    nsec.test >/dev/null 2>&1 || true
	for i in $(seq 1 50); do
		dig @127.0.0.4 +short "$3" "$4" | grep -q "$5" && break
		sleep 0.2
	done
}
push nsec.test.2.signed "nsec.test re-signed, serial 2" nsec.test SOA \
    ' 2 3600 '
$PY ixfr 127.0.0.4 nsec.test nsec.test.signed.1 nsec.test.2.signed \
    >"$T/ixfr.out" 2>&1 && ok "$(sed 's/^ok - //' "$T/ixfr.out")" ||
    nok "IXFR of the re-signed zone" "$(cat "$T/ixfr.out")"
validates www.nsec.test. A "NOERROR ad"

# ---- what a signed zone refuses ----
{ echo "server 127.0.0.4 53"; echo "zone nsec.test"
  echo "update add new.nsec.test 60 A 192.0.2.99"; echo send; } |
    nsupdate -d -t 5 -k "$T/up.bind" >"$T/nsupdate.out" 2>&1 || true
check "UPDATE to a signed zone: REFUSED" grep -q "opcode: UPDATE, status: REFUSED," "$T/nsupdate.out"
check "the log says why" grep -q "zone nsec.test is signed offline" "$T/primary.log"
# A push that changes the zone but not its serial: served as pushed.
sed 's/^www.nsec.test. A 192.0.2.11$/www.nsec.test. A 192.0.2.12/' \
    nsec.test.2 >nsec.test.3
sign nsec.test nsec.test.3
push nsec.test.3.signed "nsec.test changed, serial kept" www.nsec.test A \
    192.0.2.12
check "same serial: served as pushed" sh -c "dig @127.0.0.4 +short nsec.test SOA | grep -q ' 2 3600 ' && dig @127.0.0.4 +short www.nsec.test A | grep -q 192.0.2.12"
check "and the log says the serial was not fixed" grep -q "serial 2 not fixed: zone nsec.test is signed" "$T/primary.log"
# Signatures that expired: served as they are, with a warning.
sed 's/^www.nsec.test. A 192.0.2.12$/www.nsec.test. A 192.0.2.13/;
    s/^\(nsec.test. IN SOA .*\) 2 3600/\1 3 3600/' nsec.test.3 >nsec.test.4
sign nsec.test nsec.test.4 -i 20200101000000 -e 20200201000000
push nsec.test.4.signed "nsec.test with expired signatures" www.nsec.test A \
    192.0.2.13
check "expired signatures: served" sh -c "dig @127.0.0.4 +norec +dnssec www.nsec.test A | grep -q 'RRSIG.*20200201000000'"
check "expired signatures: the log warns" grep -q "zone nsec.test: [0-9]* RRSIG records expired (the first at 2020-02-01 00:00:00 UTC)" "$T/primary.log"

# The resolvers' TCP connections closed before timbre-primaryd stops: it
# frees a connection when its client goes, not at exit.
integ_stop "$RESOLVERD_PID"
integ_stop "$UNBOUND_PID"
sleep 1
integ_summary
