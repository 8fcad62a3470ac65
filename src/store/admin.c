/*
 * admin.c: what administration by mail keeps in the database: pending
 * requests with their tokens (the pending table), and the messages the
 * list writes itself (replies to commands), queued with their own
 * recipients.
 *
 * A token is taken in the transaction that does its action, and its row
 * goes with it: a token works once, and a crash between the two cannot
 * leave a subscription without its token spent, or the reverse.  A new
 * request adds a row beside the earlier ones (a forged request must not
 * cancel a genuine one), within bounds.  The rate limit of replies is
 * kept here too (store_reply_allowed), so that a restart keeps it.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

static const char *const	action_names[] = {
	[STORE_PENDING_SUBSCRIBE] = "subscribe",
	[STORE_PENDING_UNSUBSCRIBE] = "unsubscribe",
	[STORE_PENDING_DIGEST] = "digest",
	[STORE_PENDING_SINGLE] = "single",
};

/* The action of a pending row, as the CHECK holds it. */
static enum store_pending_action
action_parse(const char *a)
{
	size_t	i;

	for (i = 0; a != NULL &&
	    i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcmp(a, action_names[i]) == 0)
			return (enum store_pending_action)i;
	return STORE_PENDING_UNSUBSCRIBE;	/* the harmless one */
}

/* The SQL of a pending action: ?1 the address, ?2 the list. */
static const char *const	action_sql[] = {
	[STORE_PENDING_SUBSCRIBE] = "INSERT OR IGNORE INTO subscribers "
	    "(list_id, address, added) VALUES (?2, ?1, ?3)",
	[STORE_PENDING_UNSUBSCRIBE] = "DELETE FROM subscribers WHERE "
	    "list_id = ?2 AND address = ?1",
	[STORE_PENDING_DIGEST] = "UPDATE subscribers SET delivery = 'digest' "
	    "WHERE list_id = ?2 AND address = ?1 AND delivery <> 'digest'",
	[STORE_PENDING_SINGLE] = "UPDATE subscribers SET delivery = 'single' "
	    "WHERE list_id = ?2 AND address = ?1 AND delivery <> 'single'",
};

/* Binds the texts v[0..n) to ?1..?n. */
static int
bind_texts(struct store *s, sqlite3_stmt *st, const char *const *v,
    int n, struct err *err)
{
	int	i, rc;

	for (i = 0; i < n; i++)
		if ((rc = sqlite3_bind_text(st, i + 1, v[i], -1,
		    SQLITE_STATIC)) != SQLITE_OK)
			return store_fail(s, rc, "bind", err);
	return 0;
}

int
store_list_id(struct store *s, const char *domain, const char *name,
    sqlite3_int64 *id_out, struct err *err)
{
	sqlite3_stmt	*st;
	const char	*v[2] = { domain, name };
	int		 rc;

	if (store_prepare(s, "SELECT id FROM lists WHERE domain = ?1 AND "
	    "name = ?2", &st, err) == -1)
		return -1;
	if (bind_texts(s, st, v, 2, err) == -1) {
		store_release(s, st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err_set(err, STORE_E_NOLIST, "no list %s@%s", name, domain);
	else
		store_fail(s, rc, "list", err);
	store_release(s, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_run(struct store *s, sqlite3_stmt *st, const char *what, struct err *err)
{
	int	rc;

	rc = sqlite3_step(st);
	store_release(s, st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, what, err);
	return 0;
}

int
store_list_keys(const char *domain, const char *name,
    char dom[STORE_DOMAIN_MAX + 1], char nm[STORE_NAME_MAX + 1],
    struct err *err)
{
	if (domain == NULL) {
		err_set(err, STORE_E_DOMAIN, "a list needs a domain");
		return -1;
	}
	if (store_domain_normalize(domain, dom, err) == -1 ||
	    store_name_normalize(name, nm, err) == -1)
		return -1;
	return 0;
}

/* One count(*) of st (bound) into *n. */
static int
count(struct store *s, sqlite3_stmt *st, long long *n, struct err *err)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	store_release(s, st);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, "pending", err);
	return 0;
}

/*
 * In the open write transaction: deletes the list's requests expired
 * STORE_PENDING_KEEP ago, then says whether one more for (addr, action)
 * fits the bounds of store.h (STORE_E_FULL if not).
 */
static int
pending_room(struct store *s, sqlite3_int64 list, const char *addr,
    enum store_pending_action action, time_t now, struct err *err)
{
	sqlite3_stmt	*st;
	long long	 n = 0;

	if (store_prepare(s, "DELETE FROM pending WHERE list_id = ?1 AND "
	    "expires <= ?2", &st, err) == -1)
		return -1;
	if (sqlite3_bind_int64(st, 1, list) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)(now -
	    STORE_PENDING_KEEP)) != SQLITE_OK) {
		store_release(s, st);
		return store_fail(s, sqlite3_errcode(s->db), "bind", err);
	}
	if (store_run(s, st, "pending", err) == -1)
		return -1;
	if (store_prepare(s, "SELECT count(*) FROM pending WHERE list_id = ?1 "
	    "AND address = ?2 AND action = ?3 AND expires > ?4", &st,
	    err) == -1)
		return -1;
	if (sqlite3_bind_int64(st, 1, list) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (sqlite3_int64)now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, action_names[action], -1,
	    SQLITE_STATIC) != SQLITE_OK) {
		store_release(s, st);
		return store_fail(s, sqlite3_errcode(s->db), "bind", err);
	}
	if (count(s, st, &n, err) == -1)
		return -1;
	if (n >= STORE_PENDING_PER_ADDR) {
		err_set(err, STORE_E_FULL, "%lld %s requests for %s are "
		    "pending already", n, action_names[action], addr);
		return -1;
	}
	if (store_prepare(s, "SELECT count(*) FROM pending WHERE list_id = ?1 "
	    "AND expires > ?2", &st, err) == -1)
		return -1;
	if (sqlite3_bind_int64(st, 1, list) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)now) != SQLITE_OK) {
		store_release(s, st);
		return store_fail(s, sqlite3_errcode(s->db), "bind", err);
	}
	if (count(s, st, &n, err) == -1)
		return -1;
	if (n >= STORE_PENDING_PER_LIST) {
		err_set(err, STORE_E_FULL, "%lld requests are pending for the "
		    "list already", n);
		return -1;
	}
	return 0;
}

