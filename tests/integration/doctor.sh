#!/bin/sh
# doctor.sh: timbre doctor DOMAIN (issue 19) against a lab of domains
# served by NSD: good.test is healthy (no failure, no warning, exit 0
# even with --strict); every other domain has one thing broken, and the
# line that says so is asserted with its exit status: no MX, an MX that
# is a CNAME or an IP address, a null MX, SPF with 11 look-ups, SPF +all,
# DMARC p=none, reports to an unauthorised destination, DKIM keys of 768
# and 1024 bits, a revoked key, a key that is not the one derived from
# the password, a PTR that does not resolve back, a name server that
# never answers (and --timeout bounding the run), serials that differ, a
# domain that does not exist, a TLS-RPT record without a destination, an
# MX at 127.0.0.1, an SPF include loop, DNS text with control bytes;
# STARTTLS on the MX (none offered, a certificate for another name, a
# self-signed one, one about to expire, a chain of 50 certificates,
# nothing listening, a server that never speaks); the MTA-STS policy over
# HTTPS (one that does not parse, an mx: that does not match, mode
# enforce over an MX whose certificate does not verify, mode testing, a
# redirect, no host); DNSSEC (validated, bogus, an island, unsigned, a
# server that is no resolver) and TLSA (a match, a mismatch, records for
# a host without STARTTLS, none; DANE-TA: a chain up to the intermediate
# CA a record names, by its certificate's and its key's digest, a chain
# of that CA for another name, an anchor no server sends named by digest
# and given whole) through a validating Unbound; the age of
# a selector of timbre-signd's format; --json; usage errors.
#
# The test runs in a network namespace of its own (unshare -rn), so that
# the NSDs serve port 53 on 127.0.0.2 (ns1) and 127.0.0.3 (ns2), where
# doctor asks each name server, and a black hole takes 127.0.0.4:53.  The
# MX hosts and mta-sts hosts of the lab get their 192.0.2.x addresses on
# the namespace's loopback, where Python's ssl module (OpenSSL) serves
# SMTP with STARTTLS on port 25 and HTTPS on port 443 with certificates of
# a test CA made here by openssl; doctor trusts that CA through
# SSL_CERT_FILE.  The zones test, bogus.test and island.test are signed
# with keys made here (ldns-signzone); Unbound on 127.0.0.5 validates with
# test's DS as its trust anchor.  Zones: tests/data/doctor/.

set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

if [ -z "${DOCTOR_TEST_NETNS:-}" ]; then
	command -v unshare >/dev/null 2>&1 || integ_skip "unshare not found"
	command -v ip >/dev/null 2>&1 || integ_skip "ip (iproute2) not found"
	unshare -rn true 2>/dev/null ||
	    integ_skip "cannot create a network namespace (unshare -rn)"
	DOCTOR_TEST_NETNS=1
	export DOCTOR_TEST_NETNS top_srcdir top_builddir
	exec unshare -rn /bin/sh -c 'ip link set lo up &&
	    for a in 25 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54; do
		ip addr add 192.0.2.$a/32 dev lo || exit 1
	    done && exec /bin/sh "$0"' "$0"
fi

TIMBRE=$top_builddir/tools/timbre
DATA=$top_srcdir/tests/data/doctor
PY=/usr/bin/python3

integ_need_cmd nsd dig openssl $PY ldns-keygen ldns-signzone unbound
[ -x "$TIMBRE" ] || integ_skip "$TIMBRE is not built"
integ_init
T=$INTEG_TMP

# The key records: s1 of good.test derived from the password, RSA keys
# of 768 and 1024 bits made here.
good_dkim=$("$TIMBRE" key derive --domain good.test --selector s1 \
    --algorithm ed25519-sha256 --password-file "$DATA/password")
rsa_record()
{
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$1" \
	    -out "$T/rsa$1.pem" 2>/dev/null
	printf 'v=DKIM1; k=rsa; p=%s' "$(openssl pkey -in "$T/rsa$1.pem" \
	    -pubout -outform DER 2>/dev/null | base64 -w0)"
}
short_dkim=$(rsa_record 768) || integ_skip "openssl cannot make RSA keys"
weak_dkim=$(rsa_record 1024)
printf 'not the password\n' >"$T/wrong"

# The black hole: reads questions on 127.0.0.4:53 and never answers.
integ_spawn "$T/hole.log" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.4", 53))
while True:
    s.recv(65535)
'
# The TLS lab: a CA, and certificates it signs (CN and subjectAltName
# NAME) valid DAYS days: cert NAME FILE DAYS [CA-FILE-STEM].
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 30 -subj /CN=doctor-lab-ca \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
    integ_skip "openssl cannot make a CA"
