#!/bin/sh
# tests/integration/signd.sh: timbre-signd end to end, on loopback, with
# real peers: NSD serves the zone with the selectors' key records (made
# by `timbre key derive --zone` beforehand, so the SMTP path is tested
# apart from key rotation), swaks submits, Postfix's smtp-sink receives,
# and dkimpy (python3-dkim) and `timbre dkim verify` / `timbre arc
# verify` check the delivered copies:
#
#   - every DKIM-Signature verifies (rsa-sha256 and ed25519-sha256);
#   - with an Authentication-Results of --authserv-id, an ARC set that
#     dkimpy's arc_verify and timbre's validate; with one of another
#     authserv-id, DKIM only; a message sealed by us already is not
#     sealed twice; an incoming chain (sealed by dkimpy for another
#     domain) is validated and extended with cv=pass;
#   - relay down: 451 4.4.1 to the client, nothing delivered;
#   - bad input (a 1 MB header line, no header/body separator, a NUL,
#     bare LF, 10 000 RCPT, a client gone in the middle of DATA): each a
#     clear reply, and the daemon still serves;
#   - --allow: a client outside gets 554 at connect; no key at all:
#     451 4.7.0; STARTTLS (swaks --tls) with a self-signed certificate;
#   - the milter path through a private Postfix (postfix.sh) when root,
#     and its SMFIC_ABORTs: a RSET after RCPT, a client gone mid-DATA.
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

SIGND=$top_builddir/daemons/signd/timbre-signd
TIMBRE=$top_builddir/tools/timbre
PEER=$top_srcdir/tests/integration/signd_peer.py
ARCPEER=$top_srcdir/tests/integration/arc_peer.py
[ -x "$SIGND" ] || integ_skip "$SIGND not built"
[ -x "$TIMBRE" ] || integ_skip "$TIMBRE not built"
integ_need_cmd nsd swaks smtp-sink openssl
/usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null ||
    integ_skip "python3-dkim (dkimpy) and python3-dnspython are needed"

DOMAIN=signd.test
OTHER=other.test
AUTHSERV=mx.signd.test
T=$(($(date +%s) - 3600))		# the keys were made an hour ago
SELECTORS="--selector dkim-$T --selector dkim-$T-ed25519 --selector arc-$T"
printf 'correct horse battery staple\n' >"$INTEG_TMP/pw"

# The zones: our selectors, and another domain's ARC key for a chain
# that arrives already sealed.
zone_head()
{
	echo "\$ORIGIN $1."
	echo "\$TTL 300"
	echo "@ IN SOA ns.$1. hostmaster.$1. 1 3600 600 86400 60"
	echo "@ IN NS ns.$1."
	echo "ns IN A 127.0.0.1"
}
{
	zone_head "$DOMAIN"
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "dkim-$T" \
	    --password-file "$INTEG_TMP/pw" --algorithm rsa-sha256 --zone
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "dkim-$T-ed25519" \
	    --password-file "$INTEG_TMP/pw" --algorithm ed25519-sha256 --zone
	"$TIMBRE" key derive --domain "$DOMAIN" --selector "arc-$T" \
	    --password-file "$INTEG_TMP/pw" --algorithm rsa-sha256 --zone
} >"$INTEG_TMP/$DOMAIN.zone"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$INTEG_TMP/other.pem" 2>/dev/null
OTHER_P=$(openssl pkey -in "$INTEG_TMP/other.pem" -pubout -outform DER |
    base64 -w0)
{
	zone_head "$OTHER"
	echo "arc._domainkey IN TXT $(integ_txt_strings \
	    "v=DKIM1; k=rsa; p=$OTHER_P")"
} >"$INTEG_TMP/$OTHER.zone"
integ_nsd_start "$DOMAIN" "$INTEG_TMP/$DOMAIN.zone" \
    "$OTHER" "$INTEG_TMP/$OTHER.zone" || integ_skip "NSD did not start"
DNS=$INTEG_NSD_PORT

