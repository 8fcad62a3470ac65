#!/bin/sh
# primary.sh: timbre-primaryd against real peers on loopback: a bare git
# repository (file:// and then over OpenSSH's sshd, started here with its
# own host key and an authorized_keys holding a key made by timbre
# keygen), dig for queries, AXFR and IXFR, nsupdate for UPDATE, timbre
# notify and dig +opcode=notify, an NSD secondary on 127.0.0.2 that is
# NOTIFYed and transfers with a TSIG key (AXFR first, then IXFR); wrong
# keys, unsigned requests, a broken zone pushed, the remote gone during
# an UPDATE.  A Knot DNS secondary on 127.0.0.3 does the same as NSD.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig nsupdate
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
TIMBRE=$top_builddir/tools/timbre

# ok, nok, check, q, status_is, gitc, bindkey, start_primary:
. "$top_srcdir/tests/integration/primary_lib.sh"

# The repository: a zone, a _keys file, a file that is not a zone.
prim_repo_init "$T/zone.git"
prim_keys hmac-sha512
"$TIMBRE" tsig-keygen other._update.example.org >"$T/other"
sed -n 2p "$T/other" >"$T/other.key"
bindkey "$T/other.key" "$T/other.bind"
UPKEY=$T/up.bind
XFRKEY=$T/xfr.bind
BADKEY=$T/other.bind
zone() { # zone SERIAL [EXTRA LINE]
	cat <<-EOF
	\$ORIGIN example.org.
	\$TTL 300
	@ SOA ns1 hostmaster $1 3600 900 604800 300
	@ NS ns1
	@ NS ns2
	; the name servers, kept as written by every UPDATE
	ns1 A 127.0.0.1
	ns2 A 127.0.0.2
	www A 192.0.2.10
	*.wild TXT "wildcard"
	${2:-}
	EOF
}
zone 1 >"$T/w/example.org"
echo "not a zone" >"$T/w/README"
gitc add -A
gitc commit -q -m initial
gitc push -q "$T/zone.git" main

# An NSD secondary on 127.0.0.2, before the primary, so it is NOTIFYed.
NSD_PORT=
if command -v nsd >/dev/null 2>&1 && ping -c1 -W1 127.0.0.2 >/dev/null 2>&1 ||
    command -v nsd >/dev/null 2>&1; then
	NSD_PORT=$(integ_free_port)
fi
KNOT_PORT=
command -v knotd >/dev/null 2>&1 && KNOT_PORT=$(integ_free_port)
PORT=$(integ_free_port)
start_primary "$T/primary.log" --remote "file://$T/zone.git#main" \
    --workdir "$T/work" ${NSD_PORT:+--also-notify 127.0.0.2:$NSD_PORT} \
    ${KNOT_PORT:+--also-notify 127.0.0.3:$KNOT_PORT}

# Queries.
check "SOA answered with AA" sh -c "dig @127.0.0.1 -p $PORT +norec example.org SOA | grep -q 'flags: qr aa'"
check "A record" sh -c "q() { dig @127.0.0.1 -p $PORT +short \"\$@\"; }; [ \"\$(q www.example.org A)\" = 192.0.2.10 ]"
check "NXDOMAIN" status_is NXDOMAIN nope.example.org A
check "NODATA with SOA" sh -c "dig @127.0.0.1 -p $PORT www.example.org MX | tr -d '\n' | grep -q 'status: NOERROR.*ANSWER: 0, AUTHORITY: 1'"
check "wildcard" sh -c "dig @127.0.0.1 -p $PORT +short a.b.wild.example.org TXT | grep -q wildcard"
check "case echoed" sh -c "dig @127.0.0.1 -p $PORT WwW.ExAmPlE.oRg A | grep -q '^WwW.ExAmPlE.oRg.'"
check "REFUSED outside the zones" status_is REFUSED example.com A
check "IPv4 over TCP" sh -c "dig @127.0.0.1 -p $PORT +tcp +short www.example.org | grep -q 192.0.2.10"
if command -v kdig >/dev/null 2>&1; then
	check "kdig EDNS" sh -c "kdig @127.0.0.1 -p $PORT +edns=0 example.org SOA | grep -q NOERROR"
else
	integ_skipcase "kdig EDNS" "kdig not installed (knot-dnsutils)"