cert()
{
	printf 'subjectAltName=%s\n' "$4" >"$T/$2.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$2.key" -out "$T/$2.csr" -subj "/CN=$1" 2>/dev/null &&
	openssl x509 -req -in "$T/$2.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	    -CAcreateserial -days "$3" -extfile "$T/$2.ext" \
	    -out "$T/$2.pem" 2>/dev/null
}
cert mx.test mx 91 DNS:mx.test
# DANE-TA: an intermediate CA, ta, under the lab's CA; mx-ta.test's
# certificate (also valid for mx-ta-root.test) and one for another name,
# both from ta, each served with ta after it.
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' \
    >"$T/ta.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ta.key" -out "$T/ta.csr" -subj /CN=doctor-lab-ta 2>/dev/null
openssl x509 -req -in "$T/ta.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days 91 -extfile "$T/ta.ext" -out "$T/ta.pem" \
    2>/dev/null || integ_skip "openssl cannot make an intermediate CA"
ta_cert()
{
	printf 'subjectAltName=%s\n' "$3" >"$T/$2.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$2.key" -out "$T/$2.csr" -subj "/CN=$1" 2>/dev/null &&
	openssl x509 -req -in "$T/$2.csr" -CA "$T/ta.pem" -CAkey "$T/ta.key" \
	    -CAcreateserial -days 91 -extfile "$T/$2.ext" \
	    -out "$T/$2.leaf" 2>/dev/null &&
	cat "$T/$2.leaf" "$T/ta.pem" >"$T/$2.pem"
}
ta_cert mx-ta.test mxta DNS:mx-ta.test,DNS:mx-ta-root.test
ta_cert mx-elsewhere.test tabad DNS:mx-elsewhere.test
cert other.test wrong 91 DNS:other.test
cert mx-soon.test soon 5 DNS:mx-soon.test
cert mta-sts.good.test sts 91 "DNS:mta-sts.good.test,DNS:mta-sts.stsbad.test,DNS:mta-sts.stsmx.test,DNS:mta-sts.tlsname.test,DNS:mta-sts.ststest.test,DNS:mta-sts.stsmoved.test"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/self.key" -out "$T/self.pem" -days 91 -subj /CN=mx-self.test \
    -addext subjectAltName=DNS:mx-self.test 2>/dev/null
# A chain of 50: mx-long.test's certificate under 49 intermediate CAs.
issuer=ca
for i in $(seq 1 49); do
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' \
	    >"$T/int$i.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/int$i.key" -out "$T/int$i.csr" -subj "/CN=int$i" \
	    2>/dev/null &&
	openssl x509 -req -in "$T/int$i.csr" -CA "$T/$issuer.pem" \
	    -CAkey "$T/$issuer.key" -CAcreateserial -days 91 \
	    -extfile "$T/int$i.ext" -out "$T/int$i.pem" 2>/dev/null ||
	    integ_skip "openssl cannot make intermediate CAs"
	issuer=int$i
done
printf 'subjectAltName=DNS:mx-long.test\n' >"$T/long.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/long.key" -out "$T/long.csr" -subj /CN=mx-long.test \
    2>/dev/null
openssl x509 -req -in "$T/long.csr" -CA "$T/int49.pem" -CAkey "$T/int49.key" \
    -CAcreateserial -days 91 -extfile "$T/long.ext" -out "$T/long.leaf" \
    2>/dev/null
{
	cat "$T/long.leaf"
	for i in $(seq 49 -1 1); do
		cat "$T/int$i.pem"
	done
} >"$T/long.pem"

SSL_CERT_FILE=$T/ca.pem
export SSL_CERT_FILE

# The zones: test.zone with its placeholders filled (the TLSA 3 1 1 of
# mx.test's key; of another key for mx-self.test), then test, bogus.test
# and island.test each signed with a key made here (ldns-signzone).
tlsa311()
{
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin \
	    -outform DER | sha256sum | cut -d' ' -f1
}
# The certificate in DER, hex: whole (TLSA x 0 0) or its SHA-256 (x 0 1).
cert_hex()
{
	openssl x509 -in "$1" -outform DER | od -An -v -tx1 | tr -d ' \n'
}
cert_sha256()
{
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}
mkdir "$T/keys"
key()
{
	(cd "$T/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$1")
}
test_key=$(key test)
bogus_key=$(key bogus.test)
other_key=$(key bogus.test)
island_key=$(key island.test)
sed -e "s|@GOOD_DKIM@|$(integ_txt_strings "$good_dkim")|" \
    -e "s|@SHORT_DKIM@|$(integ_txt_strings "$short_dkim")|" \
    -e "s|@WEAK_DKIM@|$(integ_txt_strings "$weak_dkim")|" \
    -e "s|@MX_TLSA@|$(tlsa311 "$T/mx.pem")|" \
    -e "s|@OTHER_TLSA@|$(tlsa311 "$T/wrong.pem")|" \
    -e "s|@TA_CERT_TLSA@|$(cert_sha256 "$T/ta.pem")|" \
    -e "s|@TA_KEY_TLSA@|$(tlsa311 "$T/ta.pem")|" \
    -e "s|@CA_CERT_TLSA@|$(cert_sha256 "$T/ca.pem")|" \
    -e "s|@CA_CERT@|$(cert_hex "$T/ca.pem")|" \
    -e "s|@BOGUS_DS@|$(cut -f4- "$T/keys/$other_key.ds")|" \
    "$DATA/test.zone" >"$T/test.zone"
