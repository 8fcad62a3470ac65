/*
 * test_digest.c: digest mode (schema version 6): a subscriber's mode set
 * by timbre list's call and by a confirmed token, a post fanned out to
 * the single-mode members only and kept for the digest, the digest
 * queued for the digest-mode members with its rows gone in the same
 * transaction and an issue queued once, rows dropped when nobody reads
 * digests any more, and a version 5 database migrated with its
 * subscribers and pending tokens kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"
#include "test_store.h"

#define D	"example.org"
#define TOK	"0123456789abcdef0123456789abcdef"
#define TOK2	"1123456789abcdef0123456789abcdef"

struct modes {
	char		addr[8][STORE_ADDR_MAX + 1];
	enum store_mode	mode[8];
	size_t		n;
};

static int
mode_fn(const struct store_member_info *m, void *arg)
{
	struct modes	*ms = arg;

	if (ms->n < 8) {
		snprintf(ms->addr[ms->n], sizeof(ms->addr[0]), "%s",
		    m->address);
		ms->mode[ms->n++] = m->mode;
	}
	return 0;
}

/* carol@example.org's mode in dev. */
static enum store_mode
carol_mode(struct store *s)
{
	struct modes	ms;
	struct err	err;
	size_t		i;

	memset(&ms, 0, sizeof(ms));
	ck_assert_int_eq(store_members_each(s, STORE_SUBSCRIBER, D, "dev",
	    mode_fn, &ms, &err), 0);
	for (i = 0; i < ms.n; i++)
		if (strcmp(ms.addr[i], "carol@example.org") == 0)
			return ms.mode[i];
	ck_abort_msg("carol is not subscribed");
	return STORE_MODE_SINGLE;
}

static int
info_fn(const struct store_digest_info *di, void *arg)
{
	struct store_digest_info	*out = arg;

	ck_assert_str_eq(di->domain, D);
	ck_assert_str_eq(di->name, "dev");
	*out = *di;
	out->domain = out->name = NULL;
	return 0;
}

struct got {
	int64_t	seq[4];
	char	body[4][16];
	size_t	n;
};

static int
post_fn(const struct store_digest_post *p, void *arg)
{
	struct got	*g = arg;

	ck_assert_uint_lt(g->n, 4);
	g->seq[g->n] = p->seq;
	snprintf(g->body[g->n], sizeof(g->body[0]), "%.*s", (int)p->len,
	    (const char *)p->body);
	g->n++;
	return g->n == 2 ? 1 : 0;	/* stops after two */
}

static long long
count(struct store *s, const char *sql)
{
	struct err	err;
	long long	n;

	ck_assert_int_eq(store_int(s, sql, &n, &err), 0);
	return n;
}

