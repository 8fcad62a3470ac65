/*
 * held.c: posts waiting for a moderator (store.h, "Held posts"): the
 * held row beside the post's messages row, the moderators' tokens, and
 * the decisions.
 *
 * Every decision is one transaction that first reads the held row's
 * state, under the write lock: of two moderators answering at once, or
 * a moderator and the operator, the first commit wins and the second
 * finds the post decided (STORE_E_DECIDED), so a post is never both
 * sent and rejected, or sent twice.  The held row outlives the decision
 * until listd has sent the notes (to the author, to the other
 * moderators): a crash between the two loses no note.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

static const char *const	action_names[] = {
	[STORE_HELD_ACCEPT] = "accept",
	[STORE_HELD_REJECT] = "reject",
	[STORE_HELD_DISCARD] = "discard",
	[STORE_HELD_EXPIRE] = "expire",
};

static const char *const	state_names[] = {
	[STORE_HELD_WAITING] = "waiting",
	[STORE_HELD_ACCEPTED] = "accepted",
	[STORE_HELD_REJECTED] = "rejected",
	[STORE_HELD_DISCARDED] = "discarded",
	[STORE_HELD_EXPIRED] = "expired",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
store_held_action_name(enum store_held_action a)
{
	return (size_t)a < NELEM(action_names) ? action_names[a] : "?";
}

const char *
store_held_state_name(enum store_held_state st)
{
	return (size_t)st < NELEM(state_names) ? state_names[st] : "?";
}

int
store_held_action_parse(const char *s, enum store_held_action *out)
{
	size_t	i;

	for (i = 0; i < STORE_HELD_EXPIRE; i++)
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum store_held_action)i;
			return 0;
		}
	return -1;
}

static enum store_held_state
state_parse(const char *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < NELEM(state_names); i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum store_held_state)i;
	return STORE_HELD_WAITING;
}

/*
 * Binds the arguments of fmt to st: 't' a text (NULL binds NULL), 'i'
 * an sqlite3_int64, 'b' a blob (pointer, then size_t length), in order
 * to ?1, ?2, ...
 */
static int
vbind(struct store *s, sqlite3_stmt *st, struct err *err, const char *fmt,
    va_list ap)
{
	const char	*t;
	const void	*p;
	size_t		 len;
	int		 i, rc = SQLITE_OK;

	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++)
		switch (*fmt) {
		case 't':
			t = va_arg(ap, const char *);
			rc = t != NULL ? sqlite3_bind_text(st, i, t, -1,
			    SQLITE_STATIC) : sqlite3_bind_null(st, i);
			break;
		case 'i':
			rc = sqlite3_bind_int64(st, i,
			    va_arg(ap, sqlite3_int64));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			/* A blob, never NULL: messages' CHECK wants one. */
			rc = sqlite3_bind_blob64(st, i, len > 0 ? p : "", len,
			    SQLITE_STATIC);
			break;
		}
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

static int
bind(struct store *s, sqlite3_stmt *st, struct err *err, const char *fmt,
    ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = vbind(s, st, err, fmt, ap);
	va_end(ap);
	return rc;
}

/* Prepares sql, binds by fmt (as bind) and runs it: no rows. */
static int
exec_bound(struct store *s, struct err *err, const char *what,
    const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	if (store_prepare(s, sql, &st, err) == -1)
		return -1;
	va_start(ap, fmt);
	rc = vbind(s, st, err, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		store_release(s, st);
		return -1;
	}
	return store_run(s, st, what, err);
}

/* The id of list name@domain (normalised into dom, nm); NOLIST. */
static int
list_id(struct store *s, const char *domain, const char *name,
    char dom[STORE_DOMAIN_MAX + 1], char nm[STORE_NAME_MAX + 1],
    sqlite3_int64 *id_out, struct err *err)
{
	if (store_list_keys(domain, name, dom, nm, err) == -1 ||
	    store_list_id(s, dom, nm, id_out, err) == -1)
		return -1;
	return 0;
}

