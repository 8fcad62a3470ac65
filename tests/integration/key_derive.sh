#!/bin/bash
# tests/integration/key_derive.sh: `timbre key derive` against the known
# answers of tests/data/keys/derive-vectors.txt (made by derive_ref.py, an
# independent Python reference), and its keys in use: a message signed by
# `timbre dkim sign` with a derived private key (--private-out) must
# verify in dkimpy (python3-dkim) against the derived TXT record, for
# rsa-sha256 (v1), ed25519-sha256 (v1) and nec's ed25519.
#
# Also: --zone gives a line nsd-checkzone accepts whose strings make up
# the record, the password is the file's bytes without one final newline
# (from standard input with -), --private-out writes a new 0600 file and
# never overwrites, and the usage errors (missing or empty password file,
# bad selector, options that do not go together) exit 2 with a message.
#
# Run: top_builddir=/work/main/build top_srcdir=/work/main \
#          bash tests/integration/key_derive.sh
# Exit: 0 all passed, 1 a case failed, 77 timbre or dkimpy is missing.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

VECTORS=$top_srcdir/tests/data/keys/derive-vectors.txt
TIMBRE=$top_builddir/tools/timbre

[ -x "$TIMBRE" ] || integ_skip "$TIMBRE is not built"
integ_need_cmd perl
PYTHON=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import dkim, nacl.signing' 2>/dev/null; then
		PYTHON=$p
		break
	fi
done
[ -n "$PYTHON" ] ||
    integ_skip "dkimpy not found (apt-get install python3-dkim python3-nacl)"

integ_init
T=$INTEG_TMP

# unhex HEX FILE: the bytes of HEX into FILE.
unhex()
{
	perl -e 'print pack("H*", $ARGV[0])' "$1" > "$2"
}

# ------------------------------------------------------------ vectors

n=0
while read -r deriv alg bits domain sel gen pwhex p _; do
	case $deriv in '#'*|'') continue ;; esac
	n=$((n + 1))
	if [ "$deriv" = nec ]; then
		# nec's --password is base64: so is the password file
		perl -MMIME::Base64 -e 'print encode_base64(pack("H*",
		    $ARGV[0]), "")' "$pwhex" > "$T/pw$n"
		args=(--derivation nec --selector nec --generation "$gen")
	else
		unhex "$pwhex" "$T/pw$n"
		args=(--selector "$sel")
	fi
	# the file's bytes are the password, but for one final newline
	# (which a password of its own may end in too)
	printf '\n' >> "$T/pw$n"
	args+=(--domain "$domain" --password-file "$T/pw$n")
	if [ "$alg" = rsa ]; then
		args+=(--algorithm rsa-sha256 --key-bits "$bits")
	else
		args+=(--algorithm ed25519-sha256)
	fi
	want="v=DKIM1; k=$alg; p=$p"
	name="vector $n: $deriv $alg $bits $domain $sel"
	if got=$("$TIMBRE" key derive "${args[@]}" 2>"$T/err") &&
	    [ "$got" = "$want" ]; then
		integ_ok "$name"
	else
		integ_notok "$name" "want: $want" "got:  $got" "$(cat "$T/err")"
	fi
done < "$VECTORS"
[ "$n" -ge 7 ] || integ_notok "vectors" "only $n in $VECTORS"

# The first rsa 2048 vector, used for the cases below.
read -r _ _ _ DOMAIN SEL _ PWHEX P2048 _ < <(grep '^v1 rsa 2048 ' "$VECTORS")
unhex "$PWHEX" "$T/pw"
RSA_TXT="v=DKIM1; k=rsa; p=$P2048"

# ------------------------------------------------------------ password

got=$("$TIMBRE" key derive --domain "$DOMAIN" --selector "$SEL" \
    --password-file - < "$T/pw" 2>&1) || true
if [ "$got" = "$RSA_TXT" ]; then
	integ_ok "password from standard input"
else
	integ_notok "password from standard input" "$got"
fi
{ cat "$T/pw"; printf '\n\n'; } > "$T/pw-nl2"
got=$("$TIMBRE" key derive --domain "$DOMAIN" --selector "$SEL" \
    --password-file "$T/pw-nl2" 2>&1) || true
