#!/bin/bash
# tests/integration/dkim_interop.sh: DKIM interoperability of `timbre dkim
# sign` / `timbre dkim verify` with two independent implementations from
# Debian: dkimpy (python3-dkim, through tests/integration/dkim_peer.py) and
# Perl Mail::DKIM (libmail-dkim-perl, through dkim_peer.pl).
#
# Every signer signs, every other implementation verifies: rsa-sha256 and
# ed25519-sha256, all four header/body canonicalisations on the messages
# where canonicalisation matters and relaxed/relaxed + simple/simple on the
# rest (tests/data/dkim/README.md names each message).  Then tampered
# messages every verifier must reject (with untouched-enough controls that
# must still pass), multiple signatures on one message, key records
# (revoked, missing selector, k= mismatch, t=s, t=y), signature times (x=
# passed, t= ahead), l=, rsa-sha1, timbre's default h=, the RFC 8463
# Appendix A vector, dkimpy's own dkimsign/dkimverify commands, and the
# CLI contract of `timbre dkim sign` (prepend only, line ends kept,
# --newline crlf, standard input).
#
# A case a peer cannot do (Mail::DKIM 1.20230212 has no ed25519-sha256;
# dkimpy does not check t=s) or gets wrong (Mail::DKIM's simple body without
# a final CRLF) is skipped with the reason printed, never silently.
#
# Keys are made with openssl at run time and served by an NSD this script
# starts on 127.0.0.1 (tests/integration/lib.sh).
#
# Run: top_builddir=/work/main/build top_srcdir=/work/main \
#          bash tests/integration/dkim_interop.sh
# INTEG_KEEP=1 keeps the temp dir (signed messages, verifier outputs).
# Exit: 0 all passed, 1 a case failed, 77 a peer is not installed.

# bash is needed (arrays, [[ ]]); make check runs us with $(SHELL)
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

DATA=$top_srcdir/tests/data/dkim
PEER_PY=$top_srcdir/tests/integration/dkim_peer.py
PEER_PL=$top_srcdir/tests/integration/dkim_peer.pl
TIMBRE=$top_builddir/tools/timbre
DOMAIN=interop.example
SUBDOMAIN=sub.interop.example
# h= for every signature: oversigns From and Subject (one more instance
# than the messages have), and X-Tag (the messages have at most three).
HEADERS=from:from:to:cc:subject:subject:date:message-id:mime-version
HEADERS=$HEADERS:content-type:content-transfer-encoding
HEADERS=$HEADERS:x-tag:x-tag:x-tag:x-tag:x-mixed-case:x-empty:x-long

# ---------------------------------------------------------------- peers

integ_need_cmd nsd nsd-checkconf dig openssl perl awk

# dkimpy is a Debian package: prefer the system python (a pyenv or venv
# python3 first on PATH usually lacks it).
PYTHON=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import dkim, dns.resolver, nacl.signing' 2>/dev/null; then
		PYTHON=$p
		break
	fi
done
[ -n "$PYTHON" ] ||
    integ_skip "dkimpy not found (apt-get install python3-dkim python3-dnspython python3-nacl)"
perl -MMail::DKIM -MNet::DNS -MCrypt::OpenSSL::RSA -e 1 2>/dev/null ||
    integ_skip "Mail::DKIM not found (apt-get install libmail-dkim-perl)"
MAILDKIM_VERSION=$(perl -MMail::DKIM -e 'print $Mail::DKIM::VERSION')
MAILDKIM_CAPS=" $(perl "$PEER_PL" caps) "
DKIMPY_VERSION=$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("dkimpy"))' 2>/dev/null || echo '?')

HAVE_TIMBRE=
if [ -x "$TIMBRE" ]; then
	HAVE_TIMBRE=1
else
	echo "# $TIMBRE not built: its cases are skipped"
fi

echo "# dkimpy $DKIMPY_VERSION ($PYTHON), Mail::DKIM $MAILDKIM_VERSION" \
    "(algorithms:$MAILDKIM_CAPS), timbre ${HAVE_TIMBRE:+$TIMBRE}"

# the exit status of timbre dkim verify when every line is [OK] or [EX]:
# 0, as timbre(1) says (dkimpy and Mail::DKIM count an expired signature
# as failed; their wrappers exit 1)
TIMBRE_EX_STATUS=0

SIGNERS="dkimpy maildkim timbre"
VERIFIERS="dkimpy maildkim timbre"
ALGS="rsa-sha256 ed25519-sha256"
CANONS="relaxed/relaxed simple/simple relaxed/simple simple/relaxed"
# messages where canonicalisation matters get all four canonicalisations,
# the others relaxed/relaxed and simple/simple
MSGS_ALLCANON="plain folded-headers trailing-whitespace trailing-blank-lines
    empty-body whitespace-body no-final-newline trailing-whitespace-no-newline
    trailing-whitespace-no-newline-crlf"
MSGS_TWOCANON="duplicate-headers no-body long-lines 8bit-body utf8-headers
    multipart large"
# large.eml (1 MiB of body) is made at run time, in the temp dir

declare -A PRETTY=([dkimpy]=dkimpy [maildkim]=Mail::DKIM [timbre]=timbre)

# CANNOT[IMPL:ALG]: why IMPL cannot do ALG, or nothing if it can
declare -A CANNOT=()
for alg in $ALGS; do
	case $MAILDKIM_CAPS in
	*" $alg "*) ;;
	*) CANNOT[maildkim:$alg]="Mail::DKIM $MAILDKIM_VERSION has no $alg" ;;
	esac
	[ -n "$HAVE_TIMBRE" ] ||
	    CANNOT[timbre:$alg]="timbre not built ($TIMBRE)"
done

integ_init
T=$INTEG_TMP
mkdir -p "$T/keys" "$T/signed" "$T/msg" "$T/out"
CASES=$T/cases
: >"$CASES"
for s in dkimpy maildkim; do
	: >"$T/jobs.$s.sign"
	: >"$T/jobs.$s.verify"
done

