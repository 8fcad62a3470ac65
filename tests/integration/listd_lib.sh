# tests/integration/listd_lib.sh: what listd.sh and listd_admin.sh share:
# the programs and peers they need (skips when one is missing), the zone
# "test" on NSD (good.test: SPF, DKIM s1 and DMARC p=reject; strict.test:
# SPF -all and DMARC p=reject, no DKIM; none.test: SPF, no DMARC; the
# list domain's derived dkim- and arc- selectors), Postfix's smtp-sink as
# every subscriber's MTA, and the functions that start timbre-signd and
# timbre-listd, send with swaks and read the queue.  Sourced after
# integ_init; the script then makes its own database ($DB) and may set
# MSG_TO, the To of msg (default dev@$D).

LISTD=$top_builddir/daemons/listd/timbre-listd
SIGND=$top_builddir/daemons/signd/timbre-signd
TIMBRE=$top_builddir/tools/timbre
PEER=$top_srcdir/tests/integration/signd_peer.py
ARCPEER=$top_srcdir/tests/integration/arc_peer.py
KEY=$top_srcdir/tests/data/keys/rsa2048.pem
for p in "$LISTD" "$SIGND" "$TIMBRE"; do
	[ -x "$p" ] || integ_skip "$p not built"
done
integ_need_cmd nsd swaks sqlite3 openssl smtp-sink
/usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null ||
    integ_skip "python3-dkim (dkimpy) and python3-dnspython are needed"

D=lists.test
AUTHSERV=mx.lists.test
DB=$INTEG_TMP/lists.db
T=$(($(date +%s) - 3600))
printf 'correct horse battery staple\n' >"$INTEG_TMP/pw"
pub=$(openssl pkey -in "$KEY" -pubout -outform DER 2>/dev/null | base64 -w0)

{
	cat <<EOF
\$ORIGIN test.
\$TTL 300
@			SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@			NS ns.test.
ns			A 127.0.0.1
good			A 127.0.0.1
good			TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.good		TXT "v=DMARC1; p=reject"
s1._domainkey.good	TXT $(integ_txt_strings "v=DKIM1; k=rsa; p=$pub")
strict			A 127.0.0.1
strict			TXT "v=spf1 -all"
_dmarc.strict		TXT "v=DMARC1; p=reject"
none			A 127.0.0.1
none			TXT "v=spf1 ip4:127.0.0.1 -all"
lists			A 127.0.0.1
\$ORIGIN $D.
EOF
	"$TIMBRE" key derive --domain "$D" --selector "dkim-$T" \
	    --password-file "$INTEG_TMP/pw" --algorithm rsa-sha256 --zone
	"$TIMBRE" key derive --domain "$D" --selector "arc-$T" \
	    --password-file "$INTEG_TMP/pw" --algorithm rsa-sha256 --zone
} >"$INTEG_TMP/test.zone"
integ_nsd_start test "$INTEG_TMP/test.zone" || integ_skip "NSD did not start"
DNS=$INTEG_NSD_PORT

PORT=$(integ_free_port)
SIGNPORT=$(integ_free_port)
SIGNEDPORT=$(integ_free_port)
SINKPORT=$(integ_free_port)
SINK=$INTEG_TMP/sink
mkdir -p "$SINK"
SINK_USER=
[ "$(id -u)" -eq 0 ] && { chmod 755 "$INTEG_TMP"; chown nobody "$SINK";
    SINK_USER="-u nobody"; }
# shellcheck disable=SC2086
integ_spawn "$INTEG_TMP/sink.log" smtp-sink $SINK_USER \
    -d "$SINK/%Y%m%d%H%M%S." "127.0.0.1:$SINKPORT" 256

# signd_start NAME [OPTIONS...]: timbre-signd, its log in signd.log.NAME.
# A port another test took meanwhile (integ_free_port is best effort)
# makes it try again on another SIGNPORT, before any listd knows it.
signd_start()
{
	local name=$1 attempt log

	shift
	log=$INTEG_TMP/signd.log.$name
	for attempt in 1 2 3; do
		integ_spawn "$log" "$SIGND" -f --log-level debug \
		    --listen "127.0.0.1:$SIGNPORT" \
		    --relay "127.0.0.1:$SIGNEDPORT" \
		    --domain "$D" --password-file "$INTEG_TMP/pw" \
		    --resolver "127.0.0.1:$DNS" --authserv-id "$AUTHSERV" \
		    --hostname signd.test --allow 127.0.0.1/32 \
		    --algorithm rsa-sha256 --selector "dkim-$T" \
		    --selector "arc-$T" -c /dev/null "$@"
		SIGND_PID=$INTEG_LAST_PID
		for i in $(seq 1 150); do
			[ "$(grep -c 'keyring sign kind=' "$log")" -ge 2 ] &&
			    return 0
			kill -0 "$SIGND_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$SIGND_PID" 2>/dev/null && break
		integ_untrack "$SIGND_PID"
		grep -qi "address already in use" "$log" || break
		SIGNPORT=$(integ_free_port)
	done
	integ_notok "signd $name: the keyring found its keys" \
	    "$(tail -n 8 "$log")"
	return 1
}

