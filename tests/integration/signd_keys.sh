#!/bin/sh
# signd_keys.sh: timbre-signd's key life cycle (daemons/signd/keyring.c)
# against a real timbre-primaryd serving example.org from a git
# repository (file://), driven by tests/unit/signd/keyring_drive with
# --clock-offset to move through the keys' lives.  The primary is also
# the resolver: it is authoritative for the zone, so what it answers is
# what a verifier would see once caches expire.
#
# An empty zone gets three keys (DKIM rsa, DKIM ed25519, ARC), visible
# by dig and committed to git, equal to what timbre key derive prints;
# past lifetime - overlap new keys are minted, published and switched
# to while the old ones stay; past expiry + overlap the old records are
# deleted (a commit); a wrong password signs nothing and publishes
# nothing; a key that may transfer but not update, and the primary
# stopped, count update failures while the current key stays; a driver
# stopped between publication and switch, then started again, uses the
# published key and mints no second one; timbre-signd itself, killed at
# its first publication of a rotation and started again, ends with one
# new key per kind, as without the kill; with --derivation nec it mints
# nec's Ed25519 keys, generation 1 then 2 (the first one's generation
# found again after a restart), each equal to what timbre key derive
# --derivation nec prints, published as a commit, and signs with them:
# dkimpy verifies what it relayed to smtp-sink.
#
# Times (seconds): lifetime 2000, overlap 600, so a key is replaced at
# age 1400 and its record deleted at age 2600.
set -eu
. "$top_srcdir/tests/integration/lib.sh"

integ_init
integ_need_cmd git dig
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
TIMBRE=$top_builddir/tools/timbre
DRIVE=$top_builddir/tests/unit/signd/keyring_drive
[ -x "$DRIVE" ] || integ_skip "$DRIVE not built (make check builds it)"

check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then integ_ok "$d"; else integ_notok "$d"; fi
}
gitc() { git -C "$T/w" -c user.name=test -c user.email=test@example.org "$@"; }

git init -q --bare "$T/zone.git"
git -C "$T/zone.git" symbolic-ref HEAD refs/heads/main
git init -q "$T/w"
gitc checkout -q -b main
"$TIMBRE" tsig-keygen up._update.example.org >"$T/up"
"$TIMBRE" tsig-keygen xfr._transfer.example.org >"$T/xfr"
{ head -n1 "$T/up"; head -n1 "$T/xfr"; } >"$T/w/_keys"
sed -n 2p "$T/up" >"$T/up.key"
sed -n 2p "$T/xfr" >"$T/xfr.key"
IFS=: read -r xn xa xs <"$T/xfr.key"
printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' "$xn" "$xa" \
    "$xs" >"$T/xfr.bind"
cat >"$T/w/example.org" <<-EOF
\$ORIGIN example.org.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
EOF
gitc add -A
gitc commit -q -m initial
gitc push -q "$T/zone.git" main
printf 'correct horse battery staple\n' >"$T/pw"
printf 'not the password\n' >"$T/badpw"

start_primary() {
	local attempt
	for attempt in 1 2 3; do
		PORT=$(integ_free_port)
		integ_spawn "$T/primary.log" "$PRIMARYD" -f --log-level debug \
		    --listen "127.0.0.1:$PORT" --remote "file://$T/zone.git#main" \
		    --workdir "$T/work"
		PRIMARY_PID=$INTEG_LAST_PID
		integ_wait_dns "$PORT" example.org SOA 10 && return 0
		integ_stop "$PRIMARY_PID"
	done
	cat "$T/primary.log" >&2
	return 1
}
start_primary