cp "$DATA/bogus.test.zone" "$DATA/island.test.zone" "$T/"
for z in test:$test_key bogus.test:$bogus_key island.test:$island_key; do
	ldns-signzone -f "$T/${z%%:*}.zone.signed" "$T/${z%%:*}.zone" \
	    "$T/keys/${z#*:}" || integ_skip "ldns-signzone failed on ${z%%:*}"
done

# The MTA-STS policies, one web root each.
policy()
{
	mkdir -p "$T/www-$1/.well-known"
	printf "$2" >"$T/www-$1/.well-known/mta-sts.txt"
}
policy good 'version: STSv1\r\nmode: enforce\r\nmx: mx.test\r\nmax_age: 604800\r\n'
policy stsbad 'version: STSv1\nmode: sometimes\nmx: mx.test\nmax_age: 604800\n'
policy stsmx 'version: STSv1\nmode: enforce\nmx: *.other.test\nmax_age: 604800\n'
policy tlsname 'version: STSv1\nmode: enforce\nmx: mx-wrong.test\nmax_age: 604800\n'
policy ststest 'version: STSv1\nmode: testing\nmx: other.test\nmax_age: 3600\n'

# The peers: SMTP servers (smtp:ADDR:CERT, no CERT for one without
# STARTTLS), one that accepts and never speaks (mute:ADDR), HTTPS servers
# (https:ADDR:CERT:ROOT) and one that redirects (moved:ADDR:CERT).
cat >"$T/peers.py" <<'PYEOF'
import http.server, socket, socketserver, ssl, sys, threading, time

def tls(stem):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(stem + ".pem", stem + ".key")
    return ctx

class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

def smtp(addr, ctx):
    class H(socketserver.StreamRequestHandler):
        def handle(self):
            s = self.request
            f = s.makefile("rb")
            s.sendall(b"220 lab ESMTP\r\n")
            while True:
                l = f.readline(1000)
                if not l:
                    return
                v = l.strip().upper()
                if v.startswith(b"EHLO"):
                    s.sendall(b"250-lab\r\n" +
                        (b"250-STARTTLS\r\n" if ctx else b"") +
                        b"250 8BITMIME\r\n")
                elif v == b"STARTTLS" and ctx:
                    s.sendall(b"220 2.0.0 ready\r\n")
                    s = ctx.wrap_socket(s, server_side=True)
                    f = s.makefile("rb")
                elif v == b"QUIT":
                    s.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    s.sendall(b"502 5.5.1 no\r\n")
    return TCP((addr, 25), H)

def mute(addr):
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            time.sleep(60)
    return TCP((addr, 25), H)

def https(addr, ctx, root, moved):
    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)
        def log_message(self, *a):
            pass
        def do_GET(self):
            if moved:
                self.send_response(301)
                self.send_header("Location", "https://elsewhere.test/")
                self.end_headers()
                return
            super().do_GET()
    srv = http.server.ThreadingHTTPServer((addr, 443), H)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv

servers = []
for spec in sys.argv[1:]:
    w = spec.split(":")
    if w[0] == "smtp":
        servers.append(smtp(w[1], tls(w[2]) if w[2] else None))
    elif w[0] == "mute":
        servers.append(mute(w[1]))
    elif w[0] == "https":
        servers.append(https(w[1], tls(w[2]), w[3], False))
    elif w[0] == "moved":
        servers.append(https(w[1], tls(w[2]), "/", True))
