#!/bin/sh
# tests/integration/listd_sts.sh: MTA-STS (RFC 8461) on timbre-listd's
# delivery (daemons/listd/sts.c, mx.c, deliver.c; the SMTP_TLS_PKIX
# level of src/smtp/transport.c), driven by tests/unit/listd/
# deliver_drive against real peers: NSD serving the zone test (the MX,
# _mta-sts TXT and address records) as the engine's resolver, the
# policies served over HTTPS by Python's http.server and ssl module on
# mta-sts.DOMAIN:443 (listd_sts_web.py: one server, the policy chosen
# by the Host header), and subscriber MTAs in Python's ssl module
# (listd_tls_mta.py) with certificates of a test CA made here, given to
# the engine as --tls-ca-file.  One subscriber per domain:
#
#   sts-ok: enforce, its MX in the policy, a certificate for the MX:
#     delivered over TLS;
#   sts-wrongmx: enforce, its MX not in the policy: deferred (4.7.5),
#     no connection;
#   sts-badcert: enforce, the MX's certificate is for another name:
#     deferred, nothing sent;
#   sts-plain: enforce, the MX offers no STARTTLS: deferred, nothing
#     sent in plain text;
#   sts-testing: testing, the MX's certificate for another name:
#     delivered, the would-be failure logged and counted;
#   sts-big: a policy of 10 MB: refused (logged), no policy, delivered;
#   sts-badver: a policy of version STSv2: refused, no policy, delivered;
#   sts-redirect: a 301 to elsewhere: not followed, no policy, delivered;
#   sts-slow (a second run): the policy server never answers; the engine
#     stops at its time all the same, the fetch thread cancelled.
#
# The engine's counters (sts_out, sts_failed, sts_testing_failed,
# sts_fetched, sts_fetch_failed) are asserted, and the policy server's
# log shows one fetch per domain.  The test runs in a network namespace
# of its own (unshare -rn), so that the peers take ports 25 and 443 and
# NSD port 53.
#
# Not here: a TXT id that changes while the engine runs (the engine
# keeps a domain's hosts LISTD_MX_TTL seconds); listd_sts_decide's
# refetch on a new id is in the unit suite (tests/unit/listd/test_sts.c).
#
# Exit: 0 all passed, 1 a case failed, 77 a peer is missing.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

integ_netns_reexec
# The MXs' addresses and the policy server's, on the namespace's
# loopback.
for a in 71 72 73 74 75 80; do
	ip addr add 192.0.2.$a/32 dev lo || integ_skip "cannot add 192.0.2.$a"
done

PY=/usr/bin/python3
integ_need_cmd nsd dig openssl $PY
integ_init
. "$top_srcdir/tests/integration/listd_drive_lib.sh"
T=$INTEG_TMP

# ---- The certificates: a CA, and the hosts' certificates it signs ----
drive_ca listd-sts-ca
# cert STEM NAME...: a key and a certificate for the NAMEs, 30 days.
cert()
{
	local stem=$1 san=

	shift
	for n in "$@"; do
		san="${san:+$san,}DNS:$n"
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$stem.key" -out "$T/$stem.csr" -subj "/CN=$1" \
	    2>/dev/null
	printf 'subjectAltName=%s\n' "$san" >"$T/$stem.ext"
	openssl x509 -req -in "$T/$stem.csr" -CA "$T/ca.pem" \
	    -CAkey "$T/ca.key" -CAcreateserial -days 30 \
	    -extfile "$T/$stem.ext" -out "$T/$stem.pem" 2>/dev/null
}
DOMS="sts-ok sts-wrongmx sts-badcert sts-plain sts-testing sts-big sts-badver sts-redirect"
web=
for d in $DOMS sts-slow; do
	web="$web mta-sts.$d.test"
done
# shellcheck disable=SC2086
cert web $web
cert mx1 mx1.test
cert other other.test

# ---- The zone ----
{
	cat <<-EOF
	\$ORIGIN test.
	\$TTL 300
	@		SOA ns1.test. hostmaster.test. 1 3600 600 86400 300
	@		NS ns1.test.
	ns1		A 127.0.0.2
	mx1		A 192.0.2.71
	mx2		A 192.0.2.72
	mx3		A 192.0.2.73
	mx4		A 192.0.2.74
	mx5		A 192.0.2.75
	mx6		A 192.0.2.71
	sts-ok		MX 10 mx1.test.
	sts-wrongmx	MX 10 mx6.test.
	sts-badcert	MX 10 mx2.test.
	sts-plain	MX 10 mx3.test.
	sts-testing	MX 10 mx4.test.
	sts-big		MX 10 mx5.test.
	sts-badver	MX 10 mx5.test.
	sts-redirect	MX 10 mx5.test.
	sts-slow	MX 10 mx5.test.
	EOF
	for d in $DOMS sts-slow; do
		printf 'mta-sts.%s\tA 192.0.2.80\n' "$d"
		printf '_mta-sts.%s\tTXT "v=STSv1; id=20261207T1"\n' "$d"
	done
} >"$T/test.zone"
integ_nsd_start_at 127.0.0.2 ns1 test "$T/test.zone" ||
    integ_skip "NSD did not start"
