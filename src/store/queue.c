/*
 * queue.c: the inbound side of the message queue (store.h, "The inbound
 * queue"): timbre-listd stores a post before it answers 250, moves it
 * through the signer, and turns the signed copy into delivery rows.
 *
 * store_msg_signed is the hand-over to the delivery engine and is one
 * transaction: the signed body, the rows and the state change are on
 * disk together or not at all, so a crash leaves the message where it
 * was (listd sends it to the signer again) and never with half its
 * recipients.  Rows are keyed by (message, recipient), so a signed copy
 * that comes back twice cannot queue anyone twice either: the second
 * finds the message in fanout and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

static const char *const	state_names[] = {
	[STORE_MSG_RECEIVED] = "received",
	[STORE_MSG_HELD] = "held",
	[STORE_MSG_SIGNING] = "signing",
	[STORE_MSG_SIGNED] = "signed",
	[STORE_MSG_FANOUT] = "fanout",
	[STORE_MSG_DONE] = "done",
};

const char *
store_msg_state_name(enum store_msg_state st)
{
	if ((size_t)st >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[st];
}

static enum store_msg_state
state_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum store_msg_state)i;
	return STORE_MSG_RECEIVED;
}

static int
bind_text(struct store *s, sqlite3_stmt *st, int i, const char *v,
    struct err *err)
{
	int	rc;

	rc = v != NULL ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, i);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

static int
bind_int(struct store *s, sqlite3_stmt *st, int i, sqlite3_int64 v,
    struct err *err)
{
	int	rc;

	if ((rc = sqlite3_bind_int64(st, i, v)) != SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

static int
bind_blob(struct store *s, sqlite3_stmt *st, int i, const void *p,
    size_t len, struct err *err)
{
	int	rc;

	/* A zero-length blob must still be a blob, not NULL: the CHECK
	 * on (spool, body) holds one of them to be set. */
	if ((rc = sqlite3_bind_blob64(st, i, len > 0 ? p : "", len,
	    SQLITE_STATIC)) != SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

static int
step_done(struct store *s, sqlite3_stmt *st, const char *what,
    struct err *err)
{
	int	rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return store_fail(s, rc, what, err);
	return 0;
}

/* store_msg_add, committed with or without (relaxed) waiting for the
 * disk. */
static int
msg_add(struct store *s, bool relaxed, const char *domain, const char *name,
    enum store_msg_state state, const char *mail_from,
    const char *message_id, const void *body, size_t len, time_t now,
    int64_t *id_out, struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st = NULL;

	if (state != STORE_MSG_RECEIVED && state != STORE_MSG_HELD) {
		err_set(err, STORE_E_VALUE, "a new message is received or "
		    "held, not %s", store_msg_state_name(state));
		return -1;
	}
	if (store_domain_normalize(domain, dom, err) == -1 ||
	    store_name_normalize(name, nm, err) == -1 ||
	    (relaxed ? store_begin_write_relaxed(s, err) :
	    store_begin_write(s, err)) == -1)
		return -1;
	if (store_prepare(s, "INSERT INTO messages (list_id, state, "
	    "mail_from, message_id, body, size, created, next_attempt) "
	    "SELECT id, ?3, ?4, ?5, ?6, ?7, ?8, ?8 FROM lists "
	    "WHERE domain = ?1 AND name = ?2", &st, err) == -1)
		goto fail;
	if (bind_text(s, st, 1, dom, err) == -1 ||
	    bind_text(s, st, 2, nm, err) == -1 ||
	    bind_text(s, st, 3, state_names[state], err) == -1 ||
	    bind_text(s, st, 4, mail_from != NULL ? mail_from : "", err) ==
	    -1 || bind_text(s, st, 5, message_id, err) == -1 ||
	    bind_blob(s, st, 6, body, len, err) == -1 ||
	    bind_int(s, st, 7, (sqlite3_int64)len, err) == -1 ||
	    bind_int(s, st, 8, (sqlite3_int64)now, err) == -1 ||
	    step_done(s, st, "message", err) == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		err_set(err, STORE_E_NOLIST, "no list %s@%s", nm, dom);
		goto fail;
	}
	*id_out = sqlite3_last_insert_rowid(s->db);
	store_release(s, st);
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_msg_add(struct store *s, const char *domain, const char *name,
    enum store_msg_state state, const char *mail_from,
    const char *message_id, const void *body, size_t len, time_t now,
    int64_t *id_out, struct err *err)
{
	return msg_add(s, false, domain, name, state, mail_from, message_id,
	    body, len, now, id_out, err);
}

int
store_msg_add_nosync(struct store *s, const char *domain, const char *name,
    enum store_msg_state state, const char *mail_from,
    const char *message_id, const void *body, size_t len, time_t now,
    int64_t *id_out, struct err *err)
{
	return msg_add(s, true, domain, name, state, mail_from, message_id,
	    body, len, now, id_out, err);
}

int
store_msg_state(struct store *s, int64_t id, enum store_msg_state state,
    time_t next_attempt, bool attempted, const char *last_error,
    struct err *err)
{
	sqlite3_stmt	*st = NULL;

	if (store_begin_write_relaxed(s, err) == -1)
		return -1;
	/* A message the delivery engine has is not ours to move. */
	if (store_prepare(s, "UPDATE messages SET state = ?2, "
	    "next_attempt = ?3, attempts = attempts + ?4, last_error = ?5 "
	    "WHERE id = ?1 AND state NOT IN ('fanout', 'done')", &st,
	    err) == -1)
		goto fail;
	if (bind_int(s, st, 1, id, err) == -1 ||
	    bind_text(s, st, 2, store_msg_state_name(state), err) == -1 ||
	    bind_int(s, st, 3, (sqlite3_int64)next_attempt, err) == -1 ||
	    bind_int(s, st, 4, attempted ? 1 : 0, err) == -1 ||
	    bind_text(s, st, 5, last_error, err) == -1 ||
	    step_done(s, st, "message state", err) == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		err_set(err, STORE_E_NOMSG, "no message %lld waiting to be "
		    "signed", (long long)id);
		goto fail;
	}
	store_release(s, st);
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

/* The state of message id, in the open transaction. */
static int
msg_state(struct store *s, int64_t id, enum store_msg_state *out,
    struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, "SELECT state FROM messages WHERE id = ?1", &st,
	    err) == -1)
		return -1;
	if (bind_int(s, st, 1, id, err) == -1)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		err_set(err, STORE_E_NOMSG, "no message %lld", (long long)id);
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, rc, "message", err);
		goto fail;
	}
	*out = state_parse((const char *)sqlite3_column_text(st, 0) ?
	    (const char *)sqlite3_column_text(st, 0) : "");
	store_release(s, st);
	return 0;
