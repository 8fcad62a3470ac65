/*
 * deliver.c: the queries of timbre-listd's delivery engine (store.h,
 * "the delivery side"): claiming due rows under a lease, reading a
 * message, queueing one, recording results and bounces.
 *
 * Each call is one transaction.  A claim and its lease are one write,
 * so two engines on one database would not claim a row twice; a result
 * with its bounce, the subscriber's score and the message's end are one
 * write, so no crash leaves a bounce counted for a row still queued.
 * Claims and results are written without waiting for the disk
 * (store_begin_write_relaxed): one lost to a power failure sends a copy
 * again, and a wait for the disk per copy capped a fan-out at the
 * disk's flushes per second (bench/listd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"

static void
col_copy(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char	*t = sqlite3_column_text(st, i);

	snprintf(out, cap, "%s", t == NULL ? "" : (const char *)t);
}

static int
bind_txt(struct store *s, sqlite3_stmt *st, int i, const char *v,
    struct err *err)
{
	int	rc;

	rc = v == NULL ? sqlite3_bind_null(st, i) :
	    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

static int
bind_i64(struct store *s, sqlite3_stmt *st, int i, sqlite3_int64 v,
    struct err *err)
{
	int	rc;

	if ((rc = sqlite3_bind_int64(st, i, v)) != SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

/* One integer from sql with ?1 bound to a (and ?2 to b unless NULL):
 * bound, not printed into the text, which would make every message's
 * statement another one for the statement cache. */
static int
int_bound(struct store *s, const char *sql, sqlite3_int64 a, const char *b,
    long long *out, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, sql, &st, err) == -1)
		return -1;
	if (bind_i64(s, st, 1, a, err) == -1 ||
	    (b != NULL && bind_txt(s, st, 2, b, err) == -1)) {
		store_release(s, st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		store_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "count",
		    err);
		store_release(s, st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	store_release(s, st);
	return 0;
}

/* Runs st to its end; the number of rows it changed. */
static int
run(struct store *s, sqlite3_stmt *st, const char *what, int *changes,
    struct err *err)
{
	int	rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return store_fail(s, rc, what, err);
	if (changes != NULL)
		*changes = sqlite3_changes(s->db);
	return 0;
}

/* Runs sql, no rows, with ?1 bound to a; *changes as run's. */
static int
run_i64(struct store *s, const char *sql, sqlite3_int64 a, const char *what,
    int *changes, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, sql, &st, err) == -1)
		return -1;
	rc = bind_i64(s, st, 1, a, err) == -1 ||
	    run(s, st, what, changes, err) == -1 ? -1 : 0;
	store_release(s, st);
	return rc;
}

int
store_deliver_claim(struct store *s, time_t now, time_t lease_until,
    struct store_delivery *out, size_t max, size_t *n_out, struct err *err)
{
	sqlite3_stmt		*sel = NULL, *upd = NULL;
	struct store_delivery	*d;
	size_t			 n = 0;
	int			 rc;

	*n_out = 0;
	if (store_begin_write_relaxed(s, err) == -1)
		return -1;
	/* In the order of the index of due rows (rowid: the order the rows
	 * were made in, a message's together): ordered by message instead,
	 * every claim sorted all the rows due at once, the whole of a new
	 * fan-out, to return the first few (bench/listd). */
	if (store_prepare(s, "SELECT d.message, d.recipient, l.domain, "
	    "l.name, m.mail_from, m.created, d.attempts FROM deliveries d "
	    "JOIN messages m ON m.id = d.message JOIN lists l ON "
	    "l.id = m.list_id WHERE d.state = 'queued' AND "
	    "d.next_attempt <= ?1 AND m.state = 'fanout' "
	    "ORDER BY d.next_attempt, d.rowid LIMIT ?2", &sel, err) == -1 ||
	    store_prepare(s, "UPDATE deliveries SET next_attempt = ?1, "
	    "claimed = 1 WHERE message = ?2 AND recipient = ?3", &upd,
	    err) == -1 ||
	    bind_i64(s, sel, 1, now, err) == -1 ||
	    bind_i64(s, sel, 2, (sqlite3_int64)max, err) == -1)
		goto fail;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW && n < max) {
		d = &out[n];
		d->message = sqlite3_column_int64(sel, 0);
		col_copy(sel, 1, d->recipient, sizeof(d->recipient));
		col_copy(sel, 2, d->list_domain, sizeof(d->list_domain));
		col_copy(sel, 3, d->list_name, sizeof(d->list_name));
		col_copy(sel, 4, d->mail_from, sizeof(d->mail_from));
		d->created = (time_t)sqlite3_column_int64(sel, 5);
		d->attempts = (long)sqlite3_column_int64(sel, 6);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(s, rc, "claim", err);
		goto fail;
	}
	sqlite3_reset(sel);
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(upd);
		if (bind_i64(s, upd, 1, lease_until, err) == -1 ||
		    bind_i64(s, upd, 2, out[i].message, err) == -1 ||
		    bind_txt(s, upd, 3, out[i].recipient, err) == -1 ||
		    run(s, upd, "claim", NULL, err) == -1)
			goto fail;
	}
	store_release(s, sel);
	store_release(s, upd);
	sel = upd = NULL;
	if (store_commit(s, err) == -1)
		goto fail;
	*n_out = n;
	return 0;
