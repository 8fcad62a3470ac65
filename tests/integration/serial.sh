#!/bin/sh
# serial.sh: issue 21, a forgotten serial must not strand the
# secondaries.  timbre-primaryd on a file:// repository, an NSD secondary
# on 127.0.0.2 and a Knot DNS one on 127.0.0.3, both NOTIFYed and
# transferring with TSIG (set-up of primary.sh, tests/integration/
# primary_lib.sh).  Pushes that change a zone without a newer serial
# (forgotten, gone back, at 4294967295) reach both secondaries with the
# serial the primary gave them, and the fix-up commit is in the remote;
# IXFR from the previous serial gives exactly the change; comment-only
# pushes change nothing; two pushes in a row, a push racing the fix-up,
# a fix-up the remote refuses; --no-serial-fix, --serial-policy.
set -eu
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/primary_lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig nsd knotd
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
TIMBRE=$top_builddir/tools/timbre
BARE=$T/zone.git

# The repository: example.org (serial 5) and wrap.example (serial
# 4294967295), an update key and a transfer key for each.
git init -q --bare "$BARE"
git -C "$BARE" symbolic-ref HEAD refs/heads/main
git init -q "$T/w"
gitc checkout -q -b main
for z in example.org wrap.example; do
	"$TIMBRE" tsig-keygen "up._update.$z" >"$T/up.$z"
	"$TIMBRE" tsig-keygen --algorithm hmac-sha512 "xfr._transfer.$z" \
	    >"$T/xfr.$z"
	head -n1 "$T/up.$z" >>"$T/w/_keys"
	head -n1 "$T/xfr.$z" >>"$T/w/_keys"
	sed -n 2p "$T/up.$z" >"$T/up.$z.key"
	sed -n 2p "$T/xfr.$z" >"$T/xfr.$z.key"
	bindkey "$T/xfr.$z.key" "$T/xfr.$z.bind"
	bindkey "$T/up.$z.key" "$T/up.$z.bind"
done
zone() { # zone NAME SERIAL WWW-ADDRESS [EXTRA LINE]
	cat <<-EOF
	; $1, kept by hand
	\$ORIGIN $1.
	\$TTL 300
	@ SOA ns1 hostmaster $2 3600 900 604800 300
	@ NS ns1
	ns1 A 127.0.0.1
	www A $3 ; the web server
	${4:-}
	EOF
}
zone example.org 5 192.0.2.10 >"$T/w/example.org"
zone wrap.example 4294967295 192.0.2.10 >"$T/w/wrap.example"
gitc add -A
gitc commit -q -m initial
gitc push -q "$BARE" main

# push MESSAGE: commit the working clone and push it, as an operator.
push() {
	gitc commit -q -a -m "$1"
	gitc push -q "$BARE" main
}
pull() { gitc pull -q --ff-only "$BARE" main; }
# notify ZONE: a NOTIFY signed with the zone's update key is answered
# NOERROR, which timbre-primaryd sends once the fetch, the reload and the
# fix-up are done: over SSH that can take longer than timbre notify waits
# (three tries of 2 s), so dig waits for it.
notify() {
	dig @127.0.0.1 -p "$PORT" +norec +time=30 +tries=1 +opcode=notify \
	    "$1" SOA -k "$T/up.$1.bind" | grep -q "opcode: NOTIFY, status: NOERROR,"
}
serial_at() { # serial_at ADDR PORT ZONE
	dig @"$1" -p "$2" +short +norec +time=1 +tries=1 "$3" SOA |
	    awk '{ print $3 }'
}
# has ADDR PORT ZONE SERIAL WWW: the server answers that serial and www.
has() {
	[ "$(serial_at "$1" "$2" "$3")" = "$4" ] &&
	    [ "$(dig @"$1" -p "$2" +short +norec +time=1 +tries=1 \
	    "www.$3" A)" = "$5" ]
}
# wait_has ADDR PORT ZONE SERIAL WWW: up to 15 s for it.
wait_has() {
	local i
	for i in $(seq 1 75); do
		has "$@" && return 0
		sleep 0.2
	done
	return 1
}
tip() { git --git-dir="$BARE" log -1 --format="$1" main; }
# ixfr ZONE SERIAL: the SOA serials and A addresses of dig's IXFR answer.
ixfr() {
	dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 "$1" IXFR="$2" \
	    -k "$T/xfr.$1.bind" >"$T/ixfr.out" 2>&1
	awk '$4 == "SOA" { printf "%s ", $7 } $4 == "A" { printf "%s ", $5 }' \
	    "$T/ixfr.out"
}
# both ZONE SERIAL WWW DESCRIPTION: NSD and Knot reach that version.
both() {
	check "NSD: $4 (serial $2, www $3)" wait_has 127.0.0.2 "$NSD_PORT" \
	    "$1" "$2" "$3"
	check "Knot: $4 (serial $2, www $3)" wait_has 127.0.0.3 "$KNOT_PORT" \
	    "$1" "$2" "$3"
}

