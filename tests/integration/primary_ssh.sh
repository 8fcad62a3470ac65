#!/bin/sh
# primary_ssh.sh: issue 16 (part 1), timbre-primaryd's git over its own
# SSH transport (src/git/ssh.c, libssh) against OpenSSH's sshd on
# loopback, with deadlines.  sshd has an ed25519 and an RSA host key and
# takes RSA user keys only as rsa-sha2-256/512 (PubkeyAcceptedAlgorithms
# without ssh-rsa).  The daemon reaches it through primary_ssh_proxy.py,
# which relays, or accepts and says nothing, or stops relaying after N
# bytes: clone, NOTIFY and UPDATE work over libssh; a server that says
# nothing, and one that stalls mid-pack, fail the job within
# --git-timeout with a log line naming the timeout, queries answered all
# along and the last zone still served, and the next NOTIFY succeeds once
# the server is back; an UPDATE during a stall is SERVFAIL and leaves
# nothing behind; a host key known_hosts does not hold is refused; an RSA
# key logs in with rsa-sha2 and the RSA host key is used when known_hosts
# names only it.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig nsupdate /usr/bin/python3
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
TIMBRE=$top_builddir/tools/timbre
BARE=$T/zone.git
# --git-timeout, seconds: sshd starts git through the user's shell, whose
# rc files may take seconds on a loaded machine (pyenv init, say).
TO=8

# ok, nok, check, q, status_is, gitc, bindkey, start_primary:
. "$top_srcdir/tests/integration/primary_lib.sh"

# The repository (prim_repo_small: example.org, serial 1, www A
# 192.0.2.10) and an update key.
prim_repo_small
"$TIMBRE" tsig-keygen up._update.example.org >"$T/up"
head -n1 "$T/up" >"$T/w/_keys"
sed -n 2p "$T/up" >"$T/up.key"
bindkey "$T/up.key" "$T/up.bind"
gitc add -A
gitc commit -q -m keys
gitc push -q "$BARE" main
zone() { # zone SERIAL [EXTRA LINE]
	cat <<-EOF
	\$ORIGIN example.org.
	\$TTL 300
	@ SOA ns1 hostmaster $1 3600 900 604800 300
	@ NS ns1
	ns1 A 127.0.0.1
	www A 192.0.2.10
	${2:-}
	EOF
}
push() { # push SERIAL EXTRA-LINE: a new version, pushed by the operator
	gitc pull -q "$BARE" main
	zone "$1" "$2" >"$T/w/example.org"
	gitc add -A
	gitc commit -q -m "serial $1"
	gitc push -q "$BARE" main
}

# sshd (prim_sshd: an ed25519 host key, FP, and the ed25519 user key of
# timbre keygen in $T/ed.keyfile), restarted with an RSA host key too, an
# RSA user key, and RSA user keys taken only as SHA-2 signatures.
prim_sshd || integ_skip "sshd not installed (apt-get install openssh-server)"
integ_stop "$SSHD_PID"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$T/hostkey-rsa"
"$TIMBRE" keygen --keytype rsa --bits 2048 >"$T/rsa.key"
head -n1 "$T/rsa.key" >"$T/rsa.keyfile"
sed -n 2p "$T/rsa.key" >"$T/rsa.pub"
cat "$T/rsa.pub" >>"$T/authorized_keys"
RSA_FP=$(ssh-keygen -lf "$T/rsa.pub" | awk '{ print $2 }')
cat >>"$T/sshd_config" <<EOF
HostKey $T/hostkey-rsa
LogLevel DEBUG1
PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256
EOF
integ_spawn "$T/sshd.log" "$SSHD" -D -e -f "$T/sshd_config"
SSHD_PID=$INTEG_LAST_PID
PROXY_PORT=$(integ_free_port)
MODE=$T/proxy.mode
integ_spawn "$T/proxy.log" /usr/bin/python3 \
    "$top_srcdir/tests/integration/primary_ssh_proxy.py" \
    "$PROXY_PORT" "$SSH_PORT" "$MODE"
for i in $(seq 1 50); do
	grep -q listening "$T/proxy.log" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3
USER_NAME=$(id -un)

