/*
 * db.c: the connection to the store: opening (and creating) the file,
 * the settings every connection needs, checking that the file is ours,
 * transactions, and sqlite3's errors as struct err.
 *
 * The per-connection settings are set on every open because sqlite3
 * keeps only journal_mode in the file: synchronous, foreign_keys and the
 * busy timeout are lost with the connection.  SQLITE_DBCONFIG_DEFENSIVE
 * and a schema that is not trusted keep a crafted file from reaching
 * the SQL functions that write outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_priv.h"
#include "util/err.h"

int
store_fail(struct store *s, int rc, const char *what, struct err *err)
{
	const char	*why = s != NULL && s->db != NULL ?
			    sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		err_set(err, ERR_NOMEM, "%s: out of memory", what);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err_set(err, STORE_E_BUSY, "%s: the database is locked by "
		    "another writer: %s", what, why);
		break;
	case SQLITE_NOTADB:
		/* Whatever was being done, the file is the problem. */
		err_set(err, STORE_E_NOTOURS, "not an sqlite3 database");
		break;
	default:
		err_set(err, STORE_E_DB, "%s: %s", what, why);
		break;
	}
	return -1;
}

/* FNV-1a over the text: the cache's key (with the text itself). */
static unsigned long
stmt_hash(const char *sql)
{
	unsigned long	h = 2166136261UL;

	for (; *sql != '\0'; sql++)
		h = (h ^ (unsigned char)*sql) * 16777619UL;
	return h;
}

/* The slot that holds sql, or NULL; *free_out the first slot a new
 * statement for it could take (NULL: the probe found none). */
static struct store_stmt *
stmt_find(struct store *s, const char *sql, unsigned long h,
    struct store_stmt **free_out)
{
	struct store_stmt	*e;
	size_t			 i, n;

	*free_out = NULL;
	for (n = 0, i = h; n < STORE_STMT_SLOTS; n++, i++) {
		e = &s->stmts[i & (STORE_STMT_SLOTS - 1)];
		if (e->st == NULL) {
			if (*free_out == NULL)
				*free_out = e;
			if (!e->dead)
				return NULL;	/* the end of the chain */
			continue;
		}
		if (e->hash == h && strcmp(sqlite3_sql(e->st), sql) == 0)
			return e;
	}
	return NULL;
}

int
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st_out,
    struct err *err)
{
	struct store_stmt	*e, *slot;
	unsigned long		 h = stmt_hash(sql);
	int			 rc;

	*st_out = NULL;
	if ((e = stmt_find(s, sql, h, &slot)) != NULL) {
		if (!e->busy) {
			e->busy = true;
			*st_out = e->st;
			return 0;
		}
		/* Held by a caller up the stack: one of its own. */
		slot = NULL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, slot != NULL ?
	    SQLITE_PREPARE_PERSISTENT : 0, st_out, NULL);
	if (rc != SQLITE_OK || *st_out == NULL) {
		sqlite3_finalize(*st_out);
		*st_out = NULL;
		return store_fail(s, rc != SQLITE_OK ? rc : SQLITE_MISUSE,
		    "prepare", err);
	}
	/* Kept only if the text is the whole statement (sqlite3_sql gives
	 * back what was compiled): else each call would take a slot. */
	if (slot != NULL && strcmp(sqlite3_sql(*st_out), sql) == 0) {
		slot->st = *st_out;
		slot->hash = h;
		slot->busy = true;
		slot->dead = false;
	}
	return 0;
}

void
store_release(struct store *s, sqlite3_stmt *st)
{
	struct store_stmt	*e, *slot;
	const char		*sql;

	if (st == NULL)
		return;
	sql = sqlite3_sql(st);
	if ((e = stmt_find(s, sql, stmt_hash(sql), &slot)) == NULL ||
	    e->st != st) {
		sqlite3_finalize(st);
		return;
	}
	e->busy = false;
	/* reset answers the last step's error: a statement that failed
	 * (out of memory, a schema it could not be re-prepared for) is
	 * made afresh next time rather than trusted. */
	if (sqlite3_reset(st) != SQLITE_OK) {
		sqlite3_finalize(st);
		e->st = NULL;
		e->dead = true;
		return;
	}
	sqlite3_clear_bindings(st);
}