SINK=$INTEG_TMP/sink
mkdir -p "$SINK"
SINKPORT=$(integ_free_port)
PORT=$(integ_free_port)
SINK_USER=
[ "$(id -u)" -eq 0 ] && { chmod 755 "$INTEG_TMP"; chown nobody "$SINK";
    SINK_USER="-u nobody"; }

sink_start()
{
	# shellcheck disable=SC2086
	integ_spawn "$INTEG_TMP/sink.log" smtp-sink $SINK_USER \
	    -d "$SINK/%Y%m%d%H%M%S." "127.0.0.1:$SINKPORT" 10
	SINK_PID=$INTEG_LAST_PID
	for i in $(seq 1 50); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$SINKPORT " && return
		sleep 0.1
	done
}
sink_start

# wait_keys LOG: until the keyring signs with all three kinds.
wait_keys()
{
	for i in $(seq 1 150); do
		[ "$(grep -c 'keyring sign kind=' "$1")" -ge 3 ] && return 0
		sleep 0.2
	done
	return 1
}

fail_log()
{
	tail -n 30 "$INTEG_TMP/signd.log" | sed 's/^/# signd: /' >&2
}

: >"$INTEG_TMP/signd.conf"
integ_spawn "$INTEG_TMP/signd.log" "$SIGND" -f --log-level debug \
    --listen "127.0.0.1:$PORT" --relay "127.0.0.1:$SINKPORT" \
    --domain "$DOMAIN" --password-file "$INTEG_TMP/pw" \
    --resolver "127.0.0.1:$DNS" --authserv-id "$AUTHSERV" \
    --hostname signd.test --allow 127.0.0.1/32 --max-message-size 4000000 \
    $SELECTORS -c "$INTEG_TMP/signd.conf"
SIGND_PID=$INTEG_LAST_PID
wait_keys "$INTEG_TMP/signd.log" || {
	integ_notok "signd: the keyring found the three keys"; fail_log; }

# send NAME FILE: submits FILE with swaks; its transcript in NAME.swaks.
send()
{
	swaks --server "127.0.0.1:$PORT" --from alice@signd.test \
	    --to bob@example.net --data "@$2" --silent 1 \
	    >"$INTEG_TMP/$1.swaks" 2>&1
}

# delivered NAME: waits for a new file in the sink, moves it to NAME.eml
# without smtp-sink's envelope lines (X-Client-Addr ...).
delivered()
{
	f=
	for i in $(seq 1 50); do
		f=$(ls "$SINK" | head -n 1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	[ -n "$f" ] || return 1
	sleep 0.2
	tr -d '\r' <"$SINK/$f" | awk '
		h == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
		{ h = 1; print }' >"$INTEG_TMP/$1.eml"
	rm -f "$SINK/$f"
}

msg()
{
	printf '%s\n' "$@" "" "Hello,"  "" ".a line with a leading dot" \
	    "trailing spaces   " "" "Bye." >"$INTEG_TMP/$NAME.in"
}

# check_dkim NAME WANT: dkimpy and timbre verify NAME.eml's signatures;
# WANT is how many there must be.
check_dkim()
{
	out=$(/usr/bin/python3 "$PEER" verify "$DNS" "$INTEG_TMP/$1.eml" 2>&1)
	rc=$?
	n=$(printf '%s\n' "$out" | grep -c '^dkim .* ok$' || true)
	if [ $rc -eq 0 ] && [ "$n" -eq "$2" ]; then
		integ_ok "$1: dkimpy verifies $n DKIM signatures"
	else
		integ_notok "$1: dkimpy verifies $2 DKIM signatures" "$out"
	fi
	out=$("$TIMBRE" dkim verify -n "udp:127.0.0.1:$DNS" --verbose \
	    "$INTEG_TMP/$1.eml" 2>&1) && rc=0 || rc=$?
	n=$(printf '%s\n' "$out" | grep -c "^\[OK\]: $DOMAIN" || true)
	if [ $rc -eq 0 ] && [ "$n" -eq "$2" ]; then
		integ_ok "$1: timbre dkim verify: $n [OK]"
	else
		integ_notok "$1: timbre dkim verify: $2 [OK]" "$out"
	fi
}

# check_arc NAME WANT_SETS: dkimpy's and timbre's ARC validation.
check_arc()
{
	sets=$(grep -c '^ARC-Seal:' "$INTEG_TMP/$1.eml" || true)
	if [ "$2" -eq 0 ]; then
		if [ "$sets" -eq 0 ]; then
			integ_ok "$1: no ARC set"
		else
			integ_notok "$1: no ARC set" "$sets found"
		fi
		return
	fi
	if [ "$sets" -eq "$2" ]; then
		integ_ok "$1: $sets ARC sets"
	else
		integ_notok "$1: $2 ARC sets" "$sets found"
	fi
	out=$(/usr/bin/python3 "$ARCPEER" --dns-port "$DNS" verify \
	    <"$INTEG_TMP/$1.eml" 2>&1) || true
	case $out in
	cv=pass*) integ_ok "$1: dkimpy arc_verify: cv=pass" ;;
	*) integ_notok "$1: dkimpy arc_verify: cv=pass" "$out" ;;
	esac
	out=$("$TIMBRE" arc verify -n "udp:127.0.0.1:$DNS" --verbose \
	    "$INTEG_TMP/$1.eml" 2>&1) || true
	case $out in
	*"cv=pass"*) integ_ok "$1: timbre arc verify: cv=pass" ;;
	*) integ_notok "$1: timbre arc verify: cv=pass" "$out" ;;
	esac
}