ms_now() { echo $(($(date +%s%N) / 1000000)); }
# One signed NOTIFY, sent once (timbre notify sends copies after 2 and
# 4 s, and each copy is a job of its own): its rcode in OUT, time in MS.
notify() { # notify OUT
	local t0
	t0=$(ms_now)
	dig @127.0.0.1 -p "$PORT" +norec +tries=1 +time=20 +opcode=notify \
	    -k "$T/up.bind" example.org SOA 2>&1 |
	    sed -n 's/.*status: \([A-Z]*\),.*/\1/p' >"$1" || true
	MS=$(($(ms_now) - t0))
}
within_deadline() { # the job took the deadline, give or take a margin
	[ "$MS" -ge $((TO * 1000 - 300)) ] && [ "$MS" -le $(((TO + 6) * 1000)) ]
}
served() { # served NAME ADDRESS
	q +short "$1" A | grep -qx "$2"
}

# 1. Clone, NOTIFY and UPDATE through the relay.
start_primary "$T/primary.log" \
    --remote "ssh://$USER_NAME@127.0.0.1:$PROXY_PORT$BARE#main" \
    --ssh-key-file "$T/ed.keyfile" --ssh-authenticator "$FP" \
    --git-timeout "$TO" --workdir "$T/work" &&
    ok "clone over ssh (ed25519 key, pinned host key)" ||
    nok "clone over ssh (ed25519 key, pinned host key)"
check "the zone is served" served www.example.org 192.0.2.10
check "the git client sshd saw is libssh" grep -q 'remote software version libssh' "$T/sshd.log"
check "sshd took the ed25519 key" grep -q "Accepted publickey for $USER_NAME .* ED25519" "$T/sshd.log"
push 10 "fetched1 A 192.0.2.21"
notify "$T/n1.out"
check "NOTIFY: NOERROR after the fetch" grep -qx NOERROR "$T/n1.out"
check "NOTIFY: the pushed record served" served fetched1.example.org 192.0.2.21
nsup() { # nsup OUT COMMAND: an UPDATE over TCP (sent once), its exit
	# status in RC, its time in MS
	local t0
	t0=$(ms_now)
	RC=0
	{ echo "server 127.0.0.1 $PORT"; echo "zone example.org"
	  echo "$2"; echo send; } | nsupdate -v -t 30 -k "$T/up.bind" >"$1" 2>&1 ||
	    RC=$?
	MS=$(($(ms_now) - t0))
}
nsup "$T/u1.out" "update add updated1.example.org 60 A 192.0.2.31"
check "UPDATE: answered NOERROR" test "$RC" = 0
check "UPDATE: served" served updated1.example.org 192.0.2.31
check "UPDATE: pushed over ssh" sh -c "git --git-dir='$BARE' show main:example.org | grep -q updated1"

# 2. A server that accepts the connection and says nothing.
echo silent >"$MODE"
push 20 "fetched2 A 192.0.2.22"
{ notify "$T/n2.out"; echo "$MS" >"$T/n2.ms"; } &
NPID=$!
sleep 1
check "stalled: queries answered meanwhile (UDP)" status_is NOERROR example.org SOA
check "stalled: queries answered meanwhile (TCP)" status_is NOERROR +tcp example.org SOA
wait "$NPID" || true
MS=$(cat "$T/n2.ms")
check "stalled: NOTIFY answered SERVFAIL" grep -qx SERVFAIL "$T/n2.out"
check "stalled: it took --git-timeout ($TO s; took $MS ms)" within_deadline
check "stalled: the log names the timeout" grep -q "ssh 127.0.0.1:$PROXY_PORT: timed out after $TO s connecting" "$T/primary.log"
check "stalled: the last zone still served" served www.example.org 192.0.2.10
check "stalled: nothing of the new version served" status_is NXDOMAIN fetched2.example.org A
check "stalled: the daemon is still running" kill -0 "$PRIMARY_PID"
grep 'timed out' "$T/primary.log" | head -n 2 | sed 's/^/# log: /'

# The server back: the next NOTIFY succeeds.
echo pass >"$MODE"
notify "$T/n3.out"
check "back: NOTIFY answered NOERROR" grep -qx NOERROR "$T/n3.out"
check "back: the new version served" served fetched2.example.org 192.0.2.22

# 3. A server that stalls mid-pack: 600 KB that does not compress, the
# relay stops after 200 000 bytes from sshd (the key exchange, log-in and
# refs take a few thousand).
head -c 600000 /dev/urandom >"$T/w/blob.bin"
push 30 "fetched3 A 192.0.2.23"
echo "cut:200000" >"$MODE"
notify "$T/n4.out"
check "mid-pack: NOTIFY answered SERVFAIL" grep -qx SERVFAIL "$T/n4.out"
check "mid-pack: the relay cut the stream" grep -q "^cut " "$T/proxy.log"
check "mid-pack: the log names the timeout" grep -q "ssh 127.0.0.1:$PROXY_PORT: timed out after $TO s reading" "$T/primary.log"
check "mid-pack: the last zone still served" served fetched2.example.org 192.0.2.22
check "mid-pack: nothing of the new version served" status_is NXDOMAIN fetched3.example.org A
echo pass >"$MODE"
notify "$T/n5.out"
check "back after mid-pack: NOTIFY answered NOERROR" grep -qx NOERROR "$T/n5.out"
check "back after mid-pack: the new version served" served fetched3.example.org 192.0.2.23

