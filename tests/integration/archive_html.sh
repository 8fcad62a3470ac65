#!/bin/sh
# tests/integration/archive_html.sh: timbre list archive-html, the static
# web view of a list's archive (issue 20, item 2).  swaks posts to the
# list dev through timbre-listd and timbre-signd (listd_lib.sh's lab, as
# listd_archive.sh does), listd commits the posts to its public-inbox v2
# inbox (--archive-dir), and timbre list archive-html writes the site;
# then:
#
#   - threads: a post and three replies (References, In-Reply-To, one
#     reply to a reply) on one page, in tree order, each reply saying
#     whom it answers; a post of another month on that month's page;
#   - w3m -dump (a text browser) reads the index, a month and a thread;
#   - escaping: an HTML post with a script (listed, not shown), a plain
#     post quoting <script> and javascript: links, and RFC 2047 words
#     that decode to markup and to an address: no page holds "<script"
#     or a link but ours, the decoded text is shown as text;
#   - masking: no subscriber address in full anywhere in the site
#     (From, To, Cc, bodies, encoded words), "a…@good.test" instead;
#   - a 2 MB attachment is listed by name, type and size, not inlined;
#     a post without a Message-ID is shown;
#   - parts not shown are downloadable: each listed part is a link
#     (html.parser: with the download attribute, to a/BLOB/K.bin) whose
#     file holds the part's decoded bytes (the attachment and the HTML
#     post's body byte for byte); lighttpd (or, without it, Python's
#     http.server) serves them as application/octet-stream, never as
#     text/html, and with timbre(1)'s configuration with
#     Content-Disposition: attachment and nosniff; a part of a message
#     the inbox no longer holds is removed;
#   - the Atom feed parses with feedparser (python3-feedparser) without
#     a complaint and has the RFC 4287 elements, and xmllint finds it
#     well-formed; with --url its links are absolute;
#   - re-running writes nothing; a new reply rewrites its thread and
#     the index, and a page no longer needed is removed;
#   - headless Chromium renders the index and a thread page to PNG
#     screenshots, kept in tests/integration/archive_html.out/ of the
#     build tree (skipped with a SKIP line without chromium).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init

. "$top_srcdir/tests/integration/listd_lib.sh"
integ_need_cmd git w3m xmllint
/usr/bin/python3 -c 'import feedparser' 2>/dev/null ||
    integ_skip "python3-feedparser is needed"

A=$INTEG_TMP/archive
OUT=$INTEG_TMP/site
ART=$top_builddir/tests/integration/archive_html.out
dev_list alice@good.test carol@example.net

signd_start 1 || { fail_log; integ_summary; exit 1; }
listd_start 1 --archive-dir "$A" || { fail_log; integ_summary; exit 1; }

# post NAME: NAME.in signed and sent as alice@good.test.
post()
{
	dkim_sign "$1"
	send "$1" alice@good.test "dev@$D" "$INTEG_TMP/$1.in"
}

# raw NAME FIELD...: NAME.in from the fields given, then the body on
# standard input.
raw()
{
	local name=$1

	shift
	{ printf '%s\n' "$@" ""; cat; } >"$INTEG_TMP/$name.in"
}

# dump PAGE NAME: w3m's text of PAGE into NAME.txt.
dump()
{
	w3m -dump -cols 200 "$1" >"$INTEG_TMP/$2.txt" 2>&1 || true
}

R="<root.$$@good.test>"
msg root alice@good.test "Cc: Carol <carol@example.net>"
post root
msg reply1 alice@good.test "In-Reply-To: $R" "References: $R"
post reply1
msg reply2 alice@good.test "In-Reply-To: <reply1.$$@good.test>" \
    "References: $R <reply1.$$@good.test>"
post reply2
# In-Reply-To only, as some mailers write it.
msg reply3 alice@good.test "In-Reply-To: $R"
post reply3

raw html "From: Alice <alice@good.test>" "To: dev@$D" \
    "Subject: html post" "Date: $(date -R)" \
    "Message-ID: <html.$$@good.test>" "MIME-Version: 1.0" \
    "Content-Type: text/html; charset=utf-8" <<'EOF'
<html><body><script>alert("html")</script>
<a href="javascript:alert(1)">click</a> <img src=x onerror=alert(2)></body></html>
EOF
post html

