#!/bin/sh
# tests/integration/listd_tls.sh: DANE (RFC 7672) on timbre-listd's
# delivery (daemons/listd/mx.c and deliver.c, src/smtp/transport.c),
# driven by tests/unit/listd/deliver_drive against real peers: NSD
# serving the zone test (signed here with ldns-signzone) and the
# unsigned insecure.test below it, a validating Unbound as the
# engine's resolver (the AD bit), and subscriber MTAs in Python's ssl
# module (OpenSSL, listd_tls_mta.py) speaking SMTP with STARTTLS on
# port 25, with certificates of a test CA made here.  One subscriber
# per domain:
#
#   dane-ee: TLSA 3 1 1 of the MX's key: delivered over TLS, DANE noted;
#   dane-ta: TLSA 2 0 1 of the CA's certificate: delivered;
#   dane-bad: TLSA 3 1 1 of another key: deferred, nothing received;
#   dane-plain: TLSA, but the MX offers no STARTTLS: deferred, nothing
#     received in plain text;
#   dane-expired: DANE-TA, the MX's certificate expired: deferred;
#   dane-odd: only a TLSA record of usage 1 (PKIX-EE, not for SMTP) and
#     one of an unknown usage: TLS still required, delivered over TLS;
#   plain: a validated MX without TLSA, no STARTTLS: delivered in plain
#     (opportunistic, as before);
#   insecure: TLSA that does not match, in a zone that is not signed
#     (no AD): ignored, delivered (opportunistic);
#   dane-bogus: the MX's TLSA record altered after signing, so the
#     resolver answers SERVFAIL: the host is skipped, the copy deferred;
#   dane-sts: DANE-EE that matches, and an MTA-STS policy in enforce
#     mode (listd_sts_web.py) that does not list the MX: DANE wins (RFC
#     8461 section 2), delivered.
#
# The engine's counters (dane, tls_policy_failed) are asserted.  The
# test runs in a network namespace of its own (unshare -rn), so that the
# peers take port 25 and NSD and Unbound port 53.
#
# Exit: 0 all passed, 1 a case failed, 77 a peer is missing.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

integ_netns_reexec
# The MXs' addresses, on the namespace's loopback.
for a in 61 62 63 64 65 80; do
	ip addr add 192.0.2.$a/32 dev lo || integ_skip "cannot add 192.0.2.$a"
done

PY=/usr/bin/python3
integ_need_cmd nsd dig openssl $PY ldns-keygen ldns-signzone unbound
integ_init
. "$top_srcdir/tests/integration/listd_drive_lib.sh"
T=$INTEG_TMP

# ---- The certificates: a CA, and the MXs' certificates it signs ----
drive_ca listd-tls-ca
# csr NAME STEM: a key and a request for NAME.
csr()
{
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$2.key" -out "$T/$2.csr" -subj "/CN=$1" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$1" >"$T/$2.ext"
}
# cert NAME STEM: a certificate for NAME, valid 30 days.
cert()
{
	csr "$1" "$2"
	openssl x509 -req -in "$T/$2.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	    -CAcreateserial -days 30 -extfile "$T/$2.ext" -out "$T/$2.pem" \
	    2>/dev/null
}
cert mx1.test mx1
cert mx2.test mx2
cert mx4.test mx4
cert other.test other
cert mta-sts.dane-sts.test web
# mx5.test's expired in 2020: openssl ca takes the dates.
csr mx5.test mx5
mkdir "$T/ca.d"
: >"$T/ca.d/index.txt"
cat >"$T/ca.cnf" <<EOF
[ca]
default_ca = lab
[lab]
database = $T/ca.d/index.txt
new_certs_dir = $T/ca.d
serial = $T/ca.d/serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
EOF
echo 01 >"$T/ca.d/serial"
openssl ca -batch -config "$T/ca.cnf" -cert "$T/ca.pem" -keyfile "$T/ca.key" \
    -in "$T/mx5.csr" -out "$T/mx5.pem" -extfile "$T/mx5.ext" -notext \
    -startdate 20200101000000Z -enddate 20200201000000Z 2>"$T/ca.err" ||
    integ_skip "openssl ca cannot make an expired certificate: $(cat "$T/ca.err")"
