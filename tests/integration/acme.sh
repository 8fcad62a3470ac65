#!/bin/sh
# tests/integration/acme.sh: issue 17, parts 1 and 2: a certificate for
# timbre-listd by ACME DNS-01 through timbre-primaryd, and its DANE TLSA
# record, all on loopback with Debian's peers:
#
#   - pebble, the ACME test server, whose DNS-01 look-ups go to
#     timbre-primaryd (its -dnsserver flag);
#   - certbot with its dns-rfc2136 plugin, signing its UPDATEs with a key
#     that may change only names with an _acme-challenge label;
#   - contrib/acme/deploy-hook, which publishes the TLSA 3 1 1 of the new
#     key by UPDATE (timbre tlsa --server, a key for _tcp names), waits
#     until the primary serves it, installs the certificate, SIGHUPs
#     timbre-listd, then retires the old TLSA (RFC 7671 section 8.1);
#   - nsupdate, signing with the ACME key an UPDATE it may not make;
#   - openssl s_client -starttls smtp, which must see the new certificate,
#     and a Python smtplib session opened over TLS before the renewal that
#     must still answer after it.
#
# Checked: the challenge records appear in and disappear from the zone's
# git history; the TLSA served matches the certificate listd presents,
# before and after a renewal that changes it; the ACME key's UPDATE of
# another name is REFUSED (the log says why) and leaves no commit; a
# certificate file that does not parse, or whose key is another, keeps
# the old certificate at SIGHUP with an error logged.
#
# Needs pebble, certbot, python3-certbot-dns-rfc2136, nsupdate, dig, git
# and openssl.  Exit: 0 all passed, 1 a case failed, 77 a peer is missing.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd pebble certbot nsupdate dig git openssl
/usr/bin/python3 -c 'import certbot_dns_rfc2136' 2>/dev/null ||
    integ_skip "python3-certbot-dns-rfc2136 is needed"
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
LISTD=$top_builddir/daemons/listd/timbre-listd
TIMBRE=$top_builddir/tools/timbre
HOOK=$top_srcdir/contrib/acme/deploy-hook
for p in "$PRIMARYD" "$LISTD" "$TIMBRE"; do
	[ -x "$p" ] || integ_skip "$p not built"
done
. "$top_srcdir/tests/integration/primary_lib.sh"
BARE=$T/zone.git
H=lists.example.org

# The zone, and the two restricted keys in example.org._keys.
prim_repo_init "$BARE"
cat >"$T/w/example.org" <<'EOF'
$ORIGIN example.org.
$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 60
@ NS ns1
ns1 A 127.0.0.1
lists A 127.0.0.1
lists MX 10 lists
www A 192.0.2.10
EOF
"$TIMBRE" tsig-keygen acme._update._acme-challenge.example.org >"$T/acme"
"$TIMBRE" tsig-keygen tlsa._update._tcp.example.org >"$T/tlsa"
{ head -n1 "$T/acme"; head -n1 "$T/tlsa"; } >"$T/w/example.org._keys"
sed -n 2p "$T/acme" >"$T/acme.key"
sed -n 2p "$T/tlsa" >"$T/tlsa.key"
bindkey "$T/acme.key" "$T/acme.bind"
gitc add -A
gitc commit -q -m initial
gitc push -q "$BARE" main
start_primary "$T/primary.log" --remote "file://$BARE#main" \
    --workdir "$T/work" || { nok "timbre-primaryd started"; integ_summary; }

# Pebble on its own certificate, which certbot is told to trust.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/pebble.key" -out "$T/pebble.crt" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
listening() { # listening PORT: wait up to 10 s for a TCP listener
	local i

	for i in $(seq 1 50); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$1 " && return 0
		sleep 0.2
	done
	return 1
}
start_pebble() {
	local attempt i

	for attempt in 1 2 3; do
		ACME=$(integ_free_port)
		cat >"$T/pebble.json" <<-EOF
		{ "pebble": { "listenAddress": "127.0.0.1:$ACME",
		  "managementListenAddress": "127.0.0.1:$(integ_free_port)",
		  "certificate": "$T/pebble.crt", "privateKey": "$T/pebble.key",
		  "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
		  "externalAccountBindingRequired": false } }
		EOF
		PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
		    integ_spawn "$T/pebble.log" pebble -config "$T/pebble.json" \
		    -dnsserver "127.0.0.1:$PORT"
		PEBBLE_PID=$INTEG_LAST_PID
		listening "$ACME" && return 0
		integ_stop "$PEBBLE_PID"
	done
	return 1
}
start_pebble || { nok "pebble started" "$(tail -n 5 "$T/pebble.log")";
    integ_summary; }

# timbre-listd with a first, self-signed certificate.
mkdir -p "$T/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/tls/privkey.pem" -out "$T/tls/fullchain.pem" -days 2 \
    -subj "/CN=$H" 2>/dev/null
