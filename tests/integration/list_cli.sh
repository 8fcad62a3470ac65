#!/bin/bash
# tests/integration/list_cli.sh: `timbre list` end to end on a real
# database: create (mode 0640, never over an existing file), add lists
# with '-' in their names and moderators, subscribe, settings, show
# (exact output), held (exact output), accept and reject, remove; the errors (exit 1, naming the database) and
# usage errors (exit 2); and what the sqlite3 shell sees: WAL mode,
# user_version 7, timbre's application_id, the rows.  Also: a writer
# holding the lock in the sqlite3 shell is waited for, and databases
# that are not timbre's or are newer are refused untouched.
#
# Run: top_builddir=/work/main/build top_srcdir=/work/main \
#          bash tests/integration/list_cli.sh
# Exit: 0 all passed, 1 a case failed, 77 timbre or sqlite3 is missing.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

TIMBRE=$top_builddir/tools/timbre
[ -x "$TIMBRE" ] || integ_skip "$TIMBRE is not built"
integ_need_cmd sqlite3

integ_init
T=$INTEG_TMP
DB=$T/lists.db

# run NAME STATUS [ARGS...]: timbre list ARGS must exit STATUS; its
# output is in $T/out and $T/err.
run()
{
	local name=$1 want=$2 rc=0

	shift 2
	"$TIMBRE" list "$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" = "$want" ]; then
		return 0
	fi
	integ_notok "$name" "exit $rc, not $want" "$(cat "$T/err")"
	return 1
}

# ok NAME STATUS ARGS...: run, and a line for it.
ok()
{
	run "$@" && integ_ok "$1"
	return 0
}

# refused NAME STATUS PATTERN ARGS...: exits STATUS with PATTERN (grep
# -E) in its error, which names the command.
refused()
{
	local name=$1 want=$2 pattern=$3

	shift 3
	run "$name" "$want" "$@" || return 0
	if grep -Eq -- "$pattern" "$T/err" && grep -q "^timbre list" "$T/err"
	then
		integ_ok "$name"
	else
		integ_notok "$name" "error does not match /$pattern/:" \
		    "$(cat "$T/err")"
	fi
}

# same NAME FILE: $T/out equals FILE.
same()
{
	if diff -u "$2" "$T/out" >"$T/diff"; then
		integ_ok "$1"
	else
		integ_notok "$1" "$(cat "$T/diff")"
	fi
}

# ------------------------------------------------------------ create

(umask 077 && ok "create" 0 create "$DB")
mode=$(stat -c %a "$DB")
[ "$mode" = 640 ] && integ_ok "created with mode 0640 (umask 077)" ||
    integ_notok "created with mode 0640 (umask 077)" "mode $mode"
refused "create over an existing database" 1 "$DB: already exists" create "$DB"
echo "keep me" >"$T/precious"
refused "create over another file" 1 "already exists" create "$T/precious"
[ "$(cat "$T/precious")" = "keep me" ] && integ_ok "other file untouched" ||
    integ_notok "other file untouched"

# ------------------------------------------------------------ sqlite3 sees

v=$(sqlite3 "$DB" 'PRAGMA journal_mode')
[ "$v" = wal ] && integ_ok "sqlite3: journal_mode wal" ||
    integ_notok "sqlite3: journal_mode wal" "$v"
v=$(sqlite3 "$DB" 'PRAGMA user_version')
[ "$v" = 7 ] && integ_ok "sqlite3: user_version 7" ||
    integ_notok "sqlite3: user_version 7" "$v"
v=$(sqlite3 "$DB" 'PRAGMA application_id')
[ "$v" = $((0x74696d62)) ] && integ_ok "sqlite3: application_id timb" ||
    integ_notok "sqlite3: application_id timb" "$v"
v=$(sqlite3 "$DB" "SELECT group_concat(name, ' ') FROM (SELECT name FROM
    sqlite_master WHERE type = 'table' ORDER BY name)")
[ "$v" = "archive bounces deliveries digest held held_tokens lists messages moderators pending replies secrets sqlite_sequence subscribers" ] &&
    integ_ok "sqlite3: the tables" || integ_notok "sqlite3: the tables" "$v"

# ------------------------------------------------------------ add, subscribe

D=example.org
ok "add dev-team with two moderators" 0 add "$DB" --domain Example.ORG \
    dev-team --moderator Alice@Example.ORG --moderator bob@example.org \
    --time 1790000000
ok "add dev" 0 add "$DB" --domain "$D" dev --time 1790000060
ok "add dev-team-x (longer name)" 0 add "$DB" --domain "$D" Dev-Team-X \
    --time 1790000120