# Under DANE-TA the server sends its trust anchor (RFC 7671 section
# 5.2.2): a digest of it matches nothing it does not send.
for c in mx4 mx5; do
	cat "$T/ca.pem" >>"$T/$c.pem"
done

# TLSA association data: 3 1 1 (SHA-256 of the key), 2 0 1 (of the
# whole certificate).
spki256()
{
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin \
	    -outform DER | sha256sum | cut -d' ' -f1
}
cert256()
{
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

# ---- The zones ----
cat >"$T/test.zone" <<EOF
\$ORIGIN test.
\$TTL 300
@		SOA ns1.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns1.test.
ns1		A 127.0.0.2
lists		A 127.0.0.1
mx1		A 192.0.2.61
mx2		A 192.0.2.62
mx3		A 192.0.2.63
mx4		A 192.0.2.64
mx5		A 192.0.2.65
mx6		A 192.0.2.63
mxodd		A 192.0.2.61
mx7		A 192.0.2.61
_25._tcp.mx7	TLSA 3 1 1 $(spki256 "$T/mx1.pem")
_25._tcp.mx1	TLSA 3 1 1 $(spki256 "$T/mx1.pem")
_25._tcp.mx2	TLSA 3 1 1 $(spki256 "$T/other.pem")
_25._tcp.mx3	TLSA 3 1 1 $(spki256 "$T/mx1.pem")
_25._tcp.mx4	TLSA 2 0 1 $(cert256 "$T/ca.pem")
_25._tcp.mx5	TLSA 2 0 1 $(cert256 "$T/ca.pem")
_25._tcp.mxodd	TLSA 1 1 1 $(spki256 "$T/mx1.pem")
_25._tcp.mxodd	TLSA 7 1 1 $(spki256 "$T/mx1.pem")
dane-ee		MX 10 mx1.test.
dane-ta		MX 10 mx4.test.
dane-bad	MX 10 mx2.test.
dane-plain	MX 10 mx3.test.
dane-expired	MX 10 mx5.test.
dane-odd	MX 10 mxodd.test.
dane-bogus	MX 10 mx7.test.
dane-sts	MX 10 mx1.test.
_mta-sts.dane-sts TXT "v=STSv1; id=1"
mta-sts.dane-sts A 192.0.2.80
plain		MX 10 mx6.test.
insecure	NS ns1.test.
EOF
cat >"$T/insecure.zone" <<EOF
\$ORIGIN insecure.test.
\$TTL 300
@		SOA ns1.test. hostmaster.test. 1 3600 600 86400 300
@		NS ns1.test.
@		MX 10 mx.insecure.test.
mx		A 192.0.2.61
_25._tcp.mx	TLSA 3 1 1 $(spki256 "$T/other.pem")
EOF
mkdir "$T/keys"
test_key=$(cd "$T/keys" && ldns-keygen -a ECDSAP256SHA256 -k test)
ldns-signzone -f "$T/test.zone.signed" "$T/test.zone" "$T/keys/$test_key" ||
    integ_skip "ldns-signzone failed"
# mx7's TLSA record changed after signing: its signature fails, and the
# validating resolver answers SERVFAIL.
good=$(spki256 "$T/mx1.pem")
sed -i "/^_25\._tcp\.mx7\.test\..*TLSA/s/$good/$(spki256 "$T/other.pem")/" \
    "$T/test.zone.signed"
grep -q "^_25\._tcp\.mx7\.test\..*TLSA.*$(spki256 "$T/other.pem")" \
    "$T/test.zone.signed" || integ_skip "cannot break mx7's TLSA record"
integ_nsd_start_at 127.0.0.2 ns1 test "$T/test.zone.signed" \
    insecure.test "$T/insecure.zone" || integ_skip "NSD did not start"
integ_unbound_start 127.0.0.5 53 \
    "    trust-anchor-file: \"$T/keys/$test_key.ds\"" \
    "    local-zone: \"test.\" nodefault" \
    "stub-zone:" "    name: \"test.\"" "    stub-addr: 127.0.0.2"
i=0
until dig @127.0.0.5 +time=1 +tries=1 test SOA >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -le 50 ] || integ_skip "Unbound did not start: $(tail -n 5 "$T/unbound.log" "$T/unbound.out" 2>/dev/null)"
	sleep 0.2