# ------------------------------------------------ DKIM only, no A-R

NAME=plain
msg "From: Alice <alice@signd.test>" "To: bob@example.net" \
    "Cc: carol@example.net" "Subject: plain" "Date: $(date -R)" \
    "Message-ID: <plain@signd.test>" "MIME-Version: 1.0" \
    "Content-Type: text/plain; charset=us-ascii" \
    "List-Id: <list.signd.test>"
if send plain "$INTEG_TMP/plain.in" && delivered plain; then
	integ_ok "plain: relayed with 250"
	check_dkim plain 2
	check_arc plain 0
	if grep -q "^DKIM-Signature:.*a=rsa-sha256" "$INTEG_TMP/plain.eml" ||
	    tr -d '\n' <"$INTEG_TMP/plain.eml" | grep -q 'a=rsa-sha256'; then
		h=$(awk '/^DKIM-Signature:/,/b=/' "$INTEG_TMP/plain.eml" |
		    tr -d ' \t\n' | sed 's/.*h=\([^;]*\);.*/\1/' | head -n 1)
		case $h in
		*[Ff]rom*[Ll]ist-[Ii]d*[Ll]ist-[Ii]d*)
			integ_ok "plain: h= covers From and List-Id, oversigned"
			;;
		*) integ_notok "plain: h= covers From and List-Id, oversigned" \
		    "$h" ;;
		esac
	fi
	if grep -q "x=" "$INTEG_TMP/plain.eml" &&
	    grep -q "t=" "$INTEG_TMP/plain.eml"; then
		integ_ok "plain: t= and x= present"
	else
		integ_notok "plain: t= and x= present"
	fi
else
	integ_notok "plain: relayed with 250" "$(cat "$INTEG_TMP/plain.swaks")"
	fail_log
fi

# A message over the 1 MiB kept in memory: spooled to a file.
NAME=big
msg "From: alice@signd.test" "To: bob@example.net" "Subject: big" \
    "Message-ID: <big@signd.test>"
awk 'BEGIN { for (i = 0; i < 40000; i++)
	printf "line %06d of a message spooled to a temporary file\n", i }' \
    >>"$INTEG_TMP/big.in"
if send big "$INTEG_TMP/big.in" && delivered big; then
	integ_ok "big: $(wc -c <"$INTEG_TMP/big.in") bytes relayed with 250"
	check_dkim big 2
else
	integ_notok "big: relayed with 250" "$(tail -n 3 "$INTEG_TMP/big.swaks")"
fi

# ------------------------------------------------ ARC: our A-R