# Over SSH when sshd is there: the remote's hooks then run (libgit2's
# file:// transport runs none), which the race and the refusal need.
if prim_sshd; then
	REMOTE="--remote ssh://$(id -un)@127.0.0.1:$SSH_PORT$BARE#main --ssh-key-file $T/ed.keyfile --ssh-authenticator $FP"
else
	REMOTE="--remote file://$BARE#main"
fi
NSD_PORT=$(integ_free_port)
KNOT_PORT=$(integ_free_port)
# shellcheck disable=SC2086
start_primary "$T/primary.log" $REMOTE \
    --workdir "$T/work" --also-notify "127.0.0.2:$NSD_PORT" \
    --also-notify "127.0.0.3:$KNOT_PORT"
secret() { sed -n 2p "$T/xfr.$1" | cut -d: -f3; }
sec_zones="example.org:xfr._transfer.example.org:hmac-sha512:$(secret example.org) wrap.example:xfr._transfer.wrap.example:hmac-sha512:$(secret wrap.example)"
# shellcheck disable=SC2086
prim_nsd_secondary "$T/nsd" 127.0.0.2 "$NSD_PORT" $sec_zones
# shellcheck disable=SC2086
prim_knot_secondary "$T/knot" 127.0.0.3 "$KNOT_PORT" $sec_zones
both example.org 5 192.0.2.10 "first transfer"
both wrap.example 4294967295 192.0.2.10 "first transfer"

# 1. The serial forgotten: www moves, the serial stays at 5.
zone example.org 5 192.0.2.20 >"$T/w/example.org"
push "www moved"
OPERATOR=$(gitc rev-parse HEAD)
check "forgotten serial: timbre notify answered NOERROR" sh -c "'$TIMBRE' notify --server 127.0.0.1:$PORT --key-file '$T/up.example.org.key' example.org | grep -qx NOERROR"
check "forgotten serial: served as serial 6 with the new address" \
    has 127.0.0.1 "$PORT" example.org 6 192.0.2.20
both example.org 6 192.0.2.20 "forgotten serial"
check "fix-up commit in the remote, by timbre-primaryd" \
    test "$(tip '%an|%s')" = "timbre-primaryd|Serial fix-up: example.org 5 -> 6"
check "fix-up commit says why" sh -c "git --git-dir='$BARE' log -1 --format=%b main | grep -q '^zone example.org: changed but serial 5 not incremented: served as serial 6$'"
check "fix-up commit is the child of the operator's" \
    test "$(tip %P)" = "$OPERATOR"
git --git-dir="$BARE" diff -U0 main~1 main -- example.org >"$T/fix.diff"
check "fix-up commit changes the serial's line alone" \
    test "$(grep -c '^[-+][^-+]' "$T/fix.diff")" = 2
check "fix-up commit keeps the line as written" \
    grep -qx '+@ SOA ns1 hostmaster 6 3600 900 604800 300' "$T/fix.diff"
check "the log says what was done" grep -q "zone example.org: changed but serial 5 not incremented: served as serial 6, commit=[0-9a-f]" "$T/primary.log"
check "IXFR=5: exactly the change (SOA 6, SOA 5, -www, SOA 6, +www, SOA 6)" \
    test "$(ixfr example.org 5)" = "6 5 192.0.2.10 6 192.0.2.20 6 "
check "Knot took serial 6 by IXFR and applied it" grep -q "\[example.org.\] IXFR, incoming, remote 127.0.0.1@$PORT, finished" "$T/knot/knot.log"

# 2. The serial gone back: www moves, the serial goes to 3.
pull
zone example.org 3 192.0.2.30 >"$T/w/example.org"
push "www moved, serial 3"
check "serial back: notify answered NOERROR" notify example.org
check "serial back: served as serial 7" \
    has 127.0.0.1 "$PORT" example.org 7 192.0.2.30
both example.org 7 192.0.2.30 "serial gone back"
check "serial back: fix-up commit in the remote" \
    test "$(tip '%an|%s')" = "timbre-primaryd|Serial fix-up: example.org 3 -> 7"
