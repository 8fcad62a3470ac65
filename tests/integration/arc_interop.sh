#!/bin/bash
# arc_interop.sh: ARC interoperability between timbre and dkimpy
# (python3-dkim, through tests/integration/arc_peer.py), keys served by
# NSD on 127.0.0.1: sets sealed by one are validated by the other, over
# one, two and three hops in both orders, and a message changed after
# sealing fails with both.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

integ_need_cmd openssl nsd dig
/usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null ||
    integ_skip "python3-dkim or python3-dnspython missing"
integ_init
T=$INTEG_TMP
TIMBRE=$top_builddir/tools/timbre
PEER="/usr/bin/python3 $top_srcdir/tests/integration/arc_peer.py"
DOMAIN=arc.test
NOW=1700000000

mkdir -p "$T/keys"
for k in timbre py; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$T/keys/$k.pem" 2>/dev/null
done
pub()
{
	openssl pkey -in "$T/keys/$1.pem" -pubout -outform DER | base64 -w0
}
{
	echo "\$ORIGIN $DOMAIN."
	echo "\$TTL 300"
	echo "@	IN SOA	ns.$DOMAIN. hostmaster.$DOMAIN. 1 3600 600 86400 300"
	echo "@	IN NS	ns"
	echo "ns	IN A	127.0.0.1"
	echo "timbre._domainkey IN TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$(pub timbre)")"
	echo "py._domainkey IN TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$(pub py)")"
} >"$T/$DOMAIN.zone"
integ_nsd_start "$DOMAIN" "$T/$DOMAIN.zone" ||
    { echo "Bail out! NSD did not start"; exit 1; }
NS=udp:127.0.0.1:$INTEG_NSD_PORT
echo "# NSD on $NS, temp dir $T"

# The message as the first hop received it, with its Authentication-Results.
printf '%s\n' \
    'Authentication-Results: mx.arc.test; spf=pass smtp.mailfrom=alice@origin.test;' \
    '	dkim=pass header.d=origin.test header.s=s1 header.b=abcdefgh;' \
    '	dmarc=pass header.from=origin.test' \
    'Received: from mail.origin.test by mx.arc.test; Tue, 14 Nov 2023 22:13:20 +0000' \
    'From: Alice <alice@origin.test>' \
    'To: list@arc.test' \
    'Subject: ARC interop' \
    'Date: Tue, 14 Nov 2023 22:13:00 +0000' \
    'Message-ID: <interop@origin.test>' \
    'MIME-Version: 1.0' \
    '' \
    'Hello,' \
    'this message crosses two hops.' >"$T/msg"

# add_ar IN OUT ID ARC: a later hop's Authentication-Results on top (dkimpy
# takes its cv= from the arc= result there).
add_ar()
{
	{ printf 'Authentication-Results: %s; arc=%s; spf=pass smtp.mailfrom=list@arc.test\n' "$3" "$4"
	  cat "$1"; } >"$2"
}

t_sign()	# IN OUT ID: timbre seals
{
	"$TIMBRE" arc sign -n "$NS" --domain "$DOMAIN" --selector timbre \
	    --key "$T/keys/timbre.pem" --authserv-id "$3" --time "$NOW" \
	    "$1" >"$2" 2>"$2.err"
}

p_sign()	# IN OUT ID: dkimpy seals
{
	$PEER --dns-port "$INTEG_NSD_PORT" sign --domain "$DOMAIN" \
	    --selector py --key "$T/keys/py.pem" --authserv-id "$3" \
	    --time "$NOW" <"$1" >"$2" 2>"$2.err"
}

t_cv()		# MSG: timbre's cv
{
	"$TIMBRE" arc verify -n "$NS" "$1" | sed -n 's/^cv=//p'
}

p_cv()		# MSG: dkimpy's cv
{
	$PEER --dns-port "$INTEG_NSD_PORT" verify <"$1" |
	    sed -n 's/^cv=\([a-z]*\).*/\1/p'
}

check()		# NAME MSG WANT
{
	local tc pc

	tc=$(t_cv "$2" || true)
	pc=$(p_cv "$2" || true)
	if [ "$tc" = "$3" ] && [ "$pc" = "$3" ]; then
		integ_ok "$1 (timbre and dkimpy: cv=$3)"
	else
		integ_notok "$1" "want cv=$3, timbre: cv=$tc, dkimpy: cv=$pc" \
		    "$("$TIMBRE" arc verify -v -n "$NS" "$2" 2>&1)"
	fi
}

