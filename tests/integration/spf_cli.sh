#!/bin/sh
# tests/integration/spf_cli.sh: the command line of `timbre spf check`
# beyond the RFC 7208 suite (spf_suite.sh): its exact output, the -v trace
# of the DNS questions, its exit statuses, and the DNS set-up it shares
# with `timbre dkim verify` and `timbre dmarc verify` (tool_dns_server,
# tool_dns_open and tool_spf_run in tools/tool.c): the same -n errors, and
# dmarc verify's SPF result from the same driver.  The records are served
# by tests/integration/dnsfake.py on 127.0.0.1 (a name that never
# answers is one of them).
#
# Exit: 0 all passed, 1 a case failed, 77 a peer is not installed.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

TIMBRE=$top_builddir/tools/timbre
[ -x "$TIMBRE" ] || { echo "$TIMBRE: not built"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || integ_skip "$py is not installed"
"$py" -c 'import dns.message' 2>/dev/null ||
    integ_skip "python module dns missing (apt-get install python3-dnspython)"
integ_need_cmd dig
integ_init
T=$INTEG_TMP

cat >"$T/zone.json" <<'EOF'
{
 "example.org": [{"TXT": "v=spf1 a:mail.example.org include:inc.example.org -all"}],
 "mail.example.org": [{"A": "192.0.2.9"}],
 "inc.example.org": [{"TXT": "v=spf1 ip4:198.51.100.0/24 -all"}],
 "bad.example.org": [{"TXT": "v=spf1 a:slow.example.org -all"}],
 "slow.example.org": ["TIMEOUT"],
 "_dmarc.example.org": [{"TXT": "v=DMARC1; p=reject"}]
}
EOF
PORT=$(integ_free_port)
integ_spawn "$T/dnsfake.log" "$py" "$top_srcdir/tests/integration/dnsfake.py" \
    --zone "$T/zone.json" --port "$PORT"
integ_wait_dns "$PORT" example.org TXT ||
    { echo "not ok - dnsfake.py did not start"; sed 's/^/#   /' "$T/dnsfake.log";
    exit 1; }
NS=udp:127.0.0.1:$PORT

# expect NAME STATUS OUTFILE ERRFILE CMD...: CMD exits STATUS with
# exactly OUTFILE on standard output (Received-SPF's CRLF read as LF) and
# ERRFILE on standard error.
expect()
{
	local name="$1" want="$2" out="$3" err="$4" rc

	shift 4
	rc=0
	"$@" >"$T/got.crlf" 2>"$T/got.err" </dev/null || rc=$?
	tr -d '\r' <"$T/got.crlf" >"$T/got.out"
	if [ "$rc" -ne "$want" ]; then
		integ_notok "$name" "exit $rc, want $want" "$(cat "$T/got.err")"
	elif ! cmp -s "$out" "$T/got.out"; then
		integ_notok "$name: standard output" \
		    "$(diff "$out" "$T/got.out" || true)"
	elif ! cmp -s "$err" "$T/got.err"; then
		integ_notok "$name: standard error" \
		    "$(diff "$err" "$T/got.err" || true)"
	else
		integ_ok "$name"
	fi
}
: >"$T/empty"

# ---- results and the -v trace ----
printf '%s\n' pass "domain of u@example.org designates 198.51.100.7 as \
permitted sender (mechanism include:inc.example.org matched)" >"$T/want.out"
expect "pass through include:, exit 0" 0 "$T/want.out" "$T/empty" \
    "$TIMBRE" spf check -n "$NS" --ip 198.51.100.7 --mail-from u@example.org

cat >"$T/want.out" <<'EOF'
pass
domain of u@example.org designates 192.0.2.9 as permitted sender (mechanism a:mail.example.org matched)
Received-SPF: pass (mx.test: domain of u@example.org designates 192.0.2.9 as
 permitted sender \(mechanism a:mail.example.org matched\))
 client-ip=192.0.2.9; envelope-from="u@example.org"; identity=mailfrom;
 receiver=mx.test; mechanism="a:mail.example.org"
EOF
cat >"$T/want.err" <<'EOF'
query example.org TXT
  ok
query mail.example.org A
  ok
2 dns queries
EOF
expect "-v: Received-SPF, each question and its outcome" 0 "$T/want.out" \
    "$T/want.err" "$TIMBRE" spf check -n "$NS" --ip 192.0.2.9 \
    --mail-from '<u@example.org>' --receiver mx.test -v

printf '%s\n' fail "domain of u@example.org does not designate 203.0.113.1 \
as permitted sender (mechanism -all matched)" >"$T/want.out"
expect "fail: exit 1" 1 "$T/want.out" "$T/empty" \
    "$TIMBRE" spf check -n "$NS" --ip 203.0.113.1 --mail-from u@example.org

cat >"$T/want.out" <<'EOF'
temperror
temporary error in processing during lookup of u@bad.example.org: dns no answer for slow.example.org
Received-SPF: temperror (unknown: temporary error in processing during lookup
 of u@bad.example.org: dns no answer for slow.example.org)
 client-ip=203.0.113.1; envelope-from="u@bad.example.org";
 problem="dns no answer for slow.example.org"; identity=mailfrom;
 receiver=unknown
EOF
cat >"$T/want.err" <<'EOF'
query bad.example.org TXT
  ok
query slow.example.org A
  no answer
2 dns queries
EOF
expect "a name that never answers: temperror after --timeout, exit 1" 1 \
    "$T/want.out" "$T/want.err" "$TIMBRE" spf check -n "$NS" \
    --ip 203.0.113.1 --mail-from u@bad.example.org -v --timeout 300 \
    --retries 0

# ---- the DNS set-up every verb shares ----
for verb in "spf check --ip 192.0.2.1 --mail-from u@example.org" \
    "dkim verify" "dmarc verify"; do
	echo "timbre ${verb%% -*}: -n bogus: dns server bogus: not an ip address" \
	    >"$T/want.err"
	# shellcheck disable=SC2086 # the verb and its options are words
	expect "timbre ${verb%% -*}: -n error" 2 "$T/empty" "$T/want.err" \
	    "$TIMBRE" $verb -n bogus
done
echo 'timbre spf check: --timeout wants a number from 1 to 3600000, not "0"' \
    >"$T/want.err"
expect "--timeout 0: usage error" 2 "$T/empty" "$T/want.err" \
    "$TIMBRE" spf check -n "$NS" --ip 192.0.2.1 --mail-from u@example.org \
    --timeout 0
echo 'timbre spf check: --retries wants a number from 0 to 16, not "x"' \
    >"$T/want.err"
expect "--retries x: usage error" 2 "$T/empty" "$T/want.err" \
    "$TIMBRE" spf check -n "$NS" --ip 192.0.2.1 --mail-from u@example.org \
    --retries x

# dmarc verify's SPF goes through the same driver (tool_spf_run).
printf 'From: a@example.org\nTo: b@example.net\nSubject: hi\n\nHello.\n' \
    >"$T/msg.eml"
rc=0
"$TIMBRE" dmarc verify -n "$NS" --authserv-id mx.test --ip 198.51.100.7 \
    --mail-from a@example.org "$T/msg.eml" >"$T/ar.out" 2>"$T/ar.err" || rc=$?
# The field is folded: unfold it before looking.
ar=$(tr -d '\r' <"$T/ar.out" | awk '/^[^ \t]/ && n++ { exit }
    { sub(/^[ \t]+/, " "); printf "%s", $0 }')
case $rc:$ar in
0:*"spf=pass (mx.test: domain of a@example.org designates 198.51.100.7 as permitted sender) smtp.mailfrom=a@example.org;"*"dmarc=pass"*)
	integ_ok "dmarc verify: spf=pass and dmarc=pass through the shared driver" ;;
*)
	integ_notok "dmarc verify: spf=pass and dmarc=pass through the shared driver" \
	    "exit $rc" "$ar" "$(cat "$T/ar.err")" ;;
esac

integ_summary