ok "add at another domain" 0 add "$DB" --domain example.net dev \
    --time 1790000180
ok "subscribe" 0 subscribe "$DB" --domain "$D" dev-team Carol@Example.Org \
    --time 1790000200
ok "subscribe another" 0 subscribe "$DB" --domain "$D" dev-team \
    dave+lists@mail.example.com --time 1790000300
ok "subscribe to dev" 0 subscribe "$DB" --domain "$D" dev erin@example.org \
    --time 1790000400
ok "add-moderator" 0 add-moderator "$DB" --domain "$D" dev \
    mod@example.org --time 1790000500
ok "settings" 0 settings "$DB" --domain "$D" dev --posting moderated \
    --subject-prefix '[dev] "x"'

cat >"$T/want-all" <<'EOF'
dev@example.net list posting=subscribers moderators=0 subscribers=0 bounces=0 created=2026-09-21T14:16:20Z subject-prefix=""
dev@example.org list posting=moderated moderators=1 subscribers=1 bounces=0 created=2026-09-21T14:14:20Z subject-prefix="[dev] \"x\""
dev@example.org moderator mod@example.org added=2026-09-21T14:21:40Z
dev@example.org subscriber erin@example.org state=active bounce-score=0 bounces=0 last-bounce=- added=2026-09-21T14:20:00Z
dev-team@example.org list posting=subscribers moderators=2 subscribers=2 bounces=0 created=2026-09-21T14:13:20Z subject-prefix=""
dev-team@example.org moderator Alice@example.org added=2026-09-21T14:13:20Z
dev-team@example.org moderator bob@example.org added=2026-09-21T14:13:20Z
dev-team@example.org subscriber Carol@example.org state=active bounce-score=0 bounces=0 last-bounce=- added=2026-09-21T14:16:40Z
dev-team@example.org subscriber dave+lists@mail.example.com state=active bounce-score=0 bounces=0 last-bounce=- added=2026-09-21T14:18:20Z
dev-team-x@example.org list posting=subscribers moderators=0 subscribers=0 bounces=0 created=2026-09-21T14:15:20Z subject-prefix=""
EOF
ok "show" 0 show "$DB" && same "show: exact output" "$T/want-all"

grep -v '^dev@example.net' "$T/want-all" >"$T/want-org"
ok "show --domain" 0 show "$DB" --domain "$D" &&
    same "show --domain: exact output" "$T/want-org"
grep '^dev-team@' "$T/want-all" >"$T/want-team"
ok "show --domain LIST" 0 show "$DB" --domain "$D" DEV-TEAM &&
    same "show --domain LIST: exact output" "$T/want-team"
ok "show --domain with no lists" 0 show "$DB" --domain example.com &&
    same "show --domain with no lists: empty" /dev/null

# Bounce counts come from the bounces table (listd writes it).
sqlite3 "$DB" "INSERT INTO bounces (list_id, recipient, time, kind, via,
    reason, charged_to) SELECT id, 'carol@EXAMPLE.org', 1790001000, 'hard',
    'smtp', '550 5.1.1 no such user', 'subscriber' FROM lists WHERE
    name = 'dev-team'; UPDATE subscribers SET bounce_score = 1,
    last_bounce = 1790001000 WHERE address = 'carol@example.org'"
ok "show bounce counts" 0 show "$DB" --domain "$D" dev-team
if grep -qx 'dev-team@example.org list .* bounces=1 .*' "$T/out" &&
    grep -qx 'dev-team@example.org subscriber Carol@example.org state=active bounce-score=1 bounces=1 last-bounce=2026-09-21T14:30:00Z added=2026-09-21T14:16:40Z' "$T/out"
then
	integ_ok "show bounce counts: lines"
else
	integ_notok "show bounce counts: lines" "$(cat "$T/out")"
fi

# ------------------------------------------------------------ errors (1)

refused "add an existing list" 1 "$DB: list dev-team@example.org already exists" \
    add "$DB" --domain "$D" dev-team
refused "add a list named like an admin address" 1 'ends in "-owner"' \
    add "$DB" --domain "$D" dev-owner
refused "add a bad list name" 1 'list name "a b"' add "$DB" --domain "$D" 'a b'
refused "add with a bad moderator" 1 'address "nobody": no' \
    add "$DB" --domain "$D" staff --moderator nobody
refused "add with a bad domain" 1 "not a domain name" \
    add "$DB" --domain 'exa mple.org' staff
refused "subscribe twice, other case" 1 \
    "CAROL@example.org is already a subscriber of dev-team@example.org" \
    subscribe "$DB" --domain "$D" dev-team CAROL@EXAMPLE.ORG
