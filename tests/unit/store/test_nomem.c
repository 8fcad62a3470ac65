/*
 * test_nomem.c: the store with allocations failing one at a time
 * (tests/unit/nomem.h), sqlite3's own included.
 *
 * libsqlite3 is a shared library, which the --wrap of the linker does
 * not reach; but sqlite3 takes its allocator from SQLITE_CONFIG_MALLOC,
 * and the one given here calls malloc from this file, which is wrapped.
 * Lookaside is turned off so that every allocation of sqlite3 goes
 * there.  Then each operation runs for n = 0, 1, 2, ... with the (n +
 * 1)-th allocation failing, until a run no longer reaches the failure.
 * A run must fail with ERR_NOMEM and leave the database as it was (a
 * change is all or nothing), or succeed (sqlite3 has allocations whose
 * failure it survives); it must not crash, and under --enable-sanitizers
 * LeakSanitizer fails the test if anything leaks.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_priv.h"
#include "util/err.h"
#include "../nomem.h"
#include "test_store.h"

/* sqlite3's allocator over malloc, with the size in a header. */
#define HDR	16

static void *
mem_malloc(int n)
{
	uint8_t	*p = malloc((size_t)n + HDR);

	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static void
mem_free(void *p)
{
	if (p != NULL)
		free((uint8_t *)p - HDR);
}

static int
mem_size(void *p)
{
	int	n;

	memcpy(&n, (uint8_t *)p - HDR, sizeof(n));
	return n;
}

static void *
mem_realloc(void *p, int n)
{
	uint8_t	*q;

	if ((q = realloc((uint8_t *)p - HDR, (size_t)n + HDR)) == NULL)
		return NULL;
	memcpy(q, &n, sizeof(n));
	return q + HDR;
}

static int
mem_roundup(int n)
{
	return (n + 7) & ~7;
}

static int
mem_init(void *arg)
{
	return SQLITE_OK;
}

static void
mem_shutdown(void *arg)
{
}

static void
use_our_malloc(void)
{
	static const sqlite3_mem_methods	m = {
		mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup,
		mem_init, mem_shutdown, NULL,
	};

	ck_assert_int_eq(sqlite3_shutdown(), SQLITE_OK);
	ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_initialize(), SQLITE_OK);
}

/* Copies the closed database from to to (one file: WAL is checkpointed
 * and removed when the last connection closes). */
