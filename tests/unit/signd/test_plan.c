/*
 * test_plan.c: daemons/signd/plan.c, the keyring's decisions: selector
 * names both ways, which key is current, what to verify and look up,
 * when to mint, what to delete, with a clock of the test's own
 * (lifetime 30 d, overlap 7 d, as the defaults).
 */
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "../unit.h"

#define DAY	86400
#define T0	1767225600	/* 2026-01-01 */
#define LIFE	(30 * DAY)
#define OVER	(7 * DAY)

static struct signd_plan_cfg
cfg(bool primary)
{
	struct signd_plan_cfg	c;

	memset(&c, 0, sizeof(c));
	c.dkim_prefix = "dkim-";
	c.arc_prefix = "arc-";
	c.kinds[SIGND_DKIM_RSA] = c.kinds[SIGND_DKIM_ED25519] = true;
	c.kinds[SIGND_ARC] = true;
	c.lifetime = LIFE;
	c.overlap = OVER;
	c.can_publish = primary;
	return c;
}

static struct signd_pub
pub(enum signd_kind kind, time_t t, enum signd_check check, bool visible)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_pub	p;

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(signd_selector_name(&c, kind, t, p.selector), 0);
	p.kind = kind;
	p.created = t;
	p.check = check;
	p.visible = visible;
	return p;
}

START_TEST(test_selector_names)
{
	struct signd_plan_cfg	c = cfg(true);
	char			s[SIGND_SELECTOR_MAX];
	enum signd_kind		k, got;
	time_t			t;

	ck_assert_int_eq(signd_selector_name(&c, SIGND_DKIM_RSA, T0, s), 0);
	ck_assert_str_eq(s, "dkim-1767225600");
	ck_assert_int_eq(signd_selector_name(&c, SIGND_DKIM_ED25519, T0, s), 0);
	ck_assert_str_eq(s, "dkim-1767225600-ed25519");
	ck_assert_int_eq(signd_selector_name(&c, SIGND_ARC, T0, s), 0);
	ck_assert_str_eq(s, "arc-1767225600");
	for (k = 0; k < SIGND_NKINDS; k++) {
		ck_assert_int_eq(signd_selector_name(&c, k, T0 + k, s), 0);
		ck_assert(signd_selector_parse(&c, s, &got, &t));
		ck_assert_int_eq(got, k);
		ck_assert_int_eq(t, T0 + k);
	}
}
END_TEST

static const struct {
	const char	*name;
	bool		 ours;
	enum signd_kind	 kind;
	time_t		 t;
} parse_cases[] = {
	{ "dkim-1767225600", true, SIGND_DKIM_RSA, T0 },
	{ "DKIM-1767225600", true, SIGND_DKIM_RSA, T0 },
	{ "dkim-1767225600-ed25519", true, SIGND_DKIM_ED25519, T0 },
	{ "arc-1767225600", true, SIGND_ARC, T0 },
	{ "arc-1767225600-ed25519", false, 0, 0 },
	{ "dkim-0", true, SIGND_DKIM_RSA, 0 },
	{ "dkim-01767225600", false, 0, 0 },
	{ "dkim-", false, 0, 0 },
	{ "dkim--ed25519", false, 0, 0 },
	{ "dkim-17672x5600", false, 0, 0 },
	{ "dkim-1767225600-rsa", false, 0, 0 },
	{ "dkim-99999999999999999999", false, 0, 0 },
	{ "default", false, 0, 0 },
	{ "selector1", false, 0, 0 },
	{ "", false, 0, 0 },
};

START_TEST(test_selector_parse)
{
	struct signd_plan_cfg	c = cfg(true);
	enum signd_kind		k = 0;
	time_t			t = 0;

	ck_assert_msg(signd_selector_parse(&c, parse_cases[_i].name, &k, &t) ==
	    parse_cases[_i].ours, "%s", parse_cases[_i].name);
	if (parse_cases[_i].ours) {
		ck_assert_int_eq(k, parse_cases[_i].kind);
		ck_assert_int_eq(t, parse_cases[_i].t);
	}
}
END_TEST

START_TEST(test_selector_parse_unconfigured_kind)
{
	struct signd_plan_cfg	c = cfg(true);
	enum signd_kind		k;
	time_t			t;

	c.kinds[SIGND_ARC] = false;
	ck_assert(!signd_selector_parse(&c, "arc-1767225600", &k, &t));
	c.arc_prefix = "d-";	/* a prefix that is a prefix of the other */
	c.kinds[SIGND_ARC] = true;
	ck_assert(signd_selector_parse(&c, "dkim-5", &k, &t));
	ck_assert_int_eq(k, SIGND_DKIM_RSA);
	ck_assert(signd_selector_parse(&c, "d-5", &k, &t));
	ck_assert_int_eq(k, SIGND_ARC);
}
END_TEST