fail:
	store_release(s, st);
	return -1;
}

int
store_msg_signed(struct store *s, int64_t id, const void *body, size_t len,
    time_t now, bool archive, size_t *nrcpt_out, struct err *err)
{
	sqlite3_stmt		*st = NULL;
	enum store_msg_state	 state;
	size_t			 n;

	*nrcpt_out = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (msg_state(s, id, &state, err) == -1)
		goto fail;
	switch (state) {
	case STORE_MSG_RECEIVED:
	case STORE_MSG_SIGNING:
	case STORE_MSG_SIGNED:
		break;
	case STORE_MSG_HELD:
		err_set(err, STORE_E_NOMSG, "message %lld is held, not sent "
		    "to be signed", (long long)id);
		goto fail;
	case STORE_MSG_FANOUT:
	case STORE_MSG_DONE:
		store_rollback(s);
		return 1;
	}
	/* Before the subscribers' rows: a post is a message without rows
	 * of its own, and the archive's row is made with the fan-out, so
	 * that no crash can fan a post out without archiving it. */
	if (archive && (store_prepare(s, "INSERT OR IGNORE INTO archive "
	    "(message, next_attempt) SELECT ?1, ?2 WHERE NOT EXISTS "
	    "(SELECT 1 FROM deliveries WHERE message = ?1)", &st, err) == -1 ||
	    bind_int(s, st, 1, id, err) == -1 ||
	    bind_int(s, st, 2, (sqlite3_int64)now, err) == -1 ||
	    step_done(s, st, "archive", err) == -1))
		goto fail;
	store_release(s, st);
	st = NULL;
	/* A post also waits for the next digest if a member reads the
	 * list so: the copy as signed, made with the fan-out for the same
	 * reason as the archive's row. */
	if (store_prepare(s, "INSERT OR IGNORE INTO digest (list_id, "
	    "message, body, size, created) SELECT m.list_id, m.id, ?3, ?4, ?2 "
	    "FROM messages m WHERE m.id = ?1 AND m.list_id IS NOT NULL AND "
	    "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message = m.id) "
	    "AND EXISTS (SELECT 1 FROM subscribers sub WHERE sub.list_id = "
	    "m.list_id AND sub.state = 'active' AND sub.delivery = 'digest')",
	    &st, err) == -1 ||
	    bind_int(s, st, 1, id, err) == -1 ||
	    bind_int(s, st, 2, (sqlite3_int64)now, err) == -1 ||
	    bind_blob(s, st, 3, body, len, err) == -1 ||
	    bind_int(s, st, 4, (sqlite3_int64)len, err) == -1 ||
	    step_done(s, st, "digest", err) == -1)
		goto fail;
	store_release(s, st);
	st = NULL;
	/* Members in digest mode get no single post. */
	if (store_prepare(s, "INSERT INTO deliveries (message, recipient, "
	    "state, next_attempt) SELECT m.id, sub.address, 'queued', ?2 "
	    "FROM messages m JOIN subscribers sub ON sub.list_id = m.list_id "
	    "WHERE m.id = ?1 AND sub.state = 'active' AND sub.delivery = "
	    "'single' AND NOT EXISTS "
	    "(SELECT 1 FROM deliveries d WHERE d.message = m.id)", &st,
	    err) == -1 ||
	    bind_int(s, st, 1, id, err) == -1 ||
	    bind_int(s, st, 2, (sqlite3_int64)now, err) == -1 ||
	    step_done(s, st, "deliveries", err) == -1)
		goto fail;
	store_release(s, st);
	st = NULL;
	/* A message with rows of its own (store_reply_add) keeps them. */
	if (store_prepare(s, "SELECT count(*) FROM deliveries WHERE "
	    "message = ?1 AND state = 'queued'", &st, err) == -1 ||
	    bind_int(s, st, 1, id, err) == -1)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_fail(s, sqlite3_errcode(s->db), "deliveries", err);
		goto fail;
	}
	n = (size_t)sqlite3_column_int64(st, 0);
	store_release(s, st);
	st = NULL;
	if (store_prepare(s, "UPDATE messages SET body = ?2, size = ?3, "
	    "state = ?4, next_attempt = ?5, last_error = NULL WHERE id = ?1",
	    &st, err) == -1 ||
	    bind_int(s, st, 1, id, err) == -1 ||
	    bind_blob(s, st, 2, body, len, err) == -1 ||
	    bind_int(s, st, 3, (sqlite3_int64)len, err) == -1 ||
	    bind_text(s, st, 4, n > 0 ? "fanout" : "done", err) == -1 ||
	    bind_int(s, st, 5, (sqlite3_int64)now, err) == -1 ||
	    step_done(s, st, "message", err) == -1)
		goto fail;
	store_release(s, st);
	if (store_commit(s, err) == -1)
		return -1;
	*nrcpt_out = n;
	return 0;
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_msg_each_unsigned(struct store *s, time_t due_by,
    int (*fn)(const struct store_msg_info *, void *), void *arg,
    struct err *err)
{
	struct store_msg_info	 mi;
	sqlite3_stmt		*st = NULL;
	bool			 own;
	int			 rc, ret = -1;