raw quote "From: Alice <alice@good.test>" "To: dev@$D" \
    "Subject: quoting markup" "Date: $(date -R)" \
    "Message-ID: <quote.$$@good.test>" <<'EOF'
Write to carol@example.net or "carol smith"@example.net about this:
<script>alert("plain")</script> and <a href="javascript:alert(3)">x</a>.
EOF
post quote

# Encoded words (RFC 2047) that decode to markup and to an address.
sub=$(printf '<script>alert("subject")</script> Caf\xc3\xa9' | base64 -w0)
raw encoded "From: =?UTF-8?Q?carol=40example.net?= <alice@good.test>" \
    "To: =?ISO-8859-1?Q?J=F6rg_=3Ccarol=40example.net=3E?= <dev@$D>" \
    "Subject: =?UTF-8?B?$sub?=" "Date: $(date -R)" \
    "Message-ID: <encoded.$$@good.test>" <<'EOF'
Encoded words in the header.
EOF
post encoded

{
	head -c 2000000 /dev/urandom >"$INTEG_TMP/logs.bin"
	printf '%s\n' "From: alice@good.test" "To: dev@$D" "Subject: big" \
	    "Date: $(date -R)" "Message-ID: <big.$$@good.test>" \
	    "MIME-Version: 1.0" \
	    "Content-Type: multipart/mixed; boundary=b" "" "--b" \
	    "Content-Type: text/plain" "" "The logs are attached." "" "--b" \
	    "Content-Type: application/octet-stream" \
	    "Content-Transfer-Encoding: base64" \
	    "Content-Disposition: attachment; filename=logs.bin" ""
	base64 -w 76 <"$INTEG_TMP/logs.bin"
	printf '%s\n' "--b--"
} >"$INTEG_TMP/big.in"
post big

msg nomid alice@good.test
sed -i '/^Message-ID: /d' "$INTEG_TMP/nomid.in"
post nomid

raw old "From: alice@good.test" "To: dev@$D" "Subject: last month" \
    "Date: Sun, 1 Nov 2026 10:00:00 +0000" \
    "Message-ID: <old.$$@good.test>" <<'EOF'
From November.
EOF
post old

if archived "$A" 10; then
	integ_ok "ten posts archived by listd"
else
	integ_notok "ten posts archived by listd" \
	    "$(git -C "$A/dev/git/0.git" log --oneline master 2>&1 | head)" \
	    "$(q 'SELECT * FROM archive')"
	fail_log
fi

"$TIMBRE" list archive-html --title "dev@$D" "$A" dev "$OUT" \
    >"$INTEG_TMP/run1" 2>&1 && ok=1 || ok=
check "archive-html runs" '[ -n "$ok" ]' "$(cat "$INTEG_TMP/run1")"
line=$(cat "$INTEG_TMP/run1")
check "archive-html: 10 messages, 7 threads, 2 months" \
    'printf "%s" "$line" | grep -q "^dev: 10 messages, 7 threads, 2 months; "' \
    "$line"

G="git -C $A/dev/git/0.git"
# The thread page is named by its first post's blob.
root=$($G log --reverse --format=%H master | head -1)
rblob=$($G rev-parse "$root:m")
TP=$OUT/t/$rblob.html
check "the thread's page t/BLOB.html" '[ -f "$TP" ]' "$(ls "$OUT/t")"
dump "$TP" thread
check "w3m: the thread holds 4 messages" \
    'grep -q "^4 messages in this thread" "$INTEG_TMP/thread.txt"' \
    "$(head -20 "$INTEG_TMP/thread.txt")"
# Tree order: root, reply1, reply2 (under reply1), reply3.
order=$(grep -oE '^(\[dev\] )?(root|reply[123])$' "$INTEG_TMP/thread.txt" |
    sed 's/^\[dev\] //' | tr '\n' ' ')
check "w3m: root, reply1, reply2 (its reply), reply3, in tree order" \
    '[ "$order" = "root root reply1 reply2 reply3 " ]' "$order"
