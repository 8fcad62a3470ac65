#!/bin/sh
# malformed.sh: timbre-primaryd and timbre-resolverd against a few thousand
# broken DNS messages each (tests/integration/malformed.py): random bytes,
# good queries with one field broken, every label length, names over 255
# octets, compression loops, broken OPT and TSIG records, odd counts, over
# UDP and TCP; after every batch each daemon must still be running and
# still answer a good query right (rcode, AA, the address).
#
# In a network namespace of its own (unshare -rn), as resolver.sh: NSD
# serves the root zone on 127.0.0.2 port 53 for the resolver; the primary
# serves example.org from a bare git repository (file://).  Loopback only.
#
# Environment: MALFORMED_SEED (default: random, printed), MALFORMED_UDP
# (UDP messages per daemon, default 3000), MALFORMED_TCP (TCP connections
# per daemon, default 300), MALFORMED_SECONDS (the generator gives up and
# fails after that, default 300).  INTEG_KEEP=1 keeps the messages of a
# failed batch (hex, one a line) with the daemons' logs.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"

integ_netns_reexec

integ_need_cmd nsd dig git python3
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
[ -x "$PRIMARYD" ] || integ_skip "$PRIMARYD not built"
[ -x "$RESOLVERD" ] || integ_skip "$RESOLVERD not built"
integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
T=$INTEG_TMP
SEED=${MALFORMED_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# seed $SEED: MALFORMED_SEED=$SEED repeats this run"

# ---- timbre-primaryd: example.org from a bare repository ----
gitc() { git -C "$T/w" -c user.name=test -c user.email=test@example.org "$@"; }
git init -q --bare "$T/zone.git"
git -C "$T/zone.git" symbolic-ref HEAD refs/heads/main
git init -q "$T/w"
gitc checkout -q -b main
"$top_builddir/tools/timbre" tsig-keygen up._update.example.org |
    head -n 1 >"$T/w/_keys"
cat >"$T/w/example.org" <<-EOF
	\$ORIGIN example.org.
	\$TTL 300
	@ SOA ns1 hostmaster 1 3600 900 604800 300
	@ NS ns1
	ns1 A 127.0.0.1
	www A 192.0.2.10
	*.wild TXT "wildcard"
	big TXT "$(printf '%0200d' 0)" "$(printf '%0200d' 1)"
	alias CNAME www
EOF
gitc add -A
gitc commit -q -m zone
gitc push -q "$T/zone.git" main

PPORT=5311
integ_spawn "$T/primaryd.log" "$PRIMARYD" -f --listen "127.0.0.1:$PPORT" \
    --remote "file://$T/zone.git#main" --workdir "$T/work"
PRIMARYD_PID=$INTEG_LAST_PID
if ! integ_wait_dns "$PPORT" example.org SOA 20; then
	integ_notok "timbre-primaryd starts" "$(tail -n 20 "$T/primaryd.log")"
	integ_summary
	exit 1
fi

# ---- timbre-resolverd, the root zone (NSD) its only upstream ----
cat >"$T/root" <<-EOF
	\$TTL 300
	. SOA a.root. hostmaster.root. 1 3600 900 604800 300
	. NS a.root.
	a.root. A 127.0.0.2
	www.example. A 192.0.2.20
	www.example. TXT "root"
EOF
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >"$T/hints"
integ_nsd_start_at 127.0.0.2 root . "$T/root" ||
    { integ_notok "NSD serves the root zone"; integ_summary; exit 1; }
RPORT=5312
integ_spawn "$T/resolverd.log" "$RESOLVERD" -f -c /dev/null \
    --listen "127.0.0.1:$RPORT" --root-hints "$T/hints" --no-dnssec
RESOLVERD_PID=$INTEG_LAST_PID
ok=
for i in $(seq 1 50); do
	if dig @127.0.0.1 -p "$RPORT" +time=1 +tries=1 www.example. A 2>/dev/null |
	    grep -q 'status: NOERROR'; then
		ok=1
		break
	fi
	sleep 0.2
done
if [ -z "$ok" ]; then
	integ_notok "timbre-resolverd starts" "$(tail -n 20 "$T/resolverd.log")"
	integ_summary
	exit 1
fi

# ---- the broken messages ----
mkdir "$T/dump"
rc=0
python3 "$top_srcdir/tests/integration/malformed.py" --seed "$SEED" \
    --udp "${MALFORMED_UDP:-3000}" --tcp "${MALFORMED_TCP:-300}" \
    --seconds "${MALFORMED_SECONDS:-300}" --dump "$T/dump" \
    --target "primaryd,$PPORT,$PRIMARYD_PID,www.example.org,192.0.2.10,aa" \
    --target "resolverd,$RPORT,$RESOLVERD_PID,www.example,192.0.2.20" \
    >"$T/malformed.out" 2>&1 || rc=$?
cat "$T/malformed.out"
INTEG_PASS=$((INTEG_PASS + $(grep -c '^ok - ' "$T/malformed.out" || true)))
INTEG_FAIL=$((INTEG_FAIL + $(grep -c '^not ok - ' "$T/malformed.out" || true)))
if [ "$rc" != 0 ] && ! grep -q '^not ok - ' "$T/malformed.out"; then
	integ_notok "malformed.py ran to its end" "exit status $rc"
fi

# ---- both still exit cleanly on SIGTERM ----
for d in primaryd resolverd; do
	eval pid=\$$(echo "$d" | tr a-z A-Z)_PID
	if ! kill -0 "$pid" 2>/dev/null; then
		integ_notok "timbre-$d: exit 0 on SIGTERM" "already dead:" \
		    "$(tail -n 15 "$T/$d.log")"
		integ_untrack "$pid"
		continue
	fi
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	integ_untrack "$pid"
	if [ "$st" = 0 ]; then
		integ_ok "timbre-$d: exit 0 on SIGTERM"
	else
		integ_notok "timbre-$d: exit 0 on SIGTERM" "exit status $st" \
		    "$(tail -n 15 "$T/$d.log")"
	fi
done
if [ "$INTEG_FAIL" -gt 0 ]; then
	echo "# seed $SEED: MALFORMED_SEED=$SEED repeats this run"
	[ -n "${INTEG_KEEP:-}" ] && echo "# logs and messages: $T"
fi
integ_summary