void
store_stmt_flush(struct store *s)
{
	struct store_stmt	*e;
	bool			 held = false;

	for (e = s->stmts; e < s->stmts + STORE_STMT_SLOTS; e++) {
		if (e->st == NULL)
			continue;
		if (e->busy) {
			held = true;
			continue;
		}
		sqlite3_finalize(e->st);
		e->st = NULL;
		e->dead = true;
	}
	/* With none held, no chain needs its tombstones. */
	if (!held)
		memset(s->stmts, 0, sizeof(s->stmts));
}

int
store_exec(struct store *s, const char *sql, struct err *err)
{
	int	rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return store_fail(s, rc, "exec", err);
	return 0;
}

int
store_int(struct store *s, const char *sql, long long *out, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, sql, &st, err) == -1)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			rc = SQLITE_ERROR;
		store_fail(s, rc, sql, err);
		store_release(s, st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	store_release(s, st);
	return 0;
}

/* Runs sql, one statement whose rows (a PRAGMA's) are not wanted,
 * through the cache: sqlite3_exec would compile BEGIN and COMMIT again
 * for every transaction. */
static int
step_cached(struct store *s, const char *sql, const char *what,
    struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, sql, &st, err) == -1)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(s, rc, what, err);
		store_release(s, st);
		return -1;
	}
	store_release(s, st);
	return 0;
}

/* BEGIN IMMEDIATE, with synchronous FULL or, if relaxed, NORMAL (set
 * only when it changes: a pragma outside any transaction, no I/O). */
static int
begin_write(struct store *s, bool relaxed, struct err *err)
{
	if (s->relaxed != relaxed) {
		if (step_cached(s, relaxed ? "PRAGMA synchronous=NORMAL" :
		    "PRAGMA synchronous=FULL", "synchronous", err) == -1)
			return -1;
		s->relaxed = relaxed;
	}
	return step_cached(s, "BEGIN IMMEDIATE", "begin", err);
}

int
store_begin_write(struct store *s, struct err *err)
{
	return begin_write(s, false, err);
}

int
store_begin_write_relaxed(struct store *s, struct err *err)
{
	return begin_write(s, true, err);
}

int
store_begin_read(struct store *s, struct err *err)
{
	return step_cached(s, "BEGIN", "begin", err);
}

int
store_commit(struct store *s, struct err *err)
{
	if (step_cached(s, "COMMIT", "commit", err) == -1) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	int	i;

	/* After some errors (out of memory, I/O) sqlite3 has rolled back
	 * already; a second ROLLBACK would only fail.  A step right after
	 * a failed allocation can fail from it too (sqlite3 notes the
	 * failure on the connection until the next call clears it): try
	 * again. */
	for (i = 0; i < 3 && !sqlite3_get_autocommit(s->db); i++) {
		sqlite3_step(s->rollback);
		sqlite3_reset(s->rollback);
	}
}

/* Makes path a new empty file of mode 0640, or says why not. */
static int
create_file(const char *path, struct err *err)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1) {
		if (errno == EEXIST)
			err_set(err, STORE_E_EXISTS, "already exists (not "
			    "overwritten)");
		else
			err_set(err, ERR_IO, "cannot create: %s",
			    strerror(errno));
		return -1;
	}
	/* The umask may have taken group read away; listd's group needs it
	 * (timbre(1) documents 0640). */
	if (fchmod(fd, 0640) == -1) {
		err_set(err, ERR_IO, "chmod: %s", strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* Removes path and the WAL files sqlite3 may have made next to it. */
static void
remove_files(const char *path)
{
	static const char *const	 ext[] = { "-wal", "-shm", "-journal" };
	char				 name[4096];
	size_t				 i;

	unlink(path);
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path,
		    ext[i]) < sizeof(name))
			unlink(name);
}

/*
 * Refuses a file that is not a timbre database before anything writes to
 * it: one with another application id, or with tables but none of our
 * versions (an empty database is version 0, which migrates).
 */
static int
check_ours(struct store *s, struct err *err)
{
	long long	app, version, tables;
	int		rc;

	/* One snapshot: another process may be migrating the file from
	 * version 0 right now, and the three values must agree. */
	if (store_begin_read(s, err) == -1)
		return -1;
	rc = store_int(s, "PRAGMA application_id", &app, err) == -1 ||
	    store_int(s, "PRAGMA user_version", &version, err) == -1 ||
	    store_int(s, "SELECT count(*) FROM sqlite_master", &tables,
	    err) == -1 ? -1 : 0;
	store_rollback(s);
	if (rc == -1)
		return -1;
	if (app != 0 && app != STORE_APPLICATION_ID) {
		err_set(err, STORE_E_NOTOURS, "not a timbre database "
		    "(application_id %#llx)", app);
		return -1;
	}
	if (app == 0 && (version != 0 || tables != 0)) {
		err_set(err, STORE_E_NOTOURS, "not a timbre database (no "
		    "application_id, but %s)", version != 0 ?
		    "a user_version" : "tables");
		return -1;
	}
	return 0;
}