NAME=arc
msg "Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=signd.test" \
    "From: Alice <alice@signd.test>" "To: bob@example.net" \
    "Subject: arc" "Date: $(date -R)" "Message-ID: <arc@signd.test>"
if send arc "$INTEG_TMP/arc.in" && delivered arc; then
	integ_ok "arc: relayed with 250"
	check_dkim arc 2
	check_arc arc 1
	aar=$(awk '/^[^ \t]/ { on = /^ARC-Authentication-Results:/ } on' \
	    "$INTEG_TMP/arc.eml" | tr -s ' \t\n' ' ')
	if printf '%s\n' "$aar" | grep -q \
	    "^ARC-Authentication-Results: i=1; $AUTHSERV; spf=pass"; then
		integ_ok "arc: the AAR copies our A-R"
	else
		integ_notok "arc: the AAR copies our A-R" \
		    "$(grep -A1 ^ARC-Auth "$INTEG_TMP/arc.eml")"
	fi
	# Through signd again: already sealed by us, DKIM only.
	NAME=arc2
	awk '/^[^ \t]/ { drop = /^(Received|DKIM-Signature):/ }
	    !drop' "$INTEG_TMP/arc.eml" >"$INTEG_TMP/arc2.in"
	if send arc2 "$INTEG_TMP/arc2.in" && delivered arc2; then
		check_arc arc2 1
	else
		integ_notok "arc2: relayed with 250"
	fi
else
	integ_notok "arc: relayed with 250" "$(cat "$INTEG_TMP/arc.swaks")"
	fail_log
fi

# ------------------------------------------------ ARC: foreign A-R

NAME=foreign
msg "Authentication-Results: mx.elsewhere.test; spf=pass smtp.mailfrom=x" \
    "From: Alice <alice@signd.test>" "To: bob@example.net" \
    "Subject: foreign" "Message-ID: <foreign@signd.test>"
if send foreign "$INTEG_TMP/foreign.in" && delivered foreign; then
	check_dkim foreign 2
	check_arc foreign 0
else
	integ_notok "foreign: relayed with 250" \
	    "$(cat "$INTEG_TMP/foreign.swaks")"
fi

# ------------------------------------------------ ARC: incoming chain

NAME=chain
msg "Authentication-Results: $AUTHSERV; dkim=none" \
    "From: Alice <alice@other.test>" "To: bob@example.net" \
    "Subject: chain" "Message-ID: <chain@other.test>"
printf '%s\n' "Authentication-Results: mx.other.test; arc=none" \
    | cat - "$INTEG_TMP/chain.in" >"$INTEG_TMP/chain.pre"
if /usr/bin/python3 "$ARCPEER" --dns-port "$DNS" sign --domain "$OTHER" \
    --selector arc --key "$INTEG_TMP/other.pem" \
    --authserv-id mx.other.test <"$INTEG_TMP/chain.pre" \
    >"$INTEG_TMP/chain.sealed" 2>"$INTEG_TMP/chain.err"; then
	if send chain "$INTEG_TMP/chain.sealed" && delivered chain; then
		check_dkim chain 2
		check_arc chain 2
		if grep -q '^ARC-Seal: i=2;.*cv=pass' "$INTEG_TMP/chain.eml" ||
		    awk '/^ARC-Seal: i=2/,/b=/' "$INTEG_TMP/chain.eml" |
		    tr -d ' \t\n' | grep -q 'cv=pass'; then
			integ_ok "chain: i=2 sealed with cv=pass"
		else
			integ_notok "chain: i=2 sealed with cv=pass" \
			    "$(grep -A2 '^ARC-Seal' "$INTEG_TMP/chain.eml")"
		fi
	else
		integ_notok "chain: relayed with 250"
	fi
else
	integ_skipcase "chain: incoming chain" "dkimpy did not seal: \
$(cat "$INTEG_TMP/chain.err")" 1
fi

# ------------------------------------------------ bad input