int
store_pending_add(struct store *s, const char *domain, const char *name,
    const char *addr, enum store_pending_action action, const char *token,
    time_t now, time_t expires, struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	char		 a[STORE_ADDR_MAX + 1];
	sqlite3_stmt	*st;
	sqlite3_int64	 id;

	if (store_list_keys(domain, name, dom, nm, err) == -1 ||
	    store_addr_normalize(addr, a, err) == -1)
		return -1;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_list_id(s, dom, nm, &id, err) == -1 ||
	    pending_room(s, id, a, action, now, err) == -1 ||
	    store_prepare(s, "INSERT INTO pending (list_id, "
	    "address, action, waiting_for, token, requested, expires) VALUES "
	    "(?4, ?1, ?2, 'requester', ?3, ?5, ?6)", &st, err) == -1)
		goto fail;
	if (bind_texts(s, st, (const char *const[]){ a, action_names[action],
	    token }, 3, err) == -1 ||
	    sqlite3_bind_int64(st, 4, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, (sqlite3_int64)now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, (sqlite3_int64)expires) != SQLITE_OK) {
		if (err->code == 0)
			store_fail(s, sqlite3_errcode(s->db), "bind", err);
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "pending", err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_pending_take(struct store *s, const char *domain, const char *name,
    const char *token, time_t now, char addr_out[STORE_ADDR_MAX + 1],
    enum store_pending_action *action_out, bool *changed_out,
    struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st;
	sqlite3_int64	 id, row_list;
	time_t		 expires;
	int		 rc;

	*changed_out = false;
	err->code = 0;
	if (store_list_keys(domain, name, dom, nm, err) == -1)
		return -1;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_list_id(s, dom, nm, &id, err) == -1 ||
	    store_prepare(s, "SELECT list_id, address, action, expires FROM "
	    "pending WHERE token = ?1 AND waiting_for = 'requester'", &st,
	    err) == -1)
		goto fail;
	if (bind_texts(s, st, &token, 1, err) == -1) {
		store_release(s, st);
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		store_release(s, st);
		if (rc == SQLITE_DONE)
			err_set(err, STORE_E_NOTOKEN, "no request with this "
			    "token: it was used already, or never issued");
		else
			store_fail(s, rc, "pending", err);
		goto fail;
	}
	row_list = sqlite3_column_int64(st, 0);
	snprintf(addr_out, STORE_ADDR_MAX + 1, "%s",
	    (const char *)sqlite3_column_text(st, 1));
	*action_out = action_parse((const char *)sqlite3_column_text(st, 2));
	expires = (time_t)sqlite3_column_int64(st, 3);
	store_release(s, st);
	if (row_list != id) {
		err_set(err, STORE_E_OTHERLIST, "this token is not for "
		    "%s@%s", nm, dom);
		goto fail;
	}
	if (store_prepare(s, "DELETE FROM pending WHERE token = ?1", &st,
	    err) == -1)
		goto fail;
	if (bind_texts(s, st, &token, 1, err) == -1) {
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "pending", err) == -1)
		goto fail;
	if (expires <= now) {
		/* Spent all the same: commit the deletion, report it. */
		if (store_commit(s, err) == -1)
			return -1;
		err_set(err, STORE_E_EXPIRED, "this request expired; ask "
		    "again");
		return -1;
	}
	if (store_prepare(s, action_sql[*action_out], &st, err) == -1)
		goto fail;
	if (bind_texts(s, st, (const char *const[]){ addr_out }, 1,
	    err) == -1 || sqlite3_bind_int64(st, 2, id) != SQLITE_OK ||
	    (*action_out == STORE_PENDING_SUBSCRIBE &&
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)now) != SQLITE_OK)) {
		if (err->code == 0)
			store_fail(s, sqlite3_errcode(s->db), "bind", err);
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "subscribers", err) == -1)
		goto fail;
	*changed_out = sqlite3_changes(s->db) > 0;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_reply_add(struct store *s, const char *domain, const char *name,
    const char *mail_from, const char *message_id, const char *body,
    size_t len, const char *const *rcpts, size_t n, time_t now,
    int64_t *id_out, struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st;
	sqlite3_int64	 id;
	size_t		 i;

	if (store_list_keys(domain, name, dom, nm, err) == -1)
		return -1;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_list_id(s, dom, nm, &id, err) == -1 ||
	    store_prepare(s, "INSERT INTO messages (list_id, state, "
	    "mail_from, message_id, body, size, created, next_attempt) "
	    "VALUES (?3, 'received', ?1, ?2, ?4, ?5, ?6, ?6)", &st,
	    err) == -1)
		goto fail;
	if (bind_texts(s, st, (const char *const[]){ mail_from, message_id },
	    2, err) == -1 || sqlite3_bind_int64(st, 3, id) != SQLITE_OK ||
	    sqlite3_bind_blob64(st, 4, len > 0 ? body : "", len,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, (sqlite3_int64)len) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, (sqlite3_int64)now) != SQLITE_OK) {
		if (err->code == 0)
			store_fail(s, sqlite3_errcode(s->db), "bind", err);
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "message", err) == -1)
		goto fail;
	*id_out = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < n; i++) {
		if (store_prepare(s, "INSERT OR IGNORE INTO deliveries "
		    "(message, recipient, state, next_attempt) VALUES "
		    "(?2, ?1, 'queued', ?3)", &st, err) == -1)
			goto fail;
		if (bind_texts(s, st, &rcpts[i], 1, err) == -1 ||
		    sqlite3_bind_int64(st, 2, *id_out) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 3, (sqlite3_int64)now) !=
		    SQLITE_OK) {
			if (err->code == 0)
				store_fail(s, sqlite3_errcode(s->db), "bind",
				    err);
			store_release(s, st);
			goto fail;
		}
		if (store_run(s, st, "delivery", err) == -1)
			goto fail;
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_reply_allowed(struct store *s, const char *addr, time_t now,
    long window, long max, struct err *err)
{
	sqlite3_stmt	*st;
	long long	 n = 0, rows = 0;
	int		 rc;

	err->code = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_prepare(s, "DELETE FROM replies WHERE since <= ?1", &st,
	    err) == -1)
		goto fail;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - window)) !=
	    SQLITE_OK) {
		store_release(s, st);
		store_fail(s, sqlite3_errcode(s->db), "bind", err);
		goto fail;
	}
	if (store_run(s, st, "replies", err) == -1 ||
	    store_prepare(s, "SELECT (SELECT n FROM replies WHERE address = "
	    "?1), (SELECT count(*) FROM replies)", &st, err) == -1)
		goto fail;
	if (bind_texts(s, st, &addr, 1, err) == -1) {
		store_release(s, st);
		goto fail;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_release(s, st);
		store_fail(s, rc, "replies", err);
		goto fail;
	}
	rc = sqlite3_column_type(st, 0) != SQLITE_NULL;
	n = sqlite3_column_int64(st, 0);
	rows = sqlite3_column_int64(st, 1);
	store_release(s, st);
	if ((rc && n >= max) || (!rc && rows >= STORE_REPLIES_ADDRS)) {
		store_rollback(s);
		return 0;
	}
	if (store_prepare(s, rc ? "UPDATE replies SET n = n + 1 WHERE "
	    "address = ?1" : "INSERT INTO replies (address, since) VALUES "
	    "(?1, ?2)", &st, err) == -1)
		goto fail;
	if (bind_texts(s, st, &addr, 1, err) == -1 || (!rc &&
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)now) != SQLITE_OK)) {
		if (err->code == 0)
			store_fail(s, sqlite3_errcode(s->db), "bind", err);
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "replies", err) == -1 ||
	    store_commit(s, err) == -1)
		goto fail;
	return 1;
fail:
	store_rollback(s);
	return -1;
}