# ---------------------------------------------------------------- keys, DNS

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/keys/rsa.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$T/keys/ed.pem" 2>/dev/null
RSA_P=$(openssl pkey -in "$T/keys/rsa.pem" -pubout -outform DER | base64 -w0)
ED_P=$(openssl pkey -in "$T/keys/ed.pem" -pubout -outform DER |
    tail -c 32 | base64 -w0)

txt()
{
	integ_txt_strings "$1"
}

cat >"$T/$DOMAIN.zone" <<EOF
\$ORIGIN $DOMAIN.
\$TTL 300
@	IN SOA	ns.$DOMAIN. hostmaster.$DOMAIN. 1 3600 600 86400 300
@	IN NS	ns
ns	IN A	127.0.0.1
rsa._domainkey		IN TXT $(txt "v=DKIM1; k=rsa; p=$RSA_P")
ed._domainkey		IN TXT $(txt "v=DKIM1; k=ed25519; p=$ED_P")
revoked._domainkey	IN TXT $(txt "v=DKIM1; k=rsa; p=")
strict._domainkey	IN TXT $(txt "v=DKIM1; k=rsa; t=s; p=$RSA_P")
rsa._domainkey.sub	IN TXT $(txt "v=DKIM1; k=rsa; p=$RSA_P")
ed._domainkey.sub	IN TXT $(txt "v=DKIM1; k=ed25519; p=$ED_P")
testing._domainkey	IN TXT $(txt "v=DKIM1; k=rsa; t=y; p=$RSA_P")
big._domainkey		IN TXT $(txt "v=DKIM1; k=rsa; n=$(printf '%0900d' 0 | tr 0 n); p=$RSA_P")
; missing._domainkey: no such name (NXDOMAIN)
EOF

integ_nsd_start "$DOMAIN" "$T/$DOMAIN.zone" \
    football.example.com "$DATA/football.example.com.zone" ||
    { echo "Bail out! NSD did not start"; exit 1; }
PORT=$INTEG_NSD_PORT
echo "# NSD on 127.0.0.1:$PORT (pid $INTEG_NSD_PID), temp dir $T"

# the served record must be the one we made, split in 255-byte strings
got=$(dig @127.0.0.1 -p "$PORT" +short +norec rsa._domainkey.$DOMAIN TXT |
    sed 's/" "//g; s/"//g')
[ "$got" = "v=DKIM1; k=rsa; p=$RSA_P" ] ||
    { echo "Bail out! NSD serves a different rsa key record: $got"; exit 1; }

# ---------------------------------------------------------------- signing

declare -A KEYFILE=([rsa-sha256]=$T/keys/rsa.pem [rsa-sha1]=$T/keys/rsa.pem
    [ed25519-sha256]=$T/keys/ed.pem)
declare -A SELECTOR=([rsa-sha256]=rsa [rsa-sha1]=rsa [ed25519-sha256]=ed)

# sign SIGNER OUT IN ALG CANON [OPTION VALUE]...: queue (dkimpy,
# Mail::DKIM) or run (timbre) one signing; OUT is written, or OUT.err on
# failure.  Options: --selector S, --domain D, --identity I, --timestamp T
# and --expiration X (timbre: --time T --expire X-T), --length yes (dkimpy:
# l=), --headers default (the signer's own choice instead of $HEADERS).
sign()
{
	local signer=$1 out=$2 in=$3 alg=$4 canon=$5 rc
	local sel=${SELECTOR[$alg]} dom=$DOMAIN headers=$HEADERS
	local id= ts= exp= len=
	local -a args

	shift 5
	while [ $# -ge 2 ]; do
		case $1 in
		--selector)	sel=$2 ;;
		--domain)	dom=$2 ;;
		--identity)	id=$2 ;;
		--timestamp)	ts=$2 ;;
		--expiration)	exp=$2 ;;
		--length)	len=$2 ;;
		--headers)	headers=$2 ;;
		*)		echo "sign: unknown option $1" >&2; exit 1 ;;
		esac
		shift 2
	done
	args=(--domain "$dom" --selector "$sel" --key "${KEYFILE[$alg]}"
	    --algorithm "$alg" --canon "$canon")
	[ "$headers" = default ] || args+=(--headers "$headers")
	[ -z "$id" ] || args+=(--identity "$id")
	case $signer in
	dkimpy|maildkim)
		[ -z "$ts" ] || args+=(--timestamp "$ts")
		[ -z "$exp" ] || args+=(--expiration "$exp")
		[ -z "$len" ] || args+=(--length)
		{
			printf 'sign'
			printf '\t%s' "${args[@]}" "$in" "$out"
			printf '\n'
		} >>"$T/jobs.$signer.sign"
		;;
	timbre)
		[ -z "$ts" ] || args+=(--time "$ts")
		[ -z "$exp" ] || args+=(--expire "$((exp - ts))")
		# CRLF input is signed as timbre(1) says to: --newline crlf
		! grep -q $'\r' "$in" || args+=(--newline crlf)
		rc=0
		"$TIMBRE" dkim sign "${args[@]}" "$in" \
		    >"$out.tmp" 2>"$out.stderr" || rc=$?
		if [ "$rc" -eq 0 ]; then
			mv "$out.tmp" "$out"
			printf '%s\t%s\n' "$out" "$in" >>"$T/timbre.signed"
		else
			{ echo "$TIMBRE dkim sign ${args[*]} $in: exit $rc"
			  cat "$out.stderr"; } >"$out.err"
			rm -f "$out.tmp"
		fi
		;;
	esac
}

# run the queued peer jobs of KIND (sign|verify), the two peers in parallel
run_peer_jobs()
{
	local kind=$1 pids= pid

	if [ -s "$T/jobs.dkimpy.$kind" ]; then
		integ_spawn "$T/dkimpy.$kind.log" "$PYTHON" "$PEER_PY" \
		    --dns-port "$PORT" batch "$T/jobs.dkimpy.$kind"
		pids="$pids $INTEG_LAST_PID"
	fi
	if [ -s "$T/jobs.maildkim.$kind" ]; then
		integ_spawn "$T/maildkim.$kind.log" perl "$PEER_PL" \
		    --dns-port "$PORT" batch "$T/jobs.maildkim.$kind"
		pids="$pids $INTEG_LAST_PID"
	fi
	for pid in $pids; do
		wait "$pid" || echo "# a $kind batch exited $?:" \
		    "$(cat "$T"/*."$kind".log)"
		integ_untrack "$pid"
	done
}

