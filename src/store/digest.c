/*
 * digest.c: the posts waiting for their lists' digests (store.h,
 * "Digests").  store_msg_signed makes a row, a copy of the post as its
 * members get it, in the transaction that fans the post out, when the
 * list has an active member in digest mode; here timbre-listd reads
 * them and, in one transaction, queues the digest for the members in
 * digest mode and deletes the rows it holds.  The issue number guards
 * that transaction: two listd (or a listd restarted between reading and
 * queueing) cannot send one issue twice, nor a post in two issues.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

static const char *
text_or_empty(sqlite3_stmt *st, int i)
{
	const char	*t = (const char *)sqlite3_column_text(st, i);

	return t != NULL ? t : "";
}

int
store_digest_each(struct store *s,
    int (*fn)(const struct store_digest_info *, void *), void *arg,
    struct err *err)
{
	struct store_digest_info	 di;
	sqlite3_stmt			*st = NULL;
	int				 rc, ret = -1;

	if (store_begin_read(s, err) == -1)
		return -1;
	if (store_prepare(s, "SELECT l.domain, l.name, count(*), "
	    "sum(d.size), min(d.created), l.digest_issue + 1, "
	    "(SELECT count(*) FROM subscribers sub WHERE sub.list_id = l.id "
	    "AND sub.state = 'active' AND sub.delivery = 'digest') "
	    "FROM digest d JOIN lists l ON l.id = d.list_id "
	    "GROUP BY l.id ORDER BY l.domain, l.name", &st, err) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&di, 0, sizeof(di));
		di.domain = text_or_empty(st, 0);
		di.name = text_or_empty(st, 1);
		di.posts = (long)sqlite3_column_int64(st, 2);
		di.size = (size_t)sqlite3_column_int64(st, 3);
		di.oldest = (time_t)sqlite3_column_int64(st, 4);
		di.issue = (long)sqlite3_column_int64(st, 5);
		di.readers = (long)sqlite3_column_int64(st, 6);
		if (fn(&di, arg) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, "digest", err);
		goto out;
	}
	ret = 0;
out:
	store_release(s, st);
	store_rollback(s);
	return ret;
}

int
store_digest_posts(struct store *s, const char *domain, const char *name,
    int (*fn)(const struct store_digest_post *, void *), void *arg,
    struct err *err)
{
	char			 dom[STORE_DOMAIN_MAX + 1];
	char			 nm[STORE_NAME_MAX + 1];
	struct store_digest_post p;
	sqlite3_stmt		*st = NULL;
	sqlite3_int64		 id;
	int			 rc, stop = 0, ret = -1;

	if (store_list_keys(domain, name, dom, nm, err) == -1 ||
	    store_begin_read(s, err) == -1)
		return -1;
	if (store_list_id(s, dom, nm, &id, err) == -1 ||
	    store_prepare(s, "SELECT seq, body, created FROM digest WHERE "
	    "list_id = ?1 ORDER BY seq", &st, err) == -1)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p.seq = sqlite3_column_int64(st, 0);
		p.body = sqlite3_column_blob(st, 1);
		p.len = (size_t)sqlite3_column_bytes(st, 1);
		p.created = (time_t)sqlite3_column_int64(st, 2);
		if (p.body == NULL && p.len > 0) {
			err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		if (p.body == NULL)
			p.body = "";
		if ((stop = fn(&p, arg)) == -1)
			goto out;
		if (stop == 1)
			break;
	}
	if (stop != 1 && rc != SQLITE_DONE) {
		store_fail(s, rc, "digest", err);
		goto out;
	}
	ret = 0;
out:
	store_release(s, st);
	store_rollback(s);
	return ret;
}

/* In the open write transaction: st (prepared, ?1 the list id) run. */
static int
run_list(struct store *s, const char *sql, sqlite3_int64 list,
    sqlite3_int64 v2, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, sql, &st, err) == -1)
		return -1;
	if ((rc = sqlite3_bind_int64(st, 1, list)) != SQLITE_OK ||
	    (strstr(sql, "?2") != NULL &&
	    (rc = sqlite3_bind_int64(st, 2, v2)) != SQLITE_OK)) {
		store_release(s, st);
		return store_fail(s, rc, "bind", err);
	}
	return store_run(s, st, "digest", err);
}

int
store_digest_queue(struct store *s, const char *domain, const char *name,
    const struct store_digest_issue *is, time_t now, int64_t *id_out,
    size_t *nrcpt_out, struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st;
	sqlite3_int64	 id;
	long long	 issue;
	int		 rc;

	*id_out = 0;
	*nrcpt_out = 0;
	err->code = 0;
	if (store_list_keys(domain, name, dom, nm, err) == -1 ||
	    store_begin_write(s, err) == -1)
		return -1;
	if (store_list_id(s, dom, nm, &id, err) == -1 ||
	    store_prepare(s, "SELECT digest_issue FROM lists WHERE id = ?1",
	    &st, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_release(s, st);
		store_fail(s, rc, "lists", err);
		goto fail;
	}
	issue = sqlite3_column_int64(st, 0);
	store_release(s, st);
	if (issue + 1 != is->issue) {
		/* Sent already, by another process or before a restart. */
		store_rollback(s);
		return 1;
	}
	if (run_list(s, "DELETE FROM digest WHERE list_id = ?1 AND seq <= ?2",
	    id, is->upto, err) == -1 ||
	    run_list(s, "UPDATE lists SET digest_issue = ?2 WHERE id = ?1", id,
	    is->issue, err) == -1)
		goto fail;
	/* No digest: the rows are dropped (nobody read them when they were
	 * looked at; one who came since gets the next issue). */
	if (is->len == 0)
		return store_commit(s, err) == -1 ? -1 : 0;
	if (store_prepare(s, "INSERT INTO messages (list_id, state, "
	    "mail_from, message_id, body, size, created, next_attempt) "
	    "SELECT ?1, 'received', ?2, ?3, ?4, ?5, ?6, ?6 WHERE EXISTS "
	    "(SELECT 1 FROM subscribers WHERE list_id = ?1 AND state = "
	    "'active' AND delivery = 'digest')", &st, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 2, is->mail_from, -1,
	    SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 3, is->message_id, -1,
	    SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob64(st, 4, is->len > 0 ? is->body : "",
	    is->len, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, (sqlite3_int64)is->len)) !=
	    SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, (sqlite3_int64)now)) !=
	    SQLITE_OK) {
		store_release(s, st);
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	if (store_run(s, st, "message", err) == -1)
		goto fail;
	if (sqlite3_changes(s->db) > 0) {
		*id_out = sqlite3_last_insert_rowid(s->db);
		/* Its own rows: store_msg_signed fans it out to them. */
		if (run_list(s, "INSERT INTO deliveries (message, recipient, "
		    "state, next_attempt) SELECT ?2, address, 'queued', 0 "
		    "FROM subscribers WHERE list_id = ?1 AND state = 'active' "
		    "AND delivery = 'digest'", id, *id_out, err) == -1)
			goto fail;
		*nrcpt_out = (size_t)sqlite3_changes(s->db);
	}
	return store_commit(s, err) == -1 ? -1 : 0;
fail:
	store_rollback(s);
	return -1;
}
