/*
 * test_admin.c: pending requests and their tokens (spent once, bound to
 * their list, expiring; a second request leaves the first one's token
 * valid, within bounds), replies queued with their own recipients,
 * which store_msg_signed must not fan out to the subscribers, and held
 * posts: their tokens, the first decision winning, expiry, a version 1
 * database's held rows migrated.
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
#define TOK3	"2123456789abcdef0123456789abcdef"
#define TOK4	"3123456789abcdef0123456789abcdef"
#define TOK5	"4123456789abcdef0123456789abcdef"

START_TEST(test_token_once)
{
	struct store			*s;
	struct err			 err;
	char				 addr[STORE_ADDR_MAX + 1];
	enum store_pending_action	 act;
	bool				 changed;

	ts_init();
	s = ts_fixture("a.db");
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK, 100, 200, &err), 0);
	/* Another list's token. */
	ck_assert_int_eq(store_pending_take(s, D, "dev-team", TOK, 150, addr,
	    &act, &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_OTHERLIST);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, D, "dev",
	    "new@example.net", &err), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 150, addr, &act,
	    &changed, &err), 0);
	ck_assert_str_eq(addr, "new@example.net");
	ck_assert_int_eq(act, STORE_PENDING_SUBSCRIBE);
	ck_assert(changed);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, D, "dev",
	    "new@example.net", &err), 1);
	/* Spent. */
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 150, addr, &act,
	    &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	/* An unsubscribe, expired: deleted, nothing else. */
	ck_assert_int_eq(store_pending_add(s, D, "dev", "carol@example.org",
	    STORE_PENDING_UNSUBSCRIBE, TOK, 100, 200, &err), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 200, addr, &act,
	    &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_EXPIRED);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, D, "dev",
	    "carol@example.org", &err), 1);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 150, addr, &act,
	    &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	/* In time: removed. */
	ck_assert_int_eq(store_pending_add(s, D, "dev", "carol@example.org",
	    STORE_PENDING_UNSUBSCRIBE, TOK, 100, 200, &err), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 150, addr, &act,
	    &changed, &err), 0);
	ck_assert_int_eq(act, STORE_PENDING_UNSUBSCRIBE);
	ck_assert(changed);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, D, "dev",
	    "carol@example.org", &err), 0);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_reply_rows)
{
	struct store	*s;
	struct err	 err;
	const char	*rcpt[1] = { "new@example.net" };
	int64_t		 id;
	size_t		 n;
	long		 queued, sent, failed;

	ts_init();
	s = ts_fixture("a.db");
	ck_assert_int_eq(store_reply_add(s, D, "dev", "", "<r@x>", "a\r\n", 3,
	    rcpt, 1, 100, &id, &err), 0);
	ck_assert_int_eq(store_msg_signed(s, id, "signed\r\n", 8, 110, true,
	    &n, &err), 0);
	ck_assert_uint_eq(n, 1);		/* not the two subscribers */
	ck_assert_int_eq(store_deliver_counts(s, id, &queued, &sent, &failed,
	    &err), 0);
	ck_assert_int_eq(queued, 1);
	store_close(s);
	ts_fini();
}
END_TEST

/* The archive queue: a post fanned out with archive gets one row (a
 * reply or a repeated signed copy none), taken oldest first, due or
 * not, until it is done. */