# msgpath NAME: the message NAME.eml, from tests/data/dkim or made here
msgpath()
{
	if [ -f "$DATA/$1.eml" ]; then
		echo "$DATA/$1.eml"
	else
		echo "$T/msg/$1.eml"
	fi
}

{
	sed -n '1,/^$/p' "$DATA/plain.eml" | sed 's/^Subject: .*/Subject: 1 MiB body/'
	awk 'BEGIN { for (i = 0; i < 16384; i++)
	    printf "%05d %057d\n", i, i * 7919 }'
} >"$T/msg/large.eml"

# the same message with CRLF line ends, as a file saved from the wire has
perl -pe 's/\n/\r\n/' "$DATA/trailing-whitespace-no-newline.eml" \
    >"$T/msg/trailing-whitespace-no-newline-crlf.eml"

# the matrix: signed/SIGNER.ALG.CANON.MSG.eml
matrix()
{
	local m c
	for m in $MSGS_ALLCANON; do
		for c in $CANONS; do
			echo "$m $c"
		done
	done
	for m in $MSGS_TWOCANON; do
		echo "$m relaxed/relaxed"
		echo "$m simple/simple"
	done
}

for signer in $SIGNERS; do
	for alg in $ALGS; do
		[ -z "${CANNOT[$signer:$alg]:-}" ] || continue
		while read -r m c; do
			sign "$signer" \
			    "$T/signed/$signer.$alg.${c/\//-}.$m.eml" \
			    "$(msgpath "$m")" "$alg" "$c"
		done < <(matrix)
	done
done

# multiple signatures: a bad one (over another body, d=sub.interop.example)
# and a good one (d=interop.example) on plain.eml
awk 'BEGIN { b = 0 } b == 1 && !done && NF { $0 = $0 " (other body)"; done = 1 }
    /^$/ { b = 1 } { print }' "$DATA/plain.eml" >"$T/msg/plain-other.eml"
for signer in $SIGNERS; do
	[ -z "${CANNOT[$signer:rsa-sha256]:-}" ] || continue
	sign "$signer" "$T/signed/$signer.multi-bad.eml" \
	    "$T/msg/plain-other.eml" rsa-sha256 relaxed/relaxed \
	    --domain "$SUBDOMAIN"
done

# key records: revoked (p=), missing selector, k=rsa record for an
# ed25519 signature, t=s with i= in a subdomain and with i= equal to d=,
# t=y (testing); signature times: x= two days ago (beyond dkimpy's 10 h
# leeway), t= an hour ahead (dkimpy cannot set t= or x=)
now=$(date +%s)
for signer in $SIGNERS; do
	[ -z "${CANNOT[$signer:rsa-sha256]:-}" ] || continue
	sign "$signer" "$T/signed/$signer.revoked.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --selector revoked
	sign "$signer" "$T/signed/$signer.missing.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --selector missing
	[ -n "${CANNOT[$signer:ed25519-sha256]:-}" ] ||
	sign "$signer" "$T/signed/$signer.kmismatch.eml" "$DATA/plain.eml" \
	    ed25519-sha256 relaxed/relaxed --selector rsa
	sign "$signer" "$T/signed/$signer.strict-sub.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --selector strict \
	    --identity "@$SUBDOMAIN"
	sign "$signer" "$T/signed/$signer.strict-same.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --selector strict --identity "@$DOMAIN"
	sign "$signer" "$T/signed/$signer.testing.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --selector testing
	[ "$signer" = dkimpy ] && continue
	sign "$signer" "$T/signed/$signer.expired.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --timestamp $((now - 259200)) \
	    --expiration $((now - 172800))
	sign "$signer" "$T/signed/$signer.future.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --timestamp $((now + 3600))
done
# a key record of 1.3 kB: UDP answers are truncated, even with EDNS 1232
for signer in $SIGNERS; do
	[ -n "${CANNOT[$signer:rsa-sha256]:-}" ] ||
	sign "$signer" "$T/signed/$signer.big.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --selector big
done
# Mail::DKIM only: h= names in mixed case, as given
sign maildkim "$T/signed/maildkim.mixed-case-h.eml" "$DATA/plain.eml" \
    rsa-sha256 simple/simple --headers From:TO:Subject:DATE:Message-Id:FROM
# dkimpy only: rsa-sha1 (RFC 8301 retired it), l= (body length)
sign dkimpy "$T/signed/dkimpy.rsa-sha1.eml" "$DATA/plain.eml" \
    rsa-sha1 relaxed/relaxed
sign dkimpy "$T/signed/dkimpy.length.eml" "$DATA/plain.eml" \
    rsa-sha256 relaxed/relaxed --length yes
# timbre only: its own choice of header fields (oversigned); --canon with
# the header part alone (the body is then simple)
if [ -n "$HAVE_TIMBRE" ]; then
	sign timbre "$T/signed/timbre.default-headers.eml" "$DATA/plain.eml" \
	    rsa-sha256 relaxed/relaxed --headers default
	for c in relaxed simple; do
		sign timbre "$T/signed/timbre.canon-$c.eml" \
		    "$DATA/trailing-whitespace.eml" rsa-sha256 "$c"
	done
fi

run_peer_jobs sign
echo "# ${SECONDS}s: signed"

# ---------------------------------------------------------------- messages

# body_edit IN OUT: change the first non-empty body line
body_edit()
{
	[ -f "$1" ] || return 0
	awk 'BEGIN { b = 0 }
	    b == 1 && !done && NF { $0 = $0 " (tampered)"; done = 1 }
	    /^$/ && b == 0 { b = 1 } { print }' "$1" >"$2"
}

# header_edit IN OUT: change the Subject (a signed header field)
header_edit()
{
	[ -f "$1" ] || return 0
	awk 'BEGIN { b = 0 } /^$/ { b = 1 }
	    b == 0 && /^[Ss]ubject:/ { $0 = $0 " (edited)" } { print }' \
	    "$1" >"$2"
}