# 4. An UPDATE while the server says nothing: SERVFAIL within the
# deadline, nothing served or left in the remote; then it goes through.
echo silent >"$MODE"
nsup "$T/u2.out" "update add lost.example.org 60 A 192.0.2.99"
check "UPDATE stalled: SERVFAIL" grep -q SERVFAIL "$T/u2.out"
check "UPDATE stalled: within --git-timeout ($MS ms)" within_deadline
check "UPDATE stalled: not served" status_is NXDOMAIN lost.example.org A
check "UPDATE stalled: not in the remote" sh -c "! git --git-dir='$BARE' show main:example.org | grep -q lost"
echo pass >"$MODE"
nsup "$T/u3.out" "update add updated2.example.org 60 A 192.0.2.32"
check "UPDATE after: NOERROR" test "$RC" = 0
check "UPDATE after: served and pushed" sh -c "dig @127.0.0.1 -p $PORT +short updated2.example.org | grep -q 192.0.2.32 && git --git-dir='$BARE' show main:example.org | grep -q updated2"
integ_stop "$PRIMARY_PID"

# 5. A host key known_hosts does not hold (another ed25519 key under the
# server's name) is refused at start-up, the fingerprint named.
ssh-keygen -q -t ed25519 -N '' -f "$T/otherkey"
echo "[127.0.0.1]:$SSH_PORT $(cat "$T/otherkey.pub")" >"$T/known_hosts.wrong"
"$PRIMARYD" -f --listen "127.0.0.1:$(integ_free_port)" \
    --remote "ssh://$USER_NAME@127.0.0.1:$SSH_PORT$BARE" \
    --ssh-key-file "$T/ed.keyfile" --ssh-known-hosts "$T/known_hosts.wrong" \
    --git-timeout "$TO" --workdir "$T/work-bad" >"$T/bad.log" 2>&1 &
BAD=$!
integ_track $BAD
for i in $(seq 1 50); do kill -0 $BAD 2>/dev/null || break; sleep 0.2; done
check "wrong host key: the daemon stops" sh -c "! kill -0 $BAD 2>/dev/null"
check "wrong host key: refused, the server's fingerprint named" grep -q "host key $FP is not trusted" "$T/bad.log"
integ_untrack $BAD

# 6. An RSA key against sshd taking RSA only as rsa-sha2, and known_hosts
# naming only the RSA host key (libssh asks for that type).
echo "[127.0.0.1]:$SSH_PORT $(cat "$T/hostkey-rsa.pub")" >"$T/known_hosts"
start_primary "$T/rsa.log" \
    --remote "ssh://$USER_NAME@127.0.0.1:$SSH_PORT$BARE#main" \
    --ssh-key-file "$T/rsa.keyfile" --ssh-known-hosts "$T/known_hosts" \
    --git-timeout "$TO" --workdir "$T/work-rsa" &&
    ok "clone over ssh (rsa key, sshd without ssh-rsa)" ||
    nok "clone over ssh (rsa key, sshd without ssh-rsa)"
check "rsa: sshd took the RSA key" grep -q "Accepted publickey for $USER_NAME .* RSA $RSA_FP" "$T/sshd.log"
check "rsa: the host key was the RSA one" grep -q "kex: host key algorithm: rsa-sha2-" "$T/sshd.log"
check "rsa: the zone is served" served updated2.example.org 192.0.2.32
nsup "$T/u4.out" "update add viarsa.example.org 60 A 192.0.2.33"
check "rsa: UPDATE answered NOERROR" test "$RC" = 0
check "rsa: UPDATE pushed" sh -c "git --git-dir='$BARE' show main:example.org | grep -q viarsa"
integ_stop "$PRIMARY_PID"

check "--git-timeout 0 refused" sh -c "! '$PRIMARYD' -f --remote 'file://$BARE' --git-timeout 0 --workdir '$T/work-0' >'$T/zero.log' 2>&1 && grep -q 'git-timeout' '$T/zero.log'"

integ_summary