/* An empty zone: mint every kind at once, nothing current. */
START_TEST(test_plan_empty_zone)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_plan	pl;
	int			k;

	ck_assert_int_eq(signd_plan_make(&c, NULL, 0, T0, &pl), 0);
	for (k = 0; k < SIGND_NKINDS; k++) {
		ck_assert_int_eq(pl.kind[k].current, -1);
		ck_assert(pl.kind[k].mint);
	}
	ck_assert_uint_eq(pl.ndel, 0);
	signd_plan_fini(&pl);
	c.can_publish = false;		/* no primary: nothing to do */
	ck_assert_int_eq(signd_plan_make(&c, NULL, 0, T0, &pl), 0);
	for (k = 0; k < SIGND_NKINDS; k++)
		ck_assert(!pl.kind[k].mint);
	signd_plan_fini(&pl);
}
END_TEST

/*
 * One kind through its life, day by day: key A made at T0, B at the
 * first mint.  (now offset in days, what is in the zone, expected.)
 */
START_TEST(test_plan_life_cycle)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_plan	pl;
	struct signd_pub	v[2];
	time_t			tb = T0 + (LIFE - OVER);

	c.kinds[SIGND_DKIM_ED25519] = c.kinds[SIGND_ARC] = false;
	v[0] = pub(SIGND_DKIM_RSA, T0, SIGND_MATCH, true);

	/* young: current, nothing to do, wake at lifetime - overlap */
	ck_assert_int_eq(signd_plan_make(&c, v, 1, T0 + DAY, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 0);
	ck_assert(!pl.kind[SIGND_DKIM_RSA].mint);
	ck_assert_int_eq(pl.next, tb);
	signd_plan_fini(&pl);

	/* a second before: still nothing; at lifetime - overlap: mint */
	ck_assert_int_eq(signd_plan_make(&c, v, 1, tb - 1, &pl), 0);
	ck_assert(!pl.kind[SIGND_DKIM_RSA].mint);
	signd_plan_fini(&pl);
	ck_assert_int_eq(signd_plan_make(&c, v, 1, tb, &pl), 0);
	ck_assert(pl.kind[SIGND_DKIM_RSA].mint);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 0);
	signd_plan_fini(&pl);

	/* B published, not yet seen: keep A, look B up, no second mint */
	v[1] = pub(SIGND_DKIM_RSA, tb, SIGND_MATCH, false);
	ck_assert_int_eq(signd_plan_make(&c, v, 2, tb + 5, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].lookup, 1);
	ck_assert(!pl.kind[SIGND_DKIM_RSA].mint);
	signd_plan_fini(&pl);

	/* B seen: switch; A stays in the zone during the overlap */
	v[1].visible = true;
	ck_assert_int_eq(signd_plan_make(&c, v, 2, tb + 60, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 1);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].lookup, -1);
	ck_assert_uint_eq(pl.ndel, 0);
	ck_assert_int_eq(pl.next, T0 + LIFE);	/* A's expiry comes first */
	signd_plan_fini(&pl);

	/* A expired, not for longer than the overlap: kept */
	ck_assert_int_eq(signd_plan_make(&c, v, 2, T0 + LIFE, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 1);
	ck_assert_uint_eq(pl.ndel, 0);
	ck_assert_int_eq(pl.next, T0 + LIFE + OVER);
	signd_plan_fini(&pl);

	/* expired for the overlap: deleted, B untouched */
	ck_assert_int_eq(signd_plan_make(&c, v, 2, T0 + LIFE + OVER, &pl), 0);
	ck_assert_uint_eq(pl.ndel, 1);
	ck_assert_uint_eq(pl.del[0], 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 1);
	signd_plan_fini(&pl);
}
END_TEST

/* The newest decides; unchecked keys are verified newest first. */
START_TEST(test_plan_verify_order)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_plan	pl;
	struct signd_pub	v[3];

	v[0] = pub(SIGND_DKIM_ED25519, T0, SIGND_UNCHECKED, false);
	v[1] = pub(SIGND_DKIM_ED25519, T0 + 2 * DAY, SIGND_UNCHECKED, false);
	v[2] = pub(SIGND_DKIM_ED25519, T0 + DAY, SIGND_UNCHECKED, false);
	ck_assert_int_eq(signd_plan_make(&c, v, 3, T0 + 3 * DAY, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_ED25519].verify, 1);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_ED25519].current, -1);
	/* after a restart, a young key in the zone: no mint for it */
	ck_assert(!pl.kind[SIGND_DKIM_ED25519].mint);
	/* the other kinds have nothing: they mint */
	ck_assert(pl.kind[SIGND_DKIM_RSA].mint && pl.kind[SIGND_ARC].mint);
	signd_plan_fini(&pl);

	v[1].check = SIGND_MATCH;
	v[1].visible = true;
	ck_assert_int_eq(signd_plan_make(&c, v, 3, T0 + 3 * DAY, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_ED25519].current, 1);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_ED25519].verify, -1);
	signd_plan_fini(&pl);
}
END_TEST