# prepend TEXT IN OUT: a header field added on top
prepend()
{
	[ -f "$2" ] || return 0
	{ printf '%s\n' "$1"; cat "$2"; } >"$3"
}

# reorder IN OUT: swap the first and the third X-Tag field
reorder()
{
	[ -f "$1" ] || return 0
	sed 's/^X-Tag: first$/X-Tag: @@/; s/^X-Tag: third$/X-Tag: first/;
	    s/^X-Tag: @@$/X-Tag: third/' "$1" >"$2"
}

# whitespace IN OUT: whitespace only changes: relaxed/relaxed survives them
whitespace()
{
	[ -f "$1" ] || return 0
	awk 'BEGIN { b = 0 }
	    b == 0 && /^$/ { b = 1; print; next }
	    b == 0 && /^Subject: / { sub(/^Subject: /, "Subject:  \t");
	        gsub(/ /, "   "); $0 = $0 "  "; print; next }
	    b == 1 { print $0 "  \t"; next } { print }
	    END { print ""; print "" }' "$1" >"$2"
}

# first_field IN: the first header field of IN (with continuation lines)
first_field()
{
	awk 'NR == 1 { print; next } /^[ \t]/ { print; next } { exit }' "$1"
}

# rest_fields IN: IN without its first header field
rest_fields()
{
	awk 'NR == 1 { next } !done && /^[ \t]/ { next } { done = 1; print }' \
	    "$1"
}

# ---------------------------------------------------------------- verifying

NCASE=0

# verify VERIFIER NAME MSG EXPECT [NEEDLE]: queue (peers) or run (timbre)
# one verification and record the case.  EXPECT is the list of TAG:DOMAIN
# the verifier must print, one per DKIM-Signature in header order (TAG is
# OK, ER or EX), or NONE (no line at all, exit 1); the exit status must be
# 0 if all are OK (for timbre also EX, see TIMBRE_EX_STATUS), 1 otherwise.
# NEEDLE, if given, must appear in the output (the selector or the reason,
# with --verbose).  For timbre, TV_ARGS adds options, TV_NS replaces the
# name server (udp:127.0.0.1:PORT) and TV_STDIN=1 feeds the message on
# standard input.
verify()
{
	local verifier=$1 name=$2 msg=$3 expect=$4 needle=${5:-} out rc

	NCASE=$((NCASE + 1))
	out=$T/out/$NCASE.$verifier
	printf '%s\037%s\037%s\037%s\037%s\037%s\037%s\n' "$NCASE" \
	    "$verifier" "$name" "$msg" "$expect" "$needle" \
	    "${TV_NS:+-n $TV_NS }${TV_STDIN:+- <}${TV_ARGS:-}" >>"$CASES"
	if [ ! -f "$msg" ]; then
		return 0
	fi
	case $verifier in
	dkimpy|maildkim)
		printf 'verify\t%s\t%s\n' "$msg" "$out" \
		    >>"$T/jobs.$verifier.verify"
		;;
	timbre)
		rc=0
		if [ -n "${TV_STDIN:-}" ]; then
			"$TIMBRE" dkim verify -n "${TV_NS:-udp:127.0.0.1:$PORT}" \
			    --verbose ${TV_ARGS:-} - <"$msg" \
			    >"$out" 2>"$out.stderr" || rc=$?
		else
			"$TIMBRE" dkim verify -n "${TV_NS:-udp:127.0.0.1:$PORT}" \
			    --verbose ${TV_ARGS:-} "$msg" \
			    >"$out" 2>"$out.stderr" || rc=$?
		fi
		echo "$rc" >"$out.rc"
		;;
	esac
}

# skipcase NAME REASON [GROUP]: a case skipped; consecutive skips of one
# GROUP print as one line
skipcase()
{
	NCASE=$((NCASE + 1))
	printf '%s\037SKIP\037%s\037%s\037%s\037\037\n' "$NCASE" "$1" "$2" \
	    "${3:-}" >>"$CASES"
}

# quirk SIGNER VERIFIER MSG CANON: a known deviation of a peer from RFC
# 6376 that makes a case meaningless, or nothing
quirk()
{
	case $1:$2:$3:$4 in
	maildkim:*:*no-newline*:*/simple|*:maildkim:*no-newline*:*/simple|\
	maildkim:*:no-final-newline:*/simple|*:maildkim:no-final-newline:*/simple)
		echo "Mail::DKIM $MAILDKIM_VERSION hashes a simple body that" \
		    "lacks its final CRLF without adding one (RFC 6376 3.4.3" \
		    "adds it; dkimpy and timbre do)" ;;
	dkimpy:*:trailing-whitespace-no-newline*:*/relaxed|\
	*:dkimpy:trailing-whitespace-no-newline*:*/relaxed)
		echo "dkimpy $DKIMPY_VERSION keeps one space of the trailing" \
		    "whitespace of a last line that lacks its CRLF (relaxed" \
		    "body, RFC 6376 3.4.4 ignores it; Mail::DKIM and timbre do)" ;;
	esac
}

# verify_or_skip SIGNER VERIFIER ALG NAME MSG EXPECT [NEEDLE]
verify_or_skip()
{
	local signer=$1 verifier=$2 alg=$3 why

	shift 3
	why=${CANNOT[$signer:$alg]:-}
	[ -n "$why" ] || why=${CANNOT[$verifier:$alg]:-}
	if [ -n "$why" ]; then
		skipcase "$1" "$why" \
		    "${PRETTY[$signer]} -> ${PRETTY[$verifier]}: $alg"
	elif [ -n "${QUIRK:-}" ]; then
		skipcase "$1" "$QUIRK"
	else
		verify "$verifier" "$@"
	fi
}

