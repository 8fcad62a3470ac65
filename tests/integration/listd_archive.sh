#!/bin/sh
# tests/integration/listd_archive.sh: timbre-listd's archive
# (--archive-dir, --archive-url) read by real peers.  swaks posts to the
# list dev through timbre-listd and timbre-signd (listd_lib.sh's lab),
# then:
#
#   - git: one commit per post, in the order posted, each tree holding
#     the one blob "m", which is byte for byte the signed copy the
#     members got (the messages row) but for LF line ends, with the author, author date and
#     subject of the post; git fsck finds nothing wrong; a reply to a
#     command (LIST-help) is not archived;
#   - List-Archive and Archived-At (RFC 5064) in the copy;
#   - public-inbox (Debian's public-inbox): public-inbox-init -V2 over
#     the inbox listd made, public-inbox-index, then public-inbox-httpd
#     serves the post at the URL of its Archived-At field, its raw
#     message identical to the blob, and answers a search for it; a
#     post with the Message-ID of another (public-inbox's rule:
#     archived, and both are indexed), a post without one, and a post
#     with a 20 MB attachment, archived whole;
#   - at most once: the archive row of the newest post put back, as if
#     listd had died between its commit and the row's deletion; the
#     restarted listd sees the commit at the tip and makes none;
#   - a full disk (a 1 MiB tmpfs in a mount namespace of the test's
#     own, with unshare): the post is delivered all the same, nothing
#     half-written is committed, and the archive catches up (the
#     retry, 30 s later) once space is back.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/listd_lib.sh"
integ_need_cmd git curl

A=$INTEG_TMP/archive
HTTPPORT=$(integ_free_port)
URL=http://127.0.0.1:$HTTPPORT
dev_list alice@good.test carol@example.net

signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 --archive-dir "$A" --archive-url "$URL/" ||
    { fail_log; integ_summary; exit 1; }

# post NAME FROM [FIELDS...]: NAME.in signed and sent; ID its queue id.
post()
{
	local name=$1 from=$2

	shift 2
	msg "$name" "$from" "$@"
	dkim_sign "$name"
	send "$name" "$from" "dev@$D" "$INTEG_TMP/$name.in"
	ID=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
	ID=${ID:-0}
}

post first alice@good.test
ID1=$ID
post second alice@good.test "In-Reply-To: <first.$$@good.test>" \
    "References: <first.$$@good.test>"
ID2=$ID
check "posts queued" '[ "$ID1" != 0 ] && [ "$ID2" != 0 ]' "$ID1 $ID2"
if archived "$A" 2; then
	integ_ok "two posts, two commits, the archive queue empty"
else
	integ_notok "two posts, two commits" \
	    "$(git -C "$A/dev/git/0.git" log --oneline 2>&1 | head -5)" \
	    "$(q 'SELECT * FROM archive')"
	fail_log
fi

G="git -C $A/dev/git/0.git"
subjects=$($G log --reverse --format=%s master | tr '\n' '|')
check "git log: the subjects, in the order posted" \
    '[ "$subjects" = "first|second|" ]' "$subjects"
author=$($G log -1 --format='%an <%ae>' master)
# good.test publishes p=reject: the list's copy is From the list.
check "git log: the author from From" \
    '[ "$author" = "alice@good.test via dev <dev@$D>" ]' "$author"
committer=$($G log -1 --format='%cn <%ce>' master)
check "git log: the list commits" \
    '[ "$committer" = "dev <dev@$D>" ]' "$committer"
adate=$($G log -1 --format=%ad --date=rfc master)
hdate=$(sed -n 's/^Date: //p' "$INTEG_TMP/second.in")
check "git log: the author date from Date" \
    '[ "$(date -d "$adate" +%s)" = "$(date -d "$hdate" +%s)" ]' \
    "$adate vs $hdate"
tree=$($G ls-tree master | awk '{ print $2, $4 }')
check "git ls-tree: one blob, m" '[ "$tree" = "blob m" ]' "$tree"
parents=$($G rev-list --parents -n 1 master | wc -w)
check "the second commit's parent is the first" '[ "$parents" = 2 ]'
$G show master:m >"$INTEG_TMP/m2"
q "SELECT writefile('$INTEG_TMP/row2', body) FROM messages WHERE id = $ID2" \
    >/dev/null
