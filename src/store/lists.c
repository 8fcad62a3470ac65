/*
 * lists.c: lists, their settings and members, reading them back, and
 * what a recipient at a list domain is (store.h).
 *
 * Every change is one BEGIN IMMEDIATE transaction that finds the list
 * and changes it, so that a list removed meanwhile by another process is
 * STORE_E_NOLIST, not a foreign-key error.  A duplicate is found by the
 * unique keys (address COLLATE NOCASE), not by a look-up first, which
 * another writer could make stale.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store_priv.h"
#include "util/err.h"

/* A list's normal names, for queries and messages. */
struct list_key {
	char	domain[STORE_DOMAIN_MAX + 1];
	char	name[STORE_NAME_MAX + 1];
};

static const char *const	member_table[] = {
	[STORE_MODERATOR] = "moderator",
	[STORE_SUBSCRIBER] = "subscriber",
};

static int
list_key(const char *domain, const char *name, struct list_key *k,
    struct err *err)
{
	if (domain == NULL) {
		err_set(err, STORE_E_DOMAIN, "a list needs a domain");
		return -1;
	}
	if (store_domain_normalize(domain, k->domain, err) == -1 ||
	    store_name_normalize(name, k->name, err) == -1)
		return -1;
	return 0;
}

static int
bind_text(struct store *s, sqlite3_stmt *st, int i, const char *v,
    struct err *err)
{
	int	rc;

	if ((rc = sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)) !=
	    SQLITE_OK)
		return store_fail(s, rc, "bind", err);
	return 0;
}

/* Steps st to its end (a statement without rows). */
static int
step_done(struct store *s, sqlite3_stmt *st, const char *what,
    struct err *err)
{
	int	rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		return store_fail(s, rc, what, err);
	return 0;
}

/* The id of list k: 0, or -1 with STORE_E_NOLIST or why not. */
static int
list_id(struct store *s, const struct list_key *k, sqlite3_int64 *id_out,
    struct err *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(s, "SELECT id FROM lists WHERE domain = ?1 AND "
	    "name = ?2", &st, err) == -1)
		return -1;
	if (bind_text(s, st, 1, k->domain, err) == -1 ||
	    bind_text(s, st, 2, k->name, err) == -1)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err_set(err, STORE_E_NOLIST, "no list %s@%s", k->name,
		    k->domain);
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, rc, "list", err);
		goto fail;
	}
	*id_out = sqlite3_column_int64(st, 0);
	store_release(s, st);
	return 0;
fail:
	store_release(s, st);
	return -1;
}

/* Inserts addr (normal) into role's table of list id; STORE_E_EXISTS
 * unless ignore_dup. */
static int
member_insert(struct store *s, enum store_role role, sqlite3_int64 id,
    const struct list_key *k, const char *addr, time_t now, bool ignore_dup,
    struct err *err)
{
	static const char *const	 sql[] = {
		[STORE_MODERATOR] = "INSERT INTO moderators "
		    "(list_id, address, added) VALUES (?1, ?2, ?3)",
		[STORE_SUBSCRIBER] = "INSERT INTO subscribers "
		    "(list_id, address, added) VALUES (?1, ?2, ?3)",
	};
	sqlite3_stmt			*st;
	int				 rc;

	if (store_prepare(s, sql[role], &st, err) == -1)
		return -1;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)now)) !=
	    SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	if (bind_text(s, st, 2, addr, err) == -1)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT && ignore_dup)
		rc = SQLITE_DONE;
	if (rc == SQLITE_CONSTRAINT) {
		err_set(err, STORE_E_EXISTS, "%s is already a %s of %s@%s",
		    addr, member_table[role], k->name, k->domain);
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, member_table[role], err);
		goto fail;
	}
	store_release(s, st);
	return 0;
fail:
	store_release(s, st);
	return -1;
}