# 1. the matrix: each signature checked by the two other implementations
for signer in $SIGNERS; do
	for verifier in $VERIFIERS; do
		[ "$signer" = "$verifier" ] && continue
		for alg in $ALGS; do
			while read -r m c; do
				n="${PRETTY[$signer]} -> ${PRETTY[$verifier]}: $alg $c $m.eml"
				QUIRK=$(quirk "$signer" "$verifier" "$m" "$c") \
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n" "$T/signed/$signer.$alg.${c/\//-}.$m.eml" \
				    "OK:$DOMAIN"
			done < <(matrix)
		done
	done
done

# 2. tampered messages: every verifier, whoever signed
for signer in $SIGNERS; do
	for alg in $ALGS; do
		[ -z "${CANNOT[$signer:$alg]:-}" ] || continue
		for c in relaxed/relaxed simple/simple; do
			s=${c/\//-}
			base=$T/signed/$signer.$alg.$s
			t=$T/msg/$signer.$alg.$s
			[ -f "$base.plain.eml" ] || continue
			body_edit "$base.plain.eml" "$t.body.eml"
			header_edit "$base.plain.eml" "$t.header.eml"
			prepend "Subject: injected" "$base.plain.eml" \
			    "$t.oversigned.eml"
			prepend "X-Unsigned: added in transit" \
			    "$base.plain.eml" "$t.unsigned.eml"
			prepend "X-Tag: fourth" "$base.duplicate-headers.eml" \
			    "$t.dup-added.eml"
			reorder "$base.duplicate-headers.eml" "$t.reorder.eml"
		done
		for c in $CANONS; do
			s=${c/\//-}
			[ -f "$T/signed/$signer.$alg.$s.plain.eml" ] || continue
			whitespace "$T/signed/$signer.$alg.$s.plain.eml" \
			    "$T/msg/$signer.$alg.$s.ws.eml"
		done
	done
done
for signer in $SIGNERS; do
	for alg in $ALGS; do
		for verifier in $VERIFIERS; do
			for c in relaxed/relaxed simple/simple; do
				t=$T/msg/$signer.$alg.${c/\//-}
				n="${PRETTY[$signer]} -> ${PRETTY[$verifier]}: $alg $c"
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n body changed: rejected" "$t.body.eml" \
				    "ER:$DOMAIN"
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n signed Subject changed: rejected" \
				    "$t.header.eml" "ER:$DOMAIN"
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n oversigned Subject added: rejected" \
				    "$t.oversigned.eml" "ER:$DOMAIN"
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n oversigned 4th X-Tag added: rejected" \
				    "$t.dup-added.eml" "ER:$DOMAIN"
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n duplicate X-Tag reordered: rejected" \
				    "$t.reorder.eml" "ER:$DOMAIN"
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "$n unsigned header added: still valid" \
				    "$t.unsigned.eml" "OK:$DOMAIN"
			done
			for c in $CANONS; do
				if [ "$c" = relaxed/relaxed ]; then
					e=OK what="still valid"
				else
					e=ER what=rejected
				fi
				verify_or_skip "$signer" "$verifier" "$alg" \
				    "${PRETTY[$signer]} -> ${PRETTY[$verifier]}: $alg $c whitespace changed: $what" \
				    "$T/msg/$signer.$alg.${c/\//-}.ws.eml" \
				    "$e:$DOMAIN"
			done
		done
	done
done

# 3. multiple signatures: one bad (other body, d=sub.interop.example) and
# one good, in both orders
for signer in $SIGNERS; do
	[ -z "${CANNOT[$signer:rsa-sha256]:-}" ] || continue
	good=$T/signed/$signer.rsa-sha256.relaxed-relaxed.plain.eml
	bad=$T/signed/$signer.multi-bad.eml
	[ -f "$good" ] && [ -f "$bad" ] || continue
	{ first_field "$bad"; cat "$good"; } >"$T/msg/$signer.multi-bad-first.eml"
	{ first_field "$good"; first_field "$bad"; rest_fields "$good"; } \
	    >"$T/msg/$signer.multi-good-first.eml"
done
for signer in $SIGNERS; do
	for verifier in $VERIFIERS; do
		n="${PRETTY[$signer]} signs twice -> ${PRETTY[$verifier]}:"
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n bad then good signature: [ER] then [OK]" \
		    "$T/msg/$signer.multi-bad-first.eml" \
		    "ER:$SUBDOMAIN OK:$DOMAIN"
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n good then bad signature: [OK] then [ER]" \
		    "$T/msg/$signer.multi-good-first.eml" \
		    "OK:$DOMAIN ER:$SUBDOMAIN"
	done
done

# 4. key records and signature times
for signer in $SIGNERS; do
	for verifier in $VERIFIERS; do
		n="${PRETTY[$signer]} -> ${PRETTY[$verifier]}:"
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n revoked key (p=): rejected" \
		    "$T/signed/$signer.revoked.eml" "ER:$DOMAIN" revoked
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n selector without a key record (NXDOMAIN): rejected" \
		    "$T/signed/$signer.missing.eml" "ER:$DOMAIN" missing
		verify_or_skip "$signer" "$verifier" ed25519-sha256 \
		    "$n ed25519-sha256 signature, k=rsa key record: rejected" \
		    "$T/signed/$signer.kmismatch.eml" "ER:$DOMAIN" rsa
		if [ "$verifier" = dkimpy ]; then
			skipcase "$n t=s key, i= in a subdomain: rejected" \
			    "dkimpy $DKIMPY_VERSION does not implement t=s"
		else
			verify_or_skip "$signer" "$verifier" rsa-sha256 \
			    "$n t=s key, i= in a subdomain: rejected" \
			    "$T/signed/$signer.strict-sub.eml" "ER:$DOMAIN" \
			    strict
		fi
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n t=s key, i= equal to d=: valid" \
		    "$T/signed/$signer.strict-same.eml" "OK:$DOMAIN"
		needle=
		[ "$verifier" = timbre ] && needle=t=y
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n t=y (testing) key: valid${needle:+, reported}" \
		    "$T/signed/$signer.testing.eml" "OK:$DOMAIN" $needle
		[ "$signer" = dkimpy ] && continue
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "$n x= two days ago: [EX]" \
		    "$T/signed/$signer.expired.eml" "EX:$DOMAIN"
	done
	[ "$signer" = dkimpy ] && continue
	# before x=, it was valid
	TV_ARGS="--time $((now - 200000))" verify_or_skip "$signer" timbre \
	    rsa-sha256 "${PRETTY[$signer]} -> timbre --time (before x=): valid" \
	    "$T/signed/$signer.expired.eml" "OK:$DOMAIN"
	# RFC 6376 3.5: verifiers MAY reject; timbre(1): more than 5 minutes
	verify_or_skip "$signer" timbre rsa-sha256 \
	    "${PRETTY[$signer]} -> timbre: t= an hour ahead: rejected" \
	    "$T/signed/$signer.future.eml" "ER:$DOMAIN" future
done
for signer in $SIGNERS; do
	for verifier in $VERIFIERS; do
		verify_or_skip "$signer" "$verifier" rsa-sha256 \
		    "${PRETTY[$signer]} -> ${PRETTY[$verifier]}: key record of 1.3 kB (truncated over UDP): valid" \
		    "$T/signed/$signer.big.eml" "OK:$DOMAIN"
	done
	TV_NS=tcp:127.0.0.1:$PORT verify_or_skip "$signer" timbre rsa-sha256 \
	    "${PRETTY[$signer]} -> timbre -n tcp: key record of 1.3 kB: valid" \
	    "$T/signed/$signer.big.eml" "OK:$DOMAIN"
done
for verifier in dkimpy timbre; do
	verify_or_skip maildkim "$verifier" rsa-sha256 \
	    "Mail::DKIM -> ${PRETTY[$verifier]}: h= in mixed case: valid" \
	    "$T/signed/maildkim.mixed-case-h.eml" "OK:$DOMAIN"
done
verify_or_skip dkimpy timbre rsa-sha256 \
    "dkimpy -> timbre: rsa-sha1 (RFC 8301): rejected" \
    "$T/signed/dkimpy.rsa-sha1.eml" "ER:$DOMAIN" rsa-sha1
{ cat "$T/signed/dkimpy.length.eml" 2>/dev/null
  printf 'A line added after signing, beyond l=.\n'; } >"$T/msg/dkimpy.length-appended.eml"
body_edit "$T/signed/dkimpy.length.eml" "$T/msg/dkimpy.length-changed.eml"
for verifier in $VERIFIERS; do
	verify_or_skip dkimpy "$verifier" rsa-sha256 \
	    "dkimpy -> ${PRETTY[$verifier]}: l=, body unchanged: valid" \
	    "$T/signed/dkimpy.length.eml" "OK:$DOMAIN"
	verify_or_skip dkimpy "$verifier" rsa-sha256 \
	    "dkimpy -> ${PRETTY[$verifier]}: l=, a line appended: valid" \
	    "$T/msg/dkimpy.length-appended.eml" "OK:$DOMAIN"
	verify_or_skip dkimpy "$verifier" rsa-sha256 \
	    "dkimpy -> ${PRETTY[$verifier]}: l=, body changed within l=: rejected" \
	    "$T/msg/dkimpy.length-changed.eml" "ER:$DOMAIN"
done
f=$T/signed/timbre.default-headers.eml
prepend "Subject: injected" "$f" "$T/msg/timbre.default-headers.subject.eml"
prepend "To: injected@peer.example" "$f" "$T/msg/timbre.default-headers.to.eml"
for verifier in $VERIFIERS; do
	n="timbre (its default h=) -> ${PRETTY[$verifier]}:"
	verify_or_skip timbre "$verifier" rsa-sha256 "$n valid" "$f" \
	    "OK:$DOMAIN"
	verify_or_skip timbre "$verifier" rsa-sha256 \
	    "$n Subject added on top: rejected (oversigned)" \
	    "$T/msg/timbre.default-headers.subject.eml" "ER:$DOMAIN"
	verify_or_skip timbre "$verifier" rsa-sha256 \
	    "$n To added on top: rejected (oversigned)" \
	    "$T/msg/timbre.default-headers.to.eml" "ER:$DOMAIN"
done
for c in relaxed simple; do
	for verifier in dkimpy maildkim; do
		verify_or_skip timbre "$verifier" rsa-sha256 \
		    "timbre --canon $c -> ${PRETTY[$verifier]}: trailing-whitespace.eml valid" \
		    "$T/signed/timbre.canon-$c.eml" "OK:$DOMAIN"
	done
done
verify_or_skip timbre timbre rsa-sha256 \
    "timbre verify, no DKIM-Signature: no verdict, exit 1" \
    "$DATA/plain.eml" NONE

# 5. RFC 8463 Appendix A: the ed25519-sha256 and rsa-sha256 signatures of
# football.example.com (keys served from tests/data/dkim/)
body_edit "$DATA/rfc8463-signed.eml" "$T/msg/rfc8463-tampered.eml"
for verifier in $VERIFIERS; do
	why=${CANNOT[$verifier:ed25519-sha256]:-}
	if [ -n "$why" ] && [ -z "${CANNOT[$verifier:rsa-sha256]:-}" ]; then
		# the rsa-sha256 signature still counts
		skipcase "RFC 8463 A.3 -> ${PRETTY[$verifier]}: ed25519-sha256 valid" "$why"
		verify "$verifier" \
		    "RFC 8463 A.3 -> ${PRETTY[$verifier]}: rsa-sha256 valid (ed25519-sha256 unsupported: [ER])" \
		    "$DATA/rfc8463-signed.eml" \
		    "ER:football.example.com OK:football.example.com"
		verify "$verifier" \
		    "RFC 8463 A.3 body changed -> ${PRETTY[$verifier]}: both rejected" \
		    "$T/msg/rfc8463-tampered.eml" \
		    "ER:football.example.com ER:football.example.com"
		continue
	elif [ -n "$why" ]; then
		skipcase "RFC 8463 A.3 -> ${PRETTY[$verifier]}: both valid" "$why"
		continue
	fi
	verify "$verifier" "RFC 8463 A.3 -> ${PRETTY[$verifier]}: both valid" \
	    "$DATA/rfc8463-signed.eml" \
	    "OK:football.example.com OK:football.example.com"
	verify "$verifier" \
	    "RFC 8463 A.3 body changed -> ${PRETTY[$verifier]}: both rejected" \
	    "$T/msg/rfc8463-tampered.eml" \
	    "ER:football.example.com ER:football.example.com"
done

# 6. the timbre CLI: --newline crlf both ways, standard input, algorithm
# from the key type; the output is the input with one field prepended
if [ -n "$HAVE_TIMBRE" ]; then
	sed 's/$/\r/' "$DATA/plain.eml" >"$T/msg/plain.crlf.eml"
	"$TIMBRE" dkim sign --domain "$DOMAIN" --selector rsa \
	    --key "$T/keys/rsa.pem" --headers "$HEADERS" --newline crlf \
	    "$T/msg/plain.crlf.eml" >"$T/signed/timbre.crlf.eml" \
	    2>"$T/signed/timbre.crlf.eml.stderr" || true
	tr -d '\r' <"$T/signed/timbre.crlf.eml" >"$T/msg/timbre.crlf-as-lf.eml"
	"$TIMBRE" dkim sign --domain "$DOMAIN" --selector ed \
	    --key "$T/keys/ed.pem" --headers "$HEADERS" - \
	    <"$DATA/plain.eml" >"$T/signed/timbre.stdin-ed.eml" \
	    2>"$T/signed/timbre.stdin-ed.eml.stderr" || true
	sed 's/$/\r/' "$T/signed/dkimpy.rsa-sha256.simple-simple.plain.eml" \
	    >"$T/msg/dkimpy.crlf.eml"
fi
for verifier in dkimpy maildkim; do
	verify_or_skip timbre "$verifier" rsa-sha256 \
	    "timbre sign --newline crlf -> ${PRETTY[$verifier]}: valid" \
	    "$T/msg/timbre.crlf-as-lf.eml" "OK:$DOMAIN"
	verify_or_skip timbre "$verifier" ed25519-sha256 \
	    "timbre sign from stdin, algorithm from an Ed25519 key -> ${PRETTY[$verifier]}: valid" \
	    "$T/signed/timbre.stdin-ed.eml" "OK:$DOMAIN"
done

if [ -n "$HAVE_TIMBRE" ]; then
	TV_ARGS="--newline crlf" verify timbre \
	    "dkimpy -> timbre --newline crlf: CRLF input, simple/simple: valid" \
	    "$T/msg/dkimpy.crlf.eml" "OK:$DOMAIN"
	TV_ARGS="--newline crlf" verify timbre \
	    "timbre sign --newline crlf -> timbre verify --newline crlf: valid" \
	    "$T/signed/timbre.crlf.eml" "OK:$DOMAIN"
	TV_STDIN=1 verify timbre \
	    "dkimpy -> timbre verify from stdin: valid" \
	    "$T/signed/dkimpy.ed25519-sha256.relaxed-relaxed.8bit-body.eml" \
	    "OK:$DOMAIN"
else
	skipcase "dkimpy -> timbre --newline crlf: CRLF input, simple/simple: valid" "timbre not built ($TIMBRE)"
	skipcase "timbre sign --newline crlf -> timbre verify --newline crlf: valid" "timbre not built ($TIMBRE)"
	skipcase "dkimpy -> timbre verify from stdin: valid" "timbre not built ($TIMBRE)"
fi

echo "# ${SECONDS}s: timbre verified"
run_peer_jobs verify
echo "# ${SECONDS}s: peers verified"

# ---------------------------------------------------------------- results

# check CASE: compare one verifier's output with the expectation
check()
{
	local id=$1 verifier=$2 name=$3 msg=$4 expect=$5 needle=$6 extra=$7
	local out=$T/out/$id.$verifier got all line want_rc rc e

	if [ ! -f "$msg" ]; then
		integ_notok "$name" "no message to verify: signing failed:" \
		    "$(cat "$msg.err" 2>/dev/null || echo "(no error output)")"
		return
	fi
	if [ ! -f "$out" ]; then
		integ_notok "$name" "the verifier wrote nothing:" \
		    "$(cat "$out.err" "$out.stderr" 2>/dev/null)"
		return
	fi
	rc='?'
	[ -f "$out.rc" ] && read -r rc <"$out.rc"
	# the verdict lines, as TAG:DOMAIN (bash only: this runs ~600 times)
	got= all=
	while IFS= read -r line || [ -n "$line" ]; do
		all="$all$line"$'\n'
		if [[ $line =~ ^\[(OK|EX|ER)\]:\ ([^ ]*) ]]; then
			got="$got${got:+ }${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"
		fi
	done <"$out"
	want_rc=0
	for e in $expect; do
		case ${e%%:*} in
		OK) ;;
		NONE) expect= want_rc=1 ;;
		EX) [ "$verifier" = timbre ] && want_rc=$TIMBRE_EX_STATUS ||
			want_rc=1 ;;
		*) want_rc=1 ;;
		esac
	done
	if [ "$got" = "$expect" ] && [ "$rc" = "$want_rc" ] &&
	    { [ -z "$needle" ] || [[ $all == *"$needle"* ]]; }; then
		integ_ok "$name"
		return
	fi
	local cmd
	case $verifier in
	timbre) cmd="$TIMBRE dkim verify -n udp:127.0.0.1:PORT --verbose${extra:+ $extra} $msg" ;;
	dkimpy) cmd="$PYTHON $PEER_PY --dns-port PORT verify $msg" ;;
	maildkim) cmd="perl $PEER_PL --dns-port PORT verify $msg" ;;
	esac
	integ_notok "$name" "command: $cmd" \
	    "expected: $expect (exit $want_rc)${needle:+, output naming \"$needle\"}" \
	    "got:      ${got:-nothing} (exit $rc)" "output:" \
	    "$(cat "$out" "$out.stderr" 2>/dev/null | head -n 10)"
}

