#!/bin/bash
# lab.sh: the lab of contrib/lab/lab.sh end to end (issue 14, part 4).
#
#   - not root: refused with a message naming sudo, nothing made;
#   - a missing program (swaks hidden from PATH): refused, naming the
#     Debian package to install, nothing made;
#   - `lab.sh up` killed half-way leaves namespaces behind; the next
#     `up` says so, removes them and builds the lab;
#   - with pebble and certbot: listd's certificate comes from pebble by
#     DNS-01 through the NAT'd timbre-primaryd, its TLSA is served, and
#     the challenge is in the zone's git history;
#   - `lab.sh run`: carol joins by mail (request, confirmation, welcome),
#     a forged post from the p=reject domain is refused, alice's post
#     reaches both subscribers' MTAs, dkimpy's dkimverify and arcverify
#     pass on the delivered copy, and so does timbre arc verify;
#   - `lab.sh down`: no namespace and no state left.
#
# It uses the lab's fixed namespace names (timbre-host, ...), so it skips
# when a lab is up already rather than remove it.  About a minute.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

LAB=$top_srcdir/contrib/lab/lab.sh
LAB_NS='^timbre-(host|internet|resolverd|primaryd|signd|listd)( |$)'
[ "$(id -u)" -eq 0 ] || integ_skip "needs root (network namespaces)"
integ_need_cmd ip iptables nsd sshd swaks smtp-sink dig sqlite3 unshare \
    setpriv dkimverify arcverify
if ip netns list | grep -qE "$LAB_NS"; then
	integ_skip "a lab is up already (sudo ./demo.sh down first)"
fi
integ_init
T=$INTEG_TMP
export TIMBRE_BUILD=$top_builddir TIMBRE_LAB_DIR=$T/lab
trap '"$LAB" down >/dev/null 2>&1 || true; integ_cleanup' EXIT

check()
{
	if eval "$2"; then
		integ_ok "$1"
	else
		integ_notok "$1" "${3:-}"
	fi
}
none_left() { ! ip netns list | grep -qE "$LAB_NS"; }

# ---- refusals ----
chmod 755 "$T"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups bash "$LAB" up \
    >"$T/nonroot.out" 2>&1 || rc=$?
check "not root: refused, naming sudo" \
    "[ $rc -eq 1 ] && grep -q 'needs root: sudo' '$T/nonroot.out'" \
    "exit $rc: $(cat "$T/nonroot.out")"