# drive OUT LOG ARGS...: the keyring with the common settings.
drive() {
	local out=$1 log=$2
	shift 2
	"$DRIVE" --domain example.org --password-file "$T/pw" \
	    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
	    --tsig-key-file "$T/up.key" --bits 1024 --lifetime 2000 \
	    --overlap 600 "$@" >"$out" 2>"$log"
}
sel() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
stat() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p"; }
txt() { dig @127.0.0.1 -p "$PORT" +short "$1._domainkey.example.org" TXT | tr -d '" \n'; }
derived() { # derived SELECTOR ALG [BITS]
	"$TIMBRE" key derive --domain example.org --selector "$1" \
	    --password-file "$T/pw" --algorithm "$2" ${3:+--key-bits $3} |
	    tr -d '" \n'
}
axfr_keys() {
	dig @127.0.0.1 -p "$PORT" example.org AXFR -k "$T/xfr.bind" |
	    awk '$4 == "TXT" && $1 ~ /_domainkey/' | wc -l
}

# 1. An empty zone: a key of each kind, published and used.
# (2048-bit RSA here, so the records need more than one string; 1024
# after, to keep the test short.)
if drive "$T/d1" "$T/d1.log" --bits 2048 --until current --seconds 120; then
	integ_ok "empty zone: a key of each kind is current"
else
	integ_notok "empty zone: a key of each kind is current" \
	    "$(cat "$T/d1")" "$(tail -n 20 "$T/d1.log")"
fi
R1=$(sel dkim-rsa "$T/d1")
E1=$(sel dkim-ed25519 "$T/d1")
A1=$(sel arc "$T/d1")
check "selectors dkim-<t>, dkim-<t>-ed25519, arc-<t>" sh -c \
    "echo '$R1 $E1 $A1' | grep -Eq '^dkim-[0-9]+ dkim-[0-9]+-ed25519 arc-[0-9]+$'"
check "three keys published" test "$(stat published "$T/d1")" = 3
check "the rsa record at the primary is the derived one" \
    test "$(txt "$R1")" = "$(derived "$R1" rsa-sha256 2048)"
check "the ed25519 record is the derived one" \
    test "$(txt "$E1")" = "$(derived "$E1" ed25519-sha256)"
check "the ARC record is the derived one" \
    test "$(txt "$A1")" = "$(derived "$A1" rsa-sha256 2048)"
check "v=DKIM1 first" sh -c "dig @127.0.0.1 -p $PORT +short $R1._domainkey.example.org TXT | grep -q '^\"v=DKIM1; k=rsa; p='"
check "RSA record split into 255-octet strings" sh -c \
    "dig @127.0.0.1 -p $PORT +short $A1._domainkey.example.org TXT | grep -Eq '^\"[^\"]{255}\" \"[^\"]+\"\$'"
check "committed to git by the update key" sh -c \
    "git --git-dir=$T/zone.git log --format=%s main | grep -c 'UPDATE by up._update.example.org' | grep -qx 3"
check "nothing logged of the password" sh -c "! grep -q 'horse' $T/d1.log $T/primary.log"

# 2. Past lifetime - overlap: new keys, switched to; the old ones stay.
if drive "$T/d2" "$T/d2.log" --clock-offset 1500 --until rotations=3 \
    --seconds 120; then
	integ_ok "past lifetime - overlap: three rotations"
else
	integ_notok "past lifetime - overlap: three rotations" \
	    "$(cat "$T/d2")" "$(tail -n 20 "$T/d2.log")"
fi
R2=$(sel dkim-rsa "$T/d2")
E2=$(sel dkim-ed25519 "$T/d2")
A2=$(sel arc "$T/d2")
check "new selectors" sh -c "[ -n '$R2' ] && [ '$R2' != '$R1' ] && [ '$E2' != '$E1' ] && [ '$A2' != '$A1' ]"
check "new ones named from the clock" test "${R2#dkim-}" -ge "$((${R1#dkim-} + 1500))"
check "the new rsa record is served and derived" \
    test "$(txt "$R2")" = "$(derived "$R2" rsa-sha256 1024)"