i=0
until dig @127.0.0.2 +time=1 +tries=1 _mta-sts.sts-ok.test TXT 2>/dev/null |
    grep -q 'v=STSv1'; do
	i=$((i + 1))
	[ "$i" -le 50 ] || integ_skip "NSD does not answer: $(tail -n 5 "$T"/nsd-ns1/*.log 2>/dev/null)"
	sleep 0.2
done

# ---- The policy server: the policy of the domain in Host ----
mkdir "$T/pol"
pol()
{
	printf 'version: %s\nmode: %s\nmx: %s\nmax_age: 86400\n' "$2" "$3" "$4" \
	    >"$T/pol/$1.test"
}
pol sts-ok STSv1 enforce mx1.test
pol sts-wrongmx STSv1 enforce mx1.test
pol sts-badcert STSv1 enforce '*.test'
pol sts-plain STSv1 enforce mx3.test
pol sts-testing STSv1 testing mx4.test
pol sts-badver STSv2 enforce mx9.test
# 10 MB of mx: lines after a valid start.
{
	printf 'version: STSv1\nmode: enforce\nmax_age: 86400\n'
	yes 'mx: mx9.test' | head -c 10485760
} >"$T/pol/sts-big.test"
echo REDIRECT >"$T/pol/sts-redirect.test"
echo SLOW >"$T/pol/sts-slow.test"
integ_spawn "$T/web.log" "$PY" \
    "$top_srcdir/tests/integration/listd_sts_web.py" "$T/web" 192.0.2.80 \
    "$T/pol"
# ---- The subscribers' MTAs: ADDR:CERT-STEM (none: no STARTTLS) ----
integ_spawn "$T/mta.log" "$PY" \
    "$top_srcdir/tests/integration/listd_tls_mta.py" "$T/spool" \
    "192.0.2.71:$T/mx1" "192.0.2.72:$T/other" "192.0.2.73:" \
    "192.0.2.74:$T/other" "192.0.2.75:$T/other"
i=0
until grep -q ready "$T/mta.log" 2>/dev/null &&
    grep -q ready "$T/web.log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 100 ] || integ_skip "the peers did not start: $(cat "$T/mta.log" "$T/web.log")"
	sleep 0.1
done

# ---- One post to every domain ----
drive_list
printf 'From: alice@example.org\nTo: dev@lists.test\nSubject: sts\nMessage-ID: <sts1@example.org>\n\nHello under MTA-STS.\n' >"$T/msg"
for d in $DOMS; do
	echo "u@$d.test"
done >"$T/rcpt"
M=$("$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$T/rcpt")
"$DRIVE" run "$DB" lists.test 127.0.0.2:53 --port 25 --idle --seconds 90 \
    --tls-ca-file "$T/ca.pem" >"$T/drive.out" 2>"$T/drive.log" || true

# case NAME DOMAIN STATE ADDR TLS COUNT: the copy to DOMAIN ended in
# STATE ("sent 1", "queued 1") and the MTA at ADDR received COUNT
# messages, the last over TLS ("TLSv1.3", "none"; "" for none at all).
case_()
{
	local name=$1 dom=$2 want=$3 addr=$4 tls=$5 count=$6 s g n ok=1

	s=$(drive_state "$dom")
	g=$(drive_got "$addr" | tail -n 1)
	n=$(drive_got "$addr" | wc -l)
	[ "$s" = "$want" ] && [ "$g" = "$tls" ] && [ "$n" = "$count" ] ||
	    ok=0
	if [ "$ok" = 1 ]; then
		integ_ok "$name"
	else
		integ_notok "$name" "state=$s (want $want) at $addr: $n '$g' (want $count '$tls')" \
		    "$(grep "$dom" "$T/drive.log" | tail -n 4)"
	fi
}

# 192.0.2.71 is both mx1 (sts-ok's MX) and mx6 (sts-wrongmx's, not in
# its policy): it must get sts-ok's copy alone.
case_ "enforce, MX in the policy, certificate for it: delivered over TLS" \
    sts-ok "sent 1" 192.0.2.71 TLSv1.3 1
r=$(drive_reply sts-wrongmx)
if [ "$r" = "queued 451 4.7.5 sts-wrongmx.test: no mail host matches its MTA-STS policy (RFC 8461 section 4.1)" ] &&
    grep -q 'deliver domain sts-wrongmx.test: MX mx6.test is not in its MTA-STS policy (mode enforce): not used' "$T/drive.log"; then
	integ_ok "enforce, MX not in the policy: deferred (4.7.5), not connected"
else
	integ_notok "MX not in the policy" "$r" "$(grep wrongmx "$T/drive.log" | tail -n 3)"
fi
case_ "enforce, certificate for another name: deferred, nothing sent" \
    sts-badcert "queued 1" 192.0.2.72 "" 0
if grep -q 'deliver tls policy of sts-badcert.test not met: TLS handshake: .*certificate verify failed.*hostname mismatch' "$T/drive.log"; then
	integ_ok "the log says why the certificate failed"
