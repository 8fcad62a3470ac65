#!/bin/sh
# doctor_axfr.sh: timbre doctor's DKIM selectors found as timbre-signd
# finds them (issue 19): an AXFR of the zone from --primary signed with
# the key of --tsig-key-file (src/dns/xfr.c), against NSD serving
# axfr.test with TSIG-only transfers, and against timbre-primaryd.
#
# The zone holds two selectors of axfr.test (an ed25519 key derived from
# the password, an RSA key of 2048 bits made here) and TXT records that
# are not selectors of it (at _domainkey itself, two labels below it,
# under another domain); pw.axfr.test, a name below the zone's apex,
# has one selector; none.axfr.test has none.  Asserted: each domain's
# DKIM line lists and checks exactly its selectors (the password's key
# matches; a selector given with --selector and listed is checked once);
# a wrong secret (NOTAUTH, BADSIG), a key NSD does not know (BADKEY), a
# key it knows that may not transfer the zone (REFUSED), nothing
# listening and a primary that never answers (bounded by --timeout) each
# fail with the reason on the DKIM line; usage errors exit 2.
#
# The test runs in a network namespace of its own (unshare -rn), so that
# NSD serves port 53 on 127.0.0.2, a black hole takes 127.0.0.4:53 and
# timbre-primaryd 127.0.0.6:53.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
integ_netns_reexec

TIMBRE=$top_builddir/tools/timbre
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
PY=/usr/bin/python3
DATA=$top_srcdir/tests/data/doctor

integ_need_cmd nsd dig openssl git $PY
[ -x "$TIMBRE" ] || integ_skip "$TIMBRE is not built"
integ_init
T=$INTEG_TMP

good_dkim=$("$TIMBRE" key derive --domain axfr.test --selector s1 \
    --algorithm ed25519-sha256 --password-file "$DATA/password")
pw_dkim=$("$TIMBRE" key derive --domain pw.axfr.test --selector s1 \
    --algorithm ed25519-sha256 --password-file "$DATA/password")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/rsa.pem" 2>/dev/null || integ_skip "openssl cannot make keys"
rsa_dkim=$(printf 'v=DKIM1; k=rsa; p=%s' "$(openssl pkey -in "$T/rsa.pem" \
    -pubout -outform DER 2>/dev/null | base64 -w0)")

cat >"$T/axfr.test.zone" <<EOF
\$ORIGIN axfr.test.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.2
@ MX 0 .
@ TXT "v=spf1 -all"
_dmarc TXT "v=DMARC1; p=reject"
s1._domainkey TXT $(integ_txt_strings "$good_dkim")
big._domainkey TXT $(integ_txt_strings "$rsa_dkim")
_domainkey TXT "o=~"
deep.x._domainkey TXT "v=DKIM1; p="
pw MX 0 .
pw TXT "v=spf1 -all"
s1._domainkey.pw TXT $(integ_txt_strings "$pw_dkim")
none MX 0 .
none TXT "v=spf1 -all"
EOF

# TSIG keys: xfr may transfer the zone, other is known but may not,
# stranger is unknown to NSD; wrong is xfr's name with another secret.
"$TIMBRE" tsig-keygen xfr.axfr.test | sed -n 2p >"$T/xfr.key"
"$TIMBRE" tsig-keygen other.axfr.test | sed -n 2p >"$T/other.key"
"$TIMBRE" tsig-keygen stranger.axfr.test | sed -n 2p >"$T/stranger.key"
"$TIMBRE" tsig-keygen xfr.axfr.test | sed -n 2p >"$T/wrong.key"
nsd_key()
{
	IFS=: read -r kn ka ks <"$1"
	printf 'key:\n    name: "%s"\n    algorithm: %s\n    secret: "%s"\n' \
	    "$kn" "$ka" "$ks"
}
INTEG_NSD_SERVER_EXTRA="$(nsd_key "$T/xfr.key")
$(nsd_key "$T/other.key")
zone:
    name: \"axfr.test\"
    zonefile: \"$T/axfr.test.zone\"
    provide-xfr: 127.0.0.0/8 xfr.axfr.test"
integ_nsd_start_at 127.0.0.2 ns1 axfr.test ||
    integ_skip "NSD did not start on 127.0.0.2"

# The black hole: accepts connections on 127.0.0.4:53, never answers.
integ_spawn "$T/hole.log" "$PY" -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.4", 53))
s.listen(8)
print("ready", flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
'
i=0
until grep -q ready "$T/hole.log" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 50 ] || integ_skip "the black hole did not start"
	sleep 0.1
done

# doctor NAME ARGS...: timbre doctor against NSD; output in $T/NAME.out,
# exit status in $rc.
doctor()
{
	local name=$1

	shift
	rc=0
	"$TIMBRE" doctor -n udp:127.0.0.2 "$@" >"$T/$name.out" \
	    2>"$T/$name.err" || rc=$?
}

# expect NAME STATUS LINE: the run's status is STATUS and LINE is a whole
# line of its output ("": no output).
expect()
{
	if [ "$rc" -eq "$2" ] && { [ -z "$3" ] && [ ! -s "$T/$1.out" ] ||
	    grep -qxF -- "$3" "$T/$1.out"; }; then
		integ_ok "$1"
	else
		integ_notok "$1" "exit $rc, want $2; missing: $3" \
		    "$(cat "$T/$1.out" "$T/$1.err")"
	fi
}