refused "subscribe to no list" 1 "no list nope@example.org" \
    subscribe "$DB" --domain "$D" nope x@example.org
refused "subscribe a bad address" 1 'address "x@\[192.0.2.1\]"' \
    subscribe "$DB" --domain "$D" dev x@[192.0.2.1]
refused "unsubscribe a non-subscriber" 1 "is not a subscriber of" \
    unsubscribe "$DB" --domain "$D" dev nobody@example.org
refused "remove-moderator a non-moderator" 1 "is not a moderator of" \
    remove-moderator "$DB" --domain "$D" dev erin@example.org
refused "show no list" 1 "no list nope@example.org" \
    show "$DB" --domain "$D" nope
refused "no database" 1 "$T/none.db: no such database" \
    subscribe "$T/none.db" --domain "$D" dev x@example.org
[ ! -e "$T/none.db" ] && integ_ok "no database: none made" ||
    integ_notok "no database: none made"
refused "subject prefix with a control character" 1 "control character" \
    settings "$DB" --domain "$D" dev --subject-prefix "$(printf 'a\tb')"

# ------------------------------------------------------------ usage (2)

if run "no verb" 2 && grep -q "^usage: timbre list show DB" "$T/err"; then
	integ_ok "no verb: every usage"
else
	integ_notok "no verb: every usage" "$(cat "$T/err")"
fi
refused "unknown verb" 2 'unknown command "frobnicate"' frobnicate "$DB"
refused "create: too many arguments" 2 "too many arguments" create "$DB" x
refused "add: no --domain" 2 "--domain is required" add "$DB" dev
refused "subscribe: no address" 2 "missing arguments" \
    subscribe "$DB" --domain "$D" dev
refused "show LIST without --domain" 2 "--domain is required" show "$DB" dev
refused "--moderator on subscribe" 2 "--moderator is not an option" \
    subscribe "$DB" --domain "$D" dev a@b.c --moderator x@y.z
refused "settings: nothing to change" 2 "nothing to change" \
    settings "$DB" --domain "$D" dev
refused "settings: bad --posting" 2 "subscribers, moderated or open" \
    settings "$DB" --domain "$D" dev --posting everyone
ok "--help" 0 subscribe --help
grep -q "^usage: timbre list subscribe DB --domain D LIST ADDR" "$T/out" &&
    integ_ok "--help: usage on stdout" || integ_notok "--help: usage on stdout"

# ------------------------------------------------------------ held posts

# Two posts of dev held as timbre-listd holds them (a messages row in
# state held and its held row), the second with '"' in its subject.
sqlite3 "$DB" "INSERT INTO messages (list_id, state, mail_from, body, size,
    created) SELECT id, 'held', 'x@example.net', 'post', 4, 1790000500
    FROM lists WHERE name = 'dev' AND domain = '$D';
    INSERT INTO held (list_id, message, author, verified, mail_from,
    subject, reason, size, held, expires) SELECT list_id, id,
    'x@example.net', 1, 'x@example.net', 'hello', 'not a subscriber', 4,
    1790000500, 1791210100 FROM messages WHERE state = 'held';
    INSERT INTO messages (list_id, state, mail_from, body, size, created)
    SELECT id, 'held', '', 'post', 4, 1790000600 FROM lists
    WHERE name = 'dev' AND domain = '$D';
    INSERT INTO held (list_id, message, author, verified, mail_from,
    subject, reason, size, held, expires) SELECT list_id, max(id), '', 0,
    '', 'say \"hi\"', 'moderated list', 4, 1790000600, 1791210200
    FROM messages WHERE state = 'held'"
H1=$(sqlite3 "$DB" "SELECT min(id) FROM held")
H2=$(sqlite3 "$DB" "SELECT max(id) FROM held")
ok "held" 0 held "$DB" --domain "$D" dev
cat >"$T/want" <<EOF
dev@example.org held $H1 from=<x@example.net> verified=yes envelope=<x@example.net> size=4 held=2026-09-21T14:21:40Z expires=2026-10-05T14:21:40Z reason="not a subscriber" subject="hello"
dev@example.org held $H2 from=<> verified=no envelope=<> size=4 held=2026-09-21T14:23:20Z expires=2026-10-05T14:23:20Z reason="moderated list" subject="say \\"hi\\""
EOF
same "held: the exact lines" "$T/want"
ok "held of another list: none" 0 held "$DB" --domain "$D" dev-team
[ ! -s "$T/out" ] && integ_ok "held of another list: empty" ||
    integ_notok "held of another list: empty" "$(cat "$T/out")"
refused "accept: another list's post" 1 "no held post $H1" \
    accept "$DB" --domain "$D" dev-team "$H1"
