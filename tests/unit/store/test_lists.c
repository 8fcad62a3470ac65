/*
 * test_lists.c: every list operation and its errors, reading lists and
 * members back, and the routing of local parts (names with '-').
 */
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"
#include "util/err.h"
#include "test_store.h"

/* Collects what the _each calls give, one line per item. */
struct seen {
	char	text[2048];
	int	stop_after;		/* fn returns -1 after this many */
	int	n;
};

static int
seen_list(const struct store_list_info *l, void *arg)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->text);

	snprintf(sn->text + len, sizeof(sn->text) - len,
	    "%s@%s %s [%s] %lld m=%ld s=%ld b=%ld\n", l->name, l->domain,
	    store_posting_name(l->posting), l->subject_prefix,
	    (long long)l->created, l->moderators, l->subscribers, l->bounces);
	return ++sn->n == sn->stop_after ? -1 : 0;
}

static int
seen_member(const struct store_member_info *m, void *arg)
{
	struct seen	*sn = arg;
	size_t		 len = strlen(sn->text);

	snprintf(sn->text + len, sizeof(sn->text) - len,
	    "%s %lld %s %ld %lld %ld\n", m->address, (long long)m->added,
	    store_sub_state_name(m->state), m->bounce_score,
	    (long long)m->last_bounce, m->bounces);
	return ++sn->n == sn->stop_after ? -1 : 0;
}

START_TEST(test_show)
{
	struct store	*s;
	struct seen	 sn;
	struct err	 err;

	ts_init();
	s = ts_fixture("l.db");
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_lists_each(s, NULL, NULL, seen_list, &sn,
	    &err), 0);
	ck_assert_str_eq(sn.text,
	    "a.b_c@example.org subscribers [] 1002 m=0 s=0 b=0\n"
	    "dev@example.org subscribers [] 1000 m=1 s=2 b=1\n"
	    "dev-team@example.org subscribers [] 1001 m=0 s=0 b=0\n");
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_lists_each(s, "EXAMPLE.org", "DEV", seen_list,
	    &sn, &err), 0);
	ck_assert_str_eq(sn.text,
	    "dev@example.org subscribers [] 1000 m=1 s=2 b=1\n");
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_lists_each(s, "example.net", NULL, seen_list,
	    &sn, &err), 0);
	ck_assert_str_eq(sn.text, "");
	ck_assert_int_eq(store_lists_each(s, "example.org", "nope", seen_list,
	    &sn, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOLIST);
	ck_assert_str_eq(err.msg, "no list nope@example.org");
	ck_assert_int_eq(store_lists_each(s, NULL, "dev", seen_list, &sn,
	    &err), -1);
	ck_assert_int_eq(err.code, STORE_E_DOMAIN);

	/* Members: by address without case; carol's bounce charged to the
	 * author does not count. */
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_members_each(s, STORE_SUBSCRIBER, "example.org",
	    "dev", seen_member, &sn, &err), 0);
	ck_assert_str_eq(sn.text,
	    "Bob@example.org 2000 active 0 0 0\n"
	    "carol@example.org 2001 active 0 0 1\n");
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_members_each(s, STORE_MODERATOR, "example.org",
	    "dev", seen_member, &sn, &err), 0);
	ck_assert_str_eq(sn.text, "mod@example.org 1000 active 0 0 0\n");
	ck_assert_int_eq(store_members_each(s, STORE_MODERATOR, "example.org",
	    "gone", seen_member, &sn, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOLIST);

	/* fn stops the walk; the read transaction ends either way. */
	memset(&sn, 0, sizeof(sn));
	sn.stop_after = 1;
	ck_assert_int_eq(store_lists_each(s, NULL, NULL, seen_list, &sn,
	    &err), -1);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(store_member_add(s, STORE_SUBSCRIBER, "example.org",
	    "dev-team", "x@example.org", 5, &err), 0);
	store_close(s);
	ts_fini();
}
END_TEST