done
if ! dig @127.0.0.5 +dnssec _25._tcp.mx1.test TLSA | grep -q 'flags:.* ad'; then
	integ_skip "Unbound does not validate the lab: $(dig @127.0.0.5 +dnssec _25._tcp.mx1.test TLSA)"
fi

# ---- The subscribers' MTAs: ADDR:CERT-STEM (none: no STARTTLS) ----
integ_spawn "$T/mta.log" "$PY" \
    "$top_srcdir/tests/integration/listd_tls_mta.py" "$T/spool" \
    "192.0.2.61:$T/mx1" "192.0.2.62:$T/mx2" "192.0.2.63:" \
    "192.0.2.64:$T/mx4" "192.0.2.65:$T/mx5"
mkdir "$T/pol"
printf 'version: STSv1\nmode: enforce\nmx: other.test\nmax_age: 600\n' \
    >"$T/pol/dane-sts.test"
integ_spawn "$T/web.log" "$PY" \
    "$top_srcdir/tests/integration/listd_sts_web.py" "$T/web" 192.0.2.80 \
    "$T/pol"
i=0
until grep -q ready "$T/mta.log" 2>/dev/null &&
    grep -q ready "$T/web.log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 100 ] || integ_skip "the MTAs did not start: $(cat "$T/mta.log")"
	sleep 0.1
done

# ---- One post to every domain ----
drive_list
printf 'From: alice@example.org\nTo: dev@lists.test\nSubject: dane\nMessage-ID: <dane1@example.org>\n\nHello over DANE.\n' >"$T/msg"
for d in dane-ee dane-ta dane-bad dane-plain dane-expired dane-odd plain \
    insecure dane-bogus dane-sts; do
	echo "u@$d.test"
done >"$T/rcpt"
M=$("$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$T/rcpt")
"$DRIVE" run "$DB" lists.test 127.0.0.5:53 --port 25 --idle --seconds 60 \
    --tls-ca-file "$T/ca.pem" >"$T/drive.out" 2>"$T/drive.log" || true

# case NAME DOMAIN STATE ADDR TLS WHAT: the copy to DOMAIN ended in
# STATE ("sent 1", "queued 1") and the MTA at ADDR saw TLS ("TLSv1.3",
# "none"; "" for no message at all) among its messages.
case_()
{
	local name=$1 dom=$2 want=$3 addr=$4 tls=$5 s g ok=1

	s=$(drive_state "$dom")
	g=$(drive_got "$addr" | tr '\n' ' ')
	[ "$s" = "$want" ] || ok=0
	if [ -z "$tls" ]; then
		[ -z "$g" ] || ok=0
	else
		case " $g" in *" $tls "*) ;; *) ok=0 ;; esac
	fi
	if [ "$ok" = 1 ]; then
		integ_ok "$name"
	else
		integ_notok "$name" "state=$s (want $want) at $addr: '$g' (want '$tls')" \
		    "$(grep "$dom" "$T/drive.log" | tail -n 3)"
	fi
}
case_ "DANE-EE 3 1 1 that matches: delivered over TLS" dane-ee "sent 1" \
    192.0.2.61 TLSv1.3
case_ "DANE-TA 2 0 1 of the issuing CA: delivered over TLS" dane-ta \
    "sent 1" 192.0.2.64 TLSv1.3
case_ "TLSA of another key: deferred, nothing sent" dane-bad "queued 1" \
    192.0.2.62 ""