doctor list --primary 127.0.0.2 --tsig-key-file "$T/xfr.key" axfr.test
expect list 0 "DKIM      ok     2 selectors under _domainkey.axfr.test in the AXFR of axfr.test; big (rsa, 2048 bits); s1 (ed25519)"

doctor password --primary 127.0.0.2:53 --tsig-key-file "$T/xfr.key" \
    --password-file "$DATA/password" pw.axfr.test
expect password 0 "DKIM      ok     1 selector under _domainkey.pw.axfr.test in the AXFR of axfr.test; s1 (ed25519), the key derived from the password"

doctor once --selector s1 --primary 127.0.0.2 --tsig-key-file "$T/xfr.key" \
    pw.axfr.test
expect once 0 "DKIM      ok     1 selector under _domainkey.pw.axfr.test in the AXFR of axfr.test; s1 (ed25519)"

doctor none --primary 127.0.0.2 --tsig-key-file "$T/xfr.key" \
    none.axfr.test
expect none 0 "DKIM      warn   0 selectors under _domainkey.none.axfr.test in the AXFR of axfr.test: no DKIM key published, so no mail from none.axfr.test is signed in a way receivers can check; DMARC then rests on SPF alone, and large receivers ask bulk senders for DKIM; publish a key (timbre key derive --zone, or timbre-signd --primary)"

fail_line()
{
	printf 'DKIM      FAIL   AXFR of axfr.test from %s failed (%s): timbre-signd with this --primary and key cannot list or publish its keys either; the primary must allow the key transfers (a _transfer or _update key of the zone)' \
	    "$1" "$2"
}
doctor badsig --primary 127.0.0.2 --tsig-key-file "$T/wrong.key" axfr.test
expect badsig 1 "$(fail_line 127.0.0.2 "NOTAUTH (BADSIG)")"
doctor badkey --primary 127.0.0.2 --tsig-key-file "$T/stranger.key" \
    axfr.test
expect badkey 1 "$(fail_line 127.0.0.2 "NOTAUTH (BADKEY)")"
doctor refused --primary 127.0.0.2 --tsig-key-file "$T/other.key" axfr.test
expect refused 1 "$(fail_line 127.0.0.2 REFUSED)"
doctor closed --primary 127.0.0.9 --tsig-key-file "$T/xfr.key" axfr.test
expect closed 1 "$(fail_line 127.0.0.9 "Connection refused")"

start=$(date +%s)
doctor mute --timeout 3 --primary 127.0.0.4 --tsig-key-file "$T/xfr.key" \
    axfr.test
took=$(($(date +%s) - start))
if [ "$took" -le 6 ]; then
	expect mute 1 "$(fail_line 127.0.0.4 timeout)"
else
	integ_notok mute "took $took s with --timeout 3"
fi

doctor usage-alone --primary 127.0.0.2 axfr.test
expect usage-alone 2 ""
printf 'not a key\n' >"$T/junk.key"
doctor usage-junk --primary 127.0.0.2 --tsig-key-file "$T/junk.key" axfr.test
expect usage-junk 2 ""
doctor usage-addr --primary mx.axfr.test --tsig-key-file "$T/xfr.key" \
    axfr.test
expect usage-addr 2 ""

# timbre-primaryd as the primary: the zone from a git repository, the key
# a _transfer key of its _keys file.
if [ -x "$PRIMARYD" ]; then
	git init -q --bare "$T/zone.git"
	git -C "$T/zone.git" symbolic-ref HEAD refs/heads/main
	git init -q "$T/w"
	git -C "$T/w" checkout -q -b main
	"$TIMBRE" tsig-keygen pxfr._transfer.axfr.test >"$T/pxfr"
	head -n1 "$T/pxfr" >"$T/w/_keys"
	sed -n 2p "$T/pxfr" >"$T/pxfr.key"
	cp "$T/axfr.test.zone" "$T/w/axfr.test"
	git -C "$T/w" add -A
	git -C "$T/w" -c user.name=test -c user.email=test@axfr.test \
	    commit -qm zone
	git -C "$T/w" push -q "$T/zone.git" main
	integ_spawn "$T/primaryd.log" "$PRIMARYD" -f --listen 127.0.0.6:53 \
	    --remote "file://$T/zone.git#main" --workdir "$T/work"
	i=0
	until dig @127.0.0.6 +time=1 +tries=1 +norec axfr.test SOA 2>/dev/null |
	    grep -q 'status: NOERROR'; do
		i=$((i + 1))
		[ "$i" -le 50 ] || break
		sleep 0.2
	done
	doctor primaryd --primary 127.0.0.6 --tsig-key-file "$T/pxfr.key" \
	    axfr.test
	expect primaryd 0 "DKIM      ok     2 selectors under _domainkey.axfr.test in the AXFR of axfr.test; big (rsa, 2048 bits); s1 (ed25519)"
	doctor primaryd-refused --primary 127.0.0.6 --tsig-key-file \
	    "$T/xfr.key" axfr.test
	expect primaryd-refused 1 "$(fail_line 127.0.0.6 "NOTAUTH (BADKEY)")"
else
	integ_skipcase primaryd "$PRIMARYD is not built"
fi

integ_summary