sed 's/\r$//' "$INTEG_TMP/row2" >"$INTEG_TMP/row2.lf"
check "git show master:m is the signed copy, byte for byte but LF" \
    'cmp -s "$INTEG_TMP/m2" "$INTEG_TMP/row2.lf"' \
    "$(cmp "$INTEG_TMP/m2" "$INTEG_TMP/row2.lf" 2>&1)"
check "the archived copy is the list's signed one" \
    'grep -q "^DKIM-Signature: .*d=$D" "$INTEG_TMP/m2" ||
    tr -d "\r" <"$INTEG_TMP/m2" | tr "\n" " " | grep -q "DKIM-Signature:[^:]*d=$D"'
$G fsck --strict >"$INTEG_TMP/fsck" 2>&1 && ok=1 || ok=
check "git fsck: the epoch is sound" '[ -n "$ok" ]' "$(cat "$INTEG_TMP/fsck")"
alt=$(cat "$A/dev/all.git/objects/info/alternates")
check "all.git's alternates name epoch 0" \
    '[ "$alt" = "../../git/0.git/objects" ]' "$alt"
la=$(sed -n 's/^List-Archive: //p' "$INTEG_TMP/m2")
check "List-Archive: <URL/dev/>" '[ "$la" = "<$URL/dev/>" ]' "$la"
AT=$(sed -n 's/^Archived-At: <\(.*\)>$/\1/p' "$INTEG_TMP/m2")
check "Archived-At: <URL/dev/MESSAGE-ID/>" \
    '[ "$AT" = "$URL/dev/second.$$@good.test/" ]' "$AT"

# A reply to a command is not a post: not archived.
msg help alice@good.test
dkim_sign help
send help alice@good.test "dev-help@$D" "$INTEG_TMP/help.in"
sleep 2
n=$($G rev-list --count master)
check "a reply to LIST-help is not archived" '[ "$n" = 2 ]' "$n"

# public-inbox's rules: a duplicate Message-ID is archived (public-inbox
# gives the second its own), a post without one too.
post dup alice@good.test
sed -i "s/^Message-ID: .*/Message-ID: <first.$$@good.test>/" \
    "$INTEG_TMP/dup.in"
dkim_sign dup
send dup2 alice@good.test "dev@$D" "$INTEG_TMP/dup.in"
msg nomid alice@good.test
sed -i '/^Message-ID: /d' "$INTEG_TMP/nomid.in"
dkim_sign nomid
send nomid alice@good.test "dev@$D" "$INTEG_TMP/nomid.in"
if archived "$A" 5; then
	integ_ok "a duplicate Message-ID and none: archived (5 commits)"
else
	integ_notok "a duplicate Message-ID and none: archived" \
	    "$($G log --oneline master 2>&1)"
	fail_log
fi

# A post with a 20 MB attachment: archived whole.
{
	printf '%s\n' "From: alice@good.test" "To: dev@$D" "Subject: big" \
	    "Date: $(date -R)" "Message-ID: <big.$$@good.test>" \
	    "MIME-Version: 1.0" \
	    "Content-Type: multipart/mixed; boundary=b" "" "--b" \
	    "Content-Type: text/plain" "" "The logs." "" "--b" \
	    "Content-Type: application/octet-stream" \
	    "Content-Transfer-Encoding: base64" \
	    "Content-Disposition: attachment; filename=logs.bin" ""
	head -c 15000000 /dev/urandom | base64 -w 76
	printf '%s\n' "--b--"
} >"$INTEG_TMP/big.in"
dkim_sign big
send big alice@good.test "dev@$D" "$INTEG_TMP/big.in"
IDB=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
if archived "$A" 6; then
	integ_ok "a 20 MB post: archived (6 commits)"
else
	integ_notok "a 20 MB post: archived" "$REPLY" \
	    "$(grep archive "$INTEG_TMP/listd.log.1" | tail -3)"
	fail_log
