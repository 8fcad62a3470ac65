#!/bin/sh
# run.sh: the DKIM benchmark.  Runs bench_dkim (timbre's body hashes,
# signing and verifying 4 KiB and 1 MiB messages, in-process, beside
# SHA-256 and RSA-2048 through EVP), then sets two of its figures against
# `openssl speed`, measured in the same run:
#
#   relaxed body hash MB/s on 1 MiB / openssl sha256 MB/s     bar >= 0.85
#   rsa-sha256 sign, 4 KiB msg/s / openssl rsa2048 sign/s     bar >= 0.90
#
# On a shared machine two rates measured a minute apart can differ by half
# (neighbours, CPU steal), so each ratio is taken -p times (5) from an
# `openssl speed` run of -s/-n seconds (1 at least) and the bench_dkim row
# run straight after it for as long, and the median counts; the spread is
# shown.  bench_dkim also measures both ratios in-process, the two sides
# taking turns every 50 ms: the cross-check.  Times are CPU time on both
# sides unless -e asks for wall-clock time.
#
# The report goes to the terminal and to the results file (-o).  A
# benchmark reports; it never fails: this script exits 0 whatever it
# measured.  It builds nothing: `make bench` builds bench_dkim, then runs
#
#   run.sh [-e] [-n trials] [-p pairs] [-s seconds] [-b bench_dkim]
#       [-o results.txt]

seconds=3
trials=3
pairs=5
bin=bench/dkim/bench_dkim
out=bench/dkim/results.txt
elapsed=

while getopts "b:en:o:p:s:" opt; do
	case $opt in
	b) bin=$OPTARG ;;
	e) elapsed=1 ;;
	n) trials=$OPTARG ;;
	o) out=$OPTARG ;;
	p) pairs=$OPTARG ;;
	s) seconds=$OPTARG ;;
	*) echo "usage: run.sh [-e] [-n trials] [-p pairs] [-s seconds]" \
	       "[-b bench_dkim] [-o results.txt]" >&2
	   exit 0 ;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_dkim.XXXXXX") || exit 0
trap 'rm -rf "$tmp"' EXIT
report=$tmp/report
: >"$report"

say() {
	printf '%s\n' "$*" | tee -a "$report"
}

finish() {
	say "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
	if mkdir -p "$(dirname "$out")" && cp "$report" "$out"; then
		echo "(written to $out)"
	fi
	exit 0
}

say "timbre bench/dkim, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "host: $(uname -srm), $(getconf _NPROCESSORS_ONLN 2>/dev/null) CPUs," \
    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null |
    sed -n 1p)"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
say "openssl: $(openssl version 2>/dev/null || echo 'not found')"
say ""

if [ ! -x "$bin" ]; then
	say "bench/dkim: $bin is not built (\`make bench\` builds it)"
	finish
fi

# The table.  bench_dkim prints it row by row; show it as it comes.
{
	"$bin" -s "$seconds" -n "$trials" ${elapsed:+-e} -o "$tmp/record" 2>&1
	echo $? >"$tmp/rc"
} | tee -a "$report"
if [ "$(cat "$tmp/rc")" != 0 ]; then
	say "bench/dkim: bench_dkim failed; no ratios"
	finish
fi
say ""

# value FILE NAME: a figure of a bench_dkim record.
value() {
	sed -n "s/^$2 //p" "$1" 2>/dev/null
}

# stats FILE: "median min max" of the numbers in FILE, or nothing.
stats() {
	sort -g "$1" 2>/dev/null | awk '$1 != "" { v[n++] = $1 }
	    END {
		if (n == 0)
			exit
		m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
		print m, v[0], v[n - 1]
	    }'
}

# verdict LABEL MEDIAN MIN MAX BAR: one line of the ratio report.
verdict() {
	awk -v l="$1" -v r="$2" -v lo="$3" -v hi="$4" -v bar="$5" 'BEGIN {
	    if (r == "") {
		printf("  %-46s    n/a\n", l)
		exit
	    }
	    if (lo != "")
		sp = sprintf("(%.3f..%.3f)", lo, hi)
	    printf("  %-46s  %.3f %-15s bar %.2f  %s\n", l, r, sp, bar,
		r >= bar ? "PASS" : "BELOW")
	}'
}