"$TIMBRE" list create "$T/lists.db"
SMTP=$(integ_free_port)
integ_spawn "$T/listd.log" "$LISTD" -f --log-level debug -c /dev/null \
    --listen "127.0.0.1:$SMTP" --listen-signed "127.0.0.1:$(integ_free_port)" \
    --domain "$H" --hostname "$H" --db "$T/lists.db" --signer 127.0.0.1:9 \
    --resolver "127.0.0.1:$PORT" --tls-cert "$T/tls/fullchain.pem" \
    --tls-key "$T/tls/privkey.pem"
LISTD_PID=$INTEG_LAST_PID
listening "$SMTP" || nok "timbre-listd listening" "$(tail -n 5 "$T/listd.log")"

# The SHA-256 fingerprint of the certificate listd presents after
# STARTTLS, and of a certificate file.
served_fpr() {
	openssl s_client -starttls smtp -connect "127.0.0.1:$SMTP" \
	    -servername "$H" </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
file_fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
tlsa_served() {
	dig @127.0.0.1 -p "$PORT" +norec +short "_25._tcp.$H" TLSA |
	    awk '{ h = ""; for (i = 4; i <= NF; i++) h = h $i;
	        print $1, $2, $3, tolower(h) }' | sort
}
check "listd presents its first certificate" \
    test "$(served_fpr)" = "$(file_fpr "$T/tls/fullchain.pem")"

# certbot, its credentials, and the hook's settings.
cat >"$T/rfc2136.ini" <<EOF
dns_rfc2136_server = 127.0.0.1
dns_rfc2136_port = $PORT
dns_rfc2136_name = acme._update._acme-challenge.example.org.
dns_rfc2136_secret = $(cut -d: -f3 "$T/acme.key")
dns_rfc2136_algorithm = HMAC-SHA256
EOF
chmod 600 "$T/rfc2136.ini"
export ACME_HOOK_CONF=/dev/null TLS_CERT="$T/tls/fullchain.pem" \
    TLS_KEY="$T/tls/privkey.pem" LISTD_RELOAD="kill -HUP $LISTD_PID" \
    TLSA_HOSTS=$H TLSA_SERVER=127.0.0.1 TLSA_SERVER_PORT=$PORT \
    TLSA_KEY="$T/tlsa.key" TLSA_ZONE=example.org TLSA_TTL=60 TLSA_WAIT=1 TIMBRE="$TIMBRE"
export REQUESTS_CA_BUNDLE="$T/pebble.crt"
cb() {
	certbot --non-interactive --config-dir "$T/cb" --work-dir "$T/cb" \
	    --logs-dir "$T/cb/logs" --server "https://127.0.0.1:$ACME/dir" \
	    "$@"
}

# 1. The first certificate.
if cb certonly --agree-tos --register-unsafely-without-email \
    --authenticator dns-rfc2136 --dns-rfc2136-credentials "$T/rfc2136.ini" \
    --dns-rfc2136-propagation-seconds 1 --key-type ecdsa -d "$H" \
    --deploy-hook "$HOOK" >"$T/certbot.1" 2>&1; then
	ok "certbot got a certificate from pebble by DNS-01"
else
	nok "certbot got a certificate from pebble by DNS-01" \
	    "$(tail -n 15 "$T/certbot.1")"
	integ_summary
fi
LIVE=$T/cb/live/$H/fullchain.pem
FPR1=$(file_fpr "$LIVE")
check "the certificate is pebble's, for $H" sh -c \
    "openssl x509 -in '$LIVE' -noout -issuer -ext subjectAltName |
    grep -q 'Pebble' && openssl x509 -in '$LIVE' -noout -ext subjectAltName |
    grep -q 'DNS:$H'"
check "listd presents it after the hook's SIGHUP" \
    test "$(served_fpr)" = "$FPR1"
# The challenge in git: added by an UPDATE of the ACME key, then removed.
git -C "$BARE" log --reverse --format='commit %s' -p main -- example.org \
    >"$T/gitlog.1"
check "the challenge TXT record was committed by the ACME key's UPDATE" \
    grep -q "^+_acme-challenge\.$H\.[[:space:]].*TXT" "$T/gitlog.1"
check "and removed by a later one" \
    grep -q "^-_acme-challenge\.$H\.[[:space:]].*TXT" "$T/gitlog.1"
check "the commits name the key" grep -q \
    "^commit UPDATE by acme\._update\._acme-challenge\.example\.org" \
    "$T/gitlog.1"
check "no challenge record is left in the zone" sh -c \
    "! git -C '$BARE' show main:example.org | grep -q _acme-challenge"
TLSA1=$("$TIMBRE" tlsa "$LIVE")
check "the TLSA 3 1 1 of the new key is served" \
    test "$(tlsa_served)" = "$TLSA1"
check "the TLSA matches what s_client sees" sh -c \
    "openssl s_client -starttls smtp -connect 127.0.0.1:$SMTP </dev/null \
    2>/dev/null | openssl x509 -pubkey -noout | openssl pkey -pubin \
    -outform DER | openssl dgst -sha256 -r | grep -q \"^${TLSA1#3 1 1 }\""

# 2. A renewal (a new key) under a session opened over TLS before it.
/usr/bin/python3 - "$SMTP" "$T/go" >"$T/session" 2>&1 <<'EOF' &
import hashlib, os, smtplib, ssl, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=120)
s.ehlo("client.example.net")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo("client.example.net")
print("before", hashlib.sha256(s.sock.getpeercert(True)).hexdigest(),
      flush=True)