fi
size=$($G cat-file -s master:m)
q "SELECT writefile('$INTEG_TMP/rowb', body) FROM messages WHERE id = ${IDB:-0}" \
    >/dev/null
rsize=$(sed 's/\r$//' "$INTEG_TMP/rowb" | wc -c)
check "a 20 MB post: the blob is the whole copy ($size bytes)" \
    '[ "$size" = "$rsize" ] && [ "$size" -gt 20000000 ]' "$size vs $rsize"

# ------------------------------------------------ public-inbox reads it

if command -v public-inbox-init >/dev/null 2>&1 &&
    command -v public-inbox-httpd >/dev/null 2>&1; then
	export PI_CONFIG=$INTEG_TMP/pi/config HOME=$INTEG_TMP/pi
	mkdir -p "$INTEG_TMP/pi"
	public-inbox-init -V2 dev "$A/dev" "$URL/dev/" "dev@$D" \
	    >"$INTEG_TMP/pi.init" 2>&1 && ok=1 || ok=
	check "public-inbox-init -V2 over listd's inbox" '[ -n "$ok" ]' \
	    "$(cat "$INTEG_TMP/pi.init")"
	public-inbox-index "$A/dev" >"$INTEG_TMP/pi.index" 2>&1 && ok=1 ||
	    ok=
	check "public-inbox-index reads it" '[ -n "$ok" ]' \
	    "$(cat "$INTEG_TMP/pi.index")"
	integ_spawn "$INTEG_TMP/pi.httpd" public-inbox-httpd \
	    -l "http://127.0.0.1:$HTTPPORT"
	PI_PID=$INTEG_LAST_PID
	for i in $(seq 1 50); do
		curl -fs "$URL/dev/" >/dev/null 2>&1 && break
		sleep 0.2
	done
	code=$(curl -s -o "$INTEG_TMP/at.html" -w '%{http_code}' "$AT")
	check "public-inbox-httpd serves the Archived-At URL (200)" \
	    '[ "$code" = 200 ] && grep -q "second" "$INTEG_TMP/at.html"' \
	    "$code $(head -c 300 "$INTEG_TMP/at.html")"
	# /raw is an mboxrd: a From_ line, the message (LF), an empty line.
	curl -s "${AT}raw" | sed '1d;$d' >"$INTEG_TMP/raw"
	check "its raw message is the archived blob" \
	    'cmp -s "$INTEG_TMP/raw" "$INTEG_TMP/m2"' \
	    "$(diff "$INTEG_TMP/m2" "$INTEG_TMP/raw" | head -5)"
	curl -s -o "$INTEG_TMP/search" "$URL/dev/?q=s:second&x=A"
	check "a search (s:second) finds the post" \
	    'grep -q "second.$$@good.test" "$INTEG_TMP/search"' \
	    "$(head -c 300 "$INTEG_TMP/search")"
	# public-inbox indexes the second under a Message-ID of its own.
	curl -s -o "$INTEG_TMP/first" "$URL/dev/first.$$@good.test/"
	curl -s -o "$INTEG_TMP/dupq" "$URL/dev/?q=s:dup&x=A"
	check "the duplicate Message-ID: both posts are indexed" \
	    'grep -q "<title>first" "$INTEG_TMP/first" &&
	    grep -q "dup" "$INTEG_TMP/dupq"' \
	    "$(head -c 300 "$INTEG_TMP/dupq")"
	curl -s -o "$INTEG_TMP/nomidq" "$URL/dev/?q=s:nomid&x=A"
	check "the post without a Message-ID is indexed" \
	    'grep -q "nomid" "$INTEG_TMP/nomidq"' \
	    "$(head -c 300 "$INTEG_TMP/nomidq")"
	integ_stop "$PI_PID"
else
	integ_skipcase "public-inbox: not installed (apt-get install public-inbox)"
fi

# ------------------------------------------------ at most once

integ_stop "$LISTD_PID"
tip=$($G rev-parse master)
q "INSERT INTO archive (message) VALUES (${IDB:-0})"
listd_start 2 --archive-dir "$A" --archive-url "$URL/" || fail_log
for i in $(seq 1 50); do
	[ "$(q 'SELECT count(*) FROM archive')" = 0 ] && break
	sleep 0.2