START_TEST(test_archive_queue)
{
	struct store			*s;
	struct store_archive_item	 it;
	struct err			 err;
	const char			*rcpt[1] = { "new@example.net" };
	int64_t				 post1, post2, reply;
	long long			 n;
	size_t				 nr;

	ts_init();
	s = ts_fixture("a.db");
	ck_assert_int_eq(store_msg_add(s, D, "dev", STORE_MSG_RECEIVED,
	    "a@x", "<1@x>", "p1\r\n", 4, 100, &post1, &err), 0);
	ck_assert_int_eq(store_msg_add(s, D, "dev", STORE_MSG_RECEIVED,
	    "a@x", "<2@x>", "p2\r\n", 4, 100, &post2, &err), 0);
	ck_assert_int_eq(store_reply_add(s, D, "dev", "", "<r@x>", "a\r\n", 3,
	    rcpt, 1, 100, &reply, &err), 0);
	ck_assert_int_eq(store_archive_next(s, 100, &it, &err), 0);
	/* Signed in another order than queued: archived in this one. */
	ck_assert_int_eq(store_msg_signed(s, post2, "s2\r\n", 4, 110, true,
	    &nr, &err), 0);
	ck_assert_int_eq(store_msg_signed(s, reply, "sr\r\n", 4, 110, true,
	    &nr, &err), 0);
	ck_assert_int_eq(store_msg_signed(s, post1, "s1\r\n", 4, 111, true,
	    &nr, &err), 0);
	ck_assert_int_eq(store_msg_signed(s, post2, "s2\r\n", 4, 112, true,
	    &nr, &err), 1);
	ck_assert_int_eq(store_archive_pending(s, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_archive_next(s, 110, &it, &err), 1);
	ck_assert_int_eq(it.message, post2);
	ck_assert_str_eq(it.list, "dev");
	ck_assert_str_eq(it.domain, D);
	ck_assert_uint_eq(it.len, 4);
	ck_assert_str_eq(it.body, "s2\r\n");
	free(it.body);
	ck_assert_int_eq(store_archive_retry(s, post2, 200, "disk full",
	    &err), 0);
	ck_assert_int_eq(store_archive_next(s, 150, &it, &err), 1);
	ck_assert_int_eq(it.message, post2);
	ck_assert_ptr_null(it.body);
	ck_assert_int_eq(it.attempts, 1);
	ck_assert_int_eq(it.next_attempt, 200);
	ck_assert_int_eq(store_archive_done(s, post2, &err), 0);
	ck_assert_int_eq(store_archive_next(s, 150, &it, &err), 1);
	ck_assert_int_eq(it.message, post1);
	free(it.body);
	ck_assert_int_eq(store_archive_done(s, post1, &err), 0);
	ck_assert_int_eq(store_archive_next(s, 150, &it, &err), 0);
	/* Without archive, no row. */
	ck_assert_int_eq(store_msg_add(s, D, "dev", STORE_MSG_RECEIVED,
	    "a@x", "<3@x>", "p3\r\n", 4, 100, &post1, &err), 0);
	ck_assert_int_eq(store_msg_signed(s, post1, "s3\r\n", 4, 110, false,
	    &nr, &err), 0);
	ck_assert_int_eq(store_archive_next(s, 150, &it, &err), 0);
	store_close(s);
	ts_fini();
}
END_TEST

/* A forged request for the same address must not cancel a genuine one:
 * both tokens work (the second does nothing new); the rows are bounded
 * per address, and expired rows make room again. */
START_TEST(test_pending_both_valid)
{
	struct store			*s;
	struct err			 err;
	char				 addr[STORE_ADDR_MAX + 1];
	enum store_pending_action	 act;
	bool				 changed;

	ts_init();
	s = ts_fixture("p.db");
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK, 100, 1000, &err), 0);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "New@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK2, 110, 1000, &err), 0);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK3, 120, 200, &err), 0);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK4, 130, 1000, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_FULL);
	/* Another action, another address: their own bounds. */
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_UNSUBSCRIBE, TOK4, 130, 1000, &err), 0);
	/* The first (genuine) token still works. */
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK, 150, addr, &act,
	    &changed, &err), 0);
	ck_assert_str_eq(addr, "new@example.net");
	ck_assert(changed);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK2, 150, addr,
	    &act, &changed, &err), 0);
	ck_assert(!changed);
	/* TOK3 expired at 200: it does not count, the next add fits, and
	 * it is refused as expired; STORE_PENDING_KEEP later, gone. */
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK2, 300, 1000, &err), 0);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK, 300, 1000, &err), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK3, 300, addr,
	    &act, &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_EXPIRED);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "new@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK3, 100, 200, &err), 0);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "other@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK5, 200 + STORE_PENDING_KEEP, 1 +
	    STORE_PENDING_KEEP * 2, &err), 0);
	ck_assert_int_eq(store_pending_take(s, D, "dev", TOK3, 300, addr,
	    &act, &changed, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	store_close(s);
	ts_fini();
}
END_TEST

/* Tokens of two held posts: a1 r1 d1 are mod@'s, a2 r2 d2 other@'s. */
static const char *const	 tok[6] = { "a1", "r1", "d1", "a2", "r2",
				    "d2" };
static const char *const	 tok2[6] = { "a3", "r3", "d3", "a4", "r4",
				    "d4" };

/* Holds a post of dev with tokens tk for two moderators. */
static int64_t
hold(struct store *s, const char *list, time_t now, time_t expires,
    const char *const tk[6])
{
	struct store_held_new	 hn = { "env@example.net", "<m@x>",
				    "author@example.net", true, "hi",
				    "moderated list", 0 };
	struct store_held_token	 t[6];
	struct err		 err;
	int64_t			 id;
	size_t			 i;

	hn.expires = expires;
	for (i = 0; i < 6; i++) {
		t[i].token = tk[i];
		t[i].moderator = i < 3 ? "mod@example.org" :
		    "other@example.org";
		t[i].action = (enum store_held_action)(i % 3);
	}
	ck_assert_msg(store_held_add(s, D, list, &hn, "post\r\n", 6, t, 6,
	    now, &id, &err) == 0, "%s", err.msg);
	return id;
}

static int
count_fn(const struct store_held_info *hi, void *arg)
{
	struct store_held_info	*last = arg;

	last->id = hi->id;
	last->state = hi->state;
	last->size++;			/* the count */
	return 0;
}

START_TEST(test_held_tokens)
{
	struct store			*s;
	struct store_held_info		 hi;
	struct err			 err;
	enum store_held_action		 act;
	char				 mod[STORE_ADDR_MAX + 1];
	int64_t				 id, got, msg;
	long long			 v;

	ts_init();
	s = ts_fixture("h.db");
	id = hold(s, "dev", 100, 1000, tok);
	memset(&hi, 0, sizeof(hi));
	ck_assert_int_eq(store_held_each(s, D, "dev", count_fn, &hi, &err), 0);
	ck_assert_uint_eq(hi.size, 1);
	ck_assert_int_eq(hi.id, id);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM messages WHERE "
	    "state = 'held'", &v, &err), 0);
	ck_assert_int_eq(v, 1);
	/* Another list's token: nothing changes. */
	ck_assert_int_eq(store_held_take(s, D, "dev-team", "a2", 150, &got,
	    &act, mod, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_OTHERLIST);
	ck_assert_int_eq(store_held_take(s, D, "dev", "zz", 150, &got, &act,
	    mod, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	/* other@ accepts: the post is received (the queue's), and every
	 * token is spent, mod@'s too. */
	ck_assert_int_eq(store_held_take(s, D, "dev", "a2", 150, &got, &act,
	    mod, &err), 0);
	ck_assert_int_eq(got, id);
	ck_assert_int_eq(act, STORE_HELD_ACCEPT);
	ck_assert_str_eq(mod, "other@example.org");
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM messages WHERE "
	    "state = 'received'", &v, &err), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(store_held_take(s, D, "dev", "r1", 160, &got, &act,
	    mod, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	ck_assert_int_eq(store_held_take(s, D, "dev", "a2", 160, &got, &act,
	    mod, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	/* The operator comes second. */
	ck_assert_int_eq(store_held_decide(s, D, "dev", id, STORE_HELD_REJECT,
	    "op", "", 170, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_DECIDED);
	ck_assert_msg(strstr(err.msg, "accepted already by "
	    "other@example.org") != NULL, "%s", err.msg);
	/* Not waiting any more; decided, to be noted, then forgotten. */
	memset(&hi, 0, sizeof(hi));
	ck_assert_int_eq(store_held_each(s, D, NULL, count_fn, &hi, &err), 0);
	ck_assert_uint_eq(hi.size, 0);
	ck_assert_int_eq(store_held_each_decided(s, count_fn, &hi, &err), 0);
	ck_assert_uint_eq(hi.size, 1);
	ck_assert_int_eq(hi.state, STORE_HELD_ACCEPTED);
	ck_assert_int_eq(store_held_forget(s, id, &err), 0);
	memset(&hi, 0, sizeof(hi));
	ck_assert_int_eq(store_held_each_decided(s, count_fn, &hi, &err), 0);
	ck_assert_uint_eq(hi.size, 0);

	/* Rejected by the operator: the message goes, the tokens too.  The
	 * forgotten post's ID is not given again. */
	got = id;
	id = hold(s, "dev", 200, 1000, tok2);
	ck_assert_int_gt(id, got);
	ck_assert_int_eq(store_int(s, "SELECT max(id) FROM messages", &v,
	    &err), 0);
	msg = v;
	ck_assert_int_eq(store_held_decide(s, D, "dev-team", id,
	    STORE_HELD_REJECT, "op", "no", 210, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOMSG);
	ck_assert_int_eq(store_held_decide(s, D, "dev", id, STORE_HELD_REJECT,
	    "op", "off topic", 210, &err), 0);
	ck_assert_int_eq(store_msg_body(s, msg, (char **)&hi.subject,
	    &hi.size, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOMSG);
	ck_assert_int_eq(store_held_take(s, D, "dev", "a3", 220, &got, &act,
	    mod, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOTOKEN);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_held_expiry)
{
	struct store			*s;
	struct store_held_info		 hi;
	struct err			 err;
	enum store_held_action		 act;
	char				 mod[STORE_ADDR_MAX + 1];
	int64_t				 id, got;
	long long			 v;
	size_t				 n;

	ts_init();
	s = ts_fixture("e.db");
	id = hold(s, "dev", 100, 200, tok);
	(void)hold(s, "dev", 100, 500, tok2);
	/* A token used after the post's time: it expires then. */
	ck_assert_int_eq(store_held_take(s, D, "dev", "a1", 200, &got, &act,
	    mod, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_EXPIRED);
	memset(&hi, 0, sizeof(hi));
	ck_assert_int_eq(store_held_each_decided(s, count_fn, &hi, &err), 0);
	ck_assert_uint_eq(hi.size, 1);
	ck_assert_int_eq(hi.id, id);
	ck_assert_int_eq(hi.state, STORE_HELD_EXPIRED);
	/* The sweep: the other expires at 500, and its message goes. */
	ck_assert_int_eq(store_held_expire(s, 499, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_held_expire(s, 500, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM messages", &v,
	    &err), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM held_tokens", &v,
	    &err), 0);
	ck_assert_int_eq(v, 0);
	store_close(s);
	ts_fini();
}
END_TEST

/* STORE_HELD_PER_LIST waiting: one more is refused, nothing stored;
 * another list is not affected. */
START_TEST(test_held_bound)
{
	struct store_held_new	 hn = { "", NULL, "", false, "", "x", 1000 };
	struct store		*s;
	struct err		 err;
	sqlite3			*raw;
	int64_t			 id;
	long long		 v;
	char			 sql[400];

	ts_init();
	s = ts_fixture("b.db");
	raw = ts_raw(ts_path("b.db"));
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION "
	    "ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO held (list_id, "
	    "held, expires) SELECT l.id, 1, 1000 FROM n, lists l WHERE "
	    "l.name = 'dev'", STORE_HELD_PER_LIST);
	ts_raw_exec(raw, sql);
	sqlite3_close(raw);
	ck_assert_int_eq(store_held_add(s, D, "dev", &hn, "p", 1, NULL, 0,
	    100, &id, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_FULL);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM messages", &v,
	    &err), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(store_held_add(s, D, "dev-team", &hn, "p", 1, NULL,
	    0, 100, &id, &err), 0);
	store_close(s);
	ts_fini();
}
END_TEST

/* A version 1 database with a held post and a pending request: both
 * kept by the migration to version 2, the held post now listed. */
START_TEST(test_held_migrated)
{
	struct store			*s;
	struct store_held_info		 hi;
	struct err			 err;
	sqlite3				*raw;

	ts_init();
	/* Made at version 1, as a released database is. */
	raw = ts_raw(ts_path("v1.db"));
	ts_raw_exec(raw, store_migrations[0].sql);
	ts_raw_exec(raw, "PRAGMA user_version = 1; INSERT INTO lists (domain, "
	    "name, created) VALUES ('example.org', 'dev', 1); INSERT INTO "
	    "messages (list_id, state, mail_from, body, size, created) VALUES "
	    "(1, 'held', 'x@example.net', 'b', 1, 50); INSERT INTO pending "
	    "(list_id, address, action, waiting_for, token, requested, "
	    "expires) VALUES (1, 'y@example.net', 'subscribe', 'requester', "
	    "'" TOK "', 1, 99999)");
	sqlite3_close(raw);
	s = store_open(ts_path("v1.db"), 0, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_schema_version(s, &err), STORE_SCHEMA_VERSION);
	memset(&hi, 0, sizeof(hi));
	ck_assert_int_eq(store_held_each(s, D, "dev", count_fn, &hi, &err), 0);
	ck_assert_uint_eq(hi.size, 1);
	ck_assert_int_eq(store_held_decide(s, D, "dev", hi.id,
	    STORE_HELD_ACCEPT, "op", "", 100, &err), 0);
	ck_assert_int_eq(store_pending_add(s, D, "dev", "y@example.net",
	    STORE_PENDING_SUBSCRIBE, TOK2, 100, 99999, &err), 0);
	store_close(s);
	ts_fini();
}
END_TEST

/* The rate limit: max per window, counted across connections (a new
 * store_open, as after a restart), and a new window after it. */
START_TEST(test_reply_allowed)
{
	struct store	*s;
	struct err	 err;
	int		 i;

	ts_init();
	s = ts_fixture("r.db");
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(store_reply_allowed(s, "a@example.net",
		    100 + i, 3600, 3, &err), 1);
	store_close(s);
	s = store_open(ts_path("r.db"), 0, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_reply_allowed(s, "A@example.net", 200, 3600, 3,
	    &err), 0);
	ck_assert_int_eq(store_reply_allowed(s, "b@example.net", 200, 3600, 3,
	    &err), 1);
	ck_assert_int_eq(store_reply_allowed(s, "a@example.net", 3700, 3600, 3,
	    &err), 1);
	store_close(s);
	ts_fini();
}
END_TEST

TCase *
tc_admin(void)
{
	TCase	*tc = tcase_create("admin");

	tcase_add_test(tc, test_token_once);
	tcase_add_test(tc, test_reply_rows);
	tcase_add_test(tc, test_archive_queue);
	tcase_add_test(tc, test_pending_both_valid);
	tcase_add_test(tc, test_held_tokens);
	tcase_add_test(tc, test_held_expiry);
	tcase_add_test(tc, test_held_bound);
	tcase_add_test(tc, test_held_migrated);
	tcase_add_test(tc, test_reply_allowed);
	return tc;
}