fail:
	store_release(s, sel);
	store_release(s, upd);
	store_rollback(s);
	return -1;
}

int
store_deliver_release(struct store *s, time_t now, long *n_out,
    struct err *err)
{
	int	changes = 0;

	*n_out = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	/* Through the partial index of claimed rows: a handful among
	 * perhaps a million. */
	if (run_i64(s, "UPDATE deliveries SET claimed = 0, next_attempt = "
	    "min(next_attempt, ?1) WHERE claimed = 1", now, "release",
	    &changes, err) == -1) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s, err) == -1)
		return -1;
	*n_out = changes;
	return 0;
}

int
store_message_get(struct store *s, int64_t id, char **body_out,
    size_t *len_out, char **spool_out, struct err *err)
{
	sqlite3_stmt	*st;
	const void	*blob;
	const char	*spool;
	int		 rc, n;

	*body_out = *spool_out = NULL;
	*len_out = 0;
	if (store_prepare(s, "SELECT body, spool FROM messages WHERE id = ?1",
	    &st, err) == -1)
		return -1;
	if (bind_i64(s, st, 1, id, err) == -1)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			err_set(err, STORE_E_NOMEMBER, "message %lld: gone",
			    (long long)id);
		else
			store_fail(s, rc, "message", err);
		goto fail;
	}
	if ((spool = (const char *)sqlite3_column_text(st, 1)) != NULL) {
		if ((*spool_out = strdup(spool)) == NULL)
			goto nomem;
	} else {
		blob = sqlite3_column_blob(st, 0);
		n = sqlite3_column_bytes(st, 0);
		if ((*body_out = malloc((size_t)n + 1)) == NULL)
			goto nomem;
		if (n > 0)
			memcpy(*body_out, blob, (size_t)n);
		(*body_out)[n] = '\0';
		*len_out = (size_t)n;
	}
	store_release(s, st);
	return 0;
nomem:
	err_set(err, ERR_NOMEM, "message %lld: out of memory", (long long)id);
fail:
	store_release(s, st);
	return -1;
}

/* The id of list domain/name, inside a transaction. */
static int
find_list(struct store *s, const char *domain, const char *name,
    sqlite3_int64 *id_out, struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, "SELECT id FROM lists WHERE domain = ?1 AND "
	    "name = ?2", &st, err) == -1)
		return -1;
	if (bind_txt(s, st, 1, domain, err) == -1 ||
	    bind_txt(s, st, 2, name, err) == -1) {
		store_release(s, st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	store_release(s, st);
	if (rc == SQLITE_DONE) {
		err_set(err, STORE_E_NOLIST, "%s@%s: no such list", name,
		    domain);
		return -1;
	}
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, "list", err);
	return 0;
}

