/*
 * test_admin.c: pending requests and their tokens (spent once, bound to
 * their list, expiring), and replies queued with their own recipients,
 * which store_msg_signed must not fan out to the subscribers.
 */
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"
#include "test_store.h"

#define D	"example.org"
#define TOK	"0123456789abcdef0123456789abcdef"

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
	ck_assert_int_eq(store_msg_signed(s, id, "signed\r\n", 8, 110, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);		/* not the two subscribers */
	ck_assert_int_eq(store_deliver_counts(s, id, &queued, &sent, &failed,
	    &err), 0);
	ck_assert_int_eq(queued, 1);
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
	return tc;
}
