#!/bin/sh
# tests/integration/listd_unsub.sh: one-click unsubscribe (RFC 8058) of
# timbre-listd end to end.  A post goes through timbre-signd and out to
# smtp-sink; each delivered copy carries List-Unsubscribe with a link of
# its own (https://127.0.0.1:PORT/u/TOKEN and the mailto: address) and
# List-Unsubscribe-Post, signed for that copy by timbre-signd through its
# milter (--signer-milter): dkimpy verifies the copy's signature, whose
# h= lists both fields once more than they occur, and the post's.  Then curl, over
# HTTPS with a self-signed certificate (--tls-cert, the same as
# STARTTLS): GET shows the page and changes nothing; a POST of
# List-Unsubscribe=One-Click removes the address (`timbre list show`);
# a POST without the form, a tampered token, a token moved to another
# address (python3 re-encodes it, MAC kept), a token of a list that is
# not here (MAC made with the database's key) and one made under another
# key are refused with 4xx and change nothing; a 1 MB body is 413; a
# client that sends half a request is closed after --http-timeout; at
# --http-max-connections nobody else is served until one ends.  Last,
# with signd's milter unreachable, copies leave with the post's
# signature alone, and the log says so.
# Set-up: listd_lib.sh (NSD, timbre-signd, smtp-sink).
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
. "$top_srcdir/tests/integration/listd_lib.sh"
integ_need_cmd curl

dev_list alice@good.test carol@example.net dave@example.net
"$TIMBRE" list add "$DB" --domain "$D" ops --moderator mod@good.test
"$TIMBRE" list subscribe "$DB" --domain "$D" ops carol@example.net
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$INTEG_TMP/tls.key" -out "$INTEG_TMP/tls.crt" >/dev/null 2>&1
HTTPPORT=$(integ_free_port)
MILTERPORT=$(integ_free_port)
URL=https://127.0.0.1:$HTTPPORT
signd_start 1 --milter "127.0.0.1:$MILTERPORT" ||
    { fail_log; integ_summary; exit 1; }
listd_start 1 --http-listen "127.0.0.1:$HTTPPORT" --http-url "$URL/" \
    --signer-milter "127.0.0.1:$MILTERPORT" \
    --tls-cert "$INTEG_TMP/tls.crt" --tls-key "$INTEG_TMP/tls.key" \
    --http-timeout 2s --http-max-connections 3 ||
    { fail_log; integ_summary; exit 1; }

subs()
{
	"$TIMBRE" list show "$DB" --domain "$D" "$1" 2>&1
}

is_sub()	# LIST ADDRESS
{
	subs "$1" | grep -q "subscriber $2 "
}

# code METHOD URL [CURL ARGS]: the HTTP status into CODE, body in http.out
code()
{
	local m=$1 u=$2

	shift 2
	CODE=$(curl -sk -o "$INTEG_TMP/http.out" -w '%{http_code}' \
	    --max-time 10 -X "$m" "$@" "$u" 2>/dev/null) || true
}

# ------------------------------------------------------ the copies
msg post alice@good.test
dkim_sign post
send post alice@good.test "dev@$D" "$INTEG_TMP/post.in"
expect post '^250 2\.0\.0 queued as [0-9]+'
for i in $(seq 1 100); do
	[ "$(grep -l '^Subject: post' "$SINK"/* 2>/dev/null | wc -l)" -ge 3 ] &&
	    break
	sleep 0.2
done
CAROL=
# smtp-sink's file does not name the recipient: the copy's link does.
for f in "$SINK"/*; do
	tr -d '\r' <"$f" >"$f.lf"
done
field()	# FILE: the unfolded List-Unsubscribe value
{
	awk 'BEGIN{IGNORECASE=1} /^$/{exit} /^List-Unsubscribe:/{f=1; v=$0; next}
	    f && /^[ \t]/{v=v $0; next} {f=0} END{print v}' "$1"
}
TOKEN_CAROL=
TOKEN_ALICE=
for f in "$SINK"/*.lf; do
	v=$(field "$f")
	tok=$(printf '%s\n' "$v" | sed -n 's|.*<https://127\.0\.0\.1:[0-9]*/u/\([a-z2-7]*\)>.*|\1|p')
	[ -n "$tok" ] || continue
	who=$(/usr/bin/python3 -c 'import base64,sys
t=sys.argv[1].upper(); t+="="*(-len(t)%8)
r=base64.b32decode(t); print(r[1:-16].split(b"\0")[1].decode())' "$tok")
	case $who in
	carol@example.net) TOKEN_CAROL=$tok; CAROL=$f ;;
	alice@good.test) TOKEN_ALICE=$tok ;;
	esac