if [ -n "$got" ] && [ "$got" != "$RSA_TXT" ]; then
	integ_ok "only one final newline is dropped"
else
	integ_notok "only one final newline is dropped" "$got"
fi

# ------------------------------------------------------------ --zone

zline=$("$TIMBRE" key derive --domain "$DOMAIN" --selector "$SEL" \
    --password-file "$T/pw" --zone 2>&1) || true
joined=$(printf '%s\n' "$zline" | perl -ne '
	s/^\S+ IN TXT // or exit 1;
	my $all = ""; my $bad = 0;
	while (s/^ ?"([^"]*)"//) { $bad = 1 if length($1) > 255; $all .= $1 }
	exit 1 if $bad || $_ ne "\n";
	print $all;') || joined=
if [ "${zline%% *}" = "$SEL._domainkey.$DOMAIN." ] && [ "$joined" = "$RSA_TXT" ]
then
	integ_ok "--zone: name, strings of at most 255 bytes"
else
	integ_notok "--zone: name, strings of at most 255 bytes" "$zline"
fi
if command -v nsd-checkzone >/dev/null 2>&1 ||
    [ -x /usr/sbin/nsd-checkzone ]; then
	{
		echo "\$ORIGIN $DOMAIN."
		echo "\$TTL 3600"
		echo "@ IN SOA ns.$DOMAIN. hostmaster.$DOMAIN. 1 3600 600 86400 60"
		echo "@ IN NS ns.$DOMAIN."
		echo "ns IN A 127.0.0.1"
		echo "$zline"
	} > "$T/zone"
	if out=$(PATH=$PATH:/usr/sbin nsd-checkzone "$DOMAIN" "$T/zone" 2>&1)
	then
		integ_ok "--zone: nsd-checkzone accepts the line"
	else
		integ_notok "--zone: nsd-checkzone accepts the line" "$out"
	fi
else
	integ_skipcase "--zone: nsd-checkzone accepts the line" \
	    "nsd-checkzone not installed"
fi

# ------------------------------------------------------------ dkimpy

MSG=$T/msg.eml
printf 'From: a@%s\nTo: b@example.net\nSubject: derived\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nMessage-ID: <1@%s>\n\nhello\n' \
    "$DOMAIN" "$DOMAIN" > "$MSG"

# sign_verify NAME TXT-RECORD SELECTOR DOMAIN PEM ALG [fail]: dkimpy
# passes the signature (or, with "fail", rejects it).
sign_verify()
{
	local name=$1 txt=$2 sel=$3 dom=$4 pem=$5 alg=$6 want=${7:-pass} out

	if ! "$TIMBRE" dkim sign --domain "$dom" --selector "$sel" \
	    --key "$pem" --algorithm "$alg" "$MSG" > "$T/signed" 2>"$T/err"
	then
		integ_notok "$name" "$(cat "$T/err")"
		return
	fi
	if out=$("$PYTHON" - "$T/signed" "$sel._domainkey.$dom." "$txt" \
	    2>&1 <<'EOF'
import sys, dkim
msg = open(sys.argv[1], "rb").read()
name, txt = sys.argv[2], sys.argv[3].encode()
def dnsfunc(q, timeout=5):
	# the derived record, at its name only
	return txt if q.decode().lower().rstrip(".") == name.lower().rstrip(".") else None
ok = dkim.verify(msg.replace(b"\n", b"\r\n"), dnsfunc=dnsfunc)
print("pass" if ok else "fail")
sys.exit(0 if ok else 1)
EOF
	); [ "$out" = "$want" ]; then
		integ_ok "$name"
	else
		integ_notok "$name" "$out"
	fi
}

if "$TIMBRE" key derive --domain "$DOMAIN" --selector "$SEL" \
    --password-file "$T/pw" --private-out "$T/rsa.pem" > "$T/rsa.txt" \
    2>"$T/err"; then
	mode=$(stat -c %a "$T/rsa.pem")
	if [ "$mode" = 600 ] && [ "$(cat "$T/rsa.txt")" = "$RSA_TXT" ]; then
		integ_ok "--private-out: mode 0600, record printed"
	else
		integ_notok "--private-out: mode 0600, record printed" "$mode"
	fi
	sign_verify "dkimpy verifies rsa-sha256 (v1)" "$RSA_TXT" "$SEL" \
	    "$DOMAIN" "$T/rsa.pem" rsa-sha256