n=$(grep -c '^In reply to: ' "$INTEG_TMP/thread.txt" || true)
check "w3m: each of the 3 replies says whom it answers" '[ "$n" = 3 ]' "$n"
check "w3m: the bodies are shown" \
    'grep -q "Hello from reply2\." "$INTEG_TMP/thread.txt"'
check "w3m: the Cc is shown, masked" \
    'grep -q "^Cc: Carol <c…@example.net>" "$INTEG_TMP/thread.txt"' \
    "$(grep '^Cc' "$INTEG_TMP/thread.txt")"

dump "$OUT/index.html" index
mon=$(date -u +%Y-%m)
check "w3m: the index lists the months, newest first" \
    '[ "$(grep -oE "^ *• 20[0-9]{2}-[0-9]{2} \([0-9]+ messages?\)" \
    "$INTEG_TMP/index.txt" | sed "s/^ *• //" | tr "\n" "|")" = \
    "$mon (9 messages)|2026-11 (1 message)|" ]' \
    "$(cat "$INTEG_TMP/index.txt")"
dump "$OUT/2026-11.html" nov
check "w3m: the November page has its one thread" \
    'grep -q "last month (1)" "$INTEG_TMP/nov.txt" &&
    ! grep -q "quoting markup" "$INTEG_TMP/nov.txt"' \
    "$(cat "$INTEG_TMP/nov.txt")"
dump "$OUT/$mon.html" mon
check "w3m: this month's page has its six threads" \
    '[ "$(grep -cE "^ *• " "$INTEG_TMP/mon.txt")" = 6 ]' \
    "$(cat "$INTEG_TMP/mon.txt")"

# ------------------------------------------------------------ escaping