int
store_deliver_enqueue(struct store *s, const char *domain, const char *list,
    const char *mail_from, const char *message_id, const char *body,
    size_t len, const char *const *rcpts, size_t n, time_t now,
    int64_t *id_out, struct err *err)
{
	sqlite3_stmt	*msg = NULL, *dlv = NULL;
	sqlite3_int64	 list_id = 0, id;	/* set by find_list */
	size_t		 i;
	int		 rc;

	if (store_begin_write(s, err) == -1)
		return -1;
	if (find_list(s, domain, list, &list_id, err) == -1 ||
	    store_prepare(s, "INSERT INTO messages (list_id, state, "
	    "mail_from, message_id, body, size, created, next_attempt) "
	    "VALUES (?1, 'fanout', ?2, ?3, ?4, ?5, ?6, ?6)", &msg, err) == -1 ||
	    store_prepare(s, "INSERT OR IGNORE INTO deliveries (message, "
	    "recipient, state, next_attempt) VALUES (?1, ?2, 'queued', ?3)",
	    &dlv, err) == -1 ||
	    bind_i64(s, msg, 1, list_id, err) == -1 ||
	    bind_txt(s, msg, 2, mail_from, err) == -1 ||
	    bind_txt(s, msg, 3, message_id, err) == -1 ||
	    bind_i64(s, msg, 5, (sqlite3_int64)len, err) == -1 ||
	    bind_i64(s, msg, 6, now, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_blob64(msg, 4, body, len, SQLITE_STATIC)) !=
	    SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	if (run(s, msg, "enqueue", NULL, err) == -1)
		goto fail;
	id = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < n; i++) {
		sqlite3_reset(dlv);
		if (bind_i64(s, dlv, 1, id, err) == -1 ||
		    bind_txt(s, dlv, 2, rcpts[i], err) == -1 ||
		    bind_i64(s, dlv, 3, now, err) == -1 ||
		    run(s, dlv, "enqueue", NULL, err) == -1)
			goto fail;
	}
	store_release(s, msg);
	store_release(s, dlv);
	msg = dlv = NULL;
	if (store_commit(s, err) == -1)
		goto fail;
	*id_out = id;
	return 0;
fail:
	store_release(s, msg);
	store_release(s, dlv);
	store_rollback(s);
	return -1;
}

/* The bounce row and the subscriber's score, inside a transaction.
 * message 0: none. */
static int
bounce_write(struct store *s, sqlite3_int64 list_id, sqlite3_int64 message,
    const char *recipient, const struct store_bounce *b, time_t now,
    bool *disabled_out, struct err *err)
{
	sqlite3_stmt	*ins = NULL, *sub = NULL;
	int		 changes = 0;

	*disabled_out = false;
	if (store_prepare(s, "INSERT INTO bounces (list_id, message, "
	    "recipient, time, kind, via, reason, charged_to) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8)", &ins, err) == -1 ||
	    bind_i64(s, ins, 1, list_id, err) == -1 ||
	    (message != 0 ? bind_i64(s, ins, 2, message, err) :
	    bind_txt(s, ins, 2, NULL, err)) == -1 ||
	    bind_txt(s, ins, 3, recipient, err) == -1 ||
	    bind_i64(s, ins, 4, now, err) == -1 ||
	    bind_txt(s, ins, 5, b->hard ? "hard" : "soft", err) == -1 ||
	    bind_txt(s, ins, 6, b->dsn ? "dsn" : "smtp", err) == -1 ||
	    bind_txt(s, ins, 7, b->reason == NULL ? "" : b->reason,
	    err) == -1 ||
	    bind_txt(s, ins, 8, b->author ? "author" : "subscriber",
	    err) == -1 ||
	    run(s, ins, "bounce", NULL, err) == -1)
		goto fail;
	store_release(s, ins);
	ins = NULL;
	if (b->author)
		return 0;
	/* The score, and disabling at the threshold: only an active
	 * subscriber is disabled (a probing one stays as it is, and so
	 * does the time its probe was sent). */
	if (store_prepare(s, "UPDATE subscribers SET bounce_score = "
	    "bounce_score + ?1, last_bounce = CASE WHEN state = 'probing' "
	    "THEN last_bounce ELSE ?2 END, state = CASE WHEN "
	    "?4 > 0 AND state = 'active' AND bounce_score + ?1 >= ?4 THEN "
	    "'disabled' ELSE state END WHERE list_id = ?3 AND address = ?5",
	    &sub, err) == -1 ||
	    bind_i64(s, sub, 1, b->score, err) == -1 ||
	    bind_i64(s, sub, 2, now, err) == -1 ||
	    bind_i64(s, sub, 3, list_id, err) == -1 ||
	    bind_i64(s, sub, 4, b->disable_at, err) == -1 ||
	    bind_txt(s, sub, 5, recipient, err) == -1 ||
	    run(s, sub, "bounce score", &changes, err) == -1)
		goto fail;
	store_release(s, sub);
	sub = NULL;
	if (changes > 0 && b->disable_at > 0) {
		long long	v;
		char		sql[] = "SELECT count(*) FROM subscribers WHERE "
		    "list_id = ?1 AND address = ?2 AND state = 'disabled' AND "
		    "last_bounce = ?3 AND bounce_score >= ?4 AND "
		    "bounce_score - ?5 < ?4";

		if (store_prepare(s, sql, &sub, err) == -1 ||
		    bind_i64(s, sub, 1, list_id, err) == -1 ||
		    bind_txt(s, sub, 2, recipient, err) == -1 ||
		    bind_i64(s, sub, 3, now, err) == -1 ||
		    bind_i64(s, sub, 4, b->disable_at, err) == -1 ||
		    bind_i64(s, sub, 5, b->score, err) == -1)
			goto fail;
		if (sqlite3_step(sub) == SQLITE_ROW) {
			v = sqlite3_column_int64(sub, 0);
			*disabled_out = v > 0;
		}
		store_release(s, sub);
	}
	return 0;
fail:
	store_release(s, ins);
	store_release(s, sub);
	return -1;
}