bad()
{
	out=$(/usr/bin/python3 "$PEER" smtp "$PORT" "$1" 2>&1 | tr '\n' '|')
	case $out in
	$2) integ_ok "bad input $1: $out" ;;
	*) integ_notok "bad input $1" "got $out, want $2"; fail_log ;;
	esac
}
bad longline '354|552 5.6.0|250 2.0.0|250 2.0.0|'
bad nosep '354|550 5.6.0|250 2.0.0|250 2.0.0|'
bad nul '354|550 5.6.0|250 2.0.0|250 2.0.0|'
bad barelf '354|250 *|250 2.0.0|250 2.0.0|'
delivered barelf && check_dkim barelf 2
bad rcpt10000 '250 x100|452 x*|'
bad middata '354|closed by client|'
NAME=after
msg "From: alice@signd.test" "To: bob@example.net" "Subject: after"
if send after "$INTEG_TMP/after.in" && delivered after; then
	integ_ok "after the bad input: still serving, message relayed"
else
	integ_notok "after the bad input: still serving"
	fail_log
fi
ls "$SINK" | grep -q . && integ_notok "nothing else delivered" "$(ls "$SINK")"

# ------------------------------------------------ relay down

integ_stop "$SINK_PID"
NAME=down
msg "From: alice@signd.test" "To: bob@example.net" "Subject: down"
if send down "$INTEG_TMP/down.in"; then
	integ_notok "relay down: refused" "$(cat "$INTEG_TMP/down.swaks")"
elif grep -q '<\*\* *451 4.4.1' "$INTEG_TMP/down.swaks"; then
	integ_ok "relay down: 451 4.4.1 to the client"
else
	integ_notok "relay down: 451 4.4.1" "$(tail -n 5 "$INTEG_TMP/down.swaks")"
fi
if [ -z "$(ls "$SINK")" ]; then
	integ_ok "relay down: nothing delivered"
else
	integ_notok "relay down: nothing delivered"
fi
sink_start

# ------------------------------------------------ statistics

kill -USR1 "$SIGND_PID"
sleep 0.3
# counter COUNTER: its value in the SIGUSR1 output.
counter()
{
	grep 'signd stats' "$INTEG_TMP/signd.log" | tr ' ' '\n' |
	    sed -n "s/^$1=//p" | tail -n 1
}
if [ "$(counter signed_rsa)" -ge 1 ] 2>/dev/null &&
    [ "$(counter relay_2xx)" -ge 1 ] 2>/dev/null &&
    [ "$(counter relay_failed)" = 1 ] && [ "$(counter smtp_signed)" = \
    "$(($(counter relay_2xx) + $(counter relay_4xx) + $(counter relay_5xx) + 1))" ]
then
	integ_ok "SIGUSR1: counters logged"
else
	integ_notok "SIGUSR1: counters logged" \
	    "$(grep 'signd stats' "$INTEG_TMP/signd.log")"
fi

kill -HUP "$SIGND_PID"
sleep 0.3
if grep -q 'signd reload done' "$INTEG_TMP/signd.log" &&
    kill -0 "$SIGND_PID" 2>/dev/null; then
	integ_ok "SIGHUP: configuration re-read, still running"
else
	integ_notok "SIGHUP: configuration re-read" "$(tail -n 3 \
	    "$INTEG_TMP/signd.log")"
fi
# A file that does not parse: the old configuration kept, nothing of the
# half-read one left behind (LeakSanitizer, in the sanitizer build).
printf 'hostname = reload.test\nmax-connections = lots\n' \
    >"$INTEG_TMP/signd.conf"
kill -HUP "$SIGND_PID"
sleep 0.3
if grep -q 'signd reload failed, old configuration kept: .*max-connections' \
    "$INTEG_TMP/signd.log" && kill -0 "$SIGND_PID" 2>/dev/null; then
	integ_ok "SIGHUP with a bad file: old configuration kept, still running"
else
	integ_notok "SIGHUP with a bad file: old configuration kept" \
	    "$(tail -n 3 "$INTEG_TMP/signd.log")"
fi

# ------------------------------------------------ --allow