int
store_list_add(struct store *s, const char *domain, const char *name,
    const char *const *moderators, size_t n, time_t now, struct err *err)
{
	struct list_key	 k;
	char		 addr[STORE_ADDR_MAX + 1];
	sqlite3_stmt	*st = NULL;
	sqlite3_int64	 id;
	size_t		 i;
	int		 rc;

	if (list_key(domain, name, &k, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (store_addr_normalize(moderators[i], addr, err) == -1)
			return -1;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (store_prepare(s, "INSERT INTO lists (domain, name, created) "
	    "VALUES (?1, ?2, ?3)", &st, err) == -1)
		goto fail;
	if (bind_text(s, st, 1, k.domain, err) == -1 ||
	    bind_text(s, st, 2, k.name, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)now)) !=
	    SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_CONSTRAINT) {
		err_set(err, STORE_E_EXISTS, "list %s@%s already exists",
		    k.name, k.domain);
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, "add list", err);
		goto fail;
	}
	store_release(s, st);
	st = NULL;
	id = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < n; i++)
		if (store_addr_normalize(moderators[i], addr, err) == -1 ||
		    member_insert(s, STORE_MODERATOR, id, &k, addr, now, true,
		    err) == -1)
			goto fail;
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_list_remove(struct store *s, const char *domain, const char *name,
    struct err *err)
{
	struct list_key	 k;
	sqlite3_stmt	*st = NULL;