/* A table of changes on the fixture, each with its outcome. */
enum op { ADD_LIST, RM_LIST, ADD_MOD, RM_MOD, ADD_SUB, RM_SUB };
static const struct {
	enum op		 op;
	const char	*domain, *name, *addr;
	int		 code;		/* 0: done */
	const char	*msg;		/* NULL: not checked */
} ops[] = {
	{ ADD_LIST, "example.org", "new", NULL, 0, NULL },
	{ ADD_LIST, "example.org", "DEV", NULL, STORE_E_EXISTS,
	  "list dev@example.org already exists" },
	{ ADD_LIST, "example.net", "dev", NULL, 0, NULL },
	{ ADD_LIST, "example.org", "dev-owner", NULL, STORE_E_NAME, NULL },
	{ ADD_LIST, "exa mple.org", "x", NULL, STORE_E_DOMAIN, NULL },
	{ ADD_LIST, NULL, "x", NULL, STORE_E_DOMAIN, NULL },
	{ RM_LIST, "example.org", "dev", NULL, 0, NULL },
	{ RM_LIST, "example.org", "nope", NULL, STORE_E_NOLIST,
	  "no list nope@example.org" },
	{ ADD_MOD, "example.org", "dev", "Mod@Example.org", STORE_E_EXISTS,
	  "Mod@example.org is already a moderator of dev@example.org" },
	{ ADD_MOD, "example.org", "dev-team", "mod@example.org", 0, NULL },
	{ ADD_MOD, "example.org", "nope", "mod@example.org", STORE_E_NOLIST,
	  NULL },
	{ ADD_MOD, "example.org", "dev", "mod", STORE_E_ADDR,
	  "address \"mod\": no '@'" },
	{ RM_MOD, "example.org", "dev", "MOD@example.ORG", 0, NULL },
	{ RM_MOD, "example.org", "dev-team", "mod@example.org",
	  STORE_E_NOMEMBER,
	  "mod@example.org is not a moderator of dev-team@example.org" },
	{ ADD_SUB, "example.org", "dev", "bob@example.org", STORE_E_EXISTS,
	  "bob@example.org is already a subscriber of dev@example.org" },
	{ ADD_SUB, "example.org", "dev", "bob2@example.org", 0, NULL },
	{ ADD_SUB, "example.org", "dev", "mod@example.org", 0, NULL },
	{ ADD_SUB, "example.org", "dev", "bob@example.org.", STORE_E_EXISTS,
	  NULL },
	{ ADD_SUB, "example.org", "dev", "b@[192.0.2.1]", STORE_E_ADDR,
	  NULL },
	{ RM_SUB, "example.org", "dev", "BOB@EXAMPLE.ORG", 0, NULL },
	{ RM_SUB, "example.org", "dev", "dave@example.org", STORE_E_NOMEMBER,
	  NULL },
	{ RM_SUB, "example.org", "nope", "bob@example.org", STORE_E_NOLIST,
	  NULL },
};