/* A wrong password: nothing current, nothing minted or deleted. */
START_TEST(test_plan_mismatch_holds)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_plan	pl;
	struct signd_pub	v[2];

	v[0] = pub(SIGND_ARC, T0 - LIFE - OVER - DAY, SIGND_MISMATCH, true);
	v[1] = pub(SIGND_ARC, T0, SIGND_MISMATCH, true);
	ck_assert_int_eq(signd_plan_make(&c, v, 2, T0 + LIFE - OVER + DAY,
	    &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_ARC].current, -1);
	ck_assert(pl.kind[SIGND_ARC].held);
	ck_assert(!pl.kind[SIGND_ARC].mint);
	ck_assert_uint_eq(pl.ndel, 0);
	signd_plan_fini(&pl);

	/* an older matching key is still used */
	v[0] = pub(SIGND_ARC, T0 - DAY, SIGND_MATCH, true);
	ck_assert_int_eq(signd_plan_make(&c, v, 2, T0 + DAY, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_ARC].current, 0);
	ck_assert(pl.kind[SIGND_ARC].held);
	signd_plan_fini(&pl);

	/* every key expired (a new password, say): mint under it */
	ck_assert_int_eq(signd_plan_make(&c, v, 2, T0 + LIFE + 1, &pl), 0);
	ck_assert(!pl.kind[SIGND_ARC].held);
	ck_assert(pl.kind[SIGND_ARC].mint);
	signd_plan_fini(&pl);
}
END_TEST

/* The expiry test, both sides of the second (nec's was inverted). */
START_TEST(test_plan_expiry_edge)
{
	struct signd_plan_cfg	c = cfg(false);
	struct signd_plan	pl;
	struct signd_pub	v = pub(SIGND_DKIM_RSA, T0, SIGND_MATCH, true);

	ck_assert_int_eq(signd_plan_make(&c, &v, 1, T0 + LIFE - 1, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 0);
	ck_assert_int_eq(pl.next, T0 + LIFE);
	signd_plan_fini(&pl);
	ck_assert_int_eq(signd_plan_make(&c, &v, 1, T0 + LIFE, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, -1);
	/* without a primary: never minted, never deleted */
	ck_assert(!pl.kind[SIGND_DKIM_RSA].mint);
	signd_plan_fini(&pl);
	ck_assert_int_eq(signd_plan_make(&c, &v, 1, T0 + 10 * LIFE, &pl), 0);
	ck_assert_uint_eq(pl.ndel, 0);
	signd_plan_fini(&pl);
}
END_TEST

/* The ARC kind rotates like the others (nec's ARC rotation asserted). */
START_TEST(test_plan_arc_rotates)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_plan	pl;
	struct signd_pub	v = pub(SIGND_ARC, T0, SIGND_MATCH, true);

	ck_assert_int_eq(signd_plan_make(&c, &v, 1, T0 + LIFE - OVER, &pl), 0);
	ck_assert(pl.kind[SIGND_ARC].mint);
	ck_assert_int_eq(pl.kind[SIGND_ARC].current, 0);
	signd_plan_fini(&pl);
}
END_TEST

/* A key from the future (another signer's clock) counts as newest. */
START_TEST(test_plan_future_key)
{
	struct signd_plan_cfg	c = cfg(true);
	struct signd_plan	pl;
	struct signd_pub	v = pub(SIGND_DKIM_RSA, T0 + 60, SIGND_MATCH,
				    true);

	ck_assert_int_eq(signd_plan_make(&c, &v, 1, T0, &pl), 0);
	ck_assert_int_eq(pl.kind[SIGND_DKIM_RSA].current, 0);
	ck_assert(!pl.kind[SIGND_DKIM_RSA].mint);
	signd_plan_fini(&pl);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s = suite_create("signd");
	TCase	*tc = tcase_create("plan");

	tcase_add_test(tc, test_selector_names);
	tcase_add_loop_test(tc, test_selector_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_selector_parse_unconfigured_kind);
	tcase_add_test(tc, test_plan_empty_zone);
	tcase_add_test(tc, test_plan_life_cycle);
	tcase_add_test(tc, test_plan_verify_order);
	tcase_add_test(tc, test_plan_mismatch_holds);
	tcase_add_test(tc, test_plan_expiry_edge);
	tcase_add_test(tc, test_plan_arc_rotates);
	tcase_add_test(tc, test_plan_future_key);
	suite_add_tcase(s, tc);
	return s;
}
