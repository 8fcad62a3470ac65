/*
 * store_priv.h: what the files of src/store share, and what the unit
 * suite reaches past the public interface: the connection, the error
 * mapping of sqlite3 result codes, transactions, and the migrations.
 */
#ifndef TIMBRE_STORE_STORE_PRIV_H
#define TIMBRE_STORE_STORE_PRIV_H

#include <sqlite3.h>

#include "store/store.h"

/* Slots of the statement cache: a power of two, about twice the
 * distinct statements of src/store, so that probes stay short.  A
 * statement that finds no slot is prepared and finalized each time. */
#define STORE_STMT_SLOTS	256

/* One cached statement: its text's hash (the key, with the text that
 * sqlite3_sql gives back), and whether a caller holds it now. */
struct store_stmt {
	sqlite3_stmt	*st;		/* NULL: free (dead: a tombstone) */
	unsigned long	 hash;
	bool		 busy;
	bool		 dead;
};

struct store {
	sqlite3		*db;
	/* Prepared at open, so that ending a transaction after an error
	 * need not allocate (compiling it would, and fail when memory is
	 * short, leaving the lock held). */
	sqlite3_stmt	*rollback;
	long long	 data_version;		/* at the last store_changed */
	bool		 relaxed;	/* synchronous=NORMAL now, not FULL */
	/* Prepared statements by their SQL text (db.c): preparing took a
	 * fifth of listd's CPU when every call prepared afresh. */
	struct store_stmt stmts[STORE_STMT_SLOTS];
};

/* One step of the schema: from version - 1 to version, run as one
 * script inside the transaction that also sets user_version. */
struct store_migration {
	int		 version;
	const char	*sql;
};

/* The migrations of this program, versions 1 to STORE_SCHEMA_VERSION. */
extern const struct store_migration	store_migrations[];
extern const size_t			store_n_migrations;

/*
 * Brings db to the last of the n steps (ascending, consecutive from 1),
 * each in a BEGIN IMMEDIATE transaction that re-reads user_version, so
 * that two processes opening an old database at once migrate it once.
 * A database newer than the last step is STORE_E_VERSION.  A step that
 * fails is rolled back, and earlier steps stay.
 */
int	store_migrate(struct store *, const struct store_migration *,
	    size_t n, struct err *);

/* Sets err from the connection's last error (rc: the result code):
 * ERR_NOMEM, STORE_E_BUSY or STORE_E_DB, with what. */
int	store_fail(struct store *, int rc, const char *what, struct err *);

/* BEGIN IMMEDIATE (waits for the write lock up to the busy timeout),
 * BEGIN (a read snapshot), COMMIT, and ROLLBACK if a transaction is
 * open (which never fails the caller: sqlite3 may have rolled back). */
int	store_begin_write(struct store *, struct err *);
/* BEGIN IMMEDIATE for a transaction whose loss in a power failure or
 * an OS crash is harmless (synchronous=NORMAL: its commit does not wait
 * for the disk, the next store_begin_write's does): the delivery
 * engine's claims and results, whose loss sends a copy again (at least
 * once), never loses one.  Every other write stays synchronous=FULL. */
int	store_begin_write_relaxed(struct store *, struct err *);
int	store_begin_read(struct store *, struct err *);
int	store_commit(struct store *, struct err *);
void	store_rollback(struct store *);

/* The value of a subscriber state read from the database (its CHECK
 * holds it to the names): STORE_SUB_ACTIVE for one not known. */
int	store_sub_state_parse(const char *);

/*
 * Gives sql (NUL-terminated, one statement) prepared into *st_out, from
 * the connection's cache when it is there and not held by another
 * caller, else prepared now (and kept, if a slot is free).  Every
 * statement from here goes back through store_release, never
 * sqlite3_finalize.
 */
int	store_prepare(struct store *, const char *sql, sqlite3_stmt **st_out,
	    struct err *);
/* Gives st back (NULL: nothing): a cached one is reset, its bindings
 * cleared, and kept unless its last step failed (an SQLITE_SCHEMA that
 * outlived sqlite3's re-prepare among them); any other is finalized. */
void	store_release(struct store *, sqlite3_stmt *st);
/* Finalizes every cached statement not held now (after a migration). */
void	store_stmt_flush(struct store *);
/* Runs sql, a script of statements without results. */
int	store_exec(struct store *, const char *sql, struct err *);
/* Runs st (bound) to its end and releases it; what names it in err. */
int	store_run(struct store *, sqlite3_stmt *st, const char *what,
	    struct err *);
/* Normalises a list's domain (required: STORE_E_DOMAIN) and name. */
int	store_list_keys(const char *domain, const char *name,
	    char dom[STORE_DOMAIN_MAX + 1], char nm[STORE_NAME_MAX + 1],
	    struct err *);
/* The id of the list dom, nm (normal) into *id_out; STORE_E_NOLIST. */
int	store_list_id(struct store *, const char *dom, const char *nm,
	    sqlite3_int64 *id_out, struct err *);

/* One integer from a statement that returns one row (a PRAGMA). */
int	store_int(struct store *, const char *sql, long long *out,
	    struct err *);

#endif
