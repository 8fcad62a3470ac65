/*
 * schema.c: the schema of the store and its migrations.
 *
 * Version 1 holds what timbre-listd needs, so that it does not change
 * with every feature of the daemon:
 *
 *   lists        LIST@DOMAIN, posting rule, subject prefix, created
 *   moderators   per list: address, added
 *   subscribers  per list: address, added, state (active, disabled,
 *                probing), bounce score, last bounce
 *   pending      subscription requests waiting for the requester's
 *                confirmation or a moderator, with a random token (lipap
 *                kept them in memory and lost them on every restart)
 *   messages     the durable queue: one row per accepted message, moving
 *                received -> signing -> signed -> fanout -> done (or held,
 *                for a moderator), the message in a spool file or a blob
 *   deliveries   one row per message and recipient, keyed by both: its
 *                state, next attempt, attempts and last SMTP reply (lipap
 *                keyed retries by Message-ID, so recipients of one post
 *                overwrote each other)
 *   bounces      one row per failure: recipient, time, kind (hard or
 *                soft), how it was learnt (SMTP reply or DSN), reason,
 *                and who it is charged to: the subscriber (counts toward
 *                disabling) or the author (say a DMARC rejection of the
 *                author's domain, which is no fault of the subscriber's)
 *
 * Version 2 (administration by mail, timbre-listd's admin.c and held.c):
 *
 *   pending      keyed by its token, no longer one row per (list, address,
 *                action): a second request for an address, which anyone
 *                can send, must not replace the token the mailbox got for
 *                the first (store_pending_add bounds the rows instead)
 *   held         one row per post waiting for a moderator: the message
 *                (its row in messages, state held), its author and
 *                whether DMARC verified it, why it is held, until when,
 *                and once decided, the decision, by whom and the reason,
 *                until listd has sent the notes that go with it; its
 *                id (AUTOINCREMENT: never reused, so that an ID the
 *                operator read cannot name another post later) is the
 *                held post's ID
 *   held_tokens  the moderators' tokens: one per held post, moderator
 *                and action (accept, reject, discard)
 *   replies      how many replies to commands an address was sent since
 *                when: the rate limit, which a restart must not reset
 *
 * Version 3 (the archive, timbre-listd's archive.c):
 *
 *   archive      one row per post whose signed copy came back while listd
 *                keeps an archive (--archive-dir), made in the transaction
 *                that fans it out (store_msg_signed) and deleted once the
 *                post is committed to the list's archive: the archive's
 *                own durable queue, taken in the order of seq
 *                (AUTOINCREMENT: a row made later never comes first,
 *                which is what lets listd tell a commit it made before a
 *                crash from a new one), with its attempts and back-off
 *
 * Version 4 (one-click unsubscribe, timbre-listd's unsub.c and http.c):
 *
 *   secrets      named random keys made at their first use and kept for
 *                good: "unsubscribe" keys the MAC of the List-Unsubscribe
 *                links (RFC 8058), so that a link needs no row of its own
 *                and still cannot be forged or moved to another address
 *
 * Version 5 (the delivery engine and the fan-out):
 *
 *   deliveries   an index on (message, state): how many of one
 *                message's rows are queued, sent or failed
 *                (store_msg_signed's count after the fan-out,
 *                store_deliver_counts) reads the rows of that message in
 *                that state alone, where the primary key (message,
 *                recipient) made it read every row of the message,
 *                100 000 of them for a big list
 *
 * Version 6 (digests, timbre-listd's digest.c):
 *
 *   subscribers  delivery: 'single' (each post as it comes, the
 *                default) or 'digest' (the posts gathered into one
 *                MIME digest now and then, and no single post)
 *   lists        digest_issue: the number of the list's last digest
 *   pending      its action may also be 'digest' or 'single' (the
 *                change of mode asked by mail, confirmed by token); the
 *                table is made again, since sqlite3 cannot change a
 *                CHECK
 *   digest       one row per post waiting for the list's next digest:
 *                a copy of the post as its members get it (made in the
 *                transaction that fans it out, store_msg_signed, when
 *                the list has a member in digest mode), deleted in the
 *                transaction that queues the digest (store_digest_queue)
 *
 * Version 7 (a restart of timbre-listd, issue 12):
 *
 *   deliveries   claimed: 1 from the delivery engine's claim of the row
 *                (store_deliver_claim, which also pushes next_attempt
 *                past the attempt: the lease) until its result is
 *                recorded.  Without it a lease and a retry due as late
 *                looked the same, so the rows a killed daemon had claimed
 *                waited out the lease; now a new daemon releases them at
 *                once (store_deliver_release), with a partial index for
 *                the few claimed rows among all
 *
 * Addresses compare without ASCII case (COLLATE NOCASE), as store.h
 * says.  Times are UNIX seconds.  The CHECKs hold the enumerations and
 * types, since sqlite3 3.34 has no STRICT tables.
 *
 * A migration is appended, never edited: version N's script must turn
 * any version N - 1 database, as released, into version N.
 */