skip_group= skip_reason= skip_n=0
flush_skips()
{
	[ "$skip_n" -gt 0 ] || return 0
	if [ "$skip_n" -eq 1 ]; then
		integ_skipcase "$skip_name" "$skip_reason"
	else
		integ_skipcase "$skip_group ($skip_n cases)" "$skip_reason" \
		    "$skip_n"
	fi
	skip_n=0
}
while IFS=$'\037' read -r id verifier name msg expect needle extra; do
	if [ "$verifier" = SKIP ]; then
		# msg holds the reason, expect the group
		if [ "$skip_n" -gt 0 ] && { [ -z "$expect" ] ||
		    [ "$expect" != "$skip_group" ] ||
		    [ "$msg" != "$skip_reason" ]; }; then
			flush_skips
		fi
		skip_group=$expect skip_reason=$msg skip_name=$name
		skip_n=$((skip_n + 1))
		[ -n "$expect" ] || flush_skips
	else
		flush_skips
		check "$id" "$verifier" "$name" "$msg" "$expect" "$needle" \
		    "$extra"
	fi
done <"$CASES"
flush_skips

# the CLI contract of timbre dkim sign, over every message it signed
if [ -n "$HAVE_TIMBRE" ]; then
	bad=
	printf '%s\t%s\n' "$T/signed/timbre.crlf.eml" "$T/msg/plain.crlf.eml" \
	    "$T/signed/timbre.stdin-ed.eml" "$DATA/plain.eml" \
	    >>"$T/timbre.signed"
	while IFS="$(printf '\t')" read -r f in; do
		[ -f "$f" ] || continue
		n=$(wc -c <"$in")
		sig=$T/sig.tmp
		head -c $(($(wc -c <"$f") - n)) "$f" >"$sig"
		if ! tail -c "$n" "$f" | cmp -s - "$in"; then
			bad="$bad $(basename "$f")(input-not-kept-as-is)"
		elif [ "$(grep -c '^[^ 	]' "$sig")" != 1 ] ||
		    ! grep -q '^DKIM-Signature:' "$sig"; then
			bad="$bad $(basename "$f")(not-one-DKIM-Signature-prepended)"
		elif grep -q $'\r' "$in"; then
			if grep -q $'[^\r]$' "$sig"; then
				bad="$bad $(basename "$f")(bare-LF-in-the-signature-of-CRLF-input)"
			fi
		elif grep -q $'\r' "$sig"; then
			bad="$bad $(basename "$f")(CR-in-the-signature-of-LF-input)"
		fi
	done <"$T/timbre.signed"
	if grep -q '^DKIM-Signature:.*a=ed25519-sha256\|^[ 	].*a=ed25519-sha256' \
	    "$T/signed/timbre.stdin-ed.eml" 2>/dev/null; then :; else
		bad="$bad timbre.stdin-ed.eml (no a=ed25519-sha256 from an Ed25519 key)"
	fi
	if [ -z "$bad" ]; then
		integ_ok "timbre dkim sign: output is the input with one DKIM-Signature prepended, same line ends"
	else
		integ_notok "timbre dkim sign: output is the input with one DKIM-Signature prepended, same line ends" $bad
	fi