refused "accept: not a number" 2 "ID must be the number" \
    accept "$DB" --domain "$D" dev 1x
refused "accept: no ID" 2 "missing arguments" accept "$DB" --domain "$D" dev
refused "discard: a reason is reject's" 2 "too many arguments" \
    discard "$DB" --domain "$D" dev "$H2" why
ok "accept" 0 accept "$DB" --domain "$D" dev "$H1"
v=$(sqlite3 "$DB" "SELECT m.state FROM held h JOIN messages m
    ON m.id = h.message WHERE h.id = $H1")
[ "$v" = received ] && integ_ok "accept: the post is received, for listd" ||
    integ_notok "accept: the post is received, for listd" "$v"
refused "accept again" 1 "held post $H1 was accepted already by the operator" \
    accept "$DB" --domain "$D" dev "$H1"
ok "reject with a reason" 0 reject "$DB" --domain "$D" dev "$H2" "off topic"
v=$(sqlite3 "$DB" "SELECT state || ',' || note || ',' || (message IS NULL)
    FROM held WHERE id = $H2")
[ "$v" = "rejected,off topic,1" ] &&
    integ_ok "reject: recorded with its reason, the message gone" ||
    integ_notok "reject: recorded with its reason, the message gone" "$v"
ok "held: none left" 0 held "$DB"
[ ! -s "$T/out" ] && integ_ok "held: empty" ||
    integ_notok "held: empty" "$(cat "$T/out")"

# ------------------------------------------------------------ removals

ok "unsubscribe, other case" 0 unsubscribe "$DB" --domain "$D" dev-team \
    carol@EXAMPLE.ORG
ok "remove-moderator" 0 remove-moderator "$DB" --domain "$D" dev-team \
    ALICE@example.org
ok "remove a list" 0 remove "$DB" --domain "$D" dev-team-x
ok "show after removals" 0 show "$DB" --domain "$D"
cat >"$T/want-after" <<'EOF'
dev@example.org list posting=moderated moderators=1 subscribers=1 bounces=0 created=2026-09-21T14:14:20Z subject-prefix="[dev] \"x\""
dev@example.org moderator mod@example.org added=2026-09-21T14:21:40Z
dev@example.org subscriber erin@example.org state=active bounce-score=0 bounces=0 last-bounce=- added=2026-09-21T14:20:00Z
dev-team@example.org list posting=subscribers moderators=1 subscribers=1 bounces=1 created=2026-09-21T14:13:20Z subject-prefix=""
dev-team@example.org moderator bob@example.org added=2026-09-21T14:13:20Z
dev-team@example.org subscriber dave+lists@mail.example.com state=active bounce-score=0 bounces=0 last-bounce=- added=2026-09-21T14:18:20Z
EOF
same "show after removals: exact output" "$T/want-after"
v=$(sqlite3 "$DB" "SELECT count(*) FROM lists WHERE name = 'dev-team-x'")
[ "$v" = 0 ] && integ_ok "sqlite3: removed list gone" ||
    integ_notok "sqlite3: removed list gone" "$v"

# ------------------------------------------------------------ concurrency

# The sqlite3 shell holds the write lock for a second; timbre waits (its
# busy timeout is 5 s) and then succeeds.
{ echo "BEGIN IMMEDIATE;"; sleep 1; echo "COMMIT;"; } | sqlite3 "$DB" &
holder=$!
integ_track "$holder"
sleep 0.3
start=$(date +%s%N)
ok "subscribe waits for another writer" 0 subscribe "$DB" --domain "$D" \
    dev late@example.org
elapsed=$((($(date +%s%N) - start) / 1000000))
wait "$holder" || true
integ_untrack "$holder"
[ "$elapsed" -ge 400 ] && integ_ok "it waited (${elapsed} ms)" ||
    integ_notok "it waited" "only ${elapsed} ms"

# ------------------------------------------------------------ foreign files

sqlite3 "$T/other.db" "CREATE TABLE notes (a); INSERT INTO notes VALUES (1)"
refused "not a timbre database" 1 "other.db: not a timbre database" \
    show "$T/other.db"
v=$(sqlite3 "$T/other.db" "PRAGMA journal_mode; SELECT count(*) FROM notes")
[ "$v" = "delete
1" ] && integ_ok "not a timbre database: untouched" ||
    integ_notok "not a timbre database: untouched" "$v"
cp "$DB" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version = 99"
refused "newer database" 1 "schema version 99 is newer than this program's \(7\)" \
    show "$T/newer.db"
printf 'not a database, just text\n%.0s' $(seq 1 100) >"$T/text.db"
refused "not a database at all" 1 "text.db: not an sqlite3 database" \
    show "$T/text.db"

integ_summary