#include <stdio.h>

#include "store/store_priv.h"
#include "util/err.h"

#define STR(x)	#x
#define XSTR(x)	STR(x)

static const char	schema_v1[] =
    "PRAGMA application_id = " XSTR(STORE_APPLICATION_ID) ";\n"
    "CREATE TABLE lists (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  domain TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  posting TEXT NOT NULL DEFAULT 'subscribers'\n"
    "    CHECK (posting IN ('subscribers', 'moderated', 'open')),\n"
    "  subject_prefix TEXT NOT NULL DEFAULT '',\n"
    "  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),\n"
    "  UNIQUE (domain, name)\n"
    ");\n"
    "CREATE TABLE moderators (\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  address TEXT NOT NULL COLLATE NOCASE,\n"
    "  added INTEGER NOT NULL CHECK (typeof(added) = 'integer'),\n"
    "  PRIMARY KEY (list_id, address)\n"
    ");\n"
    "CREATE TABLE subscribers (\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  address TEXT NOT NULL COLLATE NOCASE,\n"
    "  added INTEGER NOT NULL CHECK (typeof(added) = 'integer'),\n"
    "  state TEXT NOT NULL DEFAULT 'active'\n"
    "    CHECK (state IN ('active', 'disabled', 'probing')),\n"
    "  bounce_score INTEGER NOT NULL DEFAULT 0,\n"
    "  last_bounce INTEGER,\n"
    "  PRIMARY KEY (list_id, address)\n"
    ");\n"
    "CREATE TABLE pending (\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  address TEXT NOT NULL COLLATE NOCASE,\n"
    "  action TEXT NOT NULL CHECK (action IN ('subscribe', 'unsubscribe')),\n"
    "  waiting_for TEXT NOT NULL\n"
    "    CHECK (waiting_for IN ('requester', 'moderator')),\n"
    "  token TEXT NOT NULL UNIQUE,\n"
    "  requested INTEGER NOT NULL CHECK (typeof(requested) = 'integer'),\n"
    "  expires INTEGER NOT NULL CHECK (typeof(expires) = 'integer'),\n"
    "  PRIMARY KEY (list_id, address, action)\n"
    ");\n"
    "CREATE TABLE messages (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  list_id INTEGER REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  state TEXT NOT NULL CHECK (state IN ('received', 'held', 'signing',\n"
    "    'signed', 'fanout', 'done')),\n"
    "  mail_from TEXT NOT NULL COLLATE NOCASE,\n"
    "  message_id TEXT,\n"
    "  spool TEXT,\n"
    "  body BLOB,\n"
    "  size INTEGER NOT NULL DEFAULT 0,\n"
    "  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),\n"
    "  next_attempt INTEGER NOT NULL DEFAULT 0,\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT,\n"
    "  CHECK ((spool IS NULL) <> (body IS NULL))\n"
    ");\n"
    "CREATE INDEX messages_state ON messages (state, next_attempt);\n"
    "CREATE TABLE deliveries (\n"
    "  message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,\n"
    "  recipient TEXT NOT NULL COLLATE NOCASE,\n"
    "  state TEXT NOT NULL DEFAULT 'queued'\n"
    "    CHECK (state IN ('queued', 'sent', 'failed')),\n"
    "  next_attempt INTEGER NOT NULL DEFAULT 0,\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  last_reply TEXT,\n"
    "  PRIMARY KEY (message, recipient)\n"
    ");\n"
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt);\n"
    "CREATE TABLE bounces (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  list_id INTEGER REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  message INTEGER REFERENCES messages (id) ON DELETE SET NULL,\n"
    "  recipient TEXT NOT NULL COLLATE NOCASE,\n"
    "  time INTEGER NOT NULL CHECK (typeof(time) = 'integer'),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft')),\n"
    "  via TEXT NOT NULL CHECK (via IN ('smtp', 'dsn')),\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  charged_to TEXT NOT NULL CHECK (charged_to IN ('subscriber', "
    "'author'))\n"
    ");\n"
    "CREATE INDEX bounces_recipient ON bounces (list_id, recipient, time);\n";