fi
check "BADVERS" sh -c "dig @127.0.0.1 -p $PORT +edns=1 +noednsneg example.org SOA | grep -q BADVERS"
check "AXFR with the transfer key" sh -c "dig @127.0.0.1 -p $PORT example.org AXFR -k $XFRKEY | grep -c SOA | grep -qx 2"
# A refusal is asserted by its rcode (dig shows it with +comments), never by
# a record missing: a dead daemon sends no records either.
xfr_refused() { # xfr_refused RCODE [TSIG-ERROR] DIG-ARGS...: that rcode, no SOA
	local rc=$1 te=$2 out
	shift 2
	out=$(dig @127.0.0.1 -p "$PORT" +comments +time=2 +tries=1 "$@" 2>&1)
	printf '%s\n' "$out" | grep -q "status: $rc," &&
	    { [ -z "$te" ] || printf '%s\n' "$out" | grep -q "TSIG.* $te "; } &&
	    ! printf '%s\n' "$out" | grep -q 'IN	SOA'
}
check "AXFR unsigned refused" xfr_refused REFUSED "" example.org AXFR
check "AXFR with a wrong key refused" xfr_refused NOTAUTH BADKEY example.org AXFR -k "$BADKEY"

# UPDATE.
nsup() { # nsup KEY COMMANDS...
	local k=$1
	shift
	{ echo "server 127.0.0.1 $PORT"; echo "zone example.org"
	  for c in "$@"; do echo "$c"; done; echo send; } |
	    nsupdate -t 5 -k "$k" >"$T/nsupdate.out" 2>&1
}
check "nsupdate add" nsup "$UPKEY" "update add new.example.org 60 A 192.0.2.55"
check "added record served" sh -c "dig @127.0.0.1 -p $PORT +short new.example.org | grep -q 192.0.2.55"
check "serial bumped to 2" sh -c "dig @127.0.0.1 -p $PORT +short example.org SOA | grep -q ' 2 3600 '"
check "git log shows the UPDATE" sh -c "git --git-dir=$T/zone.git log -1 --format=%an%n%s main | grep -q 'UPDATE by up._update.example.org'"
check "README left alone" sh -c "git --git-dir=$T/zone.git show main:README | grep -q 'not a zone'"
check "nsupdate delete" nsup "$UPKEY" "update delete www.example.org A"
check "deleted record gone" status_is NXDOMAIN www.example.org A
check "deleted record has no answer" sh -c "dig @127.0.0.1 -p $PORT www.example.org A | tr -d '\n' | grep -q 'status: NXDOMAIN.*ANSWER: 0,'"
git --git-dir="$T/zone.git" show main:example.org >"$T/after-updates"
check "two UPDATEs kept the operator's comment" grep -q "^; the name servers, kept as written" "$T/after-updates"
check "and the records as written (relative names)" grep -q "^ns1 A 127.0.0.1$" "$T/after-updates"
check "and took the deleted record's line out" sh -c "grep -q '^@ SOA ns1 hostmaster 3 ' $T/after-updates && ! grep -q '^www' $T/after-updates"
check "and appended the added record" grep -q "^new.example.org.*192.0.2.55" "$T/after-updates"
# IXFR from the history the two UPDATEs made (serials 1, 2, 3).
# serials FILE: the SOA serials of a dig transfer, in order, on one line.
serials() { awk '$4 == "SOA" { printf "%s ", $7 }' "$1"; }
dig @127.0.0.1 -p "$PORT" example.org IXFR=1 -k "$XFRKEY" >"$T/ixfr1" 2>&1 || true
check "IXFR from 1: SOA 3, SOA 1, ..., SOA 3" test "$(serials "$T/ixfr1")" = "3 1 2 2 3 3 "
check "IXFR from 1: the deleted record" grep -q "^www.example.org.*A.*192.0.2.10" "$T/ixfr1"
check "IXFR from 1: the added record" grep -q "^new.example.org.*A.*192.0.2.55" "$T/ixfr1"
check "IXFR from 1: not the unchanged ones" sh -c "grep -q '^new.example.org' $T/ixfr1 && ! grep -q '^ns1.example.org' $T/ixfr1"
dig @127.0.0.1 -p "$PORT" +notcp example.org IXFR=2 -k "$XFRKEY" >"$T/ixfr2" 2>&1 || true
check "IXFR from 2 over UDP: incremental" sh -c "[ '$(serials "$T/ixfr2")' = '3 2 3 3 ' ] && grep -q '^www.example.org.*192.0.2.10' $T/ixfr2"
dig @127.0.0.1 -p "$PORT" example.org IXFR=3 -k "$XFRKEY" >"$T/ixfr3" 2>&1 || true
check "IXFR with the current serial: one SOA" test "$(serials "$T/ixfr3")" = "3 "
dig @127.0.0.1 -p "$PORT" example.org IXFR=0 -k "$XFRKEY" >"$T/ixfr0" 2>&1 || true
check "IXFR from an unknown serial: the full zone" sh -c "[ '$(serials "$T/ixfr0")' = '3 3 ' ] && grep -q '^ns1.example.org.*127.0.0.1' $T/ixfr0"
check "IXFR unsigned refused" xfr_refused REFUSED "" example.org IXFR=1
# nsup_fails RCODE KEY-OPTION...: nsupdate fails, and the answer it printed
# (-d) has that rcode: only an answer can give it.
nsup_fails() {
	local want=$1 rc=0
	shift
	{ echo "server 127.0.0.1 $PORT"; echo "zone example.org"
	  echo "update add bad.example.org 60 A 192.0.2.66"; echo send; } |
	    nsupdate -d -t 5 "$@" >"$T/nsupdate.out" 2>&1 || rc=$?
	[ "$rc" != 0 ] && grep -q "opcode: UPDATE, status: $want," "$T/nsupdate.out"
}
check "nsupdate with a wrong key fails: NOTAUTH (BADKEY)" nsup_fails NOTAUTH -k "$BADKEY"
check "nsupdate unsigned fails: NOTAUTH" nsup_fails NOTAUTH
check "nothing committed by them" status_is NXDOMAIN bad.example.org A

