#!/bin/sh
# dmarc.sh: timbre dmarc verify against DMARC, SPF and DKIM records served
# by NSD on 127.0.0.1: pass by DKIM alignment, pass by SPF alignment
# (relaxed), fail with p=reject, a subdomain with sp=, a non-existent
# subdomain with np=, the organisational domain found by the tree walk
# (and by the Public Suffix List in rfc7489 mode), no record (none), two
# From fields (permerror).  One zone, "test", holds everything, so that
# the walk up to the top-level domain gets authoritative answers.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

TIMBRE=$top_builddir/tools/timbre
KEY=$top_srcdir/tests/data/keys/rsa2048.pem
NOW=1790000000

integ_need_cmd nsd nsd-checkconf dig openssl awk
[ -x "$TIMBRE" ] || integ_skip "$TIMBRE is not built"
integ_init

pub=$(openssl pkey -in "$KEY" -pubout -outform DER 2>/dev/null |
    base64 -w0) || integ_skip "openssl cannot read $KEY"

cat >"$INTEG_TMP/test.zone" <<EOF
\$ORIGIN test.
\$TTL 300
@			SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@			NS ns.test.
ns			A 127.0.0.1
example			A 127.0.0.1
example			TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.example		TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.test"
s1._domainkey.example	TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$pub")
bounce.example		TXT "v=spf1 ip4:127.0.0.1 -all"
sub.example		A 127.0.0.2
mail.lists.example	A 127.0.0.3
other			A 127.0.0.4
other			TXT "v=spf1 ip4:127.0.0.1 -all"
EOF

integ_nsd_start test "$INTEG_TMP/test.zone" ||
    integ_skip "NSD did not start"
NS=udp:127.0.0.1:$INTEG_NSD_PORT

# msg FROM... : a message with one From field per argument.
msg()
{
	local f

	for f in "$@"; do
		printf 'From: %s\n' "$f"
	done
	printf 'To: list@lists.example.test\nSubject: dmarc %s\n' "$1"
	printf 'Date: Mon, 20 Sep 2026 10:00:00 +0000\n'
	printf 'Message-ID: <%s@example.test>\n\nHello.\n' "$RANDOM"
}

signed()
{
	msg "$@" | "$TIMBRE" dkim sign --domain example.test --selector s1 \
	    --key "$KEY" --time "$NOW"
}

# check NAME WANT_RC PATTERN [ARGS...]: runs timbre dmarc verify on
# $INTEG_TMP/in.eml and looks for PATTERN in its Authentication-Results.
check()
{
	local name=$1 want=$2 pat=$3 rc=0 ar

	shift 3
	"$TIMBRE" dmarc verify -n "$NS" --authserv-id mx.test --time "$NOW" \
	    "$@" "$INTEG_TMP/in.eml" >"$INTEG_TMP/out.eml" \
	    2>"$INTEG_TMP/err" || rc=$?
	ar=$(awk '/^Authentication-Results:/ { on = 1; print; next }
	    on && /^[ \t]/ { print; next } { on = 0 }' "$INTEG_TMP/out.eml" |
	    tr -s ' \t\n' ' ')
	if [ "$rc" != "$want" ]; then
		integ_notok "$name" "exit $rc, wanted $want" "$ar" \
		    "$(cat "$INTEG_TMP/err")"
	elif ! printf '%s\n' "$ar" | grep -qE -- "$pat"; then
		integ_notok "$name" "no /$pat/ in:" "$ar"
	elif ! tail -n 1 "$INTEG_TMP/out.eml" | grep -q '^Hello\.$'; then
		integ_notok "$name" "the message did not follow the field"
	else
		integ_ok "$name"
	fi
}

signed 'Bob <bob@example.test>' >"$INTEG_TMP/in.eml"
check "pass by DKIM alignment" 0 \
    'dkim=pass .*header\.d=example\.test.*dmarc=pass \(p=REJECT sp=QUARANTINE dis=NONE\) header\.from=example\.test' \
    --ip 127.0.0.9 --mail-from bob@example.test

msg 'bob@example.test' >"$INTEG_TMP/in.eml"
check "pass by SPF alignment (relaxed)" 0 \
    'spf=pass .*smtp\.mailfrom=x@bounce\.example\.test.*dkim=none.*dmarc=pass' \
    --ip 127.0.0.1 --mail-from x@bounce.example.test --helo mx.example.test

check "fail with p=reject" 1 \
    'spf=fail .*dmarc=fail \(p=REJECT sp=QUARANTINE dis=REJECT\)' \
    --ip 127.0.0.9 --mail-from bob@example.test

check "SPF not checked without --ip" 1 \
    'spf=none \(not checked.*dmarc=fail'

msg 'bob@sub.example.test' >"$INTEG_TMP/in.eml"
check "existing subdomain: sp=" 1 \
    'dmarc=fail \(p=REJECT sp=QUARANTINE dis=QUARANTINE\).*header\.from=sub\.example\.test'

msg 'bob@nx.example.test' >"$INTEG_TMP/in.eml"
check "non-existent subdomain: np=" 1 \
    'dmarc=fail \(p=REJECT sp=QUARANTINE dis=REJECT\).*header\.from=nx\.example\.test'

signed 'bob@mail.lists.example.test' >"$INTEG_TMP/in.eml"
check "organisational domain by the tree walk" 0 \
    'dkim=pass .*dmarc=pass .*header\.from=mail\.lists\.example\.test'
printf '// a list in the format of publicsuffix.org\ntest\n' \
    >"$INTEG_TMP/psl.dat"
check "organisational domain by the PSL (rfc7489)" 0 \
    'dmarc=pass .*header\.from=mail\.lists\.example\.test' \
    --dmarc-mode rfc7489 --psl "$INTEG_TMP/psl.dat"

msg 'bob@other.test' >"$INTEG_TMP/in.eml"
check "no record: none" 1 \
    'spf=pass .*dmarc=none .*header\.from=other\.test' \
    --ip 127.0.0.1 --mail-from bob@other.test

signed 'bob@example.test' 'eve@example.test' >"$INTEG_TMP/in.eml"
check "two From fields: permerror" 1 \
    'dmarc=permerror .*reason="2 From fields"'

integ_summary