for srv in servers:
    threading.Thread(target=srv.serve_forever, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
PYEOF
integ_spawn "$T/peers.log" "$PY" "$T/peers.py" \
    "smtp:192.0.2.25:$T/mx" "smtp:192.0.2.41:" "smtp:192.0.2.42:$T/wrong" \
    "smtp:192.0.2.43:$T/self" "smtp:192.0.2.44:$T/soon" \
    "smtp:192.0.2.52:$T/long" \
    "smtp:192.0.2.53:$T/mxta" "smtp:192.0.2.54:$T/tabad" \
    "mute:192.0.2.51" \
    "https:192.0.2.40:$T/sts:$T/www-good" \
    "https:192.0.2.46:$T/sts:$T/www-stsbad" \
    "https:192.0.2.47:$T/sts:$T/www-stsmx" \
    "https:192.0.2.48:$T/sts:$T/www-tlsname" \
    "https:192.0.2.49:$T/sts:$T/www-ststest" \
    "moved:192.0.2.50:$T/sts"
i=0
until grep -q ready "$T/peers.log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 100 ] || integ_skip "the SMTP and HTTPS peers did not start: $(cat "$T/peers.log")"
	sleep 0.1
done

integ_nsd_start_at 127.0.0.2 ns1 test "$T/test.zone.signed" \
    slow.test "$DATA/slow.test.zone" lag.test "$DATA/lag.test.ns1.zone" \
    2.0.192.in-addr.arpa "$DATA/reverse.zone" \
    bogus.test "$T/bogus.test.zone.signed" \
    island.test "$T/island.test.zone.signed" ||
    integ_skip "NSD did not start on 127.0.0.2"
integ_nsd_start_at 127.0.0.3 ns2 test "$T/test.zone.signed" \
    lag.test "$DATA/lag.test.ns2.zone" ||
    integ_skip "NSD did not start on 127.0.0.3"

# A validating resolver on 127.0.0.5: Unbound, with the DS of test's key
# as its trust anchor, asking ns1.  The names of RFC 6761 and RFC 5737
# it would answer itself are real here.
integ_unbound_start 127.0.0.5 53 \
    "    trust-anchor-file: \"$T/keys/$test_key.ds\"" \
    "    rrset-roundrobin: no" \
    "    local-zone: \"test.\" nodefault" \
    "    local-zone: \"2.0.192.in-addr.arpa.\" nodefault" \
    "stub-zone:" "    name: \"test.\"" "    stub-addr: 127.0.0.2" \
    "stub-zone:" "    name: \"2.0.192.in-addr.arpa.\"" \
    "    stub-addr: 127.0.0.2"
i=0
until dig @127.0.0.5 +time=1 +tries=1 test SOA >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -le 50 ] || integ_skip "Unbound did not start: $(tail -n 5 "$T/unbound.log" "$T/unbound.out" 2>/dev/null)"
	sleep 0.2
done

# doctor NAME ARGS...: runs timbre doctor against ns1 (or the resolver
# $NS); output in $T/NAME.out, exit status in $rc.
NS=127.0.0.2
doctor()
{
	local name=$1

	shift
	rc=0
	"$TIMBRE" doctor -n "udp:$NS" "$@" >"$T/$name.out" \
	    2>"$T/$name.err" || rc=$?
}

# expect_with GREP-OPTIONS NAME STATUS PATTERN...: the run's status is
# STATUS and each PATTERN finds a line of its output with grep.
expect_with()
{
	local opts=$1 name=$2 status=$3 l missing=

	shift 3
	for l in "$@"; do
		grep -q $opts -- "$l" "$T/$name.out" || missing="$missing
missing: $l"
	done
	if [ "$rc" -eq "$status" ] && [ -z "$missing" ]; then
		integ_ok "$name"
	else
		integ_notok "$name" "exit $rc, want $status$missing" \
		    "$(cat "$T/$name.out" "$T/$name.err")"
	fi
}

# expect NAME STATUS LINE...: each LINE is one whole line of the output.
# expect_match NAME STATUS REGEX...: each extended REGEX matches a line.
expect()
{
	expect_with -xF "$@"
}

expect_match()
{
	expect_with -E "$@"
}


# The healthy domain, checked as the operator would: with the sending
# host, the selector and the password, through the validating resolver.
# Every line, in order.
NS=127.0.0.5
doctor good --strict --ip 192.0.2.26 --selector s1 \
    --password-file "$DATA/password" good.test
cat >"$T/good.want" <<EOF
NS        ok     zone test: ns1.test (127.0.0.2) serial 1, ns2.test (127.0.0.3) serial 1
MX        ok     10 mx.test -> 192.0.2.25
PTR       ok     192.0.2.25 -> mx.test (confirmed); 192.0.2.26 -> sender.test (confirmed)
SPF       ok     v=spf1 mx ip4:192.0.2.26 -all -- 1 of 10 DNS look-ups, 0 of 2 void look-ups; 192.0.2.26 is permitted
DKIM      ok     s1 (ed25519), the key derived from the password
DMARC     ok     p=reject; rua to reports.test authorised
DNSSEC    ok     good.test is signed and its answers validate (the resolver set the AD bit: a chain of trust from its trust anchor)
TLS       ok     mx.test:25 STARTTLS TLSv1.3, certificate valid 90 more days
TLSA      ok     mx.test: TLSA 3 1 1 matches
MTA-STS   ok     v=STSv1; id=20260101; policy mode=enforce max_age=604800 mx=mx.test
TLS-RPT   ok     v=TLSRPTv1; rua=mailto:tlsrpt@good.test
0 failures, 0 warnings
EOF
if [ "$rc" -eq 0 ] && cmp -s "$T/good.want" "$T/good.out"; then
	integ_ok "good.test: every check ok, exit 0 with --strict"