# One hop each way.
if t_sign "$T/msg" "$T/t1" mx.arc.test; then
	check "timbre i=1" "$T/t1" pass
else
	integ_notok "timbre i=1" "$(cat "$T/t1.err")"
fi
if p_sign "$T/msg" "$T/p1" mx.arc.test; then
	check "dkimpy i=1" "$T/p1" pass
else
	integ_notok "dkimpy i=1" "$(cat "$T/p1.err")"
fi

# Two hops: dkimpy then timbre, timbre then dkimpy.
add_ar "$T/p1" "$T/p1ar" list.arc.test pass
if t_sign "$T/p1ar" "$T/p1t2" list.arc.test; then
	check "dkimpy i=1, timbre i=2" "$T/p1t2" pass
	if grep -q '^ARC-Seal: i=2;.*cv=pass' "$T/p1t2"; then
		integ_ok "timbre seals i=2 cv=pass over dkimpy's i=1"
	else
		integ_notok "timbre seals i=2 cv=pass over dkimpy's i=1" \
		    "$(head -n 3 "$T/p1t2")"
	fi
else
	integ_notok "dkimpy i=1, timbre i=2" "$(cat "$T/p1t2.err")"
fi
add_ar "$T/t1" "$T/t1ar" list.arc.test pass
if p_sign "$T/t1ar" "$T/t1p2" list.arc.test; then
	check "timbre i=1, dkimpy i=2" "$T/t1p2" pass
else
	integ_notok "timbre i=1, dkimpy i=2" "$(cat "$T/t1p2.err")"
fi

# Three hops, alternating.
add_ar "$T/t1p2" "$T/t1p2ar" relay.arc.test pass
if t_sign "$T/t1p2ar" "$T/t1p2t3" relay.arc.test; then
	check "timbre, dkimpy, timbre" "$T/t1p2t3" pass
else
	integ_notok "timbre, dkimpy, timbre" "$(cat "$T/t1p2t3.err")"
fi

# Tampering: the body, a signed header, an ARC set.
sed 's/this message crosses/this message CROSSES/' "$T/t1p2" >"$T/bad_body"
check "body changed after timbre, dkimpy" "$T/bad_body" fail
sed 's/^Subject: ARC interop/Subject: ARC interop!/' "$T/p1t2" >"$T/bad_subj"
check "Subject changed after dkimpy, timbre" "$T/bad_subj" fail
sed 's/^\(ARC-Authentication-Results: i=1; mx.arc.test;\)/\1 x=y;/' \
    "$T/p1t2" >"$T/bad_aar"
check "AAR i=1 changed after dkimpy, timbre" "$T/bad_aar" fail

# A broken chain sealed by timbre says cv=fail, and both see it failed.
add_ar "$T/bad_body" "$T/bad_bodyar" last.arc.test fail
if t_sign "$T/bad_bodyar" "$T/bad_t3" last.arc.test; then
	if grep -q '^ARC-Seal: i=3;.*cv=fail' "$T/bad_t3"; then
		integ_ok "timbre seals a broken chain with cv=fail"
	else
		integ_notok "timbre seals a broken chain with cv=fail" \
		    "$(head -n 2 "$T/bad_t3")"
	fi
	check "chain sealed cv=fail" "$T/bad_t3" fail
	rc=0
	t_sign "$T/bad_t3" "$T/bad_t4" last.arc.test || rc=$?
	if [ "$rc" -eq 1 ]; then
		integ_ok "timbre adds no set after cv=fail (exit 1)"
	else
		integ_notok "timbre adds no set after cv=fail" "rc=$rc"
	fi
else
	integ_notok "timbre seals a broken chain" "$(cat "$T/bad_t3.err")"
fi

# No Authentication-Results of the authserv-id: exit 2 and a reason.
rc=0
t_sign "$T/msg" "$T/noar" nobody.arc.test || rc=$?
if [ "$rc" -eq 2 ] && grep -q 'no Authentication-Results' "$T/noar.err"; then
	integ_ok "arc sign without our Authentication-Results exits 2"
else
	integ_notok "arc sign without our Authentication-Results exits 2" \
	    "rc=$rc: $(cat "$T/noar.err")"
fi

integ_summary