	if (list_key(domain, name, &k, err) == -1 ||
	    store_begin_write(s, err) == -1)
		return -1;
	/* The members, pending requests, messages (with their deliveries)
	 * and bounces go with it: ON DELETE CASCADE. */
	if (store_prepare(s, "DELETE FROM lists WHERE domain = ?1 AND "
	    "name = ?2", &st, err) == -1 ||
	    bind_text(s, st, 1, k.domain, err) == -1 ||
	    bind_text(s, st, 2, k.name, err) == -1 ||
	    step_done(s, st, "remove list", err) == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		err_set(err, STORE_E_NOLIST, "no list %s@%s", k.name,
		    k.domain);
		goto fail;
	}
	store_release(s, st);
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

/* Whether a subject prefix is short, printable text (it goes into every
 * Subject field); -1 with why not. */
static int
prefix_check(const char *p, struct err *err)
{
	size_t	i;

	if (strlen(p) > STORE_PREFIX_MAX) {
		err_set(err, STORE_E_VALUE, "subject prefix: longer than %d "
		    "bytes", STORE_PREFIX_MAX);
		return -1;
	}
	for (i = 0; p[i] != '\0'; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			err_set(err, STORE_E_VALUE, "subject prefix: has a "
			    "control character");
			return -1;
		}
	return 0;
}

int
store_list_set(struct store *s, const char *domain, const char *name,
    const struct store_settings *set, struct err *err)
{
	struct list_key	 k;
	sqlite3_stmt	*st = NULL;
	sqlite3_int64	 id;
	int		 rc;

	if (list_key(domain, name, &k, err) == -1)
		return -1;
	if (set->subject_prefix != NULL &&
	    prefix_check(set->subject_prefix, err) == -1)
		return -1;
	if (store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, &k, &id, err) == -1)
		goto fail;
	if (store_prepare(s, "UPDATE lists SET "
	    "posting = coalesce(?2, posting), "
	    "subject_prefix = coalesce(?3, subject_prefix) WHERE id = ?1",
	    &st, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	/* Unbound parameters are NULL: the settings not given. */
	if ((set->posting != NULL && bind_text(s, st, 2,
	    store_posting_name(*set->posting), err) == -1) ||
	    (set->subject_prefix != NULL && bind_text(s, st, 3,
	    set->subject_prefix, err) == -1) ||
	    step_done(s, st, "settings", err) == -1)
		goto fail;
	store_release(s, st);
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_member_add(struct store *s, enum store_role role, const char *domain,
    const char *name, const char *addr, time_t now, struct err *err)
{
	struct list_key	k;
	char		a[STORE_ADDR_MAX + 1];
	sqlite3_int64	id;

	if (list_key(domain, name, &k, err) == -1 ||
	    store_addr_normalize(addr, a, err) == -1 ||
	    store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, &k, &id, err) == -1 ||
	    member_insert(s, role, id, &k, a, now, false, err) == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

int
store_member_remove(struct store *s, enum store_role role,
    const char *domain, const char *name, const char *addr, struct err *err)
{
	static const char *const	 sql[] = {
		[STORE_MODERATOR] = "DELETE FROM moderators "
		    "WHERE list_id = ?1 AND address = ?2",
		[STORE_SUBSCRIBER] = "DELETE FROM subscribers "
		    "WHERE list_id = ?1 AND address = ?2",
	};
	struct list_key			 k;
	char				 a[STORE_ADDR_MAX + 1];
	sqlite3_stmt			*st = NULL;
	sqlite3_int64			 id;
	int				 rc;

	if (list_key(domain, name, &k, err) == -1 ||
	    store_addr_normalize(addr, a, err) == -1 ||
	    store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, &k, &id, err) == -1 ||
	    store_prepare(s, sql[role], &st, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	if (bind_text(s, st, 2, a, err) == -1 ||
	    step_done(s, st, member_table[role], err) == -1)
		goto fail;
	if (sqlite3_changes(s->db) == 0) {
		err_set(err, STORE_E_NOMEMBER, "%s is not a %s of %s@%s", a,
		    member_table[role], k.name, k.domain);
		goto fail;
	}
	store_release(s, st);
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_member_set_mode(struct store *s, const char *domain,
    const char *name, const char *addr, enum store_mode d,
    bool *changed_out, struct err *err)
{
	struct list_key	 k;
	char		 a[STORE_ADDR_MAX + 1];
	const char	*cur;
	sqlite3_stmt	*st = NULL;
	sqlite3_int64	 id;
	int		 rc;

	*changed_out = false;
	if (list_key(domain, name, &k, err) == -1 ||
	    store_addr_normalize(addr, a, err) == -1 ||
	    store_begin_write(s, err) == -1)
		return -1;
	if (list_id(s, &k, &id, err) == -1 ||
	    store_prepare(s, "SELECT delivery FROM subscribers WHERE "
	    "list_id = ?1 AND address = ?2", &st, err) == -1)
		goto fail;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto fail;
	}
	if (bind_text(s, st, 2, a, err) == -1)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		err_set(err, STORE_E_NOMEMBER, "%s is not a subscriber of "
		    "%s@%s", a, k.name, k.domain);
		goto fail;
	}
	if (rc != SQLITE_ROW) {
		store_fail(s, rc, "subscribers", err);
		goto fail;
	}
	cur = (const char *)sqlite3_column_text(st, 0);
	*changed_out = cur == NULL || strcmp(cur, store_mode_name(d)) != 0;
	store_release(s, st);
	st = NULL;
	if (*changed_out) {
		if (store_prepare(s, "UPDATE subscribers SET delivery = ?3 "
		    "WHERE list_id = ?1 AND address = ?2", &st, err) == -1)
			goto fail;
		if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
			store_fail(s, rc, "bind", err);
			goto fail;
		}
		if (bind_text(s, st, 2, a, err) == -1 ||
		    bind_text(s, st, 3, store_mode_name(d), err) == -1 ||
		    step_done(s, st, "subscribers", err) == -1)
			goto fail;
		store_release(s, st);
	}
	return store_commit(s, err);
fail:
	store_release(s, st);
	store_rollback(s);
	return -1;
}

int
store_member_is(struct store *s, enum store_role role, const char *domain,
    const char *name, const char *addr, struct err *err)
{
	static const char *const	 sql[] = {
		[STORE_MODERATOR] = "SELECT 1 FROM moderators m JOIN lists l "
		    "ON l.id = m.list_id WHERE l.domain = ?1 AND l.name = ?2 "
		    "AND m.address = ?3",
		[STORE_SUBSCRIBER] = "SELECT 1 FROM subscribers m JOIN lists l "
		    "ON l.id = m.list_id WHERE l.domain = ?1 AND l.name = ?2 "
		    "AND m.address = ?3",
	};
	struct list_key			 k;
	char				 a[STORE_ADDR_MAX + 1];
	sqlite3_stmt			*st;
	sqlite3_int64			 id;
	int				 rc, is = -1;

	if (list_key(domain, name, &k, err) == -1 ||
	    store_addr_normalize(addr, a, err) == -1)
		return -1;
	/* Two reads, one snapshot: the list cannot go in between. */
	if (store_begin_read(s, err) == -1)
		return -1;
	if (list_id(s, &k, &id, err) == -1 ||
	    store_prepare(s, sql[role], &st, err) == -1) {
		store_rollback(s);
		return -1;
	}
	if (bind_text(s, st, 1, k.domain, err) == 0 &&
	    bind_text(s, st, 2, k.name, err) == 0 &&
	    bind_text(s, st, 3, a, err) == 0) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			is = rc == SQLITE_ROW;
		else
			store_fail(s, rc, member_table[role], err);
	}
	store_release(s, st);
	store_rollback(s);
	return is;
}

/* Starts the read transaction of an _each call unless one is open (a
 * call from inside another's fn); *own_out: this call ends it. */
static int
read_begin(struct store *s, bool *own_out, struct err *err)
{
	*own_out = sqlite3_get_autocommit(s->db) != 0;
	return *own_out ? store_begin_read(s, err) : 0;
}

static void
read_end(struct store *s, bool own)
{
	if (own)
		store_rollback(s);
}

static const char *
column_text(sqlite3_stmt *st, int i)
{
	const char	*t = (const char *)sqlite3_column_text(st, i);

	return t != NULL ? t : "";
}

int
store_lists_each(struct store *s, const char *domain, const char *name,
    int (*fn)(const struct store_list_info *, void *), void *arg,
    struct err *err)
{
	struct list_key		 k;
	struct store_list_info	 li;
	enum store_posting	 posting;
	sqlite3_stmt		*st = NULL;
	bool			 own;
	int			 rc, n = 0, ret = -1;

	if (name != NULL) {
		if (list_key(domain, name, &k, err) == -1)
			return -1;
	} else if (domain != NULL &&
	    store_domain_normalize(domain, k.domain, err) == -1)
		return -1;
	if (read_begin(s, &own, err) == -1)
		return -1;
	if (store_prepare(s, "SELECT l.domain, l.name, l.posting, "
	    "l.subject_prefix, l.created, "
	    "(SELECT count(*) FROM moderators m WHERE m.list_id = l.id), "
	    "(SELECT count(*) FROM subscribers m WHERE m.list_id = l.id), "
	    "(SELECT count(*) FROM bounces b WHERE b.list_id = l.id AND "
	    "b.charged_to = 'subscriber') "
	    "FROM lists l WHERE (?1 IS NULL OR l.domain = ?1) "
	    "AND (?2 IS NULL OR l.name = ?2) ORDER BY l.domain, l.name",
	    &st, err) == -1)
		goto out;
	if ((domain != NULL && bind_text(s, st, 1, k.domain, err) == -1) ||
	    (name != NULL && bind_text(s, st, 2, k.name, err) == -1))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		li.domain = column_text(st, 0);
		li.name = column_text(st, 1);
		posting = STORE_POST_SUBSCRIBERS;
		store_posting_parse(column_text(st, 2), &posting);
		li.posting = posting;
		li.subject_prefix = column_text(st, 3);
		li.created = (time_t)sqlite3_column_int64(st, 4);
		li.moderators = (long)sqlite3_column_int64(st, 5);
		li.subscribers = (long)sqlite3_column_int64(st, 6);
		li.bounces = (long)sqlite3_column_int64(st, 7);
		if (fn(&li, arg) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, "lists", err);
		goto out;
	}
	if (name != NULL && n == 0) {
		err_set(err, STORE_E_NOLIST, "no list %s@%s", k.name,
		    k.domain);
		goto out;
	}
	ret = 0;
out:
	store_release(s, st);
	read_end(s, own);
	return ret;
}

int
store_members_each(struct store *s, enum store_role role,
    const char *domain, const char *name,
    int (*fn)(const struct store_member_info *, void *), void *arg,
    struct err *err)
{
	static const char *const	 sql[] = {
		[STORE_MODERATOR] = "SELECT address, added, 'active', 0, 0, 0, "
		    "'single' FROM moderators WHERE list_id = ?1 ORDER BY address",
		[STORE_SUBSCRIBER] = "SELECT m.address, m.added, m.state, "
		    "m.bounce_score, coalesce(m.last_bounce, 0), "
		    "(SELECT count(*) FROM bounces b WHERE b.list_id = "
		    "m.list_id AND b.recipient = m.address AND "
		    "b.charged_to = 'subscriber'), m.delivery "
		    "FROM subscribers m WHERE m.list_id = ?1 "
		    "ORDER BY m.address",
	};
	struct list_key			 k;
	struct store_member_info	 mi;
	sqlite3_stmt			*st = NULL;
	sqlite3_int64			 id;
	bool				 own;
	int				 rc, ret = -1;