done
n_post=$(grep -l '^List-Unsubscribe-Post: List-Unsubscribe=One-Click$' "$SINK"/*.lf | wc -l)
n_links=$(for f in "$SINK"/*.lf; do field "$f"; done | sed -n 's|.*<https://127\.0\.0\.1:[0-9]*/u/\([a-z2-7]*\)>.*|\1|p' | sort -u | wc -l)
if [ -n "$TOKEN_CAROL" ] && [ -n "$TOKEN_ALICE" ] && [ "$n_post" -ge 3 ] &&
    [ "$n_links" -ge 3 ] &&
    field "$CAROL" | grep -q "<mailto:dev-unsubscribe@$D>"; then
	integ_ok "each copy: List-Unsubscribe with its own link ($n_links links) and mailto:, List-Unsubscribe-Post"
else
	integ_notok "per-copy List-Unsubscribe" "links: $n_links post: $n_post" \
	    "$(field "${CAROL:-/dev/null}")"
	fail_log
fi
if [ -n "$CAROL" ] && [ "$(grep -c '^List-Unsubscribe:' "$CAROL")" = 1 ]; then
	integ_ok "one List-Unsubscribe field per copy (post.c leaves it to the copies)"
else
	integ_notok "one List-Unsubscribe" "$(grep '^List-Unsub' "${CAROL:-/dev/null}")"
fi
{ /usr/bin/python3 "$PEER" verify "$DNS" "$CAROL" >"$INTEG_TMP/carol.verify" 2>&1 ||
    true; }
# The copy's own signature is the first field; its h= in order.
h0=$(/usr/bin/python3 -c 'import email.parser,re,sys
m = email.parser.BytesParser().parse(open(sys.argv[1], "rb"), headersonly=True)
sigs = m.get_all("DKIM-Signature") or [""]
h = re.search(r"(?:^|;)\s*h=([^;]*)", re.sub(r"\s+", "", sigs[0]))
print(h.group(1).lower() if h else "")' "$CAROL")
n_sig=$(grep -c '^DKIM-Signature: .*d=lists\.test' "$CAROL" || true)
if [ "$(grep -c '^dkim [0-9]* .* ok$' "$INTEG_TMP/carol.verify")" -ge 2 ] &&
    head -1 "$INTEG_TMP/carol.verify" | grep -q '^dkim 0 a=rsa-sha256 s=dkim-[0-9]* ok$' &&
    [ "$n_sig" -ge 1 ] &&
    [ "$(printf '%s\n' "$h0" | tr ':' '\n' | grep -cx list-unsubscribe)" = 2 ] &&
    [ "$(printf '%s\n' "$h0" | tr ':' '\n' | grep -cx list-unsubscribe-post)" = 2 ]; then
	integ_ok "the copy's own DKIM signature (signd's milter) covers List-Unsubscribe and List-Unsubscribe-Post, oversigned; dkimpy: $(tr '\n' ' ' <"$INTEG_TMP/carol.verify")"
else
	integ_notok "per-copy signature" "h=$h0" "$(cat "$INTEG_TMP/carol.verify")" \
	    "$(grep -i 'signature\|milter' "$INTEG_TMP/listd.log.1" | tail -3)"
fi
# A copy whose signature the milter could not give still leaves, with
# the post's signature alone: nothing in the log says so here.
if ! grep -q 'no signature of the copy' "$INTEG_TMP/listd.log.1" &&
    [ "$(grep -c 'milter signed fields=' "$INTEG_TMP/signd.log.1")" -ge 3 ]; then
	integ_ok "every copy signed through the milter ($(grep -c 'milter signed fields=' "$INTEG_TMP/signd.log.1") in signd's log)"
else
	integ_notok "milter signatures" "$(grep 'no signature of the copy' "$INTEG_TMP/listd.log.1" | head -3)"
fi

# ------------------------------------------------------ GET, POST
code GET "$URL/u/$TOKEN_CAROL"
if [ "$CODE" = 200 ] && grep -q '<form method="post" action="/u/' "$INTEG_TMP/http.out" &&
    grep -q 'carol@example.net is subscribed to dev@lists.test' "$INTEG_TMP/http.out" &&
    is_sub dev carol@example.net; then
	integ_ok "GET: 200, the page with the button, carol still subscribed"
else
	integ_notok "GET" "code $CODE" "$(head -c 400 "$INTEG_TMP/http.out")"
fi
code POST "$URL/u/$TOKEN_CAROL"
if [ "$CODE" = 400 ] && is_sub dev carol@example.net; then
	integ_ok "POST without the one-click form: 400, nothing changes"
else
	integ_notok "POST without the form" "code $CODE"
fi
head -c 1048576 /dev/zero | tr '\0' 'a' >"$INTEG_TMP/big"
code POST "$URL/u/$TOKEN_CAROL" --data-binary "@$INTEG_TMP/big"
if [ "$CODE" = 413 ] && is_sub dev carol@example.net; then
	integ_ok "POST of 1 MB: 413, nothing changes"
else
	integ_notok "POST of 1 MB" "code $CODE"
fi
code POST "$URL/u/$TOKEN_CAROL" -d 'List-Unsubscribe=One-Click'
if [ "$CODE" = 200 ] && grep -q 'unsubscribed from dev@lists.test' "$INTEG_TMP/http.out" &&
    ! is_sub dev carol@example.net && is_sub ops carol@example.net &&
    is_sub dev alice@good.test && is_sub dev dave@example.net &&
    ! grep -qi 'set-cookie\|location:' "$INTEG_TMP/http.out"; then
	integ_ok "POST List-Unsubscribe=One-Click: 200, carol left dev (and only dev)"
else
	integ_notok "one-click POST" "code $CODE" "$(cat "$INTEG_TMP/http.out")" "$(subs dev)"
	fail_log
fi
hdrs=$(curl -sk -D - -o /dev/null -X POST -d 'List-Unsubscribe=One-Click' \
    "$URL/u/$TOKEN_CAROL" | tr -d '\r')
if printf '%s\n' "$hdrs" | grep -q '^HTTP/1.1 200' &&
    ! printf '%s\n' "$hdrs" | grep -qi '^set-cookie:\|^location:'; then
	integ_ok "again: 200 (not subscribed), no cookie, no redirect"
else
	integ_notok "second POST" "$hdrs"
fi
if grep -q 'list=dev@lists.test address=<carol@example.net> unsubscribed (one-click)' \
    "$INTEG_TMP/listd.log.1" && ! grep -q "$TOKEN_CAROL" "$INTEG_TMP/listd.log.1"; then
	integ_ok "logged: who left which list, and not the token"
else
	integ_notok "log" "$(grep 'http ' "$INTEG_TMP/listd.log.1" | tail -5)"
fi

# ------------------------------------------------------ bad tokens
# tamper: one letter of the MAC of alice's token changed
t=$TOKEN_ALICE
p=$((${#t} - 5))
c=$(printf '%s' "$t" | cut -c $p)
[ "$c" = a ] && r=b || r=a
bad=$(printf '%s' "$t" | sed "s/./$r/$p")
code POST "$URL/u/$bad" -d 'List-Unsubscribe=One-Click'
c1=$CODE
# forge TOKEN LIST ADDRESS: TOKEN with its list and address replaced
# (- keeps one), its MAC kept
forge()
{
	/usr/bin/python3 -c 'import base64,sys
t=sys.argv[1].upper(); t+="="*(-len(t)%8)
r=base64.b32decode(t); body, mac = r[:-16], r[-16:]
l, a = body[1:].split(b"\0")
l = l if sys.argv[2] == "-" else sys.argv[2].encode()
a = a if sys.argv[3] == "-" else sys.argv[3].encode()
r2 = body[:1] + l + b"\0" + a + mac
print(base64.b32encode(r2).decode().rstrip("=").lower())' "$@"
}
# moved: alice's token, its address made dave's
code POST "$URL/u/$(forge "$TOKEN_ALICE" - dave@example.net)" -d 'List-Unsubscribe=One-Click'
c2=$CODE
# other list: alice's token, its list made ops
code POST "$URL/u/$(forge "$TOKEN_ALICE" ops@lists.test -)" -d 'List-Unsubscribe=One-Click'
c3=$CODE
code GET "$URL/u/not-base32!"
c4=$CODE
if [ "$c1" = 403 ] && [ "$c2" = 403 ] && [ "$c3" = 403 ] && [ "$c4" = 400 ] &&
    is_sub dev alice@good.test && is_sub dev dave@example.net; then
	integ_ok "tampered ($c1), moved to another address ($c2), moved to another list ($c3), not base32 ($c4): refused, nothing changes"
else
	integ_notok "bad tokens" "tampered $c1 moved $c2 other list $c3 junk $c4" "$(subs dev)"
fi
# a genuine MAC (the database's key) for a list that is not here, and one
# made under another key
KEYHEX=$(q "SELECT hex(value) FROM secrets WHERE name = 'unsubscribe'")
mk()	# KEYHEX LIST ADDRESS
{
	/usr/bin/python3 -c 'import base64,hmac,hashlib,sys
k=bytes.fromhex(sys.argv[1])
b=b"\x01"+sys.argv[2].encode()+b"\0"+sys.argv[3].encode()
m=hmac.new(k,b,hashlib.sha256).digest()[:16]
print(base64.b32encode(b+m).decode().rstrip("=").lower())' "$@"
}
code POST "$URL/u/$(mk "$KEYHEX" nolist@lists.test alice@good.test)" -d 'List-Unsubscribe=One-Click'
c5=$CODE
code POST "$URL/u/$(mk "$(printf '%064d' 7)" dev@lists.test alice@good.test)" -d 'List-Unsubscribe=One-Click'
c6=$CODE
code POST "$URL/u/$(mk "$KEYHEX" dev@lists.test dave@example.net)" -d 'List-Unsubscribe=One-Click'
c7=$CODE
if [ "${#KEYHEX}" = 64 ] && [ "$c5" = 404 ] && [ "$c6" = 403 ] &&
    is_sub dev alice@good.test && [ "$c7" = 200 ] && ! is_sub dev dave@example.net; then
	integ_ok "a list not here: 404; another key: 403; the database's key for dave: 200 (the MAC is what counts)"
else
	integ_notok "keyed tokens" "key ${#KEYHEX} hex, no list $c5, other key $c6, dave $c7" "$(subs dev)"
fi

# ------------------------------------------------------ slow, many
slow=$(/usr/bin/python3 - "$HTTPPORT" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.sendall(b"POST /u/x HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\nList-")
s.settimeout(8)
t = time.time()
try:
    d = s.recv(100)
except Exception as e:
    d = b"!" + str(e).encode()
print("%.0f %r" % (time.time() - t, d[:40]))
PY
) || true
case $slow in
[1-4]\ *) integ_ok "a client that sends half its request is closed after --http-timeout ($slow)" ;;
*) integ_notok "slow client" "$slow" ;;
esac
cap=$(/usr/bin/python3 - "$HTTPPORT" "$URL/u/$TOKEN_ALICE" <<'PY'
import socket, subprocess, sys, time
idle = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
time.sleep(0.3)
def get():
    t = time.time()
    r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
        "--max-time", "6", sys.argv[2]], capture_output=True, text=True)
    return r.stdout, time.time() - t
code, took = get()
print("%s %.1f" % (code, took))
for s in idle:
    s.close()
PY
) || true
# The three idle connections hold the cap until --http-timeout (2 s)
# closes them; the fourth client is served after that, not before.
c=${cap% *}
took=${cap#* }
if [ "$c" = 200 ] && awk -v t="$took" 'BEGIN { exit !(t >= 1.5) }' &&
    grep -q 'http max connections 3 reached' "$INTEG_TMP/listd.log.1"; then
	integ_ok "at --http-max-connections the next client waits for a slot ($cap s)"
else
	integ_notok "connection cap" "$cap" "$(grep 'http ' "$INTEG_TMP/listd.log.1" | tail -3)"
fi
code GET "$URL/u/$TOKEN_ALICE"
check "served again afterwards" '[ "$CODE" = 200 ]' "code $CODE"

# ------------------------------------------------------ no milter
# signd's milter unreachable: the copies still leave, with their own
# fields and the post's signature alone (which verifies), and the log
# says why.
integ_stop "$LISTD_PID"
DEAD=$(integ_free_port)
listd_start 2 --http-listen "127.0.0.1:$HTTPPORT" --http-url "$URL" \
    --tls-cert "$INTEG_TMP/tls.crt" --tls-key "$INTEG_TMP/tls.key" \
    --signer-milter "127.0.0.1:$DEAD" || { fail_log; integ_summary; exit 1; }
msg post2 alice@good.test
dkim_sign post2
send post2 alice@good.test "dev@$D" "$INTEG_TMP/post2.in"
P2=
for i in $(seq 1 100); do
	P2=$(grep -l '^Subject: post2' "$SINK"/* 2>/dev/null | grep -v '\.lf$' | head -1)
	[ -n "$P2" ] && break
	sleep 0.2
done
{ /usr/bin/python3 "$PEER" verify "$DNS" "${P2:-/dev/null}" >"$INTEG_TMP/p2.verify" 2>&1 ||
    true; }
if [ -n "$P2" ] && grep -q '^List-Unsubscribe-Post: ' "$P2" &&
    head -1 "$INTEG_TMP/p2.verify" | grep -q '^dkim 0 a=rsa-sha256 s=dkim-[0-9]* ok$' &&
    [ "$(grep -c '^DKIM-Signature: .*d=lists\.test' "$P2")" = 1 ] &&
    grep -q "no signature of the copy's own (its List-Unsubscribe is not covered): connection to signd's milter failed" \
    "$INTEG_TMP/listd.log.2"; then
	integ_ok "signd's milter unreachable: the copy leaves with the post's signature (it verifies), the log says why"
else
	integ_notok "no milter" "${P2:-no copy}" "$(cat "$INTEG_TMP/p2.verify")" \
	    "$(grep 'signature' "$INTEG_TMP/listd.log.2" | tail -2)"
fi

integ_stop "$LISTD_PID"
integ_stop "$SIGND_PID"
integ_summary