static const char	schema_v2[] =
    "CREATE TABLE pending_v2 (\n"
    "  token TEXT PRIMARY KEY,\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  address TEXT NOT NULL COLLATE NOCASE,\n"
    "  action TEXT NOT NULL CHECK (action IN ('subscribe', 'unsubscribe')),\n"
    "  waiting_for TEXT NOT NULL\n"
    "    CHECK (waiting_for IN ('requester', 'moderator')),\n"
    "  requested INTEGER NOT NULL CHECK (typeof(requested) = 'integer'),\n"
    "  expires INTEGER NOT NULL CHECK (typeof(expires) = 'integer')\n"
    ");\n"
    "INSERT INTO pending_v2 (token, list_id, address, action, waiting_for,\n"
    "  requested, expires) SELECT token, list_id, address, action,\n"
    "  waiting_for, requested, expires FROM pending;\n"
    "DROP TABLE pending;\n"
    "ALTER TABLE pending_v2 RENAME TO pending;\n"
    "CREATE INDEX pending_address ON pending (list_id, address, action);\n"
    "CREATE INDEX pending_expires ON pending (expires);\n"
    "CREATE TABLE held (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  message INTEGER REFERENCES messages (id) ON DELETE SET NULL,\n"
    "  author TEXT NOT NULL DEFAULT '' COLLATE NOCASE,\n"
    "  verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),\n"
    "  mail_from TEXT NOT NULL DEFAULT '' COLLATE NOCASE,\n"
    "  subject TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  size INTEGER NOT NULL DEFAULT 0,\n"
    "  held INTEGER NOT NULL CHECK (typeof(held) = 'integer'),\n"
    "  expires INTEGER NOT NULL CHECK (typeof(expires) = 'integer'),\n"
    "  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting',\n"
    "    'accepted', 'rejected', 'discarded', 'expired')),\n"
    "  decided_by TEXT NOT NULL DEFAULT '',\n"
    "  note TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE INDEX held_state ON held (state, expires);\n"
    "CREATE INDEX held_list ON held (list_id, state);\n"
    "CREATE TABLE held_tokens (\n"
    "  token TEXT PRIMARY KEY,\n"
    "  held INTEGER NOT NULL REFERENCES held (id) ON DELETE CASCADE,\n"
    "  moderator TEXT NOT NULL COLLATE NOCASE,\n"
    "  action TEXT NOT NULL CHECK (action IN ('accept', 'reject',\n"
    "    'discard'))\n"
    ");\n"
    "CREATE INDEX held_tokens_held ON held_tokens (held);\n"
    "CREATE TABLE replies (\n"
    "  address TEXT PRIMARY KEY COLLATE NOCASE,\n"
    "  since INTEGER NOT NULL CHECK (typeof(since) = 'integer'),\n"
    "  n INTEGER NOT NULL DEFAULT 1\n"
    ");\n"
    "CREATE INDEX replies_since ON replies (since);\n"
    "INSERT INTO held (list_id, message, mail_from, size, held, expires,\n"
    "  reason) SELECT list_id, id, mail_from, size, created,\n"
    "  created + 14 * 86400, 'held before schema version 2'\n"
    "  FROM messages WHERE state = 'held' AND list_id IS NOT NULL;\n";

static const char	schema_v3[] =
    "CREATE TABLE archive (\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  message INTEGER NOT NULL UNIQUE REFERENCES messages (id)\n"
    "    ON DELETE CASCADE,\n"
    "  next_attempt INTEGER NOT NULL DEFAULT 0,\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT\n"
    ");\n";

