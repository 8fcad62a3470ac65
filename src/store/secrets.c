/*
 * secrets.c: named random keys kept in the database (the secrets table,
 * schema version 3), made at their first use.  timbre-listd's one-click
 * unsubscribe links (RFC 8058) are a MAC under the "unsubscribe" key:
 * the key lives with the lists it protects, so that a copy of the
 * database is all a restored listd needs, and no row per link is kept.
 *
 * The caller draws the fresh bytes (the store reads no random source);
 * INSERT OR IGNORE then SELECT in one write transaction makes the first
 * writer's value everyone's, whichever process gets there first.
 */
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

int
store_secret(struct store *s, const char *name, const void *fresh, size_t n,
    time_t now, void *out, struct err *err)
{
	sqlite3_stmt	*st;
	const void	*v;
	int		 rc;

	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_prepare(s, "INSERT OR IGNORE INTO secrets (name, value, "
	    "created) VALUES (?1, ?2, ?3)", &st, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) !=
	    SQLITE_OK || (rc = sqlite3_bind_blob(st, 2, fresh, (int)n,
	    SQLITE_STATIC)) != SQLITE_OK || (rc = sqlite3_bind_int64(st, 3,
	    (sqlite3_int64)now)) != SQLITE_OK) {
		store_release(s, st);
		store_fail(s, rc, "secret", err);
		goto fail;
	}
	if (store_run(s, st, "secret", err) == -1)
		goto fail;
	if (store_prepare(s, "SELECT value FROM secrets WHERE name = ?1", &st,
	    err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) !=
	    SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_release(s, st);
		store_fail(s, rc, "secret", err);
		goto fail;
	}
	v = sqlite3_column_blob(st, 0);
	if (v == NULL || (size_t)sqlite3_column_bytes(st, 0) != n) {
		store_release(s, st);
		err_set(err, STORE_E_VALUE, "secret %s: not %zu bytes", name,
		    n);
		goto fail;
	}
	memcpy(out, v, n);
	store_release(s, st);
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}
