#!/bin/sh
# shellcheck disable=SC2034  # PORT_<server>, PID_<server> are read by eval
# bench/dns-auth/run.sh: timbre-primaryd against NSD and Knot DNS serving the
# same generated zone (example.org, 10 000 records: A, AAAA, TXT, MX), each
# on its own port of 127.0.0.1, each with the same number of workers,
# measured by dnsperf in the same run with the same client settings, in
# alternating rounds; reported as queries/s and as ratios.  The bar (issue
# 4): at least NSD's rate.
#
#	sh bench/dns-auth/run.sh [-s SECONDS] [-r ROUNDS] [-c CLIENTS]
#	    [-w WORKERS] [-b timbre-primaryd] [-o RESULTS]
#
# -s: seconds of each dnsperf run (10); -r: rounds (3), each server's figure
# is its best round; -c: dnsperf clients (1); -w: each server's UDP workers
# (1): timbre-primaryd --workers, NSD server-count (with reuseport), Knot
# udp-workers.  Compare runs with -w 1 and -w 2 by queries per CPU second:
# with as many workers as CPUs the client shares them, so queries/s alone
# says little about scaling.  The primaryd binary is -b,
# else ./daemons/primaryd/timbre-primaryd (make runs this from the build
# directory), else $top_builddir (default ./build of the source tree).
#
# Every server is checked to give the same answers (rcode, AA, answer
# section) to a sample of the queries before it is measured; one that
# does not, or does not start, is reported and left out.  With more CPUs
# than workers the servers run on CPUs 0 to WORKERS - 1 and dnsperf on
# the next one (taskset); else nothing is pinned.
#
# A benchmark reports; it never fails: this script exits 0 whatever it
# measured, and stops every process it started.  BENCH_KEEP=1 keeps its
# temp dir (zone, query file, configs, logs, dnsperf output).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
PATH=$PATH:/usr/sbin:/sbin
export PATH

seconds=10
rounds=3
clients=1
workers=1
primaryd=
out=
while getopts b:c:o:r:s:w: c; do
	case $c in
	b) primaryd=$OPTARG ;;
	c) clients=$OPTARG ;;
	o) out=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) seconds=$OPTARG ;;
	w) workers=$OPTARG ;;
	*) echo "usage: run.sh [-s SECONDS] [-r ROUNDS] [-c CLIENTS]" \
	       "[-w WORKERS] [-b timbre-primaryd] [-o RESULTS]" >&2
	   exit 0 ;;
	esac
done
case $workers in
''|*[!0-9]*|0) echo "run.sh: -w $workers: not a number of workers" >&2
   exit 0 ;;
esac
if [ -z "$primaryd" ]; then
	primaryd=daemons/primaryd/timbre-primaryd
	[ -x "$primaryd" ] ||
	    primaryd=$top_builddir/daemons/primaryd/timbre-primaryd
