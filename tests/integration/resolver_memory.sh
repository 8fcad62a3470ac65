#!/bin/sh
# resolver_memory.sh: --cache-size bounds what timbre-resolverd's caches
# really take (issue 18): the resident size of the process, read from
# /proc/PID/status, after its caches were filled several times over.
#
# NSD on 127.0.0.2 serves a signed root zone (NSEC, ECDSA) with a
# wildcard: every fresh name below fast. is a new secure answer (an A
# record and its RRSIG), every fresh name below nx. a new secure
# NXDOMAIN (the SOA, two NSEC records and their RRSIGs).  dnsperf asks
# for $NAMES fresh names of each, far more than --cache-size holds, so
# the caches evict all along.  The growth of the resident size from the
# start (a few questions answered) to the end must stay within
# --cache-size and a fixed allowance for what is not cache (the state of
# questions in flight, malloc's free lists): $SLACK_MB MB.  Before the
# caches counted what ldns allocates, and before blocks of a page and
# more came from mmap, 8 MB of cache grew the process by 43 MB.
#
# The resident size is the daemon's own in the plain build only: in a
# sanitizer build the test skips (it belongs in check.sh's PLAIN_ONLY).
# RESOLVER_MEMORY_CACHE_MB and RESOLVER_MEMORY_NAMES change the figures.
#
# In a network namespace of its own (unshare -rn), so that NSD can hold
# port 53 of 127.0.0.2.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/resolver_dnssec_lib.sh"
integ_need_cmd dnsperf
grep -q __asan_init "$RESOLVERD" 2>/dev/null &&
    integ_skip "a sanitizer build: the resident size is not the daemon's"
integ_init
T=$INTEG_TMP
cd "$T"
CACHE_MB=${RESOLVER_MEMORY_CACHE_MB:-8}
NAMES=${RESOLVER_MEMORY_NAMES:-40000}
SLACK_MB=4

{
	rd_soa . a.root.
	cat <<-EOF
	. NS a.root.
	a.root. A 127.0.0.2
	*.fast. A 192.0.2.7
	EOF
} >root
rd_sign . root
cp ..ds root.ds
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints
INTEG_NSD_SERVER_EXTRA="    rrl-ratelimit: 0"
integ_nsd_start_at 127.0.0.2 root . root.signed ||
    { echo "not ok - NSD root"; exit 1; }

integ_spawn "$T/resolverd.log" "$RESOLVERD" -f -c /dev/null \
    --log-level warn --listen "127.0.0.1:$TPORT" --root-hints "$T/hints" \
    --trust-anchor "$T/root.ds" --cache-size "$CACHE_MB"
RESOLVERD_PID=$INTEG_LAST_PID
rd_wait_port "$TPORT" ||
    { echo "not ok - timbre-resolverd did not start"; exit 1; }

rss()
{
	awk '/^VmRSS/ { print $2 }' "/proc/$RESOLVERD_PID/status"
}
stat()
{
	dig @127.0.0.1 -p "$TPORT" +short CH TXT stats.timbre. | tr -d '"' |
	    sed -n "s/^$1=//p"
}

for n in www.fast. nothere.nx.; do
	dig @127.0.0.1 -p "$TPORT" +dnssec "$n" A >/dev/null
done
rss0=$(rss)
awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++)
	printf "n%d.fast A\nn%d.nx A\n", i, i }' >names
dnsperf -s 127.0.0.1 -p "$TPORT" -d names -n 1 -c 10 -q 200 -t 5 \
    >dnsperf.out 2>&1 || true
rss1=$(rss)
completed=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' dnsperf.out)
echo "# dnsperf: ${completed:-?} of $((NAMES * 2)) questions answered;" \
    "cache: $(stat cache-entries) entries, $(stat cache-bytes) bytes;" \
    "answer cache: $(stat answers-cached) answers"
grow=$(((rss1 - rss0) / 1024))
echo "# RSS $((rss0 / 1024)) MB at the start, $((rss1 / 1024)) MB at the" \
    "end: $grow MB grown, with --cache-size $CACHE_MB"
if [ "${completed:-0}" -lt "$NAMES" ]; then
	integ_notok "the caches filled" "only ${completed:-0} answers"
elif [ "$(stat cache-bytes)" -lt $((CACHE_MB * 1024 * 1024 / 2)) ]; then
	integ_notok "the caches filled" "cache-bytes $(stat cache-bytes)"
else
	integ_ok "the caches filled (${completed} answers)"
fi
if [ "$grow" -le $((CACHE_MB + SLACK_MB)) ]; then
	integ_ok "RSS grew $grow MB, within --cache-size $CACHE_MB + $SLACK_MB"
else
	integ_notok "RSS grew $grow MB, within --cache-size $CACHE_MB + $SLACK_MB"
fi
# Still right after all that eviction.
if dig @127.0.0.1 -p "$TPORT" +short n1.fast. A | grep -qx 192.0.2.7; then
	integ_ok "still answering"
else
	integ_notok "still answering"
fi
integ_summary