int
store_held_add(struct store *s, const char *domain, const char *name,
    const struct store_held_new *h, const void *body, size_t len,
    const struct store_held_token *tokens, size_t n, time_t now,
    int64_t *id_out, struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st;
	sqlite3_int64	 list, msg;
	size_t		 i;
	int		 rc;

	if (store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, domain, name, dom, nm, &list, err) == -1 ||
	    store_prepare(s, "SELECT count(*) FROM held WHERE list_id = ?1 "
	    "AND state = 'waiting'", &st, err) == -1)
		goto fail;
	if (bind(s, st, err, "i", list) == -1) {
		store_release(s, st);
		goto fail;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_release(s, st);
		store_fail(s, rc, "held", err);
		goto fail;
	}
	rc = sqlite3_column_int64(st, 0) >= STORE_HELD_PER_LIST;
	store_release(s, st);
	if (rc) {
		err_set(err, STORE_E_FULL, "%d posts to %s@%s wait for a "
		    "moderator already", STORE_HELD_PER_LIST, nm, dom);
		goto fail;
	}
	if (store_prepare(s, "INSERT INTO messages (list_id, state, "
	    "mail_from, message_id, body, size, created, next_attempt) VALUES "
	    "(?1, 'held', ?2, ?3, ?4, ?5, ?6, ?6)", &st, err) == -1)
		goto fail;
	if (bind(s, st, err, "ittbii", list, h->mail_from, h->message_id,
	    body, len, (sqlite3_int64)len, (sqlite3_int64)now) == -1) {
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "message", err) == -1)
		goto fail;
	msg = sqlite3_last_insert_rowid(s->db);
	if (store_prepare(s, "INSERT INTO held (list_id, message, author, "
	    "verified, mail_from, subject, reason, size, held, expires) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &st,
	    err) == -1)
		goto fail;
	if (bind(s, st, err, "iititttiii", list, msg, h->author,
	    (sqlite3_int64)(h->verified ? 1 : 0), h->mail_from, h->subject,
	    h->reason, (sqlite3_int64)len, (sqlite3_int64)now,
	    (sqlite3_int64)h->expires) == -1) {
		store_release(s, st);
		goto fail;
	}
	if (store_run(s, st, "held", err) == -1)
		goto fail;
	*id_out = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < n; i++)
		if (exec_bound(s, err, "held token", "INSERT INTO held_tokens "
		    "(token, held, moderator, action) VALUES (?1, ?2, ?3, ?4)",
		    "titt", tokens[i].token, (sqlite3_int64)*id_out,
		    tokens[i].moderator,
		    store_held_action_name(tokens[i].action)) == -1)
			goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

#define INFO_COLUMNS							\
	"h.id, l.domain, l.name, h.author, h.verified, h.mail_from, "	\
	"h.subject, h.reason, h.size, h.held, h.expires, h.state, "	\
	"h.decided_by, h.note FROM held h JOIN lists l ON l.id = h.list_id "

static const char *
text(sqlite3_stmt *st, int i)
{
	const char	*t = (const char *)sqlite3_column_text(st, i);

	return t != NULL ? t : "";
}

/* Calls fn for each row of st (bound), in a read transaction unless one
 * is open already. */
static int
each_row(struct store *s, sqlite3_stmt *st,
    int (*fn)(const struct store_held_info *, void *), void *arg,
    struct err *err)
{
	struct store_held_info	hi;
	int			rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&hi, 0, sizeof(hi));
		hi.id = sqlite3_column_int64(st, 0);
		hi.domain = text(st, 1);
		hi.list = text(st, 2);
		hi.author = text(st, 3);
		hi.verified = sqlite3_column_int64(st, 4) != 0;
		hi.mail_from = text(st, 5);
		hi.subject = text(st, 6);
		hi.reason = text(st, 7);
		hi.size = (size_t)sqlite3_column_int64(st, 8);
		hi.held = (time_t)sqlite3_column_int64(st, 9);
		hi.expires = (time_t)sqlite3_column_int64(st, 10);
		hi.state = state_parse(text(st, 11));
		hi.decided_by = text(st, 12);
		hi.note = text(st, 13);
		if (sqlite3_errcode(s->db) == SQLITE_NOMEM) {
			err_set(err, ERR_NOMEM, "out of memory");
			return -1;
		}
		if (fn(&hi, arg) == -1)
			return -1;
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, "held", err);
	return 0;
}

/* Calls fn for the waiting posts (of domain dom if not NULL, of list
 * if not 0), or the decided ones; see store_held_each. */