# git push + NOTIFY.
gitc pull -q "$T/zone.git" main
zone 10 "pushed A 192.0.2.77" >"$T/w/example.org"
gitc commit -q -a -m "push a record"
gitc push -q "$T/zone.git" main
check "unsigned NOTIFY: NOTAUTH" status_is NOTAUTH +opcode=notify example.org SOA
check "unsigned NOTIFY fetched nothing" status_is NXDOMAIN pushed.example.org A
check "timbre notify" sh -c "'$TIMBRE' notify --server 127.0.0.1:$PORT --key-file $T/up.key example.org | grep -qx NOERROR"
check "pushed record served" sh -c "dig @127.0.0.1 -p $PORT +short pushed.example.org | grep -q 192.0.2.77"
zone 11 "pushed A 192.0.2.78" >"$T/w/example.org"
gitc commit -q -a -m "again"
gitc push -q "$T/zone.git" main
check "dig +opcode=notify -k" status_is NOERROR +opcode=notify example.org SOA -k "$XFRKEY"
check "second push served" sh -c "dig @127.0.0.1 -p $PORT +short pushed.example.org | grep -q 192.0.2.78"

# A broken zone: the previous version stays, the log names file:line.
zone 12 "www CNAME elsewhere" >"$T/w/example.org"
echo "www A 192.0.2.1" >>"$T/w/example.org"
gitc commit -q -a -m "broken"
gitc push -q "$T/zone.git" main
"$TIMBRE" notify --server "127.0.0.1:$PORT" --key-file "$T/up.key" example.org >/dev/null || true
check "broken zone: serial 11 still served" sh -c "dig @127.0.0.1 -p $PORT +short example.org SOA | grep -q ' 11 3600 '"
check "broken zone: logged with file:line" grep -q "zone example.org: not reloaded, serial 11 kept: example.org:[0-9]*: www.example.org. has a CNAME" "$T/primary.log"
zone 13 "pushed A 192.0.2.78" >"$T/w/example.org"
gitc commit -q -a -m "fixed"
gitc push -q "$T/zone.git" main
"$TIMBRE" notify --server "127.0.0.1:$PORT" --key-file "$T/up.key" example.org >/dev/null || true

# The remote goes away during an UPDATE: SERVFAIL, nothing changes.
mv "$T/zone.git" "$T/zone.off"
check "UPDATE with the remote gone fails: SERVFAIL" sh -c "! { echo 'server 127.0.0.1 $PORT'; echo 'zone example.org'; echo 'update add lost.example.org 60 A 192.0.2.99'; echo send; } | nsupdate -t 5 -k $UPKEY >$T/servfail.out 2>&1 && grep -q SERVFAIL $T/servfail.out"
check "the zone is unchanged" status_is NXDOMAIN lost.example.org A
mv "$T/zone.off" "$T/zone.git"
check "after the remote is back, UPDATE works" nsup "$UPKEY" "update add back.example.org 60 A 192.0.2.98"
check "and git has it, not the lost one" sh -c "git --git-dir=$T/zone.git show main:example.org | grep -q back.example.org && ! git --git-dir=$T/zone.git show main:example.org | grep -q lost.example.org"