else
	integ_notok "good.test: every check ok, exit 0 with --strict" \
	    "exit $rc" "$(diff "$T/good.want" "$T/good.out" || true)" \
	    "$(cat "$T/good.err")"
fi

# The same as JSON: an array of {check, result, detail}.  From here on,
# the questions go to ns1, which is no resolver: DNSSEC and TLSA skip.
NS=127.0.0.2
doctor good-json --json --selector s1 good.test
if [ "$rc" -eq 0 ] && $PY -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 11, a
assert all(set(o) == {"check", "result", "detail"} for o in a), a
assert [o["check"] for o in a][:6] == ["NS", "MX", "PTR", "SPF", "DKIM",
    "DMARC"], a
assert a[4] == {"check": "DKIM", "result": "ok", "detail": "s1 (ed25519)"}, a
assert all(o["result"] in ("ok", "skip", "none") for o in a), a
' "$T/good-json.out" 2>"$T/good-json.py"; then
	integ_ok "--json: the same checks as a JSON array"
else
	integ_notok "--json: the same checks as a JSON array" "exit $rc" \
	    "$(cat "$T/good-json.out" "$T/good-json.py")"
fi

doctor wrongpw --selector s1 --password-file "$T/wrong" good.test
expect wrongpw 1 "DKIM      FAIL   s1 (ed25519) is not the key derived from the password: timbre-signd signs with the derived key, so its signatures fail; publish the record of timbre key derive, or check the password" \
    "1 failure, 0 warnings"

doctor nomx nomx.test
expect nomx 1 "MX        FAIL   no MX record (no such record): senders fall back to the address of nomx.test itself (RFC 5321 section 5.1) or bounce; publish an MX, or a null MX \"0 .\" (RFC 7505) if the domain takes no mail" \
    "PTR       none   no address to check (no usable MX address; give --ip for the sending host)" \
    "1 failure, 0 warnings"

doctor cname cname.test
expect cname 1 "MX        FAIL   10 alias.test is a CNAME (to mx.test): RFC 2181 section 10.3 forbids it and some senders refuse it; point the MX at the canonical name -> 192.0.2.25" \
    "TLS       warn   alias.test:25 STARTTLS TLSv1.3, certificate valid 90 more days, not valid for the name alias.test: senders that check certificates (MTA-STS, DANE, some large providers) do not deliver; install a certificate for alias.test from a public CA, with its intermediates" \
    "1 failure, 1 warning"

doctor iplit iplit.test
expect_match iplit 1 "^MX        FAIL   10 192\.0\.2\.25 is an IP address, not a host name" \
    "^1 failure, 0 warnings$"

doctor nullmx nullmx.test
expect nullmx 0 "MX        ok     null MX (RFC 7505): nullmx.test accepts no mail, and receivers may reject mail from it, whose bounces could not come back" \
    "0 failures, 0 warnings"

doctor spfmany spfmany.test
expect spfmany 1 "SPF       FAIL   v=spf1 a a a a a a a a a a a -all -- 11 of 10 DNS look-ups, 0 of 2 void look-ups; permerror (more than 10 dns-querying terms): receivers treat the mail as unauthenticated and DMARC fails it; stay within the limits of RFC 7208 section 4.6.4 (fewer include:, a, mx terms; ip4:/ip6: instead)" \
    "1 failure, 0 warnings"

doctor spfall spfall.test
expect_match spfall 1 "^SPF       FAIL   v=spf1 mx \+all; \+all lets every host on the Internet send as spfall\.test, " \
    "^1 failure, 0 warnings$"

doctor pnone pnone.test
expect pnone 0 "DMARC     warn   p=none; p=none: receivers will not act on failures; consider p=quarantine after reading reports" \
    "0 failures, 1 warning"
doctor pnone-strict --strict pnone.test
expect pnone-strict 1 "0 failures, 1 warning"

doctor rua rua.test
expect rua 0 "DMARC     warn   p=reject; rua to elsewhere.test is not authorised (no v=DMARC1 record at rua.test._report._dmarc.elsewhere.test, RFC 7489 section 7.1): reporters send no reports there; publish it in elsewhere.test or send reports to rua.test" \
    "0 failures, 1 warning"