static const char	schema_v4[] =
    "CREATE TABLE secrets (\n"
    "  name TEXT PRIMARY KEY,\n"
    "  value BLOB NOT NULL CHECK (typeof(value) = 'blob'),\n"
    "  created INTEGER NOT NULL CHECK (typeof(created) = 'integer')\n"
    ");\n";

static const char	schema_v5[] =
    "CREATE INDEX deliveries_message ON deliveries (message, state);\n";

static const char	schema_v6[] =
    "ALTER TABLE subscribers ADD COLUMN delivery TEXT NOT NULL\n"
    "  DEFAULT 'single' CHECK (delivery IN ('single', 'digest'));\n"
    "ALTER TABLE lists ADD COLUMN digest_issue INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE TABLE pending_v6 (\n"
    "  token TEXT PRIMARY KEY,\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  address TEXT NOT NULL COLLATE NOCASE,\n"
    "  action TEXT NOT NULL CHECK (action IN ('subscribe', 'unsubscribe',\n"
    "    'digest', 'single')),\n"
    "  waiting_for TEXT NOT NULL\n"
    "    CHECK (waiting_for IN ('requester', 'moderator')),\n"
    "  requested INTEGER NOT NULL CHECK (typeof(requested) = 'integer'),\n"
    "  expires INTEGER NOT NULL CHECK (typeof(expires) = 'integer')\n"
    ");\n"
    "INSERT INTO pending_v6 SELECT token, list_id, address, action,\n"
    "  waiting_for, requested, expires FROM pending;\n"
    "DROP TABLE pending;\n"
    "ALTER TABLE pending_v6 RENAME TO pending;\n"
    "CREATE INDEX pending_address ON pending (list_id, address, action);\n"
    "CREATE INDEX pending_expires ON pending (expires);\n"
    "CREATE TABLE digest (\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
    "  message INTEGER NOT NULL,\n"
    "  body BLOB NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),\n"
    "  UNIQUE (list_id, message)\n"
    ");\n";

static const char	schema_v7[] =
    "ALTER TABLE deliveries ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0\n"
    "  CHECK (claimed IN (0, 1));\n"
    "CREATE INDEX deliveries_claimed ON deliveries (claimed)\n"
    "  WHERE claimed = 1;\n";

const struct store_migration	store_migrations[] = {
	{ 1, schema_v1 },
	{ 2, schema_v2 },
	{ 3, schema_v3 },
	{ 4, schema_v4 },
	{ 5, schema_v5 },
	{ 6, schema_v6 },
	{ 7, schema_v7 },
};
const size_t	store_n_migrations =
    sizeof(store_migrations) / sizeof(store_migrations[0]);

/* Runs step m if the database is at m->version - 1; *version_out is
 * the version after. */
static int
migrate_one(struct store *s, const struct store_migration *m,
    long long *version_out, struct err *err)
{
	char		sql[64];
	long long	v;

	if (store_begin_write(s, err) == -1)
		return -1;
	/* Re-read under the write lock: another process may have migrated
	 * while this one waited. */
	if (store_int(s, "PRAGMA user_version", &v, err) == -1)
		goto fail;
	if (v == m->version - 1) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    m->version);
		if (store_exec(s, m->sql, err) == -1 ||
		    store_exec(s, sql, err) == -1) {
			err_prefix(err, "migration to schema version %d",
			    m->version);
			goto fail;
		}
		v = m->version;
	}
	if (store_commit(s, err) == -1)
		return -1;
	*version_out = v;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_migrate(struct store *s, const struct store_migration *steps,
    size_t n, struct err *err)
{
	long long	v;
	size_t		i;
	int		last = n > 0 ? steps[n - 1].version : 0;

	if (store_int(s, "PRAGMA user_version", &v, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (v > last)
			break;
		if (steps[i].version <= v)
			continue;
		if (migrate_one(s, &steps[i], &v, err) == -1)
			return -1;
	}
	/* Statements compiled against the old schema are not kept: sqlite3
	 * would re-prepare them, but one whose table went would fail. */
	store_stmt_flush(s);
	if (v > last) {
		err_set(err, STORE_E_VERSION, "the database's schema version "
		    "%lld is newer than this program's (%d): use a newer "
		    "timbre", v, last);
		return -1;
	}
	return 0;
}