START_TEST(test_ops)
{
	struct store	*s;
	struct err	 err;
	int		 rc = -1;

	ts_init();
	s = ts_fixture("o.db");
	err_clear(&err);
	switch (ops[_i].op) {
	case ADD_LIST:
		rc = store_list_add(s, ops[_i].domain, ops[_i].name, NULL, 0, 9,
		    &err);
		break;
	case RM_LIST:
		rc = store_list_remove(s, ops[_i].domain, ops[_i].name, &err);
		break;
	case ADD_MOD:
	case ADD_SUB:
		rc = store_member_add(s, ops[_i].op == ADD_MOD ?
		    STORE_MODERATOR : STORE_SUBSCRIBER, ops[_i].domain,
		    ops[_i].name, ops[_i].addr, 9, &err);
		break;
	case RM_MOD:
	case RM_SUB:
		rc = store_member_remove(s, ops[_i].op == RM_MOD ?
		    STORE_MODERATOR : STORE_SUBSCRIBER, ops[_i].domain,
		    ops[_i].name, ops[_i].addr, &err);
		break;
	}
	if (ops[_i].code == 0)
		ck_assert_msg(rc == 0, "%s", err.msg);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(err.code == ops[_i].code, "%d: %s", err.code,
		    err.msg);
		if (ops[_i].msg != NULL)
			ck_assert_str_eq(err.msg, ops[_i].msg);
	}
	/* After an error, no transaction is left open. */
	ck_assert_int_eq(store_member_add(s, STORE_SUBSCRIBER, "example.org",
	    "a.b_c", "z@example.org", 5, &err), 0);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_add_with_moderators)
{
	static const char *const	 mods[] = { "a@example.org",
	    "A@EXAMPLE.ORG", "b@example.org" };
	static const char *const	 bad[] = { "a@example.org", "nope" };
	struct store			*s;
	struct err			 err;
	struct seen			 sn;
	long long			 n;

	ts_init();
	s = ts_fixture("m.db");
	ck_assert_int_eq(store_list_add(s, "example.org", "staff", mods, 3, 7,
	    &err), 0);
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_members_each(s, STORE_MODERATOR, "example.org",
	    "staff", seen_member, &sn, &err), 0);
	ck_assert_str_eq(sn.text, "a@example.org 7 active 0 0 0\n"
	    "b@example.org 7 active 0 0 0\n");
	/* A bad moderator: no list either. */
	ck_assert_int_eq(store_list_add(s, "example.org", "staff2", bad, 2, 7,
	    &err), -1);
	ck_assert_int_eq(err.code, STORE_E_ADDR);
	ck_assert_int_eq(store_int(s, "SELECT count(*) FROM lists WHERE "
	    "name = 'staff2'", &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_member_is(s, STORE_MODERATOR, "example.org",
	    "staff", "B@example.org", &err), 1);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, "example.org",
	    "staff", "b@example.org", &err), 0);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, "example.org",
	    "gone", "b@example.org", &err), -1);
	ck_assert_int_eq(err.code, STORE_E_NOLIST);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_settings)
{
	struct store		*s;
	struct store_settings	 set;
	enum store_posting	 p = STORE_POST_MODERATED;
	struct err		 err;
	struct seen		 sn;
	char			 long_prefix[STORE_PREFIX_MAX + 2];

	ts_init();
	s = ts_fixture("s.db");
	memset(&set, 0, sizeof(set));
	set.subject_prefix = "[dev]";
	ck_assert_int_eq(store_list_set(s, "example.org", "dev", &set, &err),
	    0);
	set.subject_prefix = NULL;
	set.posting = &p;
	ck_assert_int_eq(store_list_set(s, "example.org", "dev", &set, &err),
	    0);
	memset(&sn, 0, sizeof(sn));
	ck_assert_int_eq(store_lists_each(s, "example.org", "dev", seen_list,
	    &sn, &err), 0);
	ck_assert_str_eq(sn.text,
	    "dev@example.org moderated [[dev]] 1000 m=1 s=2 b=1\n");
	set.posting = NULL;
	set.subject_prefix = "a\nb";
	ck_assert_int_eq(store_list_set(s, "example.org", "dev", &set, &err),
	    -1);
	ck_assert_int_eq(err.code, STORE_E_VALUE);
	memset(long_prefix, 'x', sizeof(long_prefix) - 1);
	long_prefix[sizeof(long_prefix) - 1] = '\0';
	set.subject_prefix = long_prefix;
	ck_assert_int_eq(store_list_set(s, "example.org", "dev", &set, &err),
	    -1);
	ck_assert_int_eq(err.code, STORE_E_VALUE);
	set.subject_prefix = "";
	ck_assert_int_eq(store_list_set(s, "example.org", "nope", &set, &err),
	    -1);
	ck_assert_int_eq(err.code, STORE_E_NOLIST);
	store_close(s);
	ts_fini();
}
END_TEST