doctor tlsrpt tlsrpt.test
expect tlsrpt 1 "MTA-STS   FAIL   v=STSv1; id=20260101; mta-sts.tlsrpt.test has no address (the name does not exist): senders cannot fetch the policy, so it protects nothing; give it an address and serve the policy over HTTPS" \
    "TLS-RPT   warn   v=TLSRPTv1; rua=ftp://reports.test/; no rua= with a mailto: or https: destination: reporters have nowhere to send reports; add one" \
    "1 failure, 1 warning"
doctor notlsrpt nomx.test
expect notlsrpt 1 "TLS-RPT   none   no TLS-RPT record at _smtp._tls.nomx.test (the name does not exist): no one reports failed TLS to you (optional, RFC 8460)"

doctor loopmx loopmx.test
expect loopmx 1 "MX        FAIL   10 lo.test -> 127.0.0.1 (a loopback or unspecified address: senders cannot reach it; publish the host's public address)" \
    "PTR       none   no address to check (no usable MX address; give --ip for the sending host)"

doctor spfloop spfloop.test
expect_match spfloop 1 "^SPF       FAIL   v=spf1 include:spfloop\.test -all -- 11 of 10 DNS look-ups, 0 of 2 void look-ups; permerror \("

# DNS text cannot forge a line, nor make the JSON invalid.
doctor hostile hostile.test
expect_match hostile 1 "^SPF       FAIL   v=spf1 mx\?MX        ok     forged\? -all \("
doctor hostile-json --json hostile.test
if grep -q "forged" "$T/hostile.out" && ! grep -q "^MX        ok     forged" \
    "$T/hostile.out" && $PY -c 'import json, sys; json.load(open(sys.argv[1]))' \
    "$T/hostile-json.out" 2>/dev/null; then
	integ_ok "hostile text: no forged line, valid JSON"
else
	integ_notok "hostile text: no forged line, valid JSON" \
	    "$(cat "$T/hostile.out" "$T/hostile-json.out")"
fi

doctor shortkey --selector s1 --selector s2 shortkey.test
expect shortkey 1 "DKIM      FAIL   s1: key record: rsa key of 768 bits is below the 1024 bits RFC 8301 requires: signatures by this selector fail; publish a key of 2048 bits or an ed25519 key; s2 (rsa, 1024 bits) is shorter than the 2048 bits RFC 8301 asks signers for: some receivers distrust it; publish a longer key" \
    "1 failure, 0 warnings"

doctor revoked --selector s1 revoked.test
expect revoked 1 "DKIM      FAIL   s1: revoked (empty p=): signatures by this selector fail; sign with a current selector, or publish its key" \
    "1 failure, 0 warnings"

# A selector of timbre-signd's format carries its creation time.
doctor dkimage --selector dkim-1767225600-ed25519 good.test
expect_match dkimage 0 "^DKIM      ok     dkim-1767225600-ed25519 \(ed25519\); newest created 2026-01-01, [0-9]+ days ago$"

doctor nokey --selector s9 good.test
expect_match nokey 1 "^DKIM      FAIL   s9: no key record at s9\._domainkey\.good\.test \(the name does not exist\): "

doctor badptr --ip 192.0.2.66 badptr.test
expect badptr 1 "PTR       FAIL   192.0.2.25 -> mx.test (confirmed); 192.0.2.66 -> host-66.isp.test (does not resolve back to 192.0.2.66: Gmail and Outlook reject mail from hosts without forward-confirmed reverse DNS; set the PTR to a name whose address is 192.0.2.66)" \
    "SPF       ok     v=spf1 mx ip4:192.0.2.66 -all -- 1 of 10 DNS look-ups, 0 of 2 void look-ups; 192.0.2.66 is permitted" \
    "1 failure, 0 warnings"

doctor notpermitted --ip 192.0.2.66 good.test
expect_match notpermitted 1 "^SPF       FAIL   .*; 192\.0\.2\.66 is not permitted \(fail\): "

# A name server that never answers: a clear line after its time-outs,
# and the rest of the checks still made.
start=$(date +%s)
doctor slow slow.test
took=$(($(date +%s) - start))
expect slow 1 "NS        FAIL   nsx.test (127.0.0.4) no answer (time-out): resolvers that ask it wait or get no answer, and mail is delayed or bounced; fix the server or remove its NS record; answered: ns1.test (127.0.0.2) serial 7" \
    "MX        ok     10 mx.test -> 192.0.2.25" \
    "1 failure, 0 warnings"