check "the old records stay during the overlap" sh -c \
    "[ -n \"\$(dig @127.0.0.1 -p $PORT +short $R1._domainkey.example.org TXT)\" ] && [ \$(dig @127.0.0.1 -p $PORT example.org AXFR -k $T/xfr.bind | awk '\$4 == \"TXT\"' | wc -l) = 6 ]"
check "exactly three published by this run" test "$(stat published "$T/d2")" = 3

# 3. Past expiry + overlap of the old keys: deleted (a commit).
if drive "$T/d3" "$T/d3.log" --clock-offset 2700 --until deleted=3 \
    --until current --seconds 120; then
	integ_ok "past expiry + overlap: three records deleted"
else
	integ_notok "past expiry + overlap: three records deleted" \
	    "$(cat "$T/d3")" "$(tail -n 20 "$T/d3.log")"
fi
check "old records gone" sh -c "[ -z \"\$(dig @127.0.0.1 -p $PORT +short $R1._domainkey.example.org TXT)\" ] && [ -z \"\$(dig @127.0.0.1 -p $PORT +short $A1._domainkey.example.org TXT)\" ]"
check "new ones kept and used" sh -c "[ '$(sel dkim-rsa "$T/d3" 2>/dev/null)' = '$R2' ] && [ \"\$(dig @127.0.0.1 -p $PORT +short $R2._domainkey.example.org TXT)\" ]"
check "nothing minted" test "$(stat published "$T/d3")" = 0
check "the deletion is a git commit" sh -c \
    "git --git-dir=$T/zone.git log -1 -p main | grep -q '^-$R1'"

# 4. A wrong password, when a mint would be due: nothing signed or
# published, the mismatch logged by selector.
N0=$(axfr_keys)
H0=$(git --git-dir="$T/zone.git" rev-parse main)
"$DRIVE" --domain example.org --password-file "$T/badpw" \
    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
    --tsig-key-file "$T/up.key" --bits 1024 --lifetime 2000 --overlap 600 \
    --clock-offset 3000 --seconds 8 >"$T/d4" 2>"$T/d4.log" || true
check "wrong password: no key to sign with" sh -c \
    "[ \$(grep -c ' none\$' $T/d4) = 3 ]"
check "wrong password: three mismatches counted" test "$(stat mismatches "$T/d4")" = 3
check "wrong password: the selector named in the log" \
    grep -q "$R2._domainkey.example.org: the published key is not" "$T/d4.log"
check "wrong password: nothing published" sh -c \
    "[ '$(stat published "$T/d4")' = 0 ] && [ \$(git --git-dir=$T/zone.git rev-parse main) = $H0 ] && [ $N0 = 3 ]"
check "wrong password: the password is not logged" sh -c "! grep -q 'not the password' $T/d4.log"

# 5. A key that may transfer but not update: failures, current keys kept.
"$DRIVE" --domain example.org --password-file "$T/pw" \
    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
    --tsig-key-file "$T/xfr.key" --bits 1024 --lifetime 2000 --overlap 600 \
    --clock-offset 3000 --until update_failures=1 --until current \
    --seconds 60 >"$T/d5" 2>"$T/d5.log" || true
check "update refused: counted" sh -c "[ '$(stat update_failures "$T/d5")' -ge 1 ]"
check "update refused: the error named in the log" \
    grep -Eq "update of example.org .* failed: (REFUSED|NOTAUTH)" "$T/d5.log"
check "update refused: still signing with the current key" \
    test "$(sel dkim-rsa "$T/d5")" = "$R2"