done
check "a commit made before a crash is not made again" \
    '[ "$($G rev-parse master)" = "$tip" ] &&
    [ "$(q "SELECT count(*) FROM archive")" = 0 ] &&
    grep -q "queue=$IDB .*(committed before)" "$INTEG_TMP/listd.log.2"' \
    "$(grep archive "$INTEG_TMP/listd.log.2" | tail -3)"
integ_stop "$LISTD_PID"

# ------------------------------------------------ a full disk

if command -v unshare >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] &&
    unshare -m true 2>/dev/null; then
	F=$INTEG_TMP/full
	mkdir -p "$F"
	# listd in a mount namespace of its own, its archive on a 1 MiB
	# tmpfs filled up; the test reaches the tmpfs through the
	# namespace (nsenter) to empty it later.
	cat >"$INTEG_TMP/full.sh" <<EOF
mount -t tmpfs -o size=1m tmpfs "$F" || exit 1
dd if=/dev/zero of="$F/filler" bs=64k count=100 2>/dev/null
exec "\$@"
EOF
	integ_spawn "$INTEG_TMP/listd.log.4" unshare -m --propagation private \
	    sh "$INTEG_TMP/full.sh" "$LISTD" -f --log-level debug \
	    --listen "127.0.0.1:$PORT" --listen-signed "127.0.0.1:$SIGNEDPORT" \
	    --domain "$D" --hostname "$AUTHSERV" --db "$DB" \
	    --signer "127.0.0.1:$SIGNPORT" --resolver "127.0.0.1:$DNS" \
	    --signer-retry 1s --signer-retry-max 2s \
	    --smarthost "127.0.0.1:$SINKPORT" -c /dev/null --archive-dir "$F"
	LISTD_PID=$INTEG_LAST_PID
	for i in $(seq 1 50); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$PORT " && break
		sleep 0.1
	done
	# listd 4 makes the inbox on the tmpfs, and the disk is full.
	post full alice@good.test
	IDF=$ID
	if wait_state "$IDF" "done" 20; then
		integ_ok "a full disk: the post is delivered all the same"
	else
		integ_notok "a full disk: the post is delivered" \
		    "$(q "SELECT state FROM messages WHERE id = $IDF")"
		fail_log
	fi
	for i in $(seq 1 50); do
		grep -q "archive queue=$IDF .*attempt=1" \
		    "$INTEG_TMP/listd.log.4" && break
		sleep 0.2
	done
	check "a full disk: the archive says why and keeps the row" \
	    'grep -qi "archive queue=$IDF .*attempt=1: .*space" \
	    "$INTEG_TMP/listd.log.4" &&
	    [ "$(q "SELECT count(*) FROM archive WHERE message = $IDF")" = 1 ]' \
	    "$(grep "archive" "$INTEG_TMP/listd.log.4" | tail -3)"
	# unshare and sh exec'ed listd: its pid is the namespace's.
	LPID=$LISTD_PID
	nsenter -t "$LPID" -m rm -f "$F/filler"
	for i in $(seq 1 250); do
		[ "$(q "SELECT count(*) FROM archive")" = 0 ] && break
		sleep 0.2
	done
	n=$(nsenter -t "$LPID" -m git -C "$F/dev/git/0.git" rev-list \
	    --count master 2>/dev/null || echo 0)
	check "space back: the archive caught up (one commit)" \
	    '[ "$n" = 1 ] && [ "$(q "SELECT count(*) FROM archive")" = 0 ]' \
	    "$n commits; $(grep "archive" "$INTEG_TMP/listd.log.4" | tail -3)"
	fsck=$(nsenter -t "$LPID" -m git -C "$F/dev/git/0.git" fsck \
	    --strict 2>&1) && ok=1 || ok=
	check "space back: git fsck finds nothing half-written" \
	    '[ -n "$ok" ]' "$fsck"
	integ_stop "$LISTD_PID"
else
	integ_skipcase "a full disk: needs root and unshare -m"
fi

integ_summary
