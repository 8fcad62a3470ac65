/*
 * test_pool.c: util/pool.h: bounds, many jobs on many workers handed
 * back once each on the owner's thread, a done callback that submits
 * and one that frees its job, pool_cancel() of waiting and running
 * jobs, and pool_free() with jobs still waiting (never run, still
 * answered).  Run under TSan too (the sanitizer
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
	enum pool_end	 end;
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
done(void *arg, enum pool_end end)
{
	struct tjob	*t = arg;
	struct pool	*p = t->resubmit;

	t->dones++;
	t->ran = end == POOL_RAN;
	t->end = end;
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

START_TEST(test_pool_cancel)
{
	enum { N = 50 };
	struct tjob	 t[N];
	struct pool	*p;
	struct err	 err;
	bool		 cancelled[N];
	size_t		 i, ncancel = 0;

	ck_assert_ptr_nonnull(p = pool_new(1, &err));
	for (i = 0; i < N; i++) {
		tjob_init(&t[i], (unsigned)i);
		t[i].sleep_ms = i == 0 ? 500 : 0;
		pool_submit(p, &t[i].job);
	}
	/* The one worker is held in the first job while the others wait
	 * (on a very loaded machine it may have gone further: those are
	 * not cancelled, and the assertions below hold all the same). */
	memset(cancelled, 0, sizeof(cancelled));
	for (i = 1; i < N; i += 2) {
		cancelled[i] = pool_cancel(p, &t[i].job);
		ncancel += cancelled[i];
		/* Told at once, or later as any other. */
		ck_assert_int_eq(t[i].dones, cancelled[i] ? 1 : 0);
	}
	ck_assert_uint_eq(pool_pending(p), N - ncancel);
	drain(p);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(t[i].dones, 1);
		ck_assert(t[i].worked == !cancelled[i]);
		ck_assert_int_eq(t[i].end, cancelled[i] ? POOL_CANCELLED :
		    POOL_RAN);
		if (!cancelled[i])
			ck_assert(t[i].out == expect((unsigned)i));
	}
	/* Once handed back, a job is no longer the pool's to cancel. */
	ck_assert(!pool_cancel(p, &t[0].job));
	ck_assert(!pool_cancel(p, &t[2].job));
	ck_assert_int_eq(t[0].dones, 1);
	ck_assert_uint_gt(ncancel, 0);
	ck_assert_uint_eq(pool_pending(p), 0);
	pool_free(p);
}
END_TEST

START_TEST(test_pool_cancel_running)
{
	struct tjob	 t;
	struct pool	*p;
	struct err	 err;
	int		 i;

	ck_assert_ptr_nonnull(p = pool_new(1, &err));
	tjob_init(&t, 3);
	t.sleep_ms = 300;
	pool_submit(p, &t.job);
	/* Until the worker has it (its queued flag is the pool's, read
	 * by pool_cancel under the mutex): then cancel says no. */
	for (i = 0; i < 2000 && pool_cancel(p, &t.job); i++) {
		ck_assert_int_eq(t.end, POOL_CANCELLED);
		t.dones = 0;
		pool_submit(p, &t.job);
		usleep(1000);
	}
	ck_assert_int_lt(i, 2000);
	ck_assert_int_eq(t.dones, 0);
	drain(p);
	ck_assert_int_eq(t.dones, 1);
	ck_assert_int_eq(t.end, POOL_RAN);
	ck_assert(t.out == expect(3));
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
	tcase_add_test(tc, test_pool_cancel);
	tcase_add_test(tc, test_pool_cancel_running);
	tcase_add_test(tc, test_pool_free_waiting);
	return tc;
}