else
	integ_notok "the certificate's log line" "$(grep badcert "$T/drive.log" | tail -n 3)"
fi
case_ "enforce, STARTTLS stripped: deferred, never in plain text" \
    sts-plain "queued 1" 192.0.2.73 "" 0
if grep -q 'deliver tls policy of sts-plain.test not met: TLS is required, but the server does not offer STARTTLS' "$T/drive.log"; then
	integ_ok "the log says STARTTLS was not offered"
else
	integ_notok "the STARTTLS log line" "$(grep sts-plain "$T/drive.log" | tail -n 3)"
fi
case_ "testing, certificate for another name: delivered over TLS" \
    sts-testing "sent 1" 192.0.2.74 TLSv1.3 1
if grep -q 'deliver MTA-STS policy of sts-testing.test (mode testing) not met: hostname mismatch' "$T/drive.log"; then
	integ_ok "testing: the would-be failure is logged"
else
	integ_notok "testing's log line" "$(grep sts-testing "$T/drive.log" | tail -n 3)"
fi
# 192.0.2.75 is the MX of sts-big, sts-badver and sts-redirect: with
# no policy each copy goes opportunistically, over TLS to a certificate
# for another name.
n75=$(drive_got 192.0.2.75 | wc -l)
if [ "$(drive_state sts-big)" = "sent 1" ] && [ "$(drive_state sts-badver)" = "sent 1" ] &&
    [ "$(drive_state sts-redirect)" = "sent 1" ] && [ "$n75" = 3 ]; then
	integ_ok "a 10 MB policy, version STSv2, a redirect: no policy, delivered"
else
	integ_notok "refused policies" "big=$(drive_state sts-big) badver=$(drive_state sts-badver) redirect=$(drive_state sts-redirect) at .75: $n75"
fi
if grep -q 'deliver domain sts-big.test: MTA-STS policy id 20261207T1 not taken from https://mta-sts.sts-big.test/.well-known/mta-sts.txt: the response is longer than 65536 bytes' "$T/drive.log" &&
    grep -q 'deliver domain sts-badver.test: MTA-STS policy id 20261207T1 not taken .*: policy: version is not STSv1; no policy' "$T/drive.log" &&
    grep -q 'deliver domain sts-redirect.test: MTA-STS policy id 20261207T1 not taken .*: HTTP status 301 (a redirect, not followed); no policy' "$T/drive.log" &&
    grep -q 'deliver domain sts-ok.test: MTA-STS policy id 20261207T1: mode enforce, max_age 86400, 1 mx pattern' "$T/drive.log"; then
	integ_ok "the log says which policy was taken and why others were not"
else
	integ_notok "the fetch log lines" "$(grep 'MTA-STS' "$T/drive.log" | head -n 10)"
fi
# One fetch per domain, each within the deadline.
nf=$(grep -c '^fetch mta-sts\..*\.test /.well-known/mta-sts.txt$' "$T/web.log" || true)
if [ "$nf" = 8 ]; then
	integ_ok "one fetch per domain"
else
	integ_notok "fetches" "$nf, want 8" "$(cat "$T/web.log")"
fi
# sts_out: connections under enforce (ok, badcert, plain); sts_failed:
# wrongmx, badcert, plain; sts_testing_failed: testing; fetched: ok,
# wrongmx, badcert, plain, testing; fetch failed: big, badver, redirect.
if grep -q 'sent=5 deferred=3 .* probes=.* sts_out=3 sts_failed=3 sts_testing_failed=1 sts_fetched=5 sts_fetch_failed=3' "$T/drive.out"; then
	integ_ok "the counters"
else
	integ_notok "the counters" "$(cat "$T/drive.out")"
fi

# A policy server that takes the connection and never answers: the
# engine stops at once all the same (the fetch thread is cancelled and
# joined), and counts no fetch.
printf 'u@sts-slow.test\n' >"$T/rcpt2"
M=$("$DRIVE" enqueue "$DB" lists.test dev alice@example.org "$T/msg" "$T/rcpt2")
t0=$(date +%s)
"$DRIVE" run "$DB" lists.test 127.0.0.2:53 --port 25 --seconds 3 \
    --tls-ca-file "$T/ca.pem" >"$T/drive2.out" 2>"$T/drive2.log" || true
t1=$(date +%s)
if [ $((t1 - t0)) -le 10 ] && [ "$(drive_state sts-slow)" != "sent 1" ] &&
    grep -q 'sts_fetched=0 sts_fetch_failed=0' "$T/drive2.out" &&
    grep -q '^fetch mta-sts.sts-slow.test ' "$T/web.log" &&
    ! grep -q 'Sanitizer\|runtime error' "$T/drive2.log" "$T/drive.log"; then
	integ_ok "a policy server that never answers: the fetch is cancelled at shutdown"
else
	integ_notok "cancelled fetch" "$((t1 - t0)) s, state $(drive_state sts-slow)" \
	    "$(cat "$T/drive2.out"; tail -n 5 "$T/drive2.log")"
fi

integ_summary