else
	integ_notok "--private-out" "$(cat "$T/err")"
fi
if "$TIMBRE" key derive --domain "$DOMAIN" --selector "$SEL" \
    --password-file "$T/pw" --private-out "$T/rsa.pem" >/dev/null \
    2>"$T/err"; then
	integ_notok "--private-out never overwrites"
else
	integ_ok "--private-out never overwrites"
fi

ED_TXT=$("$TIMBRE" key derive --domain "$DOMAIN" --selector ed-1 \
    --algorithm ed25519-sha256 --password-file "$T/pw" \
    --private-out "$T/ed.pem" 2>&1) || true
sign_verify "dkimpy verifies ed25519-sha256 (v1)" "$ED_TXT" ed-1 \
    "$DOMAIN" "$T/ed.pem" ed25519-sha256

read -r _ _ _ _ _ NGEN NPWHEX _ _ < <(grep '^nec ' "$VECTORS")
perl -MMIME::Base64 -e 'print encode_base64(pack("H*", $ARGV[0]))' \
    "$NPWHEX" > "$T/necpw"
NEC_TXT=$("$TIMBRE" key derive --derivation nec --domain "$DOMAIN" \
    --selector nec-1 --generation "$NGEN" --password-file "$T/necpw" \
    --private-out "$T/nec.pem" 2>&1) || true
sign_verify "dkimpy verifies ed25519-sha256 (nec)" "$NEC_TXT" nec-1 \
    "$DOMAIN" "$T/nec.pem" ed25519-sha256
# The control: a signature does not verify under another derived key.
sign_verify "dkimpy rejects a signature under another key" "$ED_TXT" \
    nec-1 "$DOMAIN" "$T/nec.pem" ed25519-sha256 fail

# ------------------------------------------------------------ errors

# usage_error NAME MESSAGE-PART ARGS...: exit 2 and a message saying why.
usage_error()
{
	local name=$1 part=$2 rc=0

	shift 2
	"$TIMBRE" key derive "$@" > "$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$part" "$T/err" && [ ! -s "$T/out" ]
	then
		integ_ok "error: $name"
	else
		integ_notok "error: $name" "exit $rc" "$(cat "$T/err")"
	fi
}

: > "$T/empty"
printf '\n' > "$T/newline"
usage_error "missing password file" "No such file" --domain "$DOMAIN" \
    --selector s --password-file "$T/nonexistent"
usage_error "empty password file" "empty password" --domain "$DOMAIN" \
    --selector s --password-file "$T/empty"
usage_error "password file of one newline" "empty password" \
    --domain "$DOMAIN" --selector s --password-file "$T/newline"
usage_error "bad selector" "not a DKIM selector" --domain "$DOMAIN" \
    --selector 'bad_sel' --password-file "$T/pw"
usage_error "bad domain" "not a domain name" --domain 'a b' \
    --selector s --password-file "$T/pw"
usage_error "no password file" "required" --domain "$DOMAIN" --selector s
# getopt_long takes --password for --password-file: a file name, never
# the password itself
usage_error "no password on the command line" "secret: No such file" \
    --domain "$DOMAIN" --selector s --password secret
usage_error "odd key bits" "multiple of 16" --domain "$DOMAIN" \
    --selector s --password-file "$T/pw" --key-bits 2050
usage_error "nec with rsa" "ed25519-sha256 keys only" --derivation nec \
    --algorithm rsa-sha256 --domain "$DOMAIN" --selector s \
    --password-file "$T/necpw"
usage_error "nec password not base64" "not base64" --derivation nec \
    --domain "$DOMAIN" --selector s --password-file "$T/pw"
usage_error "--generation without nec" "for --derivation nec" \
    --domain "$DOMAIN" --selector s --password-file "$T/pw" --generation 2

integ_summary