START_TEST(test_digest_mode)
{
	struct store			*s;
	struct store_digest_info	 di;
	struct store_digest_issue	 is;
	struct got			 g;
	struct err			 err;
	int64_t				 p[3], id;
	size_t				 nr, i;
	bool				 changed;
	char				 body[8], sql[200];

	ts_init();
	s = ts_fixture("d.db");
	ck_assert_int_eq(carol_mode(s), STORE_MODE_SINGLE);
	ck_assert_int_eq(store_member_set_mode(s, D, "dev",
	    "Carol@Example.org", STORE_MODE_DIGEST, &changed, &err), 0);
	ck_assert(changed);
	ck_assert_int_eq(store_member_set_mode(s, D, "dev",
	    "carol@example.org", STORE_MODE_DIGEST, &changed, &err), 0);
	ck_assert(!changed);
	ck_assert_int_eq(carol_mode(s), STORE_MODE_DIGEST);
	ck_assert_int_eq(store_member_set_mode(s, D, "dev", "zed@example.org",
	    STORE_MODE_DIGEST, &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOMEMBER);
	/* Three posts: Bob gets each, carol none, the digest keeps them. */
	for (i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "p%zu\r\n", i);
		ck_assert_int_eq(store_msg_add(s, D, "dev", STORE_MSG_RECEIVED,
		    "a@x", NULL, body, 4, 100, &p[i], &err), 0);
		snprintf(body, sizeof(body), "s%zu\r\n", i);
		ck_assert_int_eq(store_msg_signed(s, p[i], body, 4,
		    (time_t)(110 + i), false, &nr, &err), 0);
		ck_assert_uint_eq(nr, 1);
	}
	ck_assert_int_eq(count(s, "SELECT count(*) FROM deliveries WHERE "
	    "recipient = 'carol@example.org'"), 0);
	memset(&di, 0, sizeof(di));
	ck_assert_int_eq(store_digest_each(s, info_fn, &di, &err), 0);
	ck_assert_int_eq(di.posts, 3);
	ck_assert_uint_eq(di.size, 12);
	ck_assert_int_eq(di.oldest, 110);
	ck_assert_int_eq(di.issue, 1);
	ck_assert_int_eq(di.readers, 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(store_digest_posts(s, D, "dev", post_fn, &g, &err),
	    0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_str_eq(g.body[0], "s0\r\n");
	ck_assert_str_eq(g.body[1], "s1\r\n");
	/* Issue 1: the first two posts, to carol alone. */
	memset(&is, 0, sizeof(is));
	is.issue = 1;
	is.upto = g.seq[1];
	is.mail_from = "dev-bounces@" D;
	is.message_id = "<digest.1@x>";
	is.body = "digest\r\n";
	is.len = 8;
	ck_assert_int_eq(store_digest_queue(s, D, "dev", &is, 200, &id, &nr,
	    &err), 0);
	ck_assert_int_gt(id, 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_int_eq(count(s, "SELECT count(*) FROM deliveries d JOIN "
	    "messages m ON m.id = d.message WHERE m.state = 'received' AND "
	    "d.recipient = 'carol@example.org'"), 1);
	/* Queued once: the same issue again changes nothing. */
	ck_assert_int_eq(store_digest_queue(s, D, "dev", &is, 201, &p[0], &nr,
	    &err), 1);
	ck_assert_int_eq(p[0], 0);
	ck_assert_int_eq(count(s, "SELECT count(*) FROM messages WHERE "
	    "message_id = '<digest.1@x>'"), 1);
	/* The digest, signed, goes to carol only, not archived, not in a
	 * digest itself. */
	ck_assert_msg(store_msg_signed(s, id, "sd\r\n", 4, 210, true, &nr,
	    &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(nr, 1);
	ck_assert_int_eq(count(s, "SELECT count(*) FROM archive"), 0);
	memset(&di, 0, sizeof(di));
	ck_assert_int_eq(store_digest_each(s, info_fn, &di, &err), 0);
	ck_assert_int_eq(di.posts, 1);
	ck_assert_int_eq(di.issue, 2);
	/* Back to single posts by token: nobody reads digests, issue 2
	 * drops the last row and queues nothing. */
	ck_assert_int_eq(store_pending_add(s, D, "dev", "carol@example.org",
	    STORE_PENDING_SINGLE, TOK, 300, 900, &err), 0);
	{
		char				 addr[STORE_ADDR_MAX + 1];
		enum store_pending_action	 act;

		ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 310,
		    addr, &act, &changed, &err), 0);
		ck_assert_int_eq(act, STORE_PENDING_SINGLE);
		ck_assert(changed);
	}
	ck_assert_int_eq(carol_mode(s), STORE_MODE_SINGLE);
	memset(&di, 0, sizeof(di));
	ck_assert_int_eq(store_digest_each(s, info_fn, &di, &err), 0);
	ck_assert_int_eq(di.readers, 0);
	is.issue = 2;
	is.upto = INT64_MAX;
	is.body = "";
	is.len = 0;
	/* Someone in digest mode again meanwhile: still only dropped. */
	ck_assert_int_eq(store_member_set_mode(s, D, "dev", "Bob@Example.ORG",
	    STORE_MODE_DIGEST, &changed, &err), 0);
	ck_assert_int_eq(store_digest_queue(s, D, "dev", &is, 400, &id, &nr,
	    &err), 0);
	ck_assert_int_eq(id, 0);
	ck_assert_uint_eq(nr, 0);
	ck_assert_int_eq(count(s, "SELECT count(*) FROM digest"), 0);
	/* A post now: carol gets it, Bob's digest keeps it. */
	ck_assert_int_eq(store_msg_add(s, D, "dev", STORE_MSG_RECEIVED, "a@x",
	    NULL, "p\r\n", 3, 500, &p[0], &err), 0);
	ck_assert_int_eq(store_msg_signed(s, p[0], "s\r\n", 3, 510, false, &nr,
	    &err), 0);
	ck_assert_uint_eq(nr, 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM deliveries WHERE "
	    "message = %lld AND recipient = 'carol@example.org'",
	    (long long)p[0]);
	ck_assert_int_eq(count(s, sql), 1);
	ck_assert_int_eq(count(s, "SELECT count(*) FROM digest"), 1);
	store_close(s);
	ts_fini();
}
END_TEST

/* A version 5 database (as released): its subscribers are in single
 * mode after the migration, and a pending token still works. */
START_TEST(test_digest_migrated)
{
	struct store			*s;
	struct err			 err;
	sqlite3				*raw;
	char				 addr[STORE_ADDR_MAX + 1];
	enum store_pending_action	 act;
	bool				 changed;
	size_t				 i;

	ts_init();
	raw = ts_raw(ts_path("v5.db"));
	for (i = 0; i < 5; i++)
		ts_raw_exec(raw, store_migrations[i].sql);
	ts_raw_exec(raw, "PRAGMA user_version = 5; INSERT INTO lists (domain, "
	    "name, created) VALUES ('example.org', 'dev', 1); INSERT INTO "
	    "subscribers (list_id, address, added) VALUES (1, "
	    "'carol@example.org', 1); INSERT INTO pending (token, list_id, "
	    "address, action, waiting_for, requested, expires) VALUES ('"
	    TOK "', 1, 'y@example.net', 'subscribe', 'requester', 1, 99999)");
	sqlite3_close(raw);
	s = store_open(ts_path("v5.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err),
	    STORE_SCHEMA_VERSION);
	ck_assert_int_eq(carol_mode(s), STORE_MODE_SINGLE);
	ck_assert_int_eq(count(s, "SELECT digest_issue FROM lists"), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 100, addr, &act,
	    &changed, &err), 0);
	ck_assert_int_eq(act, STORE_PENDING_SUBSCRIBE);
	ck_assert(changed);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "carol@example.org",
	    STORE_PENDING_DIGEST, TOK2, 100, 99999, &err), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK2, 100, addr,
	    &act, &changed, &err), 0);
	ck_assert_int_eq(act, STORE_PENDING_DIGEST);
	ck_assert_int_eq(carol_mode(s), STORE_MODE_DIGEST);
	store_close(s);
	ts_fini();
}
END_TEST

TCase *
tc_digest(void)
{
	TCase	*tc = tcase_create("digest");

	tcase_add_test(tc, test_digest_mode);
	tcase_add_test(tc, test_digest_migrated);
	return tc;
}