static void
copy_file(const char *from, const char *to)
{
	char	buf[65536];
	ssize_t	n;
	int	in, out;

	ck_assert_int_ge(in = open(from, O_RDONLY), 0);
	ck_assert_int_ge(out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0640),
	    0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* A summary of the whole database, to compare before and after. */
static long long
digest(struct store *s)
{
	struct err	err;
	long long	v;

	ck_assert_int_eq(store_int(s, "SELECT (SELECT count(*) FROM lists) * "
	    "1000000 + (SELECT count(*) FROM moderators) * 1000 + (SELECT "
	    "count(*) FROM subscribers) + (SELECT total(length(posting) + "
	    "length(subject_prefix)) FROM lists) * 1000000000",
	    &v, &err), 0);
	return v;
}

START_TEST(test_nomem_open)
{
	struct store	*s;
	struct err	 err;
	long		 n;
	bool		 hit;

	ts_init();
	use_our_malloc();
	for (n = 0;; n++) {
		unlink(ts_path("o.db"));
		nomem_arm(n);
		s = store_open(ts_path("o.db"), STORE_CREATE, &err);
		hit = nomem_disarm();
		if (s == NULL) {
			ck_assert_msg(hit, "n=%ld: %s", n, err.msg);
			ck_assert_msg(err.code == ERR_NOMEM, "n=%ld: %d %s", n,
			    err.code, err.msg);
			/* A failed create leaves no file behind. */
			ck_assert_int_ne(access(ts_path("o.db"), F_OK), 0);
			continue;
		}
		ck_assert_int_eq(store_schema_version(s, &err),
	    STORE_SCHEMA_VERSION);
		store_close(s);
		if (!hit)
			break;
	}
	ck_assert_int_gt(n, 10);
	ts_fini();
}
END_TEST

enum nomem_op { NM_ADD_LIST, NM_SUBSCRIBE, NM_UNSUBSCRIBE, NM_SETTINGS,
    NM_SHOW, NM_ROUTE, NM_REOPEN };

static int
show_member(const struct store_member_info *m, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
show_list(const struct store_list_info *l, void *arg)
{
	struct store	*s = ((void **)arg)[0];
	int		*n = ((void **)arg)[1];
	struct err	 err;

	(*n)++;
	return store_members_each(s, STORE_SUBSCRIBER, l->domain, l->name,
	    show_member, n, &err);
}

/* Runs op once on s; 0 or -1 as the store said. */
static int
run_op(enum nomem_op op, struct store **s, struct err *err)
{
	static const char *const	mods[] = { "a@example.org",
	    "b@example.org" };
	enum store_posting		p = STORE_POST_OPEN;
	struct store_settings		set = { &p, "[x]" };
	struct store_route		r;
	void				*arg[2];
	int				n = 0;

	switch (op) {
	case NM_ADD_LIST:
		return store_list_add(*s, "example.org", "new-list", mods, 2,
		    5, err);
	case NM_SUBSCRIBE:
		return store_member_add(*s, STORE_SUBSCRIBER, "example.org",
		    "dev-team", "new@example.org", 5, err);
	case NM_UNSUBSCRIBE:
		return store_member_remove(*s, STORE_SUBSCRIBER, "example.org",
		    "dev", "bob@example.org", err);
	case NM_SETTINGS:
		return store_list_set(*s, "example.org", "dev", &set, err);
	case NM_SHOW:
		arg[0] = *s;
		arg[1] = &n;
		/* An error inside fn (the members' walk) ends the outer
		 * walk with -1 but leaves err to fn, which has its own:
		 * set ours as the caller of store_lists_each would. */
		if (store_lists_each(*s, NULL, NULL, show_list, arg,
		    err) == -1) {
			if (err->code == 0)
				err_set(err, ERR_NOMEM, "members");
			return -1;
		}
		return n == 5 ? 0 : -2;
	case NM_ROUTE:
		if (store_addr_route(*s, "example.org", "dev-team-subscribe",
		    &r, err) == -1)
			return -1;
		return r.kind == STORE_ROUTE_SUBSCRIBE ? 0 : -2;
	case NM_REOPEN:
		store_close(*s);
		*s = store_open(ts_path("op.db"), 0, err);
		return *s == NULL ? -1 : 0;
	}
	return -2;
}

START_TEST(test_nomem_ops)
{
	struct store	*s;
	struct err	 err;
	long		 n;
	long long	 before, after, want = 0;
	bool		 hit;
	int		 rc;

	ts_init();
	use_our_malloc();
	s = ts_fixture("template.db");
	store_close(s);
	for (n = 0;; n++) {
		copy_file(ts_path("template.db"), ts_path("op.db"));
		s = store_open(ts_path("op.db"), 0, &err);
		ck_assert_msg(s != NULL, "%s", err.msg);
		before = digest(s);
		err_clear(&err);
		nomem_arm(n);
		rc = run_op((enum nomem_op)_i, &s, &err);
		hit = nomem_disarm();
		ck_assert_msg(rc != -2, "n=%ld: wrong result", n);
		if (rc == -1) {
			ck_assert_msg(hit, "n=%ld: %s", n, err.msg);
			ck_assert_msg(err.code == ERR_NOMEM, "n=%ld: %d %s", n,
			    err.code, err.msg);
			if (s == NULL)		/* NM_REOPEN */
				s = store_open(ts_path("op.db"), 0, &err);
			ck_assert_ptr_nonnull(s);
			ck_assert_msg(digest(s) == before, "n=%ld: changed "
			    "after a failure", n);
		} else {
			after = digest(s);
			if (want == 0)
				want = after;
			ck_assert_msg(after == want, "n=%ld: %lld, not %lld",
			    n, after, want);
		}
		store_close(s);
		if (!hit)
			break;
	}
	/* Every operation allocates (at least its statements). */
	ck_assert_int_gt(n, 10);
	ts_fini();
}
END_TEST

TCase *
tc_nomem(void)
{
	TCase	*tc = tcase_create("nomem");

	/* Every allocation of a create fails once, each time from scratch:
	 * with the six migrations some 50 s of CPU in all (version 6's
	 * ALTER TABLEs re-read the schema), and over 400 s of wall time
	 * on a 2-core machine at a load of 16. */
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_nomem_open);
	tcase_add_loop_test(tc, test_nomem_ops, NM_ADD_LIST, NM_REOPEN + 1);
	return tc;
}
