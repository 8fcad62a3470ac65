# primary_sign_lib.sh: what primary_sign.sh and primary_nsec3.sh share
# (timbre-primaryd signing online, issue 22 part 2), sourced after
# primary_lib.sh with T, PRIMARYD and RESOLVERD set: zones signed by
# ldns-signzone, the signed root above them, timbre-primaryd on
# 127.0.0.4, and the two validators (timbre-resolverd on TPORT, Unbound on
# UPORT) whose answers are compared with what is expected.
TPORT=5301
UPORT=5302

# soa ZONE NS [SERIAL]: the $TTL line and the SOA of a zone file.
soa()
{
	printf '$TTL 300\n%s IN SOA %s hostmaster.%s %s 3600 900 604800 300\n' \
	    "$1" "$2" "$2" "${3:-1}"
}

# keys ZONE: a KSK and a ZSK by ldns-keygen, the DS in ZONE.ds.
keys()
{
	local ksk zsk

	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$1")
	zsk=$(ldns-keygen -a ECDSAP256SHA256 "$1")
	echo "$ksk $zsk" >"$1.keys"
	cp "$ksk.ds" "$1.ds"
}

# sign ZONE FILE: FILE.signed, by ZONE's keys.
sign()
{
	# shellcheck disable=SC2046
	ldns-signzone -f "$2.signed" "$2" $(cat "$1.keys")
}

# sign_root: the root (its DS in root.ds, hints in hints) delegating test.
# (whose DS is in test.ds) to 127.0.0.3, signed and served by NSD on
# 127.0.0.2.
sign_root()
{
	{
		soa . a.root.
		cat <<-EOF2
		. NS a.root.
		a.root. A 127.0.0.2
		test. NS ns1.test.
		ns1.test. A 127.0.0.3
		EOF2
		cat test.ds
	} >root
	keys .
	sign . root
	cp ..ds root.ds
	printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n' >hints
	integ_nsd_start_at 127.0.0.2 root . root.signed ||
	    { echo "not ok - NSD root"; exit 1; }
}

# sign_start_primary ZONE ARGS...: timbre-primaryd on 127.0.0.4 with
# ARGS, signing all, until ZONE answers; its pid in PRIMARY_PID.
sign_start_primary()
{
	local zone=$1 i

	shift
	integ_spawn "$T/primary.log" "$PRIMARYD" -f --log-level debug \
	    -c /dev/null --listen 127.0.0.4:53 \
	    --remote "file://$T/zone.git#main" --workdir "$T/work" --axfr \
	    --rrl-rate 0 --workers 1 --dnssec-sign all --dnssec-dir "$KEYS" \
	    "$@"
	PRIMARY_PID=$INTEG_LAST_PID
	for i in $(seq 1 50); do
		dig @127.0.0.4 +time=1 +tries=1 +norec "$zone" SOA \
		    2>/dev/null | grep -q 'status: NOERROR' && return 0
		sleep 0.2
	done
	echo "not ok - timbre-primaryd did not start"
	sed 's/^/#   /' "$T/primary.log"
	exit 1
}

# sign_wait PORT: until the resolver on PORT answers.
sign_wait()
{
	local i

	for i in $(seq 1 50); do
		dig @127.0.0.1 -p "$1" +time=1 +tries=1 . SOA >/dev/null 2>&1 &&
		    return 0
		sleep 0.2
	done
	echo "not ok - resolver on port $1 did not start"
	exit 1
}

# sign_validators: timbre-resolverd on TPORT (RESOLVERD_PID) and Unbound
# on UPORT (UNBOUND_PID), the root's DS their trust anchor.
sign_validators()
{
	integ_spawn "$T/resolverd.log" "$RESOLVERD" -f --log-level debug \
	    -c /dev/null --listen "127.0.0.1:$TPORT" --root-hints "$T/hints" \
	    --trust-anchor "$T/root.ds"
	RESOLVERD_PID=$INTEG_LAST_PID
	sign_unbound
	sign_wait "$TPORT"
}

# sign_unbound [LINES...]: Unbound on UPORT, LINES added to its
# configuration.  No aggressive use of cached NSEC (RFC 8198): a name an
# UPDATE adds must not be denied from the chain cached before it.
sign_unbound()
{
	integ_unbound_start 127.0.0.1 "$UPORT" \
	    "    aggressive-nsec: no" \
	    "    root-hints: \"$T/hints\"" \
	    "    trust-anchor-file: \"$T/root.ds\"" \
	    "    local-zone: \"test.\" nodefault" "$@"
	sign_wait "$UPORT"
}

# ask PORT NAME TYPE: "rcode ad|noad".
ask()
{
	dig @127.0.0.1 -p "$1" +time=10 +tries=2 +dnssec "$2" "$3" 2>&1 |
	    awk '/status:/ { s = $6; sub(",", "", s) }
		/^;; flags:/ { ad = ($0 ~ / ad[ ;]/) ? "ad" : "noad" }
		END { print s, ad }'
}

# validates NAME TYPE EXPECT [WHO]: timbre-resolverd and Unbound both
# answer EXPECT ("RCODE ad|noad"); with WHO, Unbound alone.
validates()
{
	local t u

	u=$(ask $UPORT "$1" "$2")
	t=$3
	[ $# -gt 3 ] || t=$(ask $TPORT "$1" "$2")
	if [ "$t" = "$3" ] && [ "$u" = "$3" ]; then
		ok "$1 $2: $3 from ${4:-timbre-resolverd and unbound}"
	else
		nok "$1 $2: timbre-resolverd $t, unbound $u, expected $3"
	fi
}