for _ in range(1200):
	if os.path.exists(sys.argv[2]):
		break
	time.sleep(0.1)
print("noop", s.noop()[0])
print("after", hashlib.sha256(s.sock.getpeercert(True)).hexdigest())
s.quit()
EOF
SESSION=$!
integ_track "$SESSION"
for i in $(seq 1 50); do
	grep -q before "$T/session" && break
	sleep 0.1
done
if cb renew --force-renewal --no-random-sleep-on-renew --deploy-hook "$HOOK" >"$T/certbot.2" 2>&1; then
	ok "certbot renewed the certificate"
else
	nok "certbot renewed the certificate" "$(tail -n 15 "$T/certbot.2")"
fi
touch "$T/go"
wait "$SESSION" || true
integ_untrack "$SESSION"
FPR2=$(file_fpr "$LIVE")
check "the renewal changed the certificate" test "$FPR2" != "$FPR1"
check "listd presents the renewed one" test "$(served_fpr)" = "$FPR2"
check "the session opened before the renewal still answers (250)" \
    grep -qx "noop 250" "$T/session"
check "and kept its certificate" sh -c \
    "[ \"\$(sed -n 's/^before //p' '$T/session')\" = \
    \"\$(sed -n 's/^after //p' '$T/session')\" ]"
TLSA2=$("$TIMBRE" tlsa "$LIVE")
check "the new key's TLSA replaced the old one" \
    test "$(tlsa_served)" = "$TLSA2" -a "$TLSA2" != "$TLSA1"
git -C "$BARE" log --reverse --format='commit %s' -p main -- example.org \
    >"$T/gitlog.2"
# The hook's order (RFC 7671 section 8.1): the new record added while
# the old one stood, the old one removed after.
check "both TLSA records were published at once before the switch" sh -c \
    "git -C '$BARE' log --format=%H main -- example.org | while read -r c; do
    git -C '$BARE' show \$c:example.org | grep -c TLSA; done | grep -qx 2"
check "the ACME challenge of the renewal came and went" \
    test "$(grep -c "^[-+]_acme-challenge\.$H\.[[:space:]].*TXT" "$T/gitlog.2")" -ge 4

# Bad input: the ACME key outside _acme-challenge.
before=$(git -C "$BARE" rev-parse main)
printf 'server 127.0.0.1 %s\nupdate add www.example.org. 60 A 192.0.2.66\nsend\n' \
    "$PORT" | nsupdate -k "$T/acme.bind" >"$T/nsupdate.bad" 2>&1 || true
check "the ACME key's UPDATE of www.example.org is REFUSED" \
    grep -q REFUSED "$T/nsupdate.bad"
check "the log says why" grep -q \
    "may change only names with the label _acme-challenge, not www.example.org" \
    "$T/primary.log"
check "nothing was committed" test "$(git -C "$BARE" rev-parse main)" = \
    "$before"
check "timbre tlsa --server signed with the ACME key: REFUSED, exit 1" sh -c \
    "'$TIMBRE' tlsa --name $H --server 127.0.0.1:$PORT \
    --key-file '$T/acme.key' --zone example.org '$LIVE' >'$T/tlsa.out';
    [ \$? = 1 ] && grep -qx REFUSED '$T/tlsa.out'"
check "www.example.org is unchanged" test "$(dig @127.0.0.1 -p "$PORT" \
    +short www.example.org A)" = 192.0.2.10

# Bad input: certificate files that do not parse, or do not match the
# key, at SIGHUP: the old certificate stays, an error is logged.
cp "$T/tls/fullchain.pem" "$T/good.pem"
reload_with() { # reload_with CERT-FILE: SIGHUP, wait for its log line
	local n

	n=$(grep -c "listd reload" "$T/listd.log" || true)
	cp "$1" "$T/tls/fullchain.pem"
	kill -HUP "$LISTD_PID"
	for i in $(seq 1 50); do
		[ "$(grep -c "listd reload" "$T/listd.log")" -gt "$n" ] && break
		sleep 0.1
	done
}
echo "not a certificate" >"$T/garbage.pem"
reload_with "$T/garbage.pem"
check "a certificate that does not parse: the reload fails, logged" \
    grep -q "listd reload failed, old configuration kept: .*fullchain.pem: not a usable certificate chain" "$T/listd.log"
check "and the old certificate is still presented" \
    test "$(served_fpr)" = "$FPR2"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -out "$T/other.pem" -days 2 -subj "/CN=$H" \
    2>/dev/null
reload_with "$T/other.pem"
check "a certificate of another key: the reload fails, logged" \
    grep -q "listd reload failed, old configuration kept: .*privkey.pem: not the certificate's private key" "$T/listd.log"
check "and the old certificate is still presented" \
    test "$(served_fpr)" = "$FPR2"
reload_with "$T/good.pem"

integ_stop "$LISTD_PID"
integ_stop "$PEBBLE_PID"
integ_stop "$PRIMARY_PID"
integ_summary