mkdir "$T/bin"
# Every program but swaks (names in both /bin and /usr/bin: the first).
ln -s /usr/bin/* /usr/sbin/* /bin/* /sbin/* "$T/bin/" 2>/dev/null || true
rm -f "$T/bin/swaks"
rc=0
PATH=$T/bin "$T/bin/bash" "$LAB" up >"$T/notool.out" 2>&1 || rc=$?
check "swaks missing: refused, naming the package" \
    "[ $rc -eq 1 ] && grep -q 'apt-get install.* swaks' '$T/notool.out'" \
    "exit $rc: $(cat "$T/notool.out")"
check "refusals made nothing" 'none_left && [ ! -e "$T/lab" ]'

# ---- a run killed half-way, then up ----
"$LAB" up >"$T/killed.out" 2>&1 &
pid=$!
for i in $(seq 1 100); do
	ip netns list | grep -q '^timbre-internet' && break
	sleep 0.1
done
sleep 1
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
check "a killed up leaves namespaces behind" '! none_left'
start=$(date +%s)
rc=0
"$LAB" up >"$T/up.out" 2>&1 || rc=$?
up_s=$(($(date +%s) - start))
check "up cleans the half-made lab first" \
    "grep -q 'removing it first' '$T/up.out'"
check "up: the lab is up ($up_s s)" "[ $rc -eq 0 ]" "$(tail -n 30 "$T/up.out")"
check "signd's first keys are commits of the zone repository" \
    "[ \$(git --git-dir='$T/lab/git/zone.git' log --format=%s main | grep -c 'UPDATE by signd') -eq 3 ]"
check "the resolver and each daemon got the packaged file plus the lab's lines" \
    "grep -q '^remote = ssh://root@192.0.2.22' '$T/lab/conf/timbre-primaryd.conf' && grep -q '^signer = 10.0.0.4:25' '$T/lab/conf/timbre-listd.conf'"

users=
for d in resolverd primaryd signd listd; do
	users="$users $(ps -o user= -p "$(ip netns pids "timbre-$d" | head -n1)" 2>/dev/null || echo none)"
done
check "the four daemons dropped root (nobody)" \
    '[ "$users" = " nobody nobody nobody nobody" ]' "users:$users"

# ---- step 8: listd's certificate by ACME DNS-01 (pebble, certbot) ----
if command -v pebble >/dev/null 2>&1 && command -v certbot >/dev/null 2>&1 &&
    /usr/bin/python3 -c 'import certbot_dns_rfc2136' 2>/dev/null; then
	issuer=$(ip netns exec timbre-internet openssl s_client -starttls smtp \
	    -connect 203.0.113.10:25 -servername mx.example.org </dev/null \
	    2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
	tlsa=$(ip netns exec timbre-internet dig +norec +short \
	    @203.0.113.10 _25._tcp.mx.example.org TLSA)
	want=$(openssl x509 -in "$T/lab/tls/fullchain.pem" -noout -pubkey |
	    openssl pkey -pubin -outform DER | openssl dgst -sha256 -r |
	    cut -d' ' -f1)
	check "listd shows pebble's certificate, got by certbot through the NAT'd primary" \
	    "echo '$issuer' | grep -q Pebble" "issuer: $issuer; $(tail -n 5 "$T/lab/certbot.log" 2>/dev/null)"
	check "its TLSA 3 1 1 is served, and only it" \
	    "[ \"\$(echo '$tlsa' | tr -d ' ' | tr A-F a-f)\" = '311$want' ]" "TLSA: $tlsa; key: $want"
	check "the challenge record came and went in the zone's git history" \
	    "[ \$(git --git-dir='$T/lab/git/zone.git' log --format=%s main | grep -c '^UPDATE by acme') -ge 2 ]" \
	    "$(git --git-dir="$T/lab/git/zone.git" log --format=%s main | head -n 8)"
else
	integ_skipcase "listd's certificate by ACME DNS-01" \
	    "needs pebble, certbot and python3-certbot-dns-rfc2136" 3
fi

# ---- the demo's mail ----
start=$(date +%s)
rc=0
"$LAB" run >"$T/run.out" 2>&1 || rc=$?
run_s=$(($(date +%s) - start))
check "run: finished ($run_s s)" "[ $rc -eq 0 ]" "$(tail -n 40 "$T/run.out")"
fact() { grep -qx "$1" "$T/lab/facts" 2>/dev/null; }
check "carol subscribed by mail (confirmation round trip, welcome)" \
    "fact 'subscribed: yes'"
check "a forged post from the p=reject domain is refused" \
    "fact 'forged: refused'"
check "both subscribers' MTAs got the post" "fact 'delivered: 2'"
check "dkimpy's dkimverify passes on the delivered copy" \
    "fact 'dkimverify: pass'"
check "dkimpy's arcverify passes on the delivered copy" \
    "fact 'arcverify: pass'"
check "timbre arc verify passes on it" "fact 'timbre-arc: pass'"
check "listd saw the sender's own address through the NAT" \
    "grep -q 'smtp accept from=192.0.2.25:' '$T/lab/listd.log'"

# ---- down ----
"$LAB" down >"$T/down.out" 2>&1
check "down removes every namespace and the state" \
    'none_left && [ ! -e "$T/lab" ]'
echo "# lab: up $up_s s, run $run_s s"
integ_summary
