#!/bin/sh
# tests/integration/listd_signer.sh: timbre-listd's --signer given as a
# host name (util/opt.c resolves it at start, as timbre-signd's --relay):
# with --signer localhost:PORT a post goes to timbre-signd and its signed
# copy is taken back on --listen-signed from the name's address (the
# post reaches fanout); names that are not names, a name that does not
# resolve and a port that is not one are refused at start (exit 2, the
# option named).  Peers: NSD, timbre-signd, swaks (listd_lib.sh).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/listd_lib.sh"

# The name's first address must be the one signd connects from.
[ "$(getent ahosts localhost | awk 'NR == 1 { print $1 }')" = 127.0.0.1 ] ||
    integ_skip "localhost does not resolve to 127.0.0.1 first"

dev_list alice@good.test carol@example.net
signd_start 1 || { fail_log; integ_summary; exit 1; }
# The later --signer replaces listd_start's address.
listd_start 1 --signer "localhost:$SIGNPORT" ||
    { fail_log; integ_summary; exit 1; }
check "--signer localhost: the start line names it" \
    'grep -q "signer=localhost:$SIGNPORT" "$INTEG_TMP/listd.log.1"' \
    "$(grep 'listd start' "$INTEG_TMP/listd.log.1")"

msg post alice@good.test
dkim_sign post
send post alice@good.test "dev@$D" "$INTEG_TMP/post.in"
expect post '^250 2\.0\.0 queued as [0-9]+'
ID=$(printf '%s\n' "$REPLY" | sed -n 's/.*queued as \([0-9]*\).*/\1/p')
if wait_state "${ID:-0}" "fanout|done" 15; then
	integ_ok "--signer localhost: signed by signd, taken back from its address"
else
	integ_notok "--signer localhost: the signed copy came back" \
	    "state $(q "SELECT state, last_error FROM messages WHERE id = ${ID:-0}")"
	fail_log
fi
integ_stop "$LISTD_PID"
integ_stop "$SIGND_PID"

# refused SIGNER PATTERN: listd exits 2 at start (a bad value on the
# command line), saying so.
refused()
{
	local st=0 out pat=$2

	out=$("$LISTD" -f --listen "127.0.0.1:$PORT" \
	    --listen-signed "127.0.0.1:$SIGNEDPORT" --domain "$D" --db "$DB" \
	    --signer "$1" --resolver "127.0.0.1:$DNS" -c /dev/null 2>&1) ||
	    st=$?
	check "--signer $1: exit 2, $2" \
	    '[ "$st" -eq 2 ] && printf "%s\n" "$out" | grep -q -- "$pat"' \
	    "exit $st: $out"
}
refused "not a name:25" "--signer.*not an address or a host name"
refused "-x.test" "--signer.*not an address or a host name"
refused "localhost:smtp" "--signer.*not ADDR\[:PORT\] or HOST\[:PORT\]"
refused "no-such-host.invalid" "--signer.*no-such-host.invalid"
integ_summary