static int
held_each(struct store *s, bool decided, const char *dom, sqlite3_int64 list,
    int (*fn)(const struct store_held_info *, void *), void *arg,
    struct err *err)
{
	sqlite3_stmt	*st = NULL;
	bool		 own;
	int		 ret = -1;

	own = sqlite3_get_autocommit(s->db) != 0;
	if (own && store_begin_read(s, err) == -1)
		return -1;
	if (store_prepare(s, decided ? "SELECT " INFO_COLUMNS "WHERE "
	    "h.state <> 'waiting' ORDER BY h.id" : "SELECT " INFO_COLUMNS
	    "WHERE h.state = 'waiting' AND (?1 IS NULL OR l.domain = ?1) AND "
	    "(?2 = 0 OR l.id = ?2) ORDER BY h.held, h.id", &st, err) == -1 ||
	    (!decided && bind(s, st, err, "ti", dom, list) == -1))
		goto done;
	ret = each_row(s, st, fn, arg, err);
done:
	store_release(s, st);
	if (own)
		store_rollback(s);
	return ret;
}

int
store_held_each(struct store *s, const char *domain, const char *name,
    int (*fn)(const struct store_held_info *, void *), void *arg,
    struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_int64	 list = 0;

	if (name != NULL) {
		if (list_id(s, domain, name, dom, nm, &list, err) == -1)
			return -1;
	} else if (domain != NULL &&
	    store_domain_normalize(domain, dom, err) == -1)
		return -1;
	return held_each(s, false, domain != NULL ? dom : NULL, list, fn, arg,
	    err);
}

int
store_held_each_decided(struct store *s,
    int (*fn)(const struct store_held_info *, void *), void *arg,
    struct err *err)
{
	return held_each(s, true, NULL, 0, fn, arg, err);
}

