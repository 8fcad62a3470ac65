#!/bin/bash
# nat.sh: contrib/iptables/timbre-nat.sh and timbre-nat.nft, inside network
# namespaces the test makes (contrib/lab/netns.sh), never on the machine's
# own tables:
#
#   client 192.0.2.1 --- up0 192.0.2.10  host  service 10.0.0.1/24
#                                                  |-- primary 10.0.0.3
#                                                  `-- listd   10.0.0.5
#
# The script's rules (iptables-save in the host namespace), running it
# twice (one copy of each), --dry-run (prints, adds nothing), an uplink
# that does not exist (refused, nothing added), --remove; and traffic:
# the client reaches the host's public address on UDP and TCP 53 and TCP
# 25 and lands on the primary and on listd, which see the client's own
# address; the primary reaching the client is seen as the public address
# (MASQUERADE); with a FORWARD policy of DROP nothing else gets through;
# with --public, listd asking the public address for port 53 reaches the
# primary (hairpin).  Then the same with the nftables file.  Needs root,
# ip and iptables.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/contrib/lab/netns.sh"

[ "$(id -u)" -eq 0 ] || integ_skip "needs root (network namespaces, iptables)"
integ_need_cmd ip iptables iptables-save
[ -x /usr/bin/python3 ] || integ_skip "/usr/bin/python3 not found"
ip netns add "timbre-nat-probe-$$" 2>/dev/null ||
    integ_skip "cannot create a network namespace (ip netns add)"
ip netns del "timbre-nat-probe-$$"

NAT=$top_srcdir/contrib/iptables/timbre-nat.sh
NFT=$top_srcdir/contrib/iptables/timbre-nat.nft
PEER=$top_srcdir/tests/integration/nat_peer.py
P=timbre-nat$$
H=$P-host
# Namespaces of an earlier run that was killed (its pid is gone).
for old in $(ip netns list | sed -n 's/^timbre-nat\([0-9][0-9]*\)-.*/\1/p' | sort -u); do
	kill -0 "$old" 2>/dev/null || ns_down "timbre-nat$old-.*"
done
integ_init
trap 'ns_down "$P-.*"; integ_cleanup' EXIT
T=$INTEG_TMP

ns_add "$P" host
ns_add "$P" client
ns_add "$P" primary
ns_add "$P" listd
ns_veth "$H" up0 192.0.2.10/24 "$P-client" eth0 192.0.2.1/24
ns_bridge "$H" service 10.0.0.1/24
ns_bridge_port "$H" service "$P-primary" 10.0.0.3/24 10.0.0.1
ns_bridge_port "$H" service "$P-listd" 10.0.0.5/24 10.0.0.1
# The client knows only its own network, as a host on the internet would;
# for the "nothing else" case it is given a route to the private one.
iptables_nat() { ns_exec "$H" iptables-save | grep -c -- '--comment timbre-nat' || true; }

check()
{
	if eval "$2"; then
		integ_ok "$1"
	else
		integ_notok "$1" "${3:-}"
	fi
}

# ---- refused, dry run ----
if ns_exec "$H" "$NAT" --uplink nosuch0 >"$T/refused.out" 2>&1; then
	integ_notok "an uplink that does not exist is refused"
else
	check "an uplink that does not exist is refused, with a reason" \
	    "grep -q 'nosuch0: no such interface' '$T/refused.out'" \
	    "$(cat "$T/refused.out")"
fi
check "... and no rule was added" '[ "$(iptables_nat)" -eq 0 ]'
ns_exec "$H" "$NAT" --uplink up0 --subnet 10.0.0.0/24 --primary 10.0.0.3 \
    --listd 10.0.0.5 --dry-run >"$T/dry.out"
check "--dry-run prints the 9 rules" \
    "[ \$(grep -c '^iptables ' '$T/dry.out') -eq 9 ]" "$(cat "$T/dry.out")"
check "--dry-run adds nothing" '[ "$(iptables_nat)" -eq 0 ]'
check "--dry-run leaves ip_forward alone" \
    '[ "$(ns_exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 0 ]'
check "bad addresses are refused" \
    "! ns_exec '$H' '$NAT' --uplink up0 --primary 10.0.0.300 2>/dev/null"

# ---- the rules ----
ns_exec "$H" "$NAT" --uplink up0
ns_exec "$H" iptables-save | grep -- '--comment timbre-nat' |
    sed 's/ -m comment --comment timbre-nat//' | sort >"$T/rules"
cat >"$T/expected" <<'EOF'
-A FORWARD -d 10.0.0.0/24 -i up0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -d 10.0.0.3/32 -i up0 -p tcp -m tcp --dport 53 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
-A FORWARD -d 10.0.0.3/32 -i up0 -p udp -m udp --dport 53 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
-A FORWARD -d 10.0.0.5/32 -i up0 -p tcp -m tcp --dport 25 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
-A FORWARD -s 10.0.0.0/24 -o up0 -j ACCEPT
-A POSTROUTING -s 10.0.0.0/24 -o up0 -j MASQUERADE
-A PREROUTING -i up0 -p tcp -m tcp --dport 25 -j DNAT --to-destination 10.0.0.5:25
-A PREROUTING -i up0 -p tcp -m tcp --dport 53 -j DNAT --to-destination 10.0.0.3:53
-A PREROUTING -i up0 -p udp -m udp --dport 53 -j DNAT --to-destination 10.0.0.3:53
EOF
check "iptables-save holds exactly the seed's rules" \
    "diff '$T/expected' '$T/rules' >'$T/rules.diff'" "$(cat "$T/rules.diff" 2>/dev/null)"