/* The settings of every connection (see the top of this file). */
static int
configure(struct store *s, struct err *err)
{
	sqlite3_stmt	*st;
	const char	*mode;
	int		 rc, waited;

	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if ((rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1,
	    NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    NULL)) != SQLITE_OK)
		return store_fail(s, rc, "configure", err);
	if (check_ours(s, err) == -1)
		return -1;
	/* journal_mode answers with the mode now in force, which stays
	 * "delete" where WAL is impossible (some network file systems). */
	if (store_prepare(s, "PRAGMA journal_mode=WAL", &st, err) == -1)
		return -1;
	/* Going from a rollback journal to WAL wants the file to itself,
	 * and sqlite3 answers SQLITE_BUSY at once, without its busy
	 * handler, while another process has it open (two programs opening
	 * a new database together): wait here as the handler would. */
	for (waited = 0; (rc = sqlite3_step(st)) == SQLITE_BUSY &&
	    waited < STORE_BUSY_MS; waited += 10) {
		sqlite3_reset(st);
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, rc, "journal_mode=WAL", err);
		store_release(s, st);
		return -1;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		if (mode == NULL)
			store_fail(s, SQLITE_NOMEM, "journal_mode", err);
		else
			err_set(err, STORE_E_DB, "journal_mode=WAL refused "
			    "(the mode is %s)", mode);
		store_release(s, st);
		return -1;
	}
	store_release(s, st);
	return store_exec(s, "PRAGMA synchronous=FULL; "
	    "PRAGMA foreign_keys=ON", err);
}

struct store *
store_open(const char *path, unsigned flags, struct err *err)
{
	struct store	*s;
	struct stat	 sb;
	long long	 dv;
	int		 rc;
	bool		 created = false;

	if (flags & STORE_CREATE) {
		if (create_file(path, err) == -1)
			return NULL;
		created = true;
	} else if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			err_set(err, STORE_E_NODB, "no such database");
		else
			err_set(err, ERR_IO, "%s", strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(err, ERR_NOMEM, "open: out of memory");
		goto fail;
	}
	/* Without SQLITE_OPEN_CREATE: the file was made above, or exists. */
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, rc, "open", err);
		goto fail;
	}
	/* Not the cache's: it would be held for good. */
	if ((rc = sqlite3_prepare_v3(s->db, "ROLLBACK", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->rollback, NULL)) != SQLITE_OK) {
		store_fail(s, rc, "prepare", err);
		goto fail;
	}
	if (configure(s, err) == -1 ||
	    store_migrate(s, store_migrations, store_n_migrations, err) == -1)
		goto fail;
	if (store_int(s, "PRAGMA data_version", &dv, err) == -1)
		goto fail;
	s->data_version = dv;
	return s;
fail:
	store_close(s);
	if (created)
		remove_files(path);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	/* Every statement is the cache's by now (a caller holding one past
	 * the close would be a bug): none keeps sqlite3_close from freeing
	 * the handle. */
	for (struct store_stmt *e = s->stmts; e < s->stmts +
	    STORE_STMT_SLOTS; e++)
		sqlite3_finalize(e->st);
	sqlite3_finalize(s->rollback);
	sqlite3_close(s->db);
	free(s);
}

void
store_set_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

int
store_schema_version(struct store *s, struct err *err)
{
	long long	v;

	if (store_int(s, "PRAGMA user_version", &v, err) == -1)
		return -1;
	return (int)v;
}

int
store_changed(struct store *s, struct err *err)
{
	long long	dv;
	bool		changed;

	if (store_int(s, "PRAGMA data_version", &dv, err) == -1)
		return -1;
	changed = dv != s->data_version;
	s->data_version = dv;
	return changed ? 1 : 0;
}

const char *
store_wal_path(struct store *s)
{
	return sqlite3_filename_wal(sqlite3_db_filename(s->db, "main"));
}