	own = sqlite3_get_autocommit(s->db) != 0;
	if (own && store_begin_read(s, err) == -1)
		return -1;
	if (store_prepare(s, "SELECT m.id, l.domain, l.name, m.state, "
	    "m.mail_from, m.created, m.next_attempt, m.attempts, m.size "
	    "FROM messages m JOIN lists l ON l.id = m.list_id "
	    "WHERE m.state IN ('received', 'signing') AND m.next_attempt <= ?1 "
	    "ORDER BY m.next_attempt, m.id", &st, err) == -1 ||
	    bind_int(s, st, 1, (sqlite3_int64)due_by, err) == -1)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&mi, 0, sizeof(mi));
		mi.id = sqlite3_column_int64(st, 0);
		mi.domain = (const char *)sqlite3_column_text(st, 1);
		mi.list = (const char *)sqlite3_column_text(st, 2);
		mi.state = state_parse((const char *)sqlite3_column_text(st,
		    3) ? (const char *)sqlite3_column_text(st, 3) : "");
		mi.mail_from = (const char *)sqlite3_column_text(st, 4);
		if (mi.domain == NULL || mi.list == NULL || mi.mail_from ==
		    NULL) {
			err_set(err, ERR_NOMEM, "out of memory");
			goto done;
		}
		mi.created = (time_t)sqlite3_column_int64(st, 5);
		mi.next_attempt = (time_t)sqlite3_column_int64(st, 6);
		mi.attempts = (long)sqlite3_column_int64(st, 7);
		mi.size = (size_t)sqlite3_column_int64(st, 8);
		if (fn(&mi, arg) == -1)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, "messages", err);
		goto done;
	}
	ret = 0;
done:
	store_release(s, st);
	if (own)
		store_rollback(s);
	return ret;
}

int
store_msg_body(struct store *s, int64_t id, char **body_out,
    size_t *len_out, struct err *err)
{
	sqlite3_stmt	*st;
	const void	*p;
	size_t		 len;
	int		 rc;

	*body_out = NULL;
	*len_out = 0;
	if (store_prepare(s, "SELECT body FROM messages WHERE id = ?1", &st,
	    err) == -1)
		return -1;
	if (bind_int(s, st, 1, id, err) == -1)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		err_set(err, STORE_E_NOMSG, "no message %lld", (long long)id);
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, rc, "message", err);
		goto fail;
	}
	p = sqlite3_column_blob(st, 0);
	len = (size_t)sqlite3_column_bytes(st, 0);
	if ((p == NULL && len > 0) ||
	    (*body_out = malloc(len + 1)) == NULL) {
		err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (len > 0)
		memcpy(*body_out, p, len);
	(*body_out)[len] = '\0';
	*len_out = len;
	store_release(s, st);
	return 0;
fail:
	store_release(s, st);
	return -1;
}
