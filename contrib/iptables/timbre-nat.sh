#!/bin/sh
# timbre-nat.sh: the seed deployment's NAT, as iptables rules.
#
# The daemons live on a private bridge (10.0.0.0/24 by default: the
# resolver at .2, timbre-primaryd at .3, timbre-signd at .4, timbre-listd
# at .5).  The host owns the one public address; this script makes it
#
#   - forward packets at all (net.ipv4.ip_forward = 1),
#   - masquerade what the private network sends out by the uplink (the
#     resolver's queries, the list's deliveries),
#   - send DNS (UDP and TCP port 53) arriving on the uplink to the primary,
#     and SMTP (TCP port 25) to timbre-listd, by DNAT: the daemons see the
#     client's own address, which SPF and the resolver's --allow need,
#   - and accept in FORWARD exactly those flows (new connections from the
#     uplink to the two services, anything from the private network out by
#     the uplink, and the replies), so that a FORWARD policy of DROP lets
#     them through and nothing else;
#   - with --public ADDR (the uplink's public address), hairpin NAT: hosts
#     of the private network that ask the public address for port 53 or
#     25 reach the primary and listd too, as the world does.  The resolver
#     needs it to resolve the domain, whose name server the parent zone
#     names at the public address.  Those connections are masqueraded as
#     the host's address on the bridge, so that the replies come back
#     through the host.
#
# Every rule carries the comment "timbre-nat" and is added only if an
# identical one is not there yet (iptables -C): running the script twice
# leaves one copy of each.  --remove deletes them (ip_forward is left as
# it is: other things on the host may need it).  --dry-run prints the
# commands instead of running them.  contrib/iptables/timbre-nat.nft is
# the same ruleset for nftables.
#
# Usage: timbre-nat.sh [--uplink IF] [--subnet CIDR] [--primary ADDR]
#                      [--listd ADDR] [--public ADDR] [--dry-run] [--remove]
set -eu

uplink=
subnet=10.0.0.0/24
primary=10.0.0.3
listd=10.0.0.5
public=
dry=
remove=
tag=timbre-nat

usage()
{
	cat <<-EOF
	usage: timbre-nat.sh [options]
	  --uplink IF      the interface facing the internet (default: the
	                   interface of the default route)
	  --subnet CIDR    the private network (default 10.0.0.0/24)
	  --primary ADDR   timbre-primaryd, gets port 53 (default 10.0.0.3)
	  --listd ADDR     timbre-listd, gets port 25 (default 10.0.0.5)
	  --public ADDR    the public address: hairpin NAT for the private
	                   network (default: none)
	  --dry-run        print the commands, change nothing
	  --remove         delete the rules this script adds
	EOF
}

die()
{
	echo "timbre-nat: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--uplink|--subnet|--primary|--listd|--public)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $1 in
		--uplink) uplink=$2 ;;
		--subnet) subnet=$2 ;;
		--primary) primary=$2 ;;
		--listd) listd=$2 ;;
		--public) public=$2 ;;
		esac
		shift 2 ;;
	--dry-run) dry=1; shift ;;
	--remove) remove=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

# Everything is checked before the first rule, so that a typo leaves the
# tables as they were.
ipv4='^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$'
valid_ip()
{
	printf '%s\n' "$1" | grep -qE "$ipv4" &&
	    printf '%s\n' "$1" | tr . '\n' | awk '$1 > 255 { bad = 1 }
		END { exit bad }'
}
valid_ip "$primary" || die "--primary $primary: not an IPv4 address"
valid_ip "$listd" || die "--listd $listd: not an IPv4 address"
[ -z "$public" ] || valid_ip "$public" ||
    die "--public $public: not an IPv4 address"
case $subnet in
*/*) valid_ip "${subnet%/*}" && [ "${subnet#*/}" -ge 0 ] 2>/dev/null &&
	[ "${subnet#*/}" -le 32 ] ||
	die "--subnet $subnet: not an IPv4 network (ADDR/LEN)" ;;
