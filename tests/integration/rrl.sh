#!/bin/sh
# rrl.sh: response rate limiting on timbre-primaryd's UDP answers (issue
# 16, part 2), so that its public port 53 is no amplifier.  A flood of one
# question from one address is cut to --rrl-rate answers a second, of the
# rest every --rrl-slip-th goes out truncated and the others are dropped;
# a client on another network meanwhile gets every answer; a flood of
# random names of one zone (NXDOMAIN) is one flow; dig and kdig, limited,
# take the truncated answer and retry over TCP, which is never limited;
# loopback is exempt by default; SIGHUP applies new settings; SIGUSR1
# logs the counters; bad values are refused at start.
set -eu
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/primary_lib.sh"

integ_init
integ_full_stacks	# libgit2's leaks are suppressed (tests/integration/lsan.supp)
integ_need_cmd git dig
T=$INTEG_TMP
PRIMARYD=$top_builddir/daemons/primaryd/timbre-primaryd
FLOOD="/usr/bin/python3 $top_srcdir/tests/integration/rrl_flood.py"
BARE=$T/zone.git

prim_repo_small

# Loopback is exempt by default: the test limits it by naming another
# network as the exempt one.
cat >"$T/primaryd.conf" <<-EOF2
	rrl-rate = 20
	rrl-slip = 2
	rrl-allow = 192.0.2.0/24
	EOF2
start_primary "$T/primary.log" -c "$T/primaryd.conf" --remote "file://$BARE#main" \
    --workdir "$T/work"

field() { # field NAME OUTPUT: the number after NAME= in OUTPUT
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# stats NAME: the counter NAME of the daemon's last SIGUSR1 line.
stats() {
	kill -USR1 "$PRIMARY_PID"
	sleep 0.5
	grep "primary stats" "$T/primary.log" | tail -n 1 | tr ' ' '\n' |
	    sed -n "s/^$1=//p"
}

# One question, 300 times, from 127.0.0.1.  The daemon's own counters
# say what it did with each; the client's count of what came back may
# be short of the truncated answers (a slow server under the sanitizers
# sends them in bursts its receive buffer may not hold).
d0=$(stats rrl_dropped)
s0=$(stats rrl_slipped)
out=$($FLOOD 127.0.0.1 "$PORT" 127.0.0.1 300 www.example.org)
echo "# flood from 127.0.0.1: $out"
full=$(field full "$out")
tc=$(field tc "$out")
dropped=$(($(stats rrl_dropped) - d0))
slipped=$(($(stats rrl_slipped) - s0))
echo "# the daemon: $dropped dropped, $slipped truncated"
# 20 a second; the flood may straddle one second boundary.
check "flood: at most the rate of whole answers ($full)" \
    test "$full" -ge 20 -a "$full" -le 40
# Of the 260 to 280 limited (fewer if the kernel dropped some of the
# burst before the daemon read it), one in two is truncated, the rest
# dropped.
check "flood: the limited ones slip, one in two truncated ($slipped)" \
    test "$slipped" -ge 100 -a "$slipped" -le 140
check "flood: the others dropped ($dropped)" \
    test "$dropped" -ge 100 -a "$dropped" -le 140 -a \
    "$((dropped - slipped))" -ge -1 -a "$((dropped - slipped))" -le 1
check "flood: the truncated answers reach the client ($tc)" \
    test "$tc" -ge 100 -a "$tc" -le "$slipped"

# Meanwhile, a client on another network is not limited.
out=$($FLOOD 127.0.0.1 "$PORT" 127.0.1.1 20 www.example.org)
check "another network: every answer whole ($out)" \
    test "$(field full "$out")" = 20

# A random-subdomain flood of one zone is one flow.
out=$($FLOOD 127.0.0.1 "$PORT" 127.0.2.1 200 example.org random)
echo "# random names from 127.0.2.1: $out"
check "random names: NXDOMAIN cut to the rate ($(field full "$out"))" \
    test "$(field full "$out")" -le 40
check "random names: answers were NXDOMAIN" \
    sh -c "printf '%s\n' '$out' | grep -q 'rcode=3:'"

# Limited, dig gets a truncated answer and asks again over TCP.
$FLOOD 127.0.0.1 "$PORT" 127.0.0.1 100 www.example.org >/dev/null
d=$(dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=3 www.example.org A \
    2>&1 || true)
if printf '%s\n' "$d" | grep -q "^www.example.org.*192.0.2.10" &&
    printf '%s\n' "$d" | grep -q "Truncated, retrying in TCP mode"; then
	ok "dig, limited: truncated, then the answer over TCP"
else
	printf '%s\n' "$d" | sed 's/^/# /'
	nok "dig, limited: truncated, then the answer over TCP"
fi
if command -v kdig >/dev/null 2>&1; then
	$FLOOD 127.0.0.1 "$PORT" 127.0.0.1 100 www.example.org >/dev/null
	k=$(kdig @127.0.0.1 -p "$PORT" +norec +retry=3 +time=1 \
	    www.example.org A 2>&1 || true)
	if printf '%s\n' "$k" | grep -q "192.0.2.10"; then
		ok "kdig, limited: gets the answer (falls back to TCP)"
	else
		printf '%s\n' "$k" | sed 's/^/# /'
		nok "kdig, limited: gets the answer (falls back to TCP)"
	fi
else
	integ_skipcase "kdig, limited" "kdig not installed (knot-dnsutils)"
fi

check "the start of limiting is logged" \
    grep -q "primary rrl limiting from=127.0.0.1" "$T/primary.log"
kill -USR1 "$PRIMARY_PID"
sleep 0.5
line=$(grep "primary stats" "$T/primary.log" | tail -n 1)
echo "# $line"
check "SIGUSR1: counters of dropped and truncated answers" \
    sh -c "printf '%s\n' '$line' | grep -Eq 'rrl=on .*rrl_dropped=[1-9][0-9]+ rrl_slipped=[1-9][0-9]+'"

# SIGHUP with the default exemption: loopback is never limited.
printf 'rrl-rate = 20\n' >"$T/primaryd.conf"
kill -HUP "$PRIMARY_PID"
sleep 1
out=$($FLOOD 127.0.0.1 "$PORT" 127.0.0.1 200 www.example.org)
check "after SIGHUP, loopback exempt: all 200 whole ($out)" \
    test "$(field full "$out")" = 200
# A bad value on reload is refused and the old settings kept.
printf 'rrl-rate = -5\n' >"$T/primaryd.conf"
kill -HUP "$PRIMARY_PID"
sleep 1
check "SIGHUP with a bad rate: configuration kept, said so" \
    grep -q "configuration kept: --rrl-rate -5" "$T/primary.log"
check "still answering" status_is NOERROR www.example.org A
integ_stop "$PRIMARY_PID"

# Bad values at start: exit 1 with what was wrong.
for bad in "--rrl-rate -1" "--rrl-slip 101" "--rrl-allow 10.0.0.0/33"; do
	if "$PRIMARYD" -f $bad --remote "file://$BARE#main" --workdir "$T/work" \
	    --listen "127.0.0.1:$PORT" >"$T/bad.out" 2>&1; then
		nok "$bad refused"
	else
		rc=$?
		check "$bad refused, exit 1: $(head -n1 "$T/bad.out")" \
		    test "$rc" = 1
	fi
done
integ_summary