# The NSD secondary: NOTIFYed by the primary, transfers with TSIG.
if [ -n "$NSD_PORT" ] && command -v nsd >/dev/null 2>&1; then
	mkdir -p "$T/nsd"
	SECRET=$(sed -n 2p "$T/xfr" | cut -d: -f3)
	cat >"$T/nsd/nsd.conf" <<-EOF
	server:
	    ip-address: 127.0.0.2@$NSD_PORT
	    port: $NSD_PORT
	    do-ip6: no
	    reuseport: no
	    server-count: 1
	    username: ""
	    chroot: ""
	    zonesdir: "$T/nsd"
	    pidfile: "$T/nsd/nsd.pid"
	    xfrdfile: "$T/nsd/xfrd.state"
	    xfrdir: "$T/nsd"
	    zonelistfile: "$T/nsd/zone.list"
	    database: ""
	    logfile: "$T/nsd/nsd.log"
	    verbosity: 2
	remote-control:
	    control-enable: no
	key:
	    name: "xfr._transfer.example.org"
	    algorithm: hmac-sha512
	    secret: "$SECRET"
	zone:
	    name: "example.org"
	    zonefile: "example.org.zone"
	    request-xfr: 127.0.0.1@$PORT xfr._transfer.example.org
	    allow-notify: 127.0.0.1 NOKEY
	EOF
	integ_spawn "$T/nsd/nsd.out" nsd -d -c "$T/nsd/nsd.conf"
	ns_serial() { dig @127.0.0.2 -p "$NSD_PORT" +short +time=1 +tries=1 example.org SOA | awk '{ print $3 }'; }
	want=$(dig @127.0.0.1 -p "$PORT" +short example.org SOA | awk '{ print $3 }')
	for i in $(seq 1 50); do [ "$(ns_serial)" = "$want" ] && break; sleep 0.2; done
	check "NSD transferred the zone (serial $want)" test "$(ns_serial)" = "$want"
	nsup "$UPKEY" "update add tonsd.example.org 60 A 192.0.2.44" || true
	want=$((want + 1))
	for i in $(seq 1 50); do [ "$(ns_serial)" = "$want" ] && break; sleep 0.2; done
	check "NSD NOTIFYed after an UPDATE (serial $want)" test "$(ns_serial)" = "$want"
	check "NSD serves the update" sh -c "dig @127.0.0.2 -p $NSD_PORT +short tonsd.example.org | grep -q 192.0.2.44"
	check "NSD took the update by IXFR" grep -q "primary ixfr from=[0-9.]*:[0-9]* zone=example.org serial=$((want - 1))->$want incremental" "$T/primary.log"
	grep -i "ixfr" "$T/nsd/nsd.log" | sed 's/^/# nsd: /' | tail -n 3
else
	integ_skipcase "NSD secondary" "nsd not installed" 4
fi

# A Knot DNS secondary on 127.0.0.3: the same, and Knot checks what an
# IXFR gives it against what it had.
if [ -n "$KNOT_PORT" ]; then
	mkdir -p "$T/knot"
	SECRET=$(sed -n 2p "$T/xfr" | cut -d: -f3)
	cat >"$T/knot/knot.conf" <<-EOF
	server:
	    listen: 127.0.0.3@$KNOT_PORT
	    rundir: "$T/knot"
	    background-workers: 1
	control:
	    listen: "$T/knot/knot.sock"
	log:
	  - target: "$T/knot/knot.log"
	    any: info
	database:
	    storage: "$T/knot"
	key:
	  - id: xfr._transfer.example.org
	    algorithm: hmac-sha512
	    secret: $SECRET
	remote:
	  - id: primary
	    address: 127.0.0.1@$PORT
	    key: xfr._transfer.example.org
	acl:
	  - id: notify
	    address: 127.0.0.1
	    action: notify
	zone:
	  - domain: example.org
	    storage: "$T/knot"
	    file: "example.org.zone"
	    master: primary
	    acl: notify
	EOF
	integ_spawn "$T/knot/knotd.out" knotd -c "$T/knot/knot.conf"
	kn_serial() { dig @127.0.0.3 -p "$KNOT_PORT" +short +time=1 +tries=1 example.org SOA | awk '{ print $3 }'; }
	want=$(dig @127.0.0.1 -p "$PORT" +short example.org SOA | awk '{ print $3 }')
	for i in $(seq 1 50); do [ "$(kn_serial)" = "$want" ] && break; sleep 0.2; done
	check "Knot transferred the zone (serial $want)" test "$(kn_serial)" = "$want"
	nsup "$UPKEY" "update add toknot.example.org 60 A 192.0.2.45" || true
	want=$((want + 1))
	for i in $(seq 1 50); do [ "$(kn_serial)" = "$want" ] && break; sleep 0.2; done
	check "Knot NOTIFYed after an UPDATE (serial $want)" test "$(kn_serial)" = "$want"
	check "Knot serves the update" sh -c "dig @127.0.0.3 -p $KNOT_PORT +short toknot.example.org | grep -q 192.0.2.45"
	# Knot logs "IXFR, incoming, ... finished" only for an IXFR it
	# applied (one that did not fit what it had is retried as AXFR).
	check "Knot took the update by IXFR and applied it" grep -q "IXFR, incoming, remote 127.0.0.1@$PORT, finished" "$T/knot/knot.log"
	grep -i "ixfr\|error" "$T/knot/knot.log" | sed 's/^/# knot: /' | tail -n 3