*) die "--subnet $subnet: not an IPv4 network (ADDR/LEN)" ;;
esac
if [ -z "$uplink" ]; then
	uplink=$(ip -4 route show default 2>/dev/null |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
	[ -n "$uplink" ] || die "no default route: name the uplink with --uplink"
fi
# A rule on a missing interface would be accepted and never match: refuse.
ip link show dev "$uplink" >/dev/null 2>&1 ||
    die "uplink $uplink: no such interface (see ip link); no rule added"
if [ -z "$dry" ]; then
	command -v iptables >/dev/null 2>&1 ||
	    die "iptables not found (apt-get install iptables)"
	[ "$(id -u)" -eq 0 ] || die "changing the firewall needs root"
fi

# The rules: table, chain, and the match and target.  FORWARD rules are
# inserted at the top (-I) so that a DROP rule already there does not come
# first; the nat rules are appended.
rules()
{
	c="-m comment --comment $tag"

	echo "nat POSTROUTING -A -s $subnet -o $uplink $c -j MASQUERADE"
	echo "nat PREROUTING -A -i $uplink -p udp --dport 53 $c -j DNAT --to-destination $primary:53"
	echo "nat PREROUTING -A -i $uplink -p tcp --dport 53 $c -j DNAT --to-destination $primary:53"
	echo "nat PREROUTING -A -i $uplink -p tcp --dport 25 $c -j DNAT --to-destination $listd:25"
	echo "filter FORWARD -I -i $uplink -d $primary -p udp --dport 53 -m conntrack --ctstate NEW,ESTABLISHED $c -j ACCEPT"
	echo "filter FORWARD -I -i $uplink -d $primary -p tcp --dport 53 -m conntrack --ctstate NEW,ESTABLISHED $c -j ACCEPT"
	echo "filter FORWARD -I -i $uplink -d $listd -p tcp --dport 25 -m conntrack --ctstate NEW,ESTABLISHED $c -j ACCEPT"
	echo "filter FORWARD -I -s $subnet -o $uplink $c -j ACCEPT"
	echo "filter FORWARD -I -d $subnet -i $uplink -m conntrack --ctstate ESTABLISHED,RELATED $c -j ACCEPT"
	[ -n "$public" ] || return 0
	echo "nat PREROUTING -A -s $subnet -d $public -p udp --dport 53 $c -j DNAT --to-destination $primary:53"
	echo "nat PREROUTING -A -s $subnet -d $public -p tcp --dport 53 $c -j DNAT --to-destination $primary:53"
	echo "nat PREROUTING -A -s $subnet -d $public -p tcp --dport 25 $c -j DNAT --to-destination $listd:25"
	echo "nat POSTROUTING -A -s $subnet -d $subnet -m conntrack --ctstate DNAT $c -j MASQUERADE"
	echo "filter FORWARD -I -s $subnet -d $subnet -m conntrack --ctstate DNAT $c -j ACCEPT"
}

run()
{
	if [ -n "$dry" ]; then
		echo "$*"
	else
		"$@"
	fi
}

if [ -z "$remove" ]; then
	run sysctl -q -w net.ipv4.ip_forward=1
fi
rules | while read -r table chain op spec; do
	# shellcheck disable=SC2086
	set -- $spec
	if [ -n "$remove" ]; then
		# -D removes one copy; repeat while one is left.
		if [ -n "$dry" ]; then
			run iptables -t "$table" -D "$chain" "$@"
			continue
		fi
		while iptables -t "$table" -C "$chain" "$@" 2>/dev/null; do
			iptables -t "$table" -D "$chain" "$@"
		done
	elif [ -n "$dry" ]; then
		run iptables -t "$table" "$op" "$chain" "$@"
	elif ! iptables -t "$table" -C "$chain" "$@" 2>/dev/null; then
		iptables -t "$table" "$op" "$chain" "$@"
	fi
done