# 6. The primary stops while the driver runs, before a mint is due.
C=${R2#dkim-}
NOW=$(date +%s)
OFF=$((C + 1400 - NOW - 12))
"$DRIVE" --domain example.org --password-file "$T/pw" \
    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
    --tsig-key-file "$T/up.key" --bits 1024 --lifetime 2000 --overlap 600 \
    --kinds rsa --clock-offset "$OFF" --until update_failures=1 \
    --until current --seconds 60 >"$T/d6" 2>"$T/d6.log" &
D6=$!
integ_track "$D6"
for i in $(seq 1 50); do
	grep -q "^changed dkim-rsa $R2" "$T/d6" 2>/dev/null && break
	sleep 0.2
done
integ_stop "$PRIMARY_PID"
wait "$D6" 2>/dev/null || true
integ_untrack "$D6"
check "primary down: failure counted" sh -c "[ '$(stat update_failures "$T/d6")' -ge 1 ]"
check "primary down: the key in use is kept" test "$(sel dkim-rsa "$T/d6")" = "$R2"
check "primary down: the error named" grep -Eq "failed: (Connection refused|timeout|connection closed)" "$T/d6.log"
start_primary

# 7. Stopped between publication and switch (the resolver answers
# nothing), then started again with it: the published key, no second.
DEAD=$(integ_free_port)
"$DRIVE" --domain example.org --password-file "$T/pw" \
    --resolver "127.0.0.1:$DEAD" --primary "127.0.0.1:$PORT" \
    --tsig-key-file "$T/up.key" --bits 1024 --lifetime 2000 --overlap 600 \
    --kinds rsa --clock-offset 3000 --until published=1 --seconds 60 \
    >"$T/d7" 2>"$T/d7.log" || true
R7=$(sed -n 's/.*keyring publish s=\(dkim-[0-9]*\) .*/\1/p' "$T/d7.log")
check "published before the resolver saw it" sh -c "[ -n '$R7' ] && [ '$(sel dkim-rsa "$T/d7")' != '$R7' ]"
drive "$T/d8" "$T/d8.log" --kinds rsa --clock-offset 3000 --until current \
    --seconds 60 || true
check "restarted: uses the published key" test "$(sel dkim-rsa "$T/d8")" = "$R7"
check "restarted: no second key minted" test "$(stat published "$T/d8")" = 0

# nec10: section 10 (below).
nec10() {
	local log sel h i off
	. "$top_srcdir/tests/integration/signd_lib.sh"
	if ! command -v smtp-sink >/dev/null 2>&1 ||
	    ! /usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null; then
		integ_skipcase "--derivation nec" "smtp-sink or dkimpy missing" 9
		return 0
	fi
	for bad in "--derivation nec --password-file $T/pw" \
	    "--derivation v2 --password-file $T/pw"; do
		# shellcheck disable=SC2086
		out=$("$SIGND" -f -c /dev/null --listen "127.0.0.1:$SPORT" \
		    --relay "127.0.0.1:$DEAD" --domain example.org \
		    --resolver "127.0.0.1:$PORT" --selector a $bad 2>&1) &&
		    rc=0 || rc=$?
		case $rc/$out in
		1/*"not the base64 nec's --password takes"*|1/*"--derivation v2: not v1 or nec"*)
			integ_ok "${bad%% --password*}: exit 1, $out" ;;
		*) integ_notok "${bad%% --password*}: refused" "exit $rc: $out" ;;
		esac
	done
	signd_sink_start
	printf 'Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==\n' >"$T/necpw"
	for off in 0 3700; do
		log=$T/nec$off.log
		h=$(git --git-dir="$T/zone.git" rev-parse main)
		integ_spawn "$log" "$SIGND" -f --log-level debug \
		    --listen "127.0.0.1:$SPORT" --relay "127.0.0.1:$SINKPORT" \
		    --domain example.org --password-file "$T/necpw" \
		    --derivation nec --selector-format 'n%s-%d' \
		    -a ed25519-sha256 --allow 127.0.0.1/32 \
		    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
		    --tsig-key-file "$T/up.key" --key-bits 1024 \
		    --key-lifetime 2h --key-overlap 1h --clock-offset "$off" \
		    -c /dev/null
		SIGND_PID=$INTEG_LAST_PID
		sel=
		for i in $(seq 1 300); do
			[ -n "$sel" ] || sel=$(sed -n 's/.*keyring publish s=\(ndkim-[0-9]*-ed25519\) .*/\1/p' \
			    "$log" | head -n 1)
			[ -n "$sel" ] && grep -q "keyring sign kind=dkim-ed25519 s=$sel " \
			    "$log" && break
			sleep 0.2
		done
		gen=$(sed -n "s/.*keyring publish s=$sel kind=.* generation=\\([0-9]*\\)/\\1/p" \
		    "$log")
		want=$((off == 0 ? 1 : 2))
		if [ "$gen" = "$want" ] && [ "$(txt "$sel")" = "$("$TIMBRE" \
		    key derive --domain example.org --selector "$sel" \
		    --password-file "$T/necpw" --algorithm ed25519-sha256 \
		    --derivation nec --generation "$want" | tr -d '" \n')" ]; then
			integ_ok "nec +$off: $sel is generation $want, its record what timbre key derive --derivation nec prints"
		else
			integ_notok "nec +$off: a new key of generation $want, its record what timbre key derive prints" \
			    "selector '$sel' generation '$gen'; $(grep keyring "$log" | tail -n 6)"
		fi
		[ "$off" = 0 ] || check "nec +$off: the key of the first run found to be generation 1" \
		    grep -q 'keyring s=ndkim-[0-9]*-ed25519 is nec generation 1$' "$log"
		check "nec +$off: the publication is a commit" test \
		    "$(git --git-dir="$T/zone.git" rev-parse main)" != "$h"
		find "$SINK" -type f -exec rm -f {} +
		out=$(/usr/bin/python3 "$top_srcdir/tests/integration/signd_peer.py" \
		    burst "$SPORT" 1 1 "nec $off" 2>&1)
		for i in $(seq 1 50); do
			[ -n "$(find "$SINK" -type f)" ] && break
			sleep 0.1
		done
		f=$(find "$SINK" -type f | head -n 1)
		v=$([ -n "$f" ] && /usr/bin/python3 \
		    "$top_srcdir/tests/integration/signd_peer.py" verify "$PORT" \
		    "$f" 2>&1) || v="failed: $v"
		case $v in
		*"dkim 0 a=ed25519-sha256 s=$sel ok"*"arc cv=none"*)
			integ_ok "nec +$off: dkimpy verifies the message signed with $sel" ;;
		*) integ_notok "nec +$off: dkimpy verifies the message signed with $sel" \
		    "$out; $v" ;;
		esac
		integ_stop "$SIGND_PID"
	done
	integ_stop "$SINK_PID"
}