else
	integ_skipcase "Knot DNS secondary" "knotd not installed" 4
fi
integ_stop "$PRIMARY_PID"

# Over SSH: OpenSSH's sshd on 127.0.0.1 with its own host key.
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ -x "$SSHD" ] && command -v ssh-keygen >/dev/null 2>&1; then
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	FP=$(ssh-keygen -lf "$T/hostkey.pub" | awk '{ print $2 }')
	"$TIMBRE" keygen --keytype ed25519 >"$T/ssh.key"
	sed -n 2p "$T/ssh.key" >"$T/authorized_keys"
	"$TIMBRE" keygen --keytype rsa --bits 2048 >"$T/ssh-rsa.key"
	sed -n 2p "$T/ssh-rsa.key" >>"$T/authorized_keys"
	chmod 600 "$T/authorized_keys"
	SSH_PORT=$(integ_free_port)
	mkdir -p /run/sshd 2>/dev/null || true
	cat >"$T/sshd_config" <<-EOF
	Port $SSH_PORT
	ListenAddress 127.0.0.1
	HostKey $T/hostkey
	AuthorizedKeysFile $T/authorized_keys
	PidFile $T/sshd.pid
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	StrictModes no
	UsePAM no
	# libssh2 before 1.11 signs with ssh-rsa (SHA-1) only.
	PubkeyAcceptedAlgorithms +ssh-rsa
	EOF
	integ_spawn "$T/sshd.log" "$SSHD" -D -e -f "$T/sshd_config"
	SSHD_PID=$INTEG_LAST_PID
	sleep 0.5
	USER_NAME=$(id -un)
	head -n1 "$T/ssh.key" >"$T/ed.keyfile"
	start_primary "$T/ssh.log" \
	    --remote "ssh://$USER_NAME@127.0.0.1:$SSH_PORT$T/zone.git#main" \
	    --ssh-key-file "$T/ed.keyfile" --ssh-authenticator "$FP" \
	    --workdir "$T/work-ssh" &&
	    ok "clone over ssh (ed25519 key from timbre keygen)" ||
	    nok "clone over ssh (ed25519 key from timbre keygen)"
	check "ssh: zone served" sh -c "dig @127.0.0.1 -p $PORT +short back.example.org | grep -q 192.0.2.98"
	check "ssh: nsupdate add pushes over ssh" nsup "$UPKEY" "update add viassh.example.org 60 A 192.0.2.33"
	check "ssh: the commit is in the bare repo" sh -c "git --git-dir=$T/zone.git log -1 --format=%s main | grep -q viassh"
	# A push that hangs (the server's pre-receive hook waits for a
	# file): queries are answered meanwhile, a second UPDATE waits its
	# turn, and both land, neither losing the other's record.
	cat >"$T/zone.git/hooks/pre-receive" <<-EOF
	#!/bin/sh
	touch "$T/push-started"
	i=0
	while [ ! -e "$T/push-release" ] && [ \$i -lt 300 ]; do
		sleep 0.1; i=\$((i + 1))
	done
	EOF
	chmod +x "$T/zone.git/hooks/pre-receive"
	nsup_bg() { # nsup_bg OUT NSUPDATE-OPTION COMMAND
		{ echo "server 127.0.0.1 $PORT"; echo "zone example.org"
		  echo "$3"; echo send; } |
		    nsupdate $2 -t 30 -k "$UPKEY" >"$1" 2>&1
	}
	nsup_bg "$T/slow1.out" -v "update add slow1.example.org 60 A 192.0.2.41" &
	SLOW1=$!
	for i in $(seq 1 100); do [ -e "$T/push-started" ] && break; sleep 0.1; done
	check "slow push: the push has started" test -e "$T/push-started"
	check "slow push: queries answered meanwhile" status_is NOERROR example.org SOA
	check "slow push: UDP and TCP alike" status_is NOERROR +tcp example.org SOA
	check "slow push: not served before the push is done" status_is NXDOMAIN slow1.example.org A
	nsup_bg "$T/slow2.out" "-u 30 -r 0" "update add slow2.example.org 60 A 192.0.2.42" &
	SLOW2=$!
	sleep 0.5
	touch "$T/push-release"
	wait "$SLOW1"; R1=$?
	wait "$SLOW2"; R2=$?
	rm -f "$T/zone.git/hooks/pre-receive"
	check "slow push: first UPDATE answered NOERROR" test "$R1" = 0
	check "slow push: the UPDATE queued behind it too" test "$R2" = 0
	check "slow push: both records served" sh -c "dig @127.0.0.1 -p $PORT +short slow1.example.org | grep -q 192.0.2.41 && dig @127.0.0.1 -p $PORT +short slow2.example.org | grep -q 192.0.2.42"
	check "slow push: both in git" sh -c "git --git-dir=$T/zone.git show main:example.org | grep -q slow1 && git --git-dir=$T/zone.git show main:example.org | grep -q slow2"
	integ_stop "$SSHD_PID"
	check "ssh down: UPDATE fails with SERVFAIL" sh -c "! { echo 'server 127.0.0.1 $PORT'; echo 'zone example.org'; echo 'update add down.example.org 60 A 192.0.2.9'; echo send; } | nsupdate -t 10 -k $UPKEY >$T/down.out 2>&1 && grep -q SERVFAIL $T/down.out"
	check "ssh down: zone unchanged" status_is NXDOMAIN down.example.org A
	integ_stop "$PRIMARY_PID"
	integ_spawn "$T/sshd.log" "$SSHD" -D -e -f "$T/sshd_config"
	sleep 0.5
	head -n1 "$T/ssh-rsa.key" >"$T/rsa.keyfile"
	"$PRIMARYD" -f --listen "127.0.0.1:$(integ_free_port)" \
	    --remote "ssh://$USER_NAME@127.0.0.1:$SSH_PORT$T/zone.git" \
	    --ssh-key-file "$T/rsa.keyfile" --ssh-known-hosts /dev/null \
	    --workdir "$T/work-bad" >"$T/bad.log" 2>&1 &
	BAD=$!
	integ_track $BAD
	for i in $(seq 1 50); do kill -0 $BAD 2>/dev/null || break; sleep 0.2; done
	check "unknown host key refused, fingerprint named" grep -q "host key SHA256:.* is not trusted" "$T/bad.log"
	echo "[127.0.0.1]:$SSH_PORT $(cat "$T/hostkey.pub")" >"$T/known_hosts"
	start_primary "$T/ssh-rsa.log" \
	    --remote "ssh://$USER_NAME@127.0.0.1:$SSH_PORT$T/zone.git" \
	    --ssh-key-file "$T/rsa.keyfile" --ssh-known-hosts "$T/known_hosts" \
	    --workdir "$T/work-rsa" &&
	    ok "clone over ssh (rsa key, known_hosts)" ||
	    nok "clone over ssh (rsa key, known_hosts)"
	# The same entry hashed by OpenSSH (HMAC-SHA1 of the host name).
	integ_stop "$PRIMARY_PID"
	cp "$T/known_hosts" "$T/known_hosts.hashed"
	ssh-keygen -q -H -f "$T/known_hosts.hashed" >/dev/null 2>&1
	check "ssh-keygen -H hashed the entry" grep -q '^|1|' "$T/known_hosts.hashed"
	start_primary "$T/ssh-hashed.log" \
	    --remote "ssh://$USER_NAME@127.0.0.1:$SSH_PORT$T/zone.git" \
	    --ssh-key-file "$T/rsa.keyfile" \
	    --ssh-known-hosts "$T/known_hosts.hashed" \
	    --workdir "$T/work-hashed" &&
	    ok "clone over ssh (hashed known_hosts)" ||
	    nok "clone over ssh (hashed known_hosts)"
else
	integ_skipcase "the git remote over ssh" "sshd not installed (apt-get install openssh-server)" 18
fi

integ_summary