check "serial back: logged" grep -q "zone example.org: changed but serial went back from 6 to 3: served as serial 7" "$T/primary.log"
check "serial back: IXFR=6 gives the change" \
    test "$(ixfr example.org 6)" = "7 6 192.0.2.20 7 192.0.2.30 7 "

# 3. Comments and layout only: no new serial, no commit.
pull
sed -i 's/; the web server/; the web server, moved twice/' "$T/w/example.org"
echo "; a comment at the end" >>"$T/w/example.org"
push "comments"
OPERATOR=$(gitc rev-parse HEAD)
check "comments only: notify answered NOERROR" notify example.org
check "comments only: serial 7 still served" \
    has 127.0.0.1 "$PORT" example.org 7 192.0.2.30
check "comments only: the tip is the operator's commit" \
    test "$(git --git-dir="$BARE" rev-parse main)" = "$OPERATOR"

# 4. Two pushes in quick succession, each notified: one fix-up each, in
# order.
zone example.org 7 192.0.2.40 >"$T/w/example.org"
push "first of two"
check "two pushes: first notify NOERROR" notify example.org
pull
zone example.org 8 192.0.2.50 >"$T/w/example.org"	# git's serial, kept
push "second of two"
check "two pushes: second notify NOERROR" notify example.org
git --git-dir="$BARE" log -4 --format='%an|%s' main >"$T/two.log"
printf '%s\n' "timbre-primaryd|Serial fix-up: example.org 8 -> 9" \
    "test|second of two" "timbre-primaryd|Serial fix-up: example.org 7 -> 8" \
    "test|first of two" >"$T/two.want"
check "two pushes: two fix-ups, in order" cmp "$T/two.log" "$T/two.want"
check "two pushes: served as serial 9" \
    has 127.0.0.1 "$PORT" example.org 9 192.0.2.50
both example.org 9 192.0.2.50 "two pushes"
check "two pushes: IXFR=7 gives both changes" \
    test "$(ixfr example.org 7)" = "9 7 192.0.2.30 8 192.0.2.40 8 192.0.2.40 9 192.0.2.50 9 "

if [ -n "${SSHD_PID:-}" ]; then
# 5. A push races the fix-up: the remote's hook holds timbre-primaryd's
# push until the operator's next push is in; the fix-up is refused,
# fetched again and made once, on top of both pushes.
cat >"$BARE/hooks/pre-receive" <<EOF
#!/bin/sh
while read -r old new ref; do
	[ "\$(git log -1 --format=%an "\$new")" = timbre-primaryd ] || continue
	touch "$T/fix-held"
	i=0
	while [ ! -e "$T/fix-release" ] && [ \$i -lt 300 ]; do
		sleep 0.1; i=\$((i + 1))
	done
done
exit 0
EOF
chmod +x "$BARE/hooks/pre-receive"
pull
zone example.org 9 192.0.2.60 >"$T/w/example.org"
push "raced, first"
notify example.org >"$T/race.out" 2>&1 &
RACE=$!
for i in $(seq 1 100); do [ -e "$T/fix-held" ] && break; sleep 0.1; done
check "race: the fix-up push is held" test -e "$T/fix-held"
zone example.org 9 192.0.2.70 >"$T/w/example.org"
push "raced, second"
touch "$T/fix-release"
R=0
wait "$RACE" || R=$?
check "race: notify answered NOERROR" test "$R" = 0
git --git-dir="$BARE" log -3 --format='%an|%s' main >"$T/race.log"
printf '%s\n' "timbre-primaryd|Serial fix-up: example.org 9 -> 10" \
    "test|raced, second" "test|raced, first" >"$T/race.want"
check "race: one fix-up, on top of both pushes" cmp "$T/race.log" "$T/race.want"
check "race: the refused push was logged and made again" grep -q "primary fix-up push 1 of 3 refused, fetching to make it again" "$T/primary.log"
check "race: served as serial 10 with the second push's address" \
    has 127.0.0.1 "$PORT" example.org 10 192.0.2.70
both example.org 10 192.0.2.70 "push racing the fix-up"
check "race: IXFR=9 gives 9 to 10 (the first push never served)" \
    test "$(ixfr example.org 9)" = "10 9 192.0.2.50 10 192.0.2.70 10 "

# 6. The remote refuses every fix-up: served with the new serial all the
# same, and the log says it is not committed.
cat >"$BARE/hooks/pre-receive" <<'EOF'
#!/bin/sh
while read -r old new ref; do
	if [ "$(git log -1 --format=%an "$new")" = timbre-primaryd ]; then
		echo "fix-ups refused here" >&2
		exit 1
	fi
