# contrib/lab/netns.sh: network namespaces for the lab (lab.sh) and the
# NAT test (tests/integration/nat.sh), sourced by both.
#
# Everything is made inside namespaces named PREFIX-NAME (PREFIX starts
# with "timbre-"), so the machine's own interfaces, routes and firewall
# are never touched: a veth pair is created inside its first namespace
# and its other end moved into the second, and a bridge lives in the
# namespace that plays the host.  ns_down REGEX removes the namespaces
# whose names match and stops the processes left in them, which is also how a
# half-made lab from a killed run is cleaned up before the next.

# ns_add PREFIX NAME: a fresh namespace PREFIX-NAME with loopback up.
ns_add()
{
	local ns=$1-$2

	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns"
	ip -n "$ns" link set lo up
}

# ns_veth NS1 IF1 ADDR1/LEN NS2 IF2 ADDR2/LEN: a link between two
# namespaces (full names), addressed on both ends ("-" for none).
ns_veth()
{
	ip -n "$1" link add "$2" type veth peer name "$5"
	ip -n "$1" link set "$5" netns "$4"
	[ "$3" = - ] || ip -n "$1" addr add "$3" dev "$2"
	[ "$6" = - ] || ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# ns_bridge NS BRIDGE ADDR/LEN: a bridge in NS, addressed.
ns_bridge()
{
	ip -n "$1" link add "$2" type bridge
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
}

# ns_bridge_port HOSTNS BRIDGE NS ADDR/LEN GATEWAY: NS joins BRIDGE of
# HOSTNS by a veth (eth0 in NS), with a default route by GATEWAY.
ns_bridge_port()
{
	local port=v-${3##*-}

	ns_veth "$1" "$port" - "$3" eth0 "$4"
	ip -n "$1" link set "$port" master "$2"
	ip -n "$3" route add default via "$5"
}

# ns_exec NS CMD...: run CMD in NS.
ns_exec()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# ns_down REGEX: stop every process in the namespaces whose whole name
# matches REGEX (grep -E; TERM, then KILL) and delete them.
ns_down()
{
	local ns pids i

	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' |
	    grep -E "^($1)\$"); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			for i in 1 2 3 4 5 6 7 8 9 10; do
				[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
				sleep 0.2
			done
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns"
	done
}