/* Removing a list takes its members, queue and bounces with it. */
START_TEST(test_remove_cascades)
{
	struct store	*s;
	struct err	 err;
	long long	 n;

	ts_init();
	s = ts_fixture("r.db");
	ck_assert_int_eq(store_exec(s, "INSERT INTO messages (id, list_id, "
	    "state, mail_from, body, created) SELECT 1, id, 'fanout', "
	    "'a@b.c', x'00', 1 FROM lists WHERE name = 'dev'; "
	    "INSERT INTO deliveries (message, recipient) VALUES "
	    "(1, 'bob@example.org'), (1, 'carol@example.org')", &err), 0);
	ck_assert_int_eq(store_list_remove(s, "example.org", "dev", &err), 0);
	ck_assert_int_eq(store_int(s, "SELECT (SELECT count(*) FROM "
	    "subscribers) + (SELECT count(*) FROM moderators) + (SELECT "
	    "count(*) FROM bounces) + (SELECT count(*) FROM messages) + "
	    "(SELECT count(*) FROM deliveries)", &n, &err), 0);
	ck_assert_int_eq(n, 0);
	store_close(s);
	ts_fini();
}
END_TEST

TCase *
tc_lists(void)
{
	TCase	*tc = tcase_create("lists");

	tcase_add_test(tc, test_show);
	tcase_add_loop_test(tc, test_ops, 0, sizeof(ops) / sizeof(ops[0]));
	tcase_add_test(tc, test_add_with_moderators);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_remove_cascades);
	return tc;
}

/* The fixture has dev, dev-team and a.b_c at example.org. */
static const struct {
	const char		*domain, *local;
	enum store_route_kind	 kind;
	const char		*list, *verp;
} routes[] = {
	{ "example.org", "dev", STORE_ROUTE_POST, "dev", "" },
	{ "EXAMPLE.ORG.", "DEV", STORE_ROUTE_POST, "dev", "" },
	{ "example.org", "dev-team", STORE_ROUTE_POST, "dev-team", "" },
	{ "example.org", "dev-team-subscribe", STORE_ROUTE_SUBSCRIBE,
	  "dev-team", "" },
	{ "example.org", "dev-subscribe", STORE_ROUTE_SUBSCRIBE, "dev", "" },
	{ "example.org", "Dev-Team-UNSUBSCRIBE", STORE_ROUTE_UNSUBSCRIBE,
	  "dev-team", "" },
	{ "example.org", "dev-team-subscribers", STORE_ROUTE_SUBSCRIBERS,
	  "dev-team", "" },
	{ "example.org", "dev-team-owner", STORE_ROUTE_OWNER, "dev-team", "" },
	{ "example.org", "DEV-Digest", STORE_ROUTE_DIGEST, "dev", "" },
	{ "example.org", "dev-help", STORE_ROUTE_HELP, "dev", "" },
	{ "example.org", "a.b_c-help", STORE_ROUTE_HELP, "a.b_c", "" },
	{ "example.org", "dev-bounces", STORE_ROUTE_BOUNCES, "dev", "" },
	{ "example.org", "dev-team-bounces+Bob=Example.org",
	  STORE_ROUTE_BOUNCES, "dev-team", "Bob=Example.org" },
	{ "example.org", "dev-bounces+first-last=x-y.org",
	  STORE_ROUTE_BOUNCES, "dev", "first-last=x-y.org" },
	{ "example.org", "dev-team-bounces+dev-team-owner=example.org",
	  STORE_ROUTE_BOUNCES, "dev-team", "dev-team-owner=example.org" },
	{ "example.org", "dev-teams", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "dev-team-foo", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "dev-", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "dev--help", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "devx-help", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "team", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "", STORE_ROUTE_NONE, "", "" },
	{ "example.org", "-help", STORE_ROUTE_NONE, "", "" },
	{ "example.net", "dev", STORE_ROUTE_NONE, "", "" },
	{ "not a domain", "dev", STORE_ROUTE_NONE, "", "" },
};