# listd_start NAME [OPTIONS...]: timbre-listd with the options of every
# test and those given; its log in listd.log.NAME.
listd_start()
{
	local name=$1

	shift
	integ_spawn "$INTEG_TMP/listd.log.$name" "$LISTD" -f --log-level debug \
	    --listen "127.0.0.1:$PORT" --listen-signed "127.0.0.1:$SIGNEDPORT" \
	    --domain "$D" --hostname "$AUTHSERV" --db "$DB" \
	    --signer "127.0.0.1:$SIGNPORT" --resolver "127.0.0.1:$DNS" \
	    --signer-retry 1s --signer-retry-max 2s \
	    --smarthost "127.0.0.1:$SINKPORT" -c /dev/null "$@"
	LISTD_PID=$INTEG_LAST_PID
	for i in $(seq 1 50); do
		ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$PORT " && return 0
		sleep 0.1
	done
	integ_notok "listd $name: listening"
	return 1
}

# dev_list SUBSCRIBER...: the database with the list dev@$D, moderated
# by mod@good.test, and these subscribers.
dev_list()
{
	local a

	"$TIMBRE" list create "$DB"
	"$TIMBRE" list add "$DB" --domain "$D" dev --moderator mod@good.test
	for a in "$@"; do
		"$TIMBRE" list subscribe "$DB" --domain "$D" dev "$a"
	done
}

fail_log()
{
	tail -n 25 "$INTEG_TMP"/listd.log.* | sed 's/^/# listd: /' >&2
}

# send NAME FROM TO FILE [SWAKS ARGS]: NAME.swaks holds the transcript;
# REPLY the server's last reply before QUIT (to DATA, or to whatever
# refused the mail first).
send()
{
	local name=$1 from=$2 to=$3 file=$4

	shift 4
	swaks --server "127.0.0.1:$PORT" --helo mx.good.test --from "$from" \
	    --to "$to" --data "@$file" "$@" >"$INTEG_TMP/$name.swaks" 2>&1 ||
	    true
	REPLY=$(grep -E '^ *<[~*-]+ +[0-9]{3}[ -]' "$INTEG_TMP/$name.swaks" |
	    grep -vE '^ *<[~*-]+ +221 ' | tail -n 1 | sed 's/^ *<[~*-]* *//')
}

# msg NAME FROM [FIELDS...]: a message NAME.in from FROM.
msg()
{
	local name=$1 from=$2

	shift 2
	printf '%s\n' "From: $from" "To: ${MSG_TO:-dev@$D}" "Subject: $name" \
	    "Date: $(date -R)" "Message-ID: <$name.$$@good.test>" "$@" "" \
	    "Hello from $name." "" "Bye." >"$INTEG_TMP/$name.in"
}

# dkim_sign NAME: signs NAME.in for good.test (s1).
dkim_sign()
{
	"$TIMBRE" dkim sign --domain good.test --selector s1 --key "$KEY" \
	    "$INTEG_TMP/$1.in" >"$INTEG_TMP/$1.signed" &&
	    mv "$INTEG_TMP/$1.signed" "$INTEG_TMP/$1.in"
}

q()
{
	sqlite3 "$DB" "$1"
}

# expect NAME PATTERN: the reply matches.
expect()
{
	if printf '%s\n' "$REPLY" | grep -qE -- "$2"; then
		integ_ok "$1: $REPLY"
	else
		integ_notok "$1: /$2/" "got: $REPLY" \
		    "$(tail -n 15 "$INTEG_TMP/$1.swaks")"
		fail_log
	fi
}

# wait_state ID STATES [SECONDS]: STATES a grep -E pattern.
wait_state()
{
	local i

	for i in $(seq 1 $((${3:-10} * 5))); do
		q "SELECT state FROM messages WHERE id = $1" |
		    grep -qxE "$2" && return 0
		sleep 0.2
	done
	return 1
}

# archived DIR N: waits (30 s at most) until the archive queue is empty
# and epoch 0 of list dev's inbox in the archive directory DIR holds N
# commits.
archived()
{
	local i n

	for i in $(seq 1 150); do
		n=$(git -C "$1/dev/git/0.git" rev-list --count master \
		    2>/dev/null || echo 0)
		[ "$n" = "$2" ] &&
		    [ "$(q 'SELECT count(*) FROM archive')" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# body ID NAME: the stored body of message ID into NAME.eml (LF).
body()
{
	q "SELECT writefile('$INTEG_TMP/$2.crlf', body) FROM messages
	    WHERE id = $1" >/dev/null
	tr -d '\r' <"$INTEG_TMP/$2.crlf" >"$INTEG_TMP/$2.eml" 2>/dev/null ||
	    : >"$INTEG_TMP/$2.eml"
}

check()
{
	if eval "$2"; then
		integ_ok "$1"
	else
		integ_notok "$1" "${3:-}"
	fi
}
