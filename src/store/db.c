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

int
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st_out,
    struct err *err)
{
	int	rc;

	*st_out = NULL;
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, st_out, NULL)) !=
	    SQLITE_OK) {
		sqlite3_finalize(*st_out);
		*st_out = NULL;
		return store_fail(s, rc, "prepare", err);
	}
	return 0;
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
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* BEGIN IMMEDIATE, with synchronous FULL or, if relaxed, NORMAL (set
 * only when it changes: a pragma outside any transaction, no I/O). */
static int
begin_write(struct store *s, bool relaxed, struct err *err)
{
	int	rc;

	if (s->relaxed != relaxed) {
		if ((rc = sqlite3_exec(s->db, relaxed ?
		    "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL",
		    NULL, NULL, NULL)) != SQLITE_OK)
			return store_fail(s, rc, "synchronous", err);
		s->relaxed = relaxed;
	}
	if ((rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL)) != SQLITE_OK)
		return store_fail(s, rc, "begin", err);
	return 0;
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
	int	rc;

	if ((rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return store_fail(s, rc, "begin", err);
	return 0;
}

int
store_commit(struct store *s, struct err *err)
{
	int	rc;

	if ((rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		store_fail(s, rc, "commit", err);
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
		sqlite3_finalize(st);
		return -1;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		if (mode == NULL)
			store_fail(s, SQLITE_NOMEM, "journal_mode", err);
		else
			err_set(err, STORE_E_DB, "journal_mode=WAL refused "
			    "(the mode is %s)", mode);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
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
	if (store_prepare(s, "ROLLBACK", &s->rollback, err) == -1 ||
	    configure(s, err) == -1 ||
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
	/* Other statements are finalized where they are made: none keeps
	 * sqlite3_close from freeing the handle. */
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