case_ "expired certificate under DANE-TA: deferred, nothing sent" \
    dane-expired "queued 1" 192.0.2.65 ""
# 192.0.2.63 is also mx6.test, plain.test's MX without TLSA: it takes
# that copy in plain text and must take no other.
case_ "validated MX, no TLSA, no STARTTLS: delivered in plain text" \
    plain "sent 1" 192.0.2.63 none
n63=$(drive_got 192.0.2.63 | wc -l)
if [ "$(drive_state dane-plain)" = "queued 1" ] && [ "$n63" = 1 ] &&
    grep -q 'deliver tls policy of dane-plain.test not met: TLS is required, but the server does not offer STARTTLS' "$T/drive.log"; then
	integ_ok "TLSA and STARTTLS stripped: deferred, never in plain text"
else
	integ_notok "STARTTLS stripped" "state=$(drive_state dane-plain) messages at .63: $n63" \
	    "$(grep dane-plain "$T/drive.log" | tail -n 3)"
fi
case_ "only unusable TLSA (usages 1 and 7): TLS still required, delivered" \
    dane-odd "sent 1" 192.0.2.61 TLSv1.3
case_ "TLSA in an unsigned zone (no AD) ignored: delivered" insecure \
    "sent 1" 192.0.2.61 TLSv1.3
r=$(drive_reply dane-bogus)
if [ "$r" = "queued 451 4.7.5 dane-bogus.test: the TLSA look-up of its validated mail hosts failed (RFC 7672 section 2.2.1)" ] &&
    grep -q 'TLSA look-up for mx7.test failed under a validated MX: host skipped' "$T/drive.log"; then
	integ_ok "TLSA record bogus (SERVFAIL) under a validated MX: host skipped, deferred"
else
	integ_notok "bogus TLSA" "$r" "$(grep -i 'bogus\|mx7' "$T/drive.log" | tail -n 3)"
fi
if grep -q 'deliver dane dane-ee.test: 3 1 1 depth 0' "$T/drive.log" &&
    grep -q 'deliver dane dane-ta.test: 2 0 1 depth 1' "$T/drive.log" &&
    grep -q 'deliver dane dane-odd.test: unauthenticated' "$T/drive.log" &&
    grep -q 'deliver tls policy of dane-bad.test not met: TLS handshake: .*certificate verify failed' "$T/drive.log" &&
    grep -q 'deliver tls policy of dane-expired.test not met: TLS handshake: .*certificate has expired' "$T/drive.log"; then
	integ_ok "the log says which record matched and why a check failed"
else
	integ_notok "the log lines" "$(grep -E 'dane|policy' "$T/drive.log" | head -n 10)"
fi
case_ "DANE, and an enforced MTA-STS policy without the MX: DANE wins, delivered" \
    dane-sts "sent 1" 192.0.2.61 TLSv1.3
if grep -q 'deliver dane dane-sts.test: 3 1 1 depth 0' "$T/drive.log" &&
    grep -q 'deliver domain dane-sts.test: MTA-STS policy id 1: mode enforce' "$T/drive.log"; then
	integ_ok "dane-sts: the policy was fetched, DANE matched"
else
	integ_notok "dane-sts's log" "$(grep dane-sts "$T/drive.log" | head -n 5)"
fi
# dane: connections under DANE (ee, ta, bad, plain, expired, odd, sts);
# tls_policy_failed: bad, plain, expired, bogus; MTA-STS: one policy
# fetched (dane-sts's), no connection under it.
if grep -q 'sent=6 deferred=4 .* dane=7 tls_policy_failed=4 probes=.* sts_out=0 sts_failed=0 sts_testing_failed=0 sts_fetched=1 sts_fetch_failed=0' "$T/drive.out"; then
	integ_ok "the counters: dane=7 tls_policy_failed=4 sts_fetched=1"
else
	integ_notok "the counters" "$(cat "$T/drive.out")"
fi

integ_summary