int
store_deliver_record(struct store *s, int64_t message, const char *recipient,
    enum store_outcome out, time_t next_attempt, const char *reply,
    const struct store_bounce *b, time_t now, bool *done_out,
    bool *disabled_out, struct err *err)
{
	static const char *const	state[] = {
		[STORE_OUT_SENT] = "sent",
		[STORE_OUT_RETRY] = "queued",
		[STORE_OUT_FAILED] = "failed",
	};
	sqlite3_stmt	*st = NULL;
	sqlite3_int64	 list_id = 0;
	long long	 left;
	int		 changes = 0;

	*done_out = *disabled_out = false;
	if (store_begin_write_relaxed(s, err) == -1)
		return -1;
	if (store_prepare(s, "UPDATE deliveries SET state = ?1, attempts = "
	    "attempts + 1, next_attempt = ?2, last_reply = ?3, claimed = 0 "
	    "WHERE message = ?4 AND recipient = ?5 AND state = 'queued'", &st,
	    err) == -1 ||
	    bind_txt(s, st, 1, state[out], err) == -1 ||
	    bind_i64(s, st, 2, out == STORE_OUT_RETRY ? next_attempt : 0,
	    err) == -1 ||
	    bind_txt(s, st, 3, reply, err) == -1 ||
	    bind_i64(s, st, 4, message, err) == -1 ||
	    bind_txt(s, st, 5, recipient, err) == -1 ||
	    run(s, st, "record", &changes, err) == -1)
		goto fail;
	store_release(s, st);
	st = NULL;
	if (changes == 0) {
		err_set(err, STORE_E_NOMEMBER, "delivery %lld to %s: not "
		    "queued", (long long)message, recipient);
		goto fail;
	}
	if (b != NULL) {
		if (store_prepare(s, "SELECT list_id FROM messages WHERE "
		    "id = ?1", &st, err) == -1 ||
		    bind_i64(s, st, 1, message, err) == -1)
			goto fail;
		if (sqlite3_step(st) == SQLITE_ROW)
			list_id = sqlite3_column_int64(st, 0);
		store_release(s, st);
		st = NULL;
		if (bounce_write(s, list_id, message, recipient, b, now,
		    disabled_out, err) == -1)
			goto fail;
	}
	/* Through the index of due rows: a count over the message's rows
	 * (its primary key) made each result cost a scan of the whole
	 * fan-out, O(n^2) in all (bench/listd). */
	if (int_bound(s, "SELECT EXISTS (SELECT 1 FROM deliveries "
	    "INDEXED BY deliveries_due WHERE state = 'queued' AND "
	    "message = ?1)", message, NULL, &left, err) == -1)
		goto fail;
	if (left == 0) {
		if (run_i64(s, "UPDATE messages SET state = 'done' WHERE "
		    "id = ?1 AND state = 'fanout'", message, "done", NULL,
		    err) == -1)
			goto fail;
		*done_out = true;
	}
	if (store_commit(s, err) == -1)
		goto fail;
	return 0;
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_bounce_add(struct store *s, const char *domain, const char *list,
    const char *recipient, const char *message_id,
    const struct store_bounce *b, time_t now, int64_t *message_out,
    bool *disabled_out, struct err *err)
{
	sqlite3_stmt	*st = NULL;
	sqlite3_int64	 list_id = 0, message = 0;	/* set by find_list */

	*message_out = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (find_list(s, domain, list, &list_id, err) == -1)
		goto fail;
	if (message_id != NULL && message_id[0] != '\0') {
		if (store_prepare(s, "SELECT id FROM messages WHERE list_id = "
		    "?1 AND message_id = ?2 ORDER BY id DESC LIMIT 1", &st,
		    err) == -1 ||
		    bind_i64(s, st, 1, list_id, err) == -1 ||
		    bind_txt(s, st, 2, message_id, err) == -1)
			goto fail;
		if (sqlite3_step(st) == SQLITE_ROW)
			message = sqlite3_column_int64(st, 0);
		store_release(s, st);
		st = NULL;
	}
	if (bounce_write(s, list_id, message, recipient, b, now,
	    disabled_out, err) == -1 || store_commit(s, err) == -1)
		goto fail;
	*message_out = message;
	return 0;
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_deliver_counts(struct store *s, int64_t message, long *queued,
    long *sent, long *failed, struct err *err)
{
	long long	v[3];
	static const char *const	names[] = { "queued", "sent", "failed" };

	for (int i = 0; i < 3; i++)
		if (int_bound(s, "SELECT count(*) FROM deliveries WHERE "
		    "message = ?1 AND state = ?2", message, names[i], &v[i],
		    err) == -1)
			return -1;
	*queued = (long)v[0];
	*sent = (long)v[1];
	*failed = (long)v[2];
	return 0;
}

int
store_deliver_next_due(struct store *s, time_t *next_out, struct err *err)
{
	long long	v;

	if (store_int(s, "SELECT coalesce(min(d.next_attempt), 0) FROM "
	    "deliveries d JOIN messages m ON m.id = d.message WHERE "
	    "d.state = 'queued' AND m.state = 'fanout'", &v, err) == -1)
		return -1;
	*next_out = (time_t)v;
	return 0;
}

/* ---- Probes ---- */

static const char probe_cols[] = "SELECT l.domain, l.name, sub.address, "
    "sub.last_bounce FROM subscribers sub JOIN lists l ON l.id = "
    "sub.list_id WHERE sub.state = ?1 AND sub.last_bounce <= ?2 "
    "ORDER BY sub.last_bounce LIMIT ?3";

/* Up to max subscribers in state since at or before `before`. */
static int
probe_select(struct store *s, const char *state, time_t before,
    struct store_probe *out, size_t max, size_t *n_out, struct err *err)
{
	sqlite3_stmt	*st = NULL;
	size_t		 n = 0;
	int		 rc;

	if (store_prepare(s, probe_cols, &st, err) == -1 ||
	    bind_txt(s, st, 1, state, err) == -1 ||
	    bind_i64(s, st, 2, before, err) == -1 ||
	    bind_i64(s, st, 3, (sqlite3_int64)max, err) == -1) {
		store_release(s, st);
		return -1;
	}
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_copy(st, 0, out[n].domain, sizeof(out[n].domain));
		col_copy(st, 1, out[n].name, sizeof(out[n].name));
		col_copy(st, 2, out[n].address, sizeof(out[n].address));
		out[n].since = (time_t)sqlite3_column_int64(st, 3);
		n++;
	}
	if (n < max && rc != SQLITE_DONE) {
		store_release(s, st);
		return store_fail(s, rc, "probe", err);
	}
	store_release(s, st);
	*n_out = n;
	return 0;
}

int
store_probe_due(struct store *s, time_t before, struct store_probe *out,
    size_t max, size_t *n_out, struct err *err)
{
	*n_out = 0;
	if (store_begin_read(s, err) == -1)
		return -1;
	if (probe_select(s, "disabled", before, out, max, n_out, err) == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

/* One subscriber's state and last_bounce from `from` (with its time)
 * to `to` at `when`: how many rows changed. */
static int
probe_move(struct store *s, const struct store_probe *p, const char *from,
    const char *to, time_t when, bool reset, int *changes, struct err *err)
{
	sqlite3_stmt	*st = NULL;

	if (store_prepare(s, "UPDATE subscribers SET state = ?1, "
	    "last_bounce = ?2, bounce_score = CASE WHEN ?3 THEN 0 ELSE "
	    "bounce_score END WHERE list_id = (SELECT id FROM lists WHERE "
	    "domain = ?4 AND name = ?5) AND address = ?6 AND state = ?7 AND "
	    "last_bounce = ?8", &st, err) == -1 ||
	    bind_txt(s, st, 1, to, err) == -1 ||
	    bind_i64(s, st, 2, when, err) == -1 ||
	    bind_i64(s, st, 3, reset, err) == -1 ||
	    bind_txt(s, st, 4, p->domain, err) == -1 ||
	    bind_txt(s, st, 5, p->name, err) == -1 ||
	    bind_txt(s, st, 6, p->address, err) == -1 ||
	    bind_txt(s, st, 7, from, err) == -1 ||
	    bind_i64(s, st, 8, p->since, err) == -1 ||
	    run(s, st, "probe", changes, err) == -1) {
		store_release(s, st);
		return -1;
	}
	store_release(s, st);
	return 0;
}

int
store_probe_start(struct store *s, const struct store_probe *p, time_t now,
    struct err *err)
{
	int	changes = 0;

	if (store_begin_write(s, err) == -1)
		return -1;
	if (probe_move(s, p, "disabled", "probing", now, false, &changes,
	    err) == -1) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s, err) == -1)
		return -1;
	return changes > 0;
}

int
store_probe_expire(struct store *s, time_t before, struct store_probe *out,
    size_t max, size_t *n_out, struct err *err)
{
	size_t	i, n = 0, k = 0;
	int	changes;

	*n_out = 0;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (probe_select(s, "probing", before, out, max, &n, err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		changes = 0;
		if (probe_move(s, &out[i], "probing", "active", out[i].since,
		    true, &changes, err) == -1)
			goto fail;
		if (changes > 0)
			out[k++] = out[i];
	}
	if (store_commit(s, err) == -1)
		return -1;
	*n_out = k;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_probe_get(struct store *s, const char *domain, const char *name,
    const char *address, time_t *since, struct err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, found = 0;

	if (store_prepare(s, "SELECT sub.last_bounce FROM subscribers sub "
	    "JOIN lists l ON l.id = sub.list_id WHERE l.domain = ?1 AND "
	    "l.name = ?2 AND sub.address = ?3 AND sub.state = 'probing'",
	    &st, err) == -1 ||
	    bind_txt(s, st, 1, domain, err) == -1 ||
	    bind_txt(s, st, 2, name, err) == -1 ||
	    bind_txt(s, st, 3, address, err) == -1) {
		store_release(s, st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*since = (time_t)sqlite3_column_int64(st, 0);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		store_release(s, st);
		return store_fail(s, rc, "probe", err);
	}
	store_release(s, st);
	return found;
}

int
store_probe_bounced(struct store *s, const char *domain, const char *name,
    const char *address, time_t since, struct err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 changes = 0;

	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_prepare(s, "DELETE FROM subscribers WHERE list_id = "
	    "(SELECT id FROM lists WHERE domain = ?1 AND name = ?2) AND "
	    "address = ?3 AND state = 'probing' AND last_bounce = ?4", &st,
	    err) == -1 ||
	    bind_txt(s, st, 1, domain, err) == -1 ||
	    bind_txt(s, st, 2, name, err) == -1 ||
	    bind_txt(s, st, 3, address, err) == -1 ||
	    bind_i64(s, st, 4, since, err) == -1 ||
	    run(s, st, "probe", &changes, err) == -1) {
		store_release(s, st);
		store_rollback(s);
		return -1;
	}
	store_release(s, st);
	if (store_commit(s, err) == -1)
		return -1;
	return changes > 0;
}
