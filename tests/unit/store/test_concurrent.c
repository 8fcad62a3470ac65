/*
 * test_concurrent.c: two connections on one database, as timbre list and
 * a running listd: a writer holding the lock makes the other writer wait
 * up to its busy timeout and then fail with STORE_E_BUSY, while readers
 * go on (WAL) and see only what was committed; a writer in another
 * process that lets go in time is waited for; processes opening an old
 * database at once migrate it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store_priv.h"
#include "util/err.h"
#include "test_store.h"

static long
ms_since(const struct timespec *t0)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int
count_list(const struct store_list_info *l, void *arg)
{
	*(long *)arg = l->subscribers;
	return 0;
}

START_TEST(test_busy)
{
	struct store	*a, *b;
	struct err	 err;
	struct timespec	 t0;
	long		 n = -1;

	ts_init();
	a = ts_fixture("b.db");
	b = store_open(ts_path("b.db"), 0, &err);
	ck_assert_ptr_nonnull(b);
	store_set_busy_timeout(b, 100);
	ck_assert_int_eq(store_begin_write(a, &err), 0);
	ck_assert_int_eq(store_exec(a, "INSERT INTO subscribers (list_id, "
	    "address, added) SELECT id, 'uncommitted@example.org', 1 FROM "
	    "lists WHERE name = 'dev'", &err), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(store_member_add(b, STORE_SUBSCRIBER, "example.org",
	    "dev", "b@example.org", 1, &err), -1);
	ck_assert_int_eq(err.code, STORE_E_BUSY);
	ck_assert_int_ge(ms_since(&t0), 90);
	/* A reader is not blocked, and sees the committed state. */
	ck_assert_int_eq(store_lists_each(b, "example.org", "dev", count_list,
	    &n, &err), 0);
	ck_assert_int_eq(n, 2);

	ck_assert_int_eq(store_commit(a, &err), 0);
	ck_assert_int_eq(store_member_add(b, STORE_SUBSCRIBER, "example.org",
	    "dev", "b@example.org", 1, &err), 0);
	ck_assert_int_eq(store_lists_each(a, "example.org", "dev", count_list,
	    &n, &err), 0);
	ck_assert_int_eq(n, 4);
	store_close(b);
	store_close(a);
	ts_fini();
}
END_TEST

/* The child holds the write lock for 300 ms, then commits. */
static void
hold_lock(const char *path, int fd)
{
	struct store	*s;
	struct err	 err;

	if ((s = store_open(path, 0, &err)) == NULL ||
	    store_begin_write(s, &err) == -1 ||
	    store_exec(s, "INSERT INTO subscribers (list_id, address, added) "
	    "SELECT id, 'child@example.org', 1 FROM lists WHERE name = 'dev'",
	    &err) == -1)
		_exit(1);
	if (write(fd, "x", 1) != 1)
		_exit(2);
	usleep(300 * 1000);
	if (store_commit(s, &err) == -1)
		_exit(3);
	store_close(s);
	_exit(0);
}

START_TEST(test_waits_for_writer)
{
	struct store	*s;
	struct err	 err;
	struct timespec	 t0;
	int		 p[2], status;
	pid_t		 pid;
	char		 c;

	ts_init();
	s = ts_fixture("w.db");
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		hold_lock(ts_path("w.db"), p[1]);
	}
	ck_assert_int_gt(pid, 0);
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(store_member_add(s, STORE_SUBSCRIBER, "example.org",
	    "dev", "parent@example.org", 1, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(ms_since(&t0), 200);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(store_member_is(s, STORE_SUBSCRIBER, "example.org",
	    "dev", "child@example.org", &err), 1);
	close(p[0]);
	store_close(s);
	ts_fini();
}
END_TEST

START_TEST(test_migrate_race)
{
	struct store	*s;
	struct err	 err;
	sqlite3		*raw;
	pid_t		 pid[4];
	int		 i, status;

	ts_init();
	raw = ts_raw(ts_path("race.db"));
	ts_raw_exec(raw, "VACUUM");
	sqlite3_close(raw);
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0) {
			s = store_open(ts_path("race.db"), 0, &err);
			/* Check is in the parent: say why here. */
			if (s == NULL)
				fprintf(stderr, "migrate race: %s\n",
				    err.msg);
			_exit(s == NULL);
		}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	s = store_open(ts_path("race.db"), 0, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_schema_version(s, &err),
	    STORE_SCHEMA_VERSION);
	store_close(s);
	ts_fini();
}
END_TEST

TCase *
tc_concurrent(void)
{
	TCase	*tc = tcase_create("concurrent");

	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_waits_for_writer);
	tcase_add_test(tc, test_migrate_race);
	return tc;
}
