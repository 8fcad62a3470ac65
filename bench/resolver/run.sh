#!/bin/sh
# bench/resolver/run.sh: timbre-resolverd against Unbound on the DNS
# hierarchy of tests/integration/resolver.sh (NSD on loopback in a network
# namespace of its own): cold resolution time of the test's names, each
# resolver starting empty, and dnsperf cache-hit throughput, pre-warmed,
# both servers single-threaded, in the same run; reported as ratios.  The
# bar (issue 3): at least Unbound's cache-hit rate.
#
#	sh bench/resolver/run.sh [-s SECONDS] [-o RESULTS]
#
# top_builddir (default ./build) must hold daemons/resolverd/timbre-resolverd.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
seconds=5
out=
while getopts s:o: c; do
	case $c in
	s) seconds=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: run.sh [-s SECONDS] [-o RESULTS]" >&2; exit 2 ;;
	esac
done
export top_srcdir top_builddir
report=$(RESOLVER_BENCH_SECONDS=$seconds sh \
    "$top_srcdir/tests/integration/resolver.sh" 2>&1 | grep -E '^(cold|cache-hit|SKIP)')
{
	echo "bench/resolver: timbre-resolverd vs unbound $(unbound -V 2>/dev/null |
	    sed -n 's/^Version //p'), $(date -u +%Y-%m-%d)"
	echo "$report"
} | if [ -n "$out" ]; then mkdir -p "$(dirname "$out")"; tee "$out"; else cat; fi