check "net.ipv4.ip_forward is 1 in the host namespace" \
    '[ "$(ns_exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]'
ns_exec "$H" "$NAT" --uplink up0
check "run twice: one copy of each rule" '[ "$(iptables_nat)" -eq 9 ]' \
    "$(ns_exec "$H" iptables-save | grep timbre-nat)"

# ---- traffic ----
serve() # serve NS PROTO ADDR PORT
{
	integ_spawn "$T/serve-${1##*-}-$2-$4.log" ns_exec "$1" /usr/bin/python3 \
	    "$PEER" serve "$2" "$3" "$4"
	for i in $(seq 1 50); do
		grep -q listening "$T/serve-${1##*-}-$2-$4.log" && return 0
		sleep 0.1
	done
	integ_notok "listener $*" "$(cat "$T/serve-${1##*-}-$2-$4.log")"
}
ask() # ask NS PROTO ADDR PORT: prints what the server saw
{
	ns_exec "$1" /usr/bin/python3 "$PEER" ask "$2" "$3" "$4" 2>&1 || true
}
serve "$P-primary" udp 10.0.0.3 53
serve "$P-primary" tcp 10.0.0.3 53
serve "$P-listd" tcp 10.0.0.5 25
serve "$P-listd" tcp 10.0.0.5 80
serve "$P-client" tcp 192.0.2.1 80
ns_exec "$H" iptables -P FORWARD DROP
ns_exec "$P-client" ip route add 10.0.0.0/24 via 192.0.2.10

# sees NAME NS PROTO ADDR PORT PEER: from NS, the server at ADDR:PORT
# answers and saw the client as PEER ("none": no answer at all).
sees()
{
	local r want=$6

	r=$(ask "$2" "$3" "$4" "$5")
	if [ "$want" = none ]; then
		check "$1" '[ "${r#peer=}" = "$r" ]' "got: $r"
	else
		check "$1" '[ "$r" = "peer=$want" ]' "got: $r"
	fi
}
traffic() # traffic WHAT: the cases every ruleset must pass
{
	sees "$1: UDP 53 at the public address reaches the primary, client's address kept" \
	    "$P-client" udp 192.0.2.10 53 192.0.2.1
	sees "$1: TCP 53 reaches the primary" "$P-client" tcp 192.0.2.10 53 192.0.2.1
	sees "$1: TCP 25 reaches listd" "$P-client" tcp 192.0.2.10 25 192.0.2.1
	sees "$1: the private network goes out masqueraded as 192.0.2.10" \
	    "$P-primary" tcp 192.0.2.1 80 192.0.2.10
}
hairpin() # hairpin WHAT: listd asks the public address
{
	sees "$1: hairpin: listd asking the public address (UDP 53) reaches the primary" \
	    "$P-listd" udp 192.0.2.10 53 10.0.0.1
	sees "$1: hairpin: TCP 53 too" "$P-listd" tcp 192.0.2.10 53 10.0.0.1
}
traffic iptables
sees "iptables: FORWARD lets nothing else in (TCP 80 of listd, routed)" \
    "$P-client" tcp 10.0.0.5 80 none
sees "iptables: no hairpin without --public" "$P-listd" tcp 192.0.2.10 53 none
ns_exec "$H" "$NAT" --uplink up0 --public 192.0.2.10
check "--public adds the 5 hairpin rules" '[ "$(iptables_nat)" -eq 14 ]' \
    "$(ns_exec "$H" iptables-save | grep timbre-nat)"
hairpin iptables

# ---- removal ----
ns_exec "$H" "$NAT" --uplink up0 --public 192.0.2.10 --remove
check "--remove deletes every rule" '[ "$(iptables_nat)" -eq 0 ]' \
    "$(ns_exec "$H" iptables-save | grep timbre-nat)"
sees "... and port 25 is no longer forwarded" "$P-client" tcp 192.0.2.10 25 none
ns_exec "$H" "$NAT" --uplink up0 --remove
check "--remove twice is harmless" '[ "$(iptables_nat)" -eq 0 ]'

# ---- nftables ----
ns_exec "$H" iptables -P FORWARD ACCEPT
if command -v nft >/dev/null 2>&1; then
	nftload() {
		ns_exec "$H" nft -D uplink=up0 -D subnet=10.0.0.0/24 \
		    -D primary=10.0.0.3 -D listd=10.0.0.5 -D public=192.0.2.10 \
		    -f "$NFT"
	}
	nftload
	nftload
	n=$(ns_exec "$H" nft list table ip timbre | grep -c 'comment "timbre-nat"' || true)
	check "nft: the file loaded twice holds one copy of each of the 14 rules" \
	    '[ "$n" -eq 14 ]' "$(ns_exec "$H" nft list table ip timbre)"
	traffic nft
	hairpin nft
	ns_exec "$H" nft delete table ip timbre
	sees "nft: deleting the table ends the forwarding" \
	    "$P-client" tcp 192.0.2.10 25 none
else
	integ_skipcase "nftables file" "nft not found (apt-get install nftables)" 8
fi

integ_summary