# With --timeout 2 the whole run ends at the deadline.
start=$(date +%s)
doctor slow-timeout --timeout 2 slow.test
took=$(($(date +%s) - start))
if [ "$took" -le 5 ]; then
	expect slow-timeout 1 "TIMEOUT   FAIL   the --timeout of 2 s ran out: the checks that waited on it are incomplete; find the name server that does not answer"
else
	integ_notok slow-timeout "took $took s with --timeout 2"
fi

doctor lag lag.test
expect lag 0 "NS        warn   SOA serials differ (ns1.test (127.0.0.2) serial 2, ns2.test (127.0.0.3) serial 1): a secondary has not caught up, so answers depend on the server asked; check the zone transfers" \
    "0 failures, 1 warning"

doctor nosuch nosuch.test
expect nosuch 1 "NS        FAIL   nosuch.test does not exist (NXDOMAIN): receivers reject mail from it and senders cannot deliver to it; register it or fix its delegation" \
    "1 failure, 0 warnings"

# A resolver that does not answer: one line, not a wait for every check.
rc=0
"$TIMBRE" doctor -n udp:127.0.0.4 good.test >"$T/deadns.out" \
    2>"$T/deadns.err" || rc=$?
expect deadns 1 "NS        FAIL   NS of good.test: no answer (time-out) from the resolver: the domain cannot be checked; fix its delegation or give a working resolver with -n" \
    "1 failure, 0 warnings"

# STARTTLS on the MX.
doctor notls notls.test
expect notls 1 "TLS       warn   mx-plain.test:25 offers no STARTTLS: senders deliver in plain text, and those that require TLS (MTA-STS, DANE) do not deliver; give the MTA a certificate"
doctor tlsname tlsname.test
expect_match tlsname 1 "^TLS       warn   mx-wrong\.test:25 STARTTLS TLSv1\.[23], certificate valid 90 more days, not valid for the name mx-wrong\.test: senders that check certificates "
doctor tlsself tlsself.test
expect_match tlsself 1 "^TLS       warn   mx-self\.test:25 STARTTLS TLSv1\.[23], certificate valid 90 more days, the chain does not verify \(self[- ]signed certificate\): "
doctor tlssoon tlssoon.test
expect tlssoon 1 "TLS       warn   mx-soon.test:25 STARTTLS TLSv1.3, certificate valid 4 more days: it expires soon; renew it"
doctor tlsclosed tlsclosed.test
expect tlsclosed 1 "TLS       FAIL   mx-closed.test:25 refuses connections: senders cannot deliver to it; start its MTA or open port 25"
doctor longchain longchain.test
expect_match longchain 1 "^TLS       warn   mx-long\.test:25 STARTTLS TLSv1\.3, certificate valid 90 more days; the server sends 50 certificates: senders that verify chains only so deep \(Postfix: 9 by default\) do not trust it; "
# The same, with the CA not trusted: the chain of mx.test does not verify.
rc=0
SSL_CERT_FILE=/dev/null "$TIMBRE" doctor -n udp:127.0.0.2 good.test \
    >"$T/untrusted.out" 2>"$T/untrusted.err" || rc=$?
expect_match untrusted 1 "^TLS       warn   mx\.test:25 STARTTLS TLSv1\.3, certificate valid 90 more days, the chain does not verify \(unable to get local issuer certificate\): " \
    "^MTA-STS   FAIL   v=STSv1; id=20260101; https://mta-sts\.good\.test/: TLS TLSv1\.3, certificate valid 90 more days, the chain does not verify \(unable to get local issuer certificate\): senders ignore the policy \(RFC 8461 section 3\.3\); "
# A server that accepts and never speaks: a clear line, in bounded time.
start=$(date +%s)
doctor tlsmute --timeout 3 mute.test
took=$(($(date +%s) - start))
if [ "$took" -le 6 ]; then
	expect tlsmute 1 "TLS       FAIL   mx-mute.test:25 no answer in time: senders cannot deliver to it; fix the MTA"
else
	integ_notok tlsmute "took $took s with --timeout 3"
fi

# DNSSEC and TLSA, through the validating Unbound; through ns1, which is
# no resolver, they are not checked.
NS=127.0.0.5
doctor bogus bogus.test
expect bogus 1 "NS        FAIL   NS of bogus.test: SERVFAIL from the resolver: the domain cannot be checked; fix its delegation or give a working resolver with -n" \
    "DNSSEC    FAIL   bogus.test is bogus: the resolver validates and rejects its answers (SERVFAIL, an answer with CD=1): validating resolvers cannot resolve it, so mail to and from it fails; fix the signatures or the DS at the parent" \
    "2 failures, 0 warnings"
