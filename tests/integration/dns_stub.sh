#!/bin/sh
# dns_stub.sh: the stub client (src/dns) against a real authoritative
# server.  Starts NSD as the current user on 127.0.0.1 and a random high
# port, with its configuration, zone, pid file and log in a temporary
# folder, serving TXT records (one string, several strings, several
# records, a CNAME to a TXT, one longer than 512 bytes and one longer than
# 1232 bytes, so that UDP answers are truncated and the client asks again
# over TCP), then asks with tests/unit/dns/dnsq over udp: and tcp: and
# checks what it prints.  Skips (77) when NSD is not installed.

set -u

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
DNSQ="$top_builddir/tests/unit/dns/dnsq"

NSD=$(command -v nsd 2>/dev/null || true)
[ -n "$NSD" ] || [ ! -x /usr/sbin/nsd ] || NSD=/usr/sbin/nsd
if [ -z "$NSD" ]; then
	echo "dns_stub: nsd not installed (apt-get install nsd): skipped"
	exit 77
fi
if [ ! -x "$DNSQ" ]; then
	echo "dns_stub: $DNSQ not built (make check builds it)"
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/dns_stub.XXXXXX") || exit 1
nsd_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$nsd_pid" ]; then
		kill "$nsd_pid" 2>/dev/null
		wait "$nsd_pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# Strings of n copies of a character: s 3 a -> aaa.
s() {
	i=0 out=
	while [ "$i" -lt "$1" ]; do
		out="$out$2"
		i=$((i + 1))
	done
	printf '%s' "$out"
}

A200=$(s 200 a) B200=$(s 200 b) C200=$(s 200 c) D250=$(s 250 d)
cat >"$dir/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@	SOA	ns hostmaster 1 3600 600 86400 300
@	NS	ns
ns	A	127.0.0.1
txt	TXT	"hello world"
multi	TXT	"v=DKIM1; k=rsa; " "p=ABC" "DEF"
two	TXT	"first"
two	TXT	"second"
alias	CNAME	txt
alias2	CNAME	alias
big	TXT	"$A200" "$B200" "$C200"
huge	TXT	"$D250" "$D250" "$D250" "$D250" "$D250" "$D250"
EOF

start_nsd() {
	port=$1
	cat >"$dir/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $port
	do-ip4: yes
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$dir"
	pidfile: "$dir/nsd.pid"
	database: ""
	zonelistfile: "$dir/zone.list"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	logfile: "$dir/nsd.log"
	server-count: 1
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: example.test
	zonefile: example.test.zone
EOF
	"$NSD" -d -c "$dir/nsd.conf" >>"$dir/nsd.out" 2>&1 &
	nsd_pid=$!
	# Up when it answers; gone when the port was taken.
	tries=0
	while [ "$tries" -lt 50 ]; do
		if ! kill -0 "$nsd_pid" 2>/dev/null; then
			wait "$nsd_pid" 2>/dev/null
			nsd_pid=
			return 1
		fi
		if "$DNSQ" -t 200 -r 0 "udp:127.0.0.1:$port" ns.example.test A \
		    2>/dev/null | grep -q '^status ok'; then
			return 0
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	return 1
}

attempt=0
until start_nsd $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000)); do
	attempt=$((attempt + 1))
	if [ -n "$nsd_pid" ]; then
		kill "$nsd_pid" 2>/dev/null
		wait "$nsd_pid" 2>/dev/null
		nsd_pid=
	fi
	if [ "$attempt" -ge 5 ]; then
		echo "dns_stub: nsd does not start:"
		cat "$dir/nsd.out" "$dir/nsd.log" 2>/dev/null
		exit 1
	fi
done
echo "dns_stub: nsd $nsd_pid on 127.0.0.1 port $port"

fails=0
# expect NAME: runs dnsq with the remaining arguments, sorts its TXT lines
# and compares the whole output with the expected text on stdin.
expect() {
	what=$1
	shift
	cat >"$dir/want"
	"$DNSQ" -t 1000 "$@" >"$dir/out" 2>&1
	{ grep -v '^txt ' "$dir/out"; grep '^txt ' "$dir/out" | sort; } \
	    >"$dir/got"
	if cmp -s "$dir/want" "$dir/got"; then
		echo "ok: $what"
	else
		echo "FAIL: $what: dnsq $*"
		diff -u "$dir/want" "$dir/got" | cut -c1-200
		fails=$((fails + 1))
	fi
}

for tr in udp tcp; do
	srv="$tr:127.0.0.1:$port"
	expect "$tr one string" "$srv" txt.example.test TXT <<EOF
status ok rcode 0
txt hello world
EOF
	expect "$tr strings joined" "$srv" multi.example.test TXT <<EOF
status ok rcode 0
txt v=DKIM1; k=rsa; p=ABCDEF
EOF
	expect "$tr two records" "$srv" two.example.test TXT <<EOF
status ok rcode 0
txt first
txt second
EOF
	expect "$tr cname chain" "$srv" alias2.example.test TXT <<EOF
status ok rcode 0
txt hello world
EOF
	expect "$tr names ignore case" "$srv" TXT.Example.TEST. TXT <<EOF
status ok rcode 0
txt hello world
EOF
	expect "$tr 600 bytes, 512 advertised" -e 512 "$srv" big.example.test \
	    TXT <<EOF
status ok rcode 0
txt $A200$B200$C200
EOF
	expect "$tr 1500 bytes" "$srv" huge.example.test TXT <<EOF
status ok rcode 0
txt $D250$D250$D250$D250$D250$D250
EOF
	expect "$tr nxdomain" "$srv" nope.example.test TXT <<EOF
status nxdomain rcode 3
EOF
	expect "$tr nodata" "$srv" txt.example.test AAAA <<EOF
status nodata rcode 0
EOF
	expect "$tr refused" "$srv" example.org TXT <<EOF
status servfail rcode -1
EOF
done

# Nobody on the next port over: no answer, every retry.
expect "udp nobody there" -t 100 -r 1 "udp:127.0.0.1:$((port + 1))" \
    txt.example.test TXT <<EOF
status no answer rcode -1
EOF

if [ "$fails" -ne 0 ]; then
	echo "dns_stub: $fails failed; nsd log:"
	cat "$dir/nsd.log" 2>/dev/null
	exit 1
fi
echo "dns_stub: all passed"
exit 0