# The pairs: openssl speed, then the bench_dkim row, as long each.
per=$(awk -v s="$seconds" -v n="$trials" 'BEGIN {
    x = int(s / n + 0.5); print x < 1 ? 1 : x }')
if openssl speed -help 2>&1 | grep -q -e '^ *-bytes'; then
	sha_args="-bytes 1048576 -evp sha256"
	sha_block=1048576
else
	sha_args="-evp sha256"		# then the 16384-byte column
	sha_block=16384
fi
: >"$tmp/sha" ; : >"$tmp/rsa" ; : >"$tmp/sha.r" ; : >"$tmp/rsa.r"
i=0
while [ "$i" -lt "$pairs" ]; do
	i=$((i + 1))
	# +H:<size>:...  +F:<n>:<name>:<bytes/s>:...  (size j, figure j + 2)
	# shellcheck disable=SC2086	# sha_args is words
	bps=$(openssl speed -mr ${elapsed:+-elapsed} -seconds "$per" $sha_args \
	    2>/dev/null |
	    awk -F: -v k="$sha_block" '
	    /^\+H:/ { for (j = 2; j <= NF; j++) if ($j == k) c = j + 2 }
	    /^\+F:/ { print c ? $c : $NF }')
	"$bin" -s "$per" -n 1 ${elapsed:+-e} -r body_relaxed \
	    -o "$tmp/rec" >/dev/null 2>&1
	mbps=$(value "$tmp/rec" body_relaxed_mbps)
	if [ -n "$bps" ] && [ -n "$mbps" ]; then
		echo "$bps" >>"$tmp/sha"
		awk -v a="$mbps" -v b="$bps" 'BEGIN { print a * 1e6 / b }' \
		    >>"$tmp/sha.r"
	fi

	sps=$(openssl speed -mr ${elapsed:+-elapsed} -seconds "$per" rsa2048 \
	    2>/dev/null |
	    sed -n 's/^+F2:[0-9]*:2048:\([0-9.]*\):.*$/\1/p')
	"$bin" -s "$per" -n 1 ${elapsed:+-e} -r sign_rsa2048_4k \
	    -o "$tmp/rec" >/dev/null 2>&1
	ops=$(value "$tmp/rec" sign_rsa2048_4k_ops)
	if [ -n "$sps" ] && [ -n "$ops" ]; then
		echo "$sps" >>"$tmp/rsa"
		awk -v a="$ops" -v b="$sps" 'BEGIN { print a / b }' \
		    >>"$tmp/rsa.r"
	fi
done

say "openssl speed, $pairs runs of $per s${elapsed:+ (-elapsed)}," \
    "median (min..max):"
read -r m lo hi <<EOF
$(stats "$tmp/sha")
EOF
say "$(awk -v m="$m" -v lo="$lo" -v hi="$hi" -v k="$sha_block" 'BEGIN {
    if (m == "") print "  sha256: not measured"
    else printf("  %-30s %10.1f MB/s    (%.1f..%.1f)\n",
	"sha256, " k "-byte blocks", m / 1e6, lo / 1e6, hi / 1e6) }')"
read -r m lo hi <<EOF
$(stats "$tmp/rsa")
EOF
say "$(awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN {
    if (m == "") print "  rsa2048: not measured"
    else printf("  %-30s %10.1f sign/s  (%.1f..%.1f)\n", "rsa2048 sign",
	m, lo, hi) }')"
say ""
say "ratios, median of $pairs pairs (each bench_dkim row right after" \
    "openssl speed):"
read -r m lo hi <<EOF
$(stats "$tmp/sha.r")
EOF
say "$(verdict "relaxed body hash 1 MiB / openssl sha256" "$m" "$lo" "$hi" \
    0.85)"
read -r m lo hi <<EOF
$(stats "$tmp/rsa.r")
EOF
say "$(verdict "sign rsa-sha256 4 KiB msg/s / openssl rsa2048" "$m" "$lo" \
    "$hi" 0.90)"
say "cross-check, in-process, in turns (bench_dkim, above):"
say "$(verdict "relaxed body hash 1 MiB / EVP_Digest sha256" \
    "$(value "$tmp/record" pair_body_relaxed_evp_sha256)" "" "" 0.85)"
say "$(verdict "sign rsa-sha256 4 KiB msg/s / EVP_PKEY_sign" \
    "$(value "$tmp/record" pair_sign_rsa2048_4k_evp_rsa2048_sign)" "" "" \
    0.90)"
finish