	if (list_key(domain, name, &k, err) == -1 ||
	    read_begin(s, &own, err) == -1)
		return -1;
	if (list_id(s, &k, &id, err) == -1 ||
	    store_prepare(s, sql[role], &st, err) == -1)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK) {
		store_fail(s, rc, "bind", err);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mi.address = column_text(st, 0);
		mi.added = (time_t)sqlite3_column_int64(st, 1);
		mi.state = (enum store_sub_state)store_sub_state_parse(
		    column_text(st, 2));
		mi.bounce_score = (long)sqlite3_column_int64(st, 3);
		mi.last_bounce = (time_t)sqlite3_column_int64(st, 4);
		mi.bounces = (long)sqlite3_column_int64(st, 5);
		mi.mode = strcmp(column_text(st, 6), "digest") == 0 ?
		    STORE_MODE_DIGEST : STORE_MODE_SINGLE;
		if (fn(&mi, arg) == -1)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, rc, member_table[role], err);
		goto out;
	}
	ret = 0;
out:
	store_release(s, st);
	read_end(s, own);
	return ret;
}

int
store_list_match(struct store *s, const char *domain, const char *local_part,
    char list_out[STORE_NAME_MAX + 1], const char **suffix_out,
    struct err *err)
{
	char		 dom[STORE_DOMAIN_MAX + 1], cand[STORE_NAME_MAX + 1];
	sqlite3_stmt	*st;
	size_t		 len = strlen(local_part), end, i;
	int		 rc, found = 0;