doctor island island.test
expect island 0 "DNSSEC    warn   zone island.test has DNSKEY records but its parent gives no DS for it: no chain of trust reaches it, so resolvers treat it as unsigned and DANE does not work; publish the DS at the parent"
doctor unsigned lag.test
expect unsigned 0 "DNSSEC    none   zone lag.test is not signed (no DNSKEY): answers about it can be forged, and DANE (TLSA) cannot protect its mail; sign it"
doctor tlsa-bad tlsself.test
expect tlsa-bad 1 "TLSA      FAIL   mx-self.test: TLSA 3 1 1 does not match: DANE senders do not deliver to mx-self.test (RFC 7672 section 2.2); publish the TLSA of the key it serves (both, while keys change)"
doctor tlsa-notls notls.test
expect tlsa-notls 1 "TLSA      FAIL   mx-plain.test: TLSA records, but no TLS session (see TLS): DANE senders do not deliver to it"
doctor tlsa-none tlsname.test
expect tlsa-none 1 "TLSA      none   mx-wrong.test: none (no TLSA records at _25._tcp of any MX: senders use TLS opportunistically; DANE, RFC 7672, needs a signed zone)"
# DANE-TA, verified by OpenSSL's DANE code on the chain each host sent
# (these domains also fail PTR and DMARC: exit 1 whatever TLSA says).
doctor dane-ta dane-ta.test
expect dane-ta 1 "TLSA      ok     mx-ta.test: TLSA 2 0 1 matches, TLSA 2 1 1 matches"
doctor dane-ta-name dane-ta-bad.test
expect dane-ta-name 1 "TLSA      FAIL   mx-ta-bad.test: TLSA 2 0 1 does not match (hostname mismatch): DANE senders do not deliver to mx-ta-bad.test (RFC 7672 section 2.2); publish the TLSA of the key it serves (both, while keys change)"
doctor dane-ta-root dane-ta-root.test
expect dane-ta-root 1 "TLSA      ok     mx-ta-root.test: TLSA 2 0 0 matches, TLSA 2 0 1 does not match (no matching DANE TLSA records)"
NS=127.0.0.2
doctor noresolver good.test
expect noresolver 0 "DNSSEC    skip   the server given is no resolver (no RA bit in its answer), so it validates nothing: not checked; give a validating resolver with -n" \
    "TLSA      skip   mx.test: 1 TLSA record, not judged: the resolver set no AD bit and is not known to validate (see DNSSEC)" \
    "0 failures, 0 warnings"

# The MTA-STS policy.
doctor stsbad stsbad.test
expect stsbad 1 "MTA-STS   FAIL   v=STSv1; id=1; the policy at https://mta-sts.stsbad.test/.well-known/mta-sts.txt does not parse (mode is not enforce, testing or none): senders ignore it (RFC 8461 section 3.2); fix it"
doctor stsmx stsmx.test
expect stsmx 1 "MTA-STS   FAIL   v=STSv1; id=1; policy mode=enforce max_age=604800 mx=*.other.test; MX mx.test matches no mx: of the policy: senders that honour it do not deliver to it; add it to the policy"
expect_match tlsname 1 "^MTA-STS   FAIL   v=STSv1; id=1; policy mode=enforce max_age=604800 mx=mx-wrong\.test; MX mx-wrong\.test has no TLS with a certificate that verifies \(see TLS\): senders that honour the policy do not deliver to it$"
doctor ststest ststest.test
expect ststest 1 "MTA-STS   warn   v=STSv1; id=1; policy mode=testing max_age=3600 mx=other.test; MX mx.test matches no mx: of the policy: senders that test it do not deliver to it; add it to the policy; max_age under a day: senders forget the policy between messages; RFC 8461 suggests weeks"
doctor stsmoved stsmoved.test
expect stsmoved 1 "MTA-STS   FAIL   v=STSv1; id=1; https://mta-sts.stsmoved.test/.well-known/mta-sts.txt: HTTP status 301 (a redirect, which senders must not follow, RFC 8461 section 3.3): senders ignore the policy; serve the file with status 200"

# Usage errors: exit 2, nothing on standard output.
for args in "" "a.test b.test" "--selector s1 --password-file" \
    "--password-file $DATA/password good.test" "--timeout 0 good.test" \
    "--ip not-an-ip good.test" "bad..name"; do
	rc=0
	# shellcheck disable=SC2086
	"$TIMBRE" doctor -n udp:127.0.0.2 $args >"$T/usage.out" \
	    2>"$T/usage.err" || rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$T/usage.out" ] && [ -s "$T/usage.err" ]
	then
		integ_ok "usage error: doctor $args"
	else
		integ_notok "usage error: doctor $args" "exit $rc" \
		    "$(cat "$T/usage.out" "$T/usage.err")"
	fi
done

integ_summary
