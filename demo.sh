#!/usr/bin/env bash
# demo.sh: builds timbre and shows, end to end, what it can do so far.
#
# Today that is DKIM: a name server (NSD) started on 127.0.0.1 publishes a
# domain's keys, timbre signs mail with them and verifies it through DNS,
# an independent implementation (dkimpy) agrees, and a message changed on
# the way fails, with the reason.  Everything runs on loopback and is
# stopped at the end.  Run it as root on Debian 11 or 12 (it installs the
# packages it needs): sudo ./demo.sh
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh installs packages and needs root: sudo ./demo.sh" >&2
	exit 1
fi

say "1. Build: Debian packages, autoreconf, configure, make"
contrib/install-deps.sh build test
[ -x configure ] && [ ! configure.ac -nt configure ] || autoreconf -fi
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -j"$(nproc)" >/dev/null)
timbre=$top/build/tools/timbre
echo "built $("$timbre" --version)"

export top_srcdir=$top top_builddir=$top/build
. tests/integration/lib.sh
integ_init
work=$INTEG_TMP

say "2. Keys for example.org: one RSA-2048, one Ed25519 (RFC 8463)"
show openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
show openssl genpkey -algorithm ed25519 -out "$work/ed.pem"
rsa_p=$(openssl pkey -in "$work/rsa.pem" -pubout -outform DER | base64 -w0)
ed_p=$(openssl pkey -in "$work/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)

say "3. Publish them in DNS: NSD serves example.org on 127.0.0.1"
cat >"$work/example.org.zone" <<EOF
\$ORIGIN example.org.
\$TTL 300
@ IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300
@ IN NS ns.example.org.
ns IN A 127.0.0.1
rsa1._domainkey IN TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$rsa_p")
ed1._domainkey IN TXT "v=DKIM1; k=ed25519; p=$ed_p"
EOF
integ_nsd_start example.org "$work/example.org.zone"
ns=udp:127.0.0.1:$INTEG_NSD_PORT
echo "NSD answers on 127.0.0.1 port $INTEG_NSD_PORT:"
show dig +short @127.0.0.1 -p "$INTEG_NSD_PORT" ed1._domainkey.example.org TXT

say "4. A message, as a mail client would write it"
cat >"$work/msg.eml" <<'EOF'
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: Lunch on Friday?
Date: Sun, 22 Nov 2026 12:00:00 +0000
Message-ID: <demo-1@example.org>

Hi Bob,

the usual place, at noon?

Alice
EOF
cat "$work/msg.eml"

say "5. timbre signs it twice: RSA, then Ed25519"
"$timbre" dkim sign --domain example.org --selector rsa1 --key "$work/rsa.pem" \
    "$work/msg.eml" >"$work/rsa.eml"
"$timbre" dkim sign --domain example.org --selector ed1 --key "$work/ed.pem" \
    "$work/rsa.eml" >"$work/signed.eml"
echo '$ timbre dkim sign --domain example.org --selector rsa1 --key rsa.pem msg.eml | timbre dkim sign ... --selector ed1 --key ed.pem'
sed -n '/^From:/q;p' "$work/signed.eml"

say "6. timbre verifies both signatures, fetching the keys from NSD"
show "$timbre" dkim verify -n "$ns" "$work/signed.eml"

say "7. An independent implementation agrees: dkimpy (python3-dkim)"
echo '$ dkimverify (dkimpy, keys from the same NSD)'
/usr/bin/python3 "$top/tests/integration/dkim_peer.py" --dns-port "$INTEG_NSD_PORT" \
    verify <"$work/signed.eml" || true

say "8. The message is changed on the way: both signatures break, and say why"
sed 's/at noon/at one/' "$work/signed.eml" >"$work/tampered.eml"
show "$timbre" dkim verify -v -n "$ns" "$work/tampered.eml" || echo "(exit status $?: a check failed)"
sed 's/^Subject: Lunch/Subject: Dinner/' "$work/signed.eml" >"$work/tampered2.eml"
show "$timbre" dkim verify -v -n "$ns" "$work/tampered2.eml" || echo "(exit status $?: a check failed)"

say "Done"
echo "NSD is stopped and $work removed on exit. Every test: ./check.sh"