page() # page SUBJECT-PATTERN: the thread page whose title matches
{
	grep -l "<title>[^<]*$1" "$OUT"/t/*.html | head -1
}
# The pages, not the parts (a/): those are the posts' bytes, for download.
PG="--include=*.html --include=*.xml"
check "no page holds a <script element" \
    '! grep -rqi $PG "<script" "$OUT"' "$(grep -rli $PG "<script" "$OUT")"
check "no page links to javascript:" \
    '! grep -rqi $PG "href=\"javascript" "$OUT"'
check "no page holds an <img or an on...= handler of a post" \
    '! grep -rqiE $PG "<img|onerror=" "$OUT"'
HP=$(page "html post")
dump "$HP" html
check "an HTML post: listed, not shown" \
    'grep -q "(text/html, [0-9]* bytes, HTML not shown)" "$INTEG_TMP/html.txt" &&
    ! grep -q "click" "$INTEG_TMP/html.txt"' "$(cat "$INTEG_TMP/html.txt")"
QP=$(page "quoting markup")
dump "$QP" quote
check "a plain post quoting markup: shown as text" \
    'grep -qF "<script>alert(\"plain\")</script> and <a href=\"javascript:alert(3)\">x</a>." "$INTEG_TMP/quote.txt"' \
    "$(cat "$INTEG_TMP/quote.txt")"
check "the same, escaped in the HTML" \
    'grep -qF "&lt;script&gt;alert(&quot;plain&quot;)&lt;/script&gt;" "$QP"'
EP=$(page "&lt;script&gt;alert")
dump "$EP" enc
check "encoded words: the Subject decoded, shown as text" \
    'grep -qF "<script>alert(\"subject\")</script> Café" "$INTEG_TMP/enc.txt"' \
    "$(head -20 "$INTEG_TMP/enc.txt")"
check "encoded words: an address in them is masked (To, ISO-8859-1)" \
    'grep -qF "To: Jörg <c…@example.net> <d…@lists.test>" "$INTEG_TMP/enc.txt"' \
    "$(grep "^To" "$INTEG_TMP/enc.txt")"

# ------------------------------------------------------------- masking

check "no subscriber address in full anywhere in the site" \
    '! grep -rqE "(alice@good\.test|carol@example\.net|carol smith\"@)" "$OUT"' \
    "$(grep -rhoE ".{20}(alice@good\.test|carol@example\.net).{5}" "$OUT" | head -3)"
check "bodies masked: c…@example.net, c…@example.net (quoted local part)" \
    'grep -qF "Write to c…@example.net or c…@example.net about this:" "$INTEG_TMP/quote.txt"' \
    "$(head -12 "$INTEG_TMP/quote.txt")"
check "From masked: a…@good.test" \
    'grep -q "^From: .*a…@good.test" "$INTEG_TMP/thread.txt"' \
    "$(grep "^From" "$INTEG_TMP/thread.txt")"

# ------------------------------------------------- big parts, no Message-ID

BP=$(page "big")
dump "$BP" big
check "a 2 MB attachment: listed by name, type and size" \
    'grep -q "logs.bin (application/octet-stream, 2000000 bytes)" "$INTEG_TMP/big.txt" &&
    grep -q "The logs are attached." "$INTEG_TMP/big.txt"' \
    "$(cat "$INTEG_TMP/big.txt")"
size=$(wc -c <"$BP")
check "a 2 MB attachment: not inlined (page of $size bytes)" \
    '[ "$size" -lt 20000 ]'
NP=$(page "nomid")
check "a post without a Message-ID has its page" \
    '[ -n "$NP" ] && w3m -dump "$NP" | grep -q "Hello from nomid."'

# ----------------------------------------------------- parts, downloaded

# links PAGE: each <a> to a part, as "href download type" lines; fails
# on an <a> into a/ without download, or on any element that embeds
# (iframe, object, embed, img).
links()
{
	/usr/bin/python3 - "$1" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        assert tag not in ("iframe", "object", "embed", "img", "frame"), tag
        if tag == "a" and "/a/" in a.get("href", ""):
            assert "download" in a and a.get("type") == \
                "application/octet-stream", attrs
            print(a["href"], a["download"], a["type"])
P().feed(open(sys.argv[1], encoding="utf-8").read())
EOF
}
# part_link PAGE NAME WHAT: checks that PAGE's first part link is
# ../a/BLOB/1.bin, saved as NAME; sets part to the file it names.
part_link()
{
	local l want=$2

	l=$(links "$1" 2>&1) || true
	part=$OUT/t/$(printf '%s' "$l" | awk 'NR == 1 { print $1 }')
	check "$3: a download link (html.parser), saved as $2" \
	    'printf "%s" "$l" | grep -qE "^\.\./a/[0-9a-f]{40}/1\.bin $want application/octet-stream$"' \
	    "$l"
}
part_link "$BP" logs.bin "the attachment"
bpart=$part
check "the linked file holds the attachment's bytes" \
    'cmp -s "$bpart" "$INTEG_TMP/logs.bin"' "$bpart: $(ls -l "$bpart" 2>&1)"
part_link "$HP" part-1.bin "the HTML post's body"
hpart=$part
check "its file holds the HTML as posted" \
    'grep -qF "<script>alert(\"html\")</script>" "$hpart"' "$hpart"
for p in "$OUT"/t/*.html; do
	links "$p" >/dev/null 2>"$INTEG_TMP/links.err" || {
		echo "$p"
		cat "$INTEG_TMP/links.err"
	} >>"$INTEG_TMP/links.bad"
done
check "html.parser: no page embeds, every part link downloads" \
    '[ ! -s "$INTEG_TMP/links.bad" ]' \
    "$(head -5 "$INTEG_TMP/links.bad" 2>/dev/null)"

# Served by a static web server: a part's type is never a page's.
port=$(integ_free_port)
if command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ]; then
	LH=$(command -v lighttpd || echo /usr/sbin/lighttpd)
	cat >"$INTEG_TMP/lighttpd.conf" <<EOF
server.document-root = "$OUT"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$INTEG_TMP/lighttpd.log"
include_shell "/usr/share/lighttpd/create-mime.conf.pl"
# As timbre(1) advises for a/: save, never sniff.
server.modules += ( "mod_setenv" )
\$HTTP["url"] =^ "/a/" {
	setenv.add-response-header = (
	    "Content-Disposition" => "attachment",
	    "X-Content-Type-Options" => "nosniff" )
}
EOF
	"$LH" -D -f "$INTEG_TMP/lighttpd.conf" >"$INTEG_TMP/httpd.out" 2>&1 &
	SERVER=lighttpd
else
	(cd "$OUT" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 \
	    "$port") >"$INTEG_TMP/httpd.out" 2>&1 &
	SERVER="python3 http.server"
fi
hpid=$!
INTEG_PIDS="$INTEG_PIDS $hpid"
for i in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$port/index.html" && break
	sleep 0.1
done
ct=$(curl -s -o "$INTEG_TMP/got.bin" -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$port/${bpart#"$OUT"/t/../}")
check "$SERVER serves the attachment: 200 application/octet-stream" \
    '[ "$ct" = "200 application/octet-stream" ] &&
    cmp -s "$INTEG_TMP/got.bin" "$INTEG_TMP/logs.bin"' "$ct"
ct=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$port/${hpart#"$OUT"/t/../}")
check "$SERVER serves the HTML post's part as application/octet-stream" \
    '[ "$ct" = "200 application/octet-stream" ]' "$ct"
if [ "$SERVER" = lighttpd ]; then
	curl -s -D "$INTEG_TMP/hdr" -o /dev/null \
	    "http://127.0.0.1:$port/${hpart#"$OUT"/t/../}" || true
	check "lighttpd, configured as timbre(1) says: attachment, nosniff" \
	    'grep -qi "^Content-Disposition: attachment" "$INTEG_TMP/hdr" &&
	    grep -qi "^X-Content-Type-Options: nosniff" "$INTEG_TMP/hdr"' \
	    "$(cat "$INTEG_TMP/hdr")"
else
	integ_skipcase "lighttpd's headers" "lighttpd is not installed"
fi
kill "$hpid" 2>/dev/null || true
wait "$hpid" 2>/dev/null || true

# ------------------------------------------------------------------ Atom

/usr/bin/python3 - "$OUT/atom.xml" >"$INTEG_TMP/feed" 2>&1 <<'EOF' && ok=1 || ok=
import sys, feedparser
d = feedparser.parse(sys.argv[1])
assert not d.bozo, d.bozo_exception
assert d.version == "atom10", d.version
assert d.feed.id.startswith("urn:uuid:") and d.feed.title and d.feed.updated
for e in d.entries:
    assert e.id.startswith("urn:uuid:") and e.title and e.updated, e
    assert e.author and e.link, e
titles = [e.title for e in d.entries]
print(len(d.entries), "|".join(titles))
assert len(d.entries) == 10
assert '<script>alert("subject")</script> Café' in titles, titles
assert "@good.test" not in open(sys.argv[1]).read().replace("…@", "")
EOF
check "Atom: feedparser reads 10 entries, no complaint" '[ -n "$ok" ]' \
    "$(cat "$INTEG_TMP/feed")"
check "Atom: xmllint finds it well-formed" \
    'xmllint --noout "$OUT/atom.xml"' "$(xmllint --noout "$OUT/atom.xml" 2>&1)"

# --url: the feed's links absolute, under OUTDIR's public URL.
"$TIMBRE" list archive-html --title "dev@$D" --url https://lists.test/dev \
    "$A" dev "$INTEG_TMP/site-url" >/dev/null 2>&1 || true
/usr/bin/python3 - "$INTEG_TMP/site-url/atom.xml" >"$INTEG_TMP/feed-url" 2>&1 <<'EOF' && ok=1 || ok=
import sys, feedparser
d = feedparser.parse(sys.argv[1])
assert not d.bozo, d.bozo_exception
self = [l.href for l in d.feed.links if l.rel == "self"]
assert self == ["https://lists.test/dev/atom.xml"], d.feed.links
for e in d.entries:
    assert e.link.startswith("https://lists.test/dev/t/"), e.link
print(d.entries[0].link)
EOF
check "Atom with --url: absolute links, rel=self" '[ -n "$ok" ]' \
    "$(cat "$INTEG_TMP/feed-url")"

# ------------------------------------------------------ again, and after

"$TIMBRE" list archive-html --title "dev@$D" "$A" dev "$OUT" \
    >"$INTEG_TMP/run2" 2>&1 || true
check "a second run writes nothing" \
    'grep -q "; 0 files written, 0 removed$" "$INTEG_TMP/run2"' \
    "$(cat "$INTEG_TMP/run2")"
msg reply4 alice@good.test "In-Reply-To: <reply2.$$@good.test>" \
    "References: $R <reply1.$$@good.test> <reply2.$$@good.test>"
post reply4
# The November post's lost parent arrives: its thread becomes this one's.
raw orphan "From: alice@good.test" "To: dev@$D" "Subject: re: last month" \
    "Date: Sun, 1 Nov 2026 11:00:00 +0000" \
    "Message-ID: <orphan.$$@good.test>" "In-Reply-To: <old.$$@good.test>" <<'EOF'
Late.
EOF
post orphan
archived "$A" 12 || integ_notok "two more posts archived"
"$TIMBRE" list archive-html --title "dev@$D" "$A" dev "$OUT" \
    >"$INTEG_TMP/run3" 2>&1 || true
line=$(cat "$INTEG_TMP/run3")
# reply4: its thread, this month, the index, the feed; orphan: its
# thread, November.
check "after two new posts: 12 messages, 6 pages and the state rewritten" \
    '[ "$line" = "dev: 12 messages, 7 threads, 2 months; 7 files written, 0 removed" ]' \
    "$line"
check "the new reply is on its thread's page" \
    'w3m -dump "$TP" | grep -q "^5 messages in this thread" &&
    w3m -dump "$TP" | grep -q "Hello from reply4."'
ls "$OUT"/*.tmp "$OUT"/t/*.tmp >/dev/null 2>&1 && tmp=1 || tmp=
check "no temporary file is left" '[ -z "$tmp" ]'
# A page no thread needs is removed (one a crash of an older run left).
: >"$OUT/t/0000000000000000000000000000000000000000.html"
: >"$OUT/1999-01.html"
mkdir -p "$OUT/a/0000000000000000000000000000000000000000"
: >"$OUT/a/0000000000000000000000000000000000000000/1.bin"
"$TIMBRE" list archive-html --title "dev@$D" "$A" dev "$OUT" \
    >"$INTEG_TMP/run4" 2>&1 || true
check "stale pages and parts are removed" \
    '[ ! -e "$OUT/1999-01.html" ] &&
    [ ! -e "$OUT/t/0000000000000000000000000000000000000000.html" ] &&
    [ ! -e "$OUT/a/0000000000000000000000000000000000000000" ] &&
    grep -q "0 files written, 3 removed" "$INTEG_TMP/run4"' \
    "$(cat "$INTEG_TMP/run4")"

# ----------------------------------------------------------------- usage

"$TIMBRE" list archive-html "$A" nosuch "$INTEG_TMP/x" >"$INTEG_TMP/e1" 2>&1 &&
    rc=0 || rc=$?
check "no such list: exit 1, the inbox named" \
    '[ "$rc" = 1 ] && grep -q "nosuch" "$INTEG_TMP/e1"' "$rc $(cat "$INTEG_TMP/e1")"
"$TIMBRE" list archive-html "$A" ../dev "$INTEG_TMP/x" >"$INTEG_TMP/e2" 2>&1 &&
    rc=0 || rc=$?
check "a LIST with a slash: usage, exit 2" '[ "$rc" = 2 ]' "$rc"

# ------------------------------------------------------- Chromium renders

rm -rf "$ART"
mkdir -p "$ART"
cp -r "$OUT" "$ART/site"
CHROME=
for c in chromium chromium-browser google-chrome; do
	command -v "$c" >/dev/null 2>&1 && { CHROME=$c; break; }
done
if [ -z "$CHROME" ]; then
	integ_skipcase "headless Chromium screenshots" "chromium is not installed"
else
	for p in index:index.html thread:t/$rblob.html; do
		name=${p%%:*}
		HOME=$INTEG_TMP/chrome timeout 120 "$CHROME" --headless \
		    --no-sandbox --disable-gpu --disable-dev-shm-usage \
		    --no-first-run --user-data-dir="$INTEG_TMP/chrome" \
		    --window-size=1000,1400 --screenshot="$ART/$name.png" \
		    "file://$ART/site/${p#*:}" >"$INTEG_TMP/chrome.$name" 2>&1 ||
		    true
		sz=$(wc -c <"$ART/$name.png" 2>/dev/null || echo 0)
		check "Chromium renders the $name page ($ART/$name.png, $sz bytes)" \
		    '[ "$sz" -gt 10000 ] &&
		    [ "$(head -c 8 "$ART/$name.png" | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a ]' \
		    "$(tail -5 "$INTEG_TMP/chrome.$name")"
	done
fi

integ_summary
