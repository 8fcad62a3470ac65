/*
 * archive.c: the archive queue of the store (store.h, "The archive
 * queue"): the posts timbre-listd has yet to commit to their lists'
 * archives.  Rows are made by store_msg_signed, in the transaction that
 * fans a post out; here they are read in the order they were made, and
 * deleted or pushed back.  Each call is one statement, so one
 * transaction of sqlite3's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

int
store_archive_next(struct store *s, time_t now,
    struct store_archive_item *out, struct err *err)
{
	sqlite3_stmt	*st;
	const char	*dom, *nm;
	const void	*p;
	int		 rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (store_prepare(s, "SELECT a.message, l.domain, l.name, a.attempts, "
	    "a.next_attempt, CASE WHEN a.next_attempt <= ?1 THEN m.body END "
	    "FROM archive a JOIN messages m ON m.id = a.message "
	    "JOIN lists l ON l.id = m.list_id ORDER BY a.seq LIMIT 1", &st,
	    err) == -1)
		return -1;
	if ((rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)now)) !=
	    SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto done;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		ret = 0;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, rc, "archive", err);
		goto done;
	}
	out->message = sqlite3_column_int64(st, 0);
	dom = (const char *)sqlite3_column_text(st, 1);
	nm = (const char *)sqlite3_column_text(st, 2);
	if (dom == NULL || nm == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	snprintf(out->domain, sizeof(out->domain), "%s", dom);
	snprintf(out->list, sizeof(out->list), "%s", nm);
	out->attempts = (long)sqlite3_column_int64(st, 3);
	out->next_attempt = (time_t)sqlite3_column_int64(st, 4);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		p = sqlite3_column_blob(st, 5);
		out->len = (size_t)sqlite3_column_bytes(st, 5);
		if ((p == NULL && out->len > 0) ||
		    (out->body = malloc(out->len + 1)) == NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			goto done;
		}
		if (out->len > 0)
			memcpy(out->body, p, out->len);
		out->body[out->len] = '\0';
	}
	ret = 1;
done:
	store_release(s, st);
	return ret;
}

int
store_archive_done(struct store *s, int64_t message, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, "DELETE FROM archive WHERE message = ?1", &st,
	    err) == -1)
		return -1;
	if ((rc = sqlite3_bind_int64(st, 1, message)) != SQLITE_OK) {
		store_release(s, st);
		return store_fail(s, rc, "bind", err);
	}
	return store_run(s, st, "archive", err);
}

int
store_archive_retry(struct store *s, int64_t message, time_t next_attempt,
    const char *last_error, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, "UPDATE archive SET attempts = attempts + 1, "
	    "next_attempt = ?2, last_error = ?3 WHERE message = ?1", &st,
	    err) == -1)
		return -1;
	if ((rc = sqlite3_bind_int64(st, 1, message)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)next_attempt)) !=
	    SQLITE_OK || (rc = sqlite3_bind_text(st, 3, last_error, -1,
	    SQLITE_TRANSIENT)) != SQLITE_OK) {
		store_release(s, st);
		return store_fail(s, rc, "bind", err);
	}
	return store_run(s, st, "archive", err);
}

int
store_archive_pending(struct store *s, long long *n_out, struct err *err)
{
	return store_int(s, "SELECT count(*) FROM archive", n_out, err);
}
