/*
 * test_sts.c: MTA-STS on the way out (daemons/listd/sts.c) without the
 * network: the _mta-sts TXT record (src/mail/mtasts.c), what the cache
 * does after a look-up and a fetch (RFC 8461 sections 3.3 and 5.1: a new
 * id refetches, an unexpired policy outlives a missing record or a
 * failed fetch), its bound, and which MX hosts a policy allows (section
 * 4.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_priv.h"
#include "mail/mtasts.h"
#include "test_deliver.h"

static const struct {
	const char	*txt;
	int		 rc;
	const char	*id;
} txts[] = {
	{ "v=STSv1; id=20160831085700Z;", 0, "20160831085700Z" },
	{ "v=STSv1; id=abc", 0, "abc" },
	{ "v=STSv1;id=abc", 0, "abc" },
	{ "v=STSv1 ; ext=1 ; id=Z9 ", 0, "Z9" },
	{ "v=STSv1; id=12345678901234567890123456789012", 0,
	  "12345678901234567890123456789012" },
	{ "v=STSv1; id=123456789012345678901234567890123", -2, "" },
	{ "v=STSv1; id=a-b", -2, "" },
	{ "v=STSv1; id=", -2, "" },
	{ "v=STSv1", -2, "" },
	{ "v=STSv1;; id=a", -2, "" },
	{ "v=STSv1; ext", -2, "" },
	{ "v=STSv2; id=a", -1, "" },
	{ "v=spf1 -all", -1, "" },
	{ "id=a; v=STSv1", -1, "" },
	{ "v=STSv10; id=a", -1, "" },
};

START_TEST(test_txt)
{
	char	id[MAIL_STS_ID_LEN + 1];

	ck_assert_int_eq(mail_sts_txt_parse(txts[_i].txt,
	    strlen(txts[_i].txt), id), txts[_i].rc);
	if (txts[_i].rc == 0)
		ck_assert_str_eq(id, txts[_i].id);
}
END_TEST

/* A policy of mode with one pattern, for max_age seconds. */
static struct mail_sts_policy
policy(enum mail_sts_mode mode, const char *mx, long max_age)
{
	struct mail_sts_policy	p;

	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.max_age = max_age;
	snprintf(p.mx[0], sizeof(p.mx[0]), "%s", mx);
	p.nmx = 1;
	return p;
}

START_TEST(test_cache_decide)
{
	struct listd_sts	e;
	struct mail_sts_policy	p = policy(MAIL_STS_ENFORCE, "mx.a.test",
				    100);

	memset(&e, 0, sizeof(e));
	/* Nothing cached. */
	ck_assert_int_eq(listd_sts_decide(NULL, LISTD_STS_TXT_FOUND, "1",
	    1000), LISTD_STS_FETCH);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FOUND, "1",
	    1000), LISTD_STS_FETCH);
	ck_assert_int_eq(listd_sts_decide(NULL, LISTD_STS_TXT_NONE, NULL,
	    1000), LISTD_STS_NONE);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FAILED, NULL,
	    1000), LISTD_STS_NONE);
	/* Policy "1" fetched at 1000, for 100 s. */
	listd_sts_store(&e, "1", &p, 1000);
	ck_assert_int_eq(e.expires, 1100);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FOUND, "1",
	    1050), LISTD_STS_USE);
	/* A new id: fetched again. */
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FOUND, "2",
	    1050), LISTD_STS_FETCH);
	/* The record gone or the look-up failed: the policy stays. */
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_NONE, NULL,
	    1099), LISTD_STS_USE);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FAILED, NULL,
	    1099), LISTD_STS_USE);
	/* Expired: fetched again, or none without a record. */
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FOUND, "1",
	    1100), LISTD_STS_FETCH);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_NONE, NULL,
	    1100), LISTD_STS_NONE);
	/* A new id's policy replaces the old. */
	p = policy(MAIL_STS_TESTING, "*.b.test", 10);
	listd_sts_store(&e, "2", &p, 1200);
	ck_assert_str_eq(e.id, "2");
	ck_assert_int_eq(e.pol.mode, MAIL_STS_TESTING);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FOUND, "2",
	    1209), LISTD_STS_USE);
	ck_assert_int_eq(listd_sts_decide(&e, LISTD_STS_TXT_FOUND, "1",
	    1209), LISTD_STS_FETCH);
}
END_TEST

