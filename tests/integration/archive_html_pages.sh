#!/bin/sh
# tests/integration/archive_html_pages.sh: timbre list archive-html over
# a big inbox (issue 20, the web view's pagination and rebuild).  git
# fast-import writes a public-inbox v2 epoch of 2 000 posts in one month
# (500 threads of a post and three replies), without timbre-listd; then:
#
#   - the month is shown 100 threads a page: YYYY-MM.html, then
#     YYYY-MM-2.html to -5.html; Python's html.parser follows the rel
#     "next" links from the first page to the last and the "prev" links
#     back, and finds each of the 500 threads on exactly one page, the
#     latest first, and every thread page linked there present;
#   - a second run writes nothing (the URLs and bytes are stable);
#   - one new post rewrites only what it changes: its thread page, the
#     month's pages (it is the latest thread, so every page's threads
#     move down by one, and a sixth page begins), the index and the
#     feed, not the 500 other thread pages; a stale page of a month
#     (YYYY-MM-9.html) is removed;
#   - thread pages whose messages did not change are not made again
#     (OUTDIR/.timbre-archive-html keeps what each was made of); without
#     that file every page is made again and the bytes are the same;
#     another --title remakes every page;
#   - the times of the full run and of the runs after one post are
#     printed as notes (not asserted: the machine is shared).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
integ_init
integ_need_cmd git w3m

TIMBRE=$top_builddir/tools/timbre
A=$INTEG_TMP/archive
OUT=$INTEG_TMP/site

check()
{
	if eval "$2"; then
		integ_ok "$1"
	else
		integ_notok "$1" "${3:-}"
	fi
}