# A second daemon: clients from 10/8 and 127.0.0.2 only, and no key
# published for its domain.
integ_stop "$SIGND_PID"
# Its password comes from a systemd credential.
mkdir -p "$INTEG_TMP/cred"
cp "$INTEG_TMP/pw" "$INTEG_TMP/cred/password"
integ_spawn "$INTEG_TMP/signd2.log" env \
    CREDENTIALS_DIRECTORY="$INTEG_TMP/cred" "$SIGND" -f --selector dkim-1 \
    --listen "127.0.0.1:$PORT" --relay "127.0.0.1:$SINKPORT" \
    --domain "nokeys.$DOMAIN" \
    --resolver "127.0.0.1:$DNS" --allow 10.0.0.0/8 --allow 127.0.0.2 \
    -c /dev/null
SIGND_PID=$INTEG_LAST_PID
for i in $(seq 1 100); do
	ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$PORT " && break
	sleep 0.1
done
out=$(/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(s.recv(512).decode().strip())' "$PORT" 2>&1) || true
case $out in
"554 5.7.1 "*) integ_ok "--allow: others get 554 at connect" ;;
*) integ_notok "--allow: others get 554 at connect" "$out" ;;
esac
if swaks --server "127.0.0.1:$PORT" --local-interface 127.0.0.2 \
    --from alice@signd.test --to bob@example.net \
    --data "@$INTEG_TMP/after.in" --silent 1 >"$INTEG_TMP/nokey.swaks" 2>&1
then
	integ_notok "no key at all: refused" "$(cat "$INTEG_TMP/nokey.swaks")"
elif grep -q '<\*\* *451 4.7.0' "$INTEG_TMP/nokey.swaks"; then
	integ_ok "no key at all: 451 4.7.0, nothing sent unsigned"
else
	integ_notok "no key at all: 451 4.7.0" \
	    "$(tail -n 5 "$INTEG_TMP/nokey.swaks")"
fi
[ -z "$(ls "$SINK")" ] || integ_notok "no key at all: nothing delivered"
integ_stop "$SIGND_PID"

# ------------------------------------------------ configuration errors

exit_is()
{
	want=$1
	shift
	rc=0
	out=$("$SIGND" -c /dev/null "$@" 2>&1) || rc=$?
	out=$(printf '%s\n' "$out" | head -n 1)
	if [ "$rc" -eq "$want" ]; then
		integ_ok "exit $want: $out"
	else
		integ_notok "exit $want for $*" "got $rc: $out"
	fi
}
exit_is 2 --no-such-option
exit_is 1 --relay 127.0.0.1 --password-file "$INTEG_TMP/pw" --selector a
exit_is 1 --domain "$DOMAIN" --relay 127.0.0.1 --selector a \
    --password-file "$INTEG_TMP/nonexistent"
exit_is 1 --domain "$DOMAIN" --relay 127.0.0.1 \
    --password-file "$INTEG_TMP/pw"
exit_is 1 --domain "$DOMAIN" --relay 127.0.0.1 --selector a \
    --password-file "$INTEG_TMP/pw" --algorithm rsa-sha1
exit_is 1 --domain "$DOMAIN" --relay no-such-host.invalid --selector a \
    --password-file "$INTEG_TMP/pw"
exit_is 1 --domain "$DOMAIN" --relay localhost:smtp --selector a \
    --password-file "$INTEG_TMP/pw"
exit_is 0 --help

# ------------------------------------------------ STARTTLS

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=signd.test \
    -keyout "$INTEG_TMP/tls.key" -out "$INTEG_TMP/tls.crt" 2>/dev/null
# The relay by name, when the system resolves localhost to the
# sink's address first.
RELAY=127.0.0.1
[ "$(getent ahosts localhost | awk 'NR == 1 { print $1 }')" = 127.0.0.1 ] &&
    RELAY=localhost