START_TEST(test_cache_bound)
{
	struct listd_sts_cache	 c;
	struct listd_sts	*e, *busy, *first;
	struct mail_sts_policy	 p = policy(MAIL_STS_ENFORCE, "mx.a.test",
				    1000);
	char			 name[64];
	int			 i;

	memset(&c, 0, sizeof(c));
	LIST_INIT(&c.entries);
	ck_assert_ptr_nonnull(first = listd_sts_entry(&c, "A.test", 0));
	ck_assert_ptr_eq(listd_sts_entry(&c, "a.TEST", 0), first);
	listd_sts_store(first, "1", &p, 0);		/* expires 1000 */
	ck_assert_ptr_nonnull(busy = listd_sts_entry(&c, "busy.test", 0));
	busy->busy = true;				/* no policy yet */
	for (i = 0; i < LISTD_STS_CACHE + 10; i++) {
		snprintf(name, sizeof(name), "d%d.test", i);
		ck_assert_ptr_nonnull(e = listd_sts_entry(&c, name, 10));
		listd_sts_store(e, "1", &p, 10 + i);
		ck_assert_uint_le(c.n, LISTD_STS_CACHE + 1);
	}
	/* The one to expire first went, the busy one stayed. */
	LIST_FOREACH(e, &c.entries, entry)
		ck_assert_str_ne(e->name, "A.test");
	LIST_FOREACH(e, &c.entries, entry)
		if (e == busy)
			break;
	ck_assert_ptr_eq(e, busy);
	/* Past every expiry: the next entry clears the expired. */
	ck_assert_ptr_nonnull(listd_sts_entry(&c, "late.test", 1000000));
	ck_assert_uint_eq(c.n, 2);
	listd_sts_cache_free(&c);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

static const struct {
	const char	*pattern, *host;
	bool		 ok;
} mxs[] = {
	{ "mx.a.test", "mx.a.test", true },
	{ "mx.a.test", "MX.A.Test.", true },
	{ "mx.a.test", "mx2.a.test", false },
	{ "*.a.test", "mx.a.test", true },
	{ "*.a.test", "x.mx.a.test", false },	/* one label only */
	{ "*.a.test", "a.test", false },	/* not the parent */
	{ "*.a.test", ".a.test", false },
	{ "mx.a.test", "a.test", false },
};

START_TEST(test_mx_match)
{
	struct mail_sts_policy	p = policy(MAIL_STS_ENFORCE, mxs[_i].pattern,
				    1);

	ck_assert(listd_sts_host_ok(&p, mxs[_i].host) == mxs[_i].ok);
}
END_TEST

START_TEST(test_mx_any)
{
	struct mail_sts_policy	p = policy(MAIL_STS_ENFORCE, "mx1.a.test", 1);

	snprintf(p.mx[1], sizeof(p.mx[1]), "*.b.test");
	p.nmx = 2;
	ck_assert(listd_sts_host_ok(&p, "mx1.a.test"));
	ck_assert(listd_sts_host_ok(&p, "x.b.test"));
	ck_assert(!listd_sts_host_ok(&p, "mx2.a.test"));
	p.nmx = 0;
	ck_assert(!listd_sts_host_ok(&p, "mx1.a.test"));
}
END_TEST

TCase *
test_sts_tcase(void)
{
	TCase	*tc = tcase_create("sts");

	tcase_add_loop_test(tc, test_txt, 0, sizeof(txts) / sizeof(txts[0]));
	tcase_add_test(tc, test_cache_decide);
	tcase_add_test(tc, test_cache_bound);
	tcase_add_loop_test(tc, test_mx_match, 0, sizeof(mxs) / sizeof(mxs[0]));
	tcase_add_test(tc, test_mx_any);
	return tc;
}