fi
case $primaryd in /*) ;; *) primaryd=$(pwd)/$primaryd ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/bench_dns_auth.XXXXXX") || exit 0
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		alive=
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.2
	done
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=
	if [ -n "${BENCH_KEEP:-}" ]; then echo "(kept $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM HUP
report=$T/report
: >"$report"

say() {
	printf '%s\n' "$*" | tee -a "$report"
}

finish() {
	say "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
	if [ -n "$out" ] && mkdir -p "$(dirname "$out")" &&
	    cp "$report" "$out"; then
		echo "(written to $out)"
	fi
	exit 0
}

# Pin the servers to CPUs 0 to WORKERS - 1 and dnsperf to the next one
# when there are CPUs enough.
srvpin=
cltpin=
if command -v taskset >/dev/null 2>&1 &&
    [ "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)" -gt "$workers" ]; then
	srvpin="taskset -c 0-$((workers - 1))"
	cltpin="taskset -c $workers"
fi

say "timbre bench/dns-auth, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "host: $(uname -srm), $(getconf _NPROCESSORS_ONLN 2>/dev/null) CPUs," \
    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo 2>/dev/null |
    sed -n 1p)"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
say "nsd $(nsd -v 2>&1 | sed -n 's/^NSD version //p;1q'), knotd" \
    "$(knotd --version 2>/dev/null | sed -n 's/.*version //p')," \
    "dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p')"
pintext="nothing pinned (the client shares the servers' CPUs)"
[ -n "$srvpin" ] && pintext="servers on CPU 0, dnsperf on CPU $workers"
[ -n "$srvpin" ] && [ "$workers" -gt 1 ] &&
    pintext="servers on CPUs 0-$((workers - 1)), dnsperf on CPU $workers"
say "dnsperf -l $seconds -c $clients (UDP, 100 outstanding), $rounds rounds," \
    "best of; $workers worker(s) each; $pintext"
for cmd in dnsperf dig git; do
	if ! command -v $cmd >/dev/null 2>&1; then
		say "bench/dns-auth: $cmd not found; nothing measured"
		finish
	fi
done
if [ ! -x "$primaryd" ]; then
	say "bench/dns-auth: $primaryd is not built (\`make\` builds it)"
	finish
fi

# free_port: a port on 127.0.0.1 free for UDP and TCP right now.
free_port() {
	used=$(ss -Hlntu 2>/dev/null | awk '{ print $5 }' | sed 's/.*://')
	for _ in $(seq 1 50); do
		p=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		p=$((20000 + p % 40000))
		printf '%s\n' $used $PORTS | grep -qx "$p" || { echo "$p"; return; }
	done
}
PORTS=

# wait_soa PORT SECONDS: wait until 127.0.0.1:PORT answers example.org SOA.
wait_soa() {
	for _ in $(seq 1 $(($2 * 5))); do
		dig @127.0.0.1 -p "$1" +time=1 +tries=1 +norec example.org SOA \
		    2>/dev/null | grep -q 'status: NOERROR' && return 0
		sleep 0.2
	done
	return 1
}

# The zone and the queries.  A fixed LCG (not awk's rand, which differs
# between awks) makes the same zone and the same query file everywhere.
# Hosts are ROLE-NNN.SITE.example.org: an A each, an AAAA for 3 in 5, a TXT
# for 1 in 8, an MX for 1 in 16, until 10 000 records.  Queries: 70 %
# hits (A 30, AAAA 20, MX 10, TXT 10), 15 % NXDOMAIN (a number past the
# last host of a role and site, or an unknown name at the apex), 15 %
# NODATA (a type the host lacks, or the empty non-terminal SITE.example.org).
# $T/checks holds a sample, one "NAME TYPE KIND" a line, for the answer
# check.
awk -v zone="$T/example.org" -v queries="$T/queries" -v checks="$T/checks" '
function rnd(n) { x = (x * 69069 + 1) % 4294967296; return int(x / 65536) % n }
BEGIN {
	x = 20261122
	nr = split("www api app web db cache mail smtp imap vpn git ci " \
	    "build mon log auth ldap proxy cdn shop blog wiki chat files", role)
	ns = split("fra ams lon par nyc sfo sin syd", site)
	nw = split("alpha bravo delta echo kilo lima oscar tango", word)
	print "$ORIGIN example.org." >zone
	print "$TTL 3600" >zone
	print "@ SOA ns1 hostmaster 2026112201 7200 3600 1209600 3600" >zone
	print "@ NS ns1\n@ NS ns2" >zone
	print "@ MX 10 mx1\n@ MX 20 mx2" >zone
	print "@ TXT \"v=spf1 mx ip4:198.51.100.0/24 -all\"" >zone
	print "@ A 198.51.100.80\n@ AAAA 2001:db8::80" >zone
	print "ns1 A 198.51.100.53\nns1 AAAA 2001:db8::53" >zone
	print "ns2 A 203.0.113.53\nns2 AAAA 2001:db8:1::53" >zone
	print "mx1 A 198.51.100.25\nmx2 A 203.0.113.25" >zone
	print "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@example.org\"" >zone
	n = 15
	for (i = 0; n < 10000; i++) {
		r = i % nr + 1; s = int(i / nr) % ns + 1
		k = int(i / (nr * ns)) + 1
		last[r, s] = k
		h = sprintf("%s-%03d.%s", role[r], k, site[s])
		host[i] = h
		print h, "A", sprintf("10.%d.%d.%d", s, k, r) >zone
		n++
		if (rnd(5) < 3 && n < 10000) {
			print h, "AAAA", sprintf("2001:db8:%x:%x::%x", s, k, r) >zone
			n++; has6[i] = 1
		}
		if (n < 10000 && rnd(8) == 0) {
			printf("%s TXT \"owner=team-%s\" \"ticket=OPS-%d\"\n", h,
			    word[rnd(nw) + 1], 1000 + rnd(9000)) >zone
			n++; txt[ntxt++] = h
		}
		if (n < 10000 && rnd(16) == 0) {
			print h, "MX", 10 * (rnd(3) + 1), "mx" (rnd(2) + 1) >zone
			n++; mx[nmx++] = h; hasmx[i] = 1
		}
	}
	nh = i
	for (q = 0; q < 20000; q++) {
		t = rnd(100)
		if (t < 30) { kind = "hit"; name = host[rnd(nh)]; ty = "A" }
		else if (t < 50) {
			kind = "hit"; ty = "AAAA"
			do j = rnd(nh); while (!(j in has6))
			name = host[j]
		} else if (t < 60) { kind = "hit"; ty = "MX"; name = mx[rnd(nmx)] }
		else if (t < 70) { kind = "hit"; ty = "TXT"; name = txt[rnd(ntxt)] }
		else if (t < 78) {
			kind = "nxdomain"; ty = "A"
			r = rnd(nr) + 1; s = rnd(ns) + 1
			name = sprintf("%s-%03d.%s", role[r], last[r, s] + 1 + rnd(50), site[s])
		} else if (t < 85) {
			kind = "nxdomain"; ty = rnd(2) ? "A" : "AAAA"
			name = sprintf("%s%d", word[rnd(nw) + 1], rnd(10000))
		} else if (t < 92) {
			kind = "nodata"; ty = "MX"
			do j = rnd(nh); while (j in hasmx)
			name = host[j]
		} else if (t < 97) {
			kind = "nodata"; ty = "AAAA"
			do j = rnd(nh); while (j in has6)
			name = host[j]
		} else { kind = "nodata"; ty = "A"; name = site[rnd(ns) + 1] }
		print name ".example.org", ty >queries
		if (q < 60 || (kind != "hit" && q < 200))
			print name ".example.org", ty, kind >checks
	}
	print "example.org SOA hit\nexample.org NS hit\nexample.org MX hit" >checks
	print "ns1.example.org AAAA hit\n_dmarc.example.org TXT hit" >checks
	print "nosuch.example.org TXT nxdomain\nexample.org AAAA hit" >checks
}'
records=$(grep -cv '^\$' "$T/example.org")
say "zone: example.org, $records records, $(grep -c ' A ' "$T/example.org") A," \
    "$(grep -c ' AAAA ' "$T/example.org") AAAA, $(grep -c ' TXT ' "$T/example.org")" \
    "TXT, $(grep -c ' MX ' "$T/example.org") MX;" \
    "$(wc -l <"$T/queries") queries: 70 % hits (A, AAAA, MX, TXT)," \
    "15 % NXDOMAIN, 15 % NODATA"
say ""

# The servers.  Each start_* sets its port in PORT_<name> or says why not.
SERVERS=

start_timbre() {
	d=$T/timbre
	mkdir -p "$d"
	git init -q --bare "$d/zone.git" &&
	git -C "$d/zone.git" symbolic-ref HEAD refs/heads/main &&
	git init -q "$d/w" &&
	git -C "$d/w" checkout -q -b main &&
	cp "$T/example.org" "$d/w/example.org" &&
	git -C "$d/w" add example.org &&
	git -C "$d/w" -c user.name=bench -c user.email=bench@example.org \
	    commit -q -m zone &&
	git -C "$d/w" push -q "$d/zone.git" main || {
		say "timbre-primaryd: could not make the zone repository"
		return 1
	}
	for _ in 1 2 3; do
		port=$(free_port)
		rm -rf "$d/work"
		$srvpin "$primaryd" -f --log-level warn --listen "127.0.0.1:$port" \
		    --workers "$workers" \
		    --remote "file://$d/zone.git#main" --workdir "$d/work" \
		    >"$d/log" 2>&1 </dev/null &
		pid=$!
		PIDS="$PIDS $pid"
		if wait_soa "$port" 30; then
			PORT_timbre=$port PID_timbre=$pid
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	done
	say "timbre-primaryd did not answer: $(tail -n 3 "$d/log" | tr '\n' ' ')"
	return 1
}

start_nsd() {
	command -v nsd >/dev/null 2>&1 || { say "nsd: not found"; return 1; }
	d=$T/nsd
	mkdir -p "$d"
	cp "$T/example.org" "$d/example.org.zone"
	for _ in 1 2 3; do
		port=$(free_port)
		cat >"$d/nsd.conf" <<-EOF
		server:
		    ip-address: 127.0.0.1@$port
		    port: $port
		    do-ip4: yes
		    do-ip6: no
		    reuseport: $([ "$workers" -gt 1 ] && echo yes || echo no)
		    server-count: $workers
		    username: ""
		    chroot: ""
		    zonesdir: "$d"
		    pidfile: "$d/nsd.pid"
		    xfrdfile: "$d/xfrd.state"
		    xfrdir: "$d"
		    zonelistfile: "$d/zone.list"
		    database: ""
		    logfile: "$d/nsd.log"
		    verbosity: 1
		    hide-version: yes
		    rrl-ratelimit: 0
		    rrl-whitelist-ratelimit: 0
		remote-control:
		    control-enable: no
		zone:
		    name: "example.org"
		    zonefile: "example.org.zone"
		EOF
		$srvpin nsd -d -c "$d/nsd.conf" >"$d/out" 2>&1 </dev/null &
		pid=$!
		PIDS="$PIDS $pid"
		if wait_soa "$port" 30; then
			PORT_nsd=$port PID_nsd=$pid
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	done
	say "nsd did not answer: $(cat "$d/out" "$d/nsd.log" 2>/dev/null |
	    tail -n 3 | tr '\n' ' ')"
	return 1
}

start_knot() {
	command -v knotd >/dev/null 2>&1 || { say "knotd: not found"; return 1; }
	d=$T/knot
	mkdir -p "$d/db"
	cp "$T/example.org" "$d/example.org.zone"
	for _ in 1 2 3; do
		port=$(free_port)
		cat >"$d/knot.conf" <<-EOF
		server:
		    rundir: "$d"
		    pidfile: "$d/knot.pid"
		    listen: 127.0.0.1@$port
		    udp-workers: $workers
		    tcp-workers: 1
		    background-workers: 1
		control:
		    listen: "$d/knot.sock"
		log:
		  - target: stderr
		    any: warning
		database:
		    storage: "$d/db"
		template:
		  - id: default
		    storage: "$d"
		    file: "%s.zone"
		    zonefile-sync: -1
		    zonefile-load: whole
		    journal-content: none
		zone:
		  - domain: example.org
		EOF
		$srvpin knotd -c "$d/knot.conf" >"$d/out" 2>&1 </dev/null &
		pid=$!
		PIDS="$PIDS $pid"
		if wait_soa "$port" 30; then
			PORT_knot=$port PID_knot=$pid
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	done
	say "knotd did not answer: $(tail -n 3 "$d/out" | tr '\n' ' ')"
	return 1
}

start_timbre && SERVERS="$SERVERS timbre"
start_nsd && SERVERS="$SERVERS nsd"
start_knot && SERVERS="$SERVERS knot"

label() {
	case $1 in
	timbre) echo timbre-primaryd ;;
	nsd) echo NSD ;;
	knot) echo "Knot DNS" ;;
	esac
}
port_of() { eval echo "\$PORT_$1"; }

# answer PORT NAME TYPE: "RCODE AA" and the answer section, sorted, one
# line, the way every server must give it.
answer() {
	dig @127.0.0.1 -p "$1" +norec +time=2 +tries=2 +nocookie "$2" "$3" \
	    2>/dev/null | awk '
	    /^;; ->>HEADER<<-/ { st = $6; sub(",", "", st) }
	    /^;; flags:/ { aa = ($0 ~ / aa[ ;]/) ? "aa" : "noaa" }
	    /^;; ANSWER SECTION:/ { ans = 1; next }
	    ans && /^$/ { ans = 0 }
	    ans { $1 = tolower($1); print "A", $0 | "sort" }
	    END { close("sort"); print "S", st, aa }' | tr '\n' '|'
}

# The check: every server answers the sample like the others and as the
# kind of query says; NSD (else the first server) is the reference.
ref=
for s in nsd $SERVERS; do
	case " $SERVERS " in *" $s "*) ref=$s; break ;; esac
done
if [ -n "$ref" ]; then
	while read -r name type kind; do
		a=$(answer "$(port_of "$ref")" "$name" "$type")
		echo "$a" >>"$T/ref.answers"
	done <"$T/checks"
fi
checked=
for s in $SERVERS; do
	bad=0
	exec 3<"$T/ref.answers"
	while read -r name type kind; do
		read -r want <&3
		got=$(answer "$(port_of "$s")" "$name" "$type")
		case $kind in
		hit) ok=$(printf '%s' "$got" | grep -c '^A .*S NOERROR aa|$') ;;
		nxdomain) ok=$(printf '%s' "$got" | grep -c '^S NXDOMAIN aa|$') ;;
		nodata) ok=$(printf '%s' "$got" | grep -c '^S NOERROR aa|$') ;;
		esac
		if [ "$ok" != 1 ] || [ "$got" != "$want" ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && say "  $(label "$s"): $name $type ($kind):" \
			    "got '$got', $(label "$ref") gave '$want'"
		fi
	done <"$T/checks"
	exec 3<&-
	n=$(wc -l <"$T/checks")
	if [ "$bad" = 0 ]; then
		say "answers: $(label "$s") on 127.0.0.1:$(port_of "$s"): $n sample" \
		    "queries answered as expected"
		checked="$checked $s"
	else
		say "answers: $(label "$s"): $bad of $n sample queries wrong; not measured"
	fi
done
SERVERS=$checked
say ""
if [ -z "$SERVERS" ]; then
	say "bench/dns-auth: no server to measure"
	finish
fi

# cpu_ticks PID: the CPU time (user + system, clock ticks) of PID, its
# threads and its descendants (NSD serves from a child process).
cpu_ticks() {
	for f in /proc/[0-9]*/stat; do
		sed 's/^\([0-9]*\) (.*) /\1 /' "$f" 2>/dev/null
	done | awk -v root="$1" '
	    { par[$1] = $3; t[$1] = $13 + $14 }
	    END {
		for (p in t) {
			q = p
			for (d = 0; d < 16 && q != root && q > 1; d++)
				q = par[q]
			if (q == root)
				sum += t[p]
		}
		print sum + 0
	    }'
}
pid_of() { eval echo "\$PID_$1"; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# The rounds: each server in turn, the order rotated every round.  Each
# run records queries/s, lost queries and the server's CPU seconds.
order=$SERVERS
r=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	for s in $order; do
		t0=$(cpu_ticks "$(pid_of "$s")")
		$cltpin dnsperf -s 127.0.0.1 -p "$(port_of "$s")" -d "$T/queries" \
		    -l "$seconds" -c "$clients" -T 1 -q 100 >"$T/perf.$s.$r" 2>&1
		t1=$(cpu_ticks "$(pid_of "$s")")
		qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' \
		    "$T/perf.$s.$r")
		done_=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' \
		    "$T/perf.$s.$r")
		lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$T/perf.$s.$r")
		# queries/s, lost, server CPU seconds, queries per CPU second
		awk -v q="${qps:-0}" -v l="${lost:-?}" -v n="${done_:-0}" \
		    -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN {
		    c = t / hz; print q, l, c, (c > 0 ? n / c : 0) }' \
		    >"$T/qps.$s.$r"
	done
	order="$(echo "$order" | awk '{ for (i = 2; i <= NF; i++) printf "%s ", $i; print $1 }')"
done

# The table: queries/s per round and the best; the best round's lost
# queries, the server's CPU use in it and its queries per CPU second; the
# rcodes of the best round.
hdr=$(awk -v n="$rounds" 'BEGIN { printf "  %-16s", "server"
    for (i = 1; i <= n; i++) printf " %9s", "round " i
    printf " %10s %5s %6s %11s", "best q/s", "lost", "CPU", "q/CPU-s"; print "" }')
say "queries/s (q/s); for the best round: queries lost, the server's CPU"
say "use (1.00 = one CPU all the time) and queries per CPU second:"
say "$hdr"
for s in $SERVERS; do
	line=$(printf '  %-16s' "$(label "$s")")
	best=0 bestr=1
	r=0
	while [ "$r" -lt "$rounds" ]; do
		r=$((r + 1))
		read -r q l c e <"$T/qps.$s.$r"
		line="$line$(printf ' %9.0f' "$q")"
		if awk -v a="$q" -v b="$best" 'BEGIN { exit !(a > b) }'; then
			best=$q bestr=$r
		fi
	done
	cp "$T/qps.$s.$bestr" "$T/best.$s"
	read -r q l c e <"$T/best.$s"
	say "$line$(awk -v q="$q" -v l="$l" -v c="$c" -v e="$e" -v s="$seconds" \
	    'BEGIN { printf(" %10.0f %5s %6.2f %11.0f", q, l, c / s, e) }')"
done
for s in $SERVERS; do
	read -r q l c e <"$T/best.$s"
	for r in $(seq 1 "$rounds"); do
		cmp -s "$T/qps.$s.$r" "$T/best.$s" && break
	done
	say "  $(label "$s") rcodes: $(sed -n 's/^ *Response codes: *//p' \
	    "$T/perf.$s.$r")"
done
say ""

# ratio A B FIELD BAR: A over B, best round over best round, FIELD 1
# (queries/s) or 4 (queries per CPU second), with the range of the
# same-round ratios.
ratio() {
	l="$(label "$1") / $(label "$2")"
	if [ ! -s "$T/best.$1" ] || [ ! -s "$T/best.$2" ]; then
		say "$(printf '  %-30s    n/a' "$l")"
		return
	fi
	rr=
	for r in $(seq 1 "$rounds"); do
		rr="$rr $(cut -d' ' -f"$3" "$T/qps.$1.$r")/$(cut -d' ' -f"$3" \
		    "$T/qps.$2.$r")"
	done
	say "$(awk -v l="$l" -v a="$(cut -d' ' -f"$3" "$T/best.$1")" \
	    -v b="$(cut -d' ' -f"$3" "$T/best.$2")" -v rr="$rr" -v bar="$4" \
	    'BEGIN {
	    if (b == 0) { printf("  %-30s    n/a\n", l); exit }
	    n = split(rr, p, " "); lo = 1e9; hi = 0
	    for (i = 1; i <= n; i++) {
		split(p[i], f, "/")
		if (f[2] > 0) { x = f[1] / f[2]; if (x < lo) lo = x; if (x > hi) hi = x }
	    }
	    sp = hi > 0 ? sprintf("(rounds %.3f..%.3f)", lo, hi) : ""
	    printf("  %-30s %6.3f  %-22s", l, a / b, sp)
	    if (bar != "") printf("  bar %.2f  %s", bar, a / b >= bar ? "PASS" : "BELOW")
	    print "" }')"
}
say "ratios of queries/s, best round over best round:"
ratio timbre nsd 1 1.00
ratio timbre knot 1 ""
ratio nsd knot 1 ""
say "cross-check, queries per CPU second of the server (other load on the"
say "machine taken out), best round over best round:"
ratio timbre nsd 4 1.00
ratio timbre knot 4 ""
finish