# gen N START: posts START..START+N-1 into the inbox through git
# fast-import; post i answers post i - i % 4, from 2026-12-07 00:00 on,
# one minute apart.
gen()
{
	/usr/bin/python3 - "$A/dev/git/0.git" "$1" "$2" <<'EOF'
import os, subprocess, sys
g, n, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if not os.path.isdir(g):
    subprocess.run(["git", "init", "-q", "--bare", g], check=True)
out = []
for i in range(start, start + n):
    root = i - i % 4
    h = ["From: Poster %d <p%d@example.net>" % (i % 50, i % 50),
         "To: dev@lists.test",
         "Subject: %stopic %d" % ("Re: " if i % 4 else "", root),
         "Date: %d Dec 2026 %02d:%02d:00 +0000" % (7 + i // 1440,
             i // 60 % 24, i % 60),
         "Message-ID: <m%d@example.net>" % i]
    if i % 4:
        h += ["In-Reply-To: <m%d@example.net>" % root,
              "References: <m%d@example.net>" % root]
    b = ("\n".join(h) + "\n\n" + "Post %d says hello.\n" % i * 20).encode()
    t = 1796601600 + i * 60
    out.append(b"commit refs/heads/master\n")
    out.append(b"author P <p@example.net> %d +0000\n" % t)
    out.append(b"committer dev <dev@lists.test> %d +0000\n" % t)
    out.append(b"data 5\ntopic\n")
    if i == start and start > 0:
        out.append(b"from refs/heads/master^0\n")
    out.append(b"M 100644 inline m\ndata %d\n%s\n" % (len(b), b))
subprocess.run(["git", "--git-dir", g, "fast-import", "--quiet"],
    input=b"".join(out), check=True)
EOF
}

# run NAME: archive-html into OUT, its line in NAME, its time in NAME.time.
run()
{
	local t0 t1

	t0=$(date +%s%N)
	"$TIMBRE" list archive-html "$A" dev "$OUT" >"$INTEG_TMP/$1" 2>&1 ||
	    true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$INTEG_TMP/$1.time"
}

gen 2000 0
n=$(git --git-dir "$A/dev/git/0.git" rev-list --count master)
check "git fast-import: an inbox of 2000 posts" '[ "$n" = 2000 ]' "$n"
run full
line=$(cat "$INTEG_TMP/full")
check "archive-html: 2000 messages, 500 threads, 507 pages and the state" \
    '[ "$line" = "dev: 2000 messages, 500 threads, 1 months; 508 files written, 0 removed" ]' \
    "$line"
echo "# the full run: $(cat "$INTEG_TMP/full.time") ms"

# walk: from 2026-12.html along rel=next, then back along rel=prev:
# "PAGES THREADS UNIQUE MISSING ORDERED BACK" (MISSING: linked thread
# pages absent; ORDERED: 1 if the latest are first; BACK: the pages
# met going back, joined by spaces).
walk()
{
	/usr/bin/python3 - "$OUT" <<'EOF'
import os, re, sys
from html.parser import HTMLParser
out = sys.argv[1]
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rel, self.threads, self.li = {}, [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("rel") in ("next", "prev"):
            self.rel[a["rel"]] = a["href"]
        elif tag == "a" and a.get("href", "").startswith("t/"):
            self.threads.append(a["href"])
            self.li = a["href"]
    def handle_data(self, d):
        m = re.search(r"\) (2026-\d\d-\d\d \d\d:\d\d)", d)
        if m and self.li:
            self.dates.append(m.group(1))
            self.li = None
def parse(name):
    p = P()
    p.dates = []
    p.feed(open(os.path.join(out, name), encoding="utf-8").read())
    return p
pages, threads, dates, name = [], [], [], "2026-12.html"
while name and len(pages) < 50:
    p = parse(name)
    pages.append(name)
    assert len(p.threads) <= 100, (name, len(p.threads))
    threads += p.threads
    dates += p.dates
    name = p.rel.get("next")
back, name = [], pages[-1]
while name and len(back) < 50:
    back.append(name)
    name = parse(name).rel.get("prev")
missing = sum(not os.path.exists(os.path.join(out, t)) for t in threads)
print(len(pages), len(threads), len(set(threads)), missing,
      int(dates == sorted(dates, reverse=True) and len(dates) == len(threads)),
      " ".join(back))
EOF
}
w=$(walk 2>&1) || true
check "5 month pages of 100 threads, each thread once, latest first" \
    '[ "$w" = "5 500 500 0 1 2026-12-5.html 2026-12-4.html 2026-12-3.html 2026-12-2.html 2026-12.html" ]' \
    "$w"
check "w3m: page 2 says where it is, with both links" \
    'w3m -dump "$OUT/2026-12-2.html" | grep -q "^Page 2 of 5 | newer | older$"'
check "the index links the month's first page" \
    'grep -q "<a href=\"2026-12.html\">2026-12</a> (2000 messages)" "$OUT/index.html"'

run again
check "a second run writes nothing" \
    'grep -q "; 0 files written, 0 removed$" "$INTEG_TMP/again"' \
    "$(cat "$INTEG_TMP/again")"
echo "# a run with nothing new: $(cat "$INTEG_TMP/again.time") ms"

# Post 2001 answers post 2000, which the inbox does not hold: a thread
# of its own, the latest, so 501 threads and a sixth page.
gen 1 2001
run one
line=$(cat "$INTEG_TMP/one")
# Its thread, the month's 6 pages (a new one and 5 whose threads moved
# down by one), the index, the feed and the state.
check "one new thread: 10 files written (not 500 thread pages)" \
    '[ "$line" = "dev: 2001 messages, 501 threads, 1 months; 10 files written, 0 removed" ]' \
    "$line"
check "a sixth month page" '[ -f "$OUT/2026-12-6.html" ]'
echo "# a run after one new post: $(cat "$INTEG_TMP/one.time") ms"
w=$(walk 2>&1) || true
check "6 pages, 501 threads, each once" \
    '[ "$(echo "$w" | cut -d " " -f 1-5)" = "6 501 501 0 1" ]' "$w"

: >"$OUT/2026-12-9.html"
: >"$OUT/2026-12-x.html"
run stale
check "a stale month page is removed, nothing else" \
    '[ ! -e "$OUT/2026-12-9.html" ] && [ -e "$OUT/2026-12-x.html" ] &&
    grep -q "; 0 files written, 1 removed$" "$INTEG_TMP/stale"' \
    "$(cat "$INTEG_TMP/stale")"

# Without the state every thread page is made again: the same bytes.
rm "$OUT/.timbre-archive-html"
run nostate
check "made again without the state: the same pages (only the state written)" \
    'grep -q "; 1 files written, 0 removed$" "$INTEG_TMP/nostate"' \
    "$(cat "$INTEG_TMP/nostate")"
echo "# a run without the state (every page made): $(cat "$INTEG_TMP/nostate.time") ms"
# Another title is on every page: all made again.
"$TIMBRE" list archive-html --title "dev list" "$A" dev "$OUT" \
    >"$INTEG_TMP/title" 2>&1 || true
check "another --title: every page and the state rewritten" \
    'grep -q "; 510 files written, 0 removed$" "$INTEG_TMP/title"' \
    "$(cat "$INTEG_TMP/title")"

integ_summary
