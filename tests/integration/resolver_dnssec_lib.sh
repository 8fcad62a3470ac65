# resolver_dnssec_lib.sh: what resolver_dnssec.sh,
# resolver_dnssec_diff.sh and resolver_samesrv.sh share: a network
# namespace of the test's own (unshare -rn, so that NSD may serve port 53
# on 127.0.0.2 and up and nothing reaches another network), signing a
# zone with ldns-signzone,
# timbre-resolverd and Unbound started side by side with the same root
# hints and trust anchor, and a question asked of both, compared.
#
# Source it after setting top_srcdir and top_builddir, before anything
# else: it re-executes the calling script inside the namespace.

if [ -z "${RESOLVER_TEST_NETNS:-}" ]; then
	command -v unshare >/dev/null 2>&1 || integ_skip "unshare not found"
	command -v ip >/dev/null 2>&1 || integ_skip "ip (iproute2) not found"
	unshare -rn true 2>/dev/null ||
	    integ_skip "cannot create a network namespace (unshare -rn)"
	RESOLVER_TEST_NETNS=1
	export RESOLVER_TEST_NETNS top_srcdir top_builddir
	exec unshare -rn /bin/sh -c 'ip link set lo up && exec /bin/sh "$0" "$@"' \
	    "$0" "$@"
fi

integ_need_cmd nsd dig ldns-keygen ldns-signzone unbound
RESOLVERD=$top_builddir/daemons/resolverd/timbre-resolverd
[ -x "$RESOLVERD" ] || integ_skip "$RESOLVERD not built"
# Leaks inside ldns are not ours (sanitizer builds only).
LSAN_OPTIONS=suppressions=$top_srcdir/tests/data/resolver/lsan.supp
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS ASAN_OPTIONS

# rd_soa ZONE NS: the SOA line of a zone file (negative TTL 300).
rd_soa()
{
	printf '$TTL 300\n%s IN SOA %s hostmaster.%s 1 3600 900 604800 300\n' \
	    "$1" "$2" "$2"
}

# rd_sign ZONE FILE [nsec3 [ARGS]]: keys (ECDSA P-256) made here,
# FILE.signed, ZONE.ds the DS of the KSK; ARGS the NSEC3 options of
# ldns-signzone (default: salt abcd, no extra iteration); RD_SIGN_DATES
# may hold -i and -e options of ldns-signzone (signatures out of date).
rd_sign()
{
	local zone=$1 file=$2 ksk zsk

	ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$zone")
	zsk=$(ldns-keygen -a ECDSAP256SHA256 "$zone")
	cat "$ksk.key" "$zsk.key" >>"$file"
	if [ "${3:-}" = nsec3 ]; then
		# shellcheck disable=SC2086
		ldns-signzone ${RD_SIGN_DATES:-} -n ${4:--s abcd -t 0} "$file" \
		    "$ksk" "$zsk"
	else
		# shellcheck disable=SC2086
		ldns-signzone ${RD_SIGN_DATES:-} "$file" "$ksk" "$zsk"
	fi
	cp "$ksk.ds" "$zone.ds"
	rm -f "$ksk.key" "$ksk.private" "$ksk.ds" "$zsk.key" "$zsk.private" \
	    "$zsk.ds"
}

# rd_wait_port PORT: until the resolver on 127.0.0.1:PORT answers.
rd_wait_port()
{
	local i

	for i in $(seq 1 50); do
		if dig @127.0.0.1 -p "$1" +time=1 +tries=1 . SOA \
		    >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# rd_resolvers HINTS ANCHOR: timbre-resolverd on 127.0.0.1:$TPORT and
# Unbound on 127.0.0.1:$UPORT, both with root hints HINTS and trust
# anchor ANCHOR (a DS file), both with EDE on.  Extra Unbound settings
# may come in $RD_UNBOUND_EXTRA (lines of "server:").
TPORT=5311
UPORT=5312
rd_resolvers()
{
	local T=$INTEG_TMP port hints=$1 anchor=$2 line

	integ_spawn "$T/resolverd.log" "$RESOLVERD" -f \
	    --log-level "${RD_LOG_LEVEL:-debug}" -c /dev/null \
	    --listen "127.0.0.1:$TPORT" --root-hints "$hints" \
	    --trust-anchor "$anchor"
	RESOLVERD_PID=$INTEG_LAST_PID
	# RFC 6761 names Unbound answers itself by default: here they are
	# real.
	set -- "    root-hints: \"$hints\"" \
	    "    trust-anchor-file: \"$anchor\"" \
	    "    ede: yes" "    local-zone: \"test.\" nodefault" \
	    "    local-zone: \"example.\" nodefault" \
	    "    local-zone: \"invalid.\" nodefault"
	while IFS= read -r line; do
		[ -n "$line" ] && set -- "$@" "$line"
	done <<EOF
${RD_UNBOUND_EXTRA:-}
EOF
	integ_unbound_start 127.0.0.1 "$UPORT" "$@"
	for port in $TPORT $UPORT; do
		rd_wait_port "$port" || {
			echo "not ok - resolver on port $port did not start"
			tail -n 20 "$T/resolverd.log" "$T/unbound.log" \
			    "$T/unbound.out" 2>/dev/null | sed 's/^/#   /'
			exit 1
		}
	done
}

# rd_ask PORT NAME TYPE: "rcode ad|noad" then the answer records sorted,
# one "owner type rdata" a line, lower case, without TTLs.
rd_ask()
{
	local out

	out=$(dig @127.0.0.1 -p "$1" +time=10 +tries=2 +dnssec "$2" "$3" \
	    2>&1) || true
	printf '%s\n' "$out" | awk '
		/status:/ { s = $6; sub(",", "", s) }
		/^;; flags:/ { ad = ($0 ~ / ad[ ;]/) ? "ad" : "noad" }
		END { print s, ad }'
	printf '%s\n' "$out" | awk '
		/^;; ANSWER SECTION/ { a = 1; next }
		/^;; / || /^$/ { a = 0 }
		a { $2 = ""; print tolower($0) }' | sort
}

# rd_check NAME TYPE EXPECT ANSWERTYPES: EXPECT is "RCODE ad|noad";
# ANSWERTYPES the types the answer section has, sorted, space-separated
# ("-" for none).  The pass (resolved, cached) named in $pass.
rd_check()
{
	local name=$1 type=$2 expect=$3 types=$4 t u got

	t=$(rd_ask $TPORT "$name" "$type")
	u=$(rd_ask $UPORT "$name" "$type")
	got=$(echo "$t" | sed 1d | awk '{ print $3 }' | sort -u |
	    tr '\n' ' ' | sed 's/ $//')
	[ -n "$got" ] || got=-
	if [ "$(echo "$t" | head -n 1)" != "$expect" ] ||
	    [ "$got" != "$types" ]; then
		integ_notok "$name $type ($pass): timbre answers" \
		    "$(echo "$t" | head -n 1) with [$got], expected $expect" \
		    "with [$types]" "timbre:" "$t" "unbound:" "$u"
	elif [ "$t" != "$u" ]; then
		integ_notok "$name $type ($pass): timbre and unbound differ" \
		    "timbre:" "$t" "unbound:" "$u"
	else
		integ_ok "$name $type ($pass): $expect [$types], same as unbound"
	fi
}