int
store_held_forget(struct store *s, int64_t id, struct err *err)
{
	if (store_begin_write(s, err) == -1)
		return -1;
	if (exec_bound(s, err, "held", "DELETE FROM held WHERE id = ?1 AND "
	    "state <> 'waiting'", "i", (sqlite3_int64)id) == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

/*
 * In the open write transaction: decides held post id (of list, if list
 * is not 0).  See store_held_decide.
 */
static int
decide(struct store *s, sqlite3_int64 list, int64_t id,
    enum store_held_action action, const char *by, const char *note,
    time_t now, struct err *err)
{
	static const enum store_held_state	 to[] = {
		[STORE_HELD_ACCEPT] = STORE_HELD_ACCEPTED,
		[STORE_HELD_REJECT] = STORE_HELD_REJECTED,
		[STORE_HELD_DISCARD] = STORE_HELD_DISCARDED,
		[STORE_HELD_EXPIRE] = STORE_HELD_EXPIRED,
	};
	sqlite3_stmt				*st;
	enum store_held_state			 state;
	sqlite3_int64				 msg;
	char					 was[STORE_ADDR_MAX + 1];
	int					 rc;

	if (store_prepare(s, "SELECT state, message, decided_by FROM held "
	    "WHERE id = ?1 AND (?2 = 0 OR list_id = ?2)", &st, err) == -1)
		return -1;
	if (bind(s, st, err, "ii", (sqlite3_int64)id, list) == -1) {
		store_release(s, st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_release(s, st);
		if (rc != SQLITE_DONE)
			return store_fail(s, rc, "held", err);
		err_set(err, STORE_E_NOMSG, "no held post %lld", (long long)id);
		return -1;
	}
	state = state_parse(text(st, 0));
	msg = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(st, 1);
	snprintf(was, sizeof(was), "%s", text(st, 2));
	store_release(s, st);
	if (state != STORE_HELD_WAITING) {
		err_set(err, STORE_E_DECIDED, "held post %lld was %s already%s"
		    "%s", (long long)id, store_held_state_name(state),
		    was[0] != '\0' ? " by " : "", was);
		return -1;
	}
	if (action == STORE_HELD_ACCEPT) {
		if (exec_bound(s, err, "message", "UPDATE messages SET state = "
		    "'received', next_attempt = ?2, attempts = 0, last_error "
		    "= NULL WHERE id = ?1 AND state = 'held'", "ii", msg,
		    (sqlite3_int64)now) == -1)
			return -1;
		if (sqlite3_changes(s->db) == 0) {
			err_set(err, STORE_E_NOMSG, "the message of held post "
			    "%lld is gone", (long long)id);
			return -1;
		}
	} else if (msg != 0 && exec_bound(s, err, "message", "DELETE FROM "
	    "messages WHERE id = ?1 AND state = 'held'", "i", msg) == -1)
		return -1;
	if (exec_bound(s, err, "held tokens", "DELETE FROM held_tokens WHERE "
	    "held = ?1", "i", (sqlite3_int64)id) == -1 ||
	    exec_bound(s, err, "held", "UPDATE held SET state = ?2, "
	    "decided_by = ?3, note = ?4 WHERE id = ?1", "ittt",
	    (sqlite3_int64)id,
	    store_held_state_name(to[action]), by != NULL ? by : "",
	    note != NULL ? note : "") == -1)
		return -1;
	return 0;
}

int
store_held_decide(struct store *s, const char *domain, const char *name,
    int64_t id, enum store_held_action action, const char *by,
    const char *note, time_t now, struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_int64	 list;

	if (store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, domain, name, dom, nm, &list, err) == -1 ||
	    decide(s, list, id, action, by, note, now, err) == -1) {
		if (err->code == STORE_E_NOMSG)
			err_prefix(err, "%s@%s", nm, dom);
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

int
store_held_take(struct store *s, const char *domain, const char *name,
    const char *token, time_t now, int64_t *id_out,
    enum store_held_action *action_out,
    char moderator_out[STORE_ADDR_MAX + 1], struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], nm[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st;
	sqlite3_int64	 list, row_list;
	time_t		 expires;
	int		 rc;

	err->code = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, domain, name, dom, nm, &list, err) == -1 ||
	    store_prepare(s, "SELECT t.held, t.moderator, t.action, "
	    "h.list_id, h.expires FROM held_tokens t JOIN held h ON "
	    "h.id = t.held WHERE t.token = ?1", &st, err) == -1)
		goto fail;
	if (bind(s, st, err, "t", token) == -1) {
		store_release(s, st);
		goto fail;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_release(s, st);
		if (rc == SQLITE_DONE)
			err_set(err, STORE_E_NOTOKEN, "no held post with this "
			    "token: it was decided already, or never held");
		else
			store_fail(s, rc, "held token", err);
		goto fail;
	}
	*id_out = sqlite3_column_int64(st, 0);
	snprintf(moderator_out, STORE_ADDR_MAX + 1, "%s", text(st, 1));
	if (store_held_action_parse(text(st, 2), action_out) == -1)
		*action_out = STORE_HELD_DISCARD;
	row_list = sqlite3_column_int64(st, 3);
	expires = (time_t)sqlite3_column_int64(st, 4);
	store_release(s, st);
	if (row_list != list) {
		err_set(err, STORE_E_OTHERLIST, "this token is not for "
		    "%s@%s", nm, dom);
		goto fail;
	}
	if (expires <= now) {
		if (decide(s, 0, *id_out, STORE_HELD_EXPIRE, "", "", now,
		    err) == -1 || store_commit(s, err) == -1)
			goto fail;
		err_set(err, STORE_E_EXPIRED, "held post %lld expired",
		    (long long)*id_out);
		return -1;
	}
	if (decide(s, 0, *id_out, *action_out, moderator_out, "", now,
	    err) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

int
store_held_expire(struct store *s, time_t now, size_t *n_out,
    struct err *err)
{
	const sqlite3_int64	t = (sqlite3_int64)now;

	*n_out = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (exec_bound(s, err, "message", "DELETE FROM messages WHERE state = "
	    "'held' AND id IN (SELECT message FROM held WHERE state = "
	    "'waiting' AND expires <= ?1)", "i", t) == -1 ||
	    exec_bound(s, err, "held tokens", "DELETE FROM held_tokens WHERE "
	    "held IN (SELECT id FROM held WHERE state = 'waiting' AND "
	    "expires <= ?1)", "i", t) == -1 ||
	    exec_bound(s, err, "held", "UPDATE held SET state = 'expired' "
	    "WHERE state = 'waiting' AND expires <= ?1", "i", t) == -1)
		goto fail;
	*n_out = (size_t)sqlite3_changes(s->db);
	if (exec_bound(s, err, "pending", "DELETE FROM pending WHERE "
	    "expires <= ?1", "i", t - STORE_PENDING_KEEP) == -1)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}