START_TEST(test_route)
{
	struct store		*s;
	struct store_route	 r;
	struct err		 err;

	ts_init();
	s = ts_fixture("rt.db");
	ck_assert_msg(store_addr_route(s, routes[_i].domain, routes[_i].local,
	    &r, &err) == 0, "%s", err.msg);
	ck_assert_msg(r.kind == routes[_i].kind, "%s: kind %d", 
	    routes[_i].local, r.kind);
	ck_assert_str_eq(r.list, routes[_i].list);
	ck_assert_str_eq(r.verp, routes[_i].verp);
	store_close(s);
	ts_fini();
}
END_TEST

/* The longest list wins, whichever was made first. */
START_TEST(test_match_longest)
{
	static const char *const	 order[2][3] = {
		{ "a", "a-b", "a-b-c" }, { "a-b-c", "a-b", "a" } };
	struct store			*s;
	struct err			 err;
	char				 list[STORE_NAME_MAX + 1];
	const char			*suffix;
	int				 i, j;

	ts_init();
	for (i = 0; i < 2; i++) {
		s = store_open(ts_path(i == 0 ? "1.db" : "2.db"), STORE_CREATE,
		    &err);
		ck_assert_ptr_nonnull(s);
		for (j = 0; j < 3; j++)
			ck_assert_int_eq(store_list_add(s, "x.org",
			    order[i][j], NULL, 0, 1, &err), 0);
		ck_assert_int_eq(store_list_match(s, "x.org", "a-b-c-d-help",
		    list, &suffix, &err), 1);
		ck_assert_str_eq(list, "a-b-c");
		ck_assert_str_eq(suffix, "d-help");
		ck_assert_int_eq(store_list_match(s, "x.org", "a-b-x", list,
		    &suffix, &err), 1);
		ck_assert_str_eq(list, "a-b");
		ck_assert_str_eq(suffix, "x");
		ck_assert_int_eq(store_list_match(s, "x.org", "a", list,
		    &suffix, &err), 1);
		ck_assert_str_eq(list, "a");
		ck_assert_str_eq(suffix, "");
		ck_assert_int_eq(store_list_match(s, "x.org", "b-a", list,
		    &suffix, &err), 0);
		store_close(s);
	}
	ts_fini();
}
END_TEST

/* store_changed sees other connections' commits, not its own. */
START_TEST(test_changed)
{
	struct store	*a, *b;
	struct err	 err;

	ts_init();
	a = ts_fixture("c.db");
	b = store_open(ts_path("c.db"), 0, &err);
	ck_assert_ptr_nonnull(b);
	/* The fixture's raw connection wrote after a was opened. */
	ck_assert_int_eq(store_changed(a, &err), 1);
	ck_assert_int_eq(store_changed(a, &err), 0);
	ck_assert_int_eq(store_member_add(b, STORE_SUBSCRIBER, "example.org",
	    "dev", "new@example.org", 1, &err), 0);
	ck_assert_int_eq(store_changed(a, &err), 1);
	ck_assert_int_eq(store_changed(a, &err), 0);
	ck_assert_int_eq(store_member_add(a, STORE_SUBSCRIBER, "example.org",
	    "dev", "own@example.org", 1, &err), 0);
	ck_assert_int_eq(store_changed(a, &err), 0);
	ck_assert_int_eq(store_changed(b, &err), 1);
	/* A failed change changes nothing. */
	ck_assert_int_eq(store_member_add(b, STORE_SUBSCRIBER, "example.org",
	    "dev", "new@example.org", 1, &err), -1);
	ck_assert_int_eq(store_changed(a, &err), 0);
	store_close(b);
	store_close(a);
	ts_fini();
}
END_TEST

TCase *
tc_route(void)
{
	TCase	*tc = tcase_create("route");

	tcase_add_loop_test(tc, test_route, 0,
	    sizeof(routes) / sizeof(routes[0]));
	tcase_add_test(tc, test_match_longest);
	tcase_add_test(tc, test_changed);
	return tc;
}
