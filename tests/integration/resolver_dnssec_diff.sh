#!/bin/sh
# resolver_dnssec_diff.sh: timbre-resolverd and Unbound asked the same
# questions about generated signed hierarchies (issue 18), in a network
# namespace of the test's own; resolver_dnssec_diff.py generates, signs
# (ldns-keygen, ldns-signzone), breaks some zones on purpose, asks and
# compares (rcode, AD, answer records: owner and rdata lower-cased,
# TTLs left out, RRSIGs kept), resolved and then from the cache.  Every
# SERVFAIL of timbre must carry an Extended DNS Error (RFC 8914).
#
# The short form (make check) builds RESOLVER_DIFF_HIERARCHIES=4
# hierarchies (about 25 zones, 1 500 questions); the long form is the
# same script with more, e.g.
#
#   RESOLVER_DIFF_HIERARCHIES=50 RESOLVER_DIFF_EXTRA=120 \
#       sh tests/integration/resolver_dnssec_diff.sh
#
# (figures in the STANDARDS section of timbre-resolverd(8)).  RESOLVER_DIFF_SEED replays a run:
# the seed is printed first.  Cases where Unbound is the one that is
# wrong would be listed, by question name and with the RFC section, in
# EXCLUDED in resolver_dnssec_diff.py (none so far).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/resolver_dnssec_lib.sh"
/usr/bin/python3 -c 'import dns.edns' 2>/dev/null ||
    integ_skip "dnspython not found for /usr/bin/python3"
integ_init
T=$INTEG_TMP
cd "$T"

SEED=${RESOLVER_DIFF_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# seed $SEED (RESOLVER_DIFF_SEED=$SEED replays this run)"
mkdir zones
/usr/bin/python3 "$top_srcdir/tests/integration/resolver_dnssec_diff.py" \
    build --seed "$SEED" --hierarchies "${RESOLVER_DIFF_HIERARCHIES:-4}" \
    --extra "${RESOLVER_DIFF_EXTRA:-0}" --dir "$T/zones" | sed 's/^/# /'

while read -r addr name zones; do
	# shellcheck disable=SC2086
	integ_nsd_start_at "$addr" "$name" $zones ||
	    { echo "not ok - NSD $name on $addr"; exit 1; }
done <zones/servers

RD_LOG_LEVEL=info
rd_resolvers "$T/zones/hints" "$T/zones/root.ds"

t0=$(date +%s)
if /usr/bin/python3 "$top_srcdir/tests/integration/resolver_dnssec_diff.py" \
    ask --dir "$T/zones" --timbre "$TPORT" --unbound "$UPORT" \
    >"$T/ask.out" 2>&1; then
	integ_ok "same answers as unbound, EDE on every SERVFAIL" \
	    "($(tail -n 1 "$T/ask.out"))"
else
	integ_notok "same answers as unbound, EDE on every SERVFAIL" \
	    "seed $SEED" "$(cat "$T/ask.out")"
fi
grep '^EDE\|^timbre' "$T/ask.out" | sed 's/^/# /'
# Upstream timeouts explain a SERVFAIL with EDE 22 (No Reachable
# Authority) where Unbound, which waits longer, answered.
echo "# timbre-resolverd: $(dig @127.0.0.1 -p "$TPORT" +short CH TXT \
    stats.timbre. | tr -d '"' | grep '^\(queries\|upstream\|servfail\|cache\|answers-cached\)' |
    tr '\n' ' ')"
rss=$(awk '/^VmRSS/ { print $2, $3 }' "/proc/$RESOLVERD_PID/status")
echo "# $(tail -n 1 "$T/ask.out") in $(($(date +%s) - t0)) s;" \
    "timbre-resolverd RSS at the end: $rss"
if kill -0 "$RESOLVERD_PID" 2>/dev/null; then
	integ_ok "timbre-resolverd still running"
else
	integ_notok "timbre-resolverd still running"
fi
integ_summary
