/*
 * test_store.c: the store suite's helpers and its schema tests: a new
 * database and its settings (WAL, synchronous=FULL, foreign keys, busy
 * timeout, mode 0640 whatever the umask), a version 0 database made by
 * hand brought to version 1, migrations stepping and rolling back, a
 * newer database and foreign files refused and left alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_priv.h"
#include "util/err.h"
#include "../unit.h"
#include "test_store.h"

static char	ts_dir[256];
static char	ts_buf[4][512];		/* the last four ts_path() */
static int	ts_next;

void
ts_init(void)
{
	const char	*base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

	snprintf(ts_dir, sizeof(ts_dir), "%s/timbre-store.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(ts_dir));
}

const char *
ts_path(const char *name)
{
	char	*b = ts_buf[ts_next++ % 4];

	snprintf(b, sizeof(ts_buf[0]), "%s/%s", ts_dir, name);
	return b;
}

void
ts_fini(void)
{
	char	cmd[600];

	/* Only our own mkdtemp directory. */
	if (ts_dir[0] != '\0' && strstr(ts_dir, "/timbre-store.") != NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ts_dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}

sqlite3 *
ts_raw(const char *path)
{
	sqlite3	*db = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

void
ts_raw_exec(sqlite3 *db, const char *sql)
{
	int	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
}

long long
ts_raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A database made as version `version` of this program made it (its
 * migrations run by hand), open in the raw connection returned, for
 * rows of that version before store_open migrates it. */
static sqlite3 *
ts_old(const char *name, int version)
{
	sqlite3	*raw;
	char	 sql[64];
	int	 i;

	raw = ts_raw(ts_path(name));
	for (i = 0; i < version; i++)
		ts_raw_exec(raw, store_migrations[i].sql);
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA "
	    "user_version = %d", STORE_APPLICATION_ID, version);
	ts_raw_exec(raw, sql);
	return raw;
}

struct store *
ts_fixture(const char *name)
{
	static const char *const	 mods[] = { "mod@example.org" };
	struct store			*s;
	struct err			 err;
	sqlite3				*raw;

	s = store_open(ts_path(name), STORE_CREATE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_list_add(s, "example.org", "dev", mods, 1,
	    1000, &err), 0);
	ck_assert_int_eq(store_list_add(s, "example.org", "dev-team", NULL, 0,
	    1001, &err), 0);
	ck_assert_int_eq(store_list_add(s, "example.org", "a.b_c", NULL, 0,
	    1002, &err), 0);
	ck_assert_int_eq(store_member_add(s, STORE_SUBSCRIBER, "example.org",
	    "dev", "Bob@Example.ORG", 2000, &err), 0);
	ck_assert_int_eq(store_member_add(s, STORE_SUBSCRIBER, "example.org",
	    "dev", "carol@example.org", 2001, &err), 0);
	raw = ts_raw(ts_path(name));
	ts_raw_exec(raw, "INSERT INTO bounces (list_id, recipient, time, "
	    "kind, via, reason, charged_to) SELECT id, 'CAROL@example.org', "
	    "3000, 'hard', 'smtp', '550 no such user', 'subscriber' FROM "
	    "lists WHERE name = 'dev'; INSERT INTO bounces (list_id, "
	    "recipient, time, kind, via, charged_to) SELECT id, "
	    "'carol@example.org', 3001, 'hard', 'smtp', 'author' FROM lists "
	    "WHERE name = 'dev'");
	sqlite3_close(raw);
	return s;
}

START_TEST(test_create)
{
	static const char *const	 tables[] = { "lists", "moderators",
	    "subscribers", "pending", "messages", "deliveries", "bounces" };
	struct store			*s;
	struct err			 err;
	struct stat			 sb;
	long long			 v;
	sqlite3				*raw;
	char				 sql[128];
	size_t				 i;

	ts_init();
	umask(077);
	s = store_open(ts_path("new.db"), STORE_CREATE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(stat(ts_path("new.db"), &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0640);
	ck_assert_int_eq(store_schema_version(s, &err), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_int(s, "PRAGMA synchronous", &v, &err), 0);
	ck_assert_int_eq(v, 2);				/* FULL */
	ck_assert_int_eq(store_int(s, "PRAGMA foreign_keys", &v, &err), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(store_int(s, "PRAGMA busy_timeout", &v, &err), 0);
	ck_assert_int_eq(v, STORE_BUSY_MS);
	/* What another program sees. */
	raw = ts_raw(ts_path("new.db"));
	ck_assert_int_eq(ts_raw_int(raw, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	ck_assert_int_eq(ts_raw_int(raw, "PRAGMA application_id"),
	    STORE_APPLICATION_ID);
	ck_assert_int_eq(ts_raw_int(raw, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name = '%s'", tables[i]);
		ck_assert_msg(ts_raw_int(raw, sql) == 1, "%s", tables[i]);
	}
	/* The schema holds its enumerations. */
	ck_assert_int_ne(sqlite3_exec(raw, "INSERT INTO lists (domain, name, "
	    "posting, created) VALUES ('x.org', 'l', 'anyone', 1)", NULL, NULL,
	    NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(raw, "INSERT INTO messages (state, "
	    "mail_from, created) VALUES ('received', '', 1)", NULL, NULL,
	    NULL), SQLITE_OK);	/* neither spool nor body */
	sqlite3_close(raw);
	store_close(s);

	/* Opened again: nothing to migrate, same version. */
	s = store_open(ts_path("new.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err), STORE_SCHEMA_VERSION);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_create_exists)
{
	struct store	*s;
	struct err	 err;
	FILE		*f;
	char		 line[32];

	ts_init();
	f = fopen(ts_path("x"), "w");
	fputs("precious\n", f);
	fclose(f);
	s = store_open(ts_path("x"), STORE_CREATE, &err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.code, STORE_E_EXISTS);
	f = fopen(ts_path("x"), "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "precious\n");
	fclose(f);
	ts_fini();
}
END_TEST

START_TEST(test_open_missing)
{
	struct err	err;

	ts_init();
	ck_assert_ptr_null(store_open(ts_path("none.db"), 0, &err));
	ck_assert_int_eq(err.code, STORE_E_NODB);
	ck_assert_int_ne(access(ts_path("none.db"), F_OK), 0);
	ts_fini();
}
END_TEST

/* A version 0 database, as sqlite3 makes it: no tables, no version, the
 * default rollback journal. */
START_TEST(test_migrate_from_v0)
{
	struct store	*s;
	struct err	 err;
	sqlite3		*raw;

	ts_init();
	raw = ts_raw(ts_path("v0.db"));
	ts_raw_exec(raw, "PRAGMA journal_mode = DELETE; PRAGMA user_version "
	    "= 0; VACUUM");
	sqlite3_close(raw);
	s = store_open(ts_path("v0.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_list_add(s, "example.org", "l", NULL, 0, 1,
	    &err), 0);
	store_close(s);
	raw = ts_raw(ts_path("v0.db"));
	ck_assert_int_eq(ts_raw_int(raw, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	ck_assert_int_eq(ts_raw_int(raw, "SELECT count(*) FROM lists"), 1);
	sqlite3_close(raw);
	ts_fini();
}
END_TEST

/* Later steps, as a future version will add them: each in its own
 * transaction; a failing one leaves the database at the step before. */
START_TEST(test_migrate_steps)
{
	const struct store_migration	 steps[] = {
		{ 1, store_migrations[0].sql },
		{ 2, store_migrations[1].sql },
		{ 3, store_migrations[2].sql },
		{ 4, store_migrations[3].sql },
		{ 5, store_migrations[4].sql },
		{ 6, store_migrations[5].sql },
		{ 7, store_migrations[6].sql },
		{ 8, "ALTER TABLE lists ADD COLUMN footer TEXT" },
		{ 9, "CREATE TABLE t9 (a); INSERT INTO t9 VALUES (1); "
		    "INSERT INTO nowhere VALUES (1)" },
	};
	struct store			*s;
	struct err			 err;
	long long			 v;

	ts_init();
	s = ts_fixture("m.db");
	ck_assert_int_eq(store_migrate(s, steps, 8, &err), 0);
	ck_assert_int_eq(store_schema_version(s, &err), 8);
	ck_assert_int_eq(store_int(s, "SELECT count(footer) + count(*) FROM "
	    "lists", &v, &err), 0);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(store_migrate(s, steps, 9, &err), -1);
	ck_assert_msg(strstr(err.msg, "migration to schema version 9") !=
	    NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err), 8);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM sqlite_master "
	    "WHERE name = 't9'", &v, &err), 0);
	ck_assert_int_eq(v, 0);
	/* This program's steps stop at 7: the database is now newer. */
	store_close(s);
	ck_assert_ptr_null(store_open(ts_path("m.db"), 0, &err));
	ck_assert_int_eq(err.code, STORE_E_VERSION);
	ts_fini();
}
END_TEST

/* Version 4, as released, with a fanned-out post: version 5 indexes
 * the rows by (message, state), which the counts of one message's rows
 * in one state then use, and the rows are the same. */
START_TEST(test_migrate_v4_index)
{
	struct store	*s;
	struct err	 err;
	sqlite3		*raw;
	sqlite3_stmt	*st;
	const char	*detail;
	long		 queued, sent, failed;
	bool		 used;

	ts_init();
	raw = ts_old("v4.db", 4);
	ts_raw_exec(raw, "INSERT INTO lists (domain, name, created) "
	    "VALUES ('example.org', 'dev', 1); "
	    "INSERT INTO messages (list_id, state, mail_from, body, size, "
	    "created) VALUES (1, 'fanout', '', 'b', 1, 50); "
	    "INSERT INTO deliveries (message, recipient, state) VALUES "
	    "(1, 'a@example.net', 'queued'), (1, 'b@example.net', 'sent'), "
	    "(1, 'c@example.net', 'sent'), (1, 'd@example.net', 'failed')");
	sqlite3_close(raw);
	s = store_open(ts_path("v4.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_deliver_counts(s, 1, &queued, &sent, &failed,
	    &err), 0);
	ck_assert_int_eq(queued, 1);
	ck_assert_int_eq(sent, 2);
	ck_assert_int_eq(failed, 1);
	store_close(s);
	raw = ts_raw(ts_path("v4.db"));
	ck_assert_int_eq(ts_raw_int(raw, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'index' AND name = 'deliveries_message' AND "
	    "tbl_name = 'deliveries'"), 1);
	/* The count's plan searches that index (the plan's detail). */
	ck_assert_int_eq(sqlite3_prepare_v2(raw, "EXPLAIN QUERY PLAN SELECT "
	    "count(*) FROM deliveries WHERE message = 1 AND state = 'sent'",
	    -1, &st, NULL), SQLITE_OK);
	used = false;
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((detail = (const char *)sqlite3_column_text(st, 3)) !=
		    NULL && strstr(detail, "deliveries_message") != NULL)
			used = true;
	sqlite3_finalize(st);
	ck_assert_msg(used, "the count does not use deliveries_message");
	sqlite3_close(raw);
	ts_fini();
}
END_TEST

/* Version 6, as released, with a post being fanned out: version 7
 * marks no row claimed (a lease taken by a version 6 daemon still runs
 * out).  Then a claim by a daemon that dies before its results: the
 * next one releases those rows at once, and leaves a retry due later
 * (which looked the same as a lease before) alone. */
START_TEST(test_migrate_v6_claims)
{
	struct store_delivery	 rows[4];
	struct store		*s;
	struct err		 err;
	sqlite3			*raw;
	long long		 v;
	long			 n_rel, queued, sent, failed;
	size_t			 n;
	bool			 done, disabled;
	int			 i;

	ts_init();
	raw = ts_old("v6.db", 6);
	ts_raw_exec(raw, "INSERT INTO lists (domain, name, created) "
	    "VALUES ('example.org', 'dev', 1); "
	    "INSERT INTO messages (list_id, state, mail_from, body, size, "
	    "created) VALUES (1, 'fanout', '', 'b', 1, 50); "
	    "INSERT INTO deliveries (message, recipient, state, "
	    "next_attempt) VALUES (1, 'a@example.net', 'queued', 100), "
	    "(1, 'b@example.net', 'queued', 100), "
	    "(1, 'c@example.net', 'queued', 100), "
	    "(1, 'd@example.net', 'sent', 0)");
	sqlite3_close(raw);
	s = store_open(ts_path("v6.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err), 7);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM deliveries "
	    "WHERE claimed = 0", &v, &err), 0);
	ck_assert_int_eq(v, 4);
	ck_assert_int_eq(store_deliver_counts(s, 1, &queued, &sent, &failed,
	    &err), 0);
	ck_assert_int_eq(queued, 3);
	ck_assert_int_eq(sent, 1);
	/* A daemon claims the three, records a retry (due at 900) for c,
	 * and dies: a and b stay claimed under a lease to 1000. */
	ck_assert_int_eq(store_deliver_claim(s, 100, 1000, rows, 4, &n, &err),
	    0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(store_deliver_record(s, 1, "c@example.net",
	    STORE_OUT_RETRY, 900, "451 later", NULL, 110, &done, &disabled,
	    &err), 0);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM deliveries "
	    "WHERE claimed = 1", &v, &err), 0);
	ck_assert_int_eq(v, 2);
	store_close(s);
	/* The next daemon, at 200: nothing is due before its release. */
	s = store_open(ts_path("v6.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_deliver_claim(s, 200, 1200, rows, 4, &n, &err),
	    0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_deliver_release(s, 200, &n_rel, &err), 0);
	ck_assert_int_eq(n_rel, 2);
	ck_assert_int_eq(store_deliver_release(s, 200, &n_rel, &err), 0);
	ck_assert_int_eq(n_rel, 0);
	ck_assert_int_eq(store_deliver_claim(s, 200, 1200, rows, 4, &n, &err),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rows[0].recipient, "a@example.net");
	ck_assert_str_eq(rows[1].recipient, "b@example.net");
	ck_assert_int_eq(store_int(s, "SELECT next_attempt FROM deliveries "
	    "WHERE recipient = 'c@example.net' AND claimed = 0", &v, &err), 0);
	ck_assert_int_eq(v, 900);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(store_deliver_record(s, 1, rows[i].recipient,
		    STORE_OUT_SENT, 0, "250 ok", NULL, 210, &done, &disabled,
		    &err), 0);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM deliveries "
	    "WHERE claimed = 1", &v, &err), 0);
	ck_assert_int_eq(v, 0);
	/* The release reads the partial index, not the table. */
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'index' AND name = 'deliveries_claimed'", &v, &err),
	    0);
	ck_assert_int_eq(v, 1);
	store_close(s);
	ts_fini();
}
END_TEST

/* A secret is made once: the first caller's bytes, for every caller,
 * across connections; a length that does not match is refused. */
START_TEST(test_secret)
{
	struct store	*s, *s2;
	struct err	 err;
	unsigned char	 a[32], b[32], out[32];

	ts_init();
	s = ts_fixture("k.db");
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	ck_assert_int_eq(store_secret(s, "unsubscribe", a, sizeof(a), 5, out,
	    &err), 0);
	ck_assert_mem_eq(out, a, sizeof(a));
	s2 = store_open(ts_path("k.db"), 0, &err);
	ck_assert_ptr_nonnull(s2);
	ck_assert_int_eq(store_secret(s2, "unsubscribe", b, sizeof(b), 6, out,
	    &err), 0);
	ck_assert_mem_eq(out, a, sizeof(a));
	ck_assert_int_eq(store_secret(s2, "other", b, sizeof(b), 6, out,
	    &err), 0);
	ck_assert_mem_eq(out, b, sizeof(b));
	ck_assert_int_eq(store_secret(s, "unsubscribe", b, 16, 7, out, &err),
	    -1);
	ck_assert_int_eq(err.code, STORE_E_VALUE);
	store_close(s2);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_newer_refused)
{
	struct store	*s;
	struct err	 err;
	sqlite3		*raw;

	ts_init();
	s = ts_fixture("n.db");
	store_close(s);
	raw = ts_raw(ts_path("n.db"));
	ts_raw_exec(raw, "PRAGMA user_version = 8");
	sqlite3_close(raw);
	ck_assert_ptr_null(store_open(ts_path("n.db"), 0, &err));
	ck_assert_int_eq(err.code, STORE_E_VERSION);
	ck_assert_msg(strstr(err.msg, "version 8 is newer than this "
	    "program's (7)") != NULL, "%s", err.msg);
	raw = ts_raw(ts_path("n.db"));
	ck_assert_int_eq(ts_raw_int(raw, "PRAGMA user_version"), 8);
	ck_assert_int_eq(ts_raw_int(raw, "SELECT count(*) FROM lists"), 3);
	sqlite3_close(raw);
	ts_fini();
}
END_TEST

/* Files that are not ours are refused, and left as they were. */
START_TEST(test_not_ours)
{
	struct err	 err;
	sqlite3		*raw;
	FILE		*f;
	struct stat	 sb;

	ts_init();
	raw = ts_raw(ts_path("other.db"));
	ts_raw_exec(raw, "CREATE TABLE foo (a)");
	sqlite3_close(raw);
	ck_assert_ptr_null(store_open(ts_path("other.db"), 0, &err));
	ck_assert_int_eq(err.code, STORE_E_NOTOURS);
	raw = ts_raw(ts_path("other.db"));
	ck_assert_int_eq(ts_raw_int(raw, "SELECT journal_mode = 'delete' "
	    "FROM pragma_journal_mode"), 1);
	sqlite3_close(raw);

	raw = ts_raw(ts_path("app.db"));
	ts_raw_exec(raw, "PRAGMA application_id = 42");
	sqlite3_close(raw);
	ck_assert_ptr_null(store_open(ts_path("app.db"), 0, &err));
	ck_assert_int_eq(err.code, STORE_E_NOTOURS);

	f = fopen(ts_path("text"), "w");
	for (int i = 0; i < 200; i++)
		fputs("this is not a database at all\n", f);
	fclose(f);
	ck_assert_ptr_null(store_open(ts_path("text"), 0, &err));
	ck_assert_int_eq(err.code, STORE_E_NOTOURS);
	ck_assert_int_eq(stat(ts_path("text"), &sb), 0);
	ck_assert_int_eq(sb.st_size, 200 * 30);
	ts_fini();
}
END_TEST

/*
 * The delivery engine's claims and results are written with
 * synchronous=NORMAL (store_begin_write_relaxed), every other write
 * with FULL again; claims come in the order the rows were made, and the
 * last result of a message ends it.
 */
/* A post added without waiting for the disk: synchronous=NORMAL for
 * that commit, the row there for another connection, the next write
 * FULL again; the log to flush is the database's "-wal" file. */
START_TEST(test_msg_add_nosync)
{
	static const char	 body[] = "Subject: x\r\n\r\nx\r\n";
	struct store		*s;
	struct err		 err;
	struct stat		 sb;
	sqlite3			*raw;
	const char		*wal;
	long long		 v;
	int64_t			 id, id2;

	ts_init();
	s = ts_fixture("n.db");
	ck_assert_int_eq(store_msg_add_nosync(s, "example.org", "dev",
	    STORE_MSG_RECEIVED, "bob@example.org", "<1@x>", body,
	    sizeof(body) - 1, 100, &id, &err), 0);
	ck_assert_int_eq(store_int(s, "PRAGMA synchronous", &v, &err), 0);
	ck_assert_int_eq(v, 1);				/* NORMAL */
	raw = ts_raw(ts_path("n.db"));
	ck_assert_int_eq(ts_raw_int(raw, "SELECT count(*) FROM messages "
	    "WHERE state = 'received' AND size = 17"), 1);
	sqlite3_close(raw);
	ck_assert_int_eq(store_msg_add_nosync(s, "example.org", "nope",
	    STORE_MSG_RECEIVED, "", NULL, body, sizeof(body) - 1, 100, &id2,
	    &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOLIST);
	ck_assert_int_eq(store_msg_add(s, "example.org", "dev",
	    STORE_MSG_RECEIVED, "", NULL, body, sizeof(body) - 1, 101, &id2,
	    &err), 0);
	ck_assert_int_gt(id2, id);
	ck_assert_int_eq(store_int(s, "PRAGMA synchronous", &v, &err), 0);
	ck_assert_int_eq(v, 2);				/* FULL */
	wal = store_wal_path(s);
	ck_assert_ptr_nonnull(wal);
	ck_assert_uint_gt(strlen(wal), 9);
	ck_assert_str_eq(wal + strlen(wal) - 9, "/n.db-wal");
	ck_assert_int_eq(stat(wal, &sb), 0);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_deliver_relaxed)
{
	static const char *const	 rcpts[] = { "z@a.test", "a@b.test",
	    "m@c.test" };
	static const char		 body[] = "Subject: x\r\n\r\nx\r\n";
	struct store_delivery		 rows[3];
	struct store			*s;
	struct err			 err;
	long long			 v;
	int64_t				 id, id2;
	size_t				 n, i;
	bool				 done, disabled;

	ts_init();
	s = ts_fixture("d.db");
	ck_assert_int_eq(store_deliver_enqueue(s, "example.org", "dev",
	    "dev-bounces@example.org", "<1@x>", body, sizeof(body) - 1, rcpts,
	    3, 100, &id, &err), 0);
	ck_assert_int_eq(store_int(s, "PRAGMA synchronous", &v, &err), 0);
	ck_assert_int_eq(v, 2);				/* FULL */
	ck_assert_int_eq(store_deliver_claim(s, 100, 1000, rows, 2, &n, &err),
	    0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(rows[0].recipient, "z@a.test");
	ck_assert_str_eq(rows[1].recipient, "a@b.test");
	ck_assert_int_eq(store_int(s, "PRAGMA synchronous", &v, &err), 0);
	ck_assert_int_eq(v, 1);				/* NORMAL */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(store_deliver_record(s, id, rows[i].recipient,
		    STORE_OUT_SENT, 0, "250 ok", NULL, 101, &done, &disabled,
		    &err), 0);
		ck_assert(!done);
	}
	/* A write of another kind: FULL again. */
	ck_assert_int_eq(store_deliver_enqueue(s, "example.org", "dev",
	    "dev-bounces@example.org", "<2@x>", body, sizeof(body) - 1, rcpts,
	    1, 200, &id2, &err), 0);
	ck_assert_int_eq(store_int(s, "PRAGMA synchronous", &v, &err), 0);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(store_deliver_claim(s, 200, 1000, rows, 3, &n, &err),
	    0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(rows[0].message, id);
	ck_assert_str_eq(rows[0].recipient, "m@c.test");
	ck_assert_int_eq(rows[1].message, id2);
	ck_assert_int_eq(store_deliver_record(s, id, "m@c.test",
	    STORE_OUT_SENT, 0, "250 ok", NULL, 201, &done, &disabled, &err),
	    0);
	ck_assert(done);
	ck_assert_int_eq(store_deliver_record(s, id2, "z@a.test",
	    STORE_OUT_SENT, 0, "250 ok", NULL, 201, &done, &disabled, &err),
	    0);
	ck_assert(done);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM messages WHERE "
	    "state = 'done'", &v, &err), 0);
	ck_assert_int_eq(v, 2);
	store_close(s);
	ts_fini();
}
END_TEST

/* The statement cache (db.c): a statement comes back prepared; one held
 * by a caller is not given twice; one whose table another connection
 * dropped fails once and is made afresh; another connection's schema
 * change is seen. */
START_TEST(test_stmt_cache)
{
	static const char	 q[] = "SELECT count(*) FROM lists";
	struct store		*s;
	struct err		 err;
	sqlite3_stmt		*a, *b, *c;
	sqlite3			*raw;
	char			 dyn[64];
	long long		 v;

	ts_init();
	s = ts_fixture("c.db");
	ck_assert_int_eq(store_prepare(s, q, &a, &err), 0);
	/* Held: the second is one of its own. */
	ck_assert_int_eq(store_prepare(s, q, &b, &err), 0);
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(sqlite3_step(b), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(b, 0), 3);
	store_release(s, b);
	ck_assert_int_eq(sqlite3_bind_parameter_count(a), 0);
	store_release(s, a);
	/* The same text at another address is the same statement. */
	snprintf(dyn, sizeof(dyn), "%s", q);
	ck_assert_int_eq(store_prepare(s, dyn, &c, &err), 0);
	ck_assert_ptr_eq(c, a);
	store_release(s, c);
	/* Bindings do not outlive the release. */
	ck_assert_int_eq(store_prepare(s, "SELECT ?1", &a, &err), 0);
	ck_assert_int_eq(sqlite3_bind_int(a, 1, 7), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(a), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(a, 0), 7);
	store_release(s, a);
	ck_assert_int_eq(store_prepare(s, "SELECT ?1", &b, &err), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(sqlite3_step(b), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_type(b, 0), SQLITE_NULL);
	store_release(s, b);
	/* Another connection changes the schema under the cache. */
	raw = ts_raw(ts_path("c.db"));
	ts_raw_exec(raw, "CREATE TABLE t9 (a); INSERT INTO t9 VALUES (1)");
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM t9", &v, &err),
	    0);
	ck_assert_int_eq(v, 1);
	ts_raw_exec(raw, "DROP TABLE t9");
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM t9", &v, &err),
	    -1);
	ck_assert_int_eq(err.code, STORE_E_DB);
	ts_raw_exec(raw, "CREATE TABLE t9 (a, b); INSERT INTO t9 VALUES "
	    "(1, 2), (3, 4)");
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM t9", &v, &err),
	    0);
	ck_assert_int_eq(v, 2);
	ts_raw_exec(raw, "ALTER TABLE lists ADD COLUMN footer TEXT");
	ck_assert_int_eq(store_int(s, q, &v, &err), 0);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(store_int(s, "SELECT count(footer) FROM lists", &v,
	    &err), 0);
	ck_assert_int_eq(v, 0);
	sqlite3_close(raw);
	store_close(s);
	ts_fini();
}
END_TEST

TCase *
tc_schema(void)
{
	TCase	*tc = tcase_create("schema");

	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_create_exists);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_migrate_from_v0);
	tcase_add_test(tc, test_migrate_steps);
	tcase_add_test(tc, test_migrate_v4_index);
	tcase_add_test(tc, test_migrate_v6_claims);
	tcase_add_test(tc, test_newer_refused);
	tcase_add_test(tc, test_secret);
	tcase_add_test(tc, test_not_ours);
	tcase_add_test(tc, test_deliver_relaxed);
	tcase_add_test(tc, test_stmt_cache);
	tcase_add_test(tc, test_msg_add_nosync);
	return tc;
}

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("store");

	suite_add_tcase(s, tc_schema());
	suite_add_tcase(s, tc_names());
	suite_add_tcase(s, tc_lists());
	suite_add_tcase(s, tc_route());
	suite_add_tcase(s, tc_admin());
	suite_add_tcase(s, tc_digest());
	suite_add_tcase(s, tc_concurrent());
	suite_add_tcase(s, tc_nomem());
	return s;
}
