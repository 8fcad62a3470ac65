#!/usr/bin/env bash
# demo.sh: builds timbre and shows, end to end, what it does.
#
#   sudo ./demo.sh            build, then the lab: the seed deployment in
#                             network namespaces (contrib/lab/lab.sh), left
#                             up to look around
#   sudo ./demo.sh down       remove the lab
#   sudo ./demo.sh loopback   the tools on 127.0.0.1 (below)
#
# The lab: a host with the bridge "service" and the NAT of
# contrib/iptables, the four daemons behind it, and an "internet" with a
# root and TLD name servers, the git server holding the zone, a sender's
# MTA whose domain says DMARC p=reject, and two subscribers' MTAs.  It
# narrates each step: keys, the zone pushed, the daemons, signd's first
# keys in the zone's git log, a list, a subscriber by mail, a post through
# the NAT, both copies delivered and checked by dkimpy and timbre.
#
# loopback: a domain's zone lives in git; timbre-primaryd serves it on
# loopback.  New DKIM keys are published by a TSIG-signed DNS UPDATE, which
# the primary commits and pushes.  timbre then signs mail, verifies it
# through that name server (and dkimpy agrees), checks SPF and DMARC, seals
# an ARC set as a mailing list would, and shows a message changed on the
# way failing, with the reason.  Everything runs on 127.0.0.1 and is
# stopped at the end.
#
# Run it as root on Debian 11 or 12 (it installs the packages it needs).
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*" >&2; "$@"; }

mode=${1:-lab}
case $mode in
lab|down|loopback) ;;
*) echo "usage: sudo ./demo.sh [down | loopback]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh installs packages and makes network namespaces: it needs root: sudo ./demo.sh${1:+ $1}" >&2
	exit 1
fi
if [ "$mode" = down ]; then
	exec contrib/lab/lab.sh down
fi

say "1. Build: Debian packages, autoreconf, configure, make"
contrib/install-deps.sh build test
[ -x configure ] && [ ! configure.ac -nt configure ] || autoreconf -fi
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -j"$(nproc)" >/dev/null)
timbre=$top/build/tools/timbre
primaryd=$top/build/daemons/primaryd/timbre-primaryd
echo "built $("$timbre" --version)"
if [ "$mode" = lab ]; then
	contrib/lab/lab.sh up
	exec contrib/lab/lab.sh run
fi
# Short names for the commands shown.
PATH=$top/build/tools:$top/build/daemons/primaryd:$PATH

export top_srcdir=$top top_builddir=$top/build
. tests/integration/lib.sh
integ_init
w=$INTEG_TMP
cd "$w"

say "2. The zone of example.org, in a git repository"
timbre tsig-keygen personal._update.example.org >tsig
echo "timbre tsig-keygen made the UPDATE key: line 1 goes to _keys, line 2 to nsupdate"
git init -q --bare zone.git
git -C zone.git symbolic-ref HEAD refs/heads/main
git init -q -b main zone
cat >zone/example.org <<'EOF'
$ORIGIN example.org.
$TTL 300
@       SOA   ns1 hostmaster 1 3600 900 604800 300
@       NS    ns1
ns1     A     127.0.0.1
; mail: one exchanger, SPF and DMARC to match
@       MX    10 mx
mx      A     192.0.2.25
@       TXT   "v=spf1 mx -all"
_dmarc  TXT   "v=DMARC1; p=reject; adkim=s"
EOF
head -n1 tsig >zone/_keys
cat zone/example.org
git -C zone -c user.name=demo -c user.email=demo@example.org add -A
git -C zone -c user.name=demo -c user.email=demo@example.org commit -q -m "example.org"
git -C zone push -q ../zone.git main

say "3. timbre-primaryd serves it, from git, on 127.0.0.1"
port=
for attempt in 1 2 3; do
	port=$(integ_free_port)
	integ_spawn primary.log "$primaryd" -f --listen "127.0.0.1:$port" \
	    --remote "file://$w/zone.git#main" --workdir "$w/work"
	pid=$INTEG_LAST_PID
	integ_wait_dns "$port" example.org SOA 10 && break
	integ_stop "$pid"
	port=
done
[ -n "$port" ] || { cat primary.log; exit 1; }
echo "\$ timbre-primaryd -f --listen 127.0.0.1:$port --remote file://.../zone.git#main"
run dig +norec +noall +answer +comments @127.0.0.1 -p "$port" example.org SOA | grep -E 'flags|SOA'
ns=udp:127.0.0.1:$port