# 8. timbre-signd itself, on the real clock: the keys in the zone (made
# "in the future" by the offset runs above) are found and used, and no
# key is minted while the newest is young.
SIGND=$top_builddir/daemons/signd/timbre-signd
if [ -x "$SIGND" ]; then
	SPORT=$(integ_free_port)
	H8=$(git --git-dir="$T/zone.git" rev-parse main)
	integ_spawn "$T/signd.log" "$SIGND" -f --log-level debug \
	    --listen "127.0.0.1:$SPORT" --relay "127.0.0.1:$DEAD" \
	    --domain example.org --password-file "$T/pw" \
	    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
	    --tsig-key-file "$T/up.key" --key-bits 1024 \
	    --key-lifetime 2h --key-overlap 600s
	SIGND_PID=$INTEG_LAST_PID
	for i in $(seq 1 100); do
		[ "$(grep -c 'keyring sign kind=' "$T/signd.log")" -ge 3 ] && break
		sleep 0.2
	done
	check "timbre-signd: signs with the published rsa key" \
	    grep -q "keyring sign kind=dkim-rsa s=$R7 " "$T/signd.log"
	check "timbre-signd: and the ed25519 and ARC keys" sh -c \
	    "grep -q 'keyring sign kind=dkim-ed25519 s=$E2 ' $T/signd.log && grep -q 'keyring sign kind=arc s=$A2 ' $T/signd.log"
	integ_stop "$SIGND_PID"
	check "timbre-signd: published nothing" test \
	    "$(git --git-dir="$T/zone.git" rev-parse main)" = "$H8"

	# 9. The daemon itself through a rotation of every kind, killed
	# (SIGKILL) at its first publication and started again: the zone
	# ends as without the kill, one new key per kind, each used.
	# Lifetime 2 h, overlap 1 h (the daemon takes no less than an
	# hour): at +6700 s every newest key above is over 3600 s old.
	OFF9=6700
	T9=$(($(date +%s) + OFF9 - 5))
	signd9() { # signd9 LOG
		integ_spawn "$1" "$SIGND" -f --log-level debug \
		    --listen "127.0.0.1:$SPORT" --relay "127.0.0.1:$DEAD" \
		    --domain example.org --password-file "$T/pw" \
		    --resolver "127.0.0.1:$PORT" --primary "127.0.0.1:$PORT" \
		    --tsig-key-file "$T/up.key" --key-bits 1024 \
		    --key-lifetime 2h --key-overlap 1h --clock-offset "$OFF9" \
		    -c /dev/null
		SIGND_PID=$INTEG_LAST_PID
	}
	signd9 "$T/signd9a.log"
	for i in $(seq 1 600); do
		grep -q 'keyring publish s=' "$T/signd9a.log" && break
		sleep 0.05
	done
	kill -KILL "$SIGND_PID" 2>/dev/null || true
	integ_stop "$SIGND_PID"
	n9=$(grep -c 'keyring publish s=' "$T/signd9a.log" || true)
	check "killed after its first publication ($n9 logged)" test "$n9" -ge 1
	signd9 "$T/signd9b.log"
	# until it signs with three keys made since T9
	for i in $(seq 1 600); do
		[ "$(sed -n 's/.*keyring sign kind=.* s=[a-z]*-\([0-9]*\).*/\1/p' \
		    "$T/signd9b.log" | awk -v t="$T9" '$1 >= t' | wc -l)" -ge 3 ] &&
		    break
		sleep 0.2
	done
	# new_keys KIND_REGEX: selectors in the zone created since T9.
	new_keys() {
		dig @127.0.0.1 -p "$PORT" example.org AXFR -k "$T/xfr.bind" |
		    awk '$4 == "TXT" { sub(/\._domainkey.*/, "", $1); print $1 }' |
		    grep -E "$1" | awk -F- -v t="$T9" '$2 >= t'
	}
	for k in '^dkim-[0-9]+$' '^dkim-[0-9]+-ed25519$' '^arc-[0-9]+$'; do
		sels=$(new_keys "$k" | sort -u | tr '\n' ' ')
		set -- $sels
		if [ $# -eq 1 ] && grep -q "keyring sign kind=.* s=$1 " \
		    "$T/signd9b.log"; then
			integ_ok "restarted daemon: one new key $1, used"
		else
			integ_notok "restarted daemon: one new key for $k, used" \
			    "in the zone: $sels" \
			    "$(grep 'keyring' "$T/signd9b.log" | tail -n 8)"
		fi
	done
	integ_stop "$SIGND_PID"

	# 10. --derivation nec: the Ed25519 keys of the nec signer, from
	# the base64 password nec took.  Under selectors of another format
	# (n%s-%d), so that the v1 keys above are not the keyring's: the
	# daemon mints generation 1, publishes it (a commit), signs with
	# it, and dkimpy verifies a message it relayed to smtp-sink, with
	# the record timbre key derive --derivation nec prints; started
	# again an hour later, past lifetime - overlap, it finds that
	# key's generation and mints generation 2, likewise.
	nec10
else
	integ_skipcase "timbre-signd" "not built" 16
fi

integ_summary