done
exit 0
EOF
pull
zone example.org 10 192.0.2.80 >"$T/w/example.org"
push "refused fix-up"
OPERATOR=$(gitc rev-parse HEAD)
check "refused: notify answered NOERROR" notify example.org
check "refused: served as serial 11 all the same" \
    has 127.0.0.1 "$PORT" example.org 11 192.0.2.80
check "refused: the log says it is not committed" grep -q "zone example.org: changed but serial 10 not incremented: served as serial 11, not committed after 3 pushes" "$T/primary.log"
check "refused: the tip is the operator's commit" \
    test "$(git --git-dir="$BARE" rev-parse main)" = "$OPERATOR"
both example.org 11 192.0.2.80 "fix-up not committed"
rm -f "$BARE/hooks/pre-receive"
# The next push, on git's serial 10: 12.  Serial 11 was never in git,
# so IXFR cannot find it: the full zone, which the secondaries take.
zone example.org 10 192.0.2.90 >"$T/w/example.org"
push "after the refusal"
check "after refusal: notify answered NOERROR" notify example.org
check "after refusal: fix-up committed" \
    test "$(tip '%an|%s')" = "timbre-primaryd|Serial fix-up: example.org 10 -> 12"
both example.org 12 192.0.2.90 "after the refusal"
check "after refusal: IXFR=11 gives the full zone" \
    test "$(ixfr example.org 11)" = "12 127.0.0.1 192.0.2.90 12 "
else
	integ_skipcase "the race and the refusal (hooks)" "sshd not installed (apt-get install openssh-server)" 19
fi

# 7. The wrap: 4294967295 + 1 is 0 (RFC 1982), which both secondaries
# take as newer.
pull
zone wrap.example 4294967295 192.0.2.20 >"$T/w/wrap.example"
push "wrap"
check "wrap: notify answered NOERROR" notify wrap.example
check "wrap: served as serial 0" \
    has 127.0.0.1 "$PORT" wrap.example 0 192.0.2.20
check "wrap: fix-up commit in the remote" \
    test "$(tip '%an|%s')" = "timbre-primaryd|Serial fix-up: wrap.example 4294967295 -> 0"
both wrap.example 0 192.0.2.20 "serial wrapped to 0"
check "wrap: IXFR=4294967295 gives the change" \
    test "$(ixfr wrap.example 4294967295)" = "0 4294967295 192.0.2.10 0 192.0.2.20 0 "
integ_stop "$PRIMARY_PID"

# 8. --no-serial-fix: today's behaviour, served as pushed and logged,
# nothing committed.
# shellcheck disable=SC2086
start_primary "$T/nofix.log" $REMOTE \
    --workdir "$T/work-nofix" --no-serial-fix
pull
zone example.org 12 192.0.2.99 >"$T/w/example.org"
push "no fix wanted"
OPERATOR=$(gitc rev-parse HEAD)
check "--no-serial-fix: notify answered NOERROR" notify example.org
check "--no-serial-fix: served as pushed, serial 12" \
    has 127.0.0.1 "$PORT" example.org 12 192.0.2.99
check "--no-serial-fix: logged" grep -q "zone example.org: changed but serial 12 not incremented$" "$T/nofix.log"
check "--no-serial-fix: the tip is the operator's commit" \
    test "$(git --git-dir="$BARE" rev-parse main)" = "$OPERATOR"
integ_stop "$PRIMARY_PID"

# 9. --serial-policy unixtime: the time, since it is newer than 12.
# shellcheck disable=SC2086
start_primary "$T/unixtime.log" $REMOTE \
    --workdir "$T/work-unixtime" --serial-policy unixtime
zone example.org 12 192.0.2.98 >"$T/w/example.org"
push "unixtime"
BEFORE=$(date +%s)
check "unixtime: notify answered NOERROR" notify example.org
AFTER=$(date +%s)
S=$(serial_at 127.0.0.1 "$PORT" example.org)
check "unixtime: served with the time as serial ($S)" \
    sh -c "[ $BEFORE -le $S ] && [ $S -le $AFTER ]"
check "unixtime: fix-up commit in the remote" \
    test "$(tip '%an|%s')" = "timbre-primaryd|Serial fix-up: example.org 12 -> $S"
integ_stop "$PRIMARY_PID"
R=0
"$PRIMARYD" --remote "file://$BARE" --serial-policy weekly >"$T/bad.out" 2>&1 || R=$?
check "an unknown policy: exit 1, named" sh -c "[ $R = 1 ] && grep -q 'serial-policy weekly: not increment, unixtime or dateserial' '$T/bad.out'"

integ_summary