integ_spawn "$INTEG_TMP/signd3.log" "$SIGND" -f --log-level debug \
    --listen "127.0.0.1:$PORT" --relay "$RELAY:$SINKPORT" \
    --domain "$DOMAIN" --password-file "$INTEG_TMP/pw" \
    --resolver "127.0.0.1:$DNS" --tls-cert "$INTEG_TMP/tls.crt" \
    --tls-key "$INTEG_TMP/tls.key" $SELECTORS -c /dev/null
SIGND_PID=$INTEG_LAST_PID
wait_keys "$INTEG_TMP/signd3.log" || true
NAME=tls
msg "From: alice@signd.test" "To: bob@example.net" "Subject: over TLS" \
    "Message-ID: <tls@signd.test>"
if swaks --server "127.0.0.1:$PORT" --tls --from alice@signd.test \
    --to bob@example.net --data "@$INTEG_TMP/tls.in" --silent 1 \
    >"$INTEG_TMP/tls.swaks" 2>&1 && delivered tls; then
	integ_ok "STARTTLS: message taken over TLS and relayed (--relay $RELAY)"
	check_dkim tls 2
else
	integ_notok "STARTTLS: message taken over TLS" \
	    "$(tail -n 5 "$INTEG_TMP/tls.swaks")"
	tail -n 10 "$INTEG_TMP/signd3.log" | sed 's/^/# /'
fi
integ_stop "$SIGND_PID"

# ------------------------------------------------ milter through Postfix

. "$top_srcdir/tests/integration/postfix.sh"
milter_case()
{
	if [ "$(id -u)" -ne 0 ] || ! command -v postfix >/dev/null 2>&1 ||
	    ! id postfix >/dev/null 2>&1; then
		integ_skipcase "milter: through a private Postfix" \
		    "needs root and postfix" 9
		return
	fi
	integ_stop "$SINK_PID"
	PF=$INTEG_TMP/postfix
	pf_dirs
	SINK=$PF/sink
	SINK_USER="-u postfix"
	SINKPORT=$(integ_free_port)
	sink_start
	SPORT=$(integ_free_port)
	# A unix socket, as a Postfix site would use: Postfix's smtpd runs
	# as postfix, signd as nobody; the socket is theirs, mode 0660.
	MSOCK=$PF/signd.sock
	integ_spawn "$INTEG_TMP/signd-milter.log" "$SIGND" -f \
	    --log-level debug --milter "unix:$MSOCK" --milter-group postfix \
	    --milter-mode 0660 --user nobody \
	    --domain "$DOMAIN" --password-file "$INTEG_TMP/pw" \
	    --resolver "127.0.0.1:$DNS" --authserv-id "$AUTHSERV" \
	    $SELECTORS -c /dev/null
	SIGNDM_PID=$INTEG_LAST_PID
	wait_keys "$INTEG_TMP/signd-milter.log" ||
	    integ_notok "milter: the keyring found the three keys"
	perms=$(stat -c '%a %U %G' "$MSOCK" 2>&1)
	if [ "$perms" = "660 nobody postfix" ]; then
		integ_ok "milter: unix socket mode 660, owner nobody, group postfix"
	else
		integ_notok "milter: unix socket 660 nobody postfix" "$perms"
	fi
	pf_config "$SPORT" "$SINKPORT" "unix:$MSOCK"
	PF_LOGS="$INTEG_TMP/signd-milter.log $INTEG_TMP/sink.log"
	pf_start
	NAME=milter
	msg "Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=signd.test" \
	    "From: Alice <alice@signd.test>" "To: bob@example.net" \
	    "Subject: through the milter" "Date: $(date -R)" \
	    "Message-ID: <milter@signd.test>" "X-Folded: first" "	second"
	if swaks --server "127.0.0.1:$SPORT" --from alice@signd.test \
	    --to bob@example.net --data "@$INTEG_TMP/milter.in" --silent 1 \
	    >"$INTEG_TMP/milter.swaks" 2>&1; then
		integ_ok "milter: Postfix accepted the message"
	else
		integ_notok "milter: Postfix accepted the message" \
		    "$(tail -n 5 "$INTEG_TMP/milter.swaks")"
		tail -n 20 "$INTEG_TMP/signd-milter.log" | sed 's/^/# /'
		pf_stop
		return
	fi
	for i in $(seq 1 100); do
		[ -n "$(ls "$SINK")" ] && break
		sleep 0.2
	done
	if delivered milter; then
		check_dkim milter 2
		check_arc milter 1
	else
		integ_notok "milter: relayed by Postfix" \
		    "$(tail -n 10 "$PF/maillog")"
	fi
	milter_abort_case
	pf_stop
}