say "4. Keys for mail: RSA-2048 and Ed25519, published by a signed DNS UPDATE"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem
rsa_p=$(openssl pkey -in rsa.pem -pubout -outform DER | base64 -w0)
ed_p=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
IFS=: read -r kname kalg ksecret <<<"$(sed -n 2p tsig)"
printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' "$kname" "$kalg" "$ksecret" >tsig.bind
{
	echo "server 127.0.0.1 $port"
	echo "zone example.org"
	echo "update add rsa1._domainkey.example.org 300 TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$rsa_p")"
	echo "update add ed1._domainkey.example.org 300 TXT \"v=DKIM1; k=ed25519; p=$ed_p\""
	echo "update add arc1._domainkey.example.org 300 TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$rsa_p")"
	echo send
} >update.txt
echo '$ nsupdate -k tsig.bind < update.txt      # add rsa1, ed1 and arc1._domainkey TXT records'
nsupdate -t 10 -k tsig.bind <update.txt
echo "The primary applied it, bumped the serial, committed and pushed:"
run git --git-dir=zone.git log --format='  %h %an: %s' main | cut -c1-110
echo "The commit changes only the serial and adds the records; the rest of the file, comments too, stays as written:"
run git --git-dir=zone.git show --format= main -- example.org | grep '^[-+][^-+]' | cut -c1-100
run dig +short @127.0.0.1 -p "$port" ed1._domainkey.example.org TXT

say "5. A message, as a mail client would write it"
cat >msg.eml <<'EOF'
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: Lunch on Friday?
Date: Sun, 22 Nov 2026 12:00:00 +0000
Message-ID: <demo-1@example.org>

Hi Bob,

the usual place, at noon?

Alice
EOF
cat msg.eml

say "6. timbre signs it twice (RSA, then Ed25519) and verifies through the primary"
timbre dkim sign --domain example.org --selector rsa1 --key rsa.pem msg.eml >rsa.eml
timbre dkim sign --domain example.org --selector ed1 --key ed.pem rsa.eml >signed.eml
echo '$ timbre dkim sign --domain example.org --selector rsa1 --key rsa.pem msg.eml | timbre dkim sign ... --selector ed1 --key ed.pem'
sed -n '/^From:/q;p' signed.eml
run timbre dkim verify -n "$ns" signed.eml
echo '$ dkimpy verifies the same message, with the keys from the same name server'
/usr/bin/python3 "$top/tests/integration/dkim_peer.py" --dns-port "$port" verify <signed.eml || true

say "7. SPF for the envelope: mx.example.org may send for example.org, others not"
run timbre spf check -n "$ns" --ip 192.0.2.25 --mail-from alice@example.org --helo mx.example.org || true
run timbre spf check -n "$ns" --ip 198.51.100.7 --mail-from alice@example.org --helo spoof.example || true

say "8. DMARC: the receiving side stamps Authentication-Results"
run timbre dmarc verify -n "$ns" --ip 192.0.2.25 --mail-from alice@example.org \
    --helo mx.example.org --authserv-id lists.example.org signed.eml >stamped.eml || true
sed -n '/^Authentication-Results:/,/^DKIM-Signature:/p' stamped.eml | sed '$d'

say "9. A mailing list seals what it saw in an ARC set, and anyone can check the chain"
run timbre arc sign -n "$ns" --domain example.org --selector arc1 --key rsa.pem \
    --authserv-id lists.example.org stamped.eml >sealed.eml
grep -E '^ARC-(Seal|Message-Signature|Authentication-Results):' sealed.eml | cut -c1-76
run timbre arc verify -n "$ns" sealed.eml

say "10. The message is changed on the way: the signatures break, and say why"
sed 's/at noon/at one/' signed.eml >tampered.eml
run timbre dkim verify -v -n "$ns" tampered.eml || echo "(exit status $?: a check failed)"
sed 's/^Subject: Lunch/Subject: Dinner/' sealed.eml >tampered2.eml
run timbre arc verify -v -n "$ns" tampered2.eml || echo "(exit status $?: a check failed)"

say "Done"
echo "timbre-primaryd is stopped and $w removed on exit. Every test: ./check.sh"
