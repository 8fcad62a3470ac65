/*
 * test_pool.c: util/pool.h: bounds, many jobs on many workers handed
 * back once each on the owner's thread, a done callback that submits
 * and one that frees its job, and pool_free() with jobs still waiting
 * (never run, still answered).  Run under TSan too (the sanitizer
 * build), which sees the hand-over between the threads.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/pool.h"

TCase	*pool_tcase(void);

struct tjob {
	struct pool_job	 job;
	unsigned	 in;
	unsigned long	 out;		/* the worker's */
	pthread_t	 ran_on;	/* the worker's */
	bool		 worked;	/* the worker's */
	int		 dones;		/* the owner's */
	bool		 ran;
	int		 sleep_ms;
	struct pool	*resubmit;	/* done submits once more */
	size_t		*freed;		/* done frees the job */
};

static void
work(void *arg)
{
	struct tjob	*t = arg;
	unsigned long	 x = t->in, i;

	if (t->sleep_ms > 0)
		usleep((useconds_t)t->sleep_ms * 1000);
	/* Something that takes a moment and has one answer. */
	for (i = 0; i < 1000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	t->out = x;
	t->ran_on = pthread_self();
	t->worked = true;
}

static unsigned long
expect(unsigned in)
{
	unsigned long	x = in, i;

	for (i = 0; i < 1000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

static void
done(void *arg, bool ran)
{
	struct tjob	*t = arg;
	struct pool	*p = t->resubmit;

	t->dones++;
	t->ran = ran;
	if (p != NULL) {
		t->resubmit = NULL;
		t->in++;
		pool_submit(p, &t->job);
		return;
	}
	if (t->freed != NULL) {
		(*t->freed)++;
		free(t);
	}
}

static void
tjob_init(struct tjob *t, unsigned in)
{
	memset(t, 0, sizeof(*t));
	t->job.work = work;
	t->job.done = done;
	t->job.arg = t;
	t->in = in;
}

/* Waits on the pool's descriptor until nothing is pending. */
static void
drain(struct pool *p)
{
	struct pollfd	pfd;
	int		rounds = 0;

	while (pool_pending(p) > 0) {
		pfd.fd = pool_fd(p);
		pfd.events = POLLIN;
		ck_assert_int_ge(poll(&pfd, 1, 10000), 1);
		(void)pool_complete(p);
		ck_assert_int_lt(++rounds, 100000);
	}
}

START_TEST(test_pool_bounds)
{
	struct err	err;

	ck_assert_ptr_null(pool_new(0, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
	ck_assert_ptr_null(pool_new(POOL_MAX_WORKERS + 1, &err));
	ck_assert_int_eq(err.code, ERR_ARG);
	pool_free(NULL);
}
END_TEST

START_TEST(test_pool_many)
{
	enum { N = 4000 };
	struct tjob	*t;
	struct pool	*p;
	struct err	 err;
	pthread_t	 self = pthread_self();
	size_t		 i, others = 0;

	ck_assert_ptr_nonnull(p = pool_new(4, &err));
	ck_assert_uint_eq(pool_workers(p), 4);
	ck_assert_ptr_nonnull(t = calloc(N, sizeof(*t)));
	for (i = 0; i < N; i++) {
		tjob_init(&t[i], (unsigned)i);
		pool_submit(p, &t[i].job);
	}
	drain(p);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(t[i].dones, 1);
		ck_assert(t[i].ran);
		ck_assert(t[i].worked);
		ck_assert(t[i].out == expect((unsigned)i));
		others += !pthread_equal(t[i].ran_on, self);
	}
	ck_assert_uint_eq(others, N);		/* never on the owner */
	ck_assert_uint_eq(pool_pending(p), 0);
	ck_assert_uint_eq(pool_complete(p), 0);
	pool_free(p);
	free(t);
}
END_TEST

START_TEST(test_pool_resubmit_and_free)
{
	enum { N = 200 };
	struct tjob	 chain, *t;
	struct pool	*p;
	struct err	 err;
	size_t		 freed = 0, i;

	ck_assert_ptr_nonnull(p = pool_new(2, &err));
	tjob_init(&chain, 7);
	chain.resubmit = p;
	pool_submit(p, &chain.job);
	for (i = 0; i < N; i++) {
		ck_assert_ptr_nonnull(t = malloc(sizeof(*t)));
		tjob_init(t, (unsigned)i);
		t->freed = &freed;
		pool_submit(p, &t->job);
	}
	drain(p);
	ck_assert_int_eq(chain.dones, 2);
	ck_assert(chain.out == expect(8));
	ck_assert_uint_eq(freed, N);
	pool_free(p);
}
END_TEST

START_TEST(test_pool_free_waiting)
{
	enum { N = 20 };
	struct tjob	 t[N];
	struct pool	*p;
	struct err	 err;
	size_t		 i, ran = 0;

	ck_assert_ptr_nonnull(p = pool_new(1, &err));
	for (i = 0; i < N; i++) {
		tjob_init(&t[i], (unsigned)i);
		t[i].sleep_ms = 50;
		pool_submit(p, &t[i].job);
	}
	/* The one worker is in the first job, or has not taken it yet
	 * (or, on a loaded machine, in a later one): those it never took
	 * are not run, and all are answered. */
	pool_free(p);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(t[i].dones, 1);
		ck_assert(t[i].ran == t[i].worked);
		ran += t[i].ran;
	}
	ck_assert_uint_lt(ran, N);
}
END_TEST

TCase *
pool_tcase(void)
{
	TCase	*tc = tcase_create("pool");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pool_bounds);
	tcase_add_test(tc, test_pool_many);
	tcase_add_test(tc, test_pool_resubmit_and_free);
	tcase_add_test(tc, test_pool_free_waiting);
	return tc;
}