# Postfix tells the milter SMFIC_ABORT when its client drops a
# transaction: a RSET after RCPT, then a message in the same session
# (signed, and only it); a client gone in the middle of DATA; then a
# whole message again.  The daemon counts the dropped transactions.
milter_abort_case()
{
	NAME=abort
	msg "From: Alice <alice@signd.test>" "To: bob@example.net" \
	    "Subject: after a RSET" "Date: $(date -R)" \
	    "Message-ID: <abort@signd.test>"
	out=$(/usr/bin/python3 - "$SPORT" "$INTEG_TMP/abort.in" <<'PY' 2>&1
import smtplib, socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.ehlo("client.test")
s.mail("mallory@signd.test")
s.rcpt("bob@example.net")
print("rset", s.rset()[0])
s.sendmail("alice@signd.test", ["bob@example.net"], open(path, "rb").read())
s.quit()
# A client that leaves in the middle of DATA, its headers and some
# body sent.
c = socket.create_connection(("127.0.0.1", port), timeout=30)
f = c.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if l[3:4] != b"-":
            return l
reply()
for cmd in (b"EHLO client.test", b"MAIL FROM:<gone@signd.test>",
            b"RCPT TO:<bob@example.net>", b"DATA"):
    c.sendall(cmd + b"\r\n")
    reply()
c.sendall(b"From: gone@signd.test\r\nSubject: gone\r\n\r\n" +
          b"x" * 70 + b"\r\n")
c.sendall((b"y" * 998 + b"\r\n") * 200)
time.sleep(0.5)
c.close()
print("dropped")
PY
)
	if printf '%s\n' "$out" | grep -q '^rset 250' &&
	    printf '%s\n' "$out" | grep -q '^dropped'; then
		integ_ok "milter abort: a RSET after RCPT, then a client gone mid-DATA"
	else
		integ_notok "milter abort: the sessions ran" "$out"
	fi
	for i in $(seq 1 100); do
		[ -n "$(ls "$SINK")" ] && break
		sleep 0.2
	done
	if delivered abort && grep -q '^Subject: after a RSET' \
	    "$INTEG_TMP/abort.eml"; then
		check_dkim abort 2
	else
		integ_notok "milter abort: the message after the RSET relayed" \
		    "$(tail -n 10 "$PF/maillog")"
	fi
	# Postfix gives the milter the dropped DATA's abort when its cleanup
	# sees the client gone; then QUIT.
	for i in $(seq 1 50); do
		[ "$(grep -c 'milter abort: the MTA dropped' \
		    "$INTEG_TMP/signd-milter.log")" -ge 2 ] && break
		sleep 0.2
	done
	n=$(grep -c 'milter abort: the MTA dropped' \
	    "$INTEG_TMP/signd-milter.log" || true)
	kill -USR1 "$SIGNDM_PID"
	sleep 0.3
	c=$(grep 'signd stats' "$INTEG_TMP/signd-milter.log" | tr ' ' '\n' |
	    sed -n 's/^milter_aborted=//p' | tail -n 1)
	if [ "$n" -eq 2 ] && [ "$c" = 2 ] &&
	    ! grep -qs '^Subject: gone' "$SINK"/* "$INTEG_TMP/abort.eml"; then
		integ_ok "milter abort: both dropped transactions logged and counted, neither relayed"
	else
		integ_notok "milter abort: the dropped transactions logged and counted" \
		    "logged $n, milter_aborted=$c" \
		    "$(grep -i 'milter' "$INTEG_TMP/signd-milter.log" | tail -n 8)"
	fi
}
milter_case

integ_summary