else
	integ_skipcase "timbre dkim sign: output is the input with one DKIM-Signature prepended, same line ends" \
	    "timbre not built ($TIMBRE)"
fi

# 7. dkimpy's own commands: /usr/bin/dkimsign signs for timbre; dkimverify
# (dkim.dkimverify.main, run by dkim_peer.py with its look-ups sent to our
# NSD: it has no option for a server) checks timbre's signatures
DKIMSIGN=$(command -v dkimsign || true)
if [ -z "$HAVE_TIMBRE" ]; then
	integ_skipcase "dkimsign / dkimverify commands with timbre" \
	    "timbre not built ($TIMBRE)"
else
	openssl pkey -in "$T/keys/ed.pem" -outform DER | tail -c 32 |
	    base64 -w0 >"$T/keys/ed.seed"
	for alg in $ALGS; do
		for c in relaxed/relaxed simple/simple relaxed/simple; do
			n="timbre -> dkimverify (command): $alg $c plain.eml"
			f=$T/signed/timbre.$alg.${c/\//-}.plain.eml
			if [ ! -f "$f" ]; then
				integ_notok "$n" "timbre dkim sign failed"
				continue
			fi
			got=$("$PYTHON" "$PEER_PY" --dns-port "$PORT" dkimverify \
			    <"$f" 2>&1) && rc=0 || rc=$?
			if [ "$rc" = 0 ] && [ "$got" = "signature ok" ]; then
				integ_ok "$n"
			else
				integ_notok "$n" "$got (exit $rc)"
			fi
			n="timbre -> dkimverify (command): $alg $c body changed: rejected"
			f=$T/msg/timbre.$alg.${c/\//-}.body.eml
			case $c in
			relaxed/simple)	;;	# no tampered copy made
			*)
				got=$("$PYTHON" "$PEER_PY" --dns-port "$PORT" \
				    dkimverify <"$f" 2>&1) && rc=0 || rc=$?
				# "signature verification failed", or a
				# traceback of dkim.ValidationError (body hash)
				if [ -f "$f" ] && [ "$rc" != 0 ] &&
				    [ "${got#*signature ok}" = "$got" ]; then
					integ_ok "$n"
				else
					integ_notok "$n" "$got (exit $rc)"
				fi ;;
			esac
			if [ -z "$DKIMSIGN" ]; then
				integ_skipcase "dkimsign (command) -> timbre: $alg $c plain.eml" \
				    "no dkimsign command"
				continue
			fi
			n="dkimsign (command) -> timbre: $alg $c plain.eml"
			if [ "$alg" = rsa-sha256 ]; then
				k=$T/keys/rsa.pem
			else
				k=$T/keys/ed.seed
			fi
			o=$T/signed/dkimsign.$alg.${c/\//-}.plain.eml
			"$DKIMSIGN" --hcanon "${c%/*}" --bcanon "${c#*/}" \
			    --signalg "$alg" "${SELECTOR[$alg]}" "$DOMAIN" "$k" \
			    <"$DATA/plain.eml" >"$o" 2>"$o.stderr" || true
			got=$("$TIMBRE" dkim verify -n "udp:127.0.0.1:$PORT" \
			    --verbose "$o" 2>&1) && rc=0 || rc=$?
			if [ "$rc" = 0 ] && [ "$got" != "${got#\[OK\]: "$DOMAIN"}" ] &&
			    [ "$(printf '%s\n' "$got" | grep -c '^\[')" = 1 ]; then
				integ_ok "$n"
			else
				integ_notok "$n" "command: $TIMBRE dkim verify" \
				    "-n udp:127.0.0.1:PORT --verbose $o" \
				    "got: $got (exit $rc)" "$(cat "$o.stderr")"
			fi
		done
	done
fi

integ_nsd_stop
integ_summary || exit 1
exit 0