	/* A domain that is no domain has no lists. */
	if (store_domain_normalize(domain, dom, NULL) == -1)
		return 0;
	if (store_prepare(s, "SELECT 1 FROM lists WHERE domain = ?1 AND "
	    "name = ?2", &st, err) == -1)
		return -1;
	if (bind_text(s, st, 1, dom, err) == -1) {
		store_release(s, st);
		return -1;
	}
	/* The candidates, longest first: the whole local part, then each
	 * part of it before a '-'.  One that is no list name (too long, a
	 * character no name has) cannot be a list. */
	for (end = len + 1; end-- > 0;) {
		if (end < len && local_part[end] != '-')
			continue;
		if (end == 0 || end > STORE_NAME_MAX)
			continue;
		memcpy(cand, local_part, end);
		cand[end] = '\0';
		if (store_name_normalize(cand, cand, NULL) == -1)
			continue;
		sqlite3_reset(st);
		if (bind_text(s, st, 2, cand, err) == -1) {
			found = -1;
			break;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			for (i = 0; i <= end; i++)
				list_out[i] = cand[i];
			*suffix_out = local_part + end + (end < len);
			found = 1;
			break;
		}
		if (rc != SQLITE_DONE) {
			store_fail(s, rc, "list match", err);
			found = -1;
			break;
		}
	}
	store_release(s, st);
	return found;
}

int
store_addr_route(struct store *s, const char *domain, const char *local_part,
    struct store_route *out, struct err *err)
{
	static const struct {
		const char		*suffix;
		enum store_route_kind	 kind;
	} routes[] = {
		{ "", STORE_ROUTE_POST },
		{ "subscribe", STORE_ROUTE_SUBSCRIBE },
		{ "unsubscribe", STORE_ROUTE_UNSUBSCRIBE },
		{ "subscribers", STORE_ROUTE_SUBSCRIBERS },
		{ "owner", STORE_ROUTE_OWNER },
		{ "help", STORE_ROUTE_HELP },
		{ "digest", STORE_ROUTE_DIGEST },
		{ "bounces", STORE_ROUTE_BOUNCES },
	};
	const char	*suffix;
	size_t		 i;
	int		 rc;

	memset(out, 0, sizeof(*out));
	out->kind = STORE_ROUTE_NONE;
	if ((rc = store_list_match(s, domain, local_part, out->list, &suffix,
	    err)) <= 0)
		return rc;
	/* "dev-" is not "dev": a '-' with nothing after it is no route. */
	if (suffix[0] == '\0' && local_part[strlen(out->list)] != '\0') {
		out->list[0] = '\0';
		return 0;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcasecmp(suffix, routes[i].suffix) == 0) {
			out->kind = routes[i].kind;
			return 0;
		}
	if (strncasecmp(suffix, "bounces+", 8) == 0 &&
	    strlen(suffix + 8) <= STORE_ADDR_MAX) {
		out->kind = STORE_ROUTE_BOUNCES;
		strcpy(out->verp, suffix + 8);
		return 0;
	}
	out->list[0] = '\0';
	return 0;
}
